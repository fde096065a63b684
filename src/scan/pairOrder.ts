// Pairs in score order, most alike first, for grouping: a radix sort on the scores' float bits.
import { higherIsBetter } from './metric';
import type { DistanceKind, IPairList } from './types';

/**
 * Pair positions, most alike first (ties by position). A radix sort on the float bits: a
 * comparator sort of a million pairs takes about a second, this takes tens of milliseconds.
 */
export function sortPairs(
  pairs: IPairList,
  distance: DistanceKind
): Uint32Array {
  const m = pairs.score.length;
  const order = new Uint32Array(m);
  for (let k = 0; k < m; k++) {
    order[k] = k;
  }
  return radixSort(order, scoreKeys(pairs.score, distance));
}

/** Unsigned keys in the order most alike first, from the float bits of the scores. */
export function scoreKeys(
  score: Float32Array,
  distance: DistanceKind
): Uint32Array {
  const m = score.length;
  const bits = new Uint32Array(score.buffer, score.byteOffset, m);
  const flip = higherIsBetter(distance);
  const keys = new Uint32Array(m);
  for (let k = 0; k < m; k++) {
    keys[k] = scoreKey(bits[k], flip);
  }
  return keys;
}

/**
 * One score's unsigned key from its float32 bits: keys ascend as the scores go from most to
 * least alike (`flip`: higher is better).
 */
export function scoreKey(bits: number, flip: boolean): number {
  // IEEE-754 bits -> unsigned keys in the same order as the floats.
  const asc = bits & 0x80000000 ? ~bits >>> 0 : (bits | 0x80000000) >>> 0;
  return flip ? ~asc >>> 0 : asc;
}

/**
 * Stable sort of `items` by `keys` (keys[j] belongs to items[j]; both are consumed): two
 * counting passes of 16 bits, keys travelling with their items so each pass reads in order.
 */
export function radixSort(items: Uint32Array, keys: Uint32Array): Uint32Array {
  const m = items.length;
  let nextKeys = new Uint32Array(m);
  let nextItems = new Uint32Array(m);
  const counts = new Uint32Array(65536);
  for (let shift = 0; shift < 32; shift += 16) {
    counts.fill(0);
    for (let k = 0; k < m; k++) {
      counts[(keys[k] >>> shift) & 0xffff]++;
    }
    let sum = 0;
    for (let d = 0; d < 65536; d++) {
      const c = counts[d];
      counts[d] = sum;
      sum += c;
    }
    for (let k = 0; k < m; k++) {
      const key = keys[k];
      const at = counts[(key >>> shift) & 0xffff]++;
      nextKeys[at] = key;
      nextItems[at] = items[k];
    }
    [keys, nextKeys] = [nextKeys, keys];
    [items, nextItems] = [nextItems, items];
  }
  return items;
}
