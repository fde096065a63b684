// The typed messages between the panel (main thread) and the scan worker.
// Both sides import this module, so a message shape changes in one place only.

/** Bumped when a message shape changes incompatibly. */
export const PROTOCOL_VERSION = 1;

/** Panel -> worker: ask the worker to introduce itself. */
export interface IHelloMessage {
  type: 'hello';
}

export type PanelToWorker = IHelloMessage;

/** Worker -> panel: the worker is up and can reach the Qdrant client library. */
export interface IReadyMessage {
  type: 'ready';
  protocol: number;
  /** Whether `@qdrant/js-client-rest` loaded inside the worker bundle. */
  qdrantClient: boolean;
}

/** Worker -> panel: a message the worker could not understand, or a failure. */
export interface IWorkerErrorMessage {
  type: 'error';
  message: string;
}

export type WorkerToPanel = IReadyMessage | IWorkerErrorMessage;

const PANEL_TYPES = new Set<string>(['hello']);
const WORKER_TYPES = new Set<string>(['ready', 'error']);

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
