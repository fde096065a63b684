// The typed messages between the panel (main thread) and the scan worker.
// Both sides import this module, so a message shape changes in one place only.
import type {
  DistanceKind,
  IPairList,
  IScanErrorInfo,
  IScanProgress,
  IScanRequest,
  IScanResult
} from './types';
import type { IPairLayout } from './groups';
import type { IScanLease } from './lease';
import type { ICheckpointInfo } from './checkpoint';
import type { ResultPart } from './resultParts';
import type { ICalibration, ICalibrationInput } from './calibration';
import type { IResultExtras } from './resultExtras';
import type { ICentralRanks, IGroupMembers } from './central';
import type { IGroupShapes } from './groupShapes';
import type { Linkage, SplitRecord } from './linkage';

/**
 * The version of the panel <-> worker messages (not the kernel comm's COMM_PROTOCOL), bumped
 * when a message shape changes incompatibly.
 */
export const WORKER_PROTOCOL = 5;

/**
 * Where the worker sends Qdrant requests. In JupyterLab: the page's origin with an
 * explicit port, the Jupyter proxy path as `prefix`, and Jupyter's auth headers (a worker
 * has no cookies of its own to send). In Node (tests, benchmark): a Qdrant URL and key.
 */
export interface IScanConnection {
  url: string;
  prefix?: string;
  headers?: Record<string, string>;
  apiKey?: string;
  /** Per-request timeout. */
  timeoutMs?: number;
}

/** Panel -> worker: ask the worker to introduce itself. */
export interface IHelloMessage {
  type: 'hello';
}

/**
 * Panel -> worker: scan a collection. A running scan is cancelled first, and the pairs kept
 * for jobs (IPairsMessage) are dropped.
 */
export interface IStartMessage {
  type: 'start';
  scanId: string;
  connection: IScanConnection;
  request: IScanRequest;
  /**
   * The claim the panel made on the collection, which the worker renews while the scan
   * runs (with `connection.headers`); the scan stops with kind 'busy' when it is refused.
   */
  lease?: IScanLease;
  /**
   * Keep the scan's progress under this key as it runs (issue 16); with `resume`, take up
   * the progress kept there instead of starting afresh; with `changes`, scan only the points
   * added since the finished scan kept there, and drop the deleted ones.
   */
  checkpoint?: { key: string; resume?: boolean; changes?: boolean };
}

/** Panel -> worker: what is kept under this key? The worker answers with a 'checkpoint' message. */
export interface ICheckpointQueryMessage {
  type: 'checkpoint-query';
  key: string;
}

/** Panel -> worker: drop what is kept under this key; answered like a query. */
export interface IDiscardMessage {
  type: 'discard';
  key: string;
}

/** Panel -> worker: stop the scan with this id (no further requests). */
export interface ICancelMessage {
  type: 'cancel';
  scanId: string;
}

/**
 * Panel -> worker: calibrate a finished scan's pairs (a copy; calibration.ts), off the page's
 * thread. Answered by a 'calibration' message with the same `id`.
 */
export interface ICalibrateMessage {
  type: 'calibrate';
  id: number;
  input: ICalibrationInput;
}

/** A finished scan's pairs as the worker's jobs on them need them. */
export interface IPairsInput {
  /** A copy the panel transfers (the panel keeps its own). */
  pairs: IPairList;
  distance: DistanceKind;
  /** The scan's own threshold (its floor). */
  threshold: number;
  /** How many points the scan has (the pairs index them). */
  points: number;
}

/**
 * Panel -> worker: keep these pairs under `key` for the jobs below (once per scan on show; the
 * worker keeps the last pairs only, until a scan starts). Sent before the first job that
 * names the key.
 */
export interface IPairsMessage {
  type: 'pairs';
  key: string;
  input: IPairsInput;
}

/**
 * Panel -> worker: the groups of the pairs under `key` at `threshold` by `linkage`, with the
 * Splits made so far (linkage.ts groupScan). Answered by 'shaped' or 'job-failed' with `id`.
 */
export interface IShapeJobMessage {
  type: 'shape';
  id: number;
  key: string;
  threshold: number;
  linkage: Linkage;
  splits: SplitRecord[];
}

/**
 * Panel -> worker: the "most central" ranks (central.ts) of these groups' members over the
 * pairs under `key`. Answered by 'central-ranks' or 'job-failed' with `id`.
 */
export interface ICentralJobMessage {
  type: 'central';
  id: number;
  key: string;
  groups: IGroupMembers;
}

export type PanelToWorker =
  | ICalibrateMessage
  | IPairsMessage
  | IShapeJobMessage
  | ICentralJobMessage
  | IHelloMessage
  | IStartMessage
  | ICancelMessage
  | ICheckpointQueryMessage
  | IDiscardMessage;

/** Worker -> panel: the worker is up and can reach the Qdrant client library. */
export interface IReadyMessage {
  type: 'ready';
  protocol: number;
  /** Whether `@qdrant/js-client-rest` loaded inside the worker bundle. */
  qdrantClient: boolean;
}

/** Worker -> panel: a scan's progress, a few times a second. */
export interface IProgressMessage {
  type: 'progress';
  scanId: string;
  progress: IScanProgress;
}

/**
 * Worker -> panel: a part of a finished scan's points or groups (resultParts.ts), posted before
 * its 'result' message, so the page decodes a big result in short tasks.
 */
export interface IResultPartMessage {
  type: 'result-part';
  scanId: string;
  part: ResultPart;
}

/** Worker -> panel: a finished scan (its pair arrays are transferred, not copied). */
export interface IResultMessage {
  type: 'result';
  scanId: string;
  /**
   * The result; with `parts`, its points arrays and groups are empty here and came in that
   * many 'result-part' messages just before.
   */
  result: IScanResult;
  parts?: number;
  /** What the panel would otherwise compute on its thread when it first shows the result. */
  extras?: IResultExtras;
  /**
   * The pairs laid out for regrouping (computed by the worker when it grouped them), so the
   * panel's first regroup does not redo it on the page's thread. Transferred too.
   */
  layout?: IPairLayout;
}

/** Worker -> panel: a scan ended without a result: cancelled, refused or failed. */
export interface IFailedMessage {
  type: 'failed';
  scanId: string;
  error: IScanErrorInfo;
}

/** Worker -> panel: the interrupted scan kept under `key`, or null when there is none. */
export interface ICheckpointMessage {
  type: 'checkpoint';
  key: string;
  info: ICheckpointInfo | null;
}

/** Worker -> panel: a message the worker could not understand. */
export interface IWorkerErrorMessage {
  type: 'error';
  message: string;
}

/** Worker -> panel: the calibration asked for by `id` (its arrays transferred). */
export interface ICalibrationMessage {
  type: 'calibration';
  id: number;
  calibration: ICalibration;
}

/** Worker -> panel: the groups a 'shape' job asked for, unnamed (groupShapes.ts; transferred). */
export interface IShapedMessage {
  type: 'shaped';
  id: number;
  shapes: IGroupShapes;
}

/** Worker -> panel: the ranks a 'central' job asked for (transferred). */
export interface ICentralRanksMessage {
  type: 'central-ranks';
  id: number;
  ranks: ICentralRanks;
}

/** Worker -> panel: a job failed; `message` says why. */
export interface IJobFailedMessage {
  type: 'job-failed';
  id: number;
  message: string;
}

export type WorkerToPanel =
  | ICalibrationMessage
  | IShapedMessage
  | ICentralRanksMessage
  | IJobFailedMessage
  | IReadyMessage
  | IProgressMessage
  | IResultPartMessage
  | IResultMessage
  | IFailedMessage
  | ICheckpointMessage
  | IWorkerErrorMessage;

const PANEL_TYPES = new Set<string>([
  'calibrate',
  'pairs',
  'shape',
  'central',
  'hello',
  'start',
  'cancel',
  'checkpoint-query',
  'discard'
]);
const WORKER_TYPES = new Set<string>([
  'calibration',
  'shaped',
  'central-ranks',
  'job-failed',
  'ready',
  'progress',
  'result-part',
  'result',
  'failed',
  'checkpoint',
  'error'
]);

function hasType(value: unknown, types: Set<string>): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { type?: unknown }).type === 'string' &&
    types.has((value as { type: string }).type)
  );
}

/** Messages arrive as structured clones of anything; check before trusting. */
export function isPanelMessage(value: unknown): value is PanelToWorker {
  return hasType(value, PANEL_TYPES);
}

export function isWorkerMessage(value: unknown): value is WorkerToPanel {
  return hasType(value, WORKER_TYPES);
}

/** The buffers of a result that can move to the panel without a copy. */
export function transferablesOf(result: IScanResult): ArrayBuffer[] {
  const { a, b, score } = result.pairs;
  return [a.buffer, b.buffer, score.buffer] as ArrayBuffer[];
}
