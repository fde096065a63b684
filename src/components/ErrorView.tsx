// An error in the panel: what went wrong, what to do about it, and a Retry when retrying helps.
import * as React from 'react';
import type { IScanErrorInfo } from '../scan/errors';

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
}

export function ErrorView(props: IErrorViewProps): JSX.Element {
  const { title, action, detail, onRetry, retryLabel = 'Retry' } = props;
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
export function describeError(error: IScanErrorInfo): {
  title: string;
  action: string;
} {
  if (error.status === 409 && error.kind !== 'backend-choice') {
    return {
      title: 'A scan of this collection is already running',
      action:
        'Another panel or browser tab is scanning it. Wait for that scan to finish, or cancel it there, then detect again.'
    };
  }
  switch (error.kind) {
    case 'backend-choice':
      return {
        title: 'The backend chosen in the settings is not available',
        action:
          'Set Backend to one this Jupyter server offers in Settings > Near Duplicates (auto picks one that works), or configure that backend on the server (a remote Qdrant: QDRANT_URL or c.NearDuplicates.qdrant_url) and restart it.'
      };
    case 'busy':
      return {
        title: 'The scan lost its hold on this collection',
        action:
          'The server could not renew it, so another panel or tab could scan the same collection. Check that the Jupyter server is running, then detect again.'
      };
    case 'unreachable':
      return {
        title: 'Cannot reach the Qdrant backend',
        action:
          'Check that the Jupyter server is running and that the Qdrant it is configured with (QDRANT_URL, or the embedded backend when unset) is up, then retry.'
      };
    case 'auth':
      return error.status === 403
        ? {
            title: 'Qdrant refused access (403 Forbidden)',
            action:
              'The API key configured on the Jupyter server (QDRANT_API_KEY or c.NearDuplicates.qdrant_api_key) may not read this collection. Use a key with read access, restart the server, then retry.'
          }
        : {
            title: 'Qdrant needs an API key (401 Unauthorized)',
            action:
              'Set QDRANT_API_KEY (or c.NearDuplicates.qdrant_api_key) on the Jupyter server to a valid key, restart the server, then retry.'
          };
    case 'not-found':
      return {
        title: 'Collection not found',
        action:
          'It may have been deleted or renamed. Refresh the collection list and pick another collection.'
      };
    case 'no-dense-vector':
      return {
        title: 'This collection has no dense vector',
        action:
          'Near-duplicates are found by comparing dense vectors; sparse vectors alone cannot be scanned. Pick a collection with a dense vector.'
      };
    case 'multivector':
      return {
        title: 'Multivectors cannot be scanned',
        action:
          'This vector holds several vectors per point. Pick a plain dense vector, or another collection.'
      };
    case 'choose-vector':
      return {
        title: 'Choose which vector to compare',
        action: error.vectors?.length
          ? `This collection has several dense vectors (${error.vectors.join(', ')}). Pick one in the Vector list, then detect again.`
          : 'This collection has several dense vectors. Pick one in the Vector list, then detect again.'
      };
    case 'server-error':
      return {
        title: 'Qdrant returned an error',
        action:
          'Retry in a moment; if it keeps failing, look at the Qdrant server logs.'
      };
    case 'bad-request':
      return {
        title: 'Qdrant rejected the request',
        action:
          'Check the panel settings (sample id, thumbnail and split fields) and the threshold, then detect again.'
      };
    case 'cancelled':
      return {
        title: 'Scan cancelled',
        action: 'Detect again to start a new scan.'
      };
  }
  return {
    title: 'Something went wrong',
    action: 'Retry; if it keeps failing, look at the Jupyter server log.'
  };
}

export interface IScanErrorViewProps {
  error: IScanErrorInfo;
  onRetry?: () => void;
  retryLabel?: string;
}

/** ErrorView for a IScanErrorInfo: its title and advice, with its message as the detail. */
export function ScanErrorView(props: IScanErrorViewProps): JSX.Element {
  const { title, action } = describeError(props.error);
  return (
    <ErrorView
      title={title}
      action={action}
      detail={props.error.message}
      onRetry={props.onRetry}
      retryLabel={props.retryLabel}
    />
  );
}
