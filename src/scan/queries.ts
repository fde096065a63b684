// The query phase: every point's neighbours past the threshold, in batches through the
// request pool. By id (the point's id is the query), or on the sure route by the point's own
// vector, with exact search for a point the index cannot reach. A full page is asked again
// (the paging policy); the check phase queues its exact queries here too.
import { answered, withUsing } from './batch';
import type { IQuerySource } from './check';
import { hasBit, newBitset, setBit } from './checkpoint';
import type { NeighbourQuery, QdrantId } from './client';
import type { IQueryScope, IScanContext } from './context';
import type { IBall } from './cover';
import { coverThreshold, higherIsBetter, passes } from './metric';
import { PairStore } from './pairs';
import { firstExactPage, IScanPolicies } from './policies';
import { runPool } from './pool';
import { UnionFind } from './unionFind';
import { isSelfScore, OwnVector, vectorKey } from './vectors';

/** hnsw_ef of the sure route's second search for a point the index cannot reach. */
const WIDE_EF = 512;

/** Which page of which point's neighbours to ask for. */
export interface IPendingQuery {
  index: number;
  offset: number;
  limit: number;
  /** Checking: the query is exact and compares with these points only. */
  members?: QdrantId[];
  /** The sure route's first page: the query is the point's vector, not its id. */
  byVector?: boolean;
  /** Exact search (the sure route, for a point the index cannot reach). */
  exact?: boolean;
  /** A wide HNSW search (hnsw_ef WIDE_EF): the sure route, for a point the index cannot reach. */
  wide?: boolean;
  /** An exact search past the cover threshold (the unreachableCover policy 'cover'). */
  cover?: boolean;
  /**
   * sureExact 'deferred', after the lonely pass when it or the cover did not run: the point's
   * by-vector search again, answered as sureExact 'collection' answers it (an exact search
   * over the collection if the index cannot reach it, shared with its exact copies).
   */
  deferred?: boolean;
  /** `members` is a cover's answer: the point's neighbours are all among them. */
  covered?: boolean;
  /**
   * The cover (cover.ts): an exact search from the ball's centre past the ball's threshold;
   * each point it answers is compared exactly with the ball's members.
   */
  ball?: IBall;
}

/** Runs neighbour queries and keeps what they found: the pairs, and the groups they join. */
export class NeighbourPass {
  constructor(
    private readonly ctx: IScanContext,
    private readonly scope: IQueryScope,
    /** The sure route: each point's first page is asked by its own vector. */
    private readonly sure: boolean
  ) {
    const n = scope.listing.queryIds.length;
    this.n = n;
    this.pairs = new PairStore(higherIsBetter(scope.choice.distance));
    this.components = new UnionFind(n);
    this.done = newBitset(n);
  }

  /**
   * Takes up where a checkpoint left off: its pairs, and its finished points, which are not
   * asked again. (Points it had started are asked again from their first page.)
   */
  restore(
    done: Uint8Array,
    pairs: { a: Uint32Array; b: Uint32Array; score: Float32Array },
    unreachable: Uint32Array,
    counts: { queries: number; searchedExactly: number }
  ): void {
    this.done.set(done);
    let scanned = 0;
    for (let i = 0; i < this.n; i++) {
      if (hasBit(done, i)) {
        scanned++;
      }
    }
    this.scanned = scanned;
    for (let k = 0; k < pairs.a.length; k++) {
      this.addPair(pairs.a[k], pairs.b[k], pairs.score[k]);
    }
    this.unreachable.push(...unreachable);
    this.queries = counts.queries;
    this.searchedExactly = counts.searchedExactly;
  }

  /** Bit i: point i's own queries are all answered (what a checkpoint keeps). */
  readonly done: Uint8Array;

  readonly pairs: PairStore;
  readonly components: UnionFind;
  /** Points whose neighbours are all known. */
  scanned = 0;
  /** Check queries answered. */
  checked = 0;
  /**
   * Sure route: points searched exactly because their own search did not return them (one
   * for each set of copies): over the collection, or over a cover's answer (coveredExactly).
   */
  searchedExactly = 0;
  /** Sure route: points the index cannot reach compared exactly with a cover's answer only. */
  coveredExactly = 0;
  /** Neighbour queries sent, counting each page. */
  queries = 0;
  /**
   * Sure route, sureExact 'unreachable', 'lonely' or 'deferred': the points the index cannot
   * reach (for 'lonely': those whose own search found neighbours). Kept in checkpoints.
   */
  readonly unreachable: number[] = [];

  /**
   * sureExact 'deferred', when the lonely pass or the cover did not run: each point the index
   * cannot reach (of those `wanted`) is searched exactly over the collection now, as
   * 'collection' would have searched it in the main pass. Returns how many are queued.
   */
  searchDeferred(wanted?: (i: number) => boolean): number {
    // Asked as the main pass asks its points: after what is queued, so that one point's
    // exact answer (a cover of its neighbours, an answer its copies share) is in first.
    this.deferredQueue = this.deferredPoints(wanted);
    this.deferredNext = 0;
    return this.deferredQueue.length;
  }

  /** The points the index cannot reach (of those `wanted`): sureExact 'deferred' kept them. */
  deferredPoints(wanted?: (i: number) => boolean): number[] {
    return this.unreachable.filter(i => wanted === undefined || wanted(i));
  }

  private deferredQueue: number[] = [];
  private deferredNext = 0;

  /**
   * The check phase: what is left to check grows as the cover's answers queue comparisons,
   * so each progress report counts it again (answered + queued).
   */
  countsToCheck = false;

  /** Queues queries to run after (or, if running, among) the points' own. */
  enqueue(queries: IPendingQuery[]): void {
    this.followUps.push(...queries);
  }

  /**
   * Queues `source.count` queries made only as batches take them (after what is queued now),
   * so they are never all held at once.
   */
  enqueueLazily(source: IQuerySource): void {
    if (source.count > 0) {
      this.sources.push({ queries: source.queries, left: source.count });
    }
  }

  get queued(): number {
    let lazy = 0;
    for (const source of this.sources) {
      lazy += source.left;
    }
    return (
      this.followUps.length +
      lazy +
      this.deferredQueue.length -
      this.deferredNext
    );
  }

  /**
   * Moves queries from the lazy sources to the queue until it holds `wanted` (or none is left).
   * A source is read to its end whatever it counted (its count is for progress only).
   */
  private refill(wanted: number): void {
    while (this.followUps.length < wanted && this.sources.length > 0) {
      const source = this.sources[0];
      const next = source.queries.next();
      if (next.done) {
        this.sources.shift();
        continue;
      }
      source.left = Math.max(0, source.left - 1);
      this.followUps.push(next.value);
    }
  }

  /** Runs every point's own queries not run yet and everything queued, until none is left. */
  run(): Promise<void> {
    return runPool(
      () =>
        this.followUps.length > 0 ||
        this.sources.length > 0 ||
        this.deferredNext < this.deferredQueue.length ||
        this.skipDone() < this.n,
      () => this.takeBatch(),
      batch => this.runBatch(batch),
      this.ctx.options.policies.pool.inFlight,
      this.ctx.signal
    );
  }

  /** Queued queries go first, so a point is finished soon after it started. */
  private takeBatch(): IPendingQuery[] {
    const { batchSize, idsPerBatch } = this.ctx.options.policies.batching;
    this.refill(batchSize);
    let take = 0;
    let ids = 0;
    while (take < this.followUps.length && take < batchSize) {
      const q = this.followUps[take];
      ids += q.members?.length ?? q.ball?.within?.length ?? 0;
      if (take > 0 && ids > idsPerBatch) {
        break;
      }
      take++;
    }
    const batch = this.followUps.splice(0, take);
    while (
      batch.length < batchSize &&
      this.deferredNext < this.deferredQueue.length
    ) {
      batch.push({
        index: this.deferredQueue[this.deferredNext++],
        offset: 0,
        limit: this.ctx.options.limit,
        byVector: true,
        deferred: true
      });
    }
    while (batch.length < batchSize && this.skipDone() < this.n) {
      batch.push({
        index: this.cursor++,
        offset: 0,
        limit: this.ctx.options.limit,
        byVector: this.sure
      });
    }
    return batch;
  }

  private async runBatch(batch: IPendingQuery[]): Promise<void> {
    if (batch.length === 0) {
      return; // the last lazy source was found at its end
    }
    const { client, request, calls, progress } = this.ctx;
    // The sure route: vectors of this batch only, dropped with it (memory stays batch x d).
    const own = await this.scope.vectors.fetch(
      batch.filter(q => q.byVector).map(q => q.index)
    );
    for (const q of batch) {
      if (q.byVector && !own.has(q.index)) {
        // No vector came back (the point went since listing): its id answers as before.
        q.byVector = false;
        q.exact = true;
      }
    }
    const searches = batch.map(q => this.search(q, own));
    const responses = await answered(
      client,
      request.collection,
      calls,
      searches
    );
    this.queries += batch.length;
    for (let j = 0; j < batch.length; j++) {
      this.take(batch[j], responses[j]?.points ?? [], own);
    }
    progress.update({
      scanned: this.scanned,
      checked: this.checked,
      ...(this.countsToCheck ? { toCheck: this.checked + this.queued } : {}),
      pairs: this.pairs.count,
      groups: this.components.groupCount
    });
    this.onBatch?.();
  }

  /** Runs after each answered batch, between two answers (a checkpoint is taken there). */
  onBatch?: () => void;

  private search(
    q: IPendingQuery,
    own: Map<number, OwnVector>
  ): NeighbourQuery {
    const { params, choice, listing } = this.scope;
    const search: NeighbourQuery = {
      // The point itself is among the answers to its own vector: one more than the page.
      query: q.byVector ? own.get(q.index)!.query : listing.queryIds[q.index],
      limit: q.byVector ? q.limit + 1 : q.limit,
      score_threshold: this.ctx.request.threshold,
      with_payload: false,
      with_vector: false,
      params
    };
    withUsing(search, choice);
    if (q.offset > 0) {
      search.offset = q.offset;
    }
    if (q.ball) {
      search.params = { ...params, exact: true };
      search.score_threshold = q.ball.threshold;
      if (q.ball.within) {
        search.filter = { must: [{ has_id: q.ball.within }] };
      }
    } else if (q.members) {
      search.filter = { must: [{ has_id: q.members }] };
      search.params = { ...params, exact: true };
    } else if (q.exact) {
      search.params = { ...params, exact: true };
      const loose = q.cover
        ? coverThreshold(this.ctx.request.threshold, choice.distance)
        : null;
      if (loose !== null) {
        search.score_threshold = loose;
      }
    } else if (q.wide) {
      search.params = {
        ...params,
        hnsw_ef: Math.max(WIDE_EF, params.hnsw_ef ?? 0)
      };
    }
    return search;
  }

  /** Keeps the pairs of one answer and decides what, if anything, to ask about the point next. */
  private take(
    q: IPendingQuery,
    hits: { id: unknown; score: number }[],
    own: Map<number, OwnVector>
  ): void {
    const { threshold } = this.ctx.request;
    const { distance } = this.scope.choice;
    const { indexOf } = this.scope.listing;
    const { limit, policies } = this.ctx.options;
    // A deferred point asked again is searched as 'collection' searches it.
    const sureExact = q.deferred ? 'collection' : policies.sureExact;
    if (q.deferred) {
      this.checked++;
    }
    const shared = q.exact ? this.copies.get(q.index) : undefined;
    let reached = false;
    let found = 0;
    for (const hit of hits) {
      const other = indexOf.get(hit.id);
      if (q.byVector && other === q.index) {
        reached = true;
      }
      // Points added after listing are not part of this scan; the point itself is no pair.
      if (other === undefined || other === q.index) {
        continue;
      }
      // Judged as stored (float32), so regrouping at this threshold keeps exactly these pairs.
      const score = Math.fround(hit.score);
      if (!passes(score, threshold, distance)) {
        continue;
      }
      this.addPair(q.index, other, score);
      found++;
      shared?.answer(other, score, (a, b, s) => this.addPair(a, b, s));
    }
    const cannotReach =
      q.byVector &&
      !reached &&
      !isSelfScore(hits[0]?.score, own.get(q.index)!.selfScore);
    if (cannotReach && sureExact === 'deferred') {
      // Its pairs are made sure of by its group's cover (it found neighbours) or by the lonely
      // pass (it found none), both exact over every point; kept, to be searched exactly after
      // the lonely pass if either does not run (scanner.ts check).
      this.unreachable.push(q.index);
    }
    if (cannotReach && sureExact === 'lonely' && found > 0) {
      // Its own search found neighbours, so it has a group: the check phase compares it
      // exactly with its group and with the other points the index cannot reach.
      this.unreachable.push(q.index);
    }
    const searchCollection =
      cannotReach &&
      (sureExact === 'collection' || (sureExact === 'lonely' && found === 0));
    const full = hits.length >= (q.byVector ? q.limit + 1 : q.limit);
    if (q.ball) {
      this.takeBall(q, q.ball, hits, full);
      return;
    }
    if (q.cover) {
      this.takeCover(q, hits, full, shared);
      return;
    }
    if (shared && !full) {
      // Its copies are known as well as it is now.
      for (const copy of shared.finish()) {
        this.finish(copy);
      }
    }
    if (searchCollection) {
      // Neither the point nor an exact copy of it came back for its own vector: the
      // index cannot reach it. Exact search over the whole collection can; only once for
      // points with the same stored vector, which score identically with every point; and
      // not at all for a neighbour of a point so searched: a cover's answer holds all its
      // neighbours.
      const cover = this.covers.get(q.index);
      if (cover) {
        this.searchedExactly++;
        this.coveredExactly++;
        this.followUps.push({
          index: q.index,
          offset: 0,
          limit: cover.length + 1,
          members: cover,
          covered: true
        });
        return;
      }
      const first = this.firstCopy(own.get(q.index)!.values(), q.index);
      if (first !== q.index) {
        if (
          this.copies
            .get(first)!
            .add(q.index, (a, b, s) => this.addPair(a, b, s))
        ) {
          this.finish(q.index);
        }
        return;
      }
      this.searchedExactly++;
      this.followUps.push({
        index: q.index,
        offset: 0,
        limit: firstExactPage(this.ctx.options, limit),
        exact: true,
        cover:
          policies.unreachableCover === 'cover' &&
          coverThreshold(threshold, distance) !== null
      });
    } else if (cannotReach && sureExact === 'unreachable') {
      // Its own vector leads the search towards the neighbours the index does reach;
      // asked again with a wide search (hnsw_ef WIDE_EF), so a narrow one that stopped
      // short does not lose them. The neighbours the index cannot reach either are
      // compared exactly with it after the main pass.
      this.searchedExactly++;
      this.unreachable.push(q.index);
      this.followUps.push({ index: q.index, offset: 0, limit, wide: true });
    } else if (cannotReach && !full) {
      // sureExact 'deferred', 'lonely' with neighbours found, or 'none' (benchmark only):
      // the by-vector answer is all the main pass asks.
      this.finish(q.index);
    } else if (cannotReach) {
      this.followUps.push(nextPage(q, limit, policies));
    } else if (q.covered) {
      this.finish(q.index);
    } else if (q.members) {
      this.checked++;
    } else if (full) {
      this.followUps.push(nextPage(q, limit, policies));
    } else {
      this.finish(q.index);
    }
  }

  /** The cursor, moved past the points a checkpoint says are finished. */
  private skipDone(): number {
    while (this.cursor < this.n && hasBit(this.done, this.cursor)) {
      this.cursor++;
    }
    return this.cursor;
  }

  /** Point i's neighbours are all known. */
  private finish(i: number): void {
    if (!hasBit(this.done, i)) {
      setBit(this.done, i);
      this.scanned++;
    }
  }

  /**
   * The answer of a cover search: the point's own pairs are kept (take() judged them at the
   * scan's threshold). When the answer is complete, each of the point's neighbours is covered
   * by it; when it is full, the point's own neighbours may go on past it, and it is asked
   * again at the scan's threshold, from the start (a looser page's offsets do not apply).
   */
  private takeCover(
    q: IPendingQuery,
    hits: { id: unknown; score: number }[],
    full: boolean,
    shared: SharedAnswer | undefined
  ): void {
    const { threshold } = this.ctx.request;
    const { distance } = this.scope.choice;
    const { indexOf, queryIds } = this.scope.listing;
    if (full) {
      const last = hits[hits.length - 1];
      if (passes(Math.fround(last.score), threshold, distance)) {
        // Asked again at the scan's threshold, from the start: the next page by offset
        // would skip what the looser page held.
        const { maxPage } = this.ctx.options.policies.batching;
        this.followUps.push(
          q.limit < maxPage
            ? nextPage({ ...q, cover: false }, this.ctx.options.limit, {
                ...this.ctx.options.policies,
                paging: 'grow'
              })
            : { index: q.index, offset: 0, limit: maxPage, exact: true }
        );
        return;
      }
    } else {
      const members: QdrantId[] = [queryIds[q.index]];
      const near: number[] = [];
      for (const hit of hits) {
        const other = indexOf.get(hit.id);
        if (other === undefined || other === q.index) {
          continue;
        }
        members.push(queryIds[other]);
        if (passes(Math.fround(hit.score), threshold, distance)) {
          near.push(other);
        }
      }
      for (const other of near) {
        if (!this.covers.has(other)) {
          this.covers.set(other, members);
        }
      }
    }
    // Complete: every neighbour past the threshold is in the answer (or in its first page).
    for (const copy of shared ? shared.finish() : []) {
      this.finish(copy);
    }
    this.finish(q.index);
  }

  /**
   * The answer of a ball's cover search (its pairs with the centre are kept by take()). A full
   * page is asked again as nextPage asks it ('grow': from the start with a larger page, by
   * offset only past the largest); each point of a page not asked again is compared exactly
   * with the ball's members it has no pair with yet, in queries within the largest page.
   */
  private takeBall(
    q: IPendingQuery,
    ball: IBall,
    hits: { id: unknown; score: number }[],
    full: boolean
  ): void {
    const { limit, policies } = this.ctx.options;
    const { maxPage } = policies.batching;
    const { indexOf, queryIds } = this.scope.listing;
    this.checked++;
    const next = full
      ? { ...nextPage(q, limit, { ...policies, paging: 'grow' }), ball }
      : null;
    if (next?.offset === 0) {
      this.followUps.push(next);
      return;
    }
    for (const hit of hits) {
      const other = indexOf.get(hit.id);
      if (other === undefined || other === q.index) {
        continue;
      }
      const unknown = ball.members
        .filter(m => m !== other && !this.pairs.has(m, other))
        .map(m => queryIds[m]);
      for (let from = 0; from < unknown.length; from += maxPage - 1) {
        const members = unknown.slice(from, from + maxPage - 1);
        this.followUps.push({
          index: other,
          offset: 0,
          limit: members.length + 1,
          members
        });
      }
    }
    if (next) {
      this.followUps.push(next);
    }
  }

  private addPair(a: number, b: number, score: number): void {
    if (this.pairs.add(a, b, score)) {
      this.components.union(a, b);
    }
  }

  /**
   * The first point the index cannot reach with this stored vector; `index` becomes that
   * first point when there is none yet. Only under the 'share' policy (else `index`).
   */
  private firstCopy(vector: number[], index: number): number {
    if (this.ctx.options.policies.unreachableCopies !== 'share') {
      return index;
    }
    const key = vectorKey(vector);
    const first = this.firstWithVector.get(key);
    if (first !== undefined) {
      return first;
    }
    this.firstWithVector.set(key, index);
    this.copies.set(index, new SharedAnswer());
    return index;
  }

  private readonly n: number;
  private cursor = 0;
  private readonly followUps: IPendingQuery[] = [];
  /** Queries still to be made (enqueueLazily), with how many each will make yet. */
  private readonly sources: {
    queries: Iterator<IPendingQuery>;
    left: number;
  }[] = [];
  /** Sure route: a stored vector's fingerprint -> the first unreachable point with it. */
  private readonly firstWithVector = new Map<string, number>();
  /** Sure route: the first unreachable point with a vector -> its copies and answer. */
  private readonly copies = new Map<number, SharedAnswer>();
  /** Sure route: a point -> the ids of a cover answer that holds all its neighbours. */
  private readonly covers = new Map<number, QdrantId[]>();
}

/**
 * An exact answer shared by points with the same stored vector: the first is searched, and
 * every hit of its answer is a pair of each copy too, at the same score (identical vectors
 * score identically with every point). A copy found after the answer is complete takes it at
 * once.
 */
export class SharedAnswer {
  /** A hit of the first point's answer: a pair of each copy too. */
  answer(other: number, score: number, add: AddPair): void {
    this.hits.push(other, score);
    for (const c of this.members) {
      if (c !== other) {
        add(c, other, score);
      }
    }
  }

  /** Another point with the vector; returns whether it is known now. */
  add(copy: number, add: AddPair): boolean {
    this.members.push(copy);
    if (!this.complete) {
      return false;
    }
    for (let k = 0; k < this.hits.length; k += 2) {
      if (this.hits[k] !== copy) {
        add(copy, this.hits[k], this.hits[k + 1]);
      }
    }
    return true;
  }

  /** The first point's answer is complete; returns the copies that became known with it. */
  finish(): readonly number[] {
    this.complete = true;
    return this.members;
  }

  private complete = false;
  private readonly members: number[] = [];
  /** Pairs of (point, score) the first point's answer held. */
  private readonly hits: number[] = [];
}

type AddPair = (a: number, b: number, score: number) => void;

/**
 * The query for the next page after a full one: it may hide more neighbours above the
 * threshold. The 'grow' policy asks again from the start for more (32, 96, 224, 480, 1024
 * at limit 32: log(size) rounds), by offset only past the largest page. Not by offset
 * before: Qdrant orders equal scores (exact copies) arbitrarily, and differently for another
 * limit, so a next page by offset repeats some copies and skips others. The engine searches
 * offset + limit either way, so asking from the start costs the same search.
 */
export function nextPage(
  q: IPendingQuery,
  firstLimit: number,
  policies: Pick<IScanPolicies, 'paging' | 'batching'>
): IPendingQuery {
  const cap = policies.batching.maxPage;
  const { index, exact, wide } = q;
  if (policies.paging === 'offset') {
    return {
      index,
      offset: q.offset + q.limit,
      limit: Math.min(q.limit * 2, cap),
      exact,
      wide
    };
  }
  return q.offset === 0 && q.limit < cap
    ? {
        index,
        offset: 0,
        limit: Math.min(q.limit * 2 + firstLimit, cap),
        exact,
        wide
      }
    : { index, offset: q.offset + q.limit, limit: cap, exact, wide };
}
