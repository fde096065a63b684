// The panel model with a fake in-process worker (the real ScanService over a fake Qdrant
// client, no Worker in jsdom) and a fake server API.
import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { IBackendInfo, INearDuplicatesApi, ServerApiError } from '../api';
import { addScanCommands } from '../commands';
import { NearDuplicatesModel } from '../model';
import {
  IStartMessage,
  PanelToWorker,
  WORKER_PROTOCOL
} from '../scan/protocol';
import { ScanService } from '../scan/scanService';
import {
  BackendChoice,
  CommandIDs,
  DEFAULT_SETTINGS,
  TRANSLATION_DOMAIN
} from '../tokens';
import type { IScanWorker } from '../workerHost';
import { circlePoints, FakeQdrant } from './fakeQdrant';
import { PAIRS, scanResult } from './commFixtures';
import { saveScan } from '../persistence';

/** The error the server API rejects with for an answer of `status`. */
function apiError(status: number, message: string): ServerApiError {
  return new ServerApiError(new Response(null, { status }), message);
}

class FakeInProcessWorker implements IScanWorker {
  onmessage: ((event: MessageEvent) => void) | null = null;
  onerror: ((event: ErrorEvent) => void) | null = null;
  terminated = false;
  posted: PanelToWorker[] = [];
  readonly qdrant: FakeQdrant;
  private service: ScanService;

  constructor(qdrant = new FakeQdrant(circlePoints())) {
    this.qdrant = qdrant;
    this.service = new ScanService(
      message => this.onmessage?.({ data: message } as MessageEvent),
      () => this.qdrant
    );
  }

  postMessage(message: PanelToWorker): void {
    this.posted.push(message);
    this.service.handle(message);
  }

  terminate(): void {
    this.terminated = true;
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
    },
    {
      name: 'places',
      points_count: 3,
      vectors: { '': { size: 2, distance: 'Euclid' } },
      sparse_vectors: []
    }
  ]
};

class FakeApi implements INearDuplicatesApi {
  constructor(public answer: IBackendInfo | ServerApiError = BACKEND) {}
  /** The backend kinds asked for, in order. */
  kinds: BackendChoice[] = [];
  /** Kinds this fake server cannot offer (answered 409, as the backend route does). */
  unavailable = new Set<BackendChoice>();
  /** Answers by kind, over `answer`. */
  byKind = new Map<BackendChoice, IBackendInfo>();
  async getBackend(kind: BackendChoice): Promise<IBackendInfo> {
    this.kinds.push(kind);
    if (this.unavailable.has(kind)) {
      throw apiError(
        409,
        `No ${kind} Qdrant is configured on this Jupyter server.`
      );
    }
    if (this.answer instanceof ServerApiError) {
      throw this.answer;
    }
    return { ...(this.byKind.get(kind) ?? this.answer), requested: kind };
  }
  scanConnection(kind: BackendChoice) {
    return {
      url: 'http://localhost:8888',
      prefix: '/near-duplicates/qdrant',
      headers: { 'X-Near-Duplicates-Backend': kind }
    };
  }
  /** Collections another tab is scanning. */
  busy = new Set<string>();
  leases: string[] = [];
  async claimScan(collection: string, scanId: string): Promise<void> {
    if (this.busy.has(collection)) {
      throw apiError(
        409,
        `A scan of ${collection} is already running in another panel or browser tab.`
      );
    }
    this.leases.push(`claim ${scanId}`);
  }
  async releaseScan(scanId: string): Promise<void> {
    this.leases.push(`release ${scanId}`);
  }
  scanLease(collection: string) {
    return {
      url: 'http://localhost:8888/near-duplicates/api/scans',
      collection,
      renewMs: 10_000,
      ttlMs: 30_000
    };
  }
}

function makeModel(worker = new FakeInProcessWorker(), api = new FakeApi()) {
  const model = new NearDuplicatesModel({ createWorker: () => worker, api });
  return { model, worker, api };
}

/** Resolves once `done` holds (polled). */
async function waitFor(done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) {
    await new Promise(resolve => setTimeout(resolve, 5));
  }
  expect(done()).toBe(true);
}

/** Resolves once the model has no scan running. */
async function scanFinished(model: NearDuplicatesModel): Promise<void> {
  for (let i = 0; i < 200 && model.running; i++) {
    await new Promise(resolve => setTimeout(resolve, 5));
  }
  expect(model.running).toBeNull();
}

describe('NearDuplicatesModel with a fake in-process worker', () => {
  it('starts the worker once and shows its ready reply', () => {
    let created = 0;
    const worker = new FakeInProcessWorker();
    const model = new NearDuplicatesModel({
      createWorker: () => {
        created++;
        return worker;
      },
      api: new FakeApi()
    });
    const changes: string[] = [];
    model.stateChanged.connect(() => changes.push(model.workerStatus.state));

    expect(model.workerStatus).toEqual({ state: 'starting' });
    model.start();
    model.start();

    expect(created).toBe(1);
    expect(worker.posted).toEqual([{ type: 'hello' }]);
    expect(model.workerStatus).toEqual({
      state: 'ready',
      protocol: WORKER_PROTOCOL,
      qdrantClient: true
    });
    expect(changes).toEqual(['ready']);
  });

  it('reports a worker that cannot start', () => {
    const model = new NearDuplicatesModel({
      createWorker: () => {
        throw new Error('blocked by policy');
      },
      api: new FakeApi()
    });
    model.start();
    expect(model.workerStatus).toEqual({
      state: 'failed',
      message: 'The scan worker could not start: Error: blocked by policy'
    });
  });

  it('reports a worker that crashes', () => {
    const { model, worker } = makeModel();
    model.start();
    worker.onerror?.({ message: 'SyntaxError in bundle' } as ErrorEvent);
    expect(model.workerStatus).toEqual({
      state: 'failed',
      message: 'The scan worker failed: SyntaxError in bundle',
      stopped: true
    });
  });

  it('terminates the worker when disposed', () => {
    const { model, worker } = makeModel();
    model.start();
    model.dispose();
    expect(worker.terminated).toBe(true);
  });
});

describe('NearDuplicatesModel: backend, scan, regroup and selection (fake API and Qdrant client)', () => {
  it('lists the collections and picks the first', async () => {
    const { model } = makeModel();
    await model.refreshBackend();
    expect(model.backend?.kind).toBe('embedded');
    expect(model.collection?.name).toBe('images');
    expect(model.distance).toBe('Cosine');
    expect(model.threshold).toBe(DEFAULT_SETTINGS.defaultThreshold);
  });

  it('turns a backend failure into an error the panel can explain', async () => {
    const { model } = makeModel(
      undefined,
      new FakeApi(
        apiError(
          502,
          'Could not reach the remote Qdrant backend at http://q:6333'
        )
      )
    );
    await model.refreshBackend();
    expect(model.backendError).toEqual({
      kind: 'unreachable',
      status: 502,
      message: 'Could not reach the remote Qdrant backend at http://q:6333'
    });
    expect(model.backend).toBeNull();
  });

  it('asks for the backend the settings choose, and again when the setting changes (fake API)', async () => {
    const { model, api } = makeModel();
    await model.refreshBackend();
    expect(api.kinds).toEqual(['auto']);
    api.byKind.set('remote', {
      kind: 'remote',
      url: 'http://q:6333',
      version: '1.18.3',
      collections: []
    });
    model.settings = { ...DEFAULT_SETTINGS, backend: 'remote' };
    await waitFor(() => !model.backendLoading);
    expect(api.kinds).toEqual(['auto', 'remote']);
    expect(model.backend?.kind).toBe('remote');
    expect(model.collection).toBeNull();
    // Other settings leave the backend alone.
    model.settings = { ...DEFAULT_SETTINGS, backend: 'remote', batchSize: 64 };
    expect(api.kinds).toEqual(['auto', 'remote']);
  });

  it('says clearly when the chosen backend cannot be had, and lists nothing from another (fake API)', async () => {
    const { model, api } = makeModel();
    await model.refreshBackend();
    api.unavailable.add('remote');
    model.settings = { ...DEFAULT_SETTINGS, backend: 'remote' };
    await waitFor(() => !model.backendLoading);
    expect(model.backendError).toEqual({
      kind: 'backend-choice',
      status: 409,
      message: 'No remote Qdrant is configured on this Jupyter server.'
    });
    expect(model.backend).toBeNull();
    expect(model.collection).toBeNull();
  });

  it('keeps the answer for the latest setting when answers cross (fake API)', async () => {
    const { model, api } = makeModel();
    let release: () => void = () => undefined;
    const slow = new Promise<void>(resolve => (release = resolve));
    const getBackend = api.getBackend.bind(api);
    api.getBackend = async kind => {
      if (kind === 'auto') {
        await slow;
      }
      return getBackend(kind);
    };
    api.byKind.set('embedded', {
      ...BACKEND,
      collections: [BACKEND.collections[1]]
    });
    const first = model.refreshBackend();
    model.settings = { ...DEFAULT_SETTINGS, backend: 'embedded' };
    await waitFor(() => !model.backendLoading);
    release();
    await first;
    expect(model.backend?.requested).toBe('embedded');
    expect(model.collection?.name).toBe('places');
  });

  it('skips a collection the server could not read, and never scans it (fake API)', async () => {
    const broken = {
      ...BACKEND.collections[0],
      name: 'broken',
      error: 'Qdrant answered 500'
    };
    const api = new FakeApi({
      ...BACKEND,
      collections: [broken, ...BACKEND.collections]
    });
    const { model, worker } = makeModel(undefined, api);
    model.start();
    await model.refreshBackend();
    expect(model.collection?.name).toBe('images');
    model.selectCollection('broken');
    await model.detect();
    expect(model.running).toBeNull();
    expect(worker.posted.filter(m => m.type === 'start')).toHaveLength(0);
  });

  it('sends the backend setting with the scan, for the proxy to pick the backend by (fake API)', async () => {
    const { model, worker } = makeModel();
    model.start();
    model.settings = { ...DEFAULT_SETTINGS, backend: 'embedded' };
    await waitFor(() => !model.backendLoading);
    await model.detect();
    await scanFinished(model);
    const start = worker.posted.find(m => m.type === 'start') as IStartMessage;
    expect(start.connection.headers).toEqual({
      'X-Near-Duplicates-Backend': 'embedded'
    });
  });

  it('scans, then regroups a stricter threshold without asking Qdrant again', async () => {
    const { model, worker } = makeModel();
    model.start();
    await model.refreshBackend();
    model.setThreshold(0.99);
    await model.detect();
    expect(model.running?.collection).toBe('images');
    await scanFinished(model);

    const outcome = model.outcome!;
    expect(outcome.groups.map(g => g.members.length)).toEqual([4, 2]);
    const requests = worker.qdrant.calls.length;

    model.setThreshold(0.9995);
    expect(model.outcome!.threshold).toBe(0.9995);
    expect(model.outcome!.groups.map(g => [...g.sampleIds].sort())).toEqual([
      ['12', 'dupA_1', 'dupA_2'],
      ['14', '77']
    ]);
    expect(worker.qdrant.calls.length).toBe(requests);
    expect(model.needsRescan).toBe(false);

    model.setThreshold(0.95);
    expect(model.needsRescan).toBe(true);
  });

  it('sends exact search and hnsw_ef from the settings to the scan (fake in-process worker)', async () => {
    const { model, worker } = makeModel();
    model.settings = { ...DEFAULT_SETTINGS, exactSearch: true, hnswEf: 256 };
    model.start();
    await model.refreshBackend();
    await model.detect();
    await scanFinished(model);
    const searches = worker.qdrant.calls
      .filter(c => c.method === 'queryBatch')
      .flatMap(c => (c.body as { searches: { params?: unknown }[] }).searches);
    expect(searches.length).toBeGreaterThan(0);
    expect(
      searches.every(
        s =>
          JSON.stringify(s.params) ===
          JSON.stringify({ exact: true, hnsw_ef: 256 })
      )
    ).toBe(true);

    // Defaults: approximate search, the collection's own ef.
    const other = makeModel();
    other.model.start();
    await other.model.refreshBackend();
    await other.model.detect();
    await scanFinished(other.model);
    const plain = other.worker.qdrant.calls
      .filter(c => c.method === 'queryBatch')
      .flatMap(
        c =>
          (
            c.body as {
              searches: { params?: { exact?: boolean; hnsw_ef?: number } }[];
            }
          ).searches
      )
      .filter(s => s.params?.exact !== true || s.params?.hnsw_ef !== undefined);
    // Only the exact check inside groups (if any) is exact; no query carries hnsw_ef.
    expect(plain.every(s => s.params?.hnsw_ef === undefined)).toBe(true);
  });

  it('emits the selected group, and clears it when a regroup dissolves it', async () => {
    const { model } = makeModel();
    model.start();
    await model.refreshBackend();
    model.setThreshold(0.99);
    await model.detect();
    await scanFinished(model);
    const picked: (string[] | null)[] = [];
    model.selectionChanged.connect((_, group) =>
      picked.push(group ? group.sampleIds : null)
    );

    const smallest = model.outcome!.groups[1];
    model.select(smallest);
    expect(model.selected).toBe(smallest);
    model.setThreshold(0.99999);
    expect(picked).toEqual([smallest.sampleIds, null]);
  });

  it('shows a scan failure and keeps the previous results', async () => {
    const { model, worker } = makeModel();
    model.start();
    await model.refreshBackend();
    model.setThreshold(0.99);
    await model.detect();
    await scanFinished(model);
    const before = model.outcome;

    worker.qdrant.faults.getCollection = [
      Object.assign(new Error('HTTP 401'), { status: 401, headers: new Map() })
    ];
    await model.detect();
    await scanFinished(model);
    expect(model.scanError?.kind).toBe('auth');
    expect(model.outcome).toBe(before);
  });

  it('refuses a scan of a collection another tab is scanning, and frees its own when done', async () => {
    const { model, worker, api } = makeModel();
    model.start();
    await model.refreshBackend();
    api.busy.add('images');
    await model.detect();
    expect(model.running).toBeNull();
    expect(model.scanError).toEqual(
      expect.objectContaining({ kind: 'busy', status: 409 })
    );
    expect(worker.posted.filter(m => m.type === 'start')).toHaveLength(0);

    api.busy.clear();
    await model.detect();
    await scanFinished(model);
    expect(model.scanError).toBeNull();
    const start = worker.posted.find(m => m.type === 'start') as IStartMessage;
    const scanId = start.scanId;
    expect(api.leases).toEqual([`claim ${scanId}`, `release ${scanId}`]);
    // One id per scan: the claim's is the one the kernel gets as scan_id.
    expect(model.outcome!.scanId).toBe(scanId);
    // The worker keeps the claim alive, not the page (whose timers a hidden tab slows).
    expect(start.lease).toEqual(
      expect.objectContaining({ collection: 'images', renewMs: 10_000 })
    );
  });

  it('hands a finished scan to the saver at once, with nothing else touched (fake API and Qdrant client)', async () => {
    const { model } = makeModel();
    const saved: unknown[] = [];
    // What the plugin does with IStateDB: save whenever the results on show change.
    model.outcomeChanged.connect(() => saved.push(model.saveOutcome()));
    model.start();
    await model.refreshBackend();
    await model.detect();
    await scanFinished(model);
    expect(saved).toHaveLength(1);

    const reloaded = makeModel().model;
    expect(reloaded.restoreOutcome(JSON.parse(JSON.stringify(saved[0])))).toBe(
      true
    );
    const shown = (m: NearDuplicatesModel) =>
      m.outcome!.groups.map(g => [...g.sampleIds].sort().join(' '));
    expect(shown(reloaded)).toEqual(shown(model));
    expect(reloaded.outcome!.threshold).toBe(model.outcome!.threshold);
    expect(reloaded.outcome!.scanId).toBe(model.outcome!.scanId);
    expect(
      reloaded.collection?.name ?? reloaded.outcome!.result.collection
    ).toBe('images');
  });

  it('asks for a maximum distance on a Euclid collection', async () => {
    const { model } = makeModel();
    await model.refreshBackend();
    model.selectCollection('places');
    expect(model.distance).toBe('Euclid');
    expect(model.thresholdIsSimilarity).toBe(false);
    expect(model.threshold).toBe(0.32);
    model.setThreshold(0.5);
    expect(model.threshold).toBe(0.5);
    model.selectCollection('images');
    expect(model.threshold).toBe(DEFAULT_SETTINGS.defaultThreshold);
  });
});

describe('Detect and Cancel as JupyterLab commands (fake worker and API, real CommandRegistry)', () => {
  function withCommands() {
    const made = makeModel();
    const commands = new CommandRegistry();
    addScanCommands(
      commands,
      made.model,
      nullTranslator.load(TRANSLATION_DOMAIN)
    );
    const changed: string[] = [];
    commands.commandChanged.connect((_, args) => changed.push(args.id ?? ''));
    return { ...made, commands, changed };
  }

  it('is labelled, and enabled only when a scan can start', async () => {
    const { model, commands, changed } = withCommands();
    expect(commands.label(CommandIDs.detect)).toBe('Detect Duplicates');
    expect(commands.label(CommandIDs.cancel)).toBe('Cancel the Scan');
    expect(commands.isEnabled(CommandIDs.detect)).toBe(false);
    model.start();
    await model.refreshBackend();
    expect(commands.isEnabled(CommandIDs.detect)).toBe(true);
    expect(commands.isEnabled(CommandIDs.cancel)).toBe(false);
    // Menus and the palette are told that Detect turned on.
    expect(changed).toContain(CommandIDs.detect);
  });

  it('runs a scan, and while it runs offers Cancel instead of Detect', async () => {
    const { model, worker, commands } = withCommands();
    model.start();
    await model.refreshBackend();
    const done = commands.execute(CommandIDs.detect);
    expect(commands.isEnabled(CommandIDs.detect)).toBe(false);
    expect(commands.isEnabled(CommandIDs.cancel)).toBe(true);
    await done;
    await scanFinished(model);
    expect(worker.posted.filter(m => m.type === 'start')).toHaveLength(1);
    expect(model.outcome?.groups.length).toBeGreaterThan(0);
    expect(commands.isEnabled(CommandIDs.detect)).toBe(true);
    expect(commands.isEnabled(CommandIDs.cancel)).toBe(false);
  });

  it('passes the cure of an incomplete scan on to the scan request', async () => {
    const { model, worker, commands } = withCommands();
    model.start();
    await model.refreshBackend();
    await commands.execute(CommandIDs.detect, { cure: 'always' });
    await scanFinished(model);
    const start = worker.posted.find(m => m.type === 'start') as IStartMessage;
    expect(start.request.cure).toBe('always');
  });

  it('cancels a scan still waiting for its claim: no scan starts, the panel says cancelled', async () => {
    const { model, worker, api, commands } = withCommands();
    model.start();
    await model.refreshBackend();
    const done = commands.execute(CommandIDs.detect);
    await commands.execute(CommandIDs.cancel);
    await done;
    expect(worker.posted.filter(m => m.type === 'start')).toEqual([]);
    expect(model.running).toBeNull();
    expect(model.scanError?.kind).toBe('cancelled');
    expect(api.leases.filter(l => l.startsWith('release'))).not.toEqual([]);
    expect(commands.isEnabled(CommandIDs.detect)).toBe(true);
  });
});

describe('Labelled pairs in the model (a fake label store in memory, as IStateDB)', () => {
  class MemoryStore {
    kept = new Map<string, string>();
    async load(collection: string): Promise<unknown> {
      const text = this.kept.get(collection);
      return text === undefined ? undefined : JSON.parse(text);
    }
    async save(collection: string, saved: unknown): Promise<void> {
      this.kept.set(collection, JSON.stringify(saved));
    }
  }

  function restored(collection: string, store: MemoryStore) {
    const { model } = makeModel();
    model.setLabelStore(store);
    const result = scanResult(PAIRS);
    result.collection = collection;
    expect(model.restoreOutcome(saveScan(result, 0.9, 1, 'scan-1'))).toBe(true);
    return model;
  }

  it('labels a pair, takes a label back, and keeps them per collection across a reload', async () => {
    const store = new MemoryStore();
    const model = restored('images', store);
    await waitFor(() => model.labelsCollection === 'images');
    const changes: number[] = [];
    model.labelsChanged.connect(() => changes.push(model.labels.size));
    const score = (k: number) => model.outcome!.result.pairs.score[k];
    model.setLabel(0, 1, score(0), 'duplicate');
    model.setLabel(2, 3, score(2), 'not');
    model.setLabel(1, 2, score(1), 'not');
    model.setLabel(2, 1, score(1), null);
    expect(changes).toEqual([1, 2, 3, 2]);
    expect(model.labelOf(1, 0)).toBe('duplicate');
    expect(model.labelOf(3, 2)).toBe('not');
    expect(model.labelOf(1, 2)).toBeNull();
    await waitFor(() => store.kept.has('images'));

    // A reload: another model, the same store.
    const again = restored('images', store);
    await waitFor(() => again.labelsCollection === 'images');
    expect(
      [...again.labels.values()].map(l => [l.sampleIds.join(' '), l.label])
    ).toEqual([
      ['s0 s1', 'duplicate'],
      ['s2 s3', 'not']
    ]);

    // Another collection has none of them; coming back to this one finds them again.
    const other = restored('texts', store);
    await waitFor(() => other.labelsCollection === 'texts');
    expect(other.labels.size).toBe(0);
  });

  it('keeps the labels through a new scan of the collection (fake API and Qdrant client)', async () => {
    const { model } = makeModel();
    model.setLabelStore(new MemoryStore());
    model.start();
    await model.refreshBackend();
    await model.detect();
    await scanFinished(model);
    await waitFor(() => model.labelsCollection === 'images');
    const { pairs } = model.outcome!.result;
    model.setLabel(pairs.a[0], pairs.b[0], pairs.score[0], 'not');
    await model.detect();
    await scanFinished(model);
    expect(model.labelsCollection).toBe('images');
    expect(model.labelOf(pairs.a[0], pairs.b[0])).toBe('not');
  });

  it('labels nothing while the collection’s labels load', async () => {
    const store = new MemoryStore();
    let release: () => void = () => undefined;
    const slow = {
      load: (c: string) =>
        new Promise<unknown>(
          resolve => (release = () => resolve(store.load(c)))
        ),
      save: (c: string, s: unknown) => store.save(c, s)
    };
    const { model } = makeModel();
    model.setLabelStore(slow);
    expect(
      model.restoreOutcome(saveScan(scanResult(PAIRS), 0.9, 1, 'scan-1'))
    ).toBe(true);
    expect(model.labelsCollection).toBeNull();
    model.setLabel(0, 1, 0.99, 'duplicate');
    expect(model.labels.size).toBe(0);
    release();
    await waitFor(() => model.labelsCollection === 'images');
    model.setLabel(0, 1, 0.99, 'duplicate');
    expect(model.labels.size).toBe(1);
  });
});
