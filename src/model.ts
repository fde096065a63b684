// The panel's state: owns the scan worker, tracks what it said, and signals changes.
// No React here; components re-render from `stateChanged`.
import { ISignal, Signal } from '@lumino/signaling';
import { isWorkerMessage, PanelToWorker, WorkerToPanel } from './scan/protocol';
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

export class NearDuplicatesModel {
  constructor(private readonly createWorker: () => IScanWorker) {}

  get stateChanged(): ISignal<this, void> {
    return this._stateChanged;
  }

  get workerStatus(): WorkerStatus {
    return this._workerStatus;
  }

  get settings(): INearDuplicatesSettings {
    return this._settings;
  }

  set settings(value: INearDuplicatesSettings) {
    this._settings = value;
    this._stateChanged.emit();
  }

  /** Start the worker (once) and ask it to introduce itself. */
  start(): void {
    if (this._worker) {
      return;
    }
    try {
      this._worker = this.createWorker();
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
    this._worker?.terminate();
    this._worker = null;
    Signal.clearData(this);
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
    }
  }

  private setWorkerStatus(status: WorkerStatus): void {
    this._workerStatus = status;
    this._stateChanged.emit();
  }

  private _worker: IScanWorker | null = null;
  private _workerStatus: WorkerStatus = { state: 'starting' };
  private _settings: INearDuplicatesSettings = { ...DEFAULT_SETTINGS };
  private _stateChanged = new Signal<this, void>(this);
}
