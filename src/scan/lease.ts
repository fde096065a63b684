// Keeps a running scan's claim on its collection alive from the worker. A hidden tab's page
// timers may fire only once a minute (Chrome's intensive throttling of chained timers, since
// Chrome 88), which lets a 30 s lease lapse mid-scan; that throttling is for the page's
// timers, and its counterpart for dedicated workers was never shipped (chromestatus
// 6334419736461312), so the worker renews on time. DOM-free: timers and fetch are passed in.
import type { IScanErrorInfo } from './types';

/** Where and how often the worker renews the claim the panel made before the scan. */
export interface IScanLease {
  /** The server's `POST .../near-duplicates/api/scans` URL. */
  url: string;
  collection: string;
  /** Renewal period; well within `ttlMs`, so one failed renewal loses nothing. */
  renewMs: number;
  /** How long the server keeps a claim that is not renewed. */
  ttlMs: number;
}

/** The part of a fetch answer the keeper reads. */
export interface ILeaseAnswer {
  status: number;
  text(): Promise<string>;
}

export type LeaseFetch = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string }
) => Promise<ILeaseAnswer>;

/** Timers and clock; the worker's own by default, fakes in tests. */
export interface ILeaseClock {
  setInterval(callback: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
  now(): number;
}

export const WORKER_CLOCK: ILeaseClock = {
  setInterval: (callback, ms) => setInterval(callback, ms),
  clearInterval: handle =>
    clearInterval(handle as ReturnType<typeof setInterval>),
  now: () => Date.now()
};

/**
 * Renews `lease` for `scanId` every `renewMs` until stopped. Calls `onLost` once when the
 * server gives the collection to another scan (409), or when no renewal has succeeded for
 * a whole `ttlMs` (the claim has lapsed, so another scan may start).
 */
export class LeaseKeeper {
  constructor(
    private readonly lease: IScanLease,
    private readonly scanId: string,
    private readonly headers: Record<string, string>,
    private readonly onLost: (error: IScanErrorInfo) => void,
    private readonly fetchFn: LeaseFetch,
    private readonly clock: ILeaseClock = WORKER_CLOCK
  ) {}

  start(): void {
    if (this.timer !== null || this.stopped) {
      return;
    }
    this.renewedAt = this.clock.now();
    this.timer = this.clock.setInterval(
      () => void this.renew(),
      this.lease.renewMs
    );
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) {
      this.clock.clearInterval(this.timer);
      this.timer = null;
    }
  }

  /** One renewal; resolves when its answer has been handled. */
  async renew(): Promise<void> {
    if (this.stopped || this.inFlight) {
      return;
    }
    this.inFlight = true;
    const { collection } = this.lease;
    try {
      const answer = await this.fetchFn(this.lease.url, {
        method: 'POST',
        headers: { ...this.headers, 'Content-Type': 'application/json' },
        body: JSON.stringify({ collection, scan_id: this.scanId })
      });
      if (answer.status === 409) {
        this.lose({
          kind: 'busy',
          status: 409,
          message:
            `This scan stopped: ${collection} is now being scanned from another panel or ` +
            'browser tab, which claimed it while this scan could not renew its claim. ' +
            'Wait for that scan to finish, or cancel it there, then detect again.'
        });
        return;
      }
      if (answer.status >= 200 && answer.status < 300) {
        this.renewedAt = this.clock.now();
        return;
      }
    } catch {
      // Unreachable for now: the next renewal may get through before the claim lapses.
    } finally {
      this.inFlight = false;
    }
    if (this.clock.now() - this.renewedAt >= this.lease.ttlMs) {
      this.lose({
        kind: 'busy',
        message:
          `This scan stopped: the Jupyter server could not renew its claim on ${collection} ` +
          `for ${Math.round(this.lease.ttlMs / 1000)} s, so another panel or browser tab ` +
          'could start a second scan of it. Check that the server is running, then detect again.'
      });
    }
  }

  private lose(error: IScanErrorInfo): void {
    if (this.stopped) {
      return;
    }
    this.stop();
    this.onLost(error);
  }

  private timer: unknown = null;
  private stopped = false;
  private inFlight = false;
  private renewedAt = 0;
}
