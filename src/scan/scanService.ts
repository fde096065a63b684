// The worker's side of the protocol, kept free of worker globals so that Node tests
// and the benchmark can drive it directly. scan.worker.ts only wires it to `self`.
import { QdrantClient } from '@qdrant/js-client-rest';
import { isPanelMessage, PROTOCOL_VERSION, WorkerToPanel } from './protocol';

export class ScanService {
  constructor(private readonly post: (message: WorkerToPanel) => void) {}

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
          protocol: PROTOCOL_VERSION,
          qdrantClient: typeof QdrantClient === 'function'
        });
        break;
    }
  }
}

function describe(data: unknown): string {
  if (typeof data === 'object' && data !== null && 'type' in data) {
    return `type ${JSON.stringify((data as { type: unknown }).type)}`;
  }
  return typeof data;
}
