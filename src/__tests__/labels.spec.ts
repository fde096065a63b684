// Labelled pairs (issue 15), DOM-free: keys, the score a label is judged by, the counts at a
// threshold and the suggested threshold, against brute force over seeded random labels
// (plain label lists, no scan, except where a scan's kept pairs are the point).
import {
  countLabels,
  IPairLabel,
  IScoredLabel,
  labelPair,
  misclassified,
  NO_LABELS,
  pairKey,
  PairVerdict,
  restoreLabels,
  saveLabels,
  scoreLabels,
  suggestThreshold,
  withLabel
} from '../labels';
import { passes } from '../scan/metric';
import type { DistanceKind } from '../scan/types';
import { PAIRS, scanResult } from './commFixtures';

function label(
  score: number,
  verdict: PairVerdict,
  distance: DistanceKind = 'Cosine',
  ids: [number, number] = [0, 1]
): IPairLabel {
  return {
    pointIds: ids,
    sampleIds: [`s${ids[0]}`, `s${ids[1]}`],
    score,
    using: null,
    distance,
    label: verdict,
    labelledAt: 0
  };
}

const scoredOf = (
  list: [number, PairVerdict][],
  distance: DistanceKind = 'Cosine'
): IScoredLabel[] =>
  list.map(([score, verdict]) => ({
    label: label(score, verdict, distance),
    score
  }));

describe('a pair’s key', () => {
  it('is the same in either order, and tells the number 7 from the string "7"', () => {
    expect(pairKey(7, 'uuid-a')).toBe(pairKey('uuid-a', 7));
    expect(pairKey(7, 8)).not.toBe(pairKey('7', 8));
    expect(pairKey(1, 23)).not.toBe(pairKey(12, 3));
  });

  it('holds one label per pair: labelling it again replaces, null removes', () => {
    const result = scanResult(PAIRS);
    let labels = withLabel(
      NO_LABELS,
      100,
      101,
      labelPair(result, 1, 0, 0.99, 'duplicate', 1)
    );
    labels = withLabel(
      labels,
      101,
      100,
      labelPair(result, 0, 1, 0.99, 'not', 2)
    );
    expect([...labels.values()].map(l => l.label)).toEqual(['not']);
    expect(labels.get(pairKey(100, 101))!.pointIds).toEqual([100, 101]);
    expect(labels.get(pairKey(100, 101))!.sampleIds).toEqual(['s0', 's1']);
    expect(withLabel(labels, 100, 101, null).size).toBe(0);
    expect(NO_LABELS.size).toBe(0);
  });
});

describe('the score a label is judged by', () => {
  const result = scanResult(PAIRS); // Cosine, floor 0.9
  const make = (
    a: number,
    b: number,
    score: number,
    patch: Partial<IPairLabel> = {}
  ) => ({ ...labelPair(result, a, b, score, 'duplicate', 0), ...patch });

  it('is the kept pair’s score when this scan has the pair, else the one kept with the label, if measured alike', () => {
    let labels = NO_LABELS;
    const kept = make(2, 1, 0.5); // the scan holds 1-2 at 0.95
    const below = make(4, 7, 0.85); // not in this scan: below its floor
    const otherVector = make(5, 4, 0.97, { using: 'clip' });
    const otherDistance = make(6, 7, 0.2, { distance: 'Euclid' });
    const otherVectorKept = make(0, 1, 0.1, { using: 'clip' }); // kept here: this scan’s score
    for (const l of [
      kept,
      below,
      otherVector,
      otherDistance,
      otherVectorKept
    ]) {
      labels = withLabel(labels, l.pointIds[0], l.pointIds[1], l);
    }
    const scores = scoreLabels(labels, result).map(s => s.score);
    expect(scores).toEqual([
      Math.fround(0.95),
      0.85,
      null,
      null,
      Math.fround(0.99)
    ]);
    const counts = countLabels(scoreLabels(labels, result), 0.9, 'Cosine');
    expect(counts).toEqual({
      duplicates: 3,
      keptDuplicates: 2,
      nots: 0,
      groupedNots: 0,
      unscored: 2
    });
  });
});

describe('the counts at a threshold', () => {
  it('use Qdrant’s strict test: a score equal to the threshold is not kept', () => {
    const scored = scoredOf([
      [0.95, 'duplicate'],
      [0.97, 'duplicate'],
      [0.96, 'not'],
      [0.9, 'not']
    ]);
    expect(countLabels(scored, 0.95, 'Cosine')).toEqual({
      duplicates: 2,
      keptDuplicates: 1,
      nots: 2,
      groupedNots: 1,
      unscored: 0
    });
  });

  it('read distances the other way: smaller passes', () => {
    const scored = scoredOf(
      [
        [0.1, 'duplicate'],
        [0.3, 'duplicate'],
        [0.2, 'not']
      ],
      'Euclid'
    );
    const counts = countLabels(scored, 0.25, 'Euclid');
    expect(counts.keptDuplicates).toBe(1);
    expect(counts.groupedNots).toBe(1);
    expect(misclassified(counts)).toBe(2);
  });
});

describe('the suggested threshold', () => {
  it('sits in the middle of the gap between the two kinds, a round number', () => {
    const scored = scoredOf([
      [0.99, 'duplicate'],
      [0.97, 'duplicate'],
      [0.9613, 'duplicate'],
      [0.95, 'not'],
      [0.93, 'not']
    ]);
    expect(suggestThreshold(scored, 'Cosine', 0.8, 1)).toEqual({
      threshold: 0.956,
      errors: 0,
      from: 0.95,
      to: 0.9613
    });
  });

  it('is the same whichever way round a distance reads', () => {
    const scored = scoredOf(
      [
        [0.1, 'duplicate'],
        [0.2, 'duplicate'],
        [0.4, 'not'],
        [0.5, 'not']
      ],
      'Euclid'
    );
    const s = suggestThreshold(scored, 'Euclid', 0.6, 0)!;
    expect(s.threshold).toBeCloseTo(0.3, 10);
    expect(s.errors).toBe(0);
    expect(countLabels(scored, s.threshold, 'Euclid')).toMatchObject({
      keptDuplicates: 2,
      groupedNots: 0
    });
  });

  it('takes the stricter of two equally good, equally wide gaps', () => {
    // One label wrong either way: [0.85, 0.87) groups the 0.89 non-duplicate, [0.89, 0.91)
    // drops the 0.87 duplicate; both runs are 0.02 wide.
    const scored = scoredOf([
      [0.85, 'not'],
      [0.87, 'duplicate'],
      [0.89, 'not'],
      [0.91, 'duplicate']
    ]);
    const s = suggestThreshold(scored, 'Cosine', 0.8, 1)!;
    expect(s.errors).toBe(1);
    expect(s.threshold).toBe(0.9);
    const euclid = scoredOf(
      [
        [0.15, 'not'],
        [0.13, 'duplicate'],
        [0.11, 'not'],
        [0.09, 'duplicate']
      ],
      'Euclid'
    );
    expect(suggestThreshold(euclid, 'Euclid', 0.2, 0)!.threshold).toBe(0.1);
  });

  it('needs a label of each kind', () => {
    expect(
      suggestThreshold(scoredOf([[0.97, 'duplicate']]), 'Cosine', 0.8, 1)
    ).toBeNull();
    expect(
      suggestThreshold(
        [
          { label: label(0.9, 'not'), score: null },
          ...scoredOf([[0.97, 'duplicate']])
        ],
        'Cosine',
        0.8,
        1
      )
    ).toBeNull();
  });

  it('stays within what the scan can show: a non-duplicate below the floor is left out already', () => {
    const scored = scoredOf([
      [0.99, 'duplicate'],
      [0.7, 'not']
    ]);
    const s = suggestThreshold(scored, 'Cosine', 0.8, 1)!;
    expect(s.errors).toBe(0);
    expect(s.threshold).toBeGreaterThanOrEqual(0.8);
    expect(s.threshold).toBeLessThan(0.99);
  });

  // Brute force: thresholds on a 1e-4 grid across the scan's range, judged with passes() alone. Scores are on a 0.01 grid, so every run of equally good thresholds holds grid points.
  const cases: [DistanceKind, number][] = [];
  for (let seed = 1; seed <= 60; seed++) {
    cases.push([seed % 3 === 0 ? 'Euclid' : 'Cosine', seed]);
  }
  it.each(cases)(
    '%s labels, seed %i: fewest errors, in the widest run of such thresholds (stricter on a tie), near its middle',
    (distance, seed) => {
      let state = seed;
      const rand = () => (state = (state * 48271) % 2147483647) / 2147483647;
      const similarity = distance === 'Cosine';
      const [floor, end] = similarity ? [0.8, 1] : [0.6, 0];
      const n = 2 + Math.floor(rand() * 12);
      const list: [number, PairVerdict][] = [];
      for (let i = 0; i < n; i++) {
        const verdict: PairVerdict =
          i === 0
            ? 'duplicate'
            : i === 1
              ? 'not'
              : rand() < 0.5
                ? 'duplicate'
                : 'not';
        // Duplicates lean alike, non-duplicates less so, with overlap; some below the floor.
        const lean = verdict === 'duplicate' ? 0.6 : 0.3;
        const alike = Math.min(1, Math.max(0, lean + (rand() - 0.5) * 0.9));
        const score = similarity
          ? Math.round((0.75 + alike * 0.25) * 100) / 100
          : Math.round((0.7 - alike * 0.7) * 100) / 100;
        list.push([score, verdict]);
      }
      const scored = scoredOf(list, distance);
      const errorsAt = (t: number) =>
        list.filter(([s, v]) => passes(s, t, distance) !== (v === 'duplicate'))
          .length;
      // The grid from the loose end to the strict end, half a step off every score, so a run
      // between two scores holds as many grid points as it is wide, whichever end it includes.
      const steps = Math.round(Math.abs(end - floor) * 1e4);
      const grid = Array.from(
        { length: steps },
        (_, i) => floor + ((end - floor) * (i + 0.5)) / steps
      );
      const errors = grid.map(errorsAt);
      const fewest = Math.min(...errors);
      // Runs of consecutive grid thresholds with the fewest errors: [first, last] indices.
      const runs: [number, number][] = [];
      errors.forEach((e, i) => {
        if (e !== fewest) {
          return;
        }
        const last = runs[runs.length - 1];
        if (last && last[1] === i - 1) {
          last[1] = i;
        } else {
          runs.push([i, i]);
        }
      });
      const widest = Math.max(...runs.map(([a, b]) => b - a));
      // Stricter on a tie: grid indices grow toward the strict end.
      const [first, last] = runs.filter(([a, b]) => b - a === widest).pop()!;

      const s = suggestThreshold(scored, distance, floor, end)!;
      expect(s.errors).toBe(fewest);
      expect(errorsAt(s.threshold)).toBe(fewest);
      expect(misclassified(countLabels(scored, s.threshold, distance))).toBe(
        fewest
      );
      const [lo, hi] = [grid[first], grid[last]].sort((x, y) => x - y);
      expect(s.threshold).toBeGreaterThanOrEqual(lo - 1.5e-4);
      expect(s.threshold).toBeLessThanOrEqual(hi + 1.5e-4);
      // Within the middle half of the run (plus the grid's step).
      const middle = (grid[first] + grid[last]) / 2;
      expect(Math.abs(s.threshold - middle)).toBeLessThanOrEqual(
        Math.abs(grid[last] - grid[first]) / 4 + 2e-4
      );
    }
  );
});

describe('kept labels', () => {
  it('come back as they were saved, unreadable ones dropped', () => {
    let labels = NO_LABELS;
    const a = label(0.97, 'duplicate', 'Cosine', [3, 4]);
    const b = { ...label(0.9, 'not', 'Cosine', [5, 6]), pointIds: ['u-1', 6] };
    for (const l of [a, b] as IPairLabel[]) {
      labels = withLabel(labels, l.pointIds[0], l.pointIds[1], l);
    }
    const saved = JSON.parse(JSON.stringify(saveLabels('images', labels)));
    expect(restoreLabels(saved)).toEqual(labels);
    saved.labels.push({ ...a, label: 'maybe' }, { ...a, score: 'x' }, null);
    expect(restoreLabels(saved)).toEqual(labels);
    expect(restoreLabels({ version: 99, labels: [a] }).size).toBe(0);
    expect(restoreLabels(null).size).toBe(0);
  });
});
