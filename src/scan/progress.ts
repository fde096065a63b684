// Progress as the panel sees it: the latest counts, sent a few times a second and at once
// on every phase change, with the current phase's rate and the time left.
import type { ScanError, IScanErrorInfo } from './errors';
import type { ScanPhase, IScanProgress } from './types';

/** With no change to report, progress still goes out this often so rate and ETA stay fresh. */
const HEARTBEAT_MS = 250;

export function defaultNow(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

/**
 * Keeps the latest counts and reports them at most every `intervalMs`, at least every
 * HEARTBEAT_MS while a phase runs, and at once on every phase change.
 */
export class ProgressReporter {
  constructor(
    private readonly onProgress:
      ((progress: IScanProgress) => void) | undefined,
    private readonly now: () => number,
    private readonly intervalMs: number
  ) {}

  setPhase(phase: ScanPhase): void {
    this.state.phase = phase;
    this.phaseStarted = this.now();
    this.phaseStartCount = this.counter();
    const running =
      phase === 'listing' ||
      phase === 'scanning' ||
      phase === 'checking' ||
      phase === 'details';
    if (running && this.onProgress && this.timer === null) {
      this.timer = setInterval(() => {
        if (this.now() - this.lastSent >= HEARTBEAT_MS) {
          this.emit();
        }
      }, HEARTBEAT_MS);
    } else if (!running) {
      this.stop();
    }
    if (phase === 'complete') {
      this.state.scanned = this.state.total;
    }
    this.emit();
  }

  update(
    counts: Partial<Omit<IScanProgress, 'phase' | 'rate' | 'etaSeconds'>>
  ): void {
    Object.assign(this.state, counts);
    if (this.now() - this.lastSent >= this.intervalMs) {
      this.emit();
    }
  }

  fail(error: ScanError): void {
    const info: IScanErrorInfo = error.toJSON();
    this.state.error = info;
    this.setPhase(error.kind === 'cancelled' ? 'cancelled' : 'error');
  }

  stop(): void {
    if (this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  private counter(): number {
    switch (this.state.phase) {
      case 'listing':
        return this.state.listed;
      case 'checking':
        return this.state.checked ?? 0;
      case 'details':
        return this.state.described ?? 0;
      default:
        return this.state.scanned;
    }
  }

  private emit(): void {
    const t = this.now();
    this.lastSent = t;
    if (!this.onProgress) {
      return;
    }
    const { phase } = this.state;
    let rate = 0;
    let etaSeconds: number | null = null;
    if (
      phase === 'listing' ||
      phase === 'scanning' ||
      phase === 'checking' ||
      phase === 'details'
    ) {
      const seconds = (t - this.phaseStarted) / 1000;
      const done = this.counter() - this.phaseStartCount;
      rate = seconds > 0 ? done / seconds : 0;
      if (phase === 'scanning' && rate > 0) {
        etaSeconds = Math.max(0, this.state.total - this.state.scanned) / rate;
      } else if (phase === 'checking' && rate > 0) {
        etaSeconds =
          Math.max(0, (this.state.toCheck ?? 0) - (this.state.checked ?? 0)) /
          rate;
      } else if (phase === 'details' && rate > 0) {
        etaSeconds =
          Math.max(
            0,
            (this.state.toDescribe ?? 0) - (this.state.described ?? 0)
          ) / rate;
      }
    } else if (phase === 'complete') {
      etaSeconds = 0;
    }
    this.onProgress({ ...this.state, rate, etaSeconds });
  }

  private readonly state: IScanProgress = {
    phase: 'inspecting',
    listed: 0,
    scanned: 0,
    total: 0,
    pairs: 0,
    groups: 0,
    rate: 0,
    etaSeconds: null
  };
  private phaseStarted = 0;
  private phaseStartCount = 0;
  private lastSent = -Infinity;
  private timer: ReturnType<typeof setInterval> | null = null;
}
