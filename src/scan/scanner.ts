// The scan itself: inspect a collection, list its point ids, audit a random sample exactly,
// query every point's neighbours (by id; by vector on the sure route, with exact search for the
// points the index cannot reach), and union the pairs into groups. Talks to Qdrant only through ScanClient, which the
// official QdrantClient satisfies, so the same code runs in the worker, in Node and in tests.
import type { Schemas } from '@qdrant/js-client-rest';
import { auditSize, estimateRecall, randomSeed, samplePoints } from './audit';
import {
  chooseVector,
  CollectionInfoLike,
  describeCollection,
  UNNAMED_VECTOR,
  VectorChoice
} from './collection';
import { asScanError, cancelledError, classify, ScanError } from './errors';
import { regroup } from './groups';
import { higherIsBetter, passes } from './metric';
import { PairStore } from './pairs';
import {
  CureMode,
  SureExact,
  PointId,
  RecallEstimate,
  RetryPolicy,
  SCAN_DEFAULTS,
  ScanErrorInfo,
  ScanPhase,
  ScanPoints,
  ScanProgress,
  ScanRequest,
  ScanResult
} from './types';
import { UnionFind } from './unionFind';

/** One neighbour query: by point id or vector, with Qdrant's strict score_threshold. */
export type NeighbourQuery = Schemas['QueryRequest'];

/**
 * The three calls the scan makes. `QdrantClient` from @qdrant/js-client-rest satisfies it as
 * is; tests pass a fake. Result types are subsets of the client's, so fakes stay small.
 */
export interface ScanClient {
  getCollection(collection_name: string): Promise<CollectionInfoLike>;
  scroll(
    collection_name: string,
    request: Schemas['ScrollRequest']
  ): Promise<{
    points: Pick<Schemas['Record'], 'id' | 'payload' | 'vector'>[];
    next_page_offset?: Schemas['ScrollResult']['next_page_offset'];
  }>;
  queryBatch(
    collection_name: string,
    request: { searches: NeighbourQuery[] }
  ): Promise<{ points: Pick<Schemas['ScoredPoint'], 'id' | 'score'>[] }[]>;
}

/** What the scan needs from its host besides the client. */
export interface ScanHooks {
  onProgress?: (progress: ScanProgress) => void;
  /** Aborting stops the scan: no request is sent after it, and the scan rejects with 'cancelled'. */
  signal?: AbortSignal;
  /** Waits between retries; tests pass one that records delays instead of waiting. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** A clock in milliseconds; tests can pass a fake one. */
  now?: () => number;
  /** Minimum time between two progress reports (phase changes are always reported at once). */
  progressIntervalMs?: number;
}

/** Pages never ask for more than this many neighbours, however often they grow. */
const MAX_PAGE = 1024;
/** Groups from this size up to CHECK_MAX_GROUP are checked pair by pair after the main pass. */
const CHECK_MIN_GROUP = 3;
const CHECK_MAX_GROUP = 2048;
/** A batch of checking queries names at most about this many point ids in its filters. */
const CHECK_IDS_PER_BATCH = 20000;
/** hnsw_ef of the sure route's second search for a point the index cannot reach. */
const WIDE_EF = 512;
/** With no change to report, progress still goes out this often so rate and ETA stay fresh. */
const HEARTBEAT_MS = 250;
/**
 * Scans a collection for near-duplicates. Resolves with every pair passing the threshold and the
 * groups; rejects with a ScanError (kind 'cancelled' when the signal aborts).
 */
export async function scanCollection(
  client: ScanClient,
  request: ScanRequest,
  hooks: ScanHooks = {}
): Promise<ScanResult> {
  const now = hooks.now ?? defaultNow;
  const signal = hooks.signal;
  const progress = new ProgressReporter(
    hooks.onProgress,
    now,
    hooks.progressIntervalMs ?? 100
  );
  let options: ResolvedRequest;
  try {
    options = resolveRequest(request);
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
    options.retry,
    hooks.sleep ?? defaultSleep,
    stop.signal,
    request.collection
  );
  const started = now();
  let queries = 0;

  try {
    progress.setPhase('inspecting');
    const info = await calls.call(() =>
      client.getCollection(request.collection)
    );
    const shape = describeCollection(info);
    const choice = chooseVector(shape, request.collection, request.using);
    const points: ScanPoints = {
      ids: [],
      sampleIds: [],
      thumbnails: [],
      splits: []
    };
    let audit: RecallEstimate | undefined;
    const finish = (pairs: PairStore): ScanResult => {
      progress.setPhase('grouping');
      const scan = {
        collection: request.collection,
        using: choice.using,
        distance: choice.distance,
        threshold: request.threshold,
        points,
        pairs: pairs.toList()
      };
      const groups = regroup(scan, request.threshold);
      progress.update({ groups: groups.length });
      progress.setPhase('complete');
      return {
        ...scan,
        groups,
        ...(audit ? { audit } : {}),
        stats: {
          seconds: (now() - started) / 1000,
          queries,
          requests: calls.requests,
          retries: calls.retries
        }
      };
    };
    const higher = higherIsBetter(choice.distance);
    if (shape.points_count === 0) {
      return finish(new PairStore(higher));
    }

    progress.update({ total: shape.points_count ?? 0 });
    progress.setPhase('listing');
    const listing = await listPoints(client, request, options, calls, progress);
    const { queryIds, indexOf } = listing;
    Object.assign(points, listing.points);
    const n = queryIds.length;
    progress.update({ listed: n, total: n });

    progress.setPhase('scanning');
    const params: Schemas['SearchParams'] = { exact: options.exact };
    if (request.hnswEf !== undefined) {
      params.hnsw_ef = request.hnswEf;
    }
    const vectors = new VectorFetcher(client, request.collection, choice, queryIds, calls, indexOf);
    // The audit's exact answers come first: they also tell whether the index reaches every
    // point, which decides the route of the main pass.
    const sampleSize = options.auditPoints ?? auditSize(n);
    const seed = request.auditSeed ?? randomSeed();
    const sample =
      sampleSize > 0
        ? await auditSample(
            client,
            request,
            options,
            calls,
            stop.signal,
            vectors,
            { queryIds, indexOf, params, choice, now },
            samplePoints(n, sampleSize, seed)
          )
        : null;
    const sure =
      !options.exact &&
      (options.cure === 'always' ||
        (options.cure === 'auto' && sample !== null && sample.unreachable > 0));
    const mainStarted = now();
    let searchedExactly = 0;
    // Sure route, sureExact 'unreachable': the points the index cannot reach, compared
    // exactly with each other once the main pass is done.
    const unreachable: number[] = [];
    const pairs = new PairStore(higher);
    const components = new UnionFind(n);
    let scanned = 0;
    let checked = 0;
    let mainCursor = 0;
    // Full pages asked again go first, so a point is finished soon after it started.
    const followUps: PendingQuery[] = [];
    const takeBatch = (): PendingQuery[] => {
      let take = 0;
      let ids = 0;
      while (take < followUps.length && take < options.batchSize) {
        ids += followUps[take].members?.length ?? 0;
        if (take > 0 && ids > CHECK_IDS_PER_BATCH) {
          break;
        }
        take++;
      }
      const batch = followUps.splice(0, take);
      while (batch.length < options.batchSize && mainCursor < n) {
        batch.push({ index: mainCursor++, offset: 0, limit: options.limit, byVector: sure });
      }
      return batch;
    };

    const runBatch = async (batch: PendingQuery[]): Promise<void> => {
      // The sure route: vectors of this batch only, dropped with it (memory stays batch x d).
      const own = await vectors.fetch(batch.filter(q => q.byVector).map(q => q.index));
      for (const q of batch) {
        if (q.byVector && !own.has(q.index)) {
          // No vector came back (the point went since listing): its id answers as before.
          q.byVector = false;
          q.exact = true;
        }
      }
      const searches: NeighbourQuery[] = batch.map(q => {
        const search: NeighbourQuery = {
          // The point itself is among the answers to its own vector: one more than the page.
          query: q.byVector ? own.get(q.index)!.vector : queryIds[q.index],
          limit: q.byVector ? q.limit + 1 : q.limit,
          score_threshold: request.threshold,
          with_payload: false,
          with_vector: false,
          params
        };
        if (choice.using !== UNNAMED_VECTOR) {
          search.using = choice.using;
        }
        if (q.offset > 0) {
          search.offset = q.offset;
        }
        if (q.members) {
          search.filter = { must: [{ has_id: q.members }] };
          search.params = { ...params, exact: true };
        } else if (q.exact) {
          search.params = { ...params, exact: true };
        } else if (q.wide) {
          search.params = { ...params, hnsw_ef: Math.max(WIDE_EF, params.hnsw_ef ?? 0) };
        }
        return search;
      });
      const responses = await calls.call(() =>
        client.queryBatch(request.collection, { searches })
      );
      if (!Array.isArray(responses) || responses.length !== batch.length) {
        throw new ScanError(
          'server-error',
          `The backend answered ${batch.length} neighbour queries with ` +
            `${Array.isArray(responses) ? responses.length : 'no'} results. Check that the backend speaks Qdrant's REST API.`
        );
      }
      queries += batch.length;
      for (let j = 0; j < batch.length; j++) {
        const q = batch[j];
        const hits = responses[j]?.points ?? [];
        let reached = false;
        for (const hit of hits) {
          if (q.byVector && indexOf.get(hit.id) === q.index) {
            reached = true;
          }
          const other = indexOf.get(hit.id);
          // Points added after listing are not part of this scan; the point itself is no pair.
          if (other === undefined || other === q.index) {
            continue;
          }
          // Judged as stored (float32), so regrouping at this threshold keeps exactly these pairs.
          const score = Math.fround(hit.score);
          if (!passes(score, request.threshold, choice.distance)) {
            continue;
          }
          if (pairs.add(q.index, other, score)) {
            components.union(q.index, other);
          }
        }
        const cannotReach =
          q.byVector && !reached && !isSelfScore(hits[0]?.score, own.get(q.index)!.selfScore);
        if (cannotReach) {
          searchedExactly++;
        }
        if (cannotReach && options.sureExact === 'collection') {
          // Neither the point nor an exact copy of it came back for its own vector: the
          // index cannot reach it. Exact search over the whole collection can.
          followUps.push({ index: q.index, offset: 0, limit: options.limit, exact: true });
        } else if (cannotReach) {
          // Its own vector leads the search towards the neighbours the index does reach;
          // asked again with a wide search (hnsw_ef WIDE_EF), so a narrow one that stopped
          // short does not lose them. The neighbours the index cannot reach either are
          // compared exactly with it after the main pass.
          unreachable.push(q.index);
          followUps.push({ index: q.index, offset: 0, limit: options.limit, wide: true });
        } else if (q.members) {
          checked++;
        } else if (hits.length >= (q.byVector ? q.limit + 1 : q.limit)) {
          // A full page may hide more neighbours above the threshold: ask again from the
          // start for more (32, 96, 224, 480, 1024 at limit 32: log(size) rounds), past
          // MAX_PAGE by offset. Not by offset before: Qdrant orders equal scores (exact
          // copies) arbitrarily, and differently for another limit, so a next page by offset
          // repeats some copies and skips others. The engine searches offset + limit either
          // way, so asking from the start costs the same search.
          const cap = Math.max(MAX_PAGE, options.limit);
          followUps.push(
            q.offset === 0 && q.limit < cap
              ? { index: q.index, offset: 0, limit: Math.min(q.limit * 2 + options.limit, cap), exact: q.exact, wide: q.wide }
              : { index: q.index, offset: q.offset + q.limit, limit: cap, exact: q.exact, wide: q.wide }
          );
        } else {
          scanned++;
        }
      }
      progress.update({
        scanned,
        checked,
        pairs: pairs.count,
        groups: components.groupCount
      });
    };

    await runPool(
      () => followUps.length > 0 || mainCursor < n,
      takeBatch,
      runBatch,
      options.inFlight,
      stop.signal
    );

    if (unreachable.length > 1) {
      // Points the index cannot reach, against each other: member k asks exactly about the
      // ones after it (has_id, so the engine compares with those points only).
      const ids = unreachable.map(i => queryIds[i]);
      for (let k = 0; k + 1 < unreachable.length; k++) {
        const after = ids.slice(k + 1);
        followUps.push({ index: unreachable[k], offset: 0, limit: after.length + 1, members: after });
      }
      await runPool(() => followUps.length > 0, takeBatch, runBatch, options.inFlight, stop.signal);
    }
    if (!options.exact) {
      // Checking: an approximate (HNSW) search can miss a few neighbours among exact copies:
      // its neighbour selection prunes a candidate as close to a chosen neighbour as to the
      // node, and between copies every distance is 0, so copies keep few links among
      // themselves. Inside every group of 3 or more, member k asks once, exactly, about the
      // members after it whose pair with it is not known yet (a has_id filter: the engine
      // compares with those points only, so it is cheap). Every pair inside a group is then
      // known, so the weakest link and the regroup at a stricter threshold are exact. (A
      // group of 2 is its one pair.)
      for (const members of groupMembers(components, n, CHECK_MIN_GROUP, CHECK_MAX_GROUP)) {
        for (let k = 0; k + 1 < members.length; k++) {
          const i = members[k];
          const unknown: Schemas['ExtendedPointId'][] = [];
          for (let m = k + 1; m < members.length; m++) {
            if (!pairs.has(i, members[m])) {
              unknown.push(queryIds[members[m]]);
            }
          }
          if (unknown.length > 0) {
            // One more than can match, so the page is never full and never asked again.
            followUps.push({ index: i, offset: 0, limit: unknown.length + 1, members: unknown });
          }
        }
      }
      if (followUps.length > 0) {
        progress.update({ checked: 0, toCheck: followUps.length });
        progress.setPhase('checking');
        await runPool(
          () => followUps.length > 0,
          takeBatch,
          runBatch,
          options.inFlight,
          stop.signal
        );
      }
    }
    if (sample) {
      audit = judge(sample, pairs, {
        seed,
        route: options.exact ? 'exact' : sure ? 'sure' : 'by-id',
        searchedExactly,
        n,
        mainSeconds: (now() - mainStarted) / 1000
      });
    }
    return finish(pairs);
  } catch (error) {
    stop.abort();
    const failure =
      signal?.aborted === true ? cancelledError() : asScanError(error);
    progress.fail(failure);
    throw failure;
  } finally {
    signal?.removeEventListener('abort', forwardAbort);
    progress.stop();
  }
}

/** Which page of which point's neighbours to ask for. */
interface PendingQuery {
  index: number;
  offset: number;
  limit: number;
  /** Checking: the query is exact and compares with these points only. */
  members?: Schemas['ExtendedPointId'][];
  /** The sure route's first page: the query is the point's vector, not its id. */
  byVector?: boolean;
  /** Exact search (the sure route, for a point the index cannot reach). */
  exact?: boolean;
  /** A wide HNSW search (hnsw_ef WIDE_EF): the sure route, for a point the index cannot reach. */
  wide?: boolean;
}

/** What the audit's queries need from the scan. */
interface AuditContext {
  queryIds: Schemas['ExtendedPointId'][];
  indexOf: Map<unknown, number>;
  params: Schemas['SearchParams'];
  choice: VectorChoice;
  now: () => number;
}

/** The audit's sample, asked before the main pass. */
interface AuditSample {
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
async function auditSample(
  client: ScanClient,
  request: ScanRequest,
  options: ResolvedRequest,
  calls: RetryingCaller,
  signal: AbortSignal,
  vectors: VectorFetcher,
  ctx: AuditContext,
  indices: number[]
): Promise<AuditSample> {
  const { queryIds, indexOf, choice } = ctx;
  const truth = new Map<number, number[]>();
  const started = ctx.now();
  let pending = indices.map(index => ({ index, limit: Math.max(options.limit, 64) }));
  while (pending.length > 0) {
    const again: typeof pending = [];
    const batches = chunks(pending, options.batchSize);
    let cursor = 0;
    await runPool(
      () => cursor < batches.length,
      () => batches[cursor++],
      async batch => {
        const searches = batch.map(q =>
          withUsing(
            {
              query: queryIds[q.index],
              limit: q.limit,
              score_threshold: request.threshold,
              with_payload: false,
              with_vector: false,
              params: { ...ctx.params, exact: true }
            },
            choice
          )
        );
        const responses = await answered(client, request, calls, searches);
        batch.forEach((q, j) => {
          const hits = responses[j]?.points ?? [];
          if (hits.length >= q.limit) {
            again.push({ index: q.index, limit: q.limit * 4 });
            return;
          }
          const neighbours: number[] = [];
          for (const hit of hits) {
            const other = indexOf.get(hit.id);
            if (other !== undefined && other !== q.index &&
                passes(Math.fround(hit.score), request.threshold, choice.distance)) {
              neighbours.push(other);
            }
          }
          truth.set(q.index, neighbours);
        });
      },
      options.inFlight,
      signal
    );
    pending = again;
  }
  const exactSecondsPerPoint = (ctx.now() - started) / 1000 / Math.max(1, indices.length);
  let unreachable = 0;
  if (!options.exact) {
    for (const part of chunks(indices, options.batchSize)) {
      const own = await vectors.fetch(part);
      const asked = part.filter(i => own.has(i));
      const searches = asked.map(i =>
        withUsing(
          {
            query: own.get(i)!.vector,
            limit: 1,
            with_payload: false,
            with_vector: false,
            params: ctx.params
          },
          choice
        )
      );
      const responses = asked.length ? await answered(client, request, calls, searches) : [];
      asked.forEach((i, j) => {
        const top = responses[j]?.points?.[0];
        if (!top || (indexOf.get(top.id) !== i && !isSelfScore(top.score, own.get(i)!.selfScore))) {
          unreachable++;
        }
      });
    }
  }
  return { indices, truth, unreachable, exactSecondsPerPoint };
}

/** The audit's verdict on a finished scan: its sample's exact answers against the pairs found. */
function judge(
  sample: AuditSample,
  pairs: PairStore,
  info: {
    seed: number;
    route: RecallEstimate['route'];
    searchedExactly: number;
    n: number;
    mainSeconds: number;
  }
): RecallEstimate {
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
  let cure: RecallEstimate['cure'] = null;
  if (info.route === 'by-id' && sample.unreachable > 0) {
    cure = {
      route: 'sure',
      seconds:
        info.mainSeconds * SURE_ROUTE_OVERHEAD + (sample.unreachable / sampled) * info.n * perPoint
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
    exactSecondsPerPoint: perPoint,
    cure
  };
}

/** A point's own vector, for the sure route, and the score it has with itself. */
interface OwnVector {
  vector: number[];
  selfScore: number;
}

/** Fetches the vectors of a few points at a time (a has_id scroll), for queries by vector. */
class VectorFetcher {
  constructor(
    private readonly client: ScanClient,
    private readonly collection: string,
    private readonly choice: VectorChoice,
    private readonly queryIds: Schemas['ExtendedPointId'][],
    private readonly calls: RetryingCaller,
    private readonly indexOf: Map<unknown, number>
  ) {}

  /** Points deleted since listing are left out. */
  async fetch(indices: number[]): Promise<Map<number, OwnVector>> {
    const out = new Map<number, OwnVector>();
    if (indices.length === 0) {
      return out;
    }
    const { using, distance } = this.choice;
    const page = await this.calls.call(() =>
      this.client.scroll(this.collection, {
        limit: indices.length,
        filter: { must: [{ has_id: indices.map(i => this.queryIds[i]) }] },
        with_payload: false,
        with_vector: using === UNNAMED_VECTOR ? true : [using]
      })
    );
    for (const record of page.points ?? []) {
      const index = this.indexOf.get(record.id);
      const stored = record.vector as unknown;
      const vector =
        using === UNNAMED_VECTOR ? stored : (stored as Record<string, unknown> | null)?.[using];
      if (index === undefined || !Array.isArray(vector)) {
        continue;
      }
      let selfScore = 0;
      if (distance === 'Cosine' || distance === 'Dot') {
        for (const x of vector as number[]) {
          selfScore += x * x;
        }
      }
      out.set(index, { vector: vector as number[], selfScore });
    }
    return out;
  }
}

/** A point's score with itself, as the engine computes it (float32 sums): a copy scores it too. */
function isSelfScore(score: number | undefined, self: number | undefined): boolean {
  return (
    score !== undefined &&
    self !== undefined &&
    Math.abs(score - self) <= 1e-6 * Math.max(1, Math.abs(self))
  );
}

function withUsing(search: NeighbourQuery, choice: VectorChoice): NeighbourQuery {
  if (choice.using !== UNNAMED_VECTOR) {
    search.using = choice.using;
  }
  return search;
}

/** One queryBatch, checked to answer every query. */
async function answered(
  client: ScanClient,
  request: ScanRequest,
  calls: RetryingCaller,
  searches: NeighbourQuery[]
): Promise<{ points: Pick<Schemas['ScoredPoint'], 'id' | 'score'>[] }[]> {
  const responses = await calls.call(() => client.queryBatch(request.collection, { searches }));
  if (!Array.isArray(responses) || responses.length !== searches.length) {
    throw new ScanError(
      'server-error',
      `The backend answered ${searches.length} neighbour queries with ` +
        `${Array.isArray(responses) ? responses.length : 'no'} results. Check that the backend speaks Qdrant's REST API.`
    );
  }
  return responses;
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let s = 0; s < items.length; s += size) {
    out.push(items.slice(s, s + size));
  }
  return out;
}

function cureMode(value: unknown): CureMode {
  if (value === undefined) {
    return SCAN_DEFAULTS.cure;
  }
  if (value === 'auto' || value === 'always' || value === 'never') {
    return value;
  }
  throw new ScanError('bad-request', `cure must be "auto", "always" or "never", not ${JSON.stringify(value)}.`);
}

function auditPointsOf(value: number | undefined): number | undefined {
  if (value !== undefined && (!Number.isInteger(value) || value < 0)) {
    throw new ScanError(
      'bad-request',
      `The audit's sample must be a whole number of points (0 for none), not ${String(value)}.`
    );
  }
  return value;
}

/** The members (dense indices) of every group whose size is within [min, max]. */
function groupMembers(components: UnionFind, n: number, min: number, max: number): number[][] {
  const byRoot = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const root = components.find(i);
    const size = components.sizeOf(root);
    if (size >= min && size <= max) {
      let list = byRoot.get(root);
      if (!list) {
        byRoot.set(root, (list = []));
      }
      list.push(i);
    }
  }
  return [...byRoot.values()];
}

interface ResolvedRequest {
  limit: number;
  batchSize: number;
  inFlight: number;
  listPageSize: number;
  exact: boolean;
  cure: CureMode;
  sureExact: SureExact;
  /** undefined: the default size for the collection. */
  auditPoints?: number;
  sampleIdField: string;
  payloadFields: string[];
  retry: Required<RetryPolicy>;
}

function resolveRequest(request: ScanRequest): ResolvedRequest {
  const bad = (what: string): never => {
    throw new ScanError('bad-request', what);
  };
  if (typeof request.collection !== 'string' || request.collection === '') {
    bad('Choose a collection to scan.');
  }
  if (typeof request.threshold !== 'number' || !isFinite(request.threshold)) {
    bad(`The threshold must be a number, not ${String(request.threshold)}.`);
  }
  const count = (value: number | undefined, fallback: number, name: string) => {
    const v = value ?? fallback;
    if (!Number.isInteger(v) || v < 1) {
      bad(`${name} must be a whole number of at least 1, not ${String(v)}.`);
    }
    return v;
  };
  const sampleIdField = request.sampleIdField || SCAN_DEFAULTS.sampleIdField;
  const payloadFields = [
    sampleIdField,
    request.thumbnailField,
    request.splitField
  ].filter((f, i, all): f is string => !!f && all.indexOf(f) === i);
  const retry = request.retry ?? {};
  return {
    limit: count(request.limit, SCAN_DEFAULTS.limit, 'The neighbours per query'),
    batchSize: count(request.batchSize, SCAN_DEFAULTS.batchSize, 'The batch size'),
    inFlight: count(request.inFlight, SCAN_DEFAULTS.inFlight, 'Requests in flight'),
    listPageSize: count(
      request.listPageSize,
      SCAN_DEFAULTS.listPageSize,
      'The listing page size'
    ),
    exact: request.exact ?? SCAN_DEFAULTS.exact,
    cure: cureMode(request.cure),
    sureExact:
      request.sureExact === undefined || request.sureExact === 'collection'
        ? 'collection'
        : request.sureExact === 'unreachable'
          ? 'unreachable'
          : bad(`sureExact must be 'collection' or 'unreachable', not ${String(request.sureExact)}.`),
    auditPoints: auditPointsOf(request.auditPoints),
    sampleIdField,
    payloadFields,
    retry: {
      retries: Math.max(0, retry.retries ?? SCAN_DEFAULTS.retries),
      baseDelayMs: Math.max(0, retry.baseDelayMs ?? SCAN_DEFAULTS.baseDelayMs),
      maxDelayMs: Math.max(0, retry.maxDelayMs ?? SCAN_DEFAULTS.maxDelayMs)
    }
  };
}

/** Scrolls every point id with only the payload fields the panel shows; never the vectors. */
async function listPoints(
  client: ScanClient,
  request: ScanRequest,
  options: ResolvedRequest,
  calls: RetryingCaller,
  progress: ProgressReporter
): Promise<{
  points: ScanPoints;
  queryIds: Schemas['ExtendedPointId'][];
  indexOf: Map<unknown, number>;
}> {
  const points: ScanPoints = { ids: [], sampleIds: [], thumbnails: [], splits: [] };
  // Ids as Qdrant sent them: u64 ids beyond 2^53 arrive as BigInt and must go back unchanged.
  const queryIds: Schemas['ExtendedPointId'][] = [];
  const indexOf = new Map<unknown, number>();
  let offset: Schemas['ExtendedPointId'] | undefined = undefined;
  for (;;) {
    const page = await calls.call(() =>
      client.scroll(request.collection, {
        limit: options.listPageSize,
        offset,
        with_payload: options.payloadFields.length ? options.payloadFields : false,
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
      const sample = field(payload, options.sampleIdField);
      points.sampleIds.push(
        typeof sample === 'string' || typeof sample === 'number'
          ? String(sample)
          : String(id)
      );
      const thumbnail = request.thumbnailField
        ? field(payload, request.thumbnailField)
        : null;
      points.thumbnails.push(typeof thumbnail === 'string' ? thumbnail : null);
      const split = request.splitField ? field(payload, request.splitField) : null;
      points.splits.push(
        typeof split === 'string' || typeof split === 'number' ? String(split) : null
      );
    }
    progress.update({ listed: queryIds.length });
    const next = page.next_page_offset;
    if (
      (typeof next !== 'string' && typeof next !== 'number' && typeof next !== 'bigint') ||
      (page.points ?? []).length === 0
    ) {
      break;
    }
    offset = next as Schemas['ExtendedPointId'];
  }
  return { points, queryIds, indexOf };
}

/** A payload value by key, or by dotted path into nested objects ("meta.sample_id"). */
function field(payload: Record<string, unknown>, key: string): unknown {
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

/** Runs batches with at most `width` in flight until there is no work and nothing in flight. */
function runPool<B>(
  hasWork: () => boolean,
  take: () => B,
  run: (batch: B) => Promise<void>,
  width: number,
  signal: AbortSignal | undefined
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let active = 0;
    let settled = false;
    const settle = (error?: unknown) => {
      if (settled) {
        return;
      }
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (error === undefined) {
        resolve();
      } else {
        reject(error);
      }
    };
    const onAbort = () => settle(cancelledError());
    const pump = () => {
      while (!settled && active < width && hasWork()) {
        active++;
        run(take()).then(
          () => {
            active--;
            pump();
          },
          error => settle(error ?? new Error('A batch failed.'))
        );
      }
      if (!settled && active === 0 && !hasWork()) {
        settle();
      }
    };
    if (signal?.aborted) {
      settle(cancelledError());
      return;
    }
    signal?.addEventListener('abort', onAbort);
    pump();
  });
}

/** Sends calls, retrying transient failures with exponential backoff; counts requests. */
class RetryingCaller {
  constructor(
    private readonly policy: Required<RetryPolicy>,
    private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>,
    private readonly signal: AbortSignal | undefined,
    private readonly collection: string
  ) {}

  requests = 0;
  retries = 0;

  async call<T>(send: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      if (this.signal?.aborted) {
        throw cancelledError();
      }
      this.requests++;
      try {
        return await abortable(send(), this.signal);
      } catch (error) {
        if (this.signal?.aborted) {
          throw cancelledError();
        }
        const verdict = classify(error, this.collection, attempt + 1);
        if (!verdict.transient || attempt >= this.policy.retries) {
          throw verdict.error;
        }
        this.retries++;
        const backoff = Math.min(
          this.policy.maxDelayMs,
          this.policy.baseDelayMs * 2 ** attempt * (0.75 + Math.random() * 0.5)
        );
        const delay = Math.max(
          backoff,
          Math.min(verdict.retryAfterMs ?? 0, this.policy.maxDelayMs)
        );
        await this.sleep(delay, this.signal);
      }
    }
  }
}

/** Rejects as soon as the signal aborts; the request itself runs on and its answer is dropped. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) {
    return promise;
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(cancelledError());
    if (signal.aborted) {
      onAbort();
    }
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      value => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      error => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      }
    );
  });
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(cancelledError());
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelledError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function defaultNow(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

/**
 * Keeps the latest counts and reports them at most every `intervalMs`, at least every
 * HEARTBEAT_MS while a phase runs, and at once on every phase change.
 */
class ProgressReporter {
  constructor(
    private readonly onProgress: ((progress: ScanProgress) => void) | undefined,
    private readonly now: () => number,
    private readonly intervalMs: number
  ) {}

  setPhase(phase: ScanPhase): void {
    this.state.phase = phase;
    this.phaseStarted = this.now();
    this.phaseStartCount = this.counter();
    const running = phase === 'listing' || phase === 'scanning' || phase === 'checking';
    if (running && this.onProgress && this.timer === null) {
      this.timer = setInterval(() => {
        if (this.now() - this.lastSent >= HEARTBEAT_MS) {
          this.emit();
        }
      }, HEARTBEAT_MS);
    } else if (!running) {
      this.stop();
    }
    if (phase === 'complete') {
      this.state.scanned = this.state.total;
    }
    this.emit();
  }

  update(counts: Partial<Omit<ScanProgress, 'phase' | 'rate' | 'etaSeconds'>>): void {
    Object.assign(this.state, counts);
    if (this.now() - this.lastSent >= this.intervalMs) {
      this.emit();
    }
  }

  fail(error: ScanError): void {
    const info: ScanErrorInfo = error.toJSON();
    this.state.error = info;
    this.setPhase(error.kind === 'cancelled' ? 'cancelled' : 'error');
  }

  stop(): void {
    if (this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  private counter(): number {
    switch (this.state.phase) {
      case 'listing':
        return this.state.listed;
      case 'checking':
        return this.state.checked ?? 0;
      default:
        return this.state.scanned;
    }
  }

  private emit(): void {
    const t = this.now();
    this.lastSent = t;
    if (!this.onProgress) {
      return;
    }
    const { phase } = this.state;
    let rate = 0;
    let etaSeconds: number | null = null;
    if (phase === 'listing' || phase === 'scanning' || phase === 'checking') {
      const seconds = (t - this.phaseStarted) / 1000;
      const done = this.counter() - this.phaseStartCount;
      rate = seconds > 0 ? done / seconds : 0;
      if (phase === 'scanning' && rate > 0) {
        etaSeconds = Math.max(0, this.state.total - this.state.scanned) / rate;
      } else if (phase === 'checking' && rate > 0) {
        etaSeconds = Math.max(0, (this.state.toCheck ?? 0) - (this.state.checked ?? 0)) / rate;
      }
    } else if (phase === 'complete') {
      etaSeconds = 0;
    }
    this.onProgress({ ...this.state, rate, etaSeconds });
  }

  private readonly state: ScanProgress = {
    phase: 'inspecting',
    listed: 0,
    scanned: 0,
    total: 0,
    pairs: 0,
    groups: 0,
    rate: 0,
    etaSeconds: null
  };
  private phaseStarted = 0;
  private phaseStartCount = 0;
  private lastSent = -Infinity;
  private timer: ReturnType<typeof setInterval> | null = null;
}
