// The list phase: every point id of the collection, with its split (the leakage table counts
// every point's split), never the vectors. Points get dense indices in listing order. The other
// payload fields the panel shows (sample id, thumbnail, an earlier scan's tag) are read later,
// only for the points in a pair (details.ts): at a million points, listing them all held
// strings for every point that no group ever shows (issue 16: the worker under 300 MB).
import type { QdrantId, IScanClient } from './client';
import type { IResolvedRequest } from './policies';
import type { ProgressReporter } from './progress';
import type { RetryingCaller } from './retry';
import type { PointId, IScanPoints, IScanRequest } from './types';

/** The points of a scan and how to find them again by the id Qdrant answers with. */
export interface IListing {
  points: IScanPoints;
  /** Ids as Qdrant sent them, by dense index: what queries send back. */
  queryIds: QdrantId[];
  /** Qdrant's id -> dense index. */
  indexOf: IdIndex;
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
  const points: IScanPoints = {
    ids: [],
    sampleIds: [],
    thumbnails: [],
    splits: [],
    ...(request.reviewField ? { reviews: [] } : {})
  };
  // Ids as Qdrant sent them: u64 ids beyond 2^53 arrive as BigInt and must go back unchanged.
  const queryIds: QdrantId[] = [];
  const indexOf = new IdIndex();
  const splitField = request.splitField || null;
  // A few split names for a million points: one string each, not one per point.
  const splitNames = new Map<string, string>();
  let plainIds = true;
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
      queryIds.push(record.id);
      plainIds &&=
        typeof record.id === 'number' || typeof record.id === 'string';
      // Sample ids, thumbnails and tags: sized and read once the pairs are known (details.ts).
      const split = splitField
        ? payloadField(
            (record.payload ?? {}) as Record<string, unknown>,
            splitField
          )
        : null;
      points.splits.push(
        typeof split === 'string' || typeof split === 'number'
          ? splitName(splitNames, String(split))
          : null
      );
    }
    progress.update({ listed: queryIds.length });
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
  // Numbers and strings are shown as they are: one array serves both.
  points.ids = plainIds ? (queryIds as PointId[]) : queryIds.map(displayId);
  return { points, queryIds, indexOf };
}

/** The one string kept for a split name (up to a few thousand names; past that, as read). */
function splitName(names: Map<string, string>, name: string): string {
  const kept = names.get(name);
  if (kept !== undefined) {
    return kept;
  }
  if (names.size < 4096) {
    names.set(name, name);
  }
  return name;
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
