// The worker's work on a finished scan's pairs that would block the page's thread for seconds at
// a million points (issue 16): complete linkage (linkage.ts's groupScan) and the plan's "most
// central" rule (central.ts). The panel sends the pairs once per scan (a copy it transfers: the
// worker keeps none of the pairs it sends with a result), then asks by job; each answer names
// its job, and the panel keeps only its newest. DOM-free, so Node tests drive it directly.
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

export class PairJobs {
  constructor(private readonly post: Post) {}

  /** Keeps these pairs for the jobs that name their key (only the last pairs are kept). */
  keep(message: IPairsMessage): void {
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
    this.pairs = null;
  }

  /** The groups at a threshold by a linkage, with splits (groupScan), as shapes. */
  shape(message: IShapeJobMessage): void {
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
  central(message: ICentralJobMessage): void {
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
