// The panel's side of the scan worker's jobs on a finished scan's pairs (scan/pairJobs.ts):
// complete linkage and the plan's "most central" rule, which took 0.2 to 2.9 s on the page's
// thread at 200k to 1M points (issue 16). Each job is a promise; the pairs go to the worker
// once per scan on show (a copy, transferred). DOM-free: the model holds one.
import { ICentralRanks, membersOf, ranksFit } from './scan/central';
import { groupsOfShapes } from './scan/groupShapes';
import type { Linkage, SplitRecord } from './scan/linkage';
import type { PanelToWorker, WorkerToPanel } from './scan/protocol';
import type { IDuplicateGroup, IScanResult } from './scan/types';
import type { WorkerStatus } from './workerHost';

/** What the jobs need of the worker host (workerHost.ts). */
export interface IJobWorker {
  readonly status: WorkerStatus;
  readonly started: boolean;
  post(message: PanelToWorker, transfer?: Transferable[]): boolean;
}

/** Why a job has no answer: the worker said why (`workerGone` false), or it is gone. */
export class JobError extends Error {
  constructor(
    message: string,
    readonly workerGone: boolean
  ) {
    super(message);
  }
}

/** The worker messages that answer jobs. */
export type JobAnswer = Extract<
  WorkerToPanel,
  { type: 'shaped' } | { type: 'central-ranks' } | { type: 'job-failed' }
>;

export function isJobAnswer(message: WorkerToPanel): message is JobAnswer {
  return (
    message.type === 'shaped' ||
    message.type === 'central-ranks' ||
    message.type === 'job-failed'
  );
}

interface IPending {
  settle: (answer: JobAnswer) => void;
  reject: (error: JobError) => void;
}

export class WorkerJobs {
  constructor(private readonly worker: IJobWorker) {}

  /** Whether a worker can take jobs: started and not failed (a starting one queues them). */
  get available(): boolean {
    return this.worker.started && this.worker.status.state !== 'failed';
  }

  /** The groups of `result` at `threshold` by `linkage`, with `splits`, formed in the worker. */
  shape(
    result: IScanResult,
    threshold: number,
    linkage: Linkage,
    splits: readonly SplitRecord[]
  ): Promise<IDuplicateGroup[]> {
    return this.ask(result, (id, key) => ({
      type: 'shape',
      id,
      key,
      threshold,
      linkage,
      splits: [...splits]
    })).then(answer => {
      const groups =
        answer.type === 'shaped'
          ? groupsOfShapes(answer.shapes, result.points)
          : null;
      if (!groups) {
        throw new JobError('its groups do not fit this scan', false);
      }
      return groups;
    });
  }

  /** "Most central" for `groups` of `result` (central.ts), computed in the worker. */
  central(
    result: IScanResult,
    groups: ReadonlyArray<IDuplicateGroup>
  ): Promise<ICentralRanks> {
    const members = membersOf(groups);
    return this.ask(
      result,
      (id, key) => ({ type: 'central', id, key, groups: members }),
      [members.start.buffer, members.members.buffer]
    ).then(answer => {
      if (answer.type !== 'central-ranks' || !ranksFit(answer.ranks, groups)) {
        throw new JobError('its ranks do not fit these groups', false);
      }
      return answer.ranks;
    });
  }

  /** Takes a worker message; true when it answered a job. */
  handle(message: WorkerToPanel): boolean {
    if (!isJobAnswer(message)) {
      return false;
    }
    const pending = this.pending.get(message.id);
    if (pending) {
      this.pending.delete(message.id);
      pending.settle(message);
    }
    return true;
  }

  /** The worker dropped the pairs it kept (a scan starts there): the next job sends them again. */
  pairsDropped(): void {
    this.sentKey = null;
  }

  /** The worker is gone: every job waiting on it fails, and the next sends its pairs again. */
  fail(reason: string): void {
    const waiting = [...this.pending.values()];
    this.pending.clear();
    this.sentKey = null;
    for (const job of waiting) {
      job.reject(new JobError(reason, true));
    }
  }

  private ask(
    result: IScanResult,
    message: (id: number, key: string) => PanelToWorker,
    transfer: Transferable[] = []
  ): Promise<JobAnswer> {
    if (!this.available) {
      return Promise.reject(
        new JobError('the scan worker is not running', true)
      );
    }
    const id = ++this.ids;
    const key = this.keyOf(result);
    const answer = new Promise<JobAnswer>((resolve, reject) => {
      this.pending.set(id, {
        settle: a =>
          a.type === 'job-failed'
            ? reject(new JobError(a.message, false))
            : resolve(a),
        reject
      });
    });
    if (key !== this.sentKey) {
      // A copy: the panel keeps regrouping, saving and charting from its own pairs.
      const { a, b, score } = result.pairs;
      const pairs = { a: a.slice(), b: b.slice(), score: score.slice() };
      this.worker.post(
        {
          type: 'pairs',
          key,
          input: {
            pairs,
            distance: result.distance,
            threshold: result.threshold,
            points: result.points.ids.length
          }
        },
        [pairs.a.buffer, pairs.b.buffer, pairs.score.buffer]
      );
      this.sentKey = key;
    }
    this.worker.post(message(id, key), transfer);
    return answer;
  }

  /** One key per result object (a new scan, a restored one). */
  private keyOf(result: IScanResult): string {
    let key = this.keys.get(result);
    if (key === undefined) {
      key = `pairs-${++this.keyCount}`;
      this.keys.set(result, key);
    }
    return key;
  }

  private ids = 0;
  private keyCount = 0;
  private sentKey: string | null = null;
  private readonly keys = new WeakMap<IScanResult, string>();
  private readonly pending = new Map<number, IPending>();
}
