// The sure route (issue 12) against a fake Qdrant whose index cannot reach some points:
// every pair is found, and the exact searches it takes are as few as they can be.
import { pairsOf } from './fakeQdrant';
import {
  at,
  collection,
  FakeUnreachableQdrant,
  SURE_REQUEST,
  truth
} from './fakeUnreachable';
import { scanCollection } from '../scan/scanner';
import type { PolicyOverrides } from '../scan/policies';
import type { IScanProgress } from '../scan/types';

const request = SURE_REQUEST;

/**
 * These tests count the sure route's own searches: the cover after the check (cover.ts, its
 * own tests in cover.spec.ts) and the lonely pass (lonely.spec.ts) are left out unless a test
 * asks for them. Without them the default (sureExact 'deferred') searches the points the index
 * cannot reach after the main pass, as 'collection' does in it (deferredSearch.spec.ts).
 */
const sureOnly = (policies?: PolicyOverrides): PolicyOverrides => ({
  groupCover: 'none',
  lonelyPairs: 'none',
  ...policies
});

async function scan(policies?: PolicyOverrides) {
  const { vectors, unreachable, copies } = collection();
  const client = new FakeUnreachableQdrant(vectors, unreachable);
  const progress: IScanProgress[] = [];
  const result = await scanCollection(client, request, {
    policies: sureOnly(policies),
    onProgress: p => progress.push(p)
  });
  const overCollection = client.searches.filter(s => s.exact && !s.filtered);
  return { vectors, copies, client, result, progress, overCollection };
}

describe('the sure route on a fake Qdrant whose index cannot reach some points', () => {
  it('finds every pair, those of the points the index cannot reach included', async () => {
    const { vectors, result } = await scan();
    const expected = truth(vectors, request.threshold);
    // 10 pairs among the five copies, 3 in the trio.
    expect(expected).toHaveLength(13);
    expect(pairsOf(result)).toEqual(expected);
    expect(result.groups.map(g => g.members.length)).toEqual([5, 3]);
  });

  it('searches exact copies the index cannot reach exactly once, and shares the answer with the copies found later', async () => {
    const { copies, result, progress, overCollection } = await scan();
    // One exact search for the five copies (the first one met), one for point 201.
    expect(overCollection.map(s => s.point).sort((a, b) => a - b)).toEqual([
      copies[0],
      201
    ]);
    expect(result.audit).toBeUndefined();
    // Every point counted once as known, copies included.
    expect(progress[progress.length - 1].scanned).toBe(
      result.points.ids.length
    );
  });

  it('asks an exact search for a large first page (8 x the limit), never again for a second page', async () => {
    const { overCollection } = await scan();
    // The copies' answer holds 4 hits, more than the scan's limit of 2: a page that size
    // would be full and asked again, repeating the whole exact search.
    expect(overCollection.map(s => [s.offset, s.limit])).toEqual([
      [0, 16],
      [0, 16]
    ]);
  });

  it("with unreachableCopies 'search' and exactPage 'grow' (the design before) searches every copy, page after page", async () => {
    const { vectors, copies, result, overCollection } = await scan({
      unreachableCopies: 'search',
      exactPage: 'grow'
    });
    expect(pairsOf(result)).toEqual(truth(vectors, request.threshold));
    const searched = new Set(overCollection.map(s => s.point));
    expect([...searched].sort((a, b) => a - b)).toEqual([...copies, 201]);
    // limit 2, then 6 from the start: two exact searches for each copy (4 hits each).
    expect(overCollection.filter(s => s.point === copies[0])).toHaveLength(2);
  });

  it('loses no pair when an unreachable point counts as reached because its exact copy came back (suspected route a)', async () => {
    const vectors = new Map<number, number[]>();
    for (let k = 0; k < 40; k++) {
      vectors.set(k, at(k * 9 + 4.5));
    }
    // 300 and 302 cannot be reached; each has a reachable exact copy (301, 303), which comes
    // back for its vector at the same score as itself, so neither is searched exactly.
    vectors.set(300, at(153));
    vectors.set(301, at(153));
    vectors.set(302, at(153.2));
    vectors.set(303, at(153.2));
    const run = async (policies?: PolicyOverrides) => {
      const client = new FakeUnreachableQdrant(vectors, new Set([300, 302]));
      const result = await scanCollection(client, request, {
        policies: sureOnly(policies)
      });
      return { client, result };
    };
    const { client, result } = await run();
    expect(
      client.searches.filter(s => s.exact && !s.filtered).map(s => s.point)
    ).toEqual([]);
    // 300-302 is found by neither's own search; the check inside their group finds it.
    expect(pairsOf(result)).toEqual(truth(vectors, request.threshold));
    const unchecked = await run({ check: 'none' });
    expect(pairsOf(unchecked.result)).not.toContain('300-302');
  });

  it('pages a by-vector answer on by id and finds every copy of a cluster larger than the page (suspected route b)', async () => {
    const vectors = new Map<number, number[]>();
    for (let k = 0; k < 40; k++) {
      vectors.set(k, at(k * 9 + 4.5));
    }
    for (let id = 400; id < 406; id++) {
      vectors.set(id, at(252));
    }
    const client = new FakeUnreachableQdrant(vectors, new Set());
    const result = await scanCollection(client, request, {
      policies: sureOnly()
    });
    // Each copy asks by its vector first (limit 2 + the point itself: full), then again from
    // the start by id. (The fake names a vector's query by the first point with that vector.)
    const cluster = client.searches.filter(s => s.point >= 400 && !s.filtered);
    expect(cluster.filter(s => s.byVector).map(s => s.limit)).toEqual([
      3, 3, 3, 3, 3, 3
    ]);
    expect(
      cluster.filter(s => !s.byVector).map(s => [s.point, s.offset, s.limit])
    ).toEqual([400, 401, 402, 403, 404, 405].map(id => [id, 0, 6]));
    expect(pairsOf(result)).toEqual(truth(vectors, request.threshold));
    expect(pairsOf(result)).toHaveLength(15);
  });

  it('searches the collection once for a chain of near (not identical) points the index cannot reach, and each covered neighbour only among that answer', async () => {
    const vectors = new Map<number, number[]>();
    for (let k = 0; k < 40; k++) {
      vectors.set(k, at(k * 9 + 4.5));
    }
    // A chain 0.7 degrees apart, none reachable; 0.999 reaches 2.56 degrees: each point
    // pairs with the next three, so 500's answer covers 501 to 503, and 504's covers 505.
    const chain = [500, 501, 502, 503, 504, 505];
    chain.forEach((id, k) => vectors.set(id, at(304.2 + 0.7 * k)));
    const run = async (policies?: PolicyOverrides) => {
      const client = new FakeUnreachableQdrant(vectors, new Set(chain));
      // One query at a time, so each answer is in before the next point is asked.
      const result = await scanCollection(
        client,
        { ...request, batchSize: 1, inFlight: 1, auditPoints: 0 },
        { policies: sureOnly(policies) }
      );
      return {
        result,
        overCollection: client.searches
          .filter(s => s.exact && !s.filtered)
          .map(s => s.point),
        amongCover: client.searches
          .filter(s => s.exact && s.filtered)
          .map(s => s.point)
      };
    };
    const expected = truth(vectors, request.threshold);
    expect(expected).toHaveLength(12);
    const covered = await run();
    expect(pairsOf(covered.result)).toEqual(expected);
    expect(covered.result.groups.map(g => g.members.length)).toEqual([6]);
    expect(covered.overCollection).toEqual([500, 504]);
    // (then the check inside the group asks about the pairs no search returned)
    expect(covered.amongCover.slice(0, 4)).toEqual([501, 502, 503, 505]);
    // The first design: each searched over the whole collection, the same pairs.
    const uncovered = await run({ unreachableCover: 'none' });
    expect(pairsOf(uncovered.result)).toEqual(expected);
    expect(uncovered.overCollection).toEqual(chain);
  });

  it('refuses an unknown sureExact, naming the ones it takes', async () => {
    const { vectors, unreachable } = collection();
    const client = new FakeUnreachableQdrant(vectors, unreachable);
    await expect(
      scanCollection(client, { ...request, sureExact: 'some' as never })
    ).rejects.toMatchObject({
      kind: 'bad-request',
      message:
        "sureExact must be 'deferred', 'collection', 'unreachable' or 'lonely', not some."
    });
  });
});
