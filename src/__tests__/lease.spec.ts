// The worker keeps a scan's claim on its collection alive, and stops the scan when the server
// refuses it. Fake timers, clock and fetch; the scan itself runs over a fake Qdrant client.
import {
  ILeaseClock,
  IScanLease,
  LeaseFetch,
  LeaseKeeper
} from '../scan/lease';
import { WorkerToPanel } from '../scan/protocol';
import { ScanService } from '../scan/scanService';
import { IScanErrorInfo } from '../scan/types';
import { circlePoints, FakeQdrant } from './fakeQdrant';

const LEASE: IScanLease = {
  url: 'http://localhost:8888/near-duplicates/api/scans',
  collection: 'images',
  renewMs: 10_000,
  ttlMs: 30_000
};
const HEADERS = { Authorization: 'token abc', 'X-XSRFToken': 'xyz' };

/** Timers that fire only when the test says so, and a clock it moves. */
class FakeClock implements ILeaseClock {
  time = 0;
  callbacks = new Map<number, () => void>();
  private next = 1;
  setInterval(callback: () => void, ms: number): unknown {
    expect(ms).toBe(LEASE.renewMs);
    const id = this.next++;
    this.callbacks.set(id, callback);
    return id;
  }
  clearInterval(handle: unknown): void {
    this.callbacks.delete(handle as number);
  }
  now(): number {
    return this.time;
  }
  /** Moves the clock one renewal period and fires what is due. */
  tick(): void {
    this.time += LEASE.renewMs;
    [...this.callbacks.values()].forEach(callback => callback());
  }
}

/** A fake server answering renewals with the given statuses in turn (a thrown Error = unreachable). */
function fakeFetch(answers: (number | Error)[]) {
  const calls: { url: string; init: Parameters<LeaseFetch>[1] }[] = [];
  const fetch: LeaseFetch = async (url, init) => {
    calls.push({ url, init });
    const answer = answers.length > 1 ? answers.shift()! : answers[0];
    if (answer instanceof Error) {
      throw answer;
    }
    return { status: answer, text: async () => '' };
  };
  return { fetch, calls };
}

const settle = () => new Promise(resolve => setTimeout(resolve, 0));

describe('LeaseKeeper (fake clock and fetch)', () => {
  it('renews the claim on its own timer, with Jupyter auth headers, until stopped', async () => {
    const clock = new FakeClock();
    const { fetch, calls } = fakeFetch([200]);
    const lost: IScanErrorInfo[] = [];
    const keeper = new LeaseKeeper(
      LEASE,
      'scan-1',
      HEADERS,
      e => lost.push(e),
      fetch,
      clock
    );
    keeper.start();
    expect(calls).toHaveLength(0);
    for (let i = 0; i < 6; i++) {
      clock.tick();
      await settle();
    }
    expect(calls).toHaveLength(6);
    expect(calls[0].url).toBe(LEASE.url);
    expect(calls[0].init.method).toBe('POST');
    expect(calls[0].init.headers).toEqual({
      ...HEADERS,
      'Content-Type': 'application/json'
    });
    expect(JSON.parse(calls[0].init.body)).toEqual({
      collection: 'images',
      scan_id: 'scan-1'
    });
    keeper.stop();
    expect(clock.callbacks.size).toBe(0);
    expect(lost).toEqual([]);
  });

  it('rides out failed renewals within the lease, and gives up when it has lapsed', async () => {
    const clock = new FakeClock();
    const { fetch } = fakeFetch([
      new Error('offline'),
      502,
      200,
      new Error('offline')
    ]);
    const lost: IScanErrorInfo[] = [];
    new LeaseKeeper(
      LEASE,
      'scan-1',
      HEADERS,
      e => lost.push(e),
      fetch,
      clock
    ).start();
    // Two failures (20 s), then a renewal: the claim never lapsed.
    for (let i = 0; i < 3; i++) {
      clock.tick();
      await settle();
    }
    expect(lost).toEqual([]);
    // Unreachable from then on: after 30 s without a renewal the claim has lapsed.
    for (let i = 0; i < 2; i++) {
      clock.tick();
      await settle();
    }
    expect(lost).toEqual([]);
    clock.tick();
    await settle();
    expect(lost).toEqual([expect.objectContaining({ kind: 'busy' })]);
    expect(lost[0].message).toContain(
      'could not renew its claim on images for 30 s'
    );
    expect(clock.callbacks.size).toBe(0);
  });
});

describe('a scan whose lease renewal is refused (fake clock, fetch and Qdrant client)', () => {
  const request = { collection: 'images', threshold: 0.999, batchSize: 1 };
  const connection = {
    url: 'http://localhost:8888',
    prefix: '/near-duplicates/qdrant',
    headers: HEADERS
  };

  it('stops at once and says another tab has the collection', async () => {
    const clock = new FakeClock();
    const { fetch, calls } = fakeFetch([200, 409]);
    const qdrant = new FakeQdrant(circlePoints(), 'Cosine', { delayMs: 20 });
    const out: WorkerToPanel[] = [];
    const service = new ScanService(
      m => out.push(m),
      () => qdrant,
      { fetch, clock }
    );
    const done = service.start('scan-9', connection, request, LEASE);
    clock.tick();
    await settle();
    await new Promise(resolve => setTimeout(resolve, 30));
    expect(out.some(m => m.type === 'failed')).toBe(false);
    clock.tick();
    await done;
    const callsAtStop = qdrant.calls.length;
    await new Promise(resolve => setTimeout(resolve, 60));

    expect(calls).toHaveLength(2);
    expect(qdrant.calls.length).toBe(callsAtStop);
    expect(out[out.length - 1]).toEqual({
      type: 'failed',
      scanId: 'scan-9',
      error: expect.objectContaining({ kind: 'busy', status: 409 })
    });
    const failed = out[out.length - 1] as { error: IScanErrorInfo };
    expect(failed.error.message).toContain(
      'images is now being scanned from another panel or browser tab'
    );
    expect(out.some(m => m.type === 'result')).toBe(false);
    expect(clock.callbacks.size).toBe(0);
  });

  it('stops renewing once the scan has finished', async () => {
    const clock = new FakeClock();
    const { fetch, calls } = fakeFetch([200]);
    const out: WorkerToPanel[] = [];
    const service = new ScanService(
      m => out.push(m),
      () => new FakeQdrant(circlePoints()),
      {
        fetch,
        clock
      }
    );
    await service.start(
      'scan-3',
      connection,
      { collection: 'images', threshold: 0.999 },
      LEASE
    );
    expect(out[out.length - 1].type).toBe('result');
    expect(clock.callbacks.size).toBe(0);
    clock.tick();
    await settle();
    expect(calls).toHaveLength(0);
  });
});
