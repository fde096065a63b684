// Split leakage (DOM-free): the split x split table against a brute-force count on random
// groups, and the headline in the kernel's words (nd.leakage(), split_leakage.py).
// Groups are fakes holding only their members: the table reads nothing else.
import { nullTranslator } from '@jupyterlab/translation';
import {
  collectionSplits,
  formatPercent1,
  groupsInCell,
  leakHeadline,
  NO_SPLIT,
  splitCodesOf,
  splitLeakage
} from '../leakage';
import type { IDuplicateGroup } from '../scan/types';

const trans = nullTranslator.load('jupyterlab_near_duplicates');

function fakeGroup(members: number[]): IDuplicateGroup {
  return { key: Math.min(...members), members } as IDuplicateGroup;
}

/** A small seeded generator, so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('splitLeakage (fake groups)', () => {
  it('counts every cell as a brute force over all groups does, on random data', () => {
    for (let trial = 0; trial < 60; trial++) {
      const random = rng(trial + 1);
      const names = ['test', 'train', 'val', 'b', 'A'].slice(
        0,
        1 + Math.floor(random() * 5)
      );
      const n = 20 + Math.floor(random() * 200);
      const splits = Array.from({ length: n }, () =>
        random() < 0.1 ? null : names[Math.floor(random() * names.length)]
      );
      const order = Array.from({ length: n }, (_, i) => i).sort(
        () => random() - 0.5
      );
      const groups: IDuplicateGroup[] = [];
      let at = 0;
      while (at < n - 1 && groups.length < 40) {
        const size = 2 + Math.floor(random() * 5);
        groups.push(
          fakeGroup(order.slice(at, at + size).sort((a, b) => a - b))
        );
        at += size + Math.floor(random() * 3);
      }
      const groupsOk = groups.filter(g => g.members.length >= 2);
      const table = splitLeakage(groupsOk, splits);

      const splitOf = (m: number) => splits[m] ?? NO_SPLIT;
      const onMembers = new Set(groupsOk.flatMap(g => g.members.map(splitOf)));
      const named = [...onMembers].filter(s => s !== NO_SPLIT).sort();
      expect(table.splits).toEqual(
        onMembers.has(NO_SPLIT) ? [...named, NO_SPLIT] : named
      );
      table.splits.forEach((a, i) =>
        table.splits.forEach((b, j) => {
          const count = (g: IDuplicateGroup, s: string) =>
            g.members.filter(m => splitOf(m) === s).length;
          const holding = groupsOk.filter(g =>
            a === b ? count(g, a) >= 2 : count(g, a) > 0 && count(g, b) > 0
          );
          expect([a, b, table.groups[i][j]]).toEqual([a, b, holding.length]);
          expect([a, b, table.samples[i][j]]).toEqual([
            a,
            b,
            holding.reduce((sum, g) => sum + count(g, a), 0)
          ]);
          // A click on the cell shows exactly the groups it counts.
          expect(groupsInCell(groupsOk, splits, { a, b })).toEqual(holding);
        })
      );
      for (const s of named) {
        expect(table.sizes.get(s)).toBe(splits.filter(x => x === s).length);
      }
      expect(table.crossing).toBe(
        groupsOk.filter(g => new Set(g.members.map(splitOf)).size > 1).length
      );
      expect(table.missing).toBe(
        groupsOk.flatMap(g => g.members).filter(m => splits[m] === null).length
      );
    }
  });

  it('says how many test samples have a near-duplicate in train, with their share of test', () => {
    // 10 test points, 10 train; groups: {t0,t1,r0}, {t2,r1,r2}, {r3,r4}, {t3,t4}
    const splits = [
      ...Array.from({ length: 10 }, () => 'test'),
      ...Array.from({ length: 10 }, () => 'train')
    ];
    const groups = [
      fakeGroup([0, 1, 10]),
      fakeGroup([2, 11, 12]),
      fakeGroup([13, 14]),
      fakeGroup([3, 4])
    ];
    const table = splitLeakage(groups, splits);
    expect(table.splits).toEqual(['test', 'train']);
    expect(table.groups).toEqual([
      [2, 2],
      [2, 2]
    ]);
    expect(table.samples).toEqual([
      [4, 3],
      [3, 4]
    ]);
    expect(leakHeadline(table, trans)).toBe(
      '3 test samples (30.0% of test) have a near-duplicate in train'
    );
    const one = splitLeakage([fakeGroup([0, 10])], splits);
    expect(leakHeadline(one, trans)).toBe(
      '1 test sample (10.0% of test) has a near-duplicate in train'
    );
  });

  it('rounds the share as Python does (ties to even) and writes thousands with commas', () => {
    expect(formatPercent1(0.25)).toBe('0.2');
    expect(formatPercent1(0.75)).toBe('0.8');
    expect(formatPercent1(12.25)).toBe('12.2');
    expect(formatPercent1(16.5)).toBe('16.5');
    expect(formatPercent1(0.15)).toBe('0.1');
    // 1 test sample of 400 leaks: Python's f"{0.25:.1f}" is "0.2".
    const splits = [
      ...Array.from({ length: 400 }, () => 'test'),
      ...Array.from({ length: 1300 }, () => 'train')
    ];
    expect(
      leakHeadline(splitLeakage([fakeGroup([0, 400])], splits), trans)
    ).toBe('1 test sample (0.2% of test) has a near-duplicate in train');
    const big = Array.from({ length: 1234 }, (_, i) =>
      fakeGroup([i, 2000 + i])
    );
    const many = [
      ...Array.from({ length: 2000 }, () => 'test'),
      ...Array.from({ length: 2000 }, () => 'train')
    ];
    expect(leakHeadline(splitLeakage(big, many), trans)).toBe(
      '1,234 test samples (61.7% of test) have a near-duplicate in train'
    );
  });

  it('puts test before val, and compares the smallest split with the largest when the names are unknown', () => {
    const splits = ['val', 'test', 'train', 'val', 'test', 'train', 'train'];
    const table = splitLeakage(
      [fakeGroup([0, 2]), fakeGroup([1, 5]), fakeGroup([3, 4])],
      splits
    );
    expect(table.lines.map(l => `${l.held}/${l.ref}`)).toEqual([
      'test/train',
      'val/train'
    ]);
    expect(leakHeadline(table, trans)).toBe(
      '1 test sample (50.0% of test) has a near-duplicate in train'
    );
    const fold = ['f2', 'f1', 'f1', 'f3', 'f3', 'f3'];
    const byFold = splitLeakage([fakeGroup([0, 3]), fakeGroup([1, 4])], fold);
    expect(byFold.lines.map(l => `${l.held}/${l.ref}`)).toEqual([
      'f2/f3',
      'f1/f3'
    ]);
    expect(leakHeadline(byFold, trans)).toBe(
      '1 f2 sample (100.0% of f2) has a near-duplicate in f3'
    );
  });

  it('counts members without a split under "(no split)", last, and says when no group crosses', () => {
    const splits = ['train', null, 'test', 'train', 'train'];
    const table = splitLeakage([fakeGroup([0, 1]), fakeGroup([3, 4])], splits);
    expect(table.splits).toEqual(['train', NO_SPLIT]);
    expect(table.missing).toBe(1);
    expect(table.members).toBe(4);
    expect(table.groups).toEqual([
      [1, 1],
      [1, 0]
    ]);
    expect(leakHeadline(table, trans)).toBe(
      'No group holds two splits: 1 of 2 groups cross splits'
    );
    expect(collectionSplits(splits)).toEqual(['test', 'train']);
    expect(collectionSplits([null, null])).toEqual([]);
  });
});

describe('splitCodesOf', () => {
  it('numbers each point by its split, 0 for none, in the order first seen', () => {
    expect(
      splitCodesOf(['train', null, 'test', 'train', undefined as never, 'val'])
    ).toEqual({
      names: ['train', 'test', 'val'],
      codes: Uint16Array.from([1, 0, 2, 1, 0, 3])
    });
  });

  it('gives up past 65,534 distinct splits (the plan then reads the strings)', () => {
    const distinct = (n: number) =>
      Array.from({ length: n }, (_, i) => `s${i}`);
    expect(splitCodesOf(distinct(65534))?.names).toHaveLength(65534);
    expect(splitCodesOf(distinct(65535))).toBeNull();
  });
});
