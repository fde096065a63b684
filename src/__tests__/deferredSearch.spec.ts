// The default way of the sure route with the points the index cannot reach (sureExact
// 'deferred', bench/README.md): no exact search of their own while the group cover and the
// lonely pass run, an exact search after the lonely pass when either does not, and the
// points kept in checkpoints until then. DOM-free, on the fake brute-force Qdrant
// (fakeUnreachable.ts) whose index leaves six points unreachable; the real engine's runs are
// in tests/test_scan_integration.py.
import { pairsOf } from './fakeQdrant';
import {
  collection,
  FakeUnreachableQdrant,
  SURE_REQUEST,
  truth
} from './fakeUnreachable';
import { MemoryCheckpointStore } from '../scan/checkpoint';
import type { PolicyOverrides } from '../scan/policies';
import { scanCollection } from '../scan/scanner';
import type { IScanRequest } from '../scan/types';

/** The sure route's request, with an audit (it tells how the points were handled). */
const request: IScanRequest = {
  ...SURE_REQUEST,
  auditPoints: 12,
  auditSeed: 7
};

async function scan(
  options: {
    policies?: PolicyOverrides;
    unindexed?: boolean;
    sureExact?: IScanRequest['sureExact'];
  } = {}
) {
  const { vectors, unreachable, copies } = collection();
  const client = new FakeUnreachableQdrant(vectors, unreachable);
  if (options.unindexed) {
    client.indexedVectors = 0;
  }
  const result = await scanCollection(
    client,
    { ...request, sureExact: options.sureExact },
    { policies: options.policies }
  );
  return { vectors, copies, client, result };
}

describe('the points the index cannot reach, left to the cover and the lonely pass (fake Qdrant)', () => {
  it('by default finds every pair without searching any of them over the collection, and says so', async () => {
    const { vectors, result } = await scan();
    expect(pairsOf(result)).toEqual(truth(vectors, request.threshold));
    expect(result.groups.map(g => g.members.length)).toEqual([5, 3]);
    expect(result.audit?.route).toBe('sure');
    expect(result.audit?.searchedExactly).toBe(0);
    // The five copies and point 201.
    expect(result.audit?.deferred).toBe(6);
    // The copies' pairs came from the lonely pass (they found nothing of their own).
    expect(result.stats.lonely?.skipped).toBeUndefined();
    expect(result.stats.lonely?.found).toBe(10);

    // 'collection' searches them in the main pass instead: the same pairs.
    const before = await scan({ sureExact: 'collection' });
    expect(pairsOf(before.result)).toEqual(pairsOf(result));
    expect(before.result.audit?.searchedExactly).toBeGreaterThan(0);
    expect(before.result.audit?.deferred).toBeUndefined();
  });

  it('searches them exactly after a lonely pass that did not run, and loses no pair', async () => {
    const { vectors, copies, result } = await scan({
      unindexed: true
    });
    expect(result.stats.lonely?.skipped).toBe('unindexed');
    expect(pairsOf(result)).toEqual(truth(vectors, request.threshold));
    // Once for the five copies (their answer shared), once for 201.
    expect(result.audit?.searchedExactly).toBe(2);
    expect(result.audit?.deferred).toBeUndefined();
    // Without that fallback the copies' pairs are lost: nothing else reaches them.
    const without = await scan({
      unindexed: true,
      policies: { sureExact: 'none' }
    });
    expect(pairsOf(without.result)).not.toContain(`${copies[0]}-${copies[1]}`);
  });

  it('searches them exactly when the group cover is off, and loses no pair', async () => {
    const { vectors, result } = await scan({
      policies: { groupCover: 'none' }
    });
    expect(pairsOf(result)).toEqual(truth(vectors, request.threshold));
    expect(result.audit?.searchedExactly).toBe(2);
  });

  it('keeps them in the checkpoint: a scan stopped at their exact search resumes to every pair', async () => {
    const { vectors, unreachable, copies } = collection();
    const client = new FakeUnreachableQdrant(vectors, unreachable);
    client.indexedVectors = 0;
    const store = new MemoryCheckpointStore();
    const stop = new AbortController();
    client.onSearch = s => {
      if (s.exact && !s.filtered && s.point === copies[0]) {
        stop.abort();
      }
    };
    const unaudited = { ...request, auditPoints: 0 };
    await expect(
      scanCollection(client, unaudited, {
        signal: stop.signal,
        checkpoint: { store, key: 'k', everyMs: 0 }
      })
    ).rejects.toMatchObject({ kind: 'cancelled' });
    const kept = await store.load('k');
    expect(kept?.doneCount).toBe(vectors.size);
    expect([...kept!.unreachable].length).toBe(6);

    client.onSearch = null;
    const from = client.searches.length;
    const resumed = await scanCollection(client, unaudited, {
      checkpoint: { store, key: 'k', resume: true, everyMs: 0 }
    });
    expect(pairsOf(resumed)).toEqual(truth(vectors, request.threshold));
    const again = client.searches
      .slice(from)
      .filter(s => s.exact && !s.filtered && !s.byVector);
    expect(again.map(s => s.point)).toContain(copies[0]);
  });
});
