// The panel model with a fake in-process worker (no real Worker in jsdom): it starts the
// worker once, reports its reply, and reports a failure instead of hanging.
import { IScanWorker, NearDuplicatesModel } from '../model';
import { PanelToWorker, PROTOCOL_VERSION } from '../scan/protocol';
import { ScanService } from '../scan/scanService';

class FakeInProcessWorker implements IScanWorker {
  onmessage: ((event: MessageEvent) => void) | null = null;
  onerror: ((event: ErrorEvent) => void) | null = null;
  terminated = false;
  posted: PanelToWorker[] = [];
  private service = new ScanService(message =>
    this.onmessage?.({ data: message } as MessageEvent)
  );

  postMessage(message: PanelToWorker): void {
    this.posted.push(message);
    this.service.handle(message);
  }

  terminate(): void {
    this.terminated = true;
  }
}

describe('NearDuplicatesModel with a fake in-process worker', () => {
  it('starts the worker once and shows its ready reply', () => {
    const worker = new FakeInProcessWorker();
    let created = 0;
    const model = new NearDuplicatesModel(() => {
      created++;
      return worker;
    });
    const changes: string[] = [];
    model.stateChanged.connect(() => changes.push(model.workerStatus.state));

    expect(model.workerStatus).toEqual({ state: 'starting' });
    model.start();
    model.start();

    expect(created).toBe(1);
    expect(worker.posted).toEqual([{ type: 'hello' }]);
    expect(model.workerStatus).toEqual({
      state: 'ready',
      protocol: PROTOCOL_VERSION,
      qdrantClient: true
    });
    expect(changes).toEqual(['ready']);
  });

  it('reports a worker that cannot start', () => {
    const model = new NearDuplicatesModel(() => {
      throw new Error('blocked by policy');
    });
    model.start();
    expect(model.workerStatus).toEqual({
      state: 'failed',
      message: 'The scan worker could not start: Error: blocked by policy'
    });
  });

  it('reports a worker that crashes', () => {
    const worker = new FakeInProcessWorker();
    const model = new NearDuplicatesModel(() => worker);
    model.start();
    worker.onerror?.({ message: 'SyntaxError in bundle' } as ErrorEvent);
    expect(model.workerStatus).toEqual({
      state: 'failed',
      message: 'The scan worker failed: SyntaxError in bundle'
    });
  });

  it('terminates the worker when disposed', () => {
    const worker = new FakeInProcessWorker();
    const model = new NearDuplicatesModel(() => worker);
    model.start();
    model.dispose();
    expect(worker.terminated).toBe(true);
  });
});
