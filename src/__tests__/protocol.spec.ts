// The panel <-> worker protocol, driven through the worker's real message handler in Node.
import {
  isPanelMessage,
  isWorkerMessage,
  WORKER_PROTOCOL,
  WorkerToPanel
} from '../scan/protocol';
import { ScanService } from '../scan/scanService';
import { extrasTransferables } from '../scan/resultExtras';
import { ResultAssembler } from '../scan/resultParts';
import { circlePoints, FakeQdrant } from './fakeQdrant';

function replies(data: unknown): WorkerToPanel[] {
  const out: WorkerToPanel[] = [];
  new ScanService(message => out.push(message)).handle(data);
  return out;
}

describe('the worker entry (src/scan/scan.worker.ts, bundled by esbuild alone)', () => {
  it('answers the panel through its global scope', async () => {
    const posted: unknown[] = [];
    const scope = self as unknown as {
      postMessage: (message: unknown) => void;
      onmessage: ((event: { data: unknown }) => void) | null;
    };
    const original = scope.postMessage;
    scope.postMessage = message => posted.push(message);
    try {
      await import('../scan/scan.worker');
      scope.onmessage!({ data: { type: 'hello' } });
      expect(posted).toEqual([
        expect.objectContaining({ type: 'ready', protocol: WORKER_PROTOCOL })
      ]);
    } finally {
      scope.postMessage = original;
      scope.onmessage = null;
    }
  });
});

describe('scan worker protocol', () => {
  it('answers hello with ready and the protocol version it speaks', () => {
    const out = replies({ type: 'hello' });
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ type: 'ready', protocol: WORKER_PROTOCOL });
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
    expect(
      isWorkerMessage({ type: 'ready', protocol: 1, qdrantClient: true })
    ).toBe(true);
    expect(isPanelMessage({ type: 'ready' })).toBe(false);
  });
});

describe('scan worker protocol: start and cancel, with a fake Qdrant client', () => {
  const request = {
    collection: 'images',
    threshold: 0.999,
    thumbnailField: 'thumbnail',
    splitField: 'split'
  };
  const connection = {
    url: 'http://localhost:8888',
    prefix: '/near-duplicates/qdrant'
  };

  it('streams progress, then the result with its pair arrays transferred', async () => {
    const out: { message: WorkerToPanel; transfer?: ArrayBuffer[] }[] = [];
    const fake = new FakeQdrant(circlePoints());
    const seen: unknown[] = [];
    const service = new ScanService(
      (message, transfer) => out.push({ message, transfer }),
      c => {
        seen.push(c);
        return fake;
      }
    );
    await service.start('scan-1', connection, request);

    expect(seen).toEqual([connection]);
    const types = out.map(o => o.message.type);
    expect(types[types.length - 1]).toBe('result');
    // Progress, then the result's points and groups in parts, then the rest of the result.
    const partAt = types.indexOf('result-part');
    expect(partAt).toBeGreaterThan(0);
    expect(types.slice(0, partAt).every(t => t === 'progress')).toBe(true);
    expect(types.slice(partAt, -1).every(t => t === 'result-part')).toBe(true);
    const last = out[out.length - 1];
    if (last.message.type !== 'result') {
      throw new Error('no result');
    }
    expect(last.message.scanId).toBe('scan-1');
    expect(last.message.parts).toBe(types.length - 1 - partAt);
    const assembler = new ResultAssembler();
    for (const { message } of out.slice(partAt, -1)) {
      if (message.type === 'result-part') {
        assembler.add(message.scanId, message.part);
      }
    }
    const whole = assembler.finish(
      'scan-1',
      last.message.result,
      last.message.parts!
    )!;
    expect(whole.groups.map(g => [...g.sampleIds].sort())).toEqual([
      ['12', 'dupA_1', 'dupA_2'],
      ['14', '77']
    ]);
    expect(whole.points.ids).toHaveLength(circlePoints().length);
    const { result, layout, extras } = last.message;
    // The pairs and their layout for regrouping move to the panel: every buffer, each once
    // (the pairs share their scores with the layout).
    expect(layout).toBeDefined();
    expect(result.pairs.score.buffer).toBe(layout!.score.buffer);
    const expected = [
      result.pairs.a.buffer,
      result.pairs.b.buffer,
      result.pairs.score.buffer,
      ...[
        layout!.point,
        layout!.pointStart,
        layout!.pairStart,
        layout!.a,
        layout!.b,
        layout!.score
      ].map(x => x.buffer),
      ...extrasTransferables(extras!)
    ].filter((buffer, i, all) => all.indexOf(buffer) === i);
    expect(last.transfer).toHaveLength(expected.length);
    expect(new Set(last.transfer).size).toBe(expected.length);
    expected.forEach(buffer => expect(last.transfer).toContain(buffer));
  });

  it('stops a scan on cancel and says it was cancelled', async () => {
    const out: WorkerToPanel[] = [];
    const fake = new FakeQdrant(circlePoints(), 'Cosine', { delayMs: 20 });
    const service = new ScanService(
      message => out.push(message),
      () => fake
    );
    const done = service.start('scan-2', connection, {
      ...request,
      batchSize: 1
    });
    await new Promise(resolve => setTimeout(resolve, 30));
    service.handle({ type: 'cancel', scanId: 'scan-2' });
    await done;
    const callsAtCancel = fake.calls.length;
    await new Promise(resolve => setTimeout(resolve, 60));

    expect(fake.calls.length).toBe(callsAtCancel);
    const last = out[out.length - 1];
    expect(last).toEqual({
      type: 'failed',
      scanId: 'scan-2',
      error: expect.objectContaining({ kind: 'cancelled' })
    });
  });
});
