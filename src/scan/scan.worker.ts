// The scan worker's entry point: bundled on its own (scripts/build-worker.mjs) so that it
// imports nothing from JupyterLab's shared module scope, which a worker does not have.
import { ScanService } from './scanService';
import type { WorkerToPanel } from './protocol';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const service = new ScanService(
  (message: WorkerToPanel, transfer?: ArrayBuffer[]) =>
    scope.postMessage(message, transfer ?? [])
);
scope.onmessage = (event: MessageEvent) => service.handle(event.data);
