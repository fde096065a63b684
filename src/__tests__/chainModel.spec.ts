// Chaining in the panel's model (issue 15): the chained mark, Split and the linkage setting on
// a finished scan, with no new request; the groups sent to the kernel are the ones on show.
// A fake in-process worker (the real ScanService over the brute-force fake Qdrant client).
import type { IBackendInfo, INearDuplicatesApi } from '../api';
import { groupsMessage } from '../comm/messages';
import { chainedNote } from '../components/chainWords';
import { NearDuplicatesModel } from '../model';
import type { PanelToWorker } from '../scan/protocol';
import { ScanService } from '../scan/scanService';
import { DEFAULT_SETTINGS } from '../tokens';
import type { IScanWorker } from '../workerHost';
import { FakePoint, FakeQdrant } from './fakeQdrant';

const at = (deg: number) => [
  Math.cos((deg * Math.PI) / 180),
  Math.sin((deg * Math.PI) / 180)
];

/**
 * On a circle: a chain {0, 2, 4} -10 deg- {14, 16} -9 deg- {25, 27} (similarity 0.98 is 11.5
 * degrees, so at 0.98 it is one group of 7 whose ends are 27 degrees apart: 0.891, below the
 * chained cutoff 2 x 0.98^2 - 1 = 0.921), and a tight group {100, 100.5, 101}.
 */
const CHAIN = [0, 2, 4, 14, 16, 25, 27];
const TIGHT = [100, 100.5, 101];
const POINTS: FakePoint[] = [...CHAIN, ...TIGHT].map((deg, i) => ({
  id: i,
  vector: at(deg),
  payload: { sample_id: `at${deg}` }
}));

class FakeInProcessWorker implements IScanWorker {
  onmessage: ((event: MessageEvent) => void) | null = null;
  onerror: ((event: ErrorEvent) => void) | null = null;
  readonly qdrant = new FakeQdrant(POINTS);
  private service = new ScanService(
    message => this.onmessage?.({ data: message } as MessageEvent),
    () => this.qdrant
  );
  postMessage(message: PanelToWorker): void {
    this.service.handle(message);
  }
  terminate(): void {
    // Nothing runs apart from this test.
  }
}

const BACKEND: IBackendInfo = {
  kind: 'embedded',
  version: '1.15.0',
  collections: [
    {
      name: 'circle',
      points_count: POINTS.length,
      vectors: { '': { size: 2, distance: 'Cosine' } },
      sparse_vectors: []
    }
  ]
};

const api: INearDuplicatesApi = {
  getBackend: async kind => ({ ...BACKEND, requested: kind }),
  scanConnection: () => ({ url: 'http://localhost:8888', prefix: '/q' }),
  claimScan: async () => undefined,
  releaseScan: async () => undefined,
  scanLease: collection => ({
    url: 'http://localhost:8888/near-duplicates/api/scans',
    collection,
    renewMs: 10_000,
    ttlMs: 30_000
  })
};

/** A model whose scan of the circle ran at a floor of 0.75, shown at 0.98. */
async function scanned() {
  const worker = new FakeInProcessWorker();
  const model = new NearDuplicatesModel({ createWorker: () => worker, api });
  model.start();
  await model.refreshBackend();
  model.setThreshold(0.75);
  await model.detect();
  for (let i = 0; i < 200 && model.running; i++) {
    await new Promise(resolve => setTimeout(resolve, 5));
  }
  expect(model.outcome).not.toBeNull();
  model.setThreshold(0.98);
  return { model, worker };
}

const names = (model: NearDuplicatesModel) =>
  model.outcome!.groups.map(g => g.sampleIds.join(' '));

describe('chaining in the model (fake in-process worker and Qdrant client)', () => {
  it('marks the chained group and not the tight one', async () => {
    const { model } = await scanned();
    const outcome = model.outcome!;
    expect(names(model)).toEqual([
      'at0 at2 at4 at14 at16 at25 at27',
      'at100 at100.5 at101'
    ]);
    const [chain, tight] = outcome.groups;
    const note = chainedNote(outcome, model.shaping, chain);
    expect(note).toMatch(
      /^Chained: its least alike members score 0\.89\d\d \(at0 and at27\), below 0\.9208/
    );
    expect(chainedNote(outcome, model.shaping, tight)).toBeNull();
  });

  it('splits the chained group at its weakest link, with no request, and sends the parts', async () => {
    const { model, worker } = await scanned();
    const calls = worker.qdrant.calls.length;
    const [chain] = model.outcome!.groups;
    model.openDetail(chain);
    expect(model.detail).toBe(chain);
    model.split(chain);
    // Largest first, then the most alike pair first (the tight group's is 0.5 deg).
    expect(names(model)).toEqual([
      'at14 at16 at25 at27',
      'at100 at100.5 at101',
      'at0 at2 at4'
    ]);
    expect(worker.qdrant.calls.length).toBe(calls);
    expect(model.detail).toBeNull();
    const outcome = model.outcome!;
    expect(
      outcome.groups.map(g => chainedNote(outcome, model.shaping, g))
    ).toEqual([null, null, null]);
    // What "Send all groups" sends: the parts.
    const sent = groupsMessage(
      outcome.result,
      outcome.groups,
      outcome.threshold,
      outcome.scanId
    );
    expect(sent.groups.map(g => g.sample_ids.join(' '))).toEqual(names(model));

    // Split again: {14, 16} -9 deg- {25, 27}.
    model.split(outcome.groups[0]);
    expect(names(model)).toEqual([
      'at100 at100.5 at101',
      'at0 at2 at4',
      'at14 at16',
      'at25 at27'
    ]);
    // The splits stand when the threshold moves.
    model.setThreshold(0.97);
    expect(names(model)).toHaveLength(4);
  });

  it('keeps the splits with the scan across a reload, and drops kept splits that do not fit', async () => {
    const { model } = await scanned();
    model.split(model.outcome!.groups[0]);
    const saved = JSON.parse(JSON.stringify(model.saveOutcome()));
    expect(saved.splits).toHaveLength(1);

    const reloaded = new NearDuplicatesModel({
      createWorker: () => new FakeInProcessWorker(),
      api
    });
    expect(reloaded.restoreOutcome(saved)).toBe(true);
    expect(names(reloaded)).toEqual(names(model));
    expect(names(reloaded)).toHaveLength(3);

    // A kept split naming a point the scan does not have is not applied.
    const broken = new NearDuplicatesModel({
      createWorker: () => new FakeInProcessWorker(),
      api
    });
    saved.splits[0].members[0] = 999;
    expect(broken.restoreOutcome(saved)).toBe(true);
    expect(names(broken)[0]).toBe('at0 at2 at4 at14 at16 at25 at27');
  });

  it('groups by complete linkage when the setting says so, and back', async () => {
    const { model, worker } = await scanned();
    const calls = worker.qdrant.calls.length;
    model.settings = { ...DEFAULT_SETTINGS, linkage: 'complete' };
    const outcome = model.outcome!;
    // Most alike first: 14-16 and 25-27 (2 deg) join before 16-25 (9 deg) could.
    expect(names(model)).toEqual([
      'at100 at100.5 at101',
      'at0 at2 at4',
      'at14 at16',
      'at25 at27'
    ]);
    expect(
      outcome.groups.every(g => !chainedNote(outcome, model.shaping, g))
    ).toBe(true);
    expect(worker.qdrant.calls.length).toBe(calls);
    model.settings = { ...DEFAULT_SETTINGS, linkage: 'single' };
    expect(names(model)[0]).toBe('at0 at2 at4 at14 at16 at25 at27');
  });
});
