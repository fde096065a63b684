// The resume phase's rules (issue 16): when a checkpoint is written while a scan runs, and
// whether a kept checkpoint fits the collection as it is listed now. A checkpoint is a
// synchronous snapshot taken between two answers, so every point it calls finished has all
// its pairs in it; a resumed scan asks again only about the others.
import {
  CHECKPOINT_EVERY_MS,
  CHECKPOINT_VERSION,
  hasBit,
  ICheckpointStore,
  isCheckpoint,
  IScanCheckpoint,
  MAX_CHECKPOINT_PAIRS,
  pairsPass,
  sameIds,
  storeIds,
  StoredIds
} from './checkpoint';
import type { IVectorChoice } from './collection';
import { ScanError } from './errors';
import type { IListing } from './list';
import { describeThreshold } from './metric';
import type { NeighbourPass } from './queries';
import type { IPairList, IScanRequest } from './types';

/** More improved scores than this since the last checkpoint: the next one is written whole. */
const MAX_RESCORED = 100_000;

/** What a host gives a scan so that it keeps its progress. */
export interface ICheckpointHooks {
  store: ICheckpointStore;
  /** One checkpoint per key: the panel names a backend and a collection. */
  key: string;
  /** Take up the kept checkpoint instead of starting afresh. */
  resume?: boolean;
  /**
   * Scan changes: the kept finished scan is the base; only points listed now and not then are
   * asked about, points gone since are dropped with their pairs (changes.ts).
   */
  changes?: boolean;
  /** Minimum time between two checkpoints (default CHECKPOINT_EVERY_MS; tests: 0). */
  everyMs?: number;
}

export class Checkpointer {
  constructor(
    private readonly hooks: ICheckpointHooks,
    private readonly now: () => number
  ) {}

  /**
   * A fresh scan drops the kept checkpoint (the user chose to start over); a resumed one
   * reads it, and is refused with a clear message when there is none to read.
   */
  async open(collection: string): Promise<IScanCheckpoint | null> {
    const { store, key, resume, changes } = this.hooks;
    if (!resume && !changes) {
      await store.remove(key).catch(() => undefined);
      return null;
    }
    const kept = await store.load(key).catch(() => null);
    if (!isCheckpoint(kept) || !pairsPass(kept)) {
      await store.remove(key).catch(() => undefined);
      throw new ScanError(
        'stale-checkpoint',
        changes
          ? `There is no finished scan of ${collection} to compare with (it is gone or unreadable): Detect scans the collection.`
          : `There is no interrupted scan of ${collection} to resume (its saved progress is gone or unreadable).`
      );
    }
    if (changes && kept.phase !== 'complete') {
      throw new ScanError(
        'stale-checkpoint',
        `The last scan of ${collection} did not finish: resume it before scanning changes.`
      );
    }
    if (resume && kept.phase === 'complete') {
      throw new ScanError(
        'stale-checkpoint',
        `The last scan of ${collection} finished: there is nothing to resume.`
      );
    }
    return kept;
  }

  /**
   * Why a kept checkpoint does not fit this scan, or null when it does. A collection that
   * changed (points added or deleted), another vector, distance or threshold: not resumed.
   */
  static misfit(
    kept: IScanCheckpoint,
    request: IScanRequest,
    choice: IVectorChoice,
    listing: IListing,
    exact: boolean,
    /** Scan changes: the points may differ (that is the point). */
    changes = false
  ): string | null {
    if (kept.collection !== request.collection) {
      return `it was a scan of ${kept.collection}, not ${request.collection}`;
    }
    if (kept.using !== choice.using) {
      return `it compared by the vector ${JSON.stringify(kept.using)}, this scan by ${JSON.stringify(choice.using)}`;
    }
    if (kept.distance !== choice.distance) {
      return `its collection compared by ${kept.distance}, this one by ${choice.distance}`;
    }
    if (kept.threshold !== request.threshold) {
      return `it kept pairs ${describeThreshold(kept.threshold, kept.distance)}, this scan asks for ${describeThreshold(request.threshold, kept.distance)}`;
    }
    if (kept.exact !== exact) {
      return kept.exact
        ? 'it searched exactly, this scan does not'
        : 'this scan searches exactly, it did not';
    }
    const n = listing.queryIds.length;
    if (changes) {
      return null;
    }
    if (kept.n !== n) {
      return `the collection changed since: ${kept.n.toLocaleString('en-US')} points then, ${n.toLocaleString('en-US')} now`;
    }
    if (!sameIds(kept.ids, listing.queryIds)) {
      return 'the collection changed since: points were added and deleted';
    }
    return null;
  }

  /** From here on the pass's state is what a checkpoint keeps. */
  watch(
    pass: NeighbourPass,
    base: Omit<
      IScanCheckpoint,
      | 'done'
      | 'doneCount'
      | 'phase'
      | 'pairs'
      | 'unreachable'
      | 'queries'
      | 'searchedExactly'
      | 'savedAt'
      | 'ids'
      | 'version'
    >,
    ids: StoredIds
  ): void {
    this.pass = pass;
    this.base = { ...base, ids, version: CHECKPOINT_VERSION };
    this.last = this.now();
    this.stored = null;
    pass.pairs.trackRescores();
  }

  /** After each answered batch: a checkpoint when the last one is old enough. */
  tick(): void {
    const every = this.hooks.everyMs ?? CHECKPOINT_EVERY_MS;
    if (!this.pass || this.saving || this.now() - this.last < every) {
      return;
    }
    void this.save();
  }

  /** The scan stopped early (cancelled, failed): keep what it has. */
  async flush(): Promise<void> {
    await this.saving;
    if (this.pass && this.savedQueries !== this.pass.queries) {
      await this.save();
    }
  }

  /**
   * The scan finished: nothing is left to resume, and it is kept whole as the base of a later
   * "Scan changes" (unless it is over the bound: then nothing is kept).
   */
  async finish(pairs: IPairList): Promise<void> {
    await this.saving;
    const finished = this.snapshot('complete', pairs)?.checkpoint;
    this.pass = null;
    const { store, key } = this.hooks;
    await (finished ? store.save(key, finished) : store.remove(key)).catch(
      () => undefined
    );
  }

  /** Checkpoints written by this scan. */
  saved = 0;
  /** Set when the pairs outgrew MAX_CHECKPOINT_PAIRS: no further checkpoint is written. */
  overBound = false;

  private save(): Promise<void> {
    const taken = this.snapshot();
    this.last = this.now();
    if (!taken) {
      return Promise.resolve();
    }
    const { checkpoint, append, mark } = taken;
    const queries = checkpoint.queries;
    const saving = this.hooks.store
      .save(this.hooks.key, checkpoint, append)
      .then(
        () => {
          this.saved++;
          this.savedQueries = queries;
          this.stored = mark;
        },
        // A full disk or a closed database must not stop the scan; it only keeps less. What
        // is kept is not known now, so the next checkpoint is written whole.
        () => {
          this.stored = null;
        }
      )
      .finally(() => {
        this.saving = null;
      });
    this.saving = saving;
    return saving;
  }

  /**
   * The pass's state now: taken between two answers, so it is consistent. Once a checkpoint
   * of this scan is kept, only the pairs it lacks are taken (`append`): at a million points
   * a whole copy of the pairs every few seconds would be 80 MB each time (issue 16).
   */
  private snapshot(
    phase?: 'complete',
    released?: IPairList
  ): {
    checkpoint: IScanCheckpoint;
    append: boolean;
    mark: { pairs: number; rescored: number };
  } | null {
    const pass = this.pass;
    const base = this.base;
    if (!pass || !base) {
      return null;
    }
    const count = released ? released.a.length : pass.pairs.count;
    if (count > MAX_CHECKPOINT_PAIRS) {
      this.overBound = true;
      return null;
    }
    const done = pass.done.slice();
    const n = base.n;
    const mark = { pairs: count, rescored: pass.pairs.rescoredCount };
    const stored = released ? null : this.stored;
    const append =
      stored !== null && mark.rescored - stored.rescored <= MAX_RESCORED;
    return {
      checkpoint: {
        ...base,
        done,
        doneCount: pass.scanned,
        phase: phase ?? (pass.scanned >= n ? 'checking' : 'scanning'),
        pairs:
          released ??
          (append
            ? pass.pairs.since(stored.pairs, stored.rescored)
            : pass.pairs.toList()),
        unreachable: Uint32Array.from(
          pass.unreachable.filter(i => hasBit(done, i))
        ),
        queries: pass.queries,
        searchedExactly: pass.searchedExactly,
        savedAt: Date.now()
      },
      append,
      mark
    };
  }

  /** What the kept checkpoint of this scan holds: its pairs, and the improvements seen then. */
  private stored: { pairs: number; rescored: number } | null = null;

  private pass: NeighbourPass | null = null;
  private base: Omit<
    IScanCheckpoint,
    | 'done'
    | 'doneCount'
    | 'phase'
    | 'pairs'
    | 'unreachable'
    | 'queries'
    | 'searchedExactly'
    | 'savedAt'
  > | null = null;
  private last = 0;
  private savedQueries = -1;
  private saving: Promise<void> | null = null;
}

/** The listing's ids as a checkpoint keeps them. */
export function checkpointIds(listing: IListing): StoredIds {
  return storeIds(listing.queryIds);
}
