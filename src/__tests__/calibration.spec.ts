// Calibration: the counts at every threshold from one pass over a scan's pairs must equal a
// regroup at that threshold. Random pair graphs stand in for scans (DOM-free logic, fake data).
import {
  calibrate,
  calibrationOf,
  countsAt,
  marginPairs
} from '../scan/calibration';
import { regroup } from '../scan/groups';
import { passes } from '../scan/metric';
import { PairStore } from '../scan/pairs';
import type { DistanceKind, IPairList, IScanPoints } from '../scan/types';

/** A small deterministic generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function pointsOf(n: number): IScanPoints {
  return {
    ids: Array.from({ length: n }, (_, i) => i),
    sampleIds: Array.from({ length: n }, (_, i) => `s${i}`),
    thumbnails: Array.from({ length: n }, () => null),
    splits: Array.from({ length: n }, () => null)
  };
}

/**
 * A random scan: n points, m pairs with scores past the floor, some scores repeated (ties) and
 * some exactly at 1 (or 0 for distances), as exact copies give.
 */
function randomScan(
  seed: number,
  distance: DistanceKind
): { n: number; pairs: IPairList; floor: number } {
  const rnd = random(seed);
  const higher = distance === 'Cosine' || distance === 'Dot';
  const floor = higher ? 0.8 : 0.5;
  const n = 5 + Math.floor(rnd() * 60);
  const m = Math.floor(rnd() * n * 1.5);
  const store = new PairStore(higher, 4);
  const used: number[] = [];
  for (let k = 0; k < m; k++) {
    const a = Math.floor(rnd() * n);
    const b = Math.floor(rnd() * n);
    let score: number;
    const roll = rnd();
    if (roll < 0.1) {
      score = higher ? 1 : 0;
    } else if (roll < 0.25 && used.length > 0) {
      score = used[Math.floor(rnd() * used.length)];
    } else {
      // Past the floor: (floor, 1] for similarities, [0, floor) for distances.
      score = higher ? floor + (1 - floor) * (1 - rnd()) : floor * rnd();
    }
    if (store.add(a, b, score)) {
      used.push(Math.fround(score));
    }
  }
  return { n, pairs: store.toList(), floor };
}

/** Brute force: BFS components over the passing pairs, with no union-find and no sorting. */
function bruteCounts(
  n: number,
  pairs: IPairList,
  threshold: number,
  distance: DistanceKind
): { groups: number; samples: number; pairs: number } {
  const adj: number[][] = Array.from({ length: n }, () => []);
  let passing = 0;
  for (let k = 0; k < pairs.score.length; k++) {
    if (passes(pairs.score[k], threshold, distance)) {
      adj[pairs.a[k]].push(pairs.b[k]);
      adj[pairs.b[k]].push(pairs.a[k]);
      passing++;
    }
  }
  const seen = new Uint8Array(n);
  let groups = 0;
  let samples = 0;
  for (let i = 0; i < n; i++) {
    if (seen[i] || adj[i].length === 0) {
      continue;
    }
    groups++;
    const stack = [i];
    seen[i] = 1;
    while (stack.length) {
      const x = stack.pop()!;
      samples++;
      for (const y of adj[x]) {
        if (!seen[y]) {
          seen[y] = 1;
          stack.push(y);
        }
      }
    }
  }
  return { groups, samples, pairs: passing };
}

const DISTANCES: DistanceKind[] = ['Cosine', 'Euclid'];

describe('calibration on random pair graphs (fake scans)', () => {
  for (const distance of DISTANCES) {
    it(`counts groups, samples and dropped samples as a brute-force BFS and regroup do, at every step and at random thresholds (${distance})`, () => {
      for (let seed = 1; seed <= 30; seed++) {
        const { n, pairs, floor } = randomScan(seed, distance);
        const calibration = calibrate({ pairs, distance, threshold: floor });
        const scores = Array.from(pairs.score);
        const rnd = random(seed * 7919);
        const thresholds = [
          ...calibration.steps.map(s => s.threshold),
          // Exactly at pair scores: a pair at the threshold does not pass it.
          ...scores.slice(0, 10),
          ...Array.from({ length: 10 }, () =>
            distance === 'Cosine' ? floor + (1 - floor) * rnd() : floor * rnd()
          )
        ];
        for (const t of thresholds) {
          const want = bruteCounts(n, pairs, t, distance);
          const got = countsAt(calibration, t);
          expect({ t, seed, ...got }).toEqual({
            t,
            seed,
            threshold: t,
            pairs: want.pairs,
            groups: want.groups,
            samples: want.samples,
            dropped: want.samples - want.groups
          });
          // The group list's own regroup agrees as well.
          const groups = regroup(
            { points: pointsOf(n), pairs, distance, threshold: floor },
            t
          );
          expect(got.groups).toBe(groups.length);
          expect(got.samples).toBe(
            groups.reduce((sum, g) => sum + g.members.length, 0)
          );
        }
      }
    });

    it(`spans the floor to the strict end, and its histogram holds every pair once in the right bin (${distance})`, () => {
      for (let seed = 1; seed <= 30; seed++) {
        const { pairs, floor } = randomScan(seed, distance);
        const calibration = calibrate(
          { pairs, distance, threshold: floor },
          20
        );
        expect(calibration.steps).toHaveLength(21);
        expect(calibration.steps[0].threshold).toBe(floor);
        expect(calibration.end).toBe(distance === 'Cosine' ? 1 : 0);
        expect(calibration.steps[20].threshold).toBe(calibration.end);
        // Nothing passes the strict end; everything passes the floor.
        expect(calibration.steps[20].groups).toBe(0);
        expect(calibration.steps[0].pairs).toBe(pairs.score.length);
        const bins = calibration.histogram;
        expect(bins).toHaveLength(20);
        expect(bins.reduce((s, b) => s + b.pairs, 0)).toBe(pairs.score.length);
        bins.forEach((bin, i) => {
          const inBin = Array.from(pairs.score).filter(
            s =>
              passes(s, bin.from, distance) &&
              (i === bins.length - 1 || !passes(s, bin.to, distance))
          ).length;
          expect(bin.pairs).toBe(inBin);
        });
      }
    });

    it(`finds the pairs nearest the threshold on each side (${distance})`, () => {
      for (let seed = 1; seed <= 30; seed++) {
        const { pairs, floor } = randomScan(seed, distance);
        const calibration = calibrate({ pairs, distance, threshold: floor });
        const t = distance === 'Cosine' ? 0.9 : 0.25;
        const { above, below } = marginPairs(calibration, pairs, t, 3);
        const passing = Array.from(pairs.score).filter(s =>
          passes(s, t, distance)
        );
        const failing = Array.from(pairs.score).filter(
          s => !passes(s, t, distance)
        );
        // The nearest scores either side, nearest first.
        const nearFirst = (xs: number[]) =>
          [...xs].sort((x, y) => Math.abs(x - t) - Math.abs(y - t)).slice(0, 3);
        expect(above.map(p => p.score)).toEqual(nearFirst(passing));
        expect(below.map(p => p.score)).toEqual(nearFirst(failing));
        for (const p of [...above, ...below]) {
          const k = Array.from(pairs.a).findIndex(
            (a, j) => a === p.a && pairs.b[j] === p.b
          );
          expect(pairs.score[k]).toBe(p.score);
        }
      }
    });
  }

  it('has no pair below the floor: the scan never fetched looser pairs (fake scan)', () => {
    const { pairs, floor } = randomScan(3, 'Cosine');
    const calibration = calibrate({
      pairs,
      distance: 'Cosine',
      threshold: floor
    });
    expect(marginPairs(calibration, pairs, floor).below).toEqual([]);
  });

  it('is computed once per scan and again for another floor (fake scan)', () => {
    const { pairs, floor } = randomScan(5, 'Cosine');
    const first = calibrationOf({
      pairs,
      distance: 'Cosine',
      threshold: floor
    });
    expect(calibrationOf({ pairs, distance: 'Cosine', threshold: floor })).toBe(
      first
    );
    expect(
      calibrationOf({ pairs, distance: 'Cosine', threshold: 0.85 }).floor
    ).toBe(0.85);
  });

  it('reads an empty scan as no groups at every threshold (fake scan)', () => {
    const pairs = new PairStore(true).toList();
    const calibration = calibrate({
      pairs,
      distance: 'Cosine',
      threshold: 0.9
    });
    expect(
      calibration.steps.every(s => s.groups === 0 && s.dropped === 0)
    ).toBe(true);
    expect(marginPairs(calibration, pairs, 0.95)).toEqual({
      above: [],
      below: []
    });
  });
});
