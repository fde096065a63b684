// The worker's work on a finished scan's pairs that would block the page's thread for seconds at
// a million points (issue 16): complete linkage (linkage.ts's groupScan) and the plan's "most
// central" rule (central.ts). The panel sends the pairs once per scan (a copy it transfers: the
// worker keeps none of the pairs it sends with a result), then asks by job; each answer names
// its job, and the panel keeps only its newest. A job waits for the messages already queued, so
// of several asked in a row (a slider dragged under complete linkage: 2 s each at 1M) only the
// newest of each kind runs; the others are answered as superseded. DOM-free, so Node tests
// drive it directly.
import { centralRanks, ranksTransferables } from './central';
import { shapesOf, shapesTransferables } from './groupShapes';
import { groupScan } from './linkage';
import type {
  ICentralJobMessage,
  IPairsMessage,
  IShapeJobMessage,
  WorkerToPanel
} from './protocol';
import type { IScanPoints } from './types';

type Post = (message: WorkerToPanel, transfer?: ArrayBuffer[]) => void;

/** Runs `run` after the messages already queued (the worker's default: a zero timeout). */
export type Defer = (run: () => void) => void;

type JobMessage = IShapeJobMessage | ICentralJobMessage;

export class PairJobs {
  constructor(
    private readonly post: Post,
    private readonly defer: Defer = run => setTimeout(run, 0)
  ) {}

  /** Keeps these pairs for the jobs that name their key (only the last pairs are kept). */
  keep(message: IPairsMessage): void {
    this.runWaiting(); // on the pairs they were asked of
    const { input } = message;
    this.pairs = {
      key: message.key,
      input: {
        ...input,
        // The worker knows the points by index only: the panel names the groups it forms.
        points: namelessPoints(input.points)
      }
    };
  }

  /**
   * Drops the kept pairs (and the layouts cached on them): a scan is starting, and at a million
   * points they hold a few hundred MB the scan should have. The panel sends them again.
   */
  forget(): void {
    this.runWaiting();
    this.pairs = null;
  }

  /** Takes a job: it runs once the messages already queued are in, unless a newer one of its kind came. */
  ask(message: JobMessage): void {
    const other = this.waiting.get(message.type);
    // The panel numbers its jobs in order: the higher id is the newer request.
    const [newer, older] =
      other && other.id > message.id ? [other, message] : [message, other];
    if (older) {
      this.post({
        type: 'job-failed',
        id: older.id,
        message: 'superseded by a newer request'
      });
    }
    this.waiting.set(message.type, newer);
    if (!this.scheduled) {
      this.scheduled = true;
      this.defer(() => this.runWaiting());
    }
  }

  /** Runs the jobs waiting, oldest kind first. */
  private runWaiting(): void {
    this.scheduled = false;
    const jobs = [...this.waiting.values()].sort((x, y) => x.id - y.id);
    this.waiting.clear();
    for (const job of jobs) {
      if (job.type === 'shape') {
        this.shape(job);
      } else {
        this.central(job);
      }
    }
  }

  /** The groups at a threshold by a linkage, with splits (groupScan), as shapes. */
  private shape(message: IShapeJobMessage): void {
    this.run(message.id, message.key, input => {
      const groups = groupScan(input, message.threshold, {
        linkage: message.linkage,
        splits: message.splits
      });
      const shapes = shapesOf(groups);
      this.post(
        { type: 'shaped', id: message.id, shapes },
        shapesTransferables(shapes)
      );
    });
  }

  /** "Most central" for the groups the message lists. */
  private central(message: ICentralJobMessage): void {
    this.run(message.id, message.key, input => {
      const ranks = centralRanks(message.groups, {
        pairs: input.pairs,
        distance: input.distance,
        floor: input.threshold
      });
      this.post(
        { type: 'central-ranks', id: message.id, ranks },
        ranksTransferables(ranks)
      );
    });
  }

  private run(
    id: number,
    key: string,
    job: (input: Parameters<typeof groupScan>[0]) => void
  ): void {
    const pairs = this.pairs;
    if (!pairs || pairs.key !== key) {
      this.post({
        type: 'job-failed',
        id,
        message: 'the scan worker does not hold the pairs of this scan'
      });
      return;
    }
    try {
      job(pairs.input);
    } catch (error) {
      this.post({
        type: 'job-failed',
        id,
        message: error instanceof Error ? error.message : String(error)
      });
    }
  }

  private pairs: {
    key: string;
    input: Parameters<typeof groupScan>[0];
  } | null = null;
  private readonly waiting = new Map<JobMessage['type'], JobMessage>();
  private scheduled = false;
}

/** Points known by count only (holes where names would be). */
function namelessPoints(count: number): IScanPoints {
  return {
    ids: new Array(count),
    sampleIds: new Array(count),
    thumbnails: [],
    splits: []
  };
}
