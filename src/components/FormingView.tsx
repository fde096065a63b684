// Whether the groups on show are being formed again in the scan worker (complete linkage, or
// a regroup of millions of pairs) or could not be: a short status while the worker works, so
// the panel never looks frozen.
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { formatThreshold } from '../format';
import type { Linkage } from '../scan/linkage';
import type { DistanceKind } from '../scan/types';
import { untranslated } from '../translation';
import { ErrorView } from './ErrorView';

export interface IFormingViewProps {
  /** The grouping the worker is forming, or null. */
  forming: { linkage: Linkage; threshold: number } | null;
  /** Why the worker could not form the groups last asked for, or null. */
  error: string | null;
  distance: DistanceKind;
  trans?: TranslationBundle;
}

export function FormingView(props: IFormingViewProps): JSX.Element | null {
  const { forming, error, distance, trans = untranslated } = props;
  if (forming) {
    return (
      <p className="jp-NearDuplicates-forming" role="status">
        {forming.linkage === 'complete'
          ? trans.__(
              'Forming the groups by complete linkage at %1…',
              formatThreshold(forming.threshold, distance)
            )
          : trans.__(
              'Forming the groups at %1…',
              formatThreshold(forming.threshold, distance)
            )}
      </p>
    );
  }
  if (error) {
    return (
      <ErrorView
        title={trans.__('The groups could not be formed in the scan worker')}
        action={trans.__(
          'The list shows the groups as they were. Reload the page to start the scan worker again.'
        )}
        detail={trans.__('The scan worker said: %1', error)}
        trans={trans}
      />
    );
  }
  return null;
}
