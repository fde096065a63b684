// The scan worker, as the user needs to hear of it: nothing while it starts or works, and
// what to do when it cannot scan (it did not start, crashed, or came up without its client).
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { untranslated } from '../translation';
import { WorkerStatus, workerCanScan } from '../workerHost';
import { ErrorView } from './ErrorView';

export interface IWorkerStatusViewProps {
  status: WorkerStatus;
  trans?: TranslationBundle;
}

export function WorkerStatusView(
  props: IWorkerStatusViewProps
): JSX.Element | null {
  const { status, trans = untranslated } = props;
  if (status.state === 'starting' || workerCanScan(status)) {
    return null;
  }
  const detail =
    status.state === 'failed'
      ? status.message
      : trans.__(
          'The scan worker (protocol %1) started, but the Qdrant client did not load in it.',
          status.protocol
        );
  if (status.state === 'failed' && status.stopped) {
    return (
      <div className="jp-NearDuplicates-workerStatus">
        <ErrorView
          title={trans.__('The scan worker stopped')}
          action={trans.__(
            'Reload the page to start it again. Until then the results on show stay, the panel cannot scan, and it computes complete linkage and the keep-one plan on this page, more slowly.'
          )}
          detail={status.message}
          trans={trans}
        />
      </div>
    );
  }
  return (
    <div className="jp-NearDuplicates-workerStatus">
      <ErrorView
        title={trans.__(
          'Scanning is not available: the scan worker did not load'
        )}
        action={trans.__(
          "Reload the page. If it keeps happening, reinstall jupyterlab-near-duplicates in the environment that runs JupyterLab, restart JupyterLab, and look in the browser's developer console for the reason."
        )}
        detail={detail}
        trans={trans}
      />
    </div>
  );
}
