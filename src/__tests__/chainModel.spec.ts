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
  /** The types of the messages posted, in order. */
  readonly posted: string[] = [];
  /** Jobs answered only when `release` runs (as a busy worker answers later). */
  hold = false;
  private held: PanelToWorker[] = [];
  /** What the worker does with a message instead of handling it ('crash': its onerror fires). */
  instead: ((message: PanelToWorker) => 'crash' | void) | null = null;
  private service = new ScanService(
    message => this.onmessage?.({ data: message } as MessageEvent),
    () => this.qdrant
  );
  postMessage(message: PanelToWorker): void {
    this.posted.push(message.type);
    if (this.instead?.(message) === 'crash') {
      this.onerror?.({ message: 'out of memory' } as ErrorEvent);
      return;
    }
    if (this.hold && (message.type === 'shape' || message.type === 'central')) {
      this.held.push(message);
      return;
    }
    this.service.handle(message);
  }
  /** Answers the held jobs, oldest first. */
  release(): void {
    const held = this.held;
    this.held = [];
    held.forEach(m => this.service.handle(m));
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

/** A model whose scan of the circle ran at a floor of 0.75, shown at `shownAt` (if any). */
async function scanned(
  workerRegroupPairs?: number,
  shownAt: number | null = 0.98
) {
  const worker = new FakeInProcessWorker();
  const model = new NearDuplicatesModel({
    createWorker: () => worker,
    api,
    workerRegroupPairs
  });
  model.start();
  await model.refreshBackend();
  model.setThreshold(0.75);
  await model.detect();
  for (let i = 0; i < 200 && model.running; i++) {
    await new Promise(resolve => setTimeout(resolve, 5));
  }
  expect(model.outcome).not.toBeNull();
  if (shownAt !== null) {
    model.setThreshold(shownAt);
  }
  return { model, worker };
}

const names = (model: NearDuplicatesModel) =>
  model.outcome!.groups.map(g => g.sampleIds.join(' '));

/** Lets the worker's answers (a zero timeout there, then promises) reach the model. */
async function settle(): Promise<void> {
  for (let turn = 0; turn < 10; turn++) {
    await new Promise(resolve => setTimeout(resolve, 0));
  }
}

const SINGLE_AT_098 = [
  'at0 at2 at4 at14 at16 at25 at27',
  'at100 at100.5 at101'
];
// Most alike first: 14-16 and 25-27 (2 deg) join before 16-25 (9 deg) could.
const COMPLETE_AT_098 = [
  'at100 at100.5 at101',
  'at0 at2 at4',
  'at14 at16',
  'at25 at27'
];

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

  it('groups by complete linkage in the worker when the setting says so (the list says it is forming meanwhile), and back', async () => {
    const { model, worker } = await scanned();
    const calls = worker.qdrant.calls.length;
    worker.hold = true;
    model.settings = { ...DEFAULT_SETTINGS, linkage: 'complete' };
    // The worker has the job: the list shows the groups as they were, and says it is forming.
    expect(model.forming).toEqual({ linkage: 'complete', threshold: 0.98 });
    expect(names(model)).toEqual(SINGLE_AT_098);
    worker.release();
    await settle();
    expect(model.forming).toBeNull();
    const outcome = model.outcome!;
    expect(names(model)).toEqual(COMPLETE_AT_098);
    expect(
      outcome.groups.every(g => !chainedNote(outcome, model.shaping, g))
    ).toBe(true);
    expect(worker.qdrant.calls.length).toBe(calls);
    // The slider under complete linkage asks the worker again, without sending the pairs again.
    model.setThreshold(0.97);
    await settle();
    expect(names(model)).toHaveLength(4);
    expect(worker.posted.filter(t => t === 'pairs')).toHaveLength(1);
    expect(worker.posted.filter(t => t === 'shape')).toHaveLength(2);
    model.settings = { ...DEFAULT_SETTINGS, linkage: 'single' };
    expect(model.forming).toBeNull();
    expect(names(model)[0]).toBe('at0 at2 at4 at14 at16 at25 at27');
  });

  it('regroups a scan with many pairs in the worker when the threshold moves (the list says it is forming meanwhile), with the groups the page forms', async () => {
    const page = await scanned();
    page.model.setThreshold(0.97);
    const onPage = names(page.model);
    expect(page.worker.posted.filter(t => t === 'shape')).toHaveLength(0);

    // The same scan, counted as large: from 1 pair on, regroups go to the worker.
    const { model, worker } = await scanned(1);
    await settle();
    expect(model.outcome!.threshold).toBe(0.98);
    expect(names(model)).toEqual(SINGLE_AT_098);
    worker.hold = true;
    model.setThreshold(0.97);
    expect(model.forming).toEqual({ linkage: 'single', threshold: 0.97 });
    // Meanwhile the groups on show are the ones at 0.98.
    expect(names(model)).toEqual(SINGLE_AT_098);
    worker.release();
    await settle();
    expect(model.forming).toBeNull();
    expect(names(model)).toEqual(onPage);
    expect(worker.posted.filter(t => t === 'shape').length).toBeGreaterThan(0);
  });

  it('shows a large scan at its own threshold as the scan grouped it, sending the worker no copy of its pairs', async () => {
    // From 1 pair on the scan counts as large (a million points' six million pairs).
    const { model, worker } = await scanned(1, null);
    await settle();
    const outcome = model.outcome!;
    expect(outcome.threshold).toBe(0.75);
    expect(model.forming).toBeNull();
    expect(outcome.groups).toBe(outcome.result.groups);
    expect(outcome.groups.length).toBeGreaterThan(0);
    expect(worker.posted.filter(t => t === 'pairs' || t === 'shape')).toEqual(
      []
    );
    // A stricter threshold is formed in the worker, which gets the pairs then.
    model.setThreshold(0.98);
    expect(model.forming).toEqual({ linkage: 'single', threshold: 0.98 });
    await settle();
    expect(worker.posted.filter(t => t === 'pairs')).toHaveLength(1);
    expect(worker.posted.filter(t => t === 'shape')).toHaveLength(1);
    expect(names(model)).toEqual(SINGLE_AT_098);
  });

  it('shows only the newest linkage asked for, whatever order the worker answers in', async () => {
    const { model, worker } = await scanned();
    worker.hold = true;
    model.settings = { ...DEFAULT_SETTINGS, linkage: 'complete' };
    model.settings = { ...DEFAULT_SETTINGS, linkage: 'single' };
    expect(model.forming).toBeNull();
    worker.release();
    await settle();
    // The complete answer came after the switch back: it is not shown.
    expect(names(model)).toEqual(SINGLE_AT_098);

    model.settings = { ...DEFAULT_SETTINGS, linkage: 'complete' };
    model.setThreshold(0.99);
    model.setThreshold(0.98);
    worker.release();
    await settle();
    expect(model.forming).toBeNull();
    expect(model.outcome!.threshold).toBe(0.98);
    expect(names(model)).toEqual(COMPLETE_AT_098);
  });

  it('the worker drops the kept pairs when a scan starts, and the next job sends them again', async () => {
    const { model, worker } = await scanned();
    model.settings = { ...DEFAULT_SETTINGS, linkage: 'complete' };
    await settle();
    model.settings = { ...DEFAULT_SETTINGS, linkage: 'single' };
    model.setThreshold(0.75);
    await model.detect();
    model.setThreshold(0.98);
    model.settings = { ...DEFAULT_SETTINGS, linkage: 'complete' };
    await settle();
    expect(model.groupingError).toBeNull();
    expect(names(model)).toEqual(COMPLETE_AT_098);
    const after = worker.posted.slice(worker.posted.lastIndexOf('start'));
    expect(after).toContain('pairs');
    expect(after.indexOf('pairs')).toBeLessThan(after.indexOf('shape'));
  });

  it('a scan restored after a reload sends its pairs to the worker and groups by complete linkage', async () => {
    const { model } = await scanned();
    const saved = JSON.parse(JSON.stringify(model.saveOutcome()));
    const worker = new FakeInProcessWorker();
    const reloaded = new NearDuplicatesModel({
      createWorker: () => worker,
      api
    });
    reloaded.start();
    reloaded.settings = { ...DEFAULT_SETTINGS, linkage: 'complete' };
    expect(reloaded.restoreOutcome(saved)).toBe(true);
    await settle();
    expect(worker.posted).toEqual(['hello', 'pairs', 'shape']);
    expect(names(reloaded)).toEqual(COMPLETE_AT_098);
  });

  it('with no worker running, complete linkage is formed on the page at once', async () => {
    const { model } = await scanned();
    const saved = JSON.parse(JSON.stringify(model.saveOutcome()));
    const worker = new FakeInProcessWorker();
    const reloaded = new NearDuplicatesModel({
      createWorker: () => worker,
      api
    });
    reloaded.settings = { ...DEFAULT_SETTINGS, linkage: 'complete' };
    expect(reloaded.restoreOutcome(saved)).toBe(true);
    expect(reloaded.forming).toBeNull();
    expect(names(reloaded)).toEqual(COMPLETE_AT_098);
    expect(worker.posted).toEqual([]);
  });

  it('when the worker crashes while forming, the groups are formed on the page and the worker status says it failed', async () => {
    const { model, worker } = await scanned();
    worker.instead = message =>
      message.type === 'shape' ? 'crash' : undefined;
    model.settings = { ...DEFAULT_SETTINGS, linkage: 'complete' };
    await settle();
    expect(model.workerStatus).toEqual({
      state: 'failed',
      message: 'The scan worker failed: out of memory',
      stopped: true
    });
    expect(model.forming).toBeNull();
    expect(model.groupingError).toBeNull();
    expect(names(model)).toEqual(COMPLETE_AT_098);
  });

  it('when the worker cannot form the groups, the panel says why and keeps the groups on show', async () => {
    const { model, worker } = await scanned();
    // A job naming pairs the worker does not hold (as a worker restarted behind the panel's back).
    const realPost = worker.postMessage.bind(worker);
    worker.postMessage = message =>
      realPost(
        message.type === 'shape' ? { ...message, key: 'another scan' } : message
      );
    model.settings = { ...DEFAULT_SETTINGS, linkage: 'complete' };
    await settle();
    expect(model.forming).toBeNull();
    expect(model.groupingError).toBe(
      'the scan worker does not hold the pairs of this scan'
    );
    expect(names(model)).toEqual(SINGLE_AT_098);
    expect(model.workerStatus.state).toBe('ready');
  });
});
