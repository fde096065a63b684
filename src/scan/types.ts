// The scan's vocabulary: what the panel asks for, what the worker reports while it works,
// and what it hands back. Plain data only (plus ScanError), so every shape survives postMessage.
import type { IScanErrorInfo } from './errors';
import type { ILonelyStats } from './lonely';
import type { IReviewTag } from './review';

/** Qdrant's distance functions, spelled as in the collection config. */
export type DistanceKind = 'Cosine' | 'Dot' | 'Euclid' | 'Manhattan';

/** A Qdrant point id: an unsigned integer or a UUID string. */
export type PointId = string | number;

/** What the panel asks the worker to scan. Every number is optional; defaults in `SCAN_DEFAULTS`. */
export interface IScanRequest {
  collection: string;
  /** The named vector to compare by; leave out for an unnamed vector or a single named one. */
  using?: string;
  /**
   * Qdrant's `score_threshold`, in the collection's own units: a similarity for Cosine and
   * Dot (pairs with score > threshold pass), a distance for Euclid and Manhattan (score < threshold).
   */
  threshold: number;
  /** Neighbours asked for per query page; a full page is asked again further on. */
  limit?: number;
  /** Queries per `queryBatch` request. */
  batchSize?: number;
  /** `queryBatch` requests in flight at once. */
  inFlight?: number;
  /** Points per `scroll` page while listing ids. */
  listPageSize?: number;
  /** Exact (brute-force) search instead of HNSW; slower, misses nothing. */
  exact?: boolean;
  /** HNSW `ef` at query time; larger finds more of the true neighbours. */
  hnswEf?: number;
  /**
   * When to take the sure route (query by each point's vector, exact search for the points
   * the index cannot reach; see IRecallEstimate.route): 'auto' (the default) when the audit
   * finds such points in its sample, 'always', or 'never' (the by-id pass alone).
   */
  cure?: CureMode;
  /**
   * On the sure route, how a point the index cannot reach finds its neighbours: 'deferred'
   * (the default: no search of its own; its group's cover and the lonely pass, both exact or
   * sketched over every point, find its pairs; when either does not run it is searched
   * exactly over every point after the lonely pass; bench/README.md), 'collection' (exact
   * search over every point at once) or 'unreachable' (a wide HNSW search, then
   * exact search among such points only: cheaper, but it missed 1 to 5 of 306,918 pairs at
   * 50k on a real server; bench/README.md, finding 7) or 'lonely' (exact search over every
   * point only for those whose own search found no neighbour; the others exactly among such
   * points and inside their groups).
   */
  sureExact?: SureExact;
  /** The audit's random seed; a fresh one per scan when left out (tests set it to replay). */
  auditSeed?: number;
  /** Points the audit checks exactly; default `auditSize(n)` (1%, at least 200). 0: no audit. */
  auditPoints?: number;
  /** Payload field naming the sample; the point id stands in when it is missing. */
  sampleIdField?: string;
  /** Payload field holding a thumbnail (URL, data URI or path under the Jupyter root). */
  thumbnailField?: string | null;
  /** Payload field holding the dataset split (train, test...). */
  splitField?: string | null;
  /**
   * Payload field where `plan.tag()` in the kernel marked members of an earlier scan's
   * groups (review.ts); read only when set.
   */
  reviewField?: string | null;
  retry?: IRetryPolicy;
}

/** How transient failures (network, 429, 5xx, timeouts) are retried. */
export interface IRetryPolicy {
  /** Retries after the first attempt. */
  retries?: number;
  /** First backoff delay; doubles with each retry. */
  baseDelayMs?: number;
  /** Cap on one backoff delay and on an honoured Retry-After. */
  maxDelayMs?: number;
}

export type CureMode = 'auto' | 'always' | 'never';

export type SureExact = 'deferred' | 'unreachable' | 'collection' | 'lonely';

export const SCAN_DEFAULTS = {
  limit: 32,
  batchSize: 256,
  inFlight: 2,
  // Ids with three payload fields per scroll page. Larger pages cost the backend and the
  // client less per point and wait less on a loaded machine (bench/README.md, Listing).
  listPageSize: 5000,
  exact: false,
  cure: 'auto',
  sampleIdField: 'sample_id',
  retries: 5,
  baseDelayMs: 500,
  maxDelayMs: 30000
} as const;

export type ScanPhase =
  | 'inspecting'
  | 'listing'
  | 'scanning'
  | 'checking'
  | 'details'
  | 'grouping'
  | 'complete'
  | 'cancelled'
  | 'error';

/** A progress report, posted a few times a second and once at the end. */
export interface IScanProgress {
  phase: ScanPhase;
  /** Point ids listed so far. */
  listed: number;
  /** Points whose neighbours are all known. */
  scanned: number;
  /** Points in the collection (Qdrant's estimate until listing ends, then exact). */
  total: number;
  /** Checking (after scanning): exact in-group queries answered, and how many there are. */
  checked?: number;
  toCheck?: number;
  /** Details (after checking): points in a pair whose sample id and thumbnail were read, of how many. */
  described?: number;
  toDescribe?: number;
  /** Distinct pairs passing the threshold so far. */
  pairs: number;
  /** Groups (components of two or more points) so far. */
  groups: number;
  /** Points per second in the current phase (listing or scanning; queries when checking). */
  rate: number;
  /** Seconds left in the scan, when it can be told. */
  etaSeconds: number | null;
  /** Set with phase 'error' or 'cancelled'. */
  error?: IScanErrorInfo;
}

/**
 * The points of a scan, by dense index: `ids[i]` is point i. Every point has its id and split;
 * sample ids, thumbnails and tags are read only for points in a pair (scan/details.ts):
 * the others have '' and null, and nothing shows them.
 */
export interface IScanPoints {
  ids: PointId[];
  sampleIds: string[];
  thumbnails: (string | null)[];
  splits: (string | null)[];
  /**
   * Tags an earlier scan's plan wrote on the points (null: none). Absent when the scan did
   * not read them (no `reviewField`) or was kept before they were read.
   */
  reviews?: (IReviewTag | null)[];
}

/**
 * Every pair found, each once with a < b (indices into IScanPoints). Parallel typed arrays,
 * so a million pairs cost 12 MB and cross postMessage without per-object overhead.
 */
export interface IPairList {
  a: Uint32Array;
  b: Uint32Array;
  score: Float32Array;
}

/** One link between two points, by index. */
export interface IPairLink {
  a: number;
  b: number;
  score: number;
}

/** A connected component of pairs that pass the threshold. */
export interface IDuplicateGroup {
  /** Stable within one grouping; the smallest member index. */
  key: number;
  /** Member indices, ascending; thumbnails and splits are at these indices in IScanPoints. */
  members: number[];
  pointIds: PointId[];
  sampleIds: string[];
  /** Pairs passing the threshold inside the group. */
  links: number;
  /** The most similar (or nearest) pair's score. */
  bestScore: number;
  /** The least similar (or farthest) pair's score among all links. */
  worstScore: number;
  /**
   * The weakest of the links that hold the group together: the lowest similarity on the
   * maximum spanning tree (the largest distance on the minimum one). Chaining can make
   * this much lower than bestScore; raising the threshold above it splits the group.
   */
  weakestLink: IPairLink;
  /** The member with the most links (smallest index on ties). */
  representative: number;
}

/** What a finished scan hands back. */
export interface IScanResult {
  collection: string;
  /**
   * The vector compared by; '' for the unnamed vector. null only in results saved before
   * the unnamed vector was named '' (persistence reads them back as they were).
   */
  using: string | null;
  distance: DistanceKind;
  threshold: number;
  points: IScanPoints;
  pairs: IPairList;
  groups: IDuplicateGroup[];
  stats: IScanStats;
  /** The scan's check of its own completeness; absent when the audit was turned off. */
  audit?: IRecallEstimate;
  /**
   * How many points the scan listed, in all and per split value: set on a restored scan,
   * whose `points` hold only the points with pairs (persistence.ts).
   */
  population?: IScanPopulation;
}

/** The points a scan listed: how many, and how many per split value. */
export interface IScanPopulation {
  points: number;
  splits: Record<string, number>;
}

/**
 * What an exact check of a random sample of points says about a finished scan. Every
 * sampled point's neighbours past the threshold are found by exact search and compared with
 * the pairs the scan found for it.
 */
export interface IRecallEstimate {
  /** The sample's seed: the same seed on the same collection checks the same points. */
  seed: number;
  /** Points checked exactly. */
  sampled: number;
  /** Pairs at the sampled points by exact search, and how many of them the scan found. */
  pairs: number;
  found: number;
  /** Sampled points with at least one pair the scan missed. */
  missedPoints: number;
  /** found / pairs; null when the sampled points have no pair at all. */
  recall: number | null;
  /** 95% interval (Wilson, Kish's effective sample size over points; see estimateRecall). */
  low: number | null;
  high: number | null;
  /**
   * Sampled points a search with their own vector does not return (nor an exact copy of
   * them): the index cannot reach them, so no approximate search finds their pairs.
   */
  unreachable: number;
  /**
   * How the main pass searched: 'by-id' (approximate, the point's id as the query),
   * 'sure' (by vector; exact search for every point its own search did not return) or
   * 'exact' (exact search for every point).
   */
  route: 'by-id' | 'sure' | 'exact';
  /** Sure route: points searched exactly because their own search did not return them. */
  searchedExactly: number;
  /**
   * Sure route (sureExact 'deferred'): points their own search did not return whose pairs the
   * group cover and the lonely pass found instead of a search of their own.
   */
  deferred?: number;
  /**
   * Of those, the points compared exactly only with a cover's answer (a neighbour's exact
   * search past a looser threshold, see the unreachableCover policy), not the collection.
   */
  coveredExactly?: number;
  /** Seconds one exact query took in the audit (per point, requests in flight counted). */
  exactSecondsPerPoint: number;
  /**
   * When the sample shows misses: what would cure them and about how long it would take
   * (seconds), from this scan's own timings. null when nothing needs curing.
   */
  cure: { route: 'sure' | 'exact'; seconds: number } | null;
}

export type { ILonelyStats } from './lonely';

export interface IScanStats {
  seconds: number;
  /** Neighbour queries, counting each page of a paged query. */
  queries: number;
  /** HTTP requests, retries included. */
  requests: number;
  retries: number;
  /**
   * Scan changes (issue 16): points added and deleted since the scan it took up, and when that
   * scan was kept (ms since the epoch).
   */
  changes?: { added: number; deleted: number; since: number };
  /** The lonely pass (lonely.ts): the points in no group, and what comparing them found. */
  lonely?: ILonelyStats;
}

// The error vocabulary lives in errors.ts; re-exported here, as every message shape is.
export { ScanError } from './errors';
export type { IScanErrorInfo, ScanErrorKind } from './errors';
