// Which thumbnail values the panel may load, and from where. A payload is data from anyone
// who wrote to the collection, so only three shapes become an <img>; the rest is shown as text.
// DOM-free, so the rules are unit tested on their own.

export type ThumbnailKind = 'url' | 'data' | 'file' | 'text';

export interface ThumbnailSource {
  kind: ThumbnailKind;
  /** What an <img> may load; set for every kind but 'text'. */
  src?: string;
  /** The value as text, for a placeholder or a tooltip (never markup). */
  text: string;
}

// Raster formats only: an SVG can carry script, and a data: or file SVG opened on its own
// (a new tab) would run it at the page's origin.
const DATA_IMAGE =
  /^data:image\/(?:png|jpeg|gif|webp|bmp);base64,[A-Za-z0-9+/]+={0,2}$/i;

/** A URI scheme ("http:", "javascript:", "C:" of a Windows path...). */
const SCHEME = /^[a-z][a-z0-9+.-]*:/i;

/** Image file names the panel asks Jupyter's /files/ for; other paths are likely not previews. */
const IMAGE_FILE = /\.(?:png|jpe?g|gif|webp|bmp|avif|ico|tiff?)$/i;

const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Classifies a thumbnail payload value:
 * - an http(s) URL -> 'url' (normalised by the URL parser);
 * - a base64 `data:image/(png|jpeg|gif|webp|bmp)` URI -> 'data';
 * - a relative path to an image file that stays under the Jupyter root -> 'file', served
 *   from `filesBaseUrl` (Jupyter's `/files/` URL) with each segment percent-encoded;
 * - anything else (javascript:, SVG data, absolute paths, `..` leaving the root, numbers,
 *   objects, a path with no `filesBaseUrl`) -> 'text'.
 */
export function classifyThumbnail(
  value: unknown,
  filesBaseUrl: string | null | undefined
): ThumbnailSource {
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
    if (url && (url.protocol === 'http:' || url.protocol === 'https:') && url.host) {
      return { kind: 'url', src: url.href, text };
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
  if (segments.length === 0 || !IMAGE_FILE.test(segments[segments.length - 1])) {
    return null;
  }
  return segments;
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
