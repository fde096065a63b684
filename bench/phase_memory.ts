// V8's own memory figures by phase, sampled in the process itself: the benchmark's scan in Node
// (scan_node.ts) and the lonely pass's probe (lonely_fetch_probe.ts).

const MB = 1024 * 1024;

/** Bytes as MB, to one decimal. */
const mb = (x: number) => Math.round((x / MB) * 10) / 10;

/**
 * V8's own figures by scan phase: the largest heap (used and committed) and ArrayBuffer backing
 * stores seen, and their largest sum at one sample: in the browser the worker's budget
 * (issue 16: under 300 MB at 1M) is counted the same way (longtasks.mjs: the worker's committed
 * heap plus its backing stores). Sampled every 100 ms and at every progress report; a peak
 * inside one synchronous step between two samples is not seen.
 */
export class PhaseMemory {
  constructor() {
    this._timer = setInterval(() => this.sample(), 100);
  }

  sample(phase?: string, checked?: number): void {
    if (phase) {
      this._phase = phase;
    }
    if (checked !== undefined) {
      this._checked = checked;
    }
    const m = process.memoryUsage();
    const now = performance.now();
    if (now - this._lastRow >= 10_000) {
      // Every 10 s: where in the scan (phase, check queries done) the memory was.
      this._lastRow = now;
      this.timeline.push([
        Math.round((now - this._t0) / 100) / 10,
        this._phase,
        this._checked,
        mb(m.heapUsed),
        mb(m.heapTotal),
        mb(m.arrayBuffers)
      ]);
    }
    let row = this._peaks.get(this._phase);
    if (!row) {
      row = {
        heap_used: 0,
        heap_total: 0,
        array_buffers: 0,
        total_plus_buffers: 0,
        samples: 0
      };
      this._peaks.set(this._phase, row);
    }
    row.heap_used = Math.max(row.heap_used, m.heapUsed);
    row.heap_total = Math.max(row.heap_total, m.heapTotal);
    row.array_buffers = Math.max(row.array_buffers, m.arrayBuffers);
    row.total_plus_buffers = Math.max(
      row.total_plus_buffers,
      m.heapTotal + m.arrayBuffers
    );
    row.samples++;
  }

  stop(): void {
    clearInterval(this._timer);
  }

  /** MB per phase, in the order the phases came. */
  report(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const [phase, row] of this._peaks) {
      out[phase] = {
        heap_used_mb: mb(row.heap_used),
        heap_total_mb: mb(row.heap_total),
        array_buffers_mb: mb(row.array_buffers),
        heap_total_plus_buffers_mb: mb(row.total_plus_buffers),
        samples: row.samples
      };
    }
    return out;
  }

  /** [seconds, phase, check queries done, heap used, heap committed, ArrayBuffers (MB)] */
  readonly timeline: [number, string, number, number, number, number][] = [];
  private _phase = 'starting';
  private _checked = 0;
  private _t0 = performance.now();
  private _lastRow = -Infinity;
  private _timer: ReturnType<typeof setInterval>;
  private _peaks = new Map<
    string,
    {
      heap_used: number;
      heap_total: number;
      array_buffers: number;
      total_plus_buffers: number;
      samples: number;
    }
  >();
}
