// DOM-free: the scan's pair store against a plain Map of the same pairs, across its chunk
// boundaries and table growth (small chunks so a few thousand pairs cross many of both).
import { freeNow, PairStore } from '../scan/pairs';

function randomPairs(count: number, points: number, seed: number) {
  let s = seed;
  const next = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
  const out: [number, number, number][] = [];
  for (let k = 0; k < count; k++) {
    out.push([
      Math.floor(next() * points),
      Math.floor(next() * points),
      Math.fround(0.9 + next() / 10)
    ]);
  }
  return out;
}

function reference(pairs: [number, number, number][], higher: boolean) {
  const map = new Map<string, number>();
  for (const [i, j, score] of pairs) {
    if (i === j) {
      continue;
    }
    const key = `${Math.min(i, j)},${Math.max(i, j)}`;
    const old = map.get(key);
    if (old === undefined || (higher ? score > old : score < old)) {
      map.set(key, score);
    }
  }
  return map;
}

function asMap(list: {
  a: Uint32Array;
  b: Uint32Array;
  score: Float32Array;
}): Map<string, number> {
  const map = new Map<string, number>();
  for (let k = 0; k < list.a.length; k++) {
    expect(list.a[k]).toBeLessThan(list.b[k]);
    map.set(`${list.a[k]},${list.b[k]}`, list.score[k]);
  }
  return map;
}

describe('PairStore', () => {
  it.each([true, false])(
    'keeps each pair once with its best score across chunks and table growth (higher is better: %s)',
    higher => {
      // 20,000 draws over 300 points: many pairs found twice, in both directions.
      const draws = randomPairs(20_000, 300, higher ? 7 : 11);
      const store = new PairStore(higher, 4, 6);
      let added = 0;
      for (const [i, j, score] of draws) {
        if (store.add(i, j, score)) {
          added++;
        }
      }
      const want = reference(draws, higher);
      expect(store.count).toBe(want.size);
      expect(added).toBe(want.size);
      expect(asMap(store.toList())).toEqual(want);
      for (const [i, j] of draws.slice(0, 500)) {
        expect(store.has(i, j)).toBe(i !== j);
        expect(store.has(j, i)).toBe(i !== j);
      }
      expect(store.has(1000, 1001)).toBe(false);
    }
  );

  it('hands over the same pairs on release, in the order they were found, and is empty after', () => {
    const draws = randomPairs(5_000, 200, 3);
    const store = new PairStore(true, 16, 5);
    for (const [i, j, score] of draws) {
      store.add(i, j, score);
    }
    const copy = store.toList();
    const released = store.release();
    expect(released.a).toEqual(copy.a);
    expect(released.b).toEqual(copy.b);
    expect(released.score).toEqual(copy.score);
    expect(() => store.add(1, 2, 0.99)).toThrow(/released/);
    expect(() => store.has(1, 2)).toThrow(/released/);
  });

  it('grows its hash table a segment at a time, never more than three quarters full nor a doubling at once', () => {
    // 300,000 distinct pairs: a single doubling table would jump from 2^19 to 2^20 slots
    // (and hold both while it grows); the segments add a sixteenth of that at a time.
    const store = new PairStore(true);
    let largestStep = 0;
    let slots = store.tableSlots;
    for (let k = 0; k < 300_000; k++) {
      store.add(k % 1000, 1000 + Math.floor(k / 1000), 0.96);
      const now = store.tableSlots;
      largestStep = Math.max(largestStep, now - slots);
      slots = now;
    }
    expect(store.count).toBe(300_000);
    expect(slots).toBeGreaterThanOrEqual(300_000 / 0.75);
    expect(slots).toBeLessThanOrEqual((2 * 300_000) / 0.75);
    expect(largestStep).toBeLessThanOrEqual(slots / 8);
  });

  it('gives the pairs since a position and the earlier ones whose score improved since (fake scores)', () => {
    const store = new PairStore(true);
    store.trackRescores();
    store.add(1, 2, 0.96);
    store.add(3, 4, 0.97);
    const mark = { pairs: store.count, rescored: store.rescoredCount };
    store.add(5, 6, 0.98);
    store.add(2, 1, 0.99); // better: kept, and given again
    store.add(4, 3, 0.9); // worse: not
    const since = store.since(mark.pairs, mark.rescored);
    expect(Array.from(since.a)).toEqual([1, 5]);
    expect(Array.from(since.b)).toEqual([2, 6]);
    expect(Array.from(since.score)).toEqual([
      Math.fround(0.99),
      Math.fround(0.98)
    ]);
  });

  it('ignores self pairs and NaN scores', () => {
    const store = new PairStore(true);
    expect(store.add(3, 3, 0.99)).toBe(false);
    expect(store.add(3, 4, NaN)).toBe(false);
    expect(store.count).toBe(0);
    expect(store.toList().a.length).toBe(0);
  });
});

describe('freeNow', () => {
  it('gives a buffer back by transfer(0) where the engine has it (a fake buffer), and does nothing where not', () => {
    const calls: number[] = [];
    const fake = {
      transfer: (length: number) => {
        calls.push(length);
        return new ArrayBuffer(length);
      }
    } as unknown as ArrayBuffer;
    freeNow(fake);
    expect(calls).toEqual([0]);
    const plain = { byteLength: 8 } as unknown as ArrayBuffer;
    expect(() => freeNow(plain)).not.toThrow();
  });
});
