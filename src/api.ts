// Talks to the server extension from the main thread: backend discovery, and the
// connection the scan worker uses to reach Qdrant through the Jupyter proxy.
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import type { IScanLease } from './scan/lease';
import type { BackendChoice } from './tokens';
import type { ICollectionDescription } from './scan/collection';
import type { IScanConnection } from './scan/protocol';
import type { PointId } from './scan/types';

/** One collection as `GET /near-duplicates/api/backend` describes it (scan/collection.ts's shape). */
export interface ICollectionInfo extends ICollectionDescription {
  name: string;
  /** Set when the server could not read this collection's info; the others still list. */
  error?: string;
}

export interface IBackendInfo {
  kind: 'embedded' | 'remote';
  /** Remote only; the key is never sent. */
  url?: string;
  version: string;
  collections: ICollectionInfo[];
  /** The backend kinds this server can offer. */
  available?: BackendChoice[];
  /** The kind the panel asked for (its Backend setting). */
  requested?: BackendChoice;
}

/** Names the backend a proxied request is for; the proxy picks it by this header. */
export const BACKEND_HEADER = 'X-Near-Duplicates-Backend';

/** What the model needs from the server; the tests hand in a fake. */
export interface INearDuplicatesApi {
  /** The backend of the given kind; rejects with status 409 when the server cannot offer it. */
  getBackend(kind: BackendChoice): Promise<IBackendInfo>;
  scanConnection(kind: BackendChoice): IScanConnection;
  /** Claims (or renews) the collection for a scan; rejects with status 409 while another scan holds it. */
  claimScan(collection: string, scanId: string): Promise<void>;
  releaseScan(scanId: string): Promise<void>;
  /** Where the scan worker renews the claim on `collection` while it scans. */
  scanLease(collection: string): IScanLease;
  /**
   * The named payload fields of points, read by id through the proxy (a read): for the
   * keep-one plan's rules on a payload field. Absent in tests that need no plan fields.
   */
  readPayload?(
    kind: BackendChoice,
    collection: string,
    ids: ReadonlyArray<PointId>,
    fields: ReadonlyArray<string>
  ): Promise<IPointPayload[]>;
}

/** One point's id (as Qdrant answered it) and the payload fields asked for. */
export interface IPointPayload {
  id: PointId;
  payload: Record<string, unknown>;
}

/** Points asked for in one retrieve, as the kernel's members.py BATCH. */
export const PAYLOAD_BATCH = 256;

/** The server keeps a claim this long unless renewed (ScanLeases.TTL_S). */
export const LEASE_TTL_MS = 30_000;
/** Renewed well within the lease, so one lost renewal costs nothing. */
export const LEASE_RENEW_MS = 10_000;

/**
 * A failed request to the server extension: JupyterLab's ResponseError, its message the
 * sentence the panel shows (the server's own, which says what to do). `status` is the
 * HTTP status, 0 when the Jupyter server did not answer at all.
 */
export class ServerApiError extends ServerConnection.ResponseError {
  get status(): number {
    return this.response.status;
  }
}

export class ServerApi implements INearDuplicatesApi {
  constructor(
    private readonly settings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {}

  async getBackend(kind: BackendChoice): Promise<IBackendInfo> {
    const text = await this.request(`backend?kind=${encodeURIComponent(kind)}`);
    return JSON.parse(text) as IBackendInfo;
  }

  async claimScan(collection: string, scanId: string): Promise<void> {
    await this.request('scans', {
      method: 'POST',
      body: JSON.stringify({ collection, scan_id: scanId })
    });
  }

  async releaseScan(scanId: string): Promise<void> {
    await this.request(`scans/${encodeURIComponent(scanId)}`, {
      method: 'DELETE',
      // Also sent when the page goes away (a reload), so Resume is not refused as busy.
      keepalive: true
    });
  }

  scanLease(collection: string): IScanLease {
    return {
      url: URLExt.join(
        this.settings.baseUrl,
        'near-duplicates',
        'api',
        'scans'
      ),
      collection,
      renewMs: LEASE_RENEW_MS,
      ttlMs: LEASE_TTL_MS
    };
  }

  async readPayload(
    kind: BackendChoice,
    collection: string,
    ids: ReadonlyArray<PointId>,
    fields: ReadonlyArray<string>
  ): Promise<IPointPayload[]> {
    const url = URLExt.join(
      this.settings.baseUrl,
      'near-duplicates',
      'qdrant',
      'collections',
      encodeURIComponent(collection),
      'points'
    );
    // Top-level keys: Qdrant's include list takes a nested field's first part.
    const include = [...new Set(fields.map(f => f.split('.')[0]))];
    const out: IPointPayload[] = [];
    for (let start = 0; start < ids.length; start += PAYLOAD_BATCH) {
      const chunk = ids.slice(start, start + PAYLOAD_BATCH);
      // Ids beyond 2^53 are kept as their digits: they go back as JSON numbers, unrounded.
      const body =
        `{"ids":[${chunk.map(idJson).join(',')}],` +
        `"with_payload":${JSON.stringify(include)},"with_vector":false}`;
      let response: Response;
      try {
        // Plain fetch with the scan's headers (token, XSRF, backend): ServerConnection adds a
        // cache-busting query string, which the read-only proxy refuses.
        response = await fetch(url, {
          method: 'POST',
          body,
          credentials: 'same-origin',
          cache: 'no-store',
          headers: {
            ...this.scanConnection(kind).headers,
            'Content-Type': 'application/json'
          }
        });
      } catch (error) {
        throw new ServerApiError(
          Response.error(),
          `The Jupyter server did not answer (${String(error)}). Check that it is running.`
        );
      }
      const text = await response.text();
      if (!response.ok) {
        throw new ServerApiError(
          response,
          serverMessage(response.status, text)
        );
      }
      const answer = JSON.parse(text) as {
        result?: { id: PointId; payload?: Record<string, unknown> | null }[];
      };
      for (const record of answer.result ?? []) {
        out.push({ id: record.id, payload: record.payload ?? {} });
      }
    }
    return out;
  }

  private async request(path: string, init: RequestInit = {}): Promise<string> {
    const url = URLExt.join(
      this.settings.baseUrl,
      'near-duplicates',
      'api',
      path
    );
    let response: Response;
    try {
      response = await ServerConnection.makeRequest(url, init, this.settings);
    } catch (error) {
      // A network error has no response: Response.error() is fetch's own stand-in (status 0).
      throw new ServerApiError(
        Response.error(),
        `The Jupyter server did not answer (${String(error)}). Check that it is running.`
      );
    }
    const text = await response.text();
    if (!response.ok) {
      throw new ServerApiError(response, serverMessage(response.status, text));
    }
    return text;
  }

  scanConnection(kind: BackendChoice): IScanConnection {
    const connection = proxyConnection(this.settings, documentCookie());
    connection.headers = { ...connection.headers, [BACKEND_HEADER]: kind };
    return connection;
  }
}

/**
 * The worker reaches Qdrant through `<baseUrl>near-duplicates/qdrant`. The Qdrant client
 * keeps only scheme, host and port of `url` (and defaults the port to 6333), so the port
 * is spelled out and the path goes in `prefix`. A worker sends no cookies of its own, so
 * Jupyter's token and XSRF value travel as headers.
 */
export function proxyConnection(
  settings: Pick<ServerConnection.ISettings, 'baseUrl' | 'token'>,
  cookie: string
): IScanConnection {
  const base = new URL(settings.baseUrl);
  const port = base.port || (base.protocol === 'https:' ? '443' : '80');
  const headers: Record<string, string> = {};
  if (settings.token) {
    headers['Authorization'] = `token ${settings.token}`;
  }
  const xsrf = cookie.match('\\b_xsrf=([^;]*)\\b');
  if (xsrf) {
    headers['X-XSRFToken'] = xsrf[1];
  }
  return {
    url: `${base.protocol}//${base.hostname}:${port}`,
    prefix: URLExt.join(base.pathname, 'near-duplicates', 'qdrant').replace(
      /\/$/,
      ''
    ),
    headers
  };
}

/** A point id in a JSON body: a number, the digits of an id beyond 2^53, or a UUID string. */
function idJson(id: PointId): string {
  return typeof id === 'string' && /^\d+$/.test(id) ? id : JSON.stringify(id);
}

function documentCookie(): string {
  return typeof document === 'undefined' ? '' : document.cookie;
}

function serverMessage(status: number, text: string): string {
  let message = '';
  try {
    const body = JSON.parse(text);
    message = body.message || body.status?.error || '';
  } catch {
    message = text.slice(0, 300);
  }
  if (status === 403) {
    return `The Jupyter server refused the request (403). Reload the page to sign in again. ${message}`.trim();
  }
  if (status === 404) {
    return 'The Near Duplicates server extension is not enabled on this Jupyter server. Run `jupyter server extension enable jupyterlab_near_duplicates` and restart it.';
  }
  return message || `The Jupyter server answered ${status}.`;
}
