// Issue 16: the worker computes what the panel shows first of a result (chain marks, leakage,
// split names and counts, the plan's group names) and sends the result in parts. On random
// scans, what the panel adopts equals what it would compute itself, and the parts assemble
// to the result. DOM-free: scan results are built here, not scanned.
import { diameters, diametersOf } from '../scan/chain';
import {
  collectionSplits,
  leakageOf,
  populationFor,
  populationOf,
  splitCodesFor,
  splitCodesOf,
  splitLeakage,
  splitNamesOf
} from '../leakage';
import { computePlan, DEFAULT_PLAN, groupId } from '../plan';
import { groupIdOf } from '../scan/groupId';
import { adoptLayout, layoutOf, regroup } from '../scan/groups';
import { adoptExtras, workerExtras } from '../scan/resultExtras';
import {
  adoptCalibration,
  calibrate,
  calibrationOf,
  knownCalibration
} from '../scan/calibration';
import type { WorkerToPanel } from '../scan/protocol';
import { ScanService } from '../scan/scanService';
import { ResultAssembler, splitResult } from '../scan/resultParts';
import type { IScanResult, PointId } from '../scan/types';

function rng(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 48271) % 2147483647) / 2147483647;
}

/** A random scan at 0.9: clusters of 2 to 12 points, some pairs missing, mixed ids and splits. */
function randomScan(seed: number, n = 400): IScanResult {
  const rand = rng(seed);
  const a: number[] = [];
  const b: number[] = [];
  const score: number[] = [];
  let next = 0;
  while (next < n * 0.6) {
    const size = 2 + Math.floor(rand() * 11);
    for (let i = 0; i < size; i++) {
      for (let j = i + 1; j < size; j++) {
        if (next + j < n && rand() < 0.7) {
          a.push(next + i);
          b.push(next + j);
          score.push(Math.fround(0.9 + 0.1 * rand() + 1e-6));
        }
      }
    }
    next += size + Math.floor(rand() * 4);
  }
  const ids: PointId[] = Array.from({ length: n }, (_, i) =>
    i % 7 === 3
      ? `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`
      : i * 3
  );
  const splits = Array.from({ length: n }, () => {
    const u = rand();
    return u < 0.6 ? 'train' : u < 0.8 ? 'test' : u < 0.9 ? 'val' : null;
  });
  const result: IScanResult = {
    collection: 'c',
    using: '',
    distance: 'Cosine',
    threshold: 0.9,
    points: {
      ids,
      sampleIds: ids.map(String),
      thumbnails: ids.map(id => `t/${id}.png`),
      splits
    },
    pairs: {
      a: Uint32Array.from(a),
      b: Uint32Array.from(b),
      score: Float32Array.from(score)
    },
    groups: [],
    stats: { seconds: 1, queries: 1, requests: 1, retries: 0 }
  };
  result.groups = regroup(result, result.threshold);
  return result;
}

/**
 * A deep copy as postMessage makes one (typed arrays, Maps, arrays, plain objects), so the
 * panel's side shares nothing with the worker's (jsdom has no structuredClone).
 */
function clone<T>(x: T): T {
  if (ArrayBuffer.isView(x)) {
    return (x as unknown as Uint32Array).slice() as unknown as T;
  }
  if (x instanceof Map) {
    return new Map([...x].map(([k, v]) => [clone(k), clone(v)])) as T;
  }
  if (Array.isArray(x)) {
    return x.map(clone) as T;
  }
  if (typeof x === 'object' && x !== null) {
    return Object.fromEntries(
      Object.entries(x).map(([k, v]) => [k, clone(v)])
    ) as T;
  }
  return x;
}

/** The result as it reaches the panel: parts and head copied as postMessage does. */
function sent(result: IScanResult, items: number) {
  const layout = layoutOf(result);
  const extras = workerExtras(result);
  const { head, parts } = splitResult(result, items);
  const assembler = new ResultAssembler();
  for (const part of parts) {
    assembler.add('s', clone(part));
  }
  const message = clone({ head, layout, extras });
  return {
    whole: assembler.finish('s', message.head, parts.length),
    layout: message.layout,
    extras: message.extras,
    parts: parts.length
  };
}

describe('a result sent in parts with the worker extras (fake scans built in the test)', () => {
  it.each([1, 2, 3, 4, 5])(
    'assembles to the same result, seed %i, and the adopted values equal the panel’s own',
    seed => {
      const result = randomScan(seed);
      const { whole, layout, extras, parts } = sent(result, 64);
      expect(parts).toBeGreaterThan(2);
      expect(whole).not.toBeNull();
      const got = whole!;
      expect(got.points).toEqual(result.points);
      expect(got.groups).toEqual(result.groups);
      expect(Array.from(got.pairs.a)).toEqual(Array.from(result.pairs.a));

      expect(adoptLayout(got, layout, 'shape')).toBe(true);
      expect(adoptExtras(got, extras)).toBe(true);
      // What the panel reads now comes from the worker; it equals its own computation.
      expect(diametersOf(got, got.groups)).toEqual(diameters(got, got.groups));
      expect(diametersOf(got, got.groups)).not.toBe(diameters(got, got.groups));
      expect(leakageOf(got.groups, got.points.splits)).toEqual(
        splitLeakage(got.groups, got.points.splits)
      );
      expect(splitNamesOf(got.points.splits)).toEqual(
        collectionSplits(got.points.splits)
      );
      expect(populationFor(got.points.splits)).toEqual(
        populationOf(got.points.splits)
      );
      // The split codes the plan reads, made in the worker.
      expect(splitCodesFor(got.points.splits)).toEqual(
        splitCodesOf(got.points.splits)
      );
      expect(splitCodesFor(got.points.splits)).toBe(extras.splitCodes);
      got.groups.forEach(g =>
        expect(groupIdOf(g, got.points.ids)).toBe(groupId(g.pointIds))
      );
      // And the plan the panel shows first is the one from its own computation.
      const fresh = randomScan(seed);
      expect(
        computePlan({ groups: got.groups, points: got.points }, DEFAULT_PLAN)
      ).toEqual(
        computePlan(
          { groups: fresh.groups, points: fresh.points },
          DEFAULT_PLAN
        )
      );
      // Regrouping stricter from the adopted layout equals regrouping from scratch.
      expect(regroup(got, 0.95)).toEqual(regroup(randomScan(seed), 0.95));
    }
  );

  it('refuses a result whose parts did not all arrive, and extras that do not fit', () => {
    const result = randomScan(9);
    const { head, parts } = splitResult(result, 64);
    const assembler = new ResultAssembler();
    parts.slice(1).forEach(part => assembler.add('s', part));
    expect(assembler.finish('s', head, parts.length)).toBeNull();

    const other = randomScan(10);
    const extras = workerExtras(other);
    const mine = randomScan(9);
    if (other.groups.length !== mine.groups.length) {
      expect(adoptExtras(mine, extras)).toBe(false);
    }
    expect(adoptExtras(mine, { ...workerExtras(mine), groupIds: [] })).toBe(
      false
    );
    expect(adoptExtras(mine, null)).toBe(false);
    // Split codes of another length, or naming a split the names do not hold.
    const own = workerExtras(mine);
    const codes = own.splitCodes!;
    expect(
      adoptExtras(mine, {
        ...own,
        splitCodes: { ...codes, codes: codes.codes.slice(1) }
      })
    ).toBe(false);
    const wrong = codes.codes.slice();
    wrong[0] = codes.names.length + 1;
    expect(
      adoptExtras(mine, { ...own, splitCodes: { ...codes, codes: wrong } })
    ).toBe(false);
  });

  it('a result with no groups and no points still goes through', () => {
    const result = randomScan(3, 0);
    const { whole } = sent(result, 64);
    expect(whole!.groups).toEqual([]);
    expect(whole!.points.ids).toEqual([]);
  });
});

describe('the calibration computed by the worker on request (fake scans built in the test)', () => {
  it.each([1, 2, 3])(
    'equals the panel’s own, seed %i, and is adopted for the scan’s pairs',
    seed => {
      const result = randomScan(seed);
      const out: WorkerToPanel[] = [];
      const service = new ScanService(
        message => out.push(message),
        () => {
          throw new Error('no client needed');
        }
      );
      const { pairs, distance, threshold } = clone(result);
      service.handle({
        type: 'calibrate',
        id: 7,
        input: { pairs, distance, threshold }
      });
      expect(out).toHaveLength(1);
      const reply = out[0];
      if (reply.type !== 'calibration') {
        throw new Error(`unexpected ${reply.type}`);
      }
      expect(reply.id).toBe(7);
      expect(knownCalibration(result)).toBeNull();
      expect(adoptCalibration(result, clone(reply.calibration))).toBe(true);
      const adopted = knownCalibration(result)!;
      expect(calibrationOf(result)).toBe(adopted);
      expect(adopted).toEqual(calibrate(randomScan(seed)));
      // A calibration of other pairs does not fit.
      const other = randomScan(seed + 10);
      expect(adoptCalibration(other, adopted)).toBe(
        other.pairs.score.length === result.pairs.score.length
      );
    }
  );
});
