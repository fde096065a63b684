// What the panel's model holds about scans, apart from the model itself.
import type { INearDuplicatesApi } from './api';
import type { IDuplicateGroup, IScanProgress, IScanResult } from './scan/types';
import type { IScanWorker } from './workerHost';

/** A scan that is running now. */
export interface IRunningScan {
  scanId: string;
  collection: string;
  using: string | null;
  threshold: number;
  progress: IScanProgress | null;
}

/** A finished scan, with the groups shown at the current threshold. */
export interface IScanOutcome {
  /** The scan's id: its claim on the collection, and `scan_id` in the kernel. */
  scanId: string;
  result: IScanResult;
  /** When the scan finished (ms since the epoch). */
  finishedAt: number;
  /** The threshold the groups below were computed at (the scan's, or a stricter one). */
  threshold: number;
  groups: IDuplicateGroup[];
}

export interface INearDuplicatesModelOptions {
  createWorker: () => IScanWorker;
  api: INearDuplicatesApi;
  /**
   * From this many pairs on, the groups at a new threshold are formed by the scan worker
   * (default WORKER_REGROUP_PAIRS); tests lower it.
   */
  workerRegroupPairs?: number;
}

/**
 * From this many pairs on, a regroup (the threshold moved, single linkage) runs in the scan
 * worker: at a million points and six million pairs it took 142 to 169 ms of the page's thread
 * (issue 16: no task over 100 ms); the worker's answer costs the page about 20 ms to name.
 */
export const WORKER_REGROUP_PAIRS = 2_000_000;
