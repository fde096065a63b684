// The scan worker, as the user needs to hear of it: nothing while it starts or works, and
// what to do when it cannot scan (it did not start, crashed, or came up without its client).
import * as React from 'react';
import { WorkerStatus, workerCanScan } from '../workerHost';
import { ErrorView } from './ErrorView';

export interface IWorkerStatusViewProps {
  status: WorkerStatus;
}

const WHAT_TO_DO =
  'Reload the page. If it keeps happening, reinstall jupyterlab-near-duplicates in the ' +
  "environment that runs JupyterLab, restart JupyterLab, and look in the browser's " +
  'developer console for the reason.';

export function WorkerStatusView(
  props: IWorkerStatusViewProps
): JSX.Element | null {
  const { status } = props;
  if (status.state === 'starting' || workerCanScan(status)) {
    return null;
  }
  const detail =
    status.state === 'failed'
      ? status.message
      : `The scan worker (protocol ${status.protocol}) started, but the Qdrant client did not load in it.`;
  return (
    <div className="jp-NearDuplicates-workerStatus">
      <ErrorView
        title="Scanning is not available: the scan worker did not load"
        action={WHAT_TO_DO}
        detail={detail}
      />
    </div>
  );
}
