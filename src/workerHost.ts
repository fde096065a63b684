// The scan worker as the panel's model holds it: started once and asked to introduce itself,
// failed when it cannot start or throws. The scan messages it sends go to the model.
import { isWorkerMessage, PanelToWorker, WorkerToPanel } from './scan/protocol';

/** What the panel knows about its scan worker. */
export type WorkerStatus =
  | { state: 'starting' }
  | { state: 'ready'; protocol: number; qdrantClient: boolean }
  | {
      state: 'failed';
      message: string;
      /** It had started and answered: it stopped later (a crash), rather than never loading. */
      stopped?: boolean;
    };

/** Whether the worker can scan: it answered, with its Qdrant client loaded. */
export function workerCanScan(status: WorkerStatus): boolean {
  return status.state === 'ready' && status.qdrantClient;
}

/** The subset of `Worker` the model uses, so tests can hand it a fake. */
export interface IScanWorker {
  postMessage(message: PanelToWorker, transfer?: Transferable[]): void;
  terminate(): void;
  onmessage: ((event: MessageEvent) => void) | null;
  onerror: ((event: ErrorEvent) => void) | null;
}

/** The messages about one scan, which the worker host hands on. */
export type ScanMessage = Exclude<
  WorkerToPanel,
  { type: 'ready' } | { type: 'error' }
>;

export class ScanWorkerHost {
  /** `onStatus` runs when the status changes, `onScan` for every scan message. */
  constructor(
    private readonly _create: () => IScanWorker,
    private readonly _onScan: (message: ScanMessage) => void,
    private readonly _onStatus: () => void
  ) {}

  get status(): WorkerStatus {
    return this._status;
  }

  /** The worker was created (it may still be starting, or have failed since). */
  get started(): boolean {
    return this._worker !== null;
  }

  /** Start the worker (once) and ask it to introduce itself. */
  start(): void {
    if (this._worker) {
      return;
    }
    try {
      this._worker = this._create();
    } catch (error) {
      this.setStatus({
        state: 'failed',
        message: `The scan worker could not start: ${String(error)}`
      });
      return;
    }
    this._worker.onmessage = event => this.onMessage(event.data);
    this._worker.onerror = event => {
      const stopped = this._status.state === 'ready';
      this.setStatus({
        state: 'failed',
        message: `The scan worker failed: ${event.message || 'unknown error'}`,
        ...(stopped ? { stopped } : {})
      });
    };
    this._worker.postMessage({ type: 'hello' });
  }

  /** Posts to the worker (moving `transfer`'s buffers to it); false when there is none. */
  post(message: PanelToWorker, transfer: Transferable[] = []): boolean {
    this._worker?.postMessage(message, transfer);
    return this._worker !== null;
  }

  dispose(): void {
    this._worker?.terminate();
    this._worker = null;
  }

  private onMessage(data: unknown): void {
    if (!isWorkerMessage(data)) {
      return;
    }
    const message: WorkerToPanel = data;
    if (message.type === 'ready') {
      this.setStatus({
        state: 'ready',
        protocol: message.protocol,
        qdrantClient: message.qdrantClient
      });
    } else if (message.type === 'error') {
      this.setStatus({ state: 'failed', message: message.message });
    } else {
      this._onScan(message);
    }
  }

  private setStatus(status: WorkerStatus): void {
    this._status = status;
    this._onStatus();
  }

  private _worker: IScanWorker | null = null;
  private _status: WorkerStatus = { state: 'starting' };
}
