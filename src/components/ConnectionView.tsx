// Which Qdrant the panel talks to and what to scan in it: the backend line, the collection
// and vector pickers, and a refresh. Props in, callbacks out; the model does the fetching.
import { refreshIcon } from '@jupyterlab/ui-components';
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { formatCount } from '../format';
import type { IBackendInfo, ICollectionInfo } from '../api';
import {
  denseVectorNames,
  scanVector,
  UNNAMED_VECTOR,
  IVectorDescription
} from '../scan/collection';
import type { IScanErrorInfo } from '../scan/errors';
import { untranslated } from '../translation';
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
  trans?: TranslationBundle;
}

/** "Embedded Qdrant 1.x" or "Remote Qdrant at URL, 1.x". */
export function describeBackend(
  backend: IBackendInfo,
  trans: TranslationBundle = untranslated
): string {
  const version = backend.version ? backend.version : '';
  if (backend.kind === 'embedded') {
    return version
      ? trans.__('Embedded Qdrant %1', version)
      : trans.__('Embedded Qdrant');
  }
  if (backend.url) {
    return version
      ? trans.__('Remote Qdrant at %1, %2', backend.url, version)
      : trans.__('Remote Qdrant at %1', backend.url);
  }
  return version
    ? trans.__('Remote Qdrant, %1', version)
    : trans.__('Remote Qdrant');
}

/** The vector picker's value for "none chosen": '' already names the unnamed vector. */
const NO_VECTOR = '\u0000';

function collectionLabel(
  collection: ICollectionInfo,
  trans: TranslationBundle
): string {
  if (collection.error) {
    return trans.__('%1 (unavailable: %2)', collection.name, collection.error);
  }
  const n = collection.points_count;
  return typeof n === 'number'
    ? trans._n(
        '%2 (%3 point)',
        '%2 (%3 points)',
        n,
        collection.name,
        formatCount(n)
      )
    : trans.__('%1 (points unknown)', collection.name);
}

function vectorLabel(
  name: string,
  info: IVectorDescription,
  trans: TranslationBundle
): string {
  const shown = name === UNNAMED_VECTOR ? trans.__('(unnamed)') : name;
  return info.multivector
    ? trans.__('%1 (multivector, cannot be scanned)', shown)
    : trans.__('%1 (%2-d, %3)', shown, formatCount(info.size), info.distance);
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
    onRefresh,
    trans = untranslated
  } = props;
  const collectionId = React.useId();
  const vectorId = React.useId();

  const refresh = (
    <button
      type="button"
      className="jp-NearDuplicates-button jp-NearDuplicates-refresh"
      onClick={onRefresh}
      disabled={loading || disabled}
      aria-label={trans.__('Refresh the backend and its collections')}
      title={trans.__('Refresh the backend and its collections')}
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
            ? describeBackend(backend, trans)
            : loading
              ? trans.__('Connecting to the Qdrant backend…')
              : error
                ? trans.__('Not connected')
                : trans.__('No backend yet')}
        </span>
        {refresh}
      </div>

      {error ? (
        <ScanErrorView error={error} onRetry={onRefresh} trans={trans} />
      ) : null}

      {backend && backend.collections.length === 0 ? (
        <div className="jp-NearDuplicates-hint">
          {trans.__(
            'No collections on this backend yet. Create one from a notebook (nd.client() returns a client for this backend), then refresh.'
          )}
        </div>
      ) : null}

      {backend && backend.collections.length > 0 ? (
        <div className="jp-NearDuplicates-field">
          <label className="jp-NearDuplicates-label" htmlFor={collectionId}>
            {trans.__('Collection')}
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
                {trans.__('Choose a collection…')}
              </option>
            ) : null}
            {collection !== null && !current ? (
              <option value={collection} disabled>
                {trans.__('%1 (not on this backend)', collection)}
              </option>
            ) : null}
            {backend.collections.map(c => (
              <option
                key={c.name}
                value={c.name}
                disabled={!!c.error}
                title={
                  c.error
                    ? trans.__('%1 cannot be scanned: %2', c.name, c.error)
                    : undefined
                }
              >
                {collectionLabel(c, trans)}
              </option>
            ))}
          </select>
        </div>
      ) : null}

      {current && dense.length > 1 ? (
        <div className="jp-NearDuplicates-field">
          <label className="jp-NearDuplicates-label" htmlFor={vectorId}>
            {trans.__('Vector')}
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
                {trans.__('Choose a vector…')}
              </option>
            )}
            {vectorNames.map(name => (
              <option
                key={name}
                value={name}
                disabled={!!current.vectors[name].multivector}
              >
                {vectorLabel(name, current.vectors[name], trans)}
              </option>
            ))}
          </select>
        </div>
      ) : null}

      {current?.error ? (
        <ErrorView
          title={trans.__('This collection cannot be read')}
          action={trans.__(
            'Pick another collection, or check it on the Qdrant side, then refresh.'
          )}
          detail={current.error}
          trans={trans}
        />
      ) : current ? (
        <div className="jp-NearDuplicates-collectionInfo">
          {dense.length === 0
            ? trans.__(
                'No dense vector: this collection cannot be scanned for near-duplicates.'
              )
            : chosen
              ? trans.__(
                  '%1-d vectors, %2 distance',
                  formatCount(chosen.size),
                  chosen.distance
                )
              : trans.__('Several dense vectors: choose one to compare by.')}
        </div>
      ) : null}
    </div>
  );
}
