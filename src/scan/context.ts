// What every phase of a scan shares: the client and the request, the settings, the caller
// that retries, the progress, the signal that stops it all, the clock; and after listing,
// what the queries are about.
import type { Schemas } from '@qdrant/js-client-rest';
import type { ScanClient } from './client';
import type { VectorChoice } from './collection';
import type { Listing } from './list';
import type { ResolvedRequest } from './policies';
import type { ProgressReporter } from './progress';
import type { RetryingCaller } from './retry';
import type { ScanRequest } from './types';
import type { VectorFetcher } from './vectors';

export interface ScanContext {
  client: ScanClient;
  request: ScanRequest;
  options: ResolvedRequest;
  calls: RetryingCaller;
  progress: ProgressReporter;
  /** Aborted when the caller cancels and when the scan fails. */
  signal: AbortSignal;
  now: () => number;
}

/** What the queries after listing are about. */
export interface QueryScope {
  listing: Listing;
  choice: VectorChoice;
  /** The search params of every query (exact, hnsw_ef), before a query's own changes. */
  params: Schemas['SearchParams'];
  vectors: VectorFetcher;
}
