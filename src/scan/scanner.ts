// The scan as a pipeline of phases: inspect the collection and choose the vector, list its
// points, audit a random sample exactly (issue 12), query every point's neighbours, check the
// pairs inside groups exactly, judge the audit, group. Each phase is its own module; how they
// go about it is set by named policies (policies.ts). Talks to Qdrant only through IScanClient.
import type { Schemas } from '@qdrant/js-client-rest';
import { auditSize, randomSeed, samplePoints } from './audit';
import { auditSample, IAuditSample, judge } from './auditPass';
import { groupCheckQueries, unreachableQueries } from './check';
import { groupBalls } from './cover';
import type { IScanClient, QdrantId } from './client';
import { chooseVector, describeCollection, IVectorChoice } from './collection';
import type { IQueryScope, IScanContext } from './context';
import { asScanError, cancelledError, ScanError } from './errors';
import { keepLayout, layOutChunks, pairsOfLayout, regroup } from './groups';
import { IListing, listedPoints, listPoints } from './list';
import { higherIsBetter } from './metric';
import { PairStore } from './pairs';
import {
  firstExactPage,
  PolicyOverrides,
  IResolvedRequest,
  resolveRequest
} from './policies';
import { defaultNow, ProgressReporter } from './progress';
import { IPendingQuery, NeighbourPass } from './queries';
import { defaultSleep, RetryingCaller, Sleep } from './retry';
import type {
  IPairList,
  IRecallEstimate,
  IScanPoints,
  IScanProgress,
  IScanRequest,
  IScanResult
} from './types';
import { VectorFetcher } from './vectors';
import { Checkpointer, checkpointIds, ICheckpointHooks } from './resume';
import { changedPoints, IChangedPoints } from './changes';
import { hasBit } from './checkpoint';
import { readDetails } from './details';
import { ILonelyStats, lonelyPass } from './lonely';

export type { NeighbourQuery, IScanClient } from './client';

// The largest requests a scan sends (the embedded backend's caps stay above them:
// tests/test_embedded_limits.py reads these two lines).
/** Pages never ask for more than this many neighbours, however often they grow. */
const MAX_PAGE = 1024;
/** Groups up to this size are checked pair by pair; a check query's limit is at most this. */
const CHECK_MAX_GROUP = 2048;
/** A batch of checking queries names at most about this many point ids in its filters. */
const CHECK_IDS_PER_BATCH = 20000;

/** What the scan needs from its host besides the client. */
export interface IScanHooks {
  onProgress?: (progress: IScanProgress) => void;
  /** Aborting stops the scan: no request is sent after it, and the scan rejects with 'cancelled'. */
  signal?: AbortSignal;
  /** Waits between retries; tests pass one that records delays instead of waiting. */
  sleep?: Sleep;
  /** A clock in milliseconds; tests can pass a fake one. */
  now?: () => number;
  /** Minimum time between two progress reports (phase changes are always reported at once). */
  progressIntervalMs?: number;
  /** Policies other than the defaults: the benchmark's variants (bench/variants.json). */
  policies?: PolicyOverrides;
  /** Keep the scan's progress as it runs, or take up a kept one (resume.ts). */
  checkpoint?: ICheckpointHooks;
}

/**
 * Scans a collection for near-duplicates. Resolves with every pair passing the threshold and the
 * groups; rejects with a ScanError (kind 'cancelled' when the signal aborts).
 */
export async function scanCollection(
  client: IScanClient,
  request: IScanRequest,
  hooks: IScanHooks = {}
): Promise<IScanResult> {
  const now = hooks.now ?? defaultNow;
  const signal = hooks.signal;
  const progress = new ProgressReporter(
    hooks.onProgress,
    now,
    hooks.progressIntervalMs ?? 100
  );
  let options: IResolvedRequest;
  try {
    options = resolveRequest(
      request,
      { maxPage: MAX_PAGE, idsPerBatch: CHECK_IDS_PER_BATCH },
      hooks.policies
    );
  } catch (error) {
    progress.fail(asScanError(error));
    throw error;
  }
  // Aborted by the caller's signal, and also when the scan fails, so that batches still
  // retrying in the background send nothing more.
  const stop = new AbortController();
  const forwardAbort = () => stop.abort();
  if (signal?.aborted) {
    stop.abort();
  }
  signal?.addEventListener('abort', forwardAbort);
  const calls = new RetryingCaller(
    options.policies.retry,
    hooks.sleep ?? defaultSleep,
    stop.signal,
    request.collection
  );
  const ctx: IScanContext = {
    client,
    request,
    options,
    calls,
    progress,
    signal: stop.signal,
    now
  };
  const started = now();
  let stopFlush: (() => Promise<void>) | null = null;
  const keeper = hooks.checkpoint
    ? new Checkpointer(hooks.checkpoint, now)
    : null;
  try {
    const kept = keeper ? await keeper.open(request.collection) : null;
    const { choice, pointsCount } = await inspect(ctx);
    if (pointsCount === 0) {
      const none = { ids: [], sampleIds: [], thumbnails: [], splits: [] };
      const pairs = new PairStore(higherIsBetter(choice.distance)).release();
      return group(ctx, choice, none, pairs, { started, queries: 0 });
    }
    progress.update({ total: pointsCount ?? 0 });
    progress.setPhase('listing');
    const listing = await listPoints(client, request, options, calls, progress);
    const n = listing.queryIds.length;
    progress.update({ listed: n, total: n });
    const changes = hooks.checkpoint?.changes === true;
    let changed: IChangedPoints | null = null;
    if (kept) {
      const why = Checkpointer.misfit(
        kept,
        request,
        choice,
        listing,
        options.exact,
        changes
      );
      if (why && changes) {
        throw new ScanError(
          'stale-checkpoint',
          `The changes of ${request.collection} cannot be scanned against its last scan: ${why}. Detect scans the collection again.`
        );
      } else if (why) {
        await hooks.checkpoint!.store.remove(hooks.checkpoint!.key);
        throw new ScanError(
          'stale-checkpoint',
          `The interrupted scan of ${request.collection} cannot be resumed: ${why}. Its saved progress was discarded; Detect scans the collection again.`
        );
      }
      if (changes) {
        changed = changedPoints(kept, listing);
      }
    }

    progress.setPhase('scanning');
    const params: Schemas['SearchParams'] = { exact: options.exact };
    if (request.hnswEf !== undefined) {
      params.hnsw_ef = request.hnswEf;
    }
    const { queryIds, indexOf } = listing;
    const vectors = new VectorFetcher(
      client,
      request.collection,
      choice,
      queryIds,
      calls,
      indexOf,
      options.policies.vectors
    );
    const scope: IQueryScope = { listing, choice, params, vectors };
    // The audit's exact answers come first: they also tell whether the index reaches every
    // point, which decides the route of the main pass.
    const sampleSize = options.auditPoints ?? auditSize(n);
    // A resumed scan checks its own sample again; a scan of changes draws one over the points now.
    const seed =
      (kept && !changes ? kept.auditSeed : undefined) ??
      request.auditSeed ??
      randomSeed();
    const sample =
      sampleSize > 0
        ? await auditSample(ctx, scope, samplePoints(n, sampleSize, seed))
        : null;
    const sure = takesSureRoute(options, sample);
    const mainStarted = now();
    const pass = new NeighbourPass(ctx, scope, sure);
    if (changed) {
      pass.restore(changed.known, changed.pairs, changed.unreachable, {
        queries: 0,
        searchedExactly: 0
      });
      restarted(ctx, pass);
    } else if (kept) {
      pass.restore(kept.done, kept.pairs, kept.unreachable, kept);
      restarted(ctx, pass);
    }
    if (keeper) {
      keeper.watch(
        pass,
        {
          collection: request.collection,
          using: choice.using,
          distance: choice.distance,
          threshold: request.threshold,
          exact: options.exact,
          n,
          auditSeed: seed
        },
        kept && !changed ? kept.ids : checkpointIds(listing)
      );
      pass.onBatch = () => keeper.tick();
      // Writes the checkpoint at once when the scan stops early, before the failure is told.
      stopFlush = () => keeper.flush();
    }
    await pass.run();
    const lonely = await check(
      ctx,
      pass,
      scope,
      changed ? i => !hasBit(changed!.known, i) : undefined
    );
    const audit = sample
      ? judge(sample, pass.pairs, {
          seed,
          route: options.exact ? 'exact' : sure ? 'sure' : 'by-id',
          searchedExactly: pass.searchedExactly,
          coveredExactly: pass.coveredExactly,
          deferred:
            options.policies.sureExact === 'deferred' && !options.exact
              ? coverAndLonelyRan(options, lonely)
                ? pass.deferredPoints(
                    changed ? i => !hasBit(changed!.known, i) : undefined
                  ).length
                : 0
              : undefined,
          n,
          mainSeconds: (now() - mainStarted) / 1000
        })
      : undefined;
    const points = listedPoints(listing);
    const pairs = laidOut(pass.pairs, points, choice);
    await readDetails(ctx, listing, points, pairs);
    const result = group(ctx, choice, points, pairs, {
      started,
      queries: pass.queries,
      audit
    });
    if (lonely) {
      result.stats.lonely = lonely;
    }
    if (changed) {
      result.stats.changes = {
        added: changed.added,
        deleted: changed.deleted,
        since: kept!.savedAt
      };
    }
    stopFlush = null;
    await keeper?.finish(result.pairs);
    return result;
  } catch (error) {
    stop.abort();
    await stopFlush?.().catch(() => undefined);
    const failure =
      signal?.aborted === true ? cancelledError() : asScanError(error);
    progress.fail(failure);
    throw failure;
  } finally {
    signal?.removeEventListener('abort', forwardAbort);
    progress.stop();
  }
}

/**
 * Both the group cover and the lonely pass ran through: the pairs of the points the index
 * cannot reach that sureExact 'deferred' left to them are found.
 */
function coverAndLonelyRan(
  options: IResolvedRequest,
  lonely: ILonelyStats | undefined
): boolean {
  return (
    options.policies.groupCover === 'groups' &&
    lonely !== undefined &&
    lonely.skipped === undefined
  );
}

/**
 * After a checkpoint (or a scan of changes' base) was taken up: the progress starts again from
 * there, so the rate and the time left count only what this run does.
 */
function restarted(ctx: IScanContext, pass: NeighbourPass): void {
  ctx.progress.update({
    scanned: pass.scanned,
    pairs: pass.pairs.count,
    groups: pass.components.groupCount
  });
  ctx.progress.setPhase('scanning');
}

/** The inspect phase: the collection's vectors and size, and the vector to compare by. */
async function inspect(
  ctx: IScanContext
): Promise<{ choice: IVectorChoice; pointsCount: number | null }> {
  ctx.progress.setPhase('inspecting');
  const info = await ctx.calls.call(() =>
    ctx.client.getCollection(ctx.request.collection)
  );
  const shape = describeCollection(info);
  return {
    choice: chooseVector(shape, ctx.request.collection, ctx.request.using),
    pointsCount: shape.points_count
  };
}

/**
 * The sure route (query by each point's own vector) is taken when asked for always, or by
 * 'auto' when the audit found points the index cannot reach. Exact scans need no route.
 */
function takesSureRoute(
  options: IResolvedRequest,
  sample: IAuditSample | null
): boolean {
  if (options.exact) {
    return false;
  }
  return (
    options.cure === 'always' ||
    (options.cure === 'auto' &&
      options.policies.autoCure &&
      sample !== null &&
      sample.unreachable > 0)
  );
}

/**
 * The check phase: the points the index cannot reach against each other (sure route,
 * sureExact 'unreachable'), then the pairs inside groups, then the pairs among the points in
 * no group (lonely.ts), then the cover around the groups (approximate scans only). `target`:
 * the points whose pairs the cover and the lonely pass make sure of (a scan of changes: its
 * new points; else all). Returns what the lonely pass did, if it ran.
 */
async function check(
  ctx: IScanContext,
  pass: NeighbourPass,
  scope: IQueryScope,
  target?: (i: number) => boolean
): Promise<ILonelyStats | undefined> {
  const { listing, choice } = scope;
  const { sureExact, groupCover, lonelyPairs } = ctx.options.policies;
  if (
    pass.unreachable.length > 1 &&
    (sureExact === 'unreachable' || sureExact === 'lonely')
  ) {
    pass.enqueue(unreachableQueries(pass.unreachable, listing.queryIds));
    await pass.run();
  }
  if (ctx.options.exact) {
    return undefined;
  }
  const queries = groupCheckQueries(
    ctx.options.policies.check,
    pass.components,
    pass.pairs,
    listing.queryIds,
    CHECK_MAX_GROUP
  );
  const checking = () => {
    ctx.progress.update({
      checked: pass.checked,
      toCheck: pass.checked + pass.queued
    });
    ctx.progress.setPhase('checking');
  };
  if (queries.count > 0) {
    pass.enqueueLazily(queries);
    checking();
    await pass.run();
  }
  let lonely: ILonelyStats | undefined;
  if (lonelyPairs === 'sketch') {
    checking();
    lonely = await lonelyPass(ctx, pass, scope, target);
  }
  if (sureExact === 'deferred' && !coverAndLonelyRan(ctx.options, lonely)) {
    // The points the index cannot reach were left to the cover and the lonely pass, and one
    // of them did not run (or stopped): each is searched exactly now, before the cover, so
    // the cover also takes in the groups it joins. (A scan of changes: its new points only.)
    if (pass.searchDeferred(target) > 0) {
      pass.countsToCheck = true;
      checking();
      await pass.run();
      pass.countsToCheck = false;
    }
  }
  if (groupCover === 'groups') {
    // After the lonely pass searched the new points in no group exactly, those still alone
    // have no neighbour at all: no old group need be asked about them.
    const aloneSearched = lonely?.searchedExactly !== undefined;
    await cover(ctx, pass, listing, choice, target, checking, aloneSearched);
  }
  return lonely;
}

/** A scan of changes: its new points that found no neighbour, by id. */
function newAndAlone(
  pass: NeighbourPass,
  listing: IListing,
  isNew: (i: number) => boolean
): QdrantId[] {
  const alone: QdrantId[] = [];
  for (let i = 0; i < listing.queryIds.length; i++) {
    if (isNew(i) && pass.components.sizeOf(i) === 1) {
      alone.push(listing.queryIds[i]);
    }
  }
  return alone;
}

/**
 * The cover (cover.ts): an exact search around each ball of a group's members, each point it
 * answers compared with the ball; then every point that joined a group here (it had found no
 * neighbour) is searched exactly, until none joins.
 */
async function cover(
  ctx: IScanContext,
  pass: NeighbourPass,
  listing: IListing,
  choice: IVectorChoice,
  target: ((i: number) => boolean) | undefined,
  checking: () => void,
  aloneSearched: boolean
): Promise<void> {
  const n = listing.queryIds.length;
  const { components } = pass;
  const ballsOf = (wanted?: (i: number) => boolean) =>
    groupBalls(
      pass.pairs,
      components,
      n,
      ctx.request.threshold,
      choice.distance,
      wanted
    );
  const balls = ballsOf(target);
  if (balls === null) {
    return;
  }
  // A scan of changes: the base scan covered its groups before the new points were there,
  // and a new point's own (approximate) search can miss an old member. So the old members of
  // every group are put in balls too, each searched exactly for the new points that found
  // nothing: by a has_id filter of up to a page of them (cheap to send with every ball), or,
  // past that, over the whole collection. (Not when the new points still alone were
  // searched exactly already.)
  const alone =
    target && !aloneSearched ? newAndAlone(pass, listing, target) : [];
  if (target && alone.length > 0) {
    const isOld = (i: number) => !target(i);
    const within =
      alone.length > ctx.options.policies.batching.maxPage ? undefined : alone;
    for (const ball of ballsOf(isOld) ?? []) {
      balls.push({ ...ball, within });
    }
  }
  if (balls.length === 0) {
    return;
  }
  const grouped = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    grouped[i] = components.sizeOf(i) > 1 ? 1 : 0;
  }
  const page = firstExactPage(ctx.options, ctx.options.limit);
  let next: IPendingQuery[] = balls.map(ball => ({
    index: ball.center,
    offset: 0,
    limit: page,
    exact: true,
    ball
  }));
  pass.countsToCheck = true;
  while (next.length > 0) {
    pass.enqueue(next);
    checking();
    await pass.run();
    next = [];
    for (let i = 0; i < n; i++) {
      if (!grouped[i] && components.sizeOf(i) > 1) {
        grouped[i] = 1;
        next.push({ index: i, offset: 0, limit: page, exact: true });
      }
    }
  }
  pass.countsToCheck = false;
}

/**
 * The scan's pairs, laid out for regrouping straight from the store's chunks, then taken from
 * that layout (sharing its scores): the pairs are never held in the store, in one list and in
 * the layout at once (issue 16: six million pairs are 80 MB a copy).
 */
function laidOut(
  store: PairStore,
  points: IScanPoints,
  choice: IVectorChoice
): IPairList {
  // Each chunk of the store is given back as soon as it is laid out.
  const layout = layOutChunks(
    store.takeChunks(),
    points.ids.length,
    choice.distance,
    true
  );
  const pairs = pairsOfLayout(layout);
  keepLayout({ points, pairs, distance: choice.distance }, layout);
  return pairs;
}

/** The group phase: the groups at the scan's threshold, and the result with its stats. */
function group(
  ctx: IScanContext,
  choice: IVectorChoice,
  points: IScanPoints,
  pairs: IPairList,
  done: { started: number; queries: number; audit?: IRecallEstimate }
): IScanResult {
  const { request, calls, progress } = ctx;
  progress.setPhase('grouping');
  const scan = {
    collection: request.collection,
    using: choice.using,
    distance: choice.distance,
    threshold: request.threshold,
    points,
    pairs
  };
  const groups = regroup(scan, request.threshold);
  progress.update({ groups: groups.length });
  progress.setPhase('complete');
  return {
    ...scan,
    groups,
    ...(done.audit ? { audit: done.audit } : {}),
    stats: {
      seconds: (ctx.now() - done.started) / 1000,
      queries: done.queries,
      requests: calls.requests,
      retries: calls.retries
    }
  };
}
