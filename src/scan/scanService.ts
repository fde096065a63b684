// The worker's side of the protocol, kept free of worker globals so that Node tests
// and the benchmark can drive it directly. scan.worker.ts only wires it to `self`.
import { QdrantClient } from '@qdrant/js-client-rest';
import {
  IScanConnection,
  isPanelMessage,
  WORKER_PROTOCOL,
  transferablesOf,
  WorkerToPanel
} from './protocol';
import { layoutOf, layoutTransferables } from './groups';
import { calibrate, calibrationTransferables } from './calibration';
import { extrasTransferables, workerExtras } from './resultExtras';
import { splitResult } from './resultParts';
import { PairJobs } from './pairJobs';
import {
  ILeaseClock,
  IScanLease,
  LeaseFetch,
  LeaseKeeper,
  WORKER_CLOCK
} from './lease';
import { IScanClient, scanCollection } from './scanner';
import { textVectorCalls } from './vectorText';
import { ScanError, IScanErrorInfo } from './types';
import { checkpointInfo, ICheckpointStore, isCheckpoint } from './checkpoint';
import { workerCheckpointStore } from './checkpointStore';

export type Post = (message: WorkerToPanel, transfer?: ArrayBuffer[]) => void;

/** Makes the Qdrant client a scan talks to; tests hand in their own. */
export type ClientFactory = (connection: IScanConnection) => IScanClient;

export function createQdrantClient(connection: IScanConnection): IScanClient {
  const client: IScanClient = new QdrantClient({
    url: connection.url,
    prefix: connection.prefix,
    headers: connection.headers,
    apiKey: connection.apiKey,
    timeout: connection.timeoutMs ?? 300_000,
    // The proxy answers GET / too, but a version check per scan buys nothing here.
    checkCompatibility: false
  });
  client.textVectors = textVectorCalls(connection);
  return client;
}

/** How the worker renews a scan's lease; tests hand in fakes. */
export interface ILeaseTools {
  fetch: LeaseFetch;
  clock: ILeaseClock;
}

const WORKER_LEASE_TOOLS: ILeaseTools = {
  fetch: (url, init) => fetch(url, { ...init, credentials: 'same-origin' }),
  clock: WORKER_CLOCK
};

export class ScanService {
  constructor(
    private readonly post: Post,
    private readonly createClient: ClientFactory = createQdrantClient,
    private readonly leaseTools: ILeaseTools = WORKER_LEASE_TOOLS,
    private readonly checkpoints: ICheckpointStore = workerCheckpointStore()
  ) {}

  handle(data: unknown): void {
    if (!isPanelMessage(data)) {
      this.post({
        type: 'error',
        message: `The scan worker received a message it does not understand: ${describe(data)}`
      });
      return;
    }
    switch (data.type) {
      case 'hello':
        this.post({
          type: 'ready',
          protocol: WORKER_PROTOCOL,
          qdrantClient: typeof QdrantClient === 'function'
        });
        break;
      case 'start':
        this.jobs.forget();
        void this.start(
          data.scanId,
          data.connection,
          data.request,
          data.lease,
          data.checkpoint
        );
        break;
      case 'checkpoint-query':
        void this.tellCheckpoint(data.key);
        break;
      case 'discard':
        void this.checkpoints
          .remove(data.key)
          .catch(() => undefined)
          .then(() => this.tellCheckpoint(data.key));
        break;
      case 'cancel':
        if (this.running?.scanId === data.scanId) {
          this.running.controller.abort();
        }
        break;
      case 'pairs':
        this.jobs.keep(data);
        break;
      case 'shape':
      case 'central':
        this.jobs.ask(data);
        break;
      case 'calibrate': {
        const calibration = calibrate(data.input);
        this.post(
          { type: 'calibration', id: data.id, calibration },
          calibrationTransferables(calibration)
        );
        break;
      }
    }
  }

  /** Settles when the scan has posted its result or failure. */
  async start(
    scanId: string,
    connection: IScanConnection,
    request: Parameters<typeof scanCollection>[1],
    lease?: IScanLease,
    checkpoint?: { key: string; resume?: boolean; changes?: boolean }
  ): Promise<void> {
    this.running?.controller.abort();
    const controller = new AbortController();
    const running: {
      scanId: string;
      controller: AbortController;
      lost?: IScanErrorInfo;
    } = {
      scanId,
      controller
    };
    this.running = running;
    const keeper = lease
      ? new LeaseKeeper(
          lease,
          scanId,
          connection.headers ?? {},
          error => {
            running.lost = error;
            controller.abort();
          },
          this.leaseTools.fetch,
          this.leaseTools.clock
        )
      : null;
    keeper?.start();
    try {
      const client = this.createClient(connection);
      const result = await scanCollection(client, request, {
        signal: controller.signal,
        onProgress: progress =>
          this.post({ type: 'progress', scanId, progress }),
        checkpoint: checkpoint && {
          store: this.checkpoints,
          key: checkpoint.key,
          resume: checkpoint.resume,
          changes: checkpoint.changes
        }
      });
      // Laid out when the scan grouped its pairs (cached), so this costs nothing more.
      const layout = layoutOf(result);
      // What the panel shows first, computed here: the page's thread stays free (issue 16).
      const extras = workerExtras(result);
      // The points and groups go in parts, so the page decodes them in short tasks.
      const { head, parts } = splitResult(result);
      for (const part of parts) {
        this.post({ type: 'result-part', scanId, part });
      }
      this.post(
        {
          type: 'result',
          scanId,
          result: head,
          layout,
          parts: parts.length,
          extras
        },
        // Each buffer once: the scan's pairs share their scores with the layout.
        [
          ...new Set([
            ...transferablesOf(head),
            ...layoutTransferables(layout),
            ...extrasTransferables(extras)
          ])
        ]
      );
    } catch (error) {
      // A lost lease aborts the scan: say why, not just "cancelled".
      this.post({
        type: 'failed',
        scanId,
        error: running.lost ?? errorInfo(error)
      });
    } finally {
      keeper?.stop();
      if (this.running === running) {
        this.running = null;
      }
      if (checkpoint) {
        // What is kept now: the progress of a scan that stopped early, or nothing.
        await this.tellCheckpoint(checkpoint.key);
      }
    }
  }

  /** Tells the panel what is kept under `key`. */
  async tellCheckpoint(key: string): Promise<void> {
    const kept = await this.checkpoints.load(key).catch(() => null);
    this.post({
      type: 'checkpoint',
      key,
      info: isCheckpoint(kept) ? checkpointInfo(key, kept) : null
    });
  }

  private running: { scanId: string; controller: AbortController } | null =
    null;
  private readonly jobs = new PairJobs((message, transfer) =>
    this.post(message, transfer)
  );
}

function errorInfo(error: unknown): IScanErrorInfo {
  if (error instanceof ScanError) {
    return error.toJSON();
  }
  return {
    kind: 'server-error',
    message: `The scan stopped on an unexpected error: ${String(error)}`
  };
}

function describe(data: unknown): string {
  if (typeof data === 'object' && data !== null && 'type' in data) {
    return `type ${JSON.stringify((data as { type: unknown }).type)}`;
  }
  return typeof data;
}
