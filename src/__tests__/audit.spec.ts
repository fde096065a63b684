// The audit's arithmetic (DOM-free, no Qdrant): which points it samples and what it concludes.
import { auditSize, estimateRecall, samplePoints, wilson } from '../scan/audit';
import {
  describeMisses,
  describeRecall,
  formatPercent
} from '../components/RecallView';
import type { IRecallEstimate } from '../scan/types';

describe('samplePoints', () => {
  it('draws the same distinct points for the same seed, and other points for another', () => {
    const a = samplePoints(50000, 500, 42);
    expect(samplePoints(50000, 500, 42)).toEqual(a);
    expect(new Set(a).size).toBe(500);
    expect(a.every(i => Number.isInteger(i) && i >= 0 && i < 50000)).toBe(true);
    const b = samplePoints(50000, 500, 43);
    expect(b.filter(i => a.includes(i)).length).toBeLessThan(50);
  });

  it('covers the collection evenly (a quarter of the sample in each quarter, roughly)', () => {
    const s = samplePoints(100000, 2000, 7);
    for (let q = 0; q < 4; q++) {
      const inQuarter = s.filter(
        i => i >= q * 25000 && i < (q + 1) * 25000
      ).length;
      expect(inQuarter).toBeGreaterThan(400);
      expect(inQuarter).toBeLessThan(600);
    }
  });

  it('takes every point of a collection smaller than the sample', () => {
    expect(samplePoints(5, 200, 1)).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('auditSize', () => {
  it('is 1% of the collection, at least 200, at most about 5e7 comparisons', () => {
    expect(auditSize(50)).toBe(50);
    expect(auditSize(10000)).toBe(200);
    expect(auditSize(50000)).toBe(500);
    expect(auditSize(100000)).toBe(500);
    expect(auditSize(1000000)).toBe(200);
  });
});

describe('estimateRecall', () => {
  it('is the share of the sampled points pairs the scan found', () => {
    const e = estimateRecall([
      { truth: 10, found: 10 },
      { truth: 4, found: 2 },
      { truth: 0, found: 0 },
      { truth: 6, found: 6 }
    ]);
    expect(e.pairs).toBe(20);
    expect(e.found).toBe(18);
    expect(e.missedPoints).toBe(1);
    expect(e.recall).toBeCloseTo(0.9);
    expect(e.low!).toBeLessThan(0.9);
    expect(e.high!).toBeGreaterThan(0.9);
  });

  it('keeps a lower bound below 100% when nothing was missed, wider when pairs cluster', () => {
    const spread = estimateRecall(
      Array.from({ length: 500 }, () => ({ truth: 2, found: 2 }))
    );
    expect(spread.recall).toBe(1);
    expect(spread.high).toBe(1);
    // 500 independent points: about 1 - 3.84 / 500.
    expect(spread.low!).toBeGreaterThan(0.99);
    expect(spread.low!).toBeLessThan(1);
    // The same 1,000 pairs on 5 points: far less known.
    const clustered = estimateRecall(
      Array.from({ length: 5 }, () => ({ truth: 200, found: 200 }))
    );
    expect(clustered.low!).toBeLessThan(0.6);
  });

  it('says nothing when the sample has no pairs', () => {
    expect(estimateRecall([{ truth: 0, found: 0 }]).recall).toBeNull();
  });

  it('wilson holds the proportion and stays in [0, 1]', () => {
    const [lo, hi] = wilson(0.5, 100);
    expect(lo).toBeCloseTo(0.404, 2);
    expect(hi).toBeCloseTo(0.596, 2);
    expect(wilson(0, 10)[0]).toBe(0);
    expect(wilson(1, 10)[1]).toBe(1);
  });
});

describe('the panel sentence', () => {
  const audit: IRecallEstimate = {
    seed: 1,
    sampled: 500,
    pairs: 6000,
    found: 5994,
    missedPoints: 2,
    recall: 0.999,
    low: 0.99712,
    high: 0.99999,
    unreachable: 9,
    route: 'by-id',
    searchedExactly: 0,
    exactSecondsPerPoint: 0.003,
    cure: { route: 'sure', seconds: 25 }
  };

  it('reads as a quotable estimate', () => {
    expect(describeRecall(audit)).toBe(
      'Estimated pair recall 99.9% (95% interval 99.7 to 100%), from an exact check of 500 points.'
    );
  });

  it('never rounds a miss up to 100%', () => {
    expect(formatPercent(0.99996)).toBe('99.996');
    expect(formatPercent(0.99996, 'floor')).toBe('99.9');
    expect(formatPercent(1)).toBe('100');
  });

  it('says plainly when the sample found misses', () => {
    expect(describeMisses(audit)).toBe(
      'This result is incomplete: 2 checked points had duplicate pairs this scan did not find (6 of 6,000 pairs); ' +
        "9 checked points cannot be reached through the collection's index, so their duplicates are missing from the groups."
    );
    expect(
      describeMisses({ ...audit, missedPoints: 0, found: 6000, route: 'sure' })
    ).toBeNull();
  });
});
