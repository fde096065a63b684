// An error in the panel: what went wrong, what to do about it, and a Retry when retrying helps.
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import type { IScanErrorInfo } from '../scan/errors';
import { untranslated } from '../translation';

export interface IErrorViewProps {
  /** What went wrong, in a few words. */
  title: string;
  /** What the user can do about it. */
  action: string;
  /** The underlying message (from Qdrant, the server or the worker), shown small, as text. */
  detail?: string;
  /** Shows a Retry button when given. */
  onRetry?: () => void;
  /** The Retry button's text; "Retry" by default. */
  retryLabel?: string;
  trans?: TranslationBundle;
}

export function ErrorView(props: IErrorViewProps): JSX.Element {
  const { title, action, detail, onRetry, trans = untranslated } = props;
  const retryLabel = props.retryLabel ?? trans.__('Retry');
  return (
    <div className="jp-NearDuplicates-error" role="alert">
      <div className="jp-NearDuplicates-errorTitle">{title}</div>
      <div className="jp-NearDuplicates-errorAction">{action}</div>
      {detail && detail !== title && detail !== action ? (
        <div className="jp-NearDuplicates-errorDetail">{detail}</div>
      ) : null}
      {onRetry ? (
        <button
          type="button"
          className="jp-NearDuplicates-button jp-NearDuplicates-errorRetry"
          onClick={onRetry}
        >
          {retryLabel}
        </button>
      ) : null}
    </div>
  );
}

/** A title and what to do, for an error from the backend route, the proxy or the scan. */
export function describeError(
  error: IScanErrorInfo,
  trans: TranslationBundle = untranslated
): {
  title: string;
  action: string;
} {
  if (error.status === 409 && error.kind !== 'backend-choice') {
    return {
      title: trans.__('A scan of this collection is already running'),
      action: trans.__(
        'Another panel or browser tab is scanning it. Wait for that scan to finish, or cancel it there, then detect again.'
      )
    };
  }
  switch (error.kind) {
    case 'stale-checkpoint':
      return {
        title: trans.__('The interrupted scan cannot be resumed'),
        action: trans.__(
          'Its saved progress was discarded. Detect scans the collection again from the start.'
        )
      };
    case 'backend-choice':
      return {
        title: trans.__('The backend chosen in the settings is not available'),
        action: trans.__(
          'Set Backend to one this Jupyter server offers in Settings > Near Duplicates (auto picks one that works), or configure that backend on the server (a remote Qdrant: QDRANT_URL or c.NearDuplicates.qdrant_url) and restart it.'
        )
      };
    case 'busy':
      return {
        title: trans.__('The scan lost its hold on this collection'),
        action: trans.__(
          'The server could not renew it, so another panel or tab could scan the same collection. Check that the Jupyter server is running, then detect again.'
        )
      };
    case 'unreachable':
      return {
        title: trans.__('Cannot reach the Qdrant backend'),
        action: trans.__(
          'Check that the Jupyter server is running and that the Qdrant it is configured with (QDRANT_URL, or the embedded backend when unset) is up, then retry.'
        )
      };
    case 'auth':
      return error.status === 403
        ? {
            title: trans.__('Qdrant refused access (403 Forbidden)'),
            action: trans.__(
              'The API key configured on the Jupyter server (QDRANT_API_KEY or c.NearDuplicates.qdrant_api_key) may not read this collection. Use a key with read access, restart the server, then retry.'
            )
          }
        : {
            title: trans.__('Qdrant needs an API key (401 Unauthorized)'),
            action: trans.__(
              'Set QDRANT_API_KEY (or c.NearDuplicates.qdrant_api_key) on the Jupyter server to a valid key, restart the server, then retry.'
            )
          };
    case 'not-found':
      return {
        title: trans.__('Collection not found'),
        action: trans.__(
          'It may have been deleted or renamed. Refresh the collection list and pick another collection.'
        )
      };
    case 'no-dense-vector':
      return {
        title: trans.__('This collection has no dense vector'),
        action: trans.__(
          'Near-duplicates are found by comparing dense vectors; sparse vectors alone cannot be scanned. Pick a collection with a dense vector.'
        )
      };
    case 'multivector':
      return {
        title: trans.__('Multivectors cannot be scanned'),
        action: trans.__(
          'This vector holds several vectors per point. Pick a plain dense vector, or another collection.'
        )
      };
    case 'choose-vector':
      return {
        title: trans.__('Choose which vector to compare'),
        action: error.vectors?.length
          ? trans.__(
              'This collection has several dense vectors (%1). Pick one in the Vector list, then detect again.',
              error.vectors.join(', ')
            )
          : trans.__(
              'This collection has several dense vectors. Pick one in the Vector list, then detect again.'
            )
      };
    case 'server-error':
      return {
        title: trans.__('Qdrant returned an error'),
        action: trans.__(
          'Retry in a moment; if it keeps failing, look at the Qdrant server logs.'
        )
      };
    case 'bad-request':
      return {
        title: trans.__('Qdrant rejected the request'),
        action: trans.__(
          'Check the panel settings (sample id, thumbnail and split fields) and the threshold, then detect again.'
        )
      };
    case 'cancelled':
      return {
        title: trans.__('Scan cancelled'),
        action: trans.__('Detect again to start a new scan.')
      };
  }
  return {
    title: trans.__('Something went wrong'),
    action: trans.__(
      'Retry; if it keeps failing, look at the Jupyter server log.'
    )
  };
}

export interface IScanErrorViewProps {
  error: IScanErrorInfo;
  onRetry?: () => void;
  retryLabel?: string;
  trans?: TranslationBundle;
}

/** ErrorView for a IScanErrorInfo: its title and advice, with its message as the detail. */
export function ScanErrorView(props: IScanErrorViewProps): JSX.Element {
  const { title, action } = describeError(props.error, props.trans);
  return (
    <ErrorView
      title={title}
      action={action}
      detail={props.error.message}
      onRetry={props.onRetry}
      retryLabel={props.retryLabel}
      trans={props.trans}
    />
  );
}
