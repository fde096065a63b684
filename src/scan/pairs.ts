// The pairs a scan finds, each kept once: the query from a finds b and the query from b finds a.
// Parallel typed arrays plus an open-addressing hash on (a, b), so memory stays O(pairs)
// with no per-pair objects (a JS Map also stops at 2^24 entries).
import type { IPairList } from './types';

const INITIAL_CAPACITY = 1024;

export class PairStore {
  /**
   * @param higherIsBetter - true for similarities (Cosine, Dot), false for distances; decides
   *   which score wins when the two directions of a pair disagree (approximate search can).
   */
  constructor(
    readonly higherIsBetter: boolean,
    capacity = INITIAL_CAPACITY
  ) {
    capacity = Math.max(16, capacity);
    this._a = new Uint32Array(capacity);
    this._b = new Uint32Array(capacity);
    this._score = new Float32Array(capacity);
    this._table = new Int32Array(tableSizeFor(capacity));
  }

  get count(): number {
    return this._count;
  }

  /** Adds the pair {i, j}; returns true if it is new. Self pairs and NaN scores are ignored. */
  add(i: number, j: number, score: number): boolean {
    if (i === j || Number.isNaN(score)) {
      return false;
    }
    const a = i < j ? i : j;
    const b = i < j ? j : i;
    const table = this._table;
    const mask = table.length - 1;
    let slot = hash(a, b) & mask;
    for (;;) {
      const entry = table[slot];
      if (entry === 0) {
        break;
      }
      const k = entry - 1;
      if (this._a[k] === a && this._b[k] === b) {
        const old = this._score[k];
        if (this.higherIsBetter ? score > old : score < old) {
          this._score[k] = score;
        }
        return false;
      }
      slot = (slot + 1) & mask;
    }
    if (this._count === this._a.length) {
      this.grow();
      return this.add(a, b, score);
    }
    const k = this._count++;
    this._a[k] = a;
    this._b[k] = b;
    this._score[k] = score;
    table[slot] = k + 1;
    return true;
  }

  /** Whether the pair {i, j} is already kept. */
  has(i: number, j: number): boolean {
    const a = i < j ? i : j;
    const b = i < j ? j : i;
    const table = this._table;
    const mask = table.length - 1;
    for (let slot = hash(a, b) & mask; ; slot = (slot + 1) & mask) {
      const entry = table[slot];
      if (entry === 0) {
        return false;
      }
      if (this._a[entry - 1] === a && this._b[entry - 1] === b) {
        return true;
      }
    }
  }

  /** Trimmed copies of the pairs, ready to post (their buffers can be transferred). */
  toList(): IPairList {
    return {
      a: this._a.slice(0, this._count),
      b: this._b.slice(0, this._count),
      score: this._score.slice(0, this._count)
    };
  }

  private grow(): void {
    const capacity = this._a.length * 2;
    const a = new Uint32Array(capacity);
    const b = new Uint32Array(capacity);
    const score = new Float32Array(capacity);
    a.set(this._a);
    b.set(this._b);
    score.set(this._score);
    this._a = a;
    this._b = b;
    this._score = score;
    // Rehash into a table kept at most half full, so probes stay short.
    const table = new Int32Array(tableSizeFor(capacity));
    const mask = table.length - 1;
    for (let k = 0; k < this._count; k++) {
      let slot = hash(a[k], b[k]) & mask;
      while (table[slot] !== 0) {
        slot = (slot + 1) & mask;
      }
      table[slot] = k + 1;
    }
    this._table = table;
  }

  private _a: Uint32Array;
  private _b: Uint32Array;
  private _score: Float32Array;
  /** Slot -> pair position + 1; 0 is empty. */
  private _table: Int32Array;
  private _count = 0;
}

function tableSizeFor(capacity: number): number {
  let size = 16;
  while (size < capacity * 2) {
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
