// The request pool: batches run with at most `width` in flight, the next one taken as soon
// as one finishes, until there is no work left and nothing in flight.
import { cancelledError } from './errors';

/** Runs batches with at most `width` in flight until there is no work and nothing in flight. */
export function runPool<B>(
  hasWork: () => boolean,
  take: () => B,
  run: (batch: B) => Promise<void>,
  width: number,
  signal: AbortSignal | undefined
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let active = 0;
    let settled = false;
    const settle = (error?: unknown) => {
      if (settled) {
        return;
      }
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (error === undefined) {
        resolve();
      } else {
        reject(error);
      }
    };
    const onAbort = () => settle(cancelledError());
    const pump = () => {
      while (!settled && active < width && hasWork()) {
        active++;
        run(take()).then(
          () => {
            active--;
            pump();
          },
          error => settle(error ?? new Error('A batch failed.'))
        );
      }
      if (!settled && active === 0 && !hasWork()) {
        settle();
      }
    };
    if (signal?.aborted) {
      settle(cancelledError());
      return;
    }
    signal?.addEventListener('abort', onAbort);
    pump();
  });
}

/** Runs every item in batches of `size` through the pool. */
export function runChunks<T>(
  items: T[],
  size: number,
  run: (batch: T[]) => Promise<void>,
  width: number,
  signal: AbortSignal | undefined
): Promise<void> {
  const batches = chunks(items, size);
  let cursor = 0;
  return runPool(
    () => cursor < batches.length,
    () => batches[cursor++],
    run,
    width,
    signal
  );
}

export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let s = 0; s < items.length; s += size) {
    out.push(items.slice(s, s + size));
  }
  return out;
}
