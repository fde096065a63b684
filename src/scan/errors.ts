// Why a scan or a request to the server stopped, in words that say what to do. One table
// turns an HTTP status into an error kind for every caller: the scanner's `classify` (Qdrant's
// answers, through the Jupyter proxy) and the model's reading of the server extension's
// answers (backend route, scan claims). tests/fixtures/rules.json holds its rows for Python too.

/** Why a scan stopped; the panel can offer a fix per kind. */
export type ScanErrorKind =
  | 'no-dense-vector'
  | 'multivector'
  | 'choose-vector'
  | 'not-found'
  | 'auth'
  | 'unreachable'
  | 'server-error'
  | 'cancelled'
  | 'bad-request'
  /** Another panel or tab holds the collection, or this scan lost its claim on it. */
  | 'busy'
  /** The Backend setting asks for a backend the Jupyter server cannot offer. */
  | 'backend-choice'
  /** An interrupted scan's checkpoint does not fit the collection as it is now (issue 16). */
  | 'stale-checkpoint';

/** A ScanError as plain data, for postMessage. */
export interface IScanErrorInfo {
  kind: ScanErrorKind;
  message: string;
  /** The HTTP status behind the error, if any. */
  status?: number;
  /** For 'choose-vector' and friends: the dense vector names the user can pick from. */
  vectors?: string[];
}

/** A scan failure with a message that says what to do about it. */
export class ScanError extends Error implements IScanErrorInfo {
  constructor(
    readonly kind: ScanErrorKind,
    message: string,
    extra: { status?: number; vectors?: string[] } = {}
  ) {
    super(message);
    this.name = 'ScanError';
    // Keeps instanceof working when compiled down to ES5-style classes.
    Object.setPrototypeOf(this, new.target.prototype);
    if (extra.status !== undefined) {
      this.status = extra.status;
    }
    if (extra.vectors !== undefined) {
      this.vectors = extra.vectors;
    }
  }

  status?: number;
  vectors?: string[];

  toJSON(): IScanErrorInfo {
    const info: IScanErrorInfo = { kind: this.kind, message: this.message };
    if (this.status !== undefined) {
      info.status = this.status;
    }
    if (this.vectors !== undefined) {
      info.vectors = this.vectors;
    }
    return info;
  }
}

/** What an HTTP status means: the kind of error, and whether asking again may help. */
export interface IStatusKind {
  kind: ScanErrorKind;
  transient: boolean;
}

/**
 * The one status table, first matching row wins. 0 is "no answer" (a network failure, as
 * fetch and the server API report it). 502 and 504 come from the Jupyter proxy when it cannot
 * reach Qdrant or Qdrant did not answer in time, so the backend is unreachable, not broken.
 * 409 is the server extension's conflict: by default a claim held by another scan ('busy');
 * the backend route and the proxy use it for a backend they cannot offer (see `statusKind`).
 */
export const STATUS_TABLE: readonly {
  from: number;
  to: number;
  kind: ScanErrorKind;
  transient: boolean;
}[] = [
  { from: 0, to: 0, kind: 'unreachable', transient: true },
  { from: 401, to: 401, kind: 'auth', transient: false },
  { from: 403, to: 403, kind: 'auth', transient: false },
  { from: 404, to: 404, kind: 'not-found', transient: false },
  { from: 408, to: 408, kind: 'server-error', transient: true },
  { from: 409, to: 409, kind: 'busy', transient: false },
  { from: 429, to: 429, kind: 'server-error', transient: true },
  { from: 400, to: 499, kind: 'bad-request', transient: false },
  { from: 502, to: 502, kind: 'unreachable', transient: true },
  { from: 504, to: 504, kind: 'unreachable', transient: true },
  { from: 500, to: 599, kind: 'server-error', transient: true }
];

/**
 * The kind of an HTTP status (see STATUS_TABLE); anything else is a server error. `conflict`
 * is what a 409 means on the route asked: 'busy' for scan claims, 'backend-choice' for the
 * backend route and the Qdrant proxy (the Backend setting asks for a backend it cannot offer).
 */
export function statusKind(
  status: number,
  conflict: 'busy' | 'backend-choice' = 'busy'
): IStatusKind {
  if (status === 409) {
    return { kind: conflict, transient: false };
  }
  for (const row of STATUS_TABLE) {
    if (status >= row.from && status <= row.to) {
      return { kind: row.kind, transient: row.transient };
    }
  }
  return { kind: 'server-error', transient: false };
}

/**
 * A failed request to the server extension as the panel shows it: the server's own message
 * (it says what to do) under the kind of its status. An error without a numeric `status`
 * is a server error with its text as the message.
 */
export function httpErrorInfo(
  error: unknown,
  conflict: 'busy' | 'backend-choice' = 'busy'
): IScanErrorInfo {
  const status = (error as { status?: unknown } | null)?.status;
  if (typeof status !== 'number') {
    return { kind: 'server-error', message: String(error) };
  }
  const message = error instanceof Error ? error.message : String(error);
  const info: IScanErrorInfo = {
    kind: statusKind(status, conflict).kind,
    message
  };
  if (status > 0) {
    info.status = status;
  }
  return info;
}

/** The error to stop a scan with when it is cancelled. */
export function cancelledError(): ScanError {
  return new ScanError(
    'cancelled',
    'The scan was cancelled. Detect again to start over.'
  );
}

/** How a failed call is treated: retried (transient) or turned into the ScanError to stop with. */
export interface IClassified {
  transient: boolean;
  retryAfterMs?: number;
  error: ScanError;
}

/**
 * Sorts an error from @qdrant/js-client-rest (ApiError with `status`, `headers`, `data`;
 * QdrantClientResourceExhaustedError with `retry_after` in seconds; QdrantClientTimeoutError),
 * from fetch (TypeError) or from anything shaped like them. The kind comes from STATUS_TABLE;
 * the message says what to do about it. A 409 comes from the Jupyter proxy: it cannot offer
 * the backend the Backend setting asks for.
 */
export function classify(
  error: unknown,
  collection: string,
  attempts = 1
): IClassified {
  if (error instanceof ScanError) {
    return { transient: false, error };
  }
  const e = (error ?? {}) as {
    name?: unknown;
    message?: unknown;
    status?: unknown;
    retry_after?: unknown;
    headers?: unknown;
    data?: unknown;
  };
  const name = typeof e.name === 'string' ? e.name : '';
  const message = typeof e.message === 'string' ? e.message : String(error);
  let status = typeof e.status === 'number' ? e.status : undefined;
  if (status === undefined) {
    const m = /Unexpected Response: (\d{3})/.exec(message);
    status = m ? Number(m[1]) : undefined;
  }
  let retryAfterMs: number | undefined;
  if (typeof e.retry_after === 'number' && isFinite(e.retry_after)) {
    status = status ?? 429;
    retryAfterMs = e.retry_after * 1000;
  }
  if (status === 429 && retryAfterMs === undefined) {
    retryAfterMs = parseRetryAfter(header(e.headers, 'retry-after'));
  }
  const tries = attempts === 1 ? '' : ` after ${attempts} attempts`;
  if (status !== undefined && status > 0) {
    const { kind, transient } = statusKind(status, 'backend-choice');
    const why = detail(e.data, message);
    const text = statusMessage(kind, status, why, collection, tries);
    if (text !== null) {
      return {
        transient,
        ...(status === 429 ? { retryAfterMs } : {}),
        error: new ScanError(kind, text, { status })
      };
    }
  }
  if (
    name === 'QdrantClientTimeoutError' ||
    name === 'TimeoutError' ||
    name === 'AbortError'
  ) {
    return {
      transient: true,
      error: new ScanError(
        'unreachable',
        `The Qdrant backend did not answer in time${tries}. Check that it is running and not overloaded; ` +
          'a smaller batch size makes each request quicker.'
      )
    };
  }
  if (
    name === 'TypeError' &&
    /fetch|network|load failed|socket|ECONN|ENOTFOUND|EAI_AGAIN|terminated/i.test(
      message + ' ' + String((error as { cause?: unknown })?.cause ?? '')
    )
  ) {
    return {
      transient: true,
      error: new ScanError(
        'unreachable',
        `Could not reach the Qdrant backend (${message})${tries}. Check that it is running and that ` +
          'the Jupyter server can reach it.'
      )
    };
  }
  return {
    transient: false,
    error: new ScanError(
      'server-error',
      `The scan stopped on an unexpected error: ${message}` +
        (status !== undefined ? ` (HTTP ${status})` : ''),
      status !== undefined ? { status } : {}
    )
  };
}

/** The message for a failed call with an HTTP status; null for a status that is no error. */
function statusMessage(
  kind: ScanErrorKind,
  status: number,
  why: string,
  collection: string,
  tries: string
): string | null {
  switch (kind) {
    case 'auth':
      return (
        `The Qdrant backend refused access (HTTP ${status}). Check the API key the Jupyter server ` +
        `uses for it (QDRANT_API_KEY or the server settings) and that the key may read "${collection}".`
      );
    case 'not-found':
      return `Collection "${collection}" was not found on this backend (HTTP 404). Refresh the list of collections and pick one that exists.`;
    case 'backend-choice':
      return `The Jupyter server cannot offer the backend this scan asked for (HTTP ${status}): ${why}.`;
    case 'unreachable':
      return (
        `The Jupyter server could not reach the Qdrant backend (HTTP ${status})${tries}: ${why}. ` +
        'Check that it is running and that the Jupyter server can reach it.'
      );
    case 'bad-request':
      return `Qdrant rejected the scan's request (HTTP ${status}): ${why}.`;
    case 'server-error':
      if (status === 429) {
        return (
          `The Qdrant backend kept answering "429 Too Many Requests"${tries}. ` +
          'Lower the requests in flight or the batch size, then detect again.'
        );
      }
      if (status === 408 || status >= 500) {
        return (
          `The Qdrant backend failed with HTTP ${status}${tries}: ${why}. ` +
          'Check its logs, or try again later.'
        );
      }
      return null;
    default:
      return null;
  }
}

/** Any error as a ScanError (a ScanError as is). */
export function asScanError(error: unknown): ScanError {
  return error instanceof ScanError ? error : classify(error, '').error;
}

/** Qdrant puts its reason in `{status: {error}}`; fall back to the error's own message. */
function detail(data: unknown, fallback: string): string {
  const reason = (data as { status?: { error?: unknown } } | null)?.status
    ?.error;
  if (typeof reason === 'string' && reason) {
    return reason;
  }
  if (typeof data === 'string' && data.trim()) {
    return data.trim().slice(0, 200);
  }
  return fallback || 'no details';
}

function header(headers: unknown, name: string): string | null {
  if (headers && typeof (headers as { get?: unknown }).get === 'function') {
    const value = (headers as { get(n: string): unknown }).get(name);
    return typeof value === 'string' ? value : null;
  }
  if (headers && typeof headers === 'object') {
    const value = (headers as Record<string, unknown>)[name];
    return typeof value === 'string' ? value : null;
  }
  return null;
}

/** Retry-After is either seconds or an HTTP date. */
function parseRetryAfter(value: string | null): number | undefined {
  if (!value) {
    return undefined;
  }
  const seconds = Number(value);
  if (isFinite(seconds)) {
    return Math.max(0, seconds * 1000);
  }
  const date = Date.parse(value);
  return isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
