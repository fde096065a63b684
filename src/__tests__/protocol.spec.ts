// The panel <-> worker protocol, driven through the worker's real message handler in Node.
import {
  isPanelMessage,
  isWorkerMessage,
  PROTOCOL_VERSION,
  WorkerToPanel
} from '../scan/protocol';
import { ScanService } from '../scan/scanService';

function replies(data: unknown): WorkerToPanel[] {
  const out: WorkerToPanel[] = [];
  new ScanService(message => out.push(message)).handle(data);
  return out;
}

describe('scan worker protocol', () => {
  it('answers hello with ready, its protocol version and a loaded Qdrant client', () => {
    expect(replies({ type: 'hello' })).toEqual([
      { type: 'ready', protocol: PROTOCOL_VERSION, qdrantClient: true }
    ]);
  });

  it.each([[null], ['hello'], [{}], [{ type: 42 }], [{ type: 'explode' }]])(
    'answers a message it does not understand (%p) with an error, not silence',
    data => {
      const out = replies(data);
      expect(out).toHaveLength(1);
      expect(out[0].type).toBe('error');
      expect((out[0] as { message: string }).message).toMatch(
        /does not understand/
      );
    }
  );

  it('tells panel messages from worker messages', () => {
    expect(isPanelMessage({ type: 'hello' })).toBe(true);
    expect(isWorkerMessage({ type: 'hello' })).toBe(false);
    expect(isWorkerMessage({ type: 'ready', protocol: 1, qdrantClient: true })).toBe(
      true
    );
    expect(isPanelMessage({ type: 'ready' })).toBe(false);
  });
});
