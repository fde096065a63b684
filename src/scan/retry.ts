// The retry policy at work: every call to Qdrant goes through a RetryingCaller, which retries
// what errors.ts calls transient with exponential backoff, stops at once when the scan is
// aborted, and counts requests and retries for the scan's stats.
import { cancelledError, classify } from './errors';
import type { IRetryPolicy } from './types';

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** Sends calls, retrying transient failures with exponential backoff; counts requests. */
export class RetryingCaller {
  constructor(
    private readonly policy: Required<IRetryPolicy>,
    private readonly sleep: Sleep,
    private readonly signal: AbortSignal | undefined,
    private readonly collection: string
  ) {}

  requests = 0;
  retries = 0;

  async call<T>(send: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      if (this.signal?.aborted) {
        throw cancelledError();
      }
      this.requests++;
      try {
        return await abortable(send(), this.signal);
      } catch (error) {
        if (this.signal?.aborted) {
          throw cancelledError();
        }
        const verdict = classify(error, this.collection, attempt + 1);
        if (!verdict.transient || attempt >= this.policy.retries) {
          throw verdict.error;
        }
        this.retries++;
        const backoff = Math.min(
          this.policy.maxDelayMs,
          this.policy.baseDelayMs * 2 ** attempt * (0.75 + Math.random() * 0.5)
        );
        const delay = Math.max(
          backoff,
          Math.min(verdict.retryAfterMs ?? 0, this.policy.maxDelayMs)
        );
        await this.sleep(delay, this.signal);
      }
    }
  }
}

/** Rejects as soon as the signal aborts; the request itself runs on and its answer is dropped. */
function abortable<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined
): Promise<T> {
  if (!signal) {
    return promise;
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(cancelledError());
    if (signal.aborted) {
      onAbort();
    }
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      value => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      error => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      }
    );
  });
}

export function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(cancelledError());
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelledError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
