// Keeping a scan across reloads: a round trip keeps the groups a user saw, junk is refused.
import { regroup } from '../scan/groups';
import type { IRecallEstimate, IScanResult } from '../scan/types';
import { leakHeadline, splitLeakage } from '../leakage';
import { MAX_SAVED_PAIRS, restoreScan, saveScan } from '../persistence';
import { nullTranslator } from '@jupyterlab/translation';

function scan(): IScanResult {
  const n = 8;
  const result: IScanResult = {
    collection: 'images',
    using: null,
    distance: 'Cosine',
    threshold: 0.9,
    points: {
      ids: Array.from({ length: n }, (_, i) => i * 10),
      sampleIds: Array.from({ length: n }, (_, i) => `s${i}`),
      thumbnails: Array.from({ length: n }, (_, i) =>
        i === 2 ? 'data:image/png;base64,' + 'A'.repeat(9000) : `t/${i}.png`
      ),
      splits: Array.from({ length: n }, (_, i) => (i % 2 ? 'test' : 'train'))
    },
    // Groups {1,2,3} (chain with a 0.92 link) and {5,7}; points 0, 4, 6 have no pairs.
    pairs: {
      a: Uint32Array.from([1, 2, 5]),
      b: Uint32Array.from([2, 3, 7]),
      score: Float32Array.from([0.99, 0.92, 0.97])
    },
    groups: [],
    stats: { seconds: 1, queries: 8, requests: 2, retries: 0 }
  };
  result.groups = regroup(result, 0.9);
  return result;
}

describe('saved scans', () => {
  it('keeps the tags earlier scans wrote on the kept points, so a reload still shows them reviewed', () => {
    const tagged = scan();
    tagged.points.reviews = tagged.points.ids.map((_, i) =>
      i === 2 || i === 7
        ? {
            scan: 'scan-0',
            group: 1,
            keep: i === 2,
            threshold: 0.95,
            weakestLink: 0.97
          }
        : null
    );
    const restored = restoreScan(
      JSON.parse(JSON.stringify(saveScan(tagged, 0.9, 1, 'scan-1')!))
    )!;
    const { points } = restored.result;
    const reviewed = points.ids.filter((_, i) => points.reviews![i]);
    expect(reviewed).toEqual([20, 70]);
    expect(points.reviews![points.ids.indexOf(20)]).toEqual({
      scan: 'scan-0',
      group: 1,
      keep: true,
      threshold: 0.95,
      weakestLink: 0.97
    });
    // a scan kept before tags were read has none, and shows no badge
    expect(
      restoreScan(JSON.parse(JSON.stringify(saveScan(scan(), 0.9, 1, 's')!)))!
        .result.points.reviews
    ).toBeUndefined();
  });

  it("keeps the scan's recall estimate, so a reload still says how complete it is", () => {
    const audit: IRecallEstimate = {
      seed: 7,
      sampled: 200,
      pairs: 40,
      found: 39,
      missedPoints: 1,
      recall: 0.975,
      low: 0.9,
      high: 0.995,
      unreachable: 1,
      route: 'by-id',
      searchedExactly: 0,
      exactSecondsPerPoint: 0.002,
      cure: { route: 'sure', seconds: 12 }
    };
    const restored = restoreScan(
      JSON.parse(
        JSON.stringify(saveScan({ ...scan(), audit }, 0.9, 1, 'scan-1')!)
      )
    )!;
    expect(restored.result.audit).toEqual(audit);
  });

  it('keeps the leakage headline across a reload: split shares are of the whole collection', () => {
    const before = scan();
    const trans = nullTranslator.load('jupyterlab_near_duplicates');
    const headline = (r: IScanResult) =>
      leakHeadline(
        splitLeakage(r.groups, r.points.splits, r.population?.splits),
        trans
      );
    const restored = restoreScan(
      JSON.parse(JSON.stringify(saveScan(before, 0.9, 1, 'scan-1')!))
    )!;
    // Only 5 of the 8 points are kept; 4 of the 8 are test.
    expect(restored.result.points.ids).toHaveLength(5);
    expect(restored.result.population?.splits).toEqual({ train: 4, test: 4 });
    expect(headline(restored.result)).toBe(headline(before));
    expect(headline(before)).toMatch(/of test\)/);
  });

  it('restores a scan kept before scan ids were, without one', () => {
    const saved = JSON.parse(
      JSON.stringify(saveScan(scan(), 0.9, 1, 'scan-1')!)
    );
    delete saved.scanId;
    expect(restoreScan(saved)!.scanId).toBeNull();
  });

  it('drops a kept estimate of the wrong shape and keeps the groups', () => {
    const saved = JSON.parse(
      JSON.stringify(saveScan(scan(), 0.9, 1, 'scan-1')!)
    );
    saved.audit = { recall: '<b>1</b>', route: 'by-id' };
    const restored = restoreScan(saved)!;
    expect(restored.result.audit).toBeUndefined();
    expect(restored.result.groups.length).toBe(2);
  });

  it('round-trips the groups at the threshold shown, keeping only points with pairs', () => {
    const saved = saveScan(scan(), 0.95, 1234, 'scan-1')!;
    expect(saved.points.sampleIds.sort()).toEqual([
      's1',
      's2',
      's3',
      's5',
      's7'
    ]);
    const back = JSON.parse(JSON.stringify(saved));
    const restored = restoreScan(back)!;
    expect(restored.shownThreshold).toBe(0.95);
    expect(restored.finishedAt).toBe(1234);
    expect(restored.scanId).toBe('scan-1');
    expect(restored.result.groups.map(g => [...g.sampleIds].sort())).toEqual([
      ['s1', 's2', 's3'],
      ['s5', 's7']
    ]);
    const thumbnails = new Map(
      restored.result.points.sampleIds.map((id, i) => [
        id,
        restored.result.points.thumbnails[i]
      ])
    );
    expect(thumbnails.get('s1')).toBe('t/1.png');
    expect(thumbnails.get('s2')).toBeNull(); // a large data URI is not kept
  });

  it('does not keep a scan with too many pairs', () => {
    const big = scan();
    const count = MAX_SAVED_PAIRS + 1;
    big.pairs = {
      a: new Uint32Array(count),
      b: new Uint32Array(count).fill(1),
      score: new Float32Array(count).fill(0.99)
    };
    expect(saveScan(big, 0.9, 0, 'scan-1')).toBeNull();
  });

  it.each([
    [null],
    [{}],
    [{ version: 99 }],
    [
      {
        ...JSON.parse(JSON.stringify(saveScan(scan(), 0.9, 0, 'scan-1'))),
        pairs: { a: [0], b: [999], score: [1] }
      }
    ]
  ])('refuses what it did not write (%#)', junk => {
    expect(restoreScan(junk)).toBeNull();
  });
});
