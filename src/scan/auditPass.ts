// The audit phase (issue 12): before the main pass, a random sample of points is searched
// exactly, and each sampled point searched by its own vector to see whether the index reaches
// it; after the main pass, the sample's exact answers judge the pairs found. The statistics
// are in audit.ts; this file runs the queries.
import { answered, withUsing } from './batch';
import type { IQueryScope, IScanContext } from './context';
import { estimateRecall } from './audit';
import { firstExactPage } from './policies';
import { passes } from './metric';
import type { PairStore } from './pairs';
import { chunks, runChunks } from './pool';
import type { IRecallEstimate } from './types';
import { isSelfScore } from './vectors';

/** The audit's sample, asked before the main pass. */
export interface IAuditSample {
  indices: number[];
  /** Each sampled point's neighbours past the threshold, by exact search (dense indices). */
  truth: Map<number, number[]>;
  unreachable: number;
  exactSecondsPerPoint: number;
}

/** The sure route costs this much more than the by-id pass (vectors sent both ways; bench/README). */
const SURE_ROUTE_OVERHEAD = 1.2;

/**
 * The audit's queries: every sampled point's neighbours by exact search (pages grow until
 * one is not full), and whether a search with its own vector returns it (or an exact copy).
 */
export async function auditSample(
  ctx: IScanContext,
  scope: IQueryScope,
  indices: number[]
): Promise<IAuditSample> {
  const { client, request, options, calls } = ctx;
  const { batchSize } = options.policies.batching;
  const { inFlight } = options.policies.pool;
  const { queryIds, indexOf } = scope.listing;
  const { choice } = scope;
  const truth = new Map<number, number[]>();
  const started = ctx.now();
  const first = firstExactPage(options, Math.max(options.limit, 64));
  let pending = indices.map(index => ({ index, limit: first }));
  while (pending.length > 0) {
    const again: typeof pending = [];
    await runChunks(
      pending,
      batchSize,
      async batch => {
        const searches = batch.map(q =>
          withUsing(
            {
              query: queryIds[q.index],
              limit: q.limit,
              score_threshold: request.threshold,
              with_payload: false,
              with_vector: false,
              params: { ...scope.params, exact: true }
            },
            choice
          )
        );
        const responses = await answered(
          client,
          request.collection,
          calls,
          searches
        );
        batch.forEach((q, j) => {
          const hits = responses[j]?.points ?? [];
          if (hits.length >= q.limit) {
            again.push({ index: q.index, limit: q.limit * 4 });
            return;
          }
          const neighbours: number[] = [];
          for (const hit of hits) {
            const other = indexOf.get(hit.id);
            if (
              other !== undefined &&
              other !== q.index &&
              passes(Math.fround(hit.score), request.threshold, choice.distance)
            ) {
              neighbours.push(other);
            }
          }
          truth.set(q.index, neighbours);
        });
      },
      inFlight,
      ctx.signal
    );
    pending = again;
  }
  const exactSecondsPerPoint =
    (ctx.now() - started) / 1000 / Math.max(1, indices.length);
  let unreachable = 0;
  if (!options.exact) {
    for (const part of chunks(indices, batchSize)) {
      const own = await scope.vectors.fetch(part);
      const asked = part.filter(i => own.has(i));
      const searches = asked.map(i =>
        withUsing(
          {
            query: own.get(i)!.query,
            limit: 1,
            with_payload: false,
            with_vector: false,
            params: scope.params
          },
          choice
        )
      );
      const responses = asked.length
        ? await answered(client, request.collection, calls, searches)
        : [];
      asked.forEach((i, j) => {
        const top = responses[j]?.points?.[0];
        if (
          !top ||
          (indexOf.get(top.id) !== i &&
            !isSelfScore(top.score, own.get(i)!.selfScore))
        ) {
          unreachable++;
        }
      });
    }
  }
  return { indices, truth, unreachable, exactSecondsPerPoint };
}

/** The audit's verdict on a finished scan: its sample's exact answers against the pairs found. */
export function judge(
  sample: IAuditSample,
  pairs: PairStore,
  info: {
    seed: number;
    route: IRecallEstimate['route'];
    searchedExactly: number;
    coveredExactly: number;
    deferred?: number;
    n: number;
    mainSeconds: number;
  }
): IRecallEstimate {
  const estimate = estimateRecall(
    sample.indices.map(i => {
      const neighbours = sample.truth.get(i) ?? [];
      let found = 0;
      for (const j of neighbours) {
        if (pairs.has(i, j)) {
          found++;
        }
      }
      return { truth: neighbours.length, found };
    })
  );
  const sampled = sample.indices.length;
  const perPoint = sample.exactSecondsPerPoint;
  let cure: IRecallEstimate['cure'] = null;
  if (info.route === 'by-id' && sample.unreachable > 0) {
    cure = {
      route: 'sure',
      seconds:
        info.mainSeconds * SURE_ROUTE_OVERHEAD +
        (sample.unreachable / sampled) * info.n * perPoint
    };
  } else if (info.route !== 'exact' && estimate.missedPoints > 0) {
    cure = { route: 'exact', seconds: info.n * perPoint };
  }
  return {
    seed: info.seed,
    sampled,
    ...estimate,
    unreachable: sample.unreachable,
    route: info.route,
    searchedExactly: info.searchedExactly,
    coveredExactly: info.coveredExactly,
    ...(info.deferred ? { deferred: info.deferred } : {}),
    exactSecondsPerPoint: perPoint,
    cure
  };
}
