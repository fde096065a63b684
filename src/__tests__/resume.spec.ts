// Resume (issue 16) through the panel's model: the real ScanService and scan code in process
// over the fake brute-force Qdrant client, checkpoints in a memory store shared by two
// "page loads" (two models, two workers). The real backend's resume tests are in
// tests/test_scan_resume.py.
import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import type { IBackendInfo, INearDuplicatesApi } from '../api';
import { addScanCommands } from '../commands';
import { NearDuplicatesModel } from '../model';
import {
  hasBit,
  isCheckpoint,
  MemoryCheckpointStore,
  newBitset,
  setBit
} from '../scan/checkpoint';
import type { PanelToWorker } from '../scan/protocol';
import { scanCollection } from '../scan/scanner';
import type { IScanRequest, IScanResult } from '../scan/types';
import { ScanService } from '../scan/scanService';
import { CommandIDs, DEFAULT_SETTINGS, TRANSLATION_DOMAIN } from '../tokens';
import type { IScanWorker } from '../workerHost';
import { circlePoints, FakePoint, FakeQdrant } from './fakeQdrant';

class SharedStoreWorker implements IScanWorker {
  onmessage: ((event: MessageEvent) => void) | null = null;
  onerror: ((event: ErrorEvent) => void) | null = null;
  posted: PanelToWorker[] = [];
  private service: ScanService;
  constructor(qdrant: FakeQdrant, store: MemoryCheckpointStore) {
    this.service = new ScanService(
      message => this.onmessage?.({ data: message } as MessageEvent),
      () => qdrant,
      undefined,
      store
    );
  }
  postMessage(message: PanelToWorker): void {
    this.posted.push(message);
    this.service.handle(message);
  }
  terminate(): void {
    /* nothing to stop */
  }
}

const BACKEND: IBackendInfo = {
  kind: 'embedded',
  version: '1.15.0',
  collections: [
    {
      name: 'images',
      points_count: 15,
      vectors: { '': { size: 2, distance: 'Cosine' } },
      sparse_vectors: []
    }
  ]
};

function fakeApi(backend = BACKEND): INearDuplicatesApi {
  return {
    getBackend: async () => backend,
    scanConnection: () => ({ url: 'http://localhost:8888' }),
    claimScan: async () => undefined,
    releaseScan: async () => undefined,
    scanLease: collection => ({
      url: 'http://localhost:8888/near-duplicates/api/scans',
      collection,
      renewMs: 10_000,
      ttlMs: 30_000
    })
  };
}

/** A page load: a model and its worker over the shared Qdrant and checkpoint store. */
async function pageLoad(
  qdrant: FakeQdrant,
  store: MemoryCheckpointStore,
  backend = BACKEND
) {
  const worker = new SharedStoreWorker(qdrant, store);
  const model = new NearDuplicatesModel({
    createWorker: () => worker,
    api: fakeApi(backend)
  });
  // Small batches, one at a time: the scan is many requests and stops where it is told.
  model.settings = {
    ...DEFAULT_SETTINGS,
    batchSize: 2,
    requestsInFlight: 1,
    neighboursPerQuery: 2
  };
  model.start();
  await model.refreshBackend();
  return { model, worker };
}

async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !done(); i++) {
    await new Promise(resolve => setTimeout(resolve, 5));
  }
  expect(done()).toBe(true);
}

function groupsOf(model: NearDuplicatesModel): string[][] {
  return (model.outcome?.groups ?? []).map(g => g.pointIds.map(String));
}

describe('Resume an interrupted scan (fake Qdrant, real scan code and model)', () => {
  it('offers "Resume (n% done)" after a reload, and the resumed scan ends with the full scan\'s groups and pairs', async () => {
    const qdrant = new FakeQdrant(circlePoints());
    const store = new MemoryCheckpointStore();

    const full = await pageLoad(new FakeQdrant(circlePoints()), store);
    await full.model.detect();
    await until(() => full.model.outcome !== null);
    const fullGroups = groupsOf(full.model);
    const fullPairs = full.model.outcome!.result.pairs;
    expect(fullGroups.length).toBe(2);
    // The finished scan is kept for Scan changes, not offered for Resume.
    expect((await store.load('embedded||images'))?.phase).toBe('complete');
    await until(() => full.model.lastScanKept !== null);
    expect(full.model.checkpoint).toBeNull();

    // First page load: the scan is cancelled in its main pass (after the audit's batches).
    const first = await pageLoad(qdrant, store);
    let calls = 0;
    qdrant.beforeQuery = () => {
      if (++calls === 19) {
        first.model.cancel();
      }
    };
    await first.model.detect();
    await until(() => first.model.running === null);
    qdrant.beforeQuery = null;
    expect(first.model.scanError?.kind).toBe('cancelled');
    const kept = await store.load('embedded||images');
    expect(isCheckpoint(kept)).toBe(true);
    expect(kept!.doneCount).toBeGreaterThan(0);
    expect(kept!.doneCount).toBeLessThan(15);

    // Second page load: the panel offers Resume with the share done.
    const second = await pageLoad(qdrant, store);
    await until(() => second.model.checkpoint !== null);
    const offer = second.model.checkpoint!;
    expect(offer.points).toBe(15);
    expect(offer.done).toBe(kept!.doneCount);
    const commands = new CommandRegistry();
    addScanCommands(
      commands,
      second.model,
      nullTranslator.load(TRANSLATION_DOMAIN)
    );
    expect(commands.isEnabled(CommandIDs.resume)).toBe(true);
    expect(commands.label(CommandIDs.resume)).toBe(
      `Resume the Interrupted Scan (${Math.floor((100 * kept!.doneCount) / 15)}% done)`
    );

    const before = qdrant.count('queryBatch');
    await commands.execute(CommandIDs.resume);
    await until(() => second.model.outcome !== null);
    expect(groupsOf(second.model)).toEqual(fullGroups);
    const pairs = second.model.outcome!.result.pairs;
    const asSet = (p: typeof pairs) =>
      new Set(Array.from(p.a, (a, k) => `${a}-${p.b[k]}-${p.score[k]}`));
    expect(asSet(pairs)).toEqual(asSet(fullPairs));
    // Only the points not finished before were asked again (plus the audit's sample).
    const resumedQueries = qdrant.count('queryBatch') - before;
    expect(resumedQueries).toBeLessThan(calls);
    // Finished: nothing is left to resume.
    await until(() => second.model.checkpoint === null);
    expect((await store.load('embedded||images'))?.phase).toBe('complete');
  });

  it('Discard drops the kept scan', async () => {
    const qdrant = new FakeQdrant(circlePoints());
    const store = new MemoryCheckpointStore();
    const first = await pageLoad(qdrant, store);
    let calls = 0;
    qdrant.beforeQuery = () => {
      if (++calls === 19) {
        first.model.cancel();
      }
    };
    await first.model.detect();
    await until(() => first.model.checkpoint !== null);
    qdrant.beforeQuery = null;
    first.model.discardCheckpoint();
    await until(() => first.model.checkpoint === null);
    expect(await store.load('embedded||images')).toBeNull();
  });

  it('a collection that changed since is refused by the worker, with a message saying so', async () => {
    const qdrant = new FakeQdrant(circlePoints());
    const store = new MemoryCheckpointStore();
    const first = await pageLoad(qdrant, store);
    let calls = 0;
    qdrant.beforeQuery = () => {
      if (++calls === 19) {
        first.model.cancel();
      }
    };
    await first.model.detect();
    await until(() => first.model.checkpoint !== null);

    // A point is added: the worker lists 16 points and will not resume.
    const grown = new FakeQdrant([
      ...circlePoints(),
      { id: 15, vector: [0, 1], payload: {} }
    ]);
    const second = await pageLoad(grown, store);
    await until(() => second.model.checkpoint !== null);
    await second.model.resume();
    await until(() => second.model.running === null);
    expect(second.model.scanError?.kind).toBe('stale-checkpoint');
    expect(second.model.scanError?.message).toBe(
      'The interrupted scan of images cannot be resumed: the collection changed since: 15 points then, 16 now. Its saved progress was discarded; Detect scans the collection again.'
    );
    await until(() => second.model.checkpoint === null);
  });
});

describe('Scan changes (fake Qdrant, real scan code and model)', () => {
  it('after points are added and deleted, asks only about the new ones and ends with the groups of a full rescan', async () => {
    const store = new MemoryCheckpointStore();
    const first = await pageLoad(new FakeQdrant(circlePoints()), store);
    await first.model.detect();
    await until(() => first.model.lastScanKept !== null);
    expect(first.model.canScanChanges).toBe(true);

    // Point 13 is deleted (its pair with 14 goes), two copies of 10 and of 5 are added.
    const at = (deg: number) => [
      Math.cos((deg * Math.PI) / 180),
      Math.sin((deg * Math.PI) / 180)
    ];
    const now = () => [
      ...circlePoints().filter(p => p.id !== 13),
      { id: 20, vector: at(3.2), payload: {} },
      { id: 21, vector: at(180.2), payload: {} }
    ];
    const changed = new FakeQdrant(now());
    const backend = {
      ...BACKEND,
      collections: [{ ...BACKEND.collections[0], points_count: 16 }]
    };
    const second = await pageLoad(changed, store, backend);
    await until(() => second.model.lastScanKept !== null);
    // The server's count (16) is not the last scan's (15): the panel offers Scan changes.
    expect(second.model.changedSinceLastScan?.points).toBe(15);
    const keptAt = second.model.lastScanKept!.savedAt;
    await second.model.scanChanges();
    await until(() => second.model.outcome !== null);
    expect(second.model.outcome!.result.stats.changes).toEqual({
      added: 2,
      deleted: 1,
      since: keptAt
    });
    const rescan = await pageLoad(
      new FakeQdrant(now()),
      new MemoryCheckpointStore(),
      backend
    );
    await rescan.model.detect();
    await until(() => rescan.model.outcome !== null);
    const sorted = (m: NearDuplicatesModel) =>
      groupsOf(m)
        .map(g => [...g].sort())
        .sort();
    expect(sorted(second.model)).toEqual(sorted(rescan.model));
    const members = groupsOf(second.model).flat();
    expect(members).toEqual(expect.arrayContaining(['20', '21']));
    expect(members).not.toContain('13');
    expect(second.model.outcome!.result.stats.queries).toBeLessThan(
      rescan.model.outcome!.result.stats.queries
    );
  });
});

describe('Show last scan (fake Qdrant, real scan code and model)', () => {
  it('a page load with no saved copy of a finished scan offers it, and showing it asks no neighbour query and gives its groups and pairs', async () => {
    const qdrant = new FakeQdrant(circlePoints());
    const store = new MemoryCheckpointStore();
    const first = await pageLoad(qdrant, store);
    await first.model.detect();
    await until(() => first.model.lastScanKept !== null);
    // Its groups are on show: nothing to offer.
    expect(first.model.lastScanToShow).toBeNull();
    const before = first.model.outcome!;

    // A page load that restored nothing (a scan over the workspace's limit, another workspace).
    const second = await pageLoad(qdrant, store);
    await until(() => second.model.lastScanKept !== null);
    expect(second.model.outcome).toBeNull();
    expect(second.model.changedSinceLastScan).toBeNull();
    expect(second.model.lastScanToShow?.points).toBe(15);
    const keptAt = second.model.lastScanToShow!.savedAt;
    await second.model.scanChanges();
    await until(() => second.model.outcome !== null);
    const shown = second.model.outcome!;
    // `since`: the kept scan's time, which the panel shows as the scan's.
    expect(shown.result.stats.changes).toEqual({
      added: 0,
      deleted: 0,
      since: keptAt
    });
    expect(shown.result.stats.queries).toBe(0);
    const sorted = (m: NearDuplicatesModel) =>
      groupsOf(m)
        .map(g => [...g].sort())
        .sort();
    expect(sorted(second.model)).toEqual(sorted(first.model));
    expect(shown.result.pairs.a.length).toBe(before.result.pairs.a.length);
    expect(second.model.lastScanToShow).toBeNull();
  });
});

describe('Scan changes is offered only when the count changed since the scan', () => {
  it('not after a scan whose collection info was older than the points listed', async () => {
    // The panel read 12 points before a notebook added the rest; the scan lists 15.
    const stale = {
      ...BACKEND,
      collections: [{ ...BACKEND.collections[0], points_count: 12 }]
    };
    const { model } = await pageLoad(
      new FakeQdrant(circlePoints()),
      new MemoryCheckpointStore(),
      stale
    );
    await model.detect();
    await until(() => model.lastScanKept !== null);
    expect(model.lastScanKept!.points).toBe(15);
    expect(model.changedSinceLastScan).toBeNull();
  });
});

describe('checkpoint bitsets', () => {
  it('set and read bits across byte borders', () => {
    const bits = newBitset(17);
    expect(bits.length).toBe(3);
    for (const i of [0, 7, 8, 16]) {
      setBit(bits, i);
    }
    expect([...Array(17).keys()].filter(i => hasBit(bits, i))).toEqual([
      0, 7, 8, 16
    ]);
  });
});

describe('Checkpoints add only what is new (fake Qdrant, real scan code)', () => {
  /** 30 clusters of 4 close points on the unit circle, 12 degrees apart: 180 pairs at 0.999. */
  function clusterPoints(): FakePoint[] {
    const points: FakePoint[] = [];
    for (let c = 0; c < 30; c++) {
      for (let j = 0; j < 4; j++) {
        const deg = c * 12 + j * 0.3;
        points.push({
          id: c * 4 + j,
          vector: [
            Math.cos((deg * Math.PI) / 180),
            Math.sin((deg * Math.PI) / 180)
          ],
          payload: { sample_id: `s${c}_${j}` }
        });
      }
    }
    return points;
  }
  const request: IScanRequest = {
    collection: 'images',
    threshold: 0.999,
    limit: 4,
    batchSize: 4,
    inFlight: 1,
    auditPoints: 0
  };
  const pairSet = (r: IScanResult) =>
    new Set(
      Array.from(
        r.pairs.a,
        (a, k) =>
          `${r.points.ids[a]}-${r.points.ids[r.pairs.b[k]]}:${r.pairs.score[k]}`
      )
    );

  it('writes the first checkpoint whole and later ones as the pairs found since; a resume from them ends as the full scan', async () => {
    const full = await scanCollection(new FakeQdrant(clusterPoints()), request);
    expect(full.pairs.a.length).toBe(180);

    const store = new MemoryCheckpointStore();
    const qdrant = new FakeQdrant(clusterPoints());
    const stop = new AbortController();
    let calls = 0;
    qdrant.beforeQuery = () => {
      if (++calls === 20) {
        stop.abort();
      }
    };
    const hooks = {
      signal: stop.signal,
      checkpoint: { store, key: 'k', everyMs: 0 }
    };
    await expect(scanCollection(qdrant, request, hooks)).rejects.toThrow();
    const [first, ...later] = store.saves;
    expect(first.append).toBe(false);
    expect(later.length).toBeGreaterThan(5);
    expect(later.every(s => s.append)).toBe(true);
    const kept = await store.load('k');
    expect(isCheckpoint(kept)).toBe(true);
    // Each later checkpoint wrote a few pairs, not all it had.
    expect(Math.max(...later.map(s => s.pairs))).toBeLessThan(
      kept!.pairs.a.length
    );
    expect(later.reduce((t, s) => t + s.pairs, first.pairs)).toBe(
      kept!.pairs.a.length
    );
    expect(kept!.doneCount).toBeGreaterThan(0);
    expect(kept!.doneCount).toBeLessThan(120);

    qdrant.beforeQuery = null;
    const before = store.saves.length;
    const resumed = await scanCollection(qdrant, request, {
      checkpoint: { store, key: 'k', resume: true, everyMs: 0 }
    });
    expect(pairSet(resumed)).toEqual(pairSet(full));
    // The resumed run's first checkpoint is whole again; the finished scan is kept whole.
    const after = store.saves.slice(before);
    expect(after.length).toBeGreaterThan(2);
    expect(after[0].append).toBe(false);
    expect(after.slice(1, -1).every(s => s.append)).toBe(true);
    expect(after[after.length - 1]).toEqual({ pairs: 180, append: false });
    const done = await store.load('k');
    expect(done?.phase).toBe('complete');
    expect(done?.pairs.a.length).toBe(180);
  });
});
