// The pairs a scan finds, each kept once: the query from a finds b and the query from b finds a.
// Parallel typed arrays plus an open-addressing hash on (a, b), so memory stays O(pairs)
// with no per-pair objects (a JS Map also stops at 2^24 entries).
//
// Memory (issue 16: a million points, about six million pairs, under 300 MB in the worker):
// the arrays are kept in fixed chunks, so growing never copies them (a doubling array holds
// the old and the new copy at once: 2.5 times the pairs at the moment it grows), the table is
// kept at most three quarters full in 16 segments that grow one at a time, and `release` hands the pairs over as one list while
// freeing the chunks and the table as it goes, instead of a second full copy beside them.
import type { IPairList } from './types';

const INITIAL_CAPACITY = 1024;
/**
 * 2^19 pairs per chunk: three arrays of 2 MB. Buffers this large are mappings of their own in
 * Chromium's allocator and in glibc's (above its mmap threshold), so a chunk freed once laid out
 * goes back to the system; smaller ones stay in the allocator's heap when freed. Untouched
 * pages of a chunk take no memory, so a small scan does not pay for the size.
 */
const CHUNK_BITS = 19;
/** A table segment grows when it would be fuller than this (linear probing stays short below it). */
const MAX_LOAD = 0.75;
/**
 * The table's segments: 2^4, chosen by a hash's top 4 bits (the slot by its low bits). Few
 * enough to be megabytes each at millions of pairs (given back when freed, as chunks are),
 * many enough that one growing adds a sixteenth at a time.
 */
const SEGMENT_SHIFT = 28;
const SEGMENTS = 1 << (32 - SEGMENT_SHIFT);

export class PairStore {
  /**
   * @param higherIsBetter - true for similarities (Cosine, Dot), false for distances; decides
   *   which score wins when the two directions of a pair disagree (approximate search can).
   * @param capacity - pairs the table holds before it first grows.
   * @param chunkBits - log2 of the pairs per chunk (tests use small chunks).
   */
  constructor(
    readonly higherIsBetter: boolean,
    capacity = INITIAL_CAPACITY,
    chunkBits = CHUNK_BITS
  ) {
    this._bits = chunkBits;
    this._chunk = 1 << chunkBits;
    const size = tableSizeFor(Math.max(16, capacity) / SEGMENTS);
    this._segments = Array.from(
      { length: SEGMENTS },
      () => new Int32Array(size)
    );
    this._filled = new Int32Array(SEGMENTS);
  }

  get count(): number {
    return this._count;
  }

  /** Slots of the hash table now (all its segments): what it costs is 4 bytes each. */
  get tableSlots(): number {
    let slots = 0;
    for (const segment of this.segments()) {
      slots += segment.length;
    }
    return slots;
  }

  /** Adds the pair {i, j}; returns true if it is new. Self pairs and NaN scores are ignored. */
  add(i: number, j: number, score: number): boolean {
    if (i === j || Number.isNaN(score)) {
      return false;
    }
    const a = i < j ? i : j;
    const b = i < j ? j : i;
    const h = hash(a, b);
    const s = h >>> SEGMENT_SHIFT;
    const table = this.segments()[s];
    const mask = table.length - 1;
    const bits = this._bits;
    const low = this._chunk - 1;
    let slot = h & mask;
    for (;;) {
      const entry = table[slot];
      if (entry === 0) {
        break;
      }
      const k = entry - 1;
      const c = k >>> bits;
      const o = k & low;
      if (this._a[c][o] === a && this._b[c][o] === b) {
        const scores = this._score[c];
        const old = scores[o];
        if (this.higherIsBetter ? score > old : score < old) {
          scores[o] = score;
          if (this._rescored) {
            this._rescored.push(k);
          }
        }
        return false;
      }
      slot = (slot + 1) & mask;
    }
    if (this._filled[s] + 1 > table.length * MAX_LOAD) {
      this.rehash(s, table.length * 2);
      return this.add(a, b, score);
    }
    const k = this._count++;
    const c = k >>> bits;
    if (c === this._a.length) {
      this._a.push(new Uint32Array(this._chunk));
      this._b.push(new Uint32Array(this._chunk));
      this._score.push(new Float32Array(this._chunk));
    }
    const o = k & low;
    this._a[c][o] = a;
    this._b[c][o] = b;
    this._score[c][o] = score;
    table[slot] = k + 1;
    this._filled[s]++;
    return true;
  }

  /** Whether the pair {i, j} is already kept. */
  has(i: number, j: number): boolean {
    const a = i < j ? i : j;
    const b = i < j ? j : i;
    const h = hash(a, b);
    const table = this.segments()[h >>> SEGMENT_SHIFT];
    const mask = table.length - 1;
    const bits = this._bits;
    const low = this._chunk - 1;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const entry = table[slot];
      if (entry === 0) {
        return false;
      }
      const k = entry - 1;
      if (
        this._a[k >>> bits][k & low] === a &&
        this._b[k >>> bits][k & low] === b
      ) {
        return true;
      }
    }
  }

  /** The smaller end of the pair kept at position k. */
  endA(k: number): number {
    return this._a[k >>> this._bits][k & (this._chunk - 1)];
  }

  /** The larger end of the pair kept at position k. */
  endB(k: number): number {
    return this._b[k >>> this._bits][k & (this._chunk - 1)];
  }

  /** The score of the pair kept at position k. */
  scoreAt(k: number): number {
    return this._score[k >>> this._bits][k & (this._chunk - 1)];
  }

  /**
   * From now on, remembers the position of every kept pair whose score improves (a checkpoint
   * that wrote the pairs up to some position writes those again: rescoredSince).
   */
  trackRescores(): void {
    this._rescored ??= [];
  }

  /** How many improvements of a kept score were seen since trackRescores. */
  get rescoredCount(): number {
    return this._rescored?.length ?? 0;
  }

  /**
   * Copies of the pairs at positions from..count - 1 and of the pairs below `from` whose
   * score improved after the first `rescoredFrom` improvements: what a kept copy of the first
   * `from` pairs (taken when there were `rescoredFrom` improvements) lacks.
   */
  since(from: number, rescoredFrom: number): IPairList {
    const old = (this._rescored ?? [])
      .slice(rescoredFrom)
      .filter(k => k < from);
    const m = this._count - from + old.length;
    const out: IPairList = {
      a: new Uint32Array(m),
      b: new Uint32Array(m),
      score: new Float32Array(m)
    };
    const bits = this._bits;
    const low = this._chunk - 1;
    let at = 0;
    const copy = (k: number) => {
      out.a[at] = this._a[k >>> bits][k & low];
      out.b[at] = this._b[k >>> bits][k & low];
      out.score[at++] = this._score[k >>> bits][k & low];
    };
    old.forEach(copy);
    for (let k = from; k < this._count; k++) {
      copy(k);
    }
    return out;
  }

  /** Copies of the pairs as one list, ready to post (their buffers can be transferred). */
  toList(): IPairList {
    return this.gather(false);
  }

  /**
   * The pairs as one list, the store emptied on the way: each chunk is dropped once copied
   * and the table first, so the pairs are never held twice. The store cannot be used after.
   */
  release(): IPairList {
    this.dropTable();
    return this.gather(true);
  }

  /**
   * The pairs as the store holds them, in consecutive chunks (the last one trimmed), taken out
   * of it: the store keeps no reference, so they go when the caller lets them go (the scan
   * lays them out for regrouping straight from these, freeing each as it is read). Its hash
   * table is given back at once. The store cannot be used after.
   */
  takeChunks(): IPairList[] {
    this.segments();
    this.dropTable();
    const out: IPairList[] = [];
    const size = this._chunk;
    for (let c = 0, from = 0; from < this._count; c++, from += size) {
      const take = Math.min(size, this._count - from);
      out.push({
        a: this._a[c].subarray(0, take),
        b: this._b[c].subarray(0, take),
        score: this._score[c].subarray(0, take)
      });
    }
    this._a.length = this._b.length = this._score.length = 0;
    return out;
  }

  private gather(free: boolean): IPairList {
    const n = this._count;
    const out: IPairList = {
      a: new Uint32Array(n),
      b: new Uint32Array(n),
      score: new Float32Array(n)
    };
    const size = this._chunk;
    for (let c = 0, from = 0; from < n; c++, from += size) {
      const take = Math.min(size, n - from);
      out.a.set(this._a[c].subarray(0, take), from);
      out.b.set(this._b[c].subarray(0, take), from);
      out.score.set(this._score[c].subarray(0, take), from);
      if (free) {
        freeNow(this._a[c].buffer);
        freeNow(this._b[c].buffer);
        freeNow(this._score[c].buffer);
        this._a[c] = this._b[c] = EMPTY_U32;
        this._score[c] = EMPTY_F32;
      }
    }
    return out;
  }

  private segments(): Int32Array[] {
    if (this._segments === null) {
      throw new Error('The pairs were released: the store is empty now.');
    }
    return this._segments;
  }

  private dropTable(): void {
    for (const segment of this._segments ?? []) {
      freeNow(segment.buffer);
    }
    this._segments = null;
  }

  /** Segment `s` again at `size` slots (a power of two), with its pairs in it. */
  private rehash(s: number, size: number): void {
    const old = this.segments()[s];
    const table = new Int32Array(size);
    const mask = size - 1;
    const low = this._chunk - 1;
    for (let slot = 0; slot < old.length; slot++) {
      const entry = old[slot];
      if (entry === 0) {
        continue;
      }
      const k = entry - 1;
      const c = k >>> this._bits;
      let at = hash(this._a[c][k & low], this._b[c][k & low]) & mask;
      while (table[at] !== 0) {
        at = (at + 1) & mask;
      }
      table[at] = entry;
    }
    freeNow(old.buffer);
    this.segments()[s] = table;
  }

  private readonly _bits: number;
  private readonly _chunk: number;
  private readonly _a: Uint32Array[] = [];
  private readonly _b: Uint32Array[] = [];
  private readonly _score: Float32Array[] = [];
  /**
   * The hash table in SEGMENTS parts, chosen by a hash's top bits, each growing on its own:
   * at six million pairs a doubling single table is 64 MB and, while it grows, 96 MB (issue
   * 16); the parts grow a sixteenth at a time. Slot -> pair position + 1; 0 is empty. Null once
   * released.
   */
  private _segments: Int32Array[] | null;
  /** Pairs in each segment. */
  private readonly _filled: Int32Array;
  /** Positions whose score improved, while tracked (trackRescores). */
  private _rescored: number[] | null = null;
  private _count = 0;
}

/**
 * Gives a buffer's memory back at once where the engine can (ArrayBuffer.prototype.transfer:
 * Chromium 114 on, Node 21 on or Node 20 with --harmony-rab-gsab-transfer), instead of at the
 * next full collection, which can come after the next 80 MB have been allocated. The buffer
 * is detached: only for buffers nothing else holds.
 */
export function freeNow(buffer: ArrayBufferLike): void {
  const transfer = (buffer as { transfer?: (length: number) => unknown })
    .transfer;
  if (typeof transfer === 'function') {
    transfer.call(buffer, 0);
  }
}

const EMPTY_U32 = new Uint32Array(0);
const EMPTY_F32 = new Float32Array(0);

/** The smallest power of two (at least 8) that holds `capacity` pairs at most MAX_LOAD full. */
function tableSizeFor(capacity: number): number {
  let size = 8;
  while (size * MAX_LOAD < capacity) {
    size *= 2;
  }
  return size;
}

function hash(a: number, b: number): number {
  // Multiplicative mixing (Murmur3 finaliser constants); sequential indices would
  // otherwise cluster in a linear-probing table.
  let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b ^ (b >>> 15), 0x85ebca77);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
