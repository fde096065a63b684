// The list phase: every point id of the collection, with its split (the leakage table counts
// every point's split), never the vectors. Points get dense indices in listing order. The other
// payload fields the panel shows (sample id, thumbnail, an earlier scan's tag) are read later,
// only for the points in a pair (details.ts): at a million points, listing them all held
// strings for every point that no group ever shows (issue 16: the worker under 300 MB).
// While the scan runs, the ids and splits are kept in typed arrays (listedPoints makes the
// panel's arrays at the end): V8 lets its garbage grow to a few times the live JS heap, so a
// million-entry JS array held through the scan costs several times its own size.
import type { QdrantId, IScanClient } from './client';
import type { IResolvedRequest } from './policies';
import type { ProgressReporter } from './progress';
import type { RetryingCaller } from './retry';
import type { PointId, IScanPoints, IScanRequest } from './types';

/** The points of a scan and how to find them again by the id Qdrant answers with. */
export interface IListing {
  /**
   * Ids as Qdrant sent them, by dense index: what queries send back. Ascending integer ids
   * (Qdrant's scroll order) are IdIndex's own Float64Array; other ids a JS array.
   */
  queryIds: ArrayLike<QdrantId>;
  /** Qdrant's id -> dense index. */
  indexOf: IdIndex;
  /** Each point's split, by dense index. */
  splits: SplitColumn;
  /** The request names a review field: the points get a tag each (details.ts). */
  reviews: boolean;
}

/** A listing of no points. */
export function emptyListing(): IListing {
  return {
    queryIds: [],
    indexOf: new IdIndex(),
    splits: new SplitColumn(),
    reviews: false
  };
}

/**
 * The panel's points of a listing: ids (as shown) and splits, one JS array each, made once the
 * scan no longer runs; sample ids, thumbnails and tags empty until details.ts reads them.
 */
export function listedPoints(listing: IListing): IScanPoints {
  const { queryIds } = listing;
  const ids: PointId[] = new Array(queryIds.length);
  for (let i = 0; i < queryIds.length; i++) {
    ids[i] = displayId(queryIds[i]);
  }
  return {
    ids,
    sampleIds: [],
    thumbnails: [],
    splits: listing.splits.toArray(),
    ...(listing.reviews ? { reviews: [] } : {})
  };
}

/**
 * Each point's split as a small code into the names read (2 bytes a point, 0 for none),
 * rather than a million-entry JS array of strings; past MAX_SPLIT_NAMES distinct names (a
 * field that is no split), each point's value as read, in a JS array.
 */
export class SplitColumn {
  get length(): number {
    return this.count;
  }

  /** Point `i`'s split, or null. */
  get(i: number): string | null {
    if (this.values) {
      return this.values[i];
    }
    const code = i < this.codes.length ? this.codes[i] : 0;
    return code === 0 ? null : this.names[code - 1];
  }

  /** The next point's split. */
  push(split: string | null): void {
    if (this.values) {
      this.values.push(split);
      this.count++;
      return;
    }
    let code = 0;
    if (split !== null) {
      code = this.codeOf.get(split) ?? 0;
      if (code === 0) {
        if (this.names.length === MAX_SPLIT_NAMES) {
          this.values = this.toArray();
          this.values.push(split);
          this.count++;
          this.codes = new Uint16Array(0);
          this.codeOf.clear();
          this.names = [];
          return;
        }
        this.names.push(split);
        code = this.names.length;
        this.codeOf.set(split, code);
      }
    }
    if (code !== 0 && this.codes.length <= this.count) {
      // Grown on the first split named, so a scan without splits holds none.
      const grown = new Uint16Array(Math.max(1024, 2 * (this.count + 1)));
      grown.set(this.codes);
      this.codes = grown;
    }
    if (code !== 0) {
      this.codes[this.count] = code;
    }
    this.count++;
  }

  /** Every point's split, in a JS array (the panel's form). */
  toArray(): (string | null)[] {
    if (this.values) {
      return this.values.slice();
    }
    const out = new Array<string | null>(this.count);
    for (let i = 0; i < this.count; i++) {
      out[i] = this.get(i);
    }
    return out;
  }

  private count = 0;
  private codes = new Uint16Array(0);
  private names: string[] = [];
  private readonly codeOf = new Map<string, number>();
  private values: (string | null)[] | null = null;
}

/** Distinct split names kept as codes; a field with more is kept as read. */
export const MAX_SPLIT_NAMES = 4096;

/**
 * Qdrant's id -> dense index. Qdrant scrolls integer ids in ascending order, so while they come
 * so, the index is the ids in one Float64Array searched by halves (8 bytes a point); any other
 * id (a UUID, a BigInt, one out of order) turns it into a Map (about 30 bytes a point: 29 MB at
 * a million points, issue 16).
 */
export class IdIndex {
  get size(): number {
    return this.count;
  }

  /** The dense index of `id`, if listed. */
  get(id: unknown): number | undefined {
    if (this.map) {
      return this.map.get(id);
    }
    if (typeof id !== 'number') {
      return undefined;
    }
    const ids = this.sorted;
    let lo = 0;
    let hi = this.count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const x = ids[mid];
      if (x < id) {
        lo = mid + 1;
      } else if (x > id) {
        hi = mid - 1;
      } else {
        return mid;
      }
    }
    return undefined;
  }

  has(id: unknown): boolean {
    return this.get(id) !== undefined;
  }

  /**
   * Every id listed, by dense index: while they are ascending integers, a view of the index's
   * own array (no copy); else a JS array of the Map's keys, in listing order.
   */
  inOrder(): ArrayLike<QdrantId> {
    if (this.map) {
      return [...this.map.keys()] as QdrantId[];
    }
    return this.sorted.subarray(0, this.count);
  }

  /** Lists `id` as the next dense index; the caller lists each id once. */
  add(id: unknown): void {
    if (!this.map) {
      if (
        typeof id === 'number' &&
        (this.count === 0 || id > this.sorted[this.count - 1])
      ) {
        if (this.count === this.sorted.length) {
          const grown = new Float64Array(
            Math.max(1024, this.sorted.length * 2)
          );
          grown.set(this.sorted);
          this.sorted = grown;
        }
        this.sorted[this.count++] = id;
        return;
      }
      this.map = new Map();
      for (let i = 0; i < this.count; i++) {
        this.map.set(this.sorted[i], i);
      }
      this.sorted = new Float64Array(0);
    }
    this.map.set(id, this.count++);
  }

  private sorted = new Float64Array(0);
  private map: Map<unknown, number> | null = null;
  private count = 0;
}

/** Scrolls every point id with its split only; never the vectors. */
export async function listPoints(
  client: IScanClient,
  request: IScanRequest,
  options: IResolvedRequest,
  calls: RetryingCaller,
  progress: ProgressReporter
): Promise<IListing> {
  // Ids as Qdrant sent them: u64 ids beyond 2^53 arrive as BigInt and must go back unchanged.
  const indexOf = new IdIndex();
  const splits = new SplitColumn();
  const splitField = request.splitField || null;
  let offset: QdrantId | undefined = undefined;
  for (;;) {
    const page = await calls.call(() =>
      client.scroll(request.collection, {
        limit: options.listPageSize,
        offset,
        with_payload: splitField ? [splitField] : false,
        with_vector: false
      })
    );
    for (const record of page.points ?? []) {
      if (indexOf.has(record.id)) {
        continue;
      }
      indexOf.add(record.id);
      // Sample ids, thumbnails and tags: sized and read once the pairs are known (details.ts).
      const split = splitField
        ? payloadField(
            (record.payload ?? {}) as Record<string, unknown>,
            splitField
          )
        : null;
      splits.push(
        typeof split === 'string' || typeof split === 'number'
          ? String(split)
          : null
      );
    }
    progress.update({ listed: indexOf.size });
    const next = page.next_page_offset;
    if (
      (typeof next !== 'string' &&
        typeof next !== 'number' &&
        typeof next !== 'bigint') ||
      (page.points ?? []).length === 0
    ) {
      break;
    }
    offset = next as QdrantId;
  }
  return {
    queryIds: indexOf.inOrder(),
    indexOf,
    splits,
    reviews: Boolean(request.reviewField)
  };
}

/** A payload value by key, or by dotted path into nested objects ("meta.sample_id"). */
export function payloadField(
  payload: Record<string, unknown>,
  key: string
): unknown {
  if (key in payload) {
    return payload[key];
  }
  let value: unknown = payload;
  for (const part of key.split('.')) {
    if (value === null || typeof value !== 'object') {
      return undefined;
    }
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function displayId(id: unknown): PointId {
  return typeof id === 'number' || typeof id === 'string' ? id : String(id);
}
