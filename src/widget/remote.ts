// Which http(s) thumbnail URLs a SampleGrid lets the browser load. A URL in a payload is data
// from anyone who wrote to the collection: it may be a tracking pixel, an intranet address,
// or the Jupyter server's own API (fetched with the user's cookie). DOM-free, unit tested.
// The panel's settings `remoteThumbnails` / `thumbnailHosts` hold the same policy; a grid
// follows its own trait (`remote_thumbnails`, `thumbnail_hosts`) or the panel's, whichever is
// stricter.

export type RemoteThumbnails = 'allowed' | 'listed' | 'off';

export interface IRemotePolicy {
  remote_thumbnails: RemoteThumbnails;
  /** Host names (no port) allowed under 'listed', lower case. */
  thumbnail_hosts: string[];
}

export const ALLOW_ALL: IRemotePolicy = { remote_thumbnails: 'allowed', thumbnail_hosts: [] };

/** A policy from synced traits or settings values; anything unknown reads as the strictest. */
export function readPolicy(mode: unknown, hosts: unknown): IRemotePolicy {
  const remote_thumbnails: RemoteThumbnails =
    mode === undefined || mode === null || mode === 'allowed'
      ? 'allowed'
      : mode === 'listed'
        ? 'listed'
        : 'off';
  const thumbnail_hosts = Array.isArray(hosts)
    ? hosts.filter((h): h is string => typeof h === 'string').map(normaliseHost)
    : [];
  return { remote_thumbnails, thumbnail_hosts };
}

/** The policy that lets through only what both let through. */
export function stricter(a: IRemotePolicy, b: IRemotePolicy): IRemotePolicy {
  if (a.remote_thumbnails === 'off' || b.remote_thumbnails === 'off') {
    return { remote_thumbnails: 'off', thumbnail_hosts: [] };
  }
  if (a.remote_thumbnails === 'allowed') {
    return b;
  }
  if (b.remote_thumbnails === 'allowed') {
    return a;
  }
  return {
    remote_thumbnails: 'listed',
    thumbnail_hosts: a.thumbnail_hosts.filter(h => b.thumbnail_hosts.includes(h))
  };
}

/** Where the Jupyter server is, as the page knows it. */
export interface IJupyterPlace {
  /** The page's own URL (location.href). */
  page: string;
  /** Jupyter's base URL (PageConfig.getBaseUrl()); may differ from the page's origin. */
  baseUrl: string;
}

/**
 * Null when the browser may load `url` (an absolute http(s) URL), else the reason it may not,
 * in words for the tile.
 */
export function refuseRemote(url: string, policy: IRemotePolicy, jupyter: IJupyterPlace): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'not a valid URL';
  }
  if (pointsAtJupyter(parsed, jupyter)) {
    return 'not loaded: the URL points at this Jupyter server';
  }
  if (policy.remote_thumbnails === 'off') {
    return 'remote image not loaded (remote thumbnails are off)';
  }
  if (
    policy.remote_thumbnails === 'listed' &&
    !policy.thumbnail_hosts.includes(normaliseHost(parsed.hostname))
  ) {
    return `remote image not loaded (${parsed.hostname} is not a listed thumbnail host)`;
  }
  return null;
}

/**
 * Whether a URL reaches the Jupyter server: the page's origin or the base URL's, by host and
 * port; a loopback name (localhost, 127.x, [::1], 0.0.0.0) stands for any other when the
 * server itself is on loopback, since they all reach the same socket.
 */
export function pointsAtJupyter(url: URL, jupyter: IJupyterPlace): boolean {
  const places: URL[] = [];
  for (const raw of [jupyter.page, jupyter.baseUrl]) {
    try {
      places.push(new URL(raw, jupyter.page));
    } catch {
      // an unreadable base URL names no place
    }
  }
  const port = portOf(url);
  const host = normaliseHost(url.hostname);
  return places.some(place => {
    if (portOf(place) !== port) {
      return false;
    }
    const placeHost = normaliseHost(place.hostname);
    return placeHost === host || (isLoopback(placeHost) && isLoopback(host));
  });
}

function portOf(url: URL): string {
  return url.port || (url.protocol === 'https:' ? '443' : '80');
}

function normaliseHost(host: string): string {
  return host.trim().toLowerCase().replace(/\.$/, '');
}

function isLoopback(host: string): boolean {
  // The URL parser has already turned 0x7f.1, 2130706433 and the like into dotted form.
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    /^127\.\d+\.\d+\.\d+$/.test(host) ||
    host === '0.0.0.0' ||
    host === '[::1]' ||
    host === '[::]' ||
    /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(host) ||
    host === '[::ffff:0:0]'
  );
}

/**
 * The panel's policy (its settings `remoteThumbnails`, `thumbnailHosts`), which every grid
 * also follows; the widget plugin keeps it current. Allow-all until settings are read.
 */
export class LabRemotePolicy {
  get policy(): IRemotePolicy {
    return this._policy;
  }

  /** Called with the panel's composite settings; unknown values read as the strictest. */
  update(remoteThumbnails: unknown, thumbnailHosts: unknown): void {
    this._policy = readPolicy(remoteThumbnails, thumbnailHosts);
    for (const listener of this._listeners) {
      listener();
    }
  }

  /** Calls `listener` after each update; returns the function that stops it. */
  listen(listener: () => void): () => void {
    this._listeners.add(listener);
    return () => this._listeners.delete(listener);
  }

  private _policy: IRemotePolicy = ALLOW_ALL;
  private readonly _listeners = new Set<() => void>();
}

/** The one the plugin updates and every grid view reads. */
export const labRemotePolicy = new LabRemotePolicy();
