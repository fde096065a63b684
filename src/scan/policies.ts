// The scan's settings, checked once: what the request asks for (validated, defaults filled
// in) and the named policies the phases follow. A policy is a design decision with a name,
// so the benchmark can undo one (bench/variants.json) to measure what it buys, by passing an
// option rather than editing the scanner.
import { ScanError } from './errors';
import {
  CureMode,
  IRetryPolicy,
  SCAN_DEFAULTS,
  IScanRequest,
  SureExact
} from './types';

/**
 * How a full page of neighbours is asked again. 'grow': from the start with a larger limit
 * (32, 96, 224, 480, 1024 at limit 32), by offset only past the largest page; 'offset': the
 * next page by offset at once (the first design: Qdrant orders equal scores arbitrarily, so
 * it repeats some exact copies and skips others).
 */
export type PagingPolicy = 'grow' | 'offset';

/**
 * Which pairs inside a group of 3 or more are asked about exactly after the main pass:
 * 'unknown' (those the main pass did not find), 'all', or 'none' (no check: an approximate
 * search can miss pairs among exact copies).
 */
export type CheckPolicy = 'unknown' | 'all' | 'none';

/** On the sure route, how a point the index cannot reach finds its neighbours; 'none' only times the by-vector pass. */
export type SureExactPolicy = SureExact | 'none';

/**
 * How large the first page of an exact search over the collection is (the cure's and the
 * audit's). An exact search compares with every point whatever its limit, so asking again for
 * a full page repeats the whole search; but a larger page is not free either (a real server:
 * 6.4 ms per search at limit 32, 7.3 ms at 128 or 256, 9.0 ms at 1024, at 50k x 256).
 * 'large': 8 times the scan's limit (256 at the default 32), which holds nearly every point's
 * neighbours at once. 'grow': the scan's limit (the audit's: 64), grown like any page (the
 * first design).
 */
export type ExactPagePolicy = 'large' | 'grow';

/**
 * Sure route: points the index cannot reach that are exact copies of one another (the same
 * stored vector). 'share': one of them is searched exactly and the others take its answer
 * (identical vectors score identically with every point); 'search': each is searched.
 */
export type UnreachableCopiesPolicy = 'share' | 'search';

/**
 * Sure route: points the index cannot reach that are near one another. 'cover': the exact
 * search over the collection asks past a looser threshold (metric.ts coverThreshold), so its
 * complete answer holds every neighbour of each of the point's own neighbours; one of them
 * that the index cannot reach either is then compared exactly with that answer only (a
 * has_id filter), not with the whole collection. 'none': each is searched over the
 * collection (the first design).
 */
export type UnreachableCoverPolicy = 'cover' | 'none';

/**
 * Sure route: how a point's own vector goes from the scroll that fetches it to the query that
 * sends it back. 'text': as the text it came in (vectorText.ts; only ids and scores parsed),
 * where the client offers text calls; 'numbers': parsed and written again by the client (the
 * first design: a third of the cure's added CPU at 50k).
 */
export type VectorsPolicy = 'text' | 'numbers';

/**
 * After the check, whether every pair that touches a point in a group is made sure of
 * (cover.ts): 'groups' searches exactly around balls of each group's members, past a looser
 * threshold that the triangle inequality makes hold each member's every neighbour, and
 * compares what comes back with the ball's members; a point that joins a group there is
 * searched exactly. 'none': the approximate pass and the check only (the design before issue
 * 16: at 200k the index left 119 pairs and 11 groups wrong).
 */
export type GroupCoverPolicy = 'groups' | 'none';

/**
 * After the cover, the points still in no group (lonely.ts): 'sketch' compares exactly the
 * pairs among them whose sketches of random projections are close (Cosine only), finding lone
 * pairs the index never linked; 'none': not asked (the design before: at a million points of
 * the benchmark's data, every pair the scan still missed was such a pair).
 */
export type LonelyPairsPolicy = 'sketch' | 'none';

export interface IScanPolicies {
  paging: PagingPolicy;
  vectors: VectorsPolicy;
  exactPage: ExactPagePolicy;
  unreachableCopies: UnreachableCopiesPolicy;
  unreachableCover: UnreachableCoverPolicy;
  check: CheckPolicy;
  groupCover: GroupCoverPolicy;
  lonelyPairs: LonelyPairsPolicy;
  /** Whether cure 'auto' takes the sure route when the audit finds points the index cannot reach. */
  autoCure: boolean;
  sureExact: SureExactPolicy;
  batching: {
    /** Queries per queryBatch request. */
    batchSize: number;
    /** A batch of checking queries names at most about this many point ids in its filters. */
    idsPerBatch: number;
    /** Pages never ask for more than this many neighbours, however often they grow. */
    maxPage: number;
  };
  /** queryBatch requests in flight at once. */
  pool: { inFlight: number };
  retry: Required<IRetryPolicy>;
}

/** What a host (the benchmark, a test) may set besides the request. */
export type PolicyOverrides = Partial<
  Pick<
    IScanPolicies,
    | 'paging'
    | 'vectors'
    | 'check'
    | 'groupCover'
    | 'lonelyPairs'
    | 'autoCure'
    | 'sureExact'
    | 'exactPage'
    | 'unreachableCopies'
    | 'unreachableCover'
  >
>;

/** The request, checked, with defaults filled in. */
export interface IResolvedRequest {
  limit: number;
  listPageSize: number;
  exact: boolean;
  cure: CureMode;
  /** undefined: the default size for the collection. */
  auditPoints?: number;
  sampleIdField: string;
  payloadFields: string[];
  policies: IScanPolicies;
}

/** The largest requests a scan sends, whatever it is asked (scanner.ts sets them). */
export interface IRequestLimits {
  /** Neighbours one query page asks for at most (a larger `limit` raises it). */
  maxPage: number;
  /** Point ids the filters of one batch of checking queries name, about. */
  idsPerBatch: number;
}

/** Checks a request and fills in its defaults; throws a 'bad-request' ScanError saying what is wrong. */
export function resolveRequest(
  request: IScanRequest,
  limits: IRequestLimits,
  overrides: PolicyOverrides = {}
): IResolvedRequest {
  const bad = (what: string): never => {
    throw new ScanError('bad-request', what);
  };
  if (typeof request.collection !== 'string' || request.collection === '') {
    bad('Choose a collection to scan.');
  }
  if (typeof request.threshold !== 'number' || !isFinite(request.threshold)) {
    bad(`The threshold must be a number, not ${String(request.threshold)}.`);
  }
  const count = (value: number | undefined, fallback: number, name: string) => {
    const v = value ?? fallback;
    if (!Number.isInteger(v) || v < 1) {
      bad(`${name} must be a whole number of at least 1, not ${String(v)}.`);
    }
    return v;
  };
  const sampleIdField = request.sampleIdField || SCAN_DEFAULTS.sampleIdField;
  const payloadFields = [
    sampleIdField,
    request.thumbnailField,
    request.splitField,
    request.reviewField
  ].filter((f, i, all): f is string => !!f && all.indexOf(f) === i);
  const retry = request.retry ?? {};
  const limit = count(
    request.limit,
    SCAN_DEFAULTS.limit,
    'The neighbours per query'
  );
  const batchSize = count(
    request.batchSize,
    SCAN_DEFAULTS.batchSize,
    'The batch size'
  );
  const inFlight = count(
    request.inFlight,
    SCAN_DEFAULTS.inFlight,
    'Requests in flight'
  );
  const listPageSize = count(
    request.listPageSize,
    SCAN_DEFAULTS.listPageSize,
    'The listing page size'
  );
  const cure = cureMode(request.cure);
  const sureExact: SureExact =
    request.sureExact === undefined
      ? 'deferred'
      : ['deferred', 'collection', 'unreachable', 'lonely'].includes(
            request.sureExact
          )
        ? request.sureExact
        : bad(
            `sureExact must be 'deferred', 'collection', 'unreachable' or 'lonely', not ${String(request.sureExact)}.`
          );
  return {
    limit,
    listPageSize,
    exact: request.exact ?? SCAN_DEFAULTS.exact,
    cure,
    auditPoints: auditPointsOf(request.auditPoints),
    sampleIdField,
    payloadFields,
    policies: {
      paging: overrides.paging ?? 'grow',
      vectors: overrides.vectors ?? 'text',
      exactPage: overrides.exactPage ?? 'large',
      unreachableCopies: overrides.unreachableCopies ?? 'share',
      unreachableCover: overrides.unreachableCover ?? 'cover',
      check: overrides.check ?? 'unknown',
      groupCover: overrides.groupCover ?? 'groups',
      lonelyPairs: overrides.lonelyPairs ?? 'sketch',
      autoCure: overrides.autoCure ?? true,
      sureExact: overrides.sureExact ?? sureExact,
      batching: {
        batchSize,
        idsPerBatch: limits.idsPerBatch,
        maxPage: Math.max(limits.maxPage, limit)
      },
      pool: { inFlight },
      retry: {
        retries: Math.max(0, retry.retries ?? SCAN_DEFAULTS.retries),
        baseDelayMs: Math.max(
          0,
          retry.baseDelayMs ?? SCAN_DEFAULTS.baseDelayMs
        ),
        maxDelayMs: Math.max(0, retry.maxDelayMs ?? SCAN_DEFAULTS.maxDelayMs)
      }
    }
  };
}

function cureMode(value: unknown): CureMode {
  if (value === undefined) {
    return SCAN_DEFAULTS.cure;
  }
  if (value === 'auto' || value === 'always' || value === 'never') {
    return value;
  }
  throw new ScanError(
    'bad-request',
    `cure must be "auto", "always" or "never", not ${JSON.stringify(value)}.`
  );
}

function auditPointsOf(value: number | undefined): number | undefined {
  if (value !== undefined && (!Number.isInteger(value) || value < 0)) {
    throw new ScanError(
      'bad-request',
      `The audit's sample must be a whole number of points (0 for none), not ${String(value)}.`
    );
  }
  return value;
}

/** The first page of an exact search over the collection (the exactPage policy). */
export function firstExactPage(
  options: Pick<IResolvedRequest, 'limit' | 'policies'>,
  grown: number
): number {
  const { exactPage, batching } = options.policies;
  return exactPage === 'large'
    ? Math.min(batching.maxPage, Math.max(grown, 8 * options.limit))
    : grown;
}
