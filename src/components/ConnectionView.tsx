// Which Qdrant the panel talks to and what to scan in it: the backend line, the collection
// and vector pickers, and a refresh. Props in, callbacks out; the model does the fetching.
import { refreshIcon } from '@jupyterlab/ui-components';
import * as React from 'react';
import { formatCount, formatQuantity } from '../format';
import type { IBackendInfo, ICollectionInfo } from '../api';
import {
  denseVectorNames,
  scanVector,
  UNNAMED_VECTOR,
  IVectorDescription
} from '../scan/collection';
import type { IScanErrorInfo } from '../scan/errors';
import { ErrorView, ScanErrorView } from './ErrorView';

export interface IConnectionViewProps {
  /** The last answer of the backend route; null before the first one. */
  backend: IBackendInfo | null;
  /** A request to the backend route is on its way. */
  loading: boolean;
  /** Why the last request failed (kind 'unreachable', 'auth'...), or null. */
  error: IScanErrorInfo | null;
  /** The chosen collection's name, or null. */
  collection: string | null;
  /** The chosen vector name ('' for the unnamed one), or null to let the scan pick the only one. */
  vector: string | null;
  /** Freezes the pickers (while a scan runs). */
  disabled?: boolean;
  onCollectionChange: (name: string) => void;
  onVectorChange: (name: string) => void;
  onRefresh: () => void;
}

/** "Embedded Qdrant 1.x" or "Remote Qdrant at URL, 1.x". */
export function describeBackend(backend: IBackendInfo): string {
  const version = backend.version ? backend.version : '';
  if (backend.kind === 'embedded') {
    return version ? `Embedded Qdrant ${version}` : 'Embedded Qdrant';
  }
  const where = backend.url ? ` at ${backend.url}` : '';
  return version
    ? `Remote Qdrant${where}, ${version}`
    : `Remote Qdrant${where}`;
}

/** The vector picker's value for "none chosen": '' already names the unnamed vector. */
const NO_VECTOR = '\u0000';

function collectionLabel(collection: ICollectionInfo): string {
  if (collection.error) {
    return `${collection.name} (unavailable: ${collection.error})`;
  }
  const count =
    typeof collection.points_count === 'number'
      ? formatQuantity(collection.points_count, 'point')
      : 'points unknown';
  return `${collection.name} (${count})`;
}

function vectorLabel(name: string, info: IVectorDescription): string {
  const shown = name === UNNAMED_VECTOR ? '(unnamed)' : name;
  return info.multivector
    ? `${shown} (multivector, cannot be scanned)`
    : `${shown} (${formatCount(info.size)}-d, ${info.distance})`;
}

export function ConnectionView(props: IConnectionViewProps): JSX.Element {
  const {
    backend,
    loading,
    error,
    collection,
    vector,
    disabled = false,
    onCollectionChange,
    onVectorChange,
    onRefresh
  } = props;
  const collectionId = React.useId();
  const vectorId = React.useId();

  const refresh = (
    <button
      type="button"
      className="jp-NearDuplicates-button jp-NearDuplicates-refresh"
      onClick={onRefresh}
      disabled={loading || disabled}
      aria-label="Refresh the backend and its collections"
      title="Refresh the backend and its collections"
    >
      <refreshIcon.react tag="span" elementSize="small" />
    </button>
  );

  const current = backend?.collections.find(c => c.name === collection) ?? null;
  const vectorNames = current ? Object.keys(current.vectors ?? {}) : [];
  const dense = current ? denseVectorNames(current) : [];
  const chosenName = current ? scanVector(current, vector) : null;
  const chosen =
    current && chosenName !== null ? current.vectors[chosenName] : null;

  return (
    <div className="jp-NearDuplicates-connection" aria-busy={loading}>
      <div className="jp-NearDuplicates-backendLine">
        <span className="jp-NearDuplicates-backendName" role="status">
          {backend
            ? describeBackend(backend)
            : loading
              ? 'Connecting to the Qdrant backend…'
              : error
                ? 'Not connected'
                : 'No backend yet'}
        </span>
        {refresh}
      </div>

      {error ? <ScanErrorView error={error} onRetry={onRefresh} /> : null}

      {backend && backend.collections.length === 0 ? (
        <div className="jp-NearDuplicates-hint">
          No collections on this backend yet. Create one from a notebook
          (nd.client() returns a client for this backend), then refresh.
        </div>
      ) : null}

      {backend && backend.collections.length > 0 ? (
        <div className="jp-NearDuplicates-field">
          <label className="jp-NearDuplicates-label" htmlFor={collectionId}>
            Collection
          </label>
          <select
            id={collectionId}
            className="jp-NearDuplicates-select"
            value={collection ?? ''}
            disabled={disabled}
            onChange={event => {
              if (event.target.value !== '') {
                onCollectionChange(event.target.value);
              }
            }}
          >
            {collection === null ? (
              <option value="" disabled>
                Choose a collection…
              </option>
            ) : null}
            {collection !== null && !current ? (
              <option value={collection} disabled>
                {`${collection} (not on this backend)`}
              </option>
            ) : null}
            {backend.collections.map(c => (
              <option
                key={c.name}
                value={c.name}
                disabled={!!c.error}
                title={
                  c.error
                    ? `${c.name} cannot be scanned: ${c.error}`
                    : undefined
                }
              >
                {collectionLabel(c)}
              </option>
            ))}
          </select>
        </div>
      ) : null}

      {current && dense.length > 1 ? (
        <div className="jp-NearDuplicates-field">
          <label className="jp-NearDuplicates-label" htmlFor={vectorId}>
            Vector
          </label>
          <select
            id={vectorId}
            className="jp-NearDuplicates-select"
            value={chosenName ?? NO_VECTOR}
            disabled={disabled}
            onChange={event => {
              if (event.target.value !== NO_VECTOR) {
                onVectorChange(event.target.value);
              }
            }}
          >
            {chosen ? null : (
              <option value={NO_VECTOR} disabled>
                Choose a vector…
              </option>
            )}
            {vectorNames.map(name => (
              <option
                key={name}
                value={name}
                disabled={!!current.vectors[name].multivector}
              >
                {vectorLabel(name, current.vectors[name])}
              </option>
            ))}
          </select>
        </div>
      ) : null}

      {current?.error ? (
        <ErrorView
          title="This collection cannot be read"
          action="Pick another collection, or check it on the Qdrant side, then refresh."
          detail={current.error}
        />
      ) : current ? (
        <div className="jp-NearDuplicates-collectionInfo">
          {dense.length === 0
            ? 'No dense vector: this collection cannot be scanned for near-duplicates.'
            : chosen
              ? `${formatCount(chosen.size)}-d vectors, ${chosen.distance} distance`
              : 'Several dense vectors: choose one to compare by.'}
        </div>
      ) : null}
    </div>
  );
}
