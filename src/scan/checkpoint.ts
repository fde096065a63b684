// A scan's progress kept while it runs (issue 16), so that a reload, a closed tab, a restarted
// Jupyter server or a backend crash does not lose it: which points' neighbours are all known
// (a bitset), every pair found so far (typed arrays), and what the scan was (collection,
// vector, threshold, the listing's ids). DOM-free: the worker keeps it in IndexedDB
// (checkpointStore.ts), Node tests and the benchmark in a file.
import { higherIsBetter, passes } from './metric';
import { PairStore } from './pairs';
import type { DistanceKind, IPairList } from './types';

export const CHECKPOINT_VERSION = 1;

/**
 * A checkpoint is not written when its pairs pass this many (12 bytes each: 96 MB). The last
 * one that fitted is kept: it is still a true state of the scan, only older, so a resume from
 * it asks again what was asked after it.
 */
export const MAX_CHECKPOINT_PAIRS = 8_000_000;

/** Checkpoints are written at most this often while a scan runs (and once when it stops). */
export const CHECKPOINT_EVERY_MS = 5000;

/** The listing's ids, compact: integers as a Float64Array, anything else as they came. */
export type StoredIds =
  | { kind: 'numbers'; values: Float64Array }
  | { kind: 'any'; values: unknown[] };

export interface IScanCheckpoint {
  version: number;
  collection: string;
  /** The vector compared by ('' for the unnamed one). */
  using: string;
  distance: DistanceKind;
  threshold: number;
  exact: boolean;
  /** Points listed, and their ids in listing order (Qdrant scrolls by id, so the order repeats). */
  n: number;
  ids: StoredIds;
  /** The audit's seed: a resumed scan checks the same sample. */
  auditSeed: number;
  /** Bit i: point i's own queries are all answered and its pairs are in `pairs`. */
  done: Uint8Array;
  doneCount: number;
  /**
   * 'checking' once every point's own queries are answered; 'complete' for a finished scan,
   * kept as the base "Scan changes" compares the collection with.
   */
  phase: 'scanning' | 'checking' | 'complete';
  pairs: IPairList;
  /** Sure route: points (done ones only) the index cannot reach, for the check phase. */
  unreachable: Uint32Array;
  /** Neighbour queries sent before this checkpoint, over every run of the scan. */
  queries: number;
  searchedExactly: number;
  savedAt: number;
}

/** What the panel needs to offer "Resume (62% done)"; small enough to post on every change. */
export interface ICheckpointInfo {
  key: string;
  collection: string;
  using: string;
  distance: DistanceKind;
  threshold: number;
  exact: boolean;
  points: number;
  done: number;
  phase: IScanCheckpoint['phase'];
  pairs: number;
  savedAt: number;
}

/** Where checkpoints live, one per key (a backend and a collection). */
export interface ICheckpointStore {
  load(key: string): Promise<IScanCheckpoint | null>;
  /**
   * Keeps `checkpoint` under `key`. With `append`, its pairs are only those the kept one lacks
   * (found since, or kept ones whose score improved: the better score wins) and its ids are
   * the kept ones: the store adds the pairs to the kept ones and takes the rest as it is. An
   * append with nothing kept under `key` fails (the checkpoint would lack pairs).
   */
  save(
    key: string,
    checkpoint: IScanCheckpoint,
    append?: boolean
  ): Promise<void>;
  remove(key: string): Promise<void>;
}

/**
 * Pairs kept in parts written one after the other as one list: each pair once, at its first
 * place, with its best score (a later part holds new pairs and better scores of earlier ones).
 */
export function joinPairParts(
  parts: readonly IPairList[],
  distance: DistanceKind
): IPairList {
  if (parts.length === 1) {
    return parts[0];
  }
  let m = 0;
  for (const part of parts) {
    m += part.a.length;
  }
  const store = new PairStore(higherIsBetter(distance), m);
  for (const part of parts) {
    for (let k = 0; k < part.a.length; k++) {
      store.add(part.a[k], part.b[k], part.score[k]);
    }
  }
  return store.release();
}

/**
 * A kept checkpoint with `more` added (an append: see ICheckpointStore.save): `more`'s state,
 * the kept ids, and the kept pairs joined with `more`'s.
 */
export function appendedCheckpoint(
  kept: IScanCheckpoint,
  more: IScanCheckpoint
): IScanCheckpoint {
  return {
    ...more,
    ids: kept.ids,
    pairs: joinPairParts([kept.pairs, more.pairs], kept.distance)
  };
}

/** Checkpoints in memory: tests, and a worker where IndexedDB is missing (lost with the page). */
export class MemoryCheckpointStore implements ICheckpointStore {
  async load(key: string): Promise<IScanCheckpoint | null> {
    return this.kept.get(key) ?? null;
  }
  async save(
    key: string,
    checkpoint: IScanCheckpoint,
    append = false
  ): Promise<void> {
    const kept = this.kept.get(key);
    if (append && !kept) {
      throw new Error(`No checkpoint is kept under ${key} to add to.`);
    }
    this.kept.set(
      key,
      append && kept ? appendedCheckpoint(kept, checkpoint) : checkpoint
    );
    this.saves.push({ pairs: checkpoint.pairs.a.length, append });
  }
  async remove(key: string): Promise<void> {
    this.kept.delete(key);
  }
  /** What each save wrote: how many pairs, and whether it added to the kept ones (tests). */
  readonly saves: { pairs: number; append: boolean }[] = [];
  private readonly kept = new Map<string, IScanCheckpoint>();
}

export function checkpointInfo(
  key: string,
  c: IScanCheckpoint
): ICheckpointInfo {
  return {
    key,
    collection: c.collection,
    using: c.using,
    distance: c.distance,
    threshold: c.threshold,
    exact: c.exact,
    points: c.n,
    done: c.doneCount,
    phase: c.phase,
    pairs: c.pairs.a.length,
    savedAt: c.savedAt
  };
}

export function storeIds(ids: ArrayLike<unknown>): StoredIds {
  if (ids instanceof Float64Array) {
    // The listing's own ids (list.ts), never written after listing: shared, not copied.
    return { kind: 'numbers', values: ids };
  }
  const values = Array.from(ids);
  if (values.every(id => typeof id === 'number')) {
    return { kind: 'numbers', values: Float64Array.from(values as number[]) };
  }
  return { kind: 'any', values };
}

/**
 * A checkpoint fits a listing when the ids are the same, in the same order: then point i is
 * the same point in both, and the bitset and pairs mean what they meant.
 */
export function sameIds(ids: StoredIds, listed: ArrayLike<unknown>): boolean {
  if (ids.values.length !== listed.length) {
    return false;
  }
  for (let i = 0; i < listed.length; i++) {
    if (ids.values[i] !== listed[i]) {
      return false;
    }
  }
  return true;
}

/** A bitset of n bits, all clear. */
export function newBitset(n: number): Uint8Array {
  return new Uint8Array(Math.ceil(n / 8));
}

export function hasBit(bits: Uint8Array, i: number): boolean {
  return (bits[i >> 3] & (1 << (i & 7))) !== 0;
}

export function setBit(bits: Uint8Array, i: number): void {
  bits[i >> 3] |= 1 << (i & 7);
}

/**
 * Whether a kept checkpoint is sound enough to read: versions, shapes and every index in
 * range. Anything else (another version, a damaged record) is treated as no checkpoint.
 */
export function isCheckpoint(value: unknown): value is IScanCheckpoint {
  const c = value as IScanCheckpoint;
  if (
    typeof c !== 'object' ||
    c === null ||
    c.version !== CHECKPOINT_VERSION ||
    typeof c.collection !== 'string' ||
    typeof c.using !== 'string' ||
    typeof c.threshold !== 'number' ||
    !Number.isInteger(c.n) ||
    !(c.done instanceof Uint8Array) ||
    c.done.length !== Math.ceil(c.n / 8) ||
    !(c.pairs?.a instanceof Uint32Array) ||
    !(c.pairs.b instanceof Uint32Array) ||
    !(c.pairs.score instanceof Float32Array) ||
    c.pairs.a.length !== c.pairs.b.length ||
    c.pairs.a.length !== c.pairs.score.length ||
    !(c.unreachable instanceof Uint32Array) ||
    (c.ids?.kind !== 'numbers' && c.ids?.kind !== 'any') ||
    c.ids.values.length !== c.n
  ) {
    return false;
  }
  for (let k = 0; k < c.pairs.a.length; k++) {
    if (c.pairs.a[k] >= c.n || c.pairs.b[k] >= c.n) {
      return false;
    }
  }
  return c.unreachable.every(i => i < c.n);
}

/** Whether a checkpoint's pairs all pass its threshold (a damaged score is not resumed). */
export function pairsPass(c: IScanCheckpoint): boolean {
  return c.pairs.score.every(s => passes(s, c.threshold, c.distance));
}
