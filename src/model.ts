// The panel's state: the backend and its collections, the scan running in the worker,
// its result and the groups at the current threshold, and the selected group.
// No React here; components re-render from `stateChanged`.
import { ISignal, Signal } from '@lumino/signaling';
import type { IBackendInfo, ICollectionInfo, INearDuplicatesApi } from './api';
import { BackendModel } from './backendModel';
import { UNNAMED_VECTOR } from './scan/collection';
import { httpErrorInfo, IScanErrorInfo } from './scan/errors';
import { GroupShaping } from './grouping';
import type { Linkage } from './scan/linkage';
import { adoptLayout } from './scan/groups';
import {
  adoptCalibration,
  calibrationOf,
  ICalibration,
  knownCalibration
} from './scan/calibration';
import { adoptExtras } from './scan/resultExtras';
import { ResultAssembler } from './scan/resultParts';
import { defaultDistance, higherIsBetter, isStricter } from './scan/metric';
import { REVIEW_FIELD } from './scan/review';
import {
  INearDuplicatesModelOptions,
  IRunningScan,
  IScanOutcome,
  WORKER_REGROUP_PAIRS
} from './modelTypes';
import {
  IPairLabel,
  labelPair,
  NO_LABELS,
  pairKey,
  PairLabels,
  PairVerdict,
  restoreLabels,
  saveLabels,
  withLabel
} from './labels';
import { ISavedScan, restoreScan, saveScan } from './persistence';
import { PlanModel } from './planModel';
import type { ICheckpointInfo } from './scan/checkpoint';
import type {
  DistanceKind,
  IDuplicateGroup,
  IScanRequest,
  IScanResult
} from './scan/types';
import { DEFAULT_SETTINGS, INearDuplicatesSettings } from './tokens';
import {
  ScanMessage,
  ScanWorkerHost,
  WorkerStatus,
  workerCanScan
} from './workerHost';
import { JobError, WorkerJobs } from './workerJobs';

/** Where a collection's labels are kept (IStateDB in the app; a fake in tests). */
export interface ILabelStore {
  load(collection: string): Promise<unknown>;
  save(collection: string, saved: unknown): Promise<unknown>;
}

export type {
  INearDuplicatesModelOptions,
  IRunningScan,
  IScanOutcome
} from './modelTypes';

export class NearDuplicatesModel {
  constructor(options: INearDuplicatesModelOptions) {
    this._api = options.api;
    this._workerRegroupPairs =
      options.workerRegroupPairs ?? WORKER_REGROUP_PAIRS;
    this._worker = new ScanWorkerHost(
      options.createWorker,
      message => this.onScanMessage(message),
      () => {
        const status = this._worker.status;
        if (status.state === 'failed') {
          // Jobs waiting on it are done here instead (see formGroups and PlanModel).
          this._jobs.fail(status.message);
        }
        this._stateChanged.emit();
      }
    );
    this._jobs = new WorkerJobs(this._worker);
    this._backend = new BackendModel(options.api);
    this._backend.changed.connect(() => this._stateChanged.emit());
    this._stateChanged.connect(() => this.followCheckpoint());
    const api = options.api;
    this._plan = new PlanModel(
      api.readPayload
        ? (collection, ids, fields) =>
            api.readPayload!(this._settings.backend, collection, ids, fields)
        : null,
      (result, groups) =>
        this._jobs.available ? this._jobs.central(result, groups) : null
    );
    this._plan.changed.connect(() => this._stateChanged.emit());
  }

  /** The keep-one plan of the scan on show: rules, pins, "not duplicates" marks. */
  get plan(): PlanModel {
    return this._plan;
  }

  get stateChanged(): ISignal<this, void> {
    return this._stateChanged;
  }

  /** Emits the group a user picked (or null when the selection is cleared). */
  get selectionChanged(): ISignal<this, IDuplicateGroup | null> {
    return this._selectionChanged;
  }

  /** Emits when the user labels a pair, or takes a label back (not when labels are loaded). */
  get labelsChanged(): ISignal<this, void> {
    return this._labelsChanged;
  }

  /** Emits when the results on show change: a new scan, a regroup, a restore. */
  get outcomeChanged(): ISignal<this, void> {
    return this._outcomeChanged;
  }

  get workerStatus(): WorkerStatus {
    return this._worker.status;
  }

  get settings(): INearDuplicatesSettings {
    return this._settings;
  }

  set settings(value: INearDuplicatesSettings) {
    const first = !this._settingsLoaded;
    const backendChanged = value.backend !== this._settings.backend;
    const linkageChanged = value.linkage !== this._settings.linkage;
    this._settings = value;
    this._shaping.linkage = value.linkage;
    if (linkageChanged) {
      this.reshape();
    }
    this._settingsLoaded = true;
    if (first && !this._thresholdTouched) {
      this._similarity = value.defaultThreshold;
    }
    this._stateChanged.emit();
    if (backendChanged) {
      void this.refreshBackend();
    }
  }

  // Backend and collections (BackendModel).

  get backend(): IBackendInfo | null {
    return this._backend.info;
  }

  get backendError(): IScanErrorInfo | null {
    return this._backend.error;
  }

  get backendLoading(): boolean {
    return this._backend.loading;
  }

  /** The collections a scan can read (those whose info the server could read). */
  get readableCollections(): ICollectionInfo[] {
    return this._backend.readableCollections;
  }

  get collection(): ICollectionInfo | null {
    return this._backend.collection;
  }

  /** The vector a scan compares by ('' for the unnamed one), or null while none can be told. */
  get vectorName(): string | null {
    return this._backend.vectorName;
  }

  get distance(): DistanceKind | null {
    return this._backend.distance;
  }

  /** Asks the server for the backend the settings choose; a later call wins over an earlier one. */
  refreshBackend(): Promise<void> {
    return this._backend.refresh(this._settings.backend);
  }

  selectCollection(name: string): void {
    if (this._backend.selectCollection(name)) {
      this._scanError = null;
      this._stateChanged.emit();
    }
  }

  selectVector(name: string): void {
    this._backend.selectVector(name);
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
      outcome.threshold = value;
      this.reshape();
    }
    this._stateChanged.emit();
  }

  // Chaining: the linkage setting, Split, diameters and the group detail view.

  /** How the groups on show were shaped: linkage and splits (grouping.ts). */
  get shaping(): GroupShaping {
    return this._shaping;
  }

  /** Replaces `group` by the parts a cut at its weakest links leaves; no request. */
  split(group: IDuplicateGroup): void {
    const outcome = this._outcome;
    if (!outcome || !outcome.groups.includes(group)) {
      return;
    }
    this._shaping.split(outcome.result, group);
    this._detailKey = null;
    this.reshape();
    this._stateChanged.emit();
  }

  /** The group the detail view shows (it follows regroups while its smallest member leads one). */
  get detail(): IDuplicateGroup | null {
    const key = this._detailKey;
    return key === null
      ? null
      : (this._outcome?.groups.find(g => g.key === key) ?? null);
  }

  openDetail(group: IDuplicateGroup | null): void {
    this._detailKey = group?.key ?? null;
    this._stateChanged.emit();
  }

  /** Forms the groups on show again at their threshold (after a threshold, linkage or split change). */
  private reshape(): void {
    const outcome = this._outcome;
    if (outcome && this.formGroups(outcome)) {
      this.regrouped(outcome);
    }
  }

  /**
   * Forms `outcome`'s groups at its threshold: true when they are formed now. Complete linkage
   * is formed by the scan worker (seconds on the page's thread at a million points, issue 16):
   * false then, the groups on show stay until the worker's arrive (`forming` says so meanwhile),
   * and only the newest request is shown. With no worker running, formed here.
   */
  private formGroups(outcome: IScanOutcome): boolean {
    const ticket = ++this._formTicket;
    this._groupingError = null;
    const { linkage, splits } = this._shaping;
    const large = outcome.result.pairs.score.length >= this._workerRegroupPairs;
    if (
      this._shaping.asScanned(outcome.result, outcome.threshold) ||
      (linkage !== 'complete' && !large) ||
      !this._jobs.available
    ) {
      this._forming = null;
      outcome.groups = this._shaping.groupsAt(
        outcome.result,
        outcome.threshold
      );
      return true;
    }
    const threshold = outcome.threshold;
    this._forming = { linkage, threshold };
    const current = () =>
      ticket === this._formTicket && this._outcome === outcome;
    this._jobs.shape(outcome.result, threshold, linkage, splits).then(
      groups => {
        if (current()) {
          this._forming = null;
          outcome.groups = groups;
          this.regrouped(outcome);
          this._stateChanged.emit();
        }
      },
      (error: unknown) => {
        if (!current()) {
          return;
        }
        this._forming = null;
        if (error instanceof JobError && error.workerGone) {
          // The worker is gone (its status says so): formed here, nothing is lost.
          outcome.groups = this._shaping.groupsAt(
            outcome.result,
            outcome.threshold
          );
          this.regrouped(outcome);
        } else {
          this._groupingError =
            error instanceof Error ? error.message : String(error);
        }
        this._stateChanged.emit();
      }
    );
    return false;
  }

  /** The groups on show changed: say so, and follow the selection into them. */
  private regrouped(outcome: IScanOutcome): void {
    this._outcomeChanged.emit();
    if (this._selected && !outcome.groups.includes(this._selected)) {
      this.select(
        outcome.groups.find(g => g.key === this._selected?.key) ?? null
      );
    }
  }

  /**
   * The groups the worker is forming for the results on show (complete linkage), or null. The
   * groups on show are the last ones formed meanwhile.
   */
  get forming(): { linkage: Linkage; threshold: number } | null {
    return this._forming;
  }

  /** Why the worker could not form the groups last asked for (its words), or null. */
  get groupingError(): string | null {
    return this._groupingError;
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

  /** The threshold of the scan on show when it read the chosen collection and vector, else null. */
  get lastScanThreshold(): number | null {
    return this.resultMatchesChoice ? this._outcome!.result.threshold : null;
  }

  /** The results on show are for another threshold than the current looser one. */
  get needsRescan(): boolean {
    return (
      this._outcome !== null &&
      this.resultMatchesChoice &&
      !this.canRegroup(this.threshold)
    );
  }

  /** Is the distance a similarity (higher is closer)? True before a collection is known. */
  get thresholdIsSimilarity(): boolean {
    const distance = this._outcome?.result.distance ?? this.distance;
    return higherIsBetter(distance);
  }

  // Scanning.

  get running(): IRunningScan | null {
    return this._running;
  }

  get outcome(): IScanOutcome | null {
    return this._outcome;
  }

  get scanError(): IScanErrorInfo | null {
    return this._scanError;
  }

  /** Whether Detect can start now: a readable collection, a worker that can scan, no scan running. */
  get canDetect(): boolean {
    const collection = this.collection;
    return (
      !!collection &&
      !collection.error &&
      this._running === null &&
      workerCanScan(this._worker.status)
    );
  }

  /**
   * Start a scan of the chosen collection at the current threshold. The server first
   * grants the collection to this scan, so two panels or tabs never scan it at once.
   */
  async detect(
    cure: Pick<IScanRequest, 'cure' | 'exact'> = {},
    mode: 'fresh' | 'resume' | 'changes' = 'fresh'
  ): Promise<void> {
    const collection = this.collection;
    if (!collection || !this.canDetect) {
      return;
    }
    const checkpoint =
      mode === 'resume'
        ? this.checkpoint
        : mode === 'changes'
          ? this.lastScanKept
          : null;
    if (mode !== 'fresh') {
      if (!checkpoint) {
        return;
      }
      // The kept scan's vector and threshold: the panel named them on the button.
      this._backend.selectVector(checkpoint.using);
      if (higherIsBetter(checkpoint.distance)) {
        this._similarity = checkpoint.threshold;
      } else {
        this._distance = checkpoint.threshold;
      }
      this._thresholdTouched = true;
      cure = { ...cure, exact: checkpoint.exact };
    }
    const settings = this._settings;
    const scanId = newScanId();
    const using = this.vectorName;
    this._countAtDetect.set(
      this.checkpointKey(collection.name),
      collection.points_count
    );
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
      if (this._running !== running) {
        return; // cancelled while the claim was on its way
      }
      this._running = null;
      this._scanError = httpErrorInfo(error, 'busy');
      this._stateChanged.emit();
      return;
    }
    if (this._running !== running || !this._worker.started) {
      void this._api.releaseScan(scanId).catch(() => undefined);
      return;
    }
    // The worker renews the claim: a hidden tab's page timers can be too slow for it.
    this._postedScanId = scanId;
    // The worker drops the pairs it kept for jobs when a scan starts (its memory is the scan's).
    this._jobs.pairsDropped();
    this._worker.post({
      type: 'start',
      scanId,
      connection: this._api.scanConnection(settings.backend),
      request: {
        collection: collection.name,
        using: using ?? undefined,
        threshold: running.threshold,
        limit: settings.neighboursPerQuery,
        batchSize: settings.batchSize,
        inFlight: settings.requestsInFlight,
        exact: settings.exactSearch,
        hnswEf: settings.hnswEf > 0 ? settings.hnswEf : undefined,
        sampleIdField: settings.sampleIdField,
        thumbnailField: settings.thumbnailField || null,
        splitField: settings.splitField || null,
        reviewField: REVIEW_FIELD,
        ...cure
      },
      lease: this._api.scanLease(collection.name),
      checkpoint: {
        key: this.checkpointKey(collection.name),
        resume: mode === 'resume',
        changes: mode === 'changes'
      }
    });
  }

  // Resuming an interrupted scan (issue 16): the worker keeps its progress in IndexedDB.

  /** The chosen collection's interrupted scan, kept by the worker; null when there is none. */
  get checkpoint(): ICheckpointInfo | null {
    const kept = this.keptForCollection;
    return kept && kept.phase !== 'complete' ? kept : null;
  }

  /** The chosen collection's last finished scan, kept whole for Scan changes; null when none. */
  get lastScanKept(): ICheckpointInfo | null {
    const kept = this.keptForCollection;
    return kept && kept.phase === 'complete' ? kept : null;
  }

  /**
   * The last finished scan when the collection's point count says it changed since: the
   * count the server reports now differs from the scan's, and from the count the panel had
   * when that scan started (that one can be older than points a notebook added just before).
   */
  get changedSinceLastScan(): ICheckpointInfo | null {
    const kept = this.lastScanKept;
    const now = this.collection?.points_count ?? null;
    if (!kept || now === null || now === kept.points) {
      return null;
    }
    const before = this._countAtDetect.get(kept.key);
    return before === undefined || before !== now ? kept : null;
  }

  /**
   * The chosen collection's last finished scan when no scan of it is on show and its point
   * count is the scan's: a scan the workspace could not keep (more than MAX_SAVED_PAIRS
   * pairs: every scan of a million points), one made in another workspace of this browser,
   * or one whose saved copy was cleared. Showing it runs Scan changes, which on an unchanged
   * collection asks no new neighbour query. Null otherwise.
   */
  get lastScanToShow(): ICheckpointInfo | null {
    const kept = this.lastScanKept;
    const now = this.collection?.points_count ?? null;
    if (
      !kept ||
      this._running !== null ||
      this.resultMatchesChoice ||
      now !== kept.points ||
      kept.using !== this.vectorName
    ) {
      return null;
    }
    return kept;
  }

  /** Whether Scan changes can run now: Detect could, and a finished scan is kept. */
  get canScanChanges(): boolean {
    return this.canDetect && this.lastScanKept !== null;
  }

  /**
   * Scans only the points added to the chosen collection since its last finished scan, drops
   * the deleted ones, and regroups with the kept pairs (at that scan's threshold and vector).
   */
  scanChanges(): Promise<void> {
    return this.detect({}, 'changes');
  }

  private get keptForCollection(): ICheckpointInfo | null {
    const collection = this.collection;
    const kept = this._checkpoint;
    return collection &&
      kept &&
      kept.key === this.checkpointKey(collection.name)
      ? kept
      : null;
  }

  /** Whether Resume can run now: Detect could, and there is progress to take up. */
  get canResume(): boolean {
    return this.canDetect && this.checkpoint !== null;
  }

  /** Takes up the chosen collection's interrupted scan at its own threshold and vector. */
  resume(): Promise<void> {
    return this.detect({}, 'resume');
  }

  /** Drops the chosen collection's interrupted scan. */
  discardCheckpoint(): void {
    const kept = this.checkpoint;
    if (kept) {
      this._worker.post({ type: 'discard', key: kept.key });
    }
  }

  /**
   * The page is going away (reload, closed tab): the worker dies with it, so hand the
   * collection back now; its progress is in the checkpoint, and Resume after the reload is
   * not refused as busy for the claim's 30 s.
   */
  leavePage(): void {
    this.endScan();
  }

  /** One checkpoint per backend and collection. */
  private checkpointKey(collection: string): string {
    const backend = this._backend.info;
    return `${backend?.kind ?? ''}|${backend?.url ?? ''}|${collection}`;
  }

  /** Asks the worker what it keeps for the chosen collection, once per collection. */
  private followCheckpoint(): void {
    const collection = this.collection;
    if (!collection || !workerCanScan(this._worker.status)) {
      return;
    }
    const key = this.checkpointKey(collection.name);
    if (key !== this._checkpointAsked) {
      this._checkpointAsked = key;
      this._worker.post({ type: 'checkpoint-query', key });
    }
  }

  cancel(): void {
    const running = this._running;
    if (!running) {
      return;
    }
    if (this._postedScanId !== running.scanId) {
      // Still waiting for the server's claim: the worker has nothing to stop yet, and
      // detect() sees that this scan is over and releases the claim.
      this.endScan();
      this._scanError = {
        kind: 'cancelled',
        message: 'Cancelled before the scan started.'
      };
      this._stateChanged.emit();
      return;
    }
    this._worker.post({ type: 'cancel', scanId: running.scanId });
  }

  /**
   * The calibration of `result` (scan/calibration.ts). The worker computes it when first asked
   * (a million pairs took over a second on the page's thread): null until it arrives, and
   * stateChanged follows. Computed here when there is no worker to ask.
   */
  calibrationOf(result: IScanResult): ICalibration | null {
    const known = knownCalibration(result);
    if (known) {
      return known;
    }
    if (this._worker.status.state !== 'ready') {
      return calibrationOf(result);
    }
    if (this._calibrating?.result !== result) {
      const id = ++this._calibrationIds;
      this._calibrating = { id, result };
      const { pairs, distance, threshold } = result;
      this._worker.post({
        type: 'calibrate',
        id,
        input: { pairs, distance, threshold }
      });
    }
    // An in-process worker (tests) answers at once.
    return knownCalibration(result);
  }

  // Keeping results across panel close and page reload.

  /** The results on show in a JSON-safe form, or null (none, or too large to keep). */
  saveOutcome(): ISavedScan | null {
    const outcome = this._outcome;
    return outcome
      ? saveScan(
          outcome.result,
          outcome.threshold,
          outcome.finishedAt,
          outcome.scanId,
          this._shaping.splits,
          this._plan.plan
        )
      : null;
  }

  /** Shows a kept scan again, with its collection, vector and threshold. */
  restoreOutcome(saved: unknown): boolean {
    const restored = restoreScan(saved);
    if (!restored || this._outcome || this._running) {
      return false;
    }
    const { result, shownThreshold, finishedAt } = restored;
    this._backend.selectCollection(result.collection);
    this._backend.selectVector(result.using);
    if (higherIsBetter(result.distance)) {
      this._similarity = shownThreshold;
    } else {
      this._distance = shownThreshold;
    }
    this._thresholdTouched = true;
    this._shaping.reset(restored.splits);
    this._detailKey = null;
    this._outcome = {
      scanId: restored.scanId ?? newScanId(),
      result,
      finishedAt,
      threshold: shownThreshold,
      groups: result.groups
    };
    // Until the worker's groups arrive (complete linkage), the scan's own are on show.
    this.formGroups(this._outcome);
    this._plan.attach(this._outcome, restored.plan);
    this.followLabels();
    this._outcomeChanged.emit();
    this._stateChanged.emit();
    return true;
  }

  // Labelled pairs: the user's word on pairs of the collection on show, kept per collection.

  /** Keeps labels in `store` from now on, and loads the labels of the collection on show. */
  setLabelStore(store: ILabelStore | null): void {
    this._labelStore = store;
    this._labelsFor = null;
    this.followLabels();
  }

  /** The labels of the collection on show (none while they load). */
  get labels(): PairLabels {
    return this._labels;
  }

  /** The collection the labels are of, once loaded; null while none are (labelling waits). */
  get labelsCollection(): string | null {
    return this._labelsReady ? this._labelsFor : null;
  }

  /** The label of points `a` and `b` (indices into the scan on show), or null. */
  labelOf(a: number, b: number): PairVerdict | null {
    const ids = this._outcome?.result.points.ids;
    if (!ids) {
      return null;
    }
    return this._labels.get(pairKey(ids[a], ids[b]))?.label ?? null;
  }

  /**
   * Labels the pair of points `a` and `b` (indices into the scan on show) that scores `score`
   * there; `verdict` null takes the label back. Saved and announced at once.
   */
  setLabel(
    a: number,
    b: number,
    score: number,
    verdict: PairVerdict | null
  ): void {
    const outcome = this._outcome;
    const collection = this.labelsCollection;
    if (!outcome || collection !== outcome.result.collection) {
      return;
    }
    const { ids } = outcome.result.points;
    const label: IPairLabel | null = verdict
      ? labelPair(outcome.result, a, b, score, verdict, Date.now())
      : null;
    this._labels = withLabel(this._labels, ids[a], ids[b], label);
    void this._labelStore
      ?.save(collection, saveLabels(collection, this._labels))
      .catch(reason =>
        console.warn(`Could not keep the labels of ${collection}.`, reason)
      );
    this._labelsChanged.emit();
    this._stateChanged.emit();
  }

  /** Loads the labels of the collection on show when it changes (a scan or restore of another). */
  private followLabels(): void {
    const collection = this._outcome?.result.collection ?? null;
    if (collection === this._labelsFor) {
      return;
    }
    this._labelsFor = collection;
    this._labels = NO_LABELS;
    const store = this._labelStore;
    this._labelsReady = !store || collection === null;
    if (!store || collection === null) {
      return;
    }
    const done = (labels: PairLabels) => {
      if (this._labelsFor === collection) {
        this._labels = labels;
        this._labelsReady = true;
        this._stateChanged.emit();
      }
    };
    store.load(collection).then(
      saved => done(restoreLabels(saved)),
      reason => {
        console.warn(`Could not read the labels of ${collection}.`, reason);
        done(NO_LABELS);
      }
    );
  }

  // Selection.

  get selected(): IDuplicateGroup | null {
    return this._selected;
  }

  select(group: IDuplicateGroup | null): void {
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
    this._worker.start();
  }

  dispose(): void {
    this.endScan();
    this._worker.dispose();
    Signal.clearData(this);
  }

  private get resultMatchesChoice(): boolean {
    const result = this._outcome?.result;
    return (
      !!result &&
      result.collection === this._backend.collectionName &&
      // A scan saved before the unnamed vector was named '' says null.
      (result.using ?? UNNAMED_VECTOR) === this.vectorName
    );
  }

  private onScanMessage(message: ScanMessage): void {
    switch (message.type) {
      case 'checkpoint':
        if (message.info || this._checkpoint?.key === message.key) {
          this._checkpoint = message.info;
          this._stateChanged.emit();
        }
        break;
      case 'progress':
        if (this._running?.scanId === message.scanId) {
          this._running.progress = message.progress;
          this._stateChanged.emit();
        }
        break;
      case 'shaped':
      case 'central-ranks':
      case 'job-failed':
        this._jobs.handle(message);
        break;
      case 'calibration':
        if (this._calibrating?.id === message.id) {
          const { result } = this._calibrating;
          this._calibrating = null;
          if (!adoptCalibration(result, message.calibration)) {
            calibrationOf(result); // does not fit: computed here instead
          }
          this._stateChanged.emit();
        }
        break;
      case 'result-part':
        if (this._running?.scanId === message.scanId) {
          this._parts.add(message.scanId, message.part);
        }
        break;
      case 'result':
        if (this._running?.scanId === message.scanId) {
          const result = this._parts.finish(
            message.scanId,
            message.result,
            message.parts ?? 0
          );
          this.endScan();
          if (!result) {
            this._scanError = {
              kind: 'server-error',
              message:
                'The scan finished, but its result did not reach the panel whole. Run Detect again.'
            };
            this._stateChanged.emit();
            break;
          }
          this.select(null);
          if (message.layout) {
            // The worker's layout of the pairs: the first regroup here need not redo it.
            // Its shape is checked; the pairs came in the same message, from the same scan.
            adoptLayout(result, message.layout, 'shape');
          }
          // The chain marks, leakage table and split names of these groups, from the worker.
          adoptExtras(result, message.extras);
          this._shaping.reset();
          this._detailKey = null;
          this._outcome = {
            scanId: message.scanId,
            result,
            finishedAt: Date.now(),
            threshold: result.threshold,
            groups: result.groups
          };
          // The user may have moved the threshold stricter while the scan ran.
          if (
            this.threshold !== result.threshold &&
            this.canRegroup(this.threshold)
          ) {
            this._outcome.threshold = this.threshold;
          }
          this.formGroups(this._outcome);
          this._plan.attach(this._outcome);
          this.followLabels();
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

  private readonly _api: INearDuplicatesApi;
  private readonly _worker: ScanWorkerHost;
  private readonly _jobs: WorkerJobs;
  private readonly _workerRegroupPairs: number;
  private _formTicket = 0;
  private _forming: { linkage: Linkage; threshold: number } | null = null;
  private _groupingError: string | null = null;
  private _settings: INearDuplicatesSettings = { ...DEFAULT_SETTINGS };
  private _settingsLoaded = false;
  private readonly _backend: BackendModel;
  private _similarity = DEFAULT_SETTINGS.defaultThreshold;
  private _distance: number | null = null;
  private _thresholdTouched = false;
  private _running: IRunningScan | null = null;
  /** The last scan handed to the worker (a scan waiting for its claim is not there yet). */
  private _postedScanId: string | null = null;
  private _outcome: IScanOutcome | null = null;
  private _scanError: IScanErrorInfo | null = null;
  private _selected: IDuplicateGroup | null = null;
  private _checkpoint: ICheckpointInfo | null = null;
  private _checkpointAsked: string | null = null;
  /** The collection's point count as the panel knew it when a scan started, by checkpoint key. */
  private readonly _countAtDetect = new Map<string, number | null>();
  private readonly _shaping = new GroupShaping();
  private readonly _parts = new ResultAssembler();
  private _calibrating: { id: number; result: IScanResult } | null = null;
  private _calibrationIds = 0;
  private readonly _plan: PlanModel;
  private _detailKey: number | null = null;
  private _labelStore: ILabelStore | null = null;
  private _labels: PairLabels = NO_LABELS;
  private _labelsFor: string | null = null;
  private _labelsReady = true;
  private _labelsChanged = new Signal<this, void>(this);
  private _stateChanged = new Signal<this, void>(this);
  private _outcomeChanged = new Signal<this, void>(this);
  private _selectionChanged = new Signal<this, IDuplicateGroup | null>(this);
}

/** A new scan's id, unique across panels and tabs: its claim on the collection names it. */
function newScanId(): string {
  return `scan-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
