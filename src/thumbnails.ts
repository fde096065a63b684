// Which thumbnail values the panel may load, and from where. A payload is data from anyone
// who wrote to the collection, so only three shapes become an <img>; the rest is shown as text.
// DOM-free, so the rules are unit tested on their own.

export type ThumbnailKind = 'url' | 'data' | 'file' | 'text';

export interface IThumbnailSource {
  kind: ThumbnailKind;
  /** What an <img> may load; set for every kind but 'text'. */
  src?: string;
  /** The value as text, for a placeholder or a tooltip (never markup). */
  text: string;
  /** Why a value that looks like an image source is shown as text instead. */
  refused?: string;
}

/** Whether http(s) thumbnails load: from anywhere, from listed hosts only, or never. */
export type RemoteThumbnails = 'allowed' | 'listed' | 'off';

/** Where thumbnails may come from; built from the settings and the page's location. */
export interface IThumbnailPolicy {
  /** Jupyter's `/files/` URL for values that are paths; null shows paths as text. */
  filesBaseUrl: string | null;
  remote: RemoteThumbnails;
  /** Host names for `remote: 'listed'`; `*.example.org` also admits its subdomains. */
  hosts: readonly string[];
  /**
   * URLs of the Jupyter server (the page's origin, Jupyter's base URL): an absolute
   * thumbnail URL pointing there is never loaded, since the browser would send the
   * user's Jupyter cookie with it.
   */
  jupyterUrls: readonly string[];
}

// Raster formats only: an SVG can carry script, and a data: or file SVG opened on its own
// (a new tab) would run it at the page's origin.
const DATA_IMAGE =
  /^data:image\/(?:png|jpeg|gif|webp|bmp);base64,[A-Za-z0-9+/]+={0,2}$/i;

/** A URI scheme ("http:", "javascript:", "C:" of a Windows path...). */
const SCHEME = /^[a-z][a-z0-9+.-]*:/i;

/** Image file names the panel asks Jupyter's /files/ for; other paths are likely not previews. */
const IMAGE_FILE = /\.(?:png|jpe?g|gif|webp|bmp|avif|ico|tiff?)$/i;

// Control characters are exactly what this must find in a payload value.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Classifies a thumbnail payload value:
 * - an http(s) URL -> 'url' (normalised by the URL parser) when the policy lets it load:
 *   never one that points at the Jupyter server, and per `remote` otherwise;
 * - a base64 `data:image/(png|jpeg|gif|webp|bmp)` URI -> 'data';
 * - a relative path to an image file that stays under the Jupyter root -> 'file', served
 *   from `filesBaseUrl` (Jupyter's `/files/` URL) with each segment percent-encoded;
 * - anything else (javascript:, SVG data, absolute paths, `..` leaving the root, numbers,
 *   objects, a path with no `filesBaseUrl`) -> 'text'.
 */
export function classifyThumbnail(
  value: unknown,
  policy: IThumbnailPolicy | string | null | undefined
): IThumbnailSource {
  // A bare `/files/` URL is the older form: remote URLs allowed, no server to keep out.
  const rules: IThumbnailPolicy =
    typeof policy === 'object' && policy !== null
      ? policy
      : {
          filesBaseUrl: policy ?? null,
          remote: 'allowed',
          hosts: [],
          jupyterUrls: []
        };
  const filesBaseUrl = rules.filesBaseUrl;
  const text = asText(value);
  if (typeof value !== 'string') {
    return { kind: 'text', text };
  }
  const trimmed = value.trim();
  if (trimmed === '') {
    return { kind: 'text', text: '' };
  }

  if (/^https?:\/\//i.test(trimmed)) {
    const url = parseUrl(trimmed);
    if (
      url &&
      (url.protocol === 'http:' || url.protocol === 'https:') &&
      url.host
    ) {
      const refused = remoteRefusal(url, rules);
      return refused
        ? { kind: 'text', text, refused }
        : { kind: 'url', src: url.href, text };
    }
    return { kind: 'text', text };
  }

  if (/^data:/i.test(trimmed)) {
    // Base64 may arrive wrapped over several lines.
    const compact = trimmed.replace(/\s+/g, '');
    return DATA_IMAGE.test(compact)
      ? { kind: 'data', src: compact, text }
      : { kind: 'text', text };
  }

  if (SCHEME.test(trimmed) || !filesBaseUrl) {
    return { kind: 'text', text };
  }
  const path = relativeImagePath(trimmed);
  if (path === null) {
    return { kind: 'text', text };
  }
  return { kind: 'file', src: filesUrl(filesBaseUrl, path), text };
}

/**
 * The URL of a path under the Jupyter root, from Jupyter's `/files/` base URL:
 * `filesUrl('/user/x/files', ['a b', 'c.png'])` -> `/user/x/files/a%20b/c.png`.
 */
export function filesUrl(filesBaseUrl: string, segments: string[]): string {
  const base = filesBaseUrl.endsWith('/') ? filesBaseUrl : `${filesBaseUrl}/`;
  return base + segments.map(encodeURIComponent).join('/');
}

/**
 * The segments of a relative path to an image file, with `.` and inner `..` resolved;
 * null when the path is absolute, leaves the root, has control characters or backslashes
 * (a Windows path, or an attempt to smuggle a separator), or does not name an image file.
 */
export function relativeImagePath(path: string): string[] | null {
  if (
    path.startsWith('/') ||
    path.startsWith('~') ||
    path.includes('\\') ||
    CONTROL.test(path) ||
    SCHEME.test(path)
  ) {
    return null;
  }
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') {
      continue;
    }
    if (segment === '..') {
      if (segments.length === 0) {
        return null;
      }
      segments.pop();
      continue;
    }
    segments.push(segment);
  }
  if (
    segments.length === 0 ||
    !IMAGE_FILE.test(segments[segments.length - 1])
  ) {
    return null;
  }
  return segments;
}

/**
 * How an <img> asks for a source. Jupyter serves `/files/` to a cookie-authenticated GET
 * only with a same-origin Referer (it answers 403 "Blocking request from unknown origin"
 * without one), while a remote host should learn nothing about the Jupyter page.
 */
export function referrerPolicyFor(source: IThumbnailSource): ReferrerPolicy {
  return source.kind === 'file' ? 'same-origin' : 'no-referrer';
}

/** The remote part of a policy: the settings `remoteThumbnails` / `thumbnailHosts`, or a grid's traits. */
export interface IRemoteRule {
  remote: RemoteThumbnails;
  hosts: readonly string[];
}

/** A rule from settings or trait values; an unknown mode reads as the strictest ('off'). */
export function readRemoteRule(mode: unknown, hosts: unknown): IRemoteRule {
  const remote: RemoteThumbnails =
    mode === undefined || mode === null || mode === 'allowed'
      ? 'allowed'
      : mode === 'listed'
        ? 'listed'
        : 'off';
  const list = Array.isArray(hosts)
    ? hosts.filter((h): h is string => typeof h === 'string')
    : [];
  return { remote, hosts: list };
}

/**
 * The rule that lets through only what both let through (a grid's own traits and the
 * panel's settings): two host lists keep the entries they share.
 */
export function stricterRule(a: IRemoteRule, b: IRemoteRule): IRemoteRule {
  if (a.remote === 'off' || b.remote === 'off') {
    return { remote: 'off', hosts: [] };
  }
  if (a.remote === 'allowed') {
    return b;
  }
  if (b.remote === 'allowed') {
    return a;
  }
  const key = (host: string) => host.trim().toLowerCase().replace(/\.$/, '');
  const theirs = new Set(b.hosts.map(key));
  return {
    remote: 'listed',
    hosts: a.hosts.filter(host => theirs.has(key(host)))
  };
}

/** Why an http(s) thumbnail URL may not load under `policy`, or null when it may. */
export function remoteRefusal(
  url: URL,
  policy: IThumbnailPolicy
): string | null {
  if (policy.jupyterUrls.some(server => pointsAtServer(url, server))) {
    return 'it points at the Jupyter server itself, which would receive your Jupyter cookie';
  }
  if (policy.remote === 'off') {
    return 'remote thumbnails are off (setting "Remote thumbnails")';
  }
  if (
    policy.remote === 'listed' &&
    !policy.hosts.some(host => hostMatches(url.hostname, host))
  ) {
    return `${url.hostname} is not in the setting "Thumbnail hosts"`;
  }
  return null;
}

/**
 * Does `url` reach the server at `server`? The same host and port, where every loopback
 * spelling (localhost, 127.x.x.x, [::1], 0.0.0.0, *.localhost) is one host: a server on
 * localhost:8888 also answers at 127.0.0.1:8888.
 */
export function pointsAtServer(url: URL, server: string): boolean {
  const jupyter = parseUrl(server);
  if (!jupyter || !jupyter.host) {
    return false;
  }
  if (portOf(url) !== portOf(jupyter)) {
    return false;
  }
  const a = bareHost(url.hostname);
  const b = bareHost(jupyter.hostname);
  return a === b || (isLoopback(a) && isLoopback(b));
}

function portOf(url: URL): string {
  return (
    url.port ||
    (url.protocol === 'https:' ? '443' : url.protocol === 'http:' ? '80' : '')
  );
}

/** Lower case, without a trailing dot ("localhost." is localhost). */
function bareHost(hostname: string): string {
  return hostname.toLowerCase().replace(/\.$/, '');
}

/** The URL parser has already turned 2130706433, 127.1 and 0x7f.1 into dotted quads. */
function isLoopback(host: string): boolean {
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    /^127\.\d+\.\d+\.\d+$/.test(host) ||
    host === '0.0.0.0' ||
    host === '[::1]' ||
    host === '[::]' ||
    /^\[::ffff:(?:7f[0-9a-f]{2}:[0-9a-f]{1,4}|0:0)\]$/.test(host)
  );
}

/** `example.org` admits that host only; `*.example.org` admits it and its subdomains. */
function hostMatches(hostname: string, listed: string): boolean {
  const host = bareHost(hostname);
  let entry = listed.trim().toLowerCase();
  const wildcard = entry.startsWith('*.');
  if (wildcard) {
    entry = entry.slice(2);
  }
  // Through the URL parser, so an internationalised name compares in its punycode form.
  const parsed = parseUrl(`http://${entry}/`);
  if (!entry || !parsed || parsed.port || parsed.pathname !== '/') {
    return false;
  }
  const name = bareHost(parsed.hostname);
  return host === name || (wildcard && host.endsWith(`.${name}`));
}

function parseUrl(value: string): URL | null {
  try {
    return new URL(value);
  } catch {
    return null;
  }
}

/** Placeholder text is cut here: a payload field can hold megabytes. */
const MAX_TEXT = 300;

function asText(value: unknown): string {
  const text = toText(value);
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;
}

function toText(value: unknown): string {
  if (value === null || value === undefined) {
    return '';
  }
  if (typeof value === 'string') {
    return value;
  }
  if (typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return String(value);
  }
}
