// Queries by a point's own vector with the vector kept as the text it came in. The sure
// route fetches every point's vector and sends it straight back as a query; parsing ~256
// numbers per point from JSON and writing them again was a third of the cure's added CPU at
// 50k (bench/README, 7b), and in a browser the client parses with a reviver called for every
// number. Here only the ids and scores are parsed; a vector's numbers are read only when a
// point needs them (its score with itself, the fingerprint of an unreachable point).
import type { Schemas } from '@qdrant/js-client-rest';
import type { NeighbourAnswer, NeighbourQuery } from './client';

/** A dense vector as the text of its JSON array, without the brackets; parsed on demand. */
export class VectorText {
  constructor(readonly text: string) {}

  /** The numbers (parsed once). */
  values(): number[] {
    if (this.parsed === null) {
      this.parsed = JSON.parse(`[${this.text}]`) as number[];
    }
    return this.parsed;
  }

  private parsed: number[] | null = null;
}

/** A scroll page whose points carry their vector as text (null: the point has no such vector). */
export interface ITextPage {
  points: { id: Schemas['ExtendedPointId']; vector: VectorText | null }[];
}

/**
 * The two calls of the sure route with vectors as text: the scroll that fetches a batch's
 * vectors, and the query batch that sends them back. Optional in IScanClient: the official
 * client has no such calls, so createQdrantClient adds them (over the same URL, headers and
 * key); a client without them (test fakes) takes the parsed path.
 */
export interface ITextVectorCalls {
  scroll(
    collection: string,
    request: Schemas['ScrollRequest'],
    using: string | null
  ): Promise<ITextPage>;
  queryBatch(
    collection: string,
    request: { searches: NeighbourQuery[] }
  ): Promise<NeighbourAnswer[]>;
}

/** A query whose `query` is a VectorText. */
export function hasTextVector(search: NeighbourQuery): boolean {
  return search.query instanceof VectorText;
}

const VECTOR_TOKEN = /"__nd_vec_(\d+)__"/g;
const INT_TOKEN = /"__nd_int_(-?\d+)__"/g;

/**
 * A request body as JSON, with each VectorText written as its own text and each BigInt id as
 * its digits (as the official client writes them where JSON.rawJSON exists). The tokens are
 * strings no id, parameter or payload key of a neighbour query can hold (ids are integers or
 * UUIDs).
 */
export function encodeBody(body: unknown): string {
  const texts: string[] = [];
  const json = JSON.stringify(body, (_key, value: unknown) => {
    if (value instanceof VectorText) {
      texts.push(value.text);
      return `__nd_vec_${texts.length - 1}__`;
    }
    if (typeof value === 'bigint') {
      return `__nd_int_${value.toString()}__`;
    }
    return value;
  });
  return json
    .replace(VECTOR_TOKEN, (_m, k: string) => `[${texts[Number(k)]}]`)
    .replace(INT_TOKEN, (_m, digits: string) => digits);
}

/** Where JSON.rawJSON exists (browsers), the client reads unsafe integers as BigInt: so do we. */
const bigintReviver =
  'rawJSON' in JSON
    ? function (_key: string, value: unknown, context?: { source?: string }) {
        if (
          typeof value === 'number' &&
          Number.isInteger(value) &&
          !Number.isSafeInteger(value) &&
          context?.source !== undefined
        ) {
          try {
            return BigInt(context.source);
          } catch {
            return value;
          }
        }
        return value;
      }
    : undefined;

/** JSON as the official client reads it (ids beyond 2^53 as BigInt where the runtime can). */
export function parseLikeClient(text: string): unknown {
  return JSON.parse(text, bigintReviver as Parameters<typeof JSON.parse>[1]);
}

/**
 * A flat array of numbers: a dense vector in a scroll answer (no nesting, no strings). The
 * ids of a page with payload left out are never arrays, so nothing else matches.
 */
const NUMBER_ARRAY =
  /\[(\s*-?[0-9][0-9.eE+-]*(?:\s*,\s*-?[0-9][0-9.eE+-]*)*\s*)\]/g;

/**
 * A scroll answer's points with each vector cut out as text before the rest is parsed.
 * `using` null: the unnamed vector (`"vector": [...]`); else `"vector": {"<using>": [...]}`.
 * A point whose vector is not one flat array of numbers (absent, sparse, multi) gets null.
 */
export function parseTextPage(text: string, using: string | null): ITextPage {
  const vectors: string[] = [];
  const rest = text.replace(NUMBER_ARRAY, (_m, inner: string) => {
    vectors.push(inner);
    return String(vectors.length - 1);
  });
  const parsed = parseLikeClient(rest) as {
    result?: {
      points?: { id: Schemas['ExtendedPointId']; vector?: unknown }[];
    };
  };
  const points = parsed?.result?.points;
  if (!Array.isArray(points)) {
    throw new Error(
      "The backend answered a scroll with no points list. Check that it speaks Qdrant's REST API."
    );
  }
  return {
    points: points.map(p => {
      const stored =
        using === null
          ? p.vector
          : (p.vector as Record<string, unknown> | null | undefined)?.[using];
      return {
        id: p.id,
        vector:
          typeof stored === 'number' &&
          Number.isInteger(stored) &&
          stored < vectors.length
            ? new VectorText(vectors[stored])
            : null
      };
    })
  };
}

/** An HTTP answer other than 200/201, shaped like the client's ApiError for errors.ts. */
export class TextCallError extends Error {
  constructor(
    readonly status: number,
    readonly headers: Headers,
    readonly data: unknown
  ) {
    super(`Unexpected Response: ${status}`);
    this.name = 'ApiError';
  }
}

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/**
 * The text calls over plain fetch, with what the official client sends: the same base URL
 * (url + prefix), headers, api-key and per-request timeout (a timeout throws an error named
 * as the client's, so errors.ts treats both alike).
 */
export function textVectorCalls(
  connection: {
    url: string;
    prefix?: string;
    headers?: Record<string, string>;
    apiKey?: string;
    timeoutMs?: number;
  },
  fetchFn: FetchLike = (url, init) => fetch(url, init)
): ITextVectorCalls {
  let prefix = connection.prefix ?? '';
  if (prefix.length > 0 && !prefix.startsWith('/')) {
    prefix = `/${prefix}`;
  }
  const base = connection.url.replace(/\/+$/, '') + prefix.replace(/\/+$/, '');
  const headers: Record<string, string> = {
    ...(connection.headers ?? {}),
    'Content-Type': 'application/json',
    Accept: 'application/json'
  };
  if (typeof connection.apiKey === 'string') {
    headers['api-key'] = connection.apiKey;
  }
  const timeoutMs = connection.timeoutMs ?? 300_000;
  const post = async (path: string, body: string): Promise<string> => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    let response: Response;
    let text: string;
    try {
      response = await fetchFn(base + path, {
        method: 'POST',
        headers,
        body,
        signal: controller.signal
      });
      text = await response.text();
    } catch (e) {
      if (e instanceof Error && e.name === 'AbortError') {
        const timeout = new Error(e.message);
        timeout.name = 'QdrantClientTimeoutError';
        throw timeout;
      }
      throw e;
    } finally {
      clearTimeout(timer);
    }
    if (response.status !== 200 && response.status !== 201) {
      let data: unknown = text;
      try {
        data = JSON.parse(text);
      } catch {
        // not JSON: the text as it is
      }
      throw new TextCallError(response.status, response.headers, data);
    }
    return text;
  };
  const collectionPath = (name: string) =>
    `/collections/${encodeURIComponent(name)}/points`;
  return {
    async scroll(collection, request, using) {
      return parseTextPage(
        await post(`${collectionPath(collection)}/scroll`, encodeBody(request)),
        using
      );
    },
    async queryBatch(collection, request) {
      const parsed = parseLikeClient(
        await post(
          `${collectionPath(collection)}/query/batch`,
          encodeBody(request)
        )
      ) as { result?: NeighbourAnswer[] };
      return parsed?.result as NeighbourAnswer[];
    }
  };
}
