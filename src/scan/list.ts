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
  indexOf: Map<unknown, number>;
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
  const indexOf = new Map<unknown, number>();
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
      indexOf.set(record.id, queryIds.length);
      queryIds.push(record.id);
      plainIds &&=
        typeof record.id === 'number' || typeof record.id === 'string';
      // Read for the points in a pair once the pairs are known (details.ts).
      points.sampleIds.push('');
      points.thumbnails.push(null);
      points.reviews?.push(null);
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

export function displayId(id: unknown): PointId {
  return typeof id === 'number' || typeof id === 'string' ? id : String(id);
}
