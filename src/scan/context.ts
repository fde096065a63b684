// What every phase of a scan shares: the client and the request, the settings, the caller
// that retries, the progress, the signal that stops it all, the clock; and after listing,
// what the queries are about.
import type { Schemas } from '@qdrant/js-client-rest';
import type { IScanClient } from './client';
import type { IVectorChoice } from './collection';
import type { IListing } from './list';
import type { IResolvedRequest } from './policies';
import type { ProgressReporter } from './progress';
import type { RetryingCaller } from './retry';
import type { IScanRequest } from './types';
import type { VectorFetcher } from './vectors';

export interface IScanContext {
  client: IScanClient;
  request: IScanRequest;
  options: IResolvedRequest;
  calls: RetryingCaller;
  progress: ProgressReporter;
  /** Aborted when the caller cancels and when the scan fails. */
  signal: AbortSignal;
  now: () => number;
}

/** What the queries after listing are about. */
export interface IQueryScope {
  listing: IListing;
  choice: IVectorChoice;
  /** The search params of every query (exact, hnsw_ef), before a query's own changes. */
  params: Schemas['SearchParams'];
  vectors: VectorFetcher;
}
