// The list phase: every point id of the collection, with its split (the leakage table counts
// every point's split), never the vectors. Points get dense indices in listing order. The other
// payload fields the panel shows (sample id, thumbnail, an earlier scan's tag) are read later,
// only for the points in a pair (details.ts): at a million points, listing them all held
// strings for every point that no group ever shows (issue 16: the worker under 300 MB).
// While the scan runs, the ids and splits are kept in typed arrays (listedPoints makes the
// panel's arrays at the end): V8 lets its garbage grow to a few times the live JS heap, so a
// million-entry JS array held through the scan costs several times its own size.
import { adoptSplitCodes, ISplitCodes, MAX_SPLIT_NAMES } from '../leakage';
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
}

/**
 * The panel's points of a listing: ids (as shown) and splits, one JS array each, made once the
 * scan no longer runs; sample ids, thumbnails and tags empty until details.ts reads them. The
 * splits' codes are kept for that array (leakage.ts splitCodesFor), not made again from it.
 */
export function listedPoints(listing: IListing): IScanPoints {
  const { queryIds } = listing;
  const ids: PointId[] = new Array(queryIds.length);
  for (let i = 0; i < queryIds.length; i++) {
    ids[i] = displayId(queryIds[i]);
  }
  const splits = listing.splits.toArray();
  adoptSplitCodes(splits, listing.splits.codes());
  return { ids, sampleIds: [], thumbnails: [], splits };
}

/**
 * Each point's split as leakage.ts codes it (ISplitCodes: 0 for none, k + 1 for names[k], in
 * the order first read), 2 bytes a point rather than a million-entry JS array of strings; past
 * MAX_SPLIT_NAMES distinct names (a field that is no split), each point's value as read.
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
    const code = i < this.coded.length ? this.coded[i] : 0;
    return code === 0 ? null : this.names[code - 1];
  }

  /** The next point's split. */
  push(split: string | null): void {
    const code = split === null || this.values ? 0 : this.codeOf(split);
    if (code < 0 || this.values) {
      // Past MAX_SPLIT_NAMES names: every point's value as read from here on.
      this.values ??= this.toArray();
      this.values.push(split);
    } else if (code > 0) {
      if (this.coded.length <= this.count) {
        // Grown on the first split named, so a scan without splits holds none.
        const grown = new Uint16Array(Math.max(1024, 2 * (this.count + 1)));
        grown.set(this.coded);
        this.coded = grown;
      }
      this.coded[this.count] = code;
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

  /** The codes of every point (as splitCodesOf makes them), or null past MAX_SPLIT_NAMES names. */
  codes(): ISplitCodes | null {
    if (this.values) {
      return null;
    }
    const codes = new Uint16Array(this.count);
    codes.set(this.coded.subarray(0, Math.min(this.count, this.coded.length)));
    return { names: this.names.slice(), codes };
  }

  /** The code of a split name, given one if new; -1 when there are too many names. */
  private codeOf(name: string): number {
    const known = this.index.get(name);
    if (known !== undefined) {
      return known;
    }
    if (this.names.length === MAX_SPLIT_NAMES) {
      return -1;
    }
    this.names.push(name);
    this.index.set(name, this.names.length);
    return this.names.length;
  }

  private count = 0;
  private coded = new Uint16Array(0);
  private readonly names: string[] = [];
  private readonly index = new Map<string, number>();
  private values: (string | null)[] | null = null;
}

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
  return { queryIds: indexOf.inOrder(), indexOf, splits };
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
