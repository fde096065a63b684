// The details phase (issue 16): the payload fields the panel shows (sample id, thumbnail, an
// earlier scan's tag) for the points in a pair only, read by id once the pairs are known. The
// list phase reads every point's split and nothing more, so a million points' sample ids and
// thumbnails are never held when only a fifth of them are in a group; the panel, the saved
// scan and the kernel only ever show points in a pair.
import type { IScanContext } from './context';
import type { IListing } from './list';
import { payloadField } from './list';
import { runPool } from './pool';
import { readReview } from './review';
import type { IReviewTag } from './review';
import type { IPairList, IScanPoints } from './types';

/** Points read per request. */
export const DETAILS_BATCH = 1000;
/** Requests in flight. */
const DETAILS_IN_FLIGHT = 2;

/**
 * Fills `points`' sample ids, thumbnails and tags for every point in `pairs`
 * (points in no pair keep '' and null). A point Qdrant no longer has keeps its id as its
 * sample id, as a point without the field does.
 */
export async function readDetails(
  ctx: IScanContext,
  listing: IListing,
  points: IScanPoints,
  pairs: IPairList
): Promise<void> {
  const { queryIds, indexOf } = listing;
  const n = queryIds.length;
  // Made here, at their size, rather than grown while listing: they hold nothing until now.
  points.sampleIds = new Array<string>(n).fill('');
  points.thumbnails = new Array<string | null>(n).fill(null);
  if (ctx.request.reviewField) {
    points.reviews = new Array<IReviewTag | null>(n).fill(null);
  }
  const paired = new Uint8Array(n);
  for (let k = 0; k < pairs.a.length; k++) {
    paired[pairs.a[k]] = 1;
    paired[pairs.b[k]] = 1;
  }
  const wanted: number[] = [];
  for (let i = 0; i < n; i++) {
    if (paired[i]) {
      wanted.push(i);
      points.sampleIds[i] = String(points.ids[i]);
    }
  }
  if (wanted.length === 0) {
    return;
  }
  const { request, options, progress, calls, client } = ctx;
  const fields = options.payloadFields;
  progress.update({ described: 0, toDescribe: wanted.length });
  progress.setPhase('details');
  let next = 0;
  let done = 0;
  await runPool(
    () => next < wanted.length,
    () => {
      const batch = wanted.slice(next, next + DETAILS_BATCH);
      next += batch.length;
      return batch;
    },
    async batch => {
      const records = await calls.call(() =>
        client.retrieve(request.collection, {
          ids: batch.map(i => queryIds[i]),
          with_payload: fields,
          with_vector: false
        })
      );
      for (const record of records) {
        const i = indexOf.get(record.id);
        if (i === undefined) {
          continue;
        }
        const payload = (record.payload ?? {}) as Record<string, unknown>;
        const sample = payloadField(payload, options.sampleIdField);
        if (typeof sample === 'string' || typeof sample === 'number') {
          points.sampleIds[i] = String(sample);
        }
        if (request.thumbnailField) {
          const thumbnail = payloadField(payload, request.thumbnailField);
          points.thumbnails[i] =
            typeof thumbnail === 'string' ? thumbnail : null;
        }
        if (points.reviews && request.reviewField) {
          points.reviews[i] = readReview(
            payloadField(payload, request.reviewField)
          );
        }
      }
      done += batch.length;
      progress.update({ described: done });
    },
    DETAILS_IN_FLIGHT,
    ctx.signal
  );
}
