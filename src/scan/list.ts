// The list phase: every point id of the collection, with the payload fields the panel shows
// (sample id, thumbnail, split, an earlier scan's tag), never the vectors. Points get dense indices in listing order.
import type { QdrantId, IScanClient } from './client';
import type { IResolvedRequest } from './policies';
import { readReview } from './review';
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

/** Scrolls every point id with only the payload fields the panel shows; never the vectors. */
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
  let offset: QdrantId | undefined = undefined;
  for (;;) {
    const page = await calls.call(() =>
      client.scroll(request.collection, {
        limit: options.listPageSize,
        offset,
        with_payload: options.payloadFields.length
          ? options.payloadFields
          : false,
        with_vector: false
      })
    );
    for (const record of page.points ?? []) {
      if (indexOf.has(record.id)) {
        continue;
      }
      indexOf.set(record.id, queryIds.length);
      queryIds.push(record.id);
      const payload = (record.payload ?? {}) as Record<string, unknown>;
      const id = displayId(record.id);
      points.ids.push(id);
      const sample = payloadField(payload, options.sampleIdField);
      points.sampleIds.push(
        typeof sample === 'string' || typeof sample === 'number'
          ? String(sample)
          : String(id)
      );
      const thumbnail = request.thumbnailField
        ? payloadField(payload, request.thumbnailField)
        : null;
      points.thumbnails.push(typeof thumbnail === 'string' ? thumbnail : null);
      const split = request.splitField
        ? payloadField(payload, request.splitField)
        : null;
      points.splits.push(
        typeof split === 'string' || typeof split === 'number'
          ? String(split)
          : null
      );
      if (points.reviews && request.reviewField) {
        points.reviews.push(
          readReview(payloadField(payload, request.reviewField))
        );
      }
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
  return { points, queryIds, indexOf };
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
