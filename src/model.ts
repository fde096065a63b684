// The panel's state: the backend and its collections, the scan running in the worker,
// its result and the groups at the current threshold, and the selected group.
// No React here; components re-render from `stateChanged`.
import { ISignal, Signal } from '@lumino/signaling';
import { ApiError, IBackendInfo, ICollectionInfo, INearDuplicatesApi } from './api';
import { adoptLayout, higherIsBetter, isStricter, regroup } from './scan/groups';
import { ISavedScan, restoreScan, saveScan } from './persistence';
import { isWorkerMessage, PanelToWorker, WorkerToPanel } from './scan/protocol';
import type {
  DistanceKind,
  DuplicateGroup,
  ScanErrorInfo,
  ScanProgress,
  ScanRequest,
  ScanResult
} from './scan/types';
import { DEFAULT_SETTINGS, INearDuplicatesSettings } from './tokens';

/** What the panel knows about its scan worker. */
export type WorkerStatus =
  | { state: 'starting' }
  | { state: 'ready'; protocol: number; qdrantClient: boolean }
  | { state: 'failed'; message: string };

/** The subset of `Worker` the model uses, so tests can hand it a fake. */
export interface IScanWorker {
  postMessage(message: PanelToWorker): void;
  terminate(): void;
  onmessage: ((event: MessageEvent) => void) | null;
  onerror: ((event: ErrorEvent) => void) | null;
}

/** A scan that is running now. */
export interface IRunningScan {
  scanId: string;
  collection: string;
  using: string | null;
  threshold: number;
  progress: ScanProgress | null;
}

/** A finished scan, with the groups shown at the current threshold. */
export interface IScanOutcome {
  result: ScanResult;
  /** When the scan finished (ms since the epoch). */
  finishedAt: number;
  /** The threshold the groups below were computed at (the scan's, or a stricter one). */
  threshold: number;
  groups: DuplicateGroup[];
}

export interface INearDuplicatesModelOptions {
  createWorker: () => IScanWorker;
  api: INearDuplicatesApi;
}

export class NearDuplicatesModel {
  constructor(options: INearDuplicatesModelOptions) {
    this._createWorker = options.createWorker;
    this._api = options.api;
  }

  get stateChanged(): ISignal<this, void> {
    return this._stateChanged;
  }

  /** Emits the group a user picked (or null when the selection is cleared). */
  get selectionChanged(): ISignal<this, DuplicateGroup | null> {
    return this._selectionChanged;
  }

  /** Emits when the results on show change: a new scan, a regroup, a restore. */
  get outcomeChanged(): ISignal<this, void> {
    return this._outcomeChanged;
  }

  get workerStatus(): WorkerStatus {
    return this._workerStatus;
  }

  get settings(): INearDuplicatesSettings {
    return this._settings;
  }

  set settings(value: INearDuplicatesSettings) {
    const first = !this._settingsLoaded;
    const backendChanged = value.backend !== this._settings.backend;
    this._settings = value;
    this._settingsLoaded = true;
    if (first && !this._thresholdTouched) {
      this._similarity = value.defaultThreshold;
    }
    this._stateChanged.emit();
    if (backendChanged) {
      void this.refreshBackend();
    }
  }

  // Backend and collections.

  get backend(): IBackendInfo | null {
    return this._backend;
  }

  get backendError(): ScanErrorInfo | null {
    return this._backendError;
  }

  get backendLoading(): boolean {
    return this._backendLoading;
  }

  /** The collections a scan can read (those whose info the server could read). */
  get readableCollections(): ICollectionInfo[] {
    return (this._backend?.collections ?? []).filter(c => !c.error);
  }

  get collection(): ICollectionInfo | null {
    return this._backend?.collections.find(c => c.name === this._collection) ?? null;
  }

  /** Dense, single-vector names of the chosen collection ('' for an unnamed vector). */
  get vectorNames(): string[] {
    const collection = this.collection;
    if (!collection) {
      return [];
    }
    return Object.entries(collection.vectors ?? {})
      .filter(([, v]) => !v.multivector)
      .map(([name]) => name);
  }

  get vectorName(): string | null {
    const names = this.vectorNames;
    if (this._vectorName !== null && names.includes(this._vectorName)) {
      return this._vectorName;
    }
    return names.length === 1 ? names[0] : null;
  }

  get distance(): DistanceKind | null {
    const name = this.vectorName;
    return name === null ? null : (this.collection?.vectors?.[name]?.distance ?? null);
  }

  /** Asks the server for the backend the settings choose; a later call wins over an earlier one. */
  async refreshBackend(): Promise<void> {
    const request = ++this._backendRequest;
    const kind = this._settings.backend;
    this._backendLoading = true;
    this._stateChanged.emit();
    try {
      const backend = await this._api.getBackend(kind);
      if (request !== this._backendRequest) {
        return;
      }
      this._backend = backend;
      this._backendFor = kind;
      this._backendError = null;
      const names = this.readableCollections.map(c => c.name);
      if (this._collection === null || !names.includes(this._collection)) {
        this._collection = names.length > 0 ? names[0] : null;
      }
    } catch (error) {
      if (request !== this._backendRequest) {
        return;
      }
      this._backendError = backendErrorInfo(error);
      if (this._backendFor !== kind || this._backendError.kind === 'backend-choice') {
        // What is listed is not the backend the settings now ask for.
        this._backend = null;
      }
    } finally {
      if (request === this._backendRequest) {
        this._backendLoading = false;
        this._stateChanged.emit();
      }
    }
  }

  selectCollection(name: string): void {
    if (name === this._collection) {
      return;
    }
    this._collection = name;
    this._vectorName = null;
    this._scanError = null;
    this._stateChanged.emit();
  }

  selectVector(name: string): void {
    this._vectorName = name;
    this._stateChanged.emit();
  }

  // Threshold and regrouping.

  /** In the collection's units: a similarity (Cosine, Dot) or a maximum distance. */
  get threshold(): number {
    if (this.thresholdIsSimilarity) {
      return this._similarity;
    }
    return this._distance ?? defaultDistance(this._similarity);
  }

  /**
   * A stricter threshold than the last scan's regroups from its kept pairs at once; a
   * looser one is remembered, and `needsRescan` says that Detect must run again.
   */
  setThreshold(value: number): void {
    if (!Number.isFinite(value) || value === this.threshold) {
      return;
    }
    if (this.thresholdIsSimilarity) {
      this._similarity = value;
    } else {
      this._distance = value;
    }
    this._thresholdTouched = true;
    const outcome = this._outcome;
    if (outcome && this.canRegroup(value)) {
      outcome.groups = regroup(outcome.result, value);
      outcome.threshold = value;
      this._outcomeChanged.emit();
      if (this._selected && !outcome.groups.some(g => g.key === this._selected?.key)) {
        this.select(null);
      }
    }
    this._stateChanged.emit();
  }

  /** Whether the current results can show `value` without a new scan. */
  canRegroup(value: number): boolean {
    const outcome = this._outcome;
    if (!outcome || !this.resultMatchesChoice) {
      return false;
    }
    const { threshold, distance } = outcome.result;
    return value === threshold || isStricter(value, threshold, distance);
  }

  /** The results on show are for another threshold than the current looser one. */
  get needsRescan(): boolean {
    return this._outcome !== null && this.resultMatchesChoice && !this.canRegroup(this.threshold);
  }

  /** Is the distance a similarity (higher is closer)? True before a collection is known. */
  get thresholdIsSimilarity(): boolean {
    const distance = this._outcome?.result.distance ?? this.distance;
    return distance === null ? true : higherIsBetter(distance);
  }

  // Scanning.

  get running(): IRunningScan | null {
    return this._running;
  }

  get outcome(): IScanOutcome | null {
    return this._outcome;
  }

  get scanError(): ScanErrorInfo | null {
    return this._scanError;
  }

  /**
   * Start a scan of the chosen collection at the current threshold. The server first
   * grants the collection to this scan, so two panels or tabs never scan it at once.
   */
  async detect(cure: Pick<ScanRequest, 'cure' | 'exact'> = {}): Promise<void> {
    const collection = this.collection;
    if (!collection || collection.error || this._running || !this._worker) {
      return;
    }
    const settings = this._settings;
    const scanId = `scan-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    const using = this.vectorName;
    const running: IRunningScan = {
      scanId,
      collection: collection.name,
      using,
      threshold: this.threshold,
      progress: null
    };
    this._running = running;
    this._scanError = null;
    this._stateChanged.emit();
    try {
      await this._api.claimScan(collection.name, scanId);
    } catch (error) {
      this._running = null;
      this._scanError = leaseErrorInfo(error);
      this._stateChanged.emit();
      return;
    }
    if (this._running !== running || !this._worker) {
      void this._api.releaseScan(scanId).catch(() => undefined);
      return;
    }
    // The worker renews the claim: a hidden tab's page timers can be too slow for it.
    this._worker.postMessage({
      type: 'start',
      scanId,
      connection: this._api.scanConnection(settings.backend),
      request: {
        collection: collection.name,
        using: using || undefined,
        threshold: running.threshold,
        limit: settings.neighboursPerQuery,
        batchSize: settings.batchSize,
        inFlight: settings.requestsInFlight,
        exact: settings.exactSearch,
        hnswEf: settings.hnswEf > 0 ? settings.hnswEf : undefined,
        sampleIdField: settings.sampleIdField,
        thumbnailField: settings.thumbnailField || null,
        splitField: settings.splitField || null,
        ...cure
      },
      lease: this._api.scanLease(collection.name)
    });
  }

  cancel(): void {
    if (this._running && this._worker) {
      this._worker.postMessage({ type: 'cancel', scanId: this._running.scanId });
    }
  }

  // Keeping results across panel close and page reload.

  /** The results on show in a JSON-safe form, or null (none, or too large to keep). */
  saveOutcome(): ISavedScan | null {
    const outcome = this._outcome;
    return outcome ? saveScan(outcome.result, outcome.threshold, outcome.finishedAt) : null;
  }

  /** Shows a kept scan again, with its collection, vector and threshold. */
  restoreOutcome(saved: unknown): boolean {
    const restored = restoreScan(saved);
    if (!restored || this._outcome || this._running) {
      return false;
    }
    const { result, shownThreshold, finishedAt } = restored;
    this._collection = result.collection;
    this._vectorName = result.using;
    if (higherIsBetter(result.distance)) {
      this._similarity = shownThreshold;
    } else {
      this._distance = shownThreshold;
    }
    this._thresholdTouched = true;
    this._outcome = {
      result,
      finishedAt,
      threshold: shownThreshold,
      groups:
        shownThreshold === result.threshold ? result.groups : regroup(result, shownThreshold)
    };
    this._outcomeChanged.emit();
    this._stateChanged.emit();
    return true;
  }

  // Selection.

  get selected(): DuplicateGroup | null {
    return this._selected;
  }

  select(group: DuplicateGroup | null): void {
    if (group === this._selected) {
      return;
    }
    this._selected = group;
    this._selectionChanged.emit(group);
    this._stateChanged.emit();
  }

  // Worker lifecycle.

  /** Start the worker (once) and ask it to introduce itself. */
  start(): void {
    if (this._worker) {
      return;
    }
    try {
      this._worker = this._createWorker();
    } catch (error) {
      this.setWorkerStatus({
        state: 'failed',
        message: `The scan worker could not start: ${String(error)}`
      });
      return;
    }
    this._worker.onmessage = event => this.onWorkerMessage(event.data);
    this._worker.onerror = event => {
      this.setWorkerStatus({
        state: 'failed',
        message: `The scan worker failed: ${event.message || 'unknown error'}`
      });
    };
    this._worker.postMessage({ type: 'hello' });
  }

  dispose(): void {
    this.endScan();
    this._worker?.terminate();
    this._worker = null;
    Signal.clearData(this);
  }

  private get resultMatchesChoice(): boolean {
    const result = this._outcome?.result;
    return (
      !!result &&
      result.collection === this._collection &&
      (result.using ?? '') === (this.vectorName ?? '')
    );
  }

  private onWorkerMessage(data: unknown): void {
    if (!isWorkerMessage(data)) {
      return;
    }
    const message: WorkerToPanel = data;
    switch (message.type) {
      case 'ready':
        this.setWorkerStatus({
          state: 'ready',
          protocol: message.protocol,
          qdrantClient: message.qdrantClient
        });
        break;
      case 'error':
        this.setWorkerStatus({ state: 'failed', message: message.message });
        break;
      case 'progress':
        if (this._running?.scanId === message.scanId) {
          this._running.progress = message.progress;
          this._stateChanged.emit();
        }
        break;
      case 'result':
        if (this._running?.scanId === message.scanId) {
          this.endScan();
          this.select(null);
          const result = message.result;
          if (message.layout) {
            // The worker's layout of the pairs: the first regroup here need not redo it.
            adoptLayout(result, message.layout);
          }
          this._outcome = {
            result,
            finishedAt: Date.now(),
            threshold: result.threshold,
            groups: result.groups
          };
          // The user may have moved the threshold stricter while the scan ran.
          if (this.threshold !== result.threshold && this.canRegroup(this.threshold)) {
            this._outcome.groups = regroup(result, this.threshold);
            this._outcome.threshold = this.threshold;
          }
          this._outcomeChanged.emit();
          this._stateChanged.emit();
        }
        break;
      case 'failed':
        if (this._running?.scanId === message.scanId) {
          this.endScan();
          this._scanError = message.error;
          this._stateChanged.emit();
        }
        break;
    }
  }

  /** The running scan is over: hand its collection back to other panels and tabs. */
  private endScan(): void {
    const scanId = this._running?.scanId;
    this._running = null;
    if (scanId) {
      void this._api.releaseScan(scanId).catch(() => undefined);
    }
  }

  private setWorkerStatus(status: WorkerStatus): void {
    this._workerStatus = status;
    this._stateChanged.emit();
  }

  private readonly _createWorker: () => IScanWorker;
  private readonly _api: INearDuplicatesApi;
  private _worker: IScanWorker | null = null;
  private _workerStatus: WorkerStatus = { state: 'starting' };
  private _settings: INearDuplicatesSettings = { ...DEFAULT_SETTINGS };
  private _settingsLoaded = false;
  private _backend: IBackendInfo | null = null;
  private _backendError: ScanErrorInfo | null = null;
  private _backendLoading = false;
  private _backendRequest = 0;
  /** The Backend setting the listed backend was fetched for. */
  private _backendFor: string | null = null;
  private _collection: string | null = null;
  private _vectorName: string | null = null;
  private _similarity = DEFAULT_SETTINGS.defaultThreshold;
  private _distance: number | null = null;
  private _thresholdTouched = false;
  private _running: IRunningScan | null = null;
  private _outcome: IScanOutcome | null = null;
  private _scanError: ScanErrorInfo | null = null;
  private _selected: DuplicateGroup | null = null;
  private _stateChanged = new Signal<this, void>(this);
  private _outcomeChanged = new Signal<this, void>(this);
  private _selectionChanged = new Signal<this, DuplicateGroup | null>(this);
}

function leaseErrorInfo(error: unknown): ScanErrorInfo {
  if (error instanceof ApiError && error.status === 409) {
    return { kind: 'busy', status: 409, message: error.message };
  }
  return backendErrorInfo(error);
}

/** The backend route's failures, in the scan's error vocabulary the panel already explains. */
export function backendErrorInfo(error: unknown): ScanErrorInfo {
  if (!(error instanceof ApiError)) {
    return { kind: 'server-error', message: String(error) };
  }
  const { status, message } = error;
  if (status === 0 || status === 502 || status === 504) {
    return { kind: 'unreachable', message, status: status || undefined };
  }
  if (status === 401 || status === 403) {
    return { kind: 'auth', message, status };
  }
  if (status === 404) {
    return { kind: 'not-found', message, status };
  }
  if (status === 409) {
    // The backend route's 409: the Backend setting asks for a kind the server cannot offer.
    return { kind: 'backend-choice', message, status };
  }
  return { kind: 'server-error', message, status };
}

/**
 * A starting maximum distance for Euclid/Manhattan collections: the Euclidean distance
 * between unit vectors with the given cosine similarity (0.95 -> 0.32).
 */
export function defaultDistance(similarity: number): number {
  return Math.round(Math.sqrt(Math.max(0, 2 - 2 * similarity)) * 100) / 100;
}
