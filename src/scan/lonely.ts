// The lonely pass (issue 16; bench/README.md, finding 7e): pairs between two points that both
// found nothing. An HNSW graph can leave a lone pair unlinked, far from everything else, and
// then neither point's search finds the other, and no group's cover reaches them (they are in
// no group). At a million points of the benchmark's data that was every pair the scan still
// missed. Searching each such point exactly would cost more than the whole scan (800,000 of
// them at 1M), so they are narrowed down first: each point that found nothing gets a sketch of
// 256 sign bits of random projections of its vector (two vectors at angle a differ in each bit
// with odds a / pi), the sketches are put in buckets by a few of their bits in each of several
// tables, and two points sharing a bucket whose sketches differ in few enough bits are compared
// exactly on the server (an exact search among the candidates, a has_id filter). The tables
// and bits are chosen from the threshold so that a pair at the threshold is left out with odds
// under 1 in 10,000, and a closer pair with far smaller odds. Cosine only: that is what sign
// projections measure. The memory: 32 bytes a lonely point, and one table at a time.
import { membersQuery } from './check';
import type { QdrantId } from './client';
import type { IQueryScope, IScanContext } from './context';
import { cancelledError } from './errors';
import { firstExactPage } from './policies';
import { runPool } from './pool';
import { xorshift as random } from './random';
import type { IPendingQuery, NeighbourPass } from './queries';
import type { VectorFetcher } from './vectors';

/** Sketch bits per point. */
export const SKETCH_BITS = 256;
const WORDS = SKETCH_BITS / 32;
/** Odds that a pair right at the threshold shares no bucket in any table, at most. */
const MISS = 1e-4;
/** Standard deviations of the bits a pair at the threshold differs in, above their mean. */
const SPREAD = 5;
/** Tables past this make the pass too costly for its threshold: it is not run. */
const MAX_TABLES = 64;
/** Sketch pairs compared in the buckets before the pass stops (the data is too dense). */
const MAX_COMPARED = 3e9;
/** Candidates held before they are asked about. */
const FLUSH = 200_000;
/** Vectors fetched per request. */
const FETCH = 256;

/** How the sketches are bucketed and compared. */
export interface ILonelyPlan {
  /** Sketch bits in each table's key. */
  keyBits: number;
  tables: number;
  /** Two sketches differing in more bits than this are not compared exactly. */
  hamming: number;
}

/** What the pass did, for the scan's stats. */
export interface ILonelyStats {
  /** Points that had found no neighbour when the pass began. */
  points: number;
  /** Why the pass did not run, or stopped early; absent when it ran through. */
  skipped?: 'distance' | 'unindexed' | 'threshold' | 'dense';
  tables: number;
  /** Sketch pairs compared in the buckets. */
  compared: number;
  /** Pairs compared exactly on the server. */
  candidates: number;
  /** Pairs it found. */
  found: number;
  /** A scan of changes with few new points in no group: those searched exactly instead. */
  searchedExactly?: number;
}

/** The odds that two vectors at this cosine differ in one sketch bit. */
export function bitOdds(cosine: number): number {
  return Math.acos(Math.max(-1, Math.min(1, cosine))) / Math.PI;
}

/**
 * The plan for `count` sketched points at a Cosine `threshold`, or null when the threshold is
 * too loose for a pass of at most MAX_TABLES tables. Keys of about log2(count) - 4 bits (16 at
 * a million points) keep each table's buckets small; as many tables as make a pair at the
 * threshold miss every one with odds under MISS.
 */
export function lonelyPlan(
  count: number,
  threshold: number
): ILonelyPlan | null {
  const p = bitOdds(threshold);
  const tablesFor = (k: number) => {
    const share = Math.pow(1 - p, k);
    return share >= 1 ? 1 : Math.ceil(Math.log(MISS) / Math.log(1 - share));
  };
  let keyBits = Math.max(8, Math.min(20, Math.round(Math.log2(count)) - 4));
  while (keyBits > 8 && tablesFor(keyBits) > MAX_TABLES) {
    keyBits--;
  }
  const tables = tablesFor(keyBits);
  if (tables > MAX_TABLES) {
    return null;
  }
  const mean = SKETCH_BITS * p;
  const hamming = Math.min(
    SKETCH_BITS,
    Math.ceil(mean + SPREAD * Math.sqrt(mean * (1 - p)))
  );
  return { keyBits, tables, hamming };
}

/** Below this many dimensions the projections are Gaussian; from it, a fast random rotation. */
const ROTATE_FROM = 64;

/**
 * Sign bits of SKETCH_BITS random projections of d-dimensional vectors. From ROTATE_FROM
 * dimensions on, the projections are the rows of a random rotation made of three rounds of
 * random signs and a Walsh-Hadamard transform (HD3 HD2 HD1, as FALCONN's cross-polytope LSH
 * uses): d log d steps a block instead of d x 256 (at 256 dimensions, about 10 times fewer:
 * 95 microseconds a point took a third of the pass's time at 200k). Below it, where so few
 * rounds would give too few distinct planes, each projection is a Gaussian vector.
 */
export class Sketcher {
  constructor(
    readonly d: number,
    seed = 0x5eed
  ) {
    const next = random(seed);
    if (d < ROTATE_FROM) {
      this.size = d;
      this.blocks = 0;
      // Row j holds the j-th coordinate of every projection: the inner loop runs along it.
      this.planes = new Float64Array(d * SKETCH_BITS);
      for (let k = 0; k < this.planes.length; k += 2) {
        // Box-Muller: two standard normals from two uniforms.
        const u = 1 - next();
        const v = next();
        const r = Math.sqrt(-2 * Math.log(u));
        this.planes[k] = r * Math.cos(2 * Math.PI * v);
        if (k + 1 < this.planes.length) {
          this.planes[k + 1] = r * Math.sin(2 * Math.PI * v);
        }
      }
    } else {
      let size = 1;
      while (size < d) {
        size *= 2;
      }
      this.size = size;
      this.blocks = Math.ceil(SKETCH_BITS / size);
      // Three rounds of signs for each block of `size` bits.
      this.planes = new Float64Array(this.blocks * 3 * size);
      for (let k = 0; k < this.planes.length; k++) {
        this.planes[k] = next() < 0.5 ? -1 : 1;
      }
      this.block = new Float64Array(size);
    }
  }

  /** Writes the sketch of `vector` at word `at` of `out` (WORDS words). */
  sketch(vector: ArrayLike<number>, out: Uint32Array, at: number): void {
    const sums = this.sums;
    const d = Math.min(this.d, vector.length);
    if (this.blocks === 0) {
      sums.fill(0);
      const planes = this.planes;
      for (let j = 0; j < d; j++) {
        const x = vector[j];
        if (x === 0) {
          continue;
        }
        const row = j * SKETCH_BITS;
        for (let b = 0; b < SKETCH_BITS; b++) {
          sums[b] += x * planes[row + b];
        }
      }
    } else {
      const size = this.size;
      const block = this.block!;
      for (let t = 0; t < this.blocks; t++) {
        block.fill(0);
        for (let j = 0; j < d; j++) {
          block[j] = vector[j];
        }
        for (let round = 0; round < 3; round++) {
          const signs = (t * 3 + round) * size;
          for (let j = 0; j < size; j++) {
            block[j] *= this.planes[signs + j];
          }
          hadamard(block);
        }
        const from = t * size;
        for (let b = 0; b < size && from + b < SKETCH_BITS; b++) {
          sums[from + b] = block[b];
        }
      }
    }
    for (let w = 0; w < WORDS; w++) {
      let word = 0;
      for (let b = 0; b < 32; b++) {
        if (sums[w * 32 + b] > 0) {
          word |= 1 << b;
        }
      }
      out[at + w] = word >>> 0;
    }
  }

  /** Dimensions of a block (the vector padded to a power of two), or d for Gaussian planes. */
  private readonly size: number;
  /** Rotated blocks a sketch takes; 0: Gaussian planes. */
  private readonly blocks: number;
  private readonly planes: Float64Array;
  private readonly block: Float64Array | null = null;
  private readonly sums = new Float64Array(SKETCH_BITS);
}

/** The Walsh-Hadamard transform of `x` in place (its length a power of two), unscaled. */
function hadamard(x: Float64Array): void {
  const n = x.length;
  for (let h = 1; h < n; h *= 2) {
    for (let i = 0; i < n; i += 2 * h) {
      for (let j = i; j < i + h; j++) {
        const a = x[j];
        const b = x[j + h];
        x[j] = a + b;
        x[j + h] = a - b;
      }
    }
  }
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** The bits two sketches differ in, counting no further than `limit` + 1. */
export function sketchDistance(
  sketches: Uint32Array,
  i: number,
  j: number,
  limit: number
): number {
  let bits = 0;
  const a = i * WORDS;
  const b = j * WORDS;
  for (let w = 0; w < WORDS && bits <= limit; w++) {
    bits += popcount(sketches[a + w] ^ sketches[b + w]);
  }
  return bits;
}

/**
 * Every pair of sketched points (local indices, i < j) that shares a bucket in some table and
 * differs in at most plan.hamming bits, each told once to `found` (at the first table it
 * shares). Yields after each table the sketch pairs compared so far, or -1 when the buckets
 * would hold more than `maxCompared` pairs (it stops there).
 */
export function* sketchCandidates(
  sketches: Uint32Array,
  count: number,
  plan: ILonelyPlan,
  found: (i: number, j: number) => void,
  maxCompared = MAX_COMPARED,
  seed = 0x7ab1e
): Generator<number, void, void> {
  const next = random(seed);
  const keys = new Uint32Array(count);
  const order = new Uint32Array(count);
  const starts = new Uint32Array((1 << plan.keyBits) + 1);
  const positions: number[][] = [];
  const keyOf = (i: number, bitsOf: number[]) => {
    let key = 0;
    for (let m = 0; m < bitsOf.length; m++) {
      const bit = bitsOf[m];
      key |= ((sketches[i * WORDS + (bit >>> 5)] >>> (bit & 31)) & 1) << m;
    }
    return key >>> 0;
  };
  let compared = 0;
  for (let t = 0; t < plan.tables; t++) {
    // The key's bits: keyBits distinct sketch bits, drawn anew for each table.
    const pool = Array.from({ length: SKETCH_BITS }, (_, b) => b);
    for (let m = 0; m < plan.keyBits; m++) {
      const pick = m + Math.floor(next() * (SKETCH_BITS - m));
      [pool[m], pool[pick]] = [pool[pick], pool[m]];
    }
    const bitsOf = pool.slice(0, plan.keyBits);
    positions.push(bitsOf);
    // Counting sort by key.
    starts.fill(0);
    for (let i = 0; i < count; i++) {
      keys[i] = keyOf(i, bitsOf);
      starts[keys[i] + 1]++;
    }
    let inTable = 0;
    for (let k = 1; k < starts.length; k++) {
      const size = starts[k];
      inTable += (size * (size - 1)) / 2;
      starts[k] += starts[k - 1];
    }
    if (compared + inTable > maxCompared) {
      yield -1;
      return;
    }
    compared += inTable;
    const fill = starts.slice(0, starts.length - 1);
    for (let i = 0; i < count; i++) {
      order[fill[keys[i]]++] = i;
    }
    for (let k = 0; k + 1 < starts.length; k++) {
      const end = starts[k + 1];
      for (let x = starts[k]; x + 1 < end; x++) {
        for (let y = x + 1; y < end; y++) {
          const i = order[x];
          const j = order[y];
          if (sketchDistance(sketches, i, j, plan.hamming) > plan.hamming) {
            continue;
          }
          // Told at the first table the two share a bucket in.
          let earlier = false;
          for (let e = 0; e < t && !earlier; e++) {
            earlier = keyOf(i, positions[e]) === keyOf(j, positions[e]);
          }
          if (!earlier) {
            found(Math.min(i, j), Math.max(i, j));
          }
        }
      }
    }
    yield compared;
  }
}

/**
 * The sketches of `lonely`'s points, by position (WORDS words each), and which of them came (a
 * point deleted since listing has no vector). Their vectors are fetched `perRequest` at a time
 * (FETCH; other values for bench/lonely_fetch_probe.ts), `inFlight` requests at once;
 * `onFetched` is told each request's count of points.
 */
export async function sketchPoints(
  vectors: Pick<VectorFetcher, 'fetch'>,
  lonely: Uint32Array,
  inFlight: number,
  signal: AbortSignal | undefined,
  onFetched: (count: number) => void,
  perRequest = FETCH
): Promise<{ sketches: Uint32Array; fetched: Uint8Array }> {
  const sketches = new Uint32Array(lonely.length * WORDS);
  const fetched = new Uint8Array(lonely.length);
  let sketcher: Sketcher | null = null;
  let cursor = 0;
  await runPool(
    () => cursor < lonely.length,
    () => {
      const from = cursor;
      cursor += perRequest;
      return { from, indices: Array.from(lonely.subarray(from, cursor)) };
    },
    async ({ from, indices }) => {
      const own = await vectors.fetch(indices);
      // The batch's points are lonely[from], lonely[from + 1], ...: their places by index.
      indices.forEach((i, k) => {
        const vector = own.get(i);
        if (vector) {
          const values = vector.values();
          sketcher ??= new Sketcher(values.length);
          sketcher.sketch(values, sketches, (from + k) * WORDS);
          fetched[from + k] = 1;
        }
      });
      onFetched(indices.length);
    },
    inFlight,
    signal
  );
  return { sketches, fetched };
}

/**
 * The lonely pass of a scan: the points in no group are sketched (their vectors fetched a page
 * at a time, never kept), and every candidate pair is compared exactly. `target`: a scan of
 * changes asks only about pairs with one of its new points.
 */
export async function lonelyPass(
  ctx: IScanContext,
  pass: NeighbourPass,
  scope: IQueryScope,
  target?: (i: number) => boolean
): Promise<ILonelyStats> {
  const { listing, vectors } = scope;
  const n = listing.queryIds.length;
  // Ascending point indices (4 bytes each; a point's place is found by halves).
  let count = 0;
  for (let i = 0; i < n; i++) {
    count += pass.components.sizeOf(i) === 1 ? 1 : 0;
  }
  const lonely = new Uint32Array(count);
  for (let i = 0, k = 0; i < n; i++) {
    if (pass.components.sizeOf(i) === 1) {
      lonely[k++] = i;
    }
  }
  const stats: ILonelyStats = {
    points: lonely.length,
    tables: 0,
    compared: 0,
    candidates: 0,
    found: 0
  };
  if (scope.choice.distance !== 'Cosine') {
    return { ...stats, skipped: 'distance' };
  }
  const fresh = target ? lonely.filter(target) : null;
  if (fresh?.length === 0) {
    return stats;
  }
  // A collection with no vector in an HNSW index (a small one: below Qdrant's indexing
  // threshold) answered every search exactly, so no pair was left unlinked. Asked now, not
  // at the start: an index built while the scan ran counts.
  const info = await ctx.calls.call(() =>
    ctx.client.getCollection(ctx.request.collection)
  );
  if (info.indexed_vectors_count === 0) {
    return { ...stats, skipped: 'unindexed' };
  }
  if (fresh && fresh.length <= ctx.options.policies.batching.maxPage) {
    // A scan of changes whose new points in no group are few: each is searched exactly over
    // the collection. That is surer than the sketches, and cheaper than reading the vectors of
    // every point in no group (800,000 of them at a million points) for a few new ones.
    const page = firstExactPage(ctx.options, ctx.options.limit);
    const before = pass.pairs.count;
    pass.enqueue(
      Array.from(fresh, index => ({
        index,
        offset: 0,
        limit: page,
        exact: true
      }))
    );
    pass.countsToCheck = true;
    await pass.run();
    pass.countsToCheck = false;
    return {
      ...stats,
      searchedExactly: fresh.length,
      found: pass.pairs.count - before
    };
  }
  const plan = lonelyPlan(lonely.length, ctx.request.threshold);
  if (plan === null) {
    return { ...stats, skipped: 'threshold' };
  }
  if (lonely.length < 2) {
    return stats;
  }
  // Each point sketched and each table read is a step of the check, so the bar moves while
  // the vectors come and while the buckets are read (about 30 s at a million points).
  let left = lonely.length + plan.tables;
  const counted = () =>
    ctx.progress.update({
      checked: pass.checked,
      toCheck: pass.checked + left
    });
  counted();
  // A point whose vector did not come (deleted since listing) is in no candidate pair (asking
  // from it by id would fail).
  const { sketches, fetched } = await sketchPoints(
    vectors,
    lonely,
    ctx.options.policies.pool.inFlight,
    ctx.signal,
    count => {
      pass.checked += count;
      left -= count;
      counted();
    }
  );
  stats.tables = plan.tables;
  const pairsBefore = pass.pairs.count;
  const held = new Set<number>();
  const ask = async () => {
    if (held.size === 0) {
      return;
    }
    const byPoint = new Map<number, QdrantId[]>();
    for (const key of held) {
      const i = Math.floor(key / lonely.length);
      const j = key - i * lonely.length;
      const list = byPoint.get(i) ?? [];
      list.push(listing.queryIds[lonely[j]]);
      byPoint.set(i, list);
    }
    held.clear();
    const queries: IPendingQuery[] = [];
    // A query names at most a page of candidates, so its limit stays within the engine's caps.
    const { maxPage } = ctx.options.policies.batching;
    for (const [i, all] of byPoint) {
      for (let s = 0; s < all.length; s += maxPage) {
        queries.push(membersQuery(lonely[i], all.slice(s, s + maxPage)));
      }
    }
    pass.enqueue(queries);
    await pass.run();
  };
  const tables = sketchCandidates(sketches, lonely.length, plan, (i, j) => {
    if (
      !fetched[i] ||
      !fetched[j] ||
      (target && !target(lonely[i]) && !target(lonely[j]))
    ) {
      return;
    }
    held.add(i * lonely.length + j);
    stats.candidates++;
  });
  for (const compared of tables) {
    if (compared < 0) {
      stats.skipped = 'dense';
      break;
    }
    stats.compared = compared;
    pass.checked++;
    left--;
    counted();
    // Asked between tables once enough are held: the held set stays small.
    if (held.size >= FLUSH) {
      await ask();
    }
    // A table at a time, so a cancel and the progress get through between them.
    await new Promise<void>(resolve => setTimeout(resolve, 0));
    if (ctx.signal?.aborted) {
      throw cancelledError();
    }
  }
  pass.countsToCheck = true;
  await ask();
  pass.countsToCheck = false;
  stats.found = pass.pairs.count - pairsBefore;
  return stats;
}
