// The scan against a fake Qdrant client: a brute-force in-memory index that answers
// getCollection, scroll and queryBatch the way Qdrant's REST API does.
import type { QdrantClient } from '@qdrant/js-client-rest';
import { circlePoints, FakePoint, FakeQdrant, httpError } from './fakeQdrant';
import { classify, httpErrorInfo } from '../scan/errors';
import {
  NeighbourQuery,
  scanCollection,
  IScanClient,
  IScanHooks
} from '../scan/scanner';
import {
  ScanError,
  IScanProgress,
  IScanRequest,
  IScanResult
} from '../scan/types';

const base: IScanRequest = {
  collection: 'images',
  threshold: 0.999,
  limit: 4,
  batchSize: 3,
  inFlight: 2,
  thumbnailField: 'thumbnail',
  splitField: 'split',
  retry: { retries: 3, baseDelayMs: 1, maxDelayMs: 10 }
};

function recorder(): {
  hooks: IScanHooks;
  progress: IScanProgress[];
  sleeps: number[];
} {
  const progress: IScanProgress[] = [];
  const sleeps: number[] = [];
  return {
    progress,
    sleeps,
    hooks: {
      onProgress: p => progress.push(p),
      sleep: async ms => {
        sleeps.push(ms);
      }
    }
  };
}

async function scanError(promise: Promise<unknown>): Promise<ScanError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ScanError);
    return error as ScanError;
  }
  throw new Error('expected the scan to fail');
}

function pairSet(result: IScanResult): string[] {
  const out: string[] = [];
  for (let k = 0; k < result.pairs.score.length; k++) {
    out.push(
      `${result.points.ids[result.pairs.a[k]]}-${result.points.ids[result.pairs.b[k]]}`
    );
  }
  return out.sort();
}

describe('scanCollection with a fake Qdrant client', () => {
  it('reads the tag an earlier scan wrote (only that payload key), when asked to', async () => {
    const points = circlePoints();
    const tag = {
      group: 0,
      keep: true,
      scan: 'scan-0',
      threshold: 0.95,
      weakest_link: 0.99
    };
    points[10].payload = { ...points[10].payload, near_duplicate: tag };
    points[11].payload = { ...points[11].payload, near_duplicate: 'junk' };
    const fake = new FakeQdrant(points);
    const result = await scanCollection(
      fake,
      { ...base, reviewField: 'near_duplicate' },
      recorder().hooks
    );
    const [a] = result.groups;
    expect(a.members.map(i => result.points.reviews![i])).toEqual([
      {
        scan: 'scan-0',
        group: 0,
        keep: true,
        threshold: 0.95,
        weakestLink: 0.99
      },
      null,
      null
    ]);
    // Listing reads every point's split only; the fields the panel shows are read by id,
    // for the points in a pair only (issue 16: a million points' strings are never held).
    const scroll = fake.calls.find(c => c.method === 'scroll');
    expect((scroll!.body as { with_payload: unknown }).with_payload).toEqual([
      'split'
    ]);
    const retrieves = fake.calls.filter(c => c.method === 'retrieve');
    expect(retrieves).toHaveLength(1);
    const read = retrieves[0].body as { ids: number[]; with_payload: unknown };
    expect(read.with_payload).toEqual([
      'sample_id',
      'thumbnail',
      'split',
      'near_duplicate'
    ]);
    expect([...read.ids].sort((x, y) => x - y)).toEqual(
      [...new Set(result.groups.flatMap(g => g.pointIds))].sort(
        (x, y) => (x as number) - (y as number)
      )
    );
    expect(result.points.sampleIds[0]).toBe('');
    expect(result.points.thumbnails[0]).toBeNull();
    // Not asked: nothing read, no array kept.
    const plain = await scanCollection(
      new FakeQdrant(points),
      base,
      recorder().hooks
    );
    expect(plain.points.reviews).toBeUndefined();
  });

  it('finds the planted duplicate groups with their samples, thumbnails and splits', async () => {
    const fake = new FakeQdrant(circlePoints());
    const result = await scanCollection(fake, base, recorder().hooks);
    expect(result.distance).toBe('Cosine');
    expect(result.using).toBe('');
    expect(result.groups.map(g => g.pointIds)).toEqual([
      [10, 11, 12],
      [13, 14]
    ]);
    const [a, b] = result.groups;
    expect(a.sampleIds).toEqual(['dupA_1', 'dupA_2', '12']);
    expect(a.members.map(i => result.points.thumbnails[i])).toEqual([
      'a1.png',
      'a2.png',
      'a3.png'
    ]);
    expect(a.members.map(i => result.points.splits[i])).toEqual([
      'train',
      'test',
      null
    ]);
    expect(b.sampleIds).toEqual(['77', '14']);
    expect(pairSet(result)).toEqual(['10-11', '10-12', '11-12', '13-14']);
    // Each pair once, smaller index first, though both ends found it.
    for (let k = 0; k < result.pairs.a.length; k++) {
      expect(result.pairs.a[k]).toBeLessThan(result.pairs.b[k]);
    }
    // One query per point; the group of three has all its pairs, so nothing to check; and
    // the cover's one exact search around each group (each group one centre's neighbours),
    // each point it answers that is no pair of the group yet compared with it (has_id).
    const searches = fake.calls
      .filter(c => c.method === 'queryBatch')
      .flatMap(c => (c.body as { searches: NeighbourQuery[] }).searches);
    const exact = (q: NeighbourQuery) =>
      (q.params as { exact?: boolean } | undefined)?.exact === true;
    const byId = searches.filter(q => !exact(q));
    // (The audit's exact searches ask at the threshold itself; they are not counted.)
    const cover = searches.filter(
      q => exact(q) && !q.filter && q.score_threshold! < 0.999
    );
    const compared = searches.filter(q => q.filter);
    expect(byId).toHaveLength(15);
    expect(cover).toHaveLength(2);
    expect(result.stats.queries).toBe(15 + 2 + compared.length);
  });

  it('on the by-id route asks for vectors only of the points in no group (the lonely pass), and only for the payload fields it shows', async () => {
    const fake = new FakeQdrant(circlePoints());
    // No audit: its sample and the sure route fetch the vectors of a batch at a time.
    const result = await scanCollection(
      fake,
      { ...base, thumbnailField: null, auditPoints: 0 },
      recorder().hooks
    );
    const grouped = new Set(
      result.groups.flatMap(g => g.members.map(m => result.points.ids[m]))
    );
    let fetched = 0;
    for (const call of fake.calls) {
      const body = call.body as {
        with_vector?: unknown;
        with_payload?: unknown;
        searches?: NeighbourQuery[];
        filter?: { must: { has_id: unknown[] }[] };
      };
      if (call.method === 'scroll' && body.filter) {
        // The lonely pass's sketches: the vectors of points in no group, no payload.
        expect(body.with_vector).toBe(true);
        expect(body.with_payload).toBe(false);
        for (const id of body.filter.must[0].has_id) {
          expect(grouped.has(id as number)).toBe(false);
          fetched++;
        }
      } else if (call.method === 'scroll') {
        expect(body.with_vector).toBe(false);
        expect(body.with_payload).toEqual(['split']);
      }
      if (call.method === 'retrieve') {
        expect(body.with_vector).toBe(false);
        expect(body.with_payload).toEqual(['sample_id', 'split']);
      }
      for (const search of body.searches ?? []) {
        expect(search.with_vector).toBe(false);
        expect(search.with_payload).toBe(false);
        // The cover's searches (exact, over the collection) ask past a looser threshold.
        const cover =
          (search.params as { exact?: boolean } | undefined)?.exact === true &&
          search.filter === undefined;
        if (cover) {
          expect(search.score_threshold).toBeLessThan(0.999);
        } else {
          expect(search.score_threshold).toBe(0.999);
        }
      }
    }
    expect(fetched).toBe(result.points.ids.length - grouped.size);
  });

  it('pages a full answer again, so a cluster of 50 with limit 8 yields all its pairs', async () => {
    const points: FakePoint[] = [];
    for (let i = 0; i < 50; i++) {
      points.push({ id: i, vector: [1, i * 1e-4] });
    }
    for (let i = 0; i < 20; i++) {
      points.push({
        id: 100 + i,
        vector: [Math.cos(1 + i * 0.25), Math.sin(1 + i * 0.25)]
      });
    }
    const fake = new FakeQdrant(points);
    const result = await scanCollection(
      fake,
      { ...base, threshold: 0.99, limit: 8, batchSize: 16, auditPoints: 0 },
      // Paging only: without the cover's exact search around the group.
      { ...recorder().hooks, policies: { groupCover: 'none' } }
    );
    expect(result.pairs.score.length).toBe((50 * 49) / 2);
    expect(result.groups).toHaveLength(1);
    expect(result.groups[0].members).toHaveLength(50);
    const offsets = fake.calls
      .filter(c => c.method === 'queryBatch')
      .flatMap(c => (c.body as { searches: NeighbourQuery[] }).searches)
      .filter(s => s.query === 0 && s.filter === undefined)
      .map(s => [s.offset ?? 0, s.limit]);
    // 49 neighbours: asked again from the start for more (8, 24, 56), the last one short.
    expect(offsets).toEqual([
      [0, 8],
      [0, 24],
      [0, 56]
    ]);
  });

  it('asks a full page again from the start, so copies in a new order are not skipped (fake that reorders ties)', async () => {
    // 40 exact copies: every neighbour scores 1, and the fake orders ties differently for
    // each page size, as Qdrant does. Paging by offset would repeat some and skip others.
    const points: FakePoint[] = Array.from({ length: 40 }, (_, i) => ({
      id: i,
      vector: [1, 2]
    }));
    points.push({ id: 99, vector: [-2, 1] });
    const fake = new FakeQdrant(points, 'Cosine', { shuffleTies: true });
    const result = await scanCollection(
      fake,
      { ...base, threshold: 0.99, limit: 8, batchSize: 64, exact: true },
      recorder().hooks
    );
    expect(result.pairs.score.length).toBe((40 * 39) / 2);
    expect(result.groups.map(g => g.members.length)).toEqual([40]);
    expect(result.groups[0].worstScore).toBe(1);
  });

  it('checks every pair inside a group exactly, recovering pairs the approximate search missed (fake that drops pairs)', async () => {
    // Six copies; the approximate search misses three of their pairs (each still reached
    // through the others, so the group holds together), an exact search finds all.
    const copies: FakePoint[] = Array.from({ length: 6 }, (_, i) => ({
      id: i + 1,
      vector: [3, 4]
    }));
    const missed: [number, number][] = [
      [1, 2],
      [3, 6],
      [4, 5]
    ];
    const others = circlePoints().filter(p => Number(p.id) < 10);
    const fake = new FakeQdrant([...copies, ...others], 'Cosine', {
      approximateMisses: missed
    });
    const { hooks, progress } = recorder();
    const result = await scanCollection(
      fake,
      { ...base, threshold: 0.99, limit: 8 },
      hooks
    );
    expect(result.pairs.score.length).toBe(15);
    expect(pairSet(result)).toContain('1-2');
    expect(pairSet(result)).toContain('3-6');
    expect(pairSet(result)).toContain('4-5');
    const checks = fake.calls
      .filter(c => c.method === 'queryBatch')
      .flatMap(c => (c.body as { searches: NeighbourQuery[] }).searches)
      .filter(s => s.filter !== undefined);
    // Only the pairs not known after the main pass, each asked once, exactly.
    expect(
      checks.map(s => [
        s.query,
        (s.filter as { must: { has_id: unknown[] }[] }).must[0].has_id
      ])
    ).toEqual([
      [1, [2]],
      [3, [6]],
      [4, [5]]
    ]);
    expect(
      checks.every(s => (s.params as { exact?: boolean }).exact === true)
    ).toBe(true);
    expect(
      checks.every(
        s =>
          s.limit ===
          (s.filter as { must: { has_id: unknown[] }[] }).must[0].has_id
            .length +
            1
      )
    ).toBe(true);
    const checking = progress.filter(p => p.phase === 'checking');
    expect(checking.length).toBeGreaterThan(0);
    expect(checking[0]).toMatchObject({ checked: 0, toCheck: 3 });

    // Without the check the same fake loses those pairs: the check is what finds them.
    const exactless = new FakeQdrant([...copies, ...others], 'Cosine', {
      approximateMisses: missed
    });
    let dropped = 0;
    const original = exactless.queryBatch.bind(exactless);
    exactless.queryBatch = async (name, request) => {
      const checksHere = request.searches.filter(
        s => s.filter !== undefined
      ).length;
      dropped += checksHere;
      return original(name, {
        searches: request.searches.filter(s => s.filter === undefined)
      }).then(answers => [
        ...answers,
        ...Array.from({ length: checksHere }, () => ({ points: [] }))
      ]);
    };
    const unchecked = await scanCollection(
      exactless,
      { ...base, threshold: 0.99, limit: 8 },
      // The check only: the cover would find those pairs too.
      { ...recorder().hooks, policies: { groupCover: 'none' } }
    );
    expect(dropped).toBe(3);
    expect(unchecked.pairs.score.length).toBe(12);
  });

  it('does not check groups again when the search is exact', async () => {
    const copies: FakePoint[] = Array.from({ length: 5 }, (_, i) => ({
      id: i + 1,
      vector: [3, 4]
    }));
    const fake = new FakeQdrant(copies, 'Cosine');
    const { hooks, progress } = recorder();
    const result = await scanCollection(
      fake,
      { ...base, threshold: 0.99, limit: 8, exact: true },
      hooks
    );
    expect(result.pairs.score.length).toBe(10);
    expect(progress.some(p => p.phase === 'checking')).toBe(false);
    expect(result.stats.queries).toBe(5);
  });

  describe('policies, as the benchmark sets them (bench/variants.json)', () => {
    const copiesWithMisses = () => {
      const copies: FakePoint[] = Array.from({ length: 6 }, (_, i) => ({
        id: i + 1,
        vector: [3, 4]
      }));
      const others = circlePoints().filter(p => Number(p.id) < 10);
      return new FakeQdrant([...copies, ...others], 'Cosine', {
        approximateMisses: [
          [1, 2],
          [3, 6],
          [4, 5]
        ]
      });
    };
    const checkQueries = (fake: FakeQdrant) =>
      fake.calls
        .filter(c => c.method === 'queryBatch')
        .flatMap(c => (c.body as { searches: NeighbourQuery[] }).searches)
        .filter(s => s.filter !== undefined)
        .map(s => [
          s.query,
          (s.filter as { must: { has_id: unknown[] }[] }).must[0].has_id
        ]);

    it("check 'none' runs no check, so the pairs the approximate search missed stay missed (fake that drops pairs)", async () => {
      const fake = copiesWithMisses();
      const { hooks, progress } = recorder();
      const result = await scanCollection(
        fake,
        { ...base, threshold: 0.99, limit: 8, auditPoints: 0 },
        {
          ...hooks,
          policies: { check: 'none', groupCover: 'none', lonelyPairs: 'none' }
        }
      );
      expect(result.pairs.score.length).toBe(12);
      expect(checkQueries(fake)).toEqual([]);
      expect(progress.some(p => p.phase === 'checking')).toBe(false);
    });

    it("check 'all' asks about every pair inside the group, known or not (fake that drops pairs)", async () => {
      const fake = copiesWithMisses();
      const result = await scanCollection(
        fake,
        { ...base, threshold: 0.99, limit: 8, auditPoints: 0 },
        {
          ...recorder().hooks,
          policies: { check: 'all' }
        }
      );
      expect(result.pairs.score.length).toBe(15);
      expect(checkQueries(fake)).toEqual([
        [1, [2, 3, 4, 5, 6]],
        [2, [3, 4, 5, 6]],
        [3, [4, 5, 6]],
        [4, [5, 6]],
        [5, [6]]
      ]);
    });

    it("paging 'offset' asks a full page's next page by offset", async () => {
      const points: FakePoint[] = [];
      for (let i = 0; i < 50; i++) {
        points.push({ id: i, vector: [1, i * 1e-4] });
      }
      const fake = new FakeQdrant(points);
      const result = await scanCollection(
        fake,
        { ...base, threshold: 0.99, limit: 8, batchSize: 16, auditPoints: 0 },
        {
          ...recorder().hooks,
          policies: { paging: 'offset', groupCover: 'none' }
        }
      );
      expect(result.pairs.score.length).toBe((50 * 49) / 2);
      const pages = fake.calls
        .filter(c => c.method === 'queryBatch')
        .flatMap(c => (c.body as { searches: NeighbourQuery[] }).searches)
        .filter(s => s.query === 0 && s.filter === undefined)
        .map(s => [s.offset ?? 0, s.limit]);
      expect(pages).toEqual([
        [0, 8],
        [8, 16],
        [24, 32]
      ]);
    });
  });

  it('keeps the threshold strict for cosine, even if the server is lenient', async () => {
    const points: FakePoint[] = [
      { id: 1, vector: [1, 0] },
      { id: 2, vector: [1, 0] },
      { id: 3, vector: [0, 1] }
    ];
    const exact = await scanCollection(
      new FakeQdrant(points, 'Cosine', { lenient: true }),
      {
        ...base,
        threshold: 1
      }
    );
    expect(exact.pairs.score.length).toBe(0);
    const below = await scanCollection(new FakeQdrant(points), {
      ...base,
      threshold: 0.99
    });
    expect(pairSet(below)).toEqual(['1-2']);
  });

  it('treats euclid scores as distances: a pair passes below the threshold', async () => {
    const points: FakePoint[] = [
      { id: 1, vector: [0, 0] },
      { id: 2, vector: [3, 4] },
      { id: 3, vector: [30, 40] },
      { id: 4, vector: [30, 41] }
    ];
    const atFive = await scanCollection(
      new FakeQdrant(points, 'Euclid', { lenient: true }),
      {
        ...base,
        threshold: 5
      }
    );
    expect(atFive.distance).toBe('Euclid');
    expect(pairSet(atFive)).toEqual(['3-4']);
    const aboveFive = await scanCollection(new FakeQdrant(points, 'Euclid'), {
      ...base,
      threshold: 5.001
    });
    expect(pairSet(aboveFive)).toEqual(['1-2', '3-4']);
    expect(aboveFive.groups[0].bestScore).toBe(1);
  });

  it('ignores points the index returns but the listing did not have', async () => {
    const fake = new FakeQdrant(circlePoints(), 'Cosine', {
      hidden: [{ id: 99, vector: [1, 0.05] }]
    });
    const result = await scanCollection(fake, base);
    expect(result.points.ids).not.toContain(99);
    expect(result.groups.map(g => g.pointIds)).toEqual([
      [10, 11, 12],
      [13, 14]
    ]);
  });

  it('groups exactly the connected components of its pairs, largest first', async () => {
    const result = await scanCollection(new FakeQdrant(circlePoints()), base);
    // Components by a plain flood fill over the pairs, independent of the scan's grouping.
    const n = result.points.ids.length;
    const links: number[][] = Array.from({ length: n }, () => []);
    result.pairs.a.forEach((a, k) => {
      links[a].push(result.pairs.b[k]);
      links[result.pairs.b[k]].push(a);
    });
    const seen = new Set<number>();
    const components: number[][] = [];
    for (let i = 0; i < n; i++) {
      if (seen.has(i) || links[i].length === 0) {
        continue;
      }
      const members: number[] = [];
      const stack = [i];
      seen.add(i);
      while (stack.length) {
        const j = stack.pop()!;
        members.push(j);
        for (const k of links[j]) {
          if (!seen.has(k)) {
            seen.add(k);
            stack.push(k);
          }
        }
      }
      components.push(members.sort((x, y) => x - y));
    }
    expect(components.length).toBeGreaterThan(1);
    expect(result.groups.map(g => g.members).sort()).toEqual(components.sort());
    const sizes = result.groups.map(g => g.members.length);
    expect(sizes).toEqual([...sizes].sort((x, y) => y - x));
  });

  it('keeps at most inFlight batches in flight', async () => {
    const fake = new FakeQdrant(circlePoints(), 'Cosine', { delayMs: 5 });
    await scanCollection(fake, { ...base, batchSize: 1, inFlight: 3 });
    expect(fake.maxInFlight).toBe(3);
  });

  it('completes an empty collection at once with zero groups', async () => {
    const fake = new FakeQdrant([], 'Cosine', {
      vectorsConfig: { vectors: { size: 4, distance: 'Dot' } }
    });
    const { hooks, progress } = recorder();
    const result = await scanCollection(fake, base, hooks);
    expect(result.groups).toEqual([]);
    expect(result.points.ids).toEqual([]);
    expect(result.distance).toBe('Dot');
    expect(fake.count('scroll') + fake.count('queryBatch')).toBe(0);
    expect(progress[progress.length - 1].phase).toBe('complete');
  });

  it('reports progress phases in order, ending complete with the final counts', async () => {
    const { hooks, progress } = recorder();
    const result = await scanCollection(
      new FakeQdrant(circlePoints()),
      base,
      hooks
    );
    const phases = progress
      .map(p => p.phase)
      .filter((p, i, all) => p !== all[i - 1]);
    expect(phases).toEqual([
      'inspecting',
      'listing',
      'scanning',
      // The cover's exact search around each group.
      'checking',
      'details',
      'grouping',
      'complete'
    ]);
    const last = progress[progress.length - 1];
    expect(last).toMatchObject({
      listed: 15,
      scanned: 15,
      total: 15,
      pairs: 4,
      groups: 2,
      etaSeconds: 0
    });
    expect(result.groups).toHaveLength(2);
  });

  it('throttles progress to a few reports, not one per batch', async () => {
    const points = Array.from({ length: 200 }, (_, i) => ({
      id: i,
      vector: [Math.cos(i * 0.0314), Math.sin(i * 0.0314)]
    }));
    const { hooks, progress } = recorder();
    let clock = 0;
    // Each reading of the clock moves it 1 ms on: 200 batches take well under a second.
    hooks.now = () => clock++;
    await scanCollection(
      new FakeQdrant(points),
      { ...base, batchSize: 1 },
      hooks
    );
    const scanning = progress.filter(p => p.phase === 'scanning');
    expect(scanning.length).toBeGreaterThan(0);
    expect(scanning.length).toBeLessThan(40);
  });

  describe('with named vectors', () => {
    const named = {
      vectors: {
        clip: { size: 2, distance: 'Cosine' as const },
        text: { size: 2, distance: 'Dot' as const },
        colbert: {
          size: 2,
          distance: 'Cosine' as const,
          multivector_config: { comparator: 'max_sim' as const }
        }
      },
      sparse_vectors: { bm25: {} }
    };

    it('queries with `using` when a vector is chosen', async () => {
      const fake = new FakeQdrant(circlePoints(), 'Cosine', {
        vectorsConfig: named
      });
      const result = await scanCollection(fake, { ...base, using: 'clip' });
      expect(result.using).toBe('clip');
      const search = (
        fake.calls.find(c => c.method === 'queryBatch')!.body as {
          searches: NeighbourQuery[];
        }
      ).searches[0];
      expect(search.using).toBe('clip');
    });

    it('refuses several named vectors without a choice, naming them', async () => {
      const fake = new FakeQdrant(circlePoints(), 'Cosine', {
        vectorsConfig: named
      });
      const error = await scanError(scanCollection(fake, base));
      expect(error.kind).toBe('choose-vector');
      expect(error.vectors).toEqual(['clip', 'text']);
      expect(error.message).toMatch(/clip, text/);
      expect(error.message).toMatch(/Choose/);
      expect(fake.count('scroll')).toBe(0);
    });

    it('picks the only dense vector by itself', async () => {
      const fake = new FakeQdrant(circlePoints(), 'Cosine', {
        vectorsConfig: {
          vectors: { clip: named.vectors.clip, colbert: named.vectors.colbert }
        }
      });
      expect((await scanCollection(fake, base)).using).toBe('clip');
    });

    it('refuses a multivector, a sparse vector and an unknown name with what to choose instead', async () => {
      const fake = () =>
        new FakeQdrant(circlePoints(), 'Cosine', { vectorsConfig: named });
      const multi = await scanError(
        scanCollection(fake(), { ...base, using: 'colbert' })
      );
      expect(multi.kind).toBe('multivector');
      expect(multi.message).toMatch(/clip, text/);
      const sparse = await scanError(
        scanCollection(fake(), { ...base, using: 'bm25' })
      );
      expect(sparse.kind).toBe('no-dense-vector');
      const unknown = await scanError(
        scanCollection(fake(), { ...base, using: 'nope' })
      );
      expect(unknown.kind).toBe('choose-vector');
      expect(unknown.message).toMatch(/no vector called "nope"/);
    });

    it('refuses a multivector-only collection and a sparse-only one', async () => {
      const multi = await scanError(
        scanCollection(
          new FakeQdrant(circlePoints(), 'Cosine', {
            vectorsConfig: { vectors: { colbert: named.vectors.colbert } }
          }),
          base
        )
      );
      expect(multi.kind).toBe('multivector');
      expect(multi.message).toMatch(/multivector/);
      const sparse = await scanError(
        scanCollection(
          new FakeQdrant(circlePoints(), 'Cosine', {
            vectorsConfig: { vectors: {}, sparse_vectors: { bm25: {} } }
          }),
          base
        )
      );
      expect(sparse.kind).toBe('no-dense-vector');
      expect(sparse.message).toMatch(/no dense vector \(only sparse ones\)/);
    });
  });

  describe('when requests fail', () => {
    it('retries a 503 and then succeeds with the same result', async () => {
      const clean = await scanCollection(new FakeQdrant(circlePoints()), base);
      const fake = new FakeQdrant(circlePoints()).fail(
        'queryBatch',
        httpError(503)
      );
      const { hooks, sleeps } = recorder();
      const result = await scanCollection(fake, base, hooks);
      expect(sleeps).toHaveLength(1);
      expect(result.stats.retries).toBe(1);
      expect(result.stats.requests).toBe(clean.stats.requests + 1);
      expect(pairSet(result)).toEqual(pairSet(clean));
      expect(result.groups).toEqual(clean.groups);
    });

    it('honours Retry-After on a 429', async () => {
      const fake = new FakeQdrant(circlePoints())
        .fail('queryBatch', httpError(429, { 'retry-after': '2' }))
        .fail(
          'scroll',
          Object.assign(new Error('Too many'), {
            name: 'QdrantClientResourceExhaustedError',
            retry_after: 3
          })
        );
      const { hooks, sleeps } = recorder();
      const result = await scanCollection(
        fake,
        { ...base, retry: { retries: 3, baseDelayMs: 1, maxDelayMs: 60000 } },
        hooks
      );
      expect(sleeps).toHaveLength(2);
      expect(sleeps[0]).toBeGreaterThanOrEqual(3000);
      expect(sleeps[1]).toBeGreaterThanOrEqual(2000);
      expect(result.groups).toHaveLength(2);
    });

    it('retries a network failure and gives up after the set number of retries', async () => {
      const fake = new FakeQdrant(circlePoints()).fail(
        'getCollection',
        ...Array.from({ length: 4 }, () => new TypeError('fetch failed'))
      );
      const { hooks, sleeps, progress } = recorder();
      const error = await scanError(scanCollection(fake, base, hooks));
      expect(error.kind).toBe('unreachable');
      expect(error.message).toMatch(/after 4 attempts/);
      expect(fake.count('getCollection')).toBe(4);
      expect(sleeps).toHaveLength(3);
      // Backoff doubles (with jitter of +-25%).
      expect(sleeps[1]).toBeGreaterThan(sleeps[0]);
      expect(progress[progress.length - 1]).toMatchObject({
        phase: 'error',
        error: { kind: 'unreachable' }
      });
    });

    it('does not retry a 401 and says to check the API key', async () => {
      const fake = new FakeQdrant(circlePoints()).fail(
        'getCollection',
        httpError(401)
      );
      const { hooks, sleeps } = recorder();
      const error = await scanError(scanCollection(fake, base, hooks));
      expect(error.kind).toBe('auth');
      expect(error.status).toBe(401);
      expect(error.message).toMatch(/API key/);
      expect(fake.count('getCollection')).toBe(1);
      expect(sleeps).toHaveLength(0);
    });

    it('stops at once on a 403 mid-scan, sending nothing more', async () => {
      const fake = new FakeQdrant(circlePoints(), 'Cosine', {
        delayMs: 2
      }).fail('queryBatch', httpError(403));
      const error = await scanError(
        scanCollection(fake, { ...base, batchSize: 1 }, recorder().hooks)
      );
      expect(error.kind).toBe('auth');
      const sent = fake.calls.length;
      await new Promise(resolve => setTimeout(resolve, 30));
      expect(fake.calls.length).toBe(sent);
    });

    it('reports a missing collection as not found', async () => {
      const fake = new FakeQdrant(circlePoints()).fail(
        'getCollection',
        httpError(
          404,
          {},
          { status: { error: "Not found: Collection `images` doesn't exist!" } }
        )
      );
      const error = await scanError(
        scanCollection(fake, base, recorder().hooks)
      );
      expect(error.kind).toBe('not-found');
      expect(error.message).toMatch(/"images" was not found/);
    });

    it("passes Qdrant's reason on for a bad request", async () => {
      const fake = new FakeQdrant(circlePoints()).fail(
        'queryBatch',
        httpError(
          400,
          {},
          {
            status: {
              error: 'Wrong input: Vector params for x are not specified'
            }
          }
        )
      );
      const error = await scanError(
        scanCollection(fake, base, recorder().hooks)
      );
      expect(error.kind).toBe('bad-request');
      expect(error.message).toMatch(/Vector params for x are not specified/);
    });

    it('refuses a request it cannot run', async () => {
      const { hooks, progress } = recorder();
      const error = await scanError(
        scanCollection(new FakeQdrant([]), { ...base, limit: 0 }, hooks)
      );
      expect(error.kind).toBe('bad-request');
      expect(progress.map(p => p.phase)).toEqual(['error']);
    });

    it('refuses an unknown cure or audit size, saying what it takes', async () => {
      const fake = new FakeQdrant(circlePoints());
      const cure = await scanError(
        scanCollection(
          fake,
          { ...base, cure: 'sometimes' as never },
          recorder().hooks
        )
      );
      expect(cure.kind).toBe('bad-request');
      expect(cure.message).toBe(
        'cure must be "auto", "always" or "never", not "sometimes".'
      );
      const audit = await scanError(
        scanCollection(fake, { ...base, auditPoints: -1 }, recorder().hooks)
      );
      expect(audit.message).toMatch(
        /whole number of points \(0 for none\), not -1/
      );
      expect(fake.calls).toHaveLength(0);
    });
  });

  describe('when cancelled', () => {
    it('stops issuing requests mid-scan and rejects as cancelled', async () => {
      const controller = new AbortController();
      const fake = new FakeQdrant(circlePoints());
      fake.beforeQuery = call => {
        if (call === 2) {
          controller.abort();
        }
      };
      const { hooks, progress } = recorder();
      hooks.signal = controller.signal;
      const error = await scanError(
        scanCollection(fake, { ...base, batchSize: 1, inFlight: 1 }, hooks)
      );
      expect(error.kind).toBe('cancelled');
      await new Promise(resolve => setTimeout(resolve, 20));
      expect(fake.count('queryBatch')).toBe(2);
      expect(progress[progress.length - 1].phase).toBe('cancelled');
    });

    it('does not wait for a request that hangs', async () => {
      const controller = new AbortController();
      const fake = new FakeQdrant(circlePoints());
      fake.beforeQuery = () => new Promise(() => undefined);
      const scan = scanCollection(fake, base, { signal: controller.signal });
      await new Promise(resolve => setTimeout(resolve, 10));
      controller.abort();
      expect((await scanError(scan)).kind).toBe('cancelled');
    });

    it('sends nothing when cancelled before it starts', async () => {
      const controller = new AbortController();
      controller.abort();
      const fake = new FakeQdrant(circlePoints());
      const error = await scanError(
        scanCollection(fake, base, { signal: controller.signal })
      );
      expect(error.kind).toBe('cancelled');
      expect(fake.calls).toHaveLength(0);
    });
  });
});

describe('classify', () => {
  it('reads the shapes @qdrant/js-client-rest throws', () => {
    expect(classify(httpError(502), 'c').transient).toBe(true);
    expect(
      classify(httpError(429, { 'retry-after': '7' }), 'c').retryAfterMs
    ).toBe(7000);
    expect(
      classify({ name: 'QdrantClientTimeoutError', message: 'x' }, 'c')
    ).toMatchObject({
      transient: true,
      error: { kind: 'unreachable' }
    });
    expect(
      classify(
        new Error(
          'Unexpected Response: 403 (Forbidden)\nRaw response content:'
        ),
        'c'
      ).error.kind
    ).toBe('auth');
    expect(
      classify(
        new TypeError("Cannot read properties of undefined (reading 'x')"),
        'c'
      ).transient
    ).toBe(false);
  });

  it("reads the Jupyter proxy's answers by the one status table", () => {
    // 502/504: the proxy could not reach Qdrant; retried, and said as such.
    const gateway = classify(httpError(502), 'c');
    expect(gateway).toMatchObject({
      transient: true,
      error: { kind: 'unreachable', status: 502 }
    });
    expect(gateway.error.message).toMatch(/could not reach the Qdrant backend/);
    // 409: the proxy cannot offer the backend the Backend setting asks for.
    expect(classify(httpError(409), 'c')).toMatchObject({
      transient: false,
      error: { kind: 'backend-choice', status: 409 }
    });
  });
});

describe("httpErrorInfo (the server extension's answers, as the panel shows them)", () => {
  const failure = (status: number, message: string) =>
    Object.assign(new Error(message), { status });

  it('keeps the server message under the kind of its status', () => {
    expect(httpErrorInfo(failure(403, 'No access.'))).toEqual({
      kind: 'auth',
      message: 'No access.',
      status: 403
    });
    expect(httpErrorInfo(failure(0, 'Offline.'))).toEqual({
      kind: 'unreachable',
      message: 'Offline.'
    });
  });

  it('reads a 409 by the route asked: a held claim is busy, the backend route a backend choice', () => {
    expect(httpErrorInfo(failure(409, 'Held.')).kind).toBe('busy');
    expect(
      httpErrorInfo(failure(409, 'No remote.'), 'backend-choice').kind
    ).toBe('backend-choice');
  });

  it('calls an error without a status a server error, with its text', () => {
    expect(httpErrorInfo(new Error('boom'))).toEqual({
      kind: 'server-error',
      message: 'Error: boom'
    });
  });
});

// Compile-time check: the official client fits IScanClient as it is.
export function acceptsOfficialClient(client: QdrantClient): IScanClient {
  return client;
}
