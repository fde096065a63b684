// A fake Qdrant client for DOM-free unit tests: a brute-force in-memory index that answers
// getCollection, scroll and queryBatch the way Qdrant's REST API does.
import type { ICollectionInfoLike } from '../scan/collection';
import type { NeighbourQuery, IScanClient } from '../scan/scanner';
import type { DistanceKind, IScanResult } from '../scan/types';

type Id = string | number;

export interface FakePoint {
  id: Id;
  vector: number[];
  payload?: Record<string, unknown>;
}

/** What the fake does on its next call of a method instead of answering. */
type Fault = unknown | ((call: number) => unknown);

/** A brute-force stand-in for a Qdrant server. Records every call. */
export class FakeQdrant implements IScanClient {
  constructor(
    points: FakePoint[],
    readonly distance: DistanceKind = 'Cosine',
    options: {
      vectorsConfig?: ICollectionInfoLike['config']['params'];
      pointsCount?: number | null;
      /** Answers with score >= threshold, to check the scan's own strictness. */
      lenient?: boolean;
      /** Points the index holds but scroll does not list (added after listing). */
      hidden?: FakePoint[];
      delayMs?: number;
      /**
       * Pairs an approximate search does not return (as HNSW can miss among exact copies);
       * an exact search (`params.exact`) still finds them.
       */
      approximateMisses?: [Id, Id][];
      /**
       * Orders equal scores differently for every offset + limit, as Qdrant does (its order
       * of ties depends on how many candidates the search keeps).
       */
      shuffleTies?: boolean;
      /**
       * Scroll answers with_vector with the points' vectors (the lonely pass's sketches); off,
       * as most tests' scans never need them (and this fake answers no query by vector).
       */
      servesVectors?: boolean;
      /** What getCollection says of the HNSW index (absent by default, as this fake has none). */
      indexedVectors?: number;
    } = {}
  ) {
    this.points = [...points].sort((x, y) =>
      String(x.id).localeCompare(String(y.id))
    );
    this.hidden = options.hidden ?? [];
    this.lenient = options.lenient ?? false;
    this.delayMs = options.delayMs ?? 0;
    this.shuffleTies = options.shuffleTies ?? false;
    this.servesVectors = options.servesVectors ?? false;
    this.indexedVectors = options.indexedVectors;
    this.misses = new Set(
      (options.approximateMisses ?? []).flatMap(([a, b]) => [
        `${a}|${b}`,
        `${b}|${a}`
      ])
    );
    this.pointsCount =
      options.pointsCount === undefined ? points.length : options.pointsCount;
    this.params = options.vectorsConfig ?? {
      vectors: { size: points[0]?.vector.length ?? 2, distance }
    };
  }

  calls: { method: string; body: unknown }[] = [];
  faults: Record<string, Fault[]> = {};
  inFlight = 0;
  maxInFlight = 0;
  /** Called before each queryBatch answers; lets a test act mid-scan. */
  beforeQuery: ((call: number) => void | Promise<void>) | null = null;

  fail(method: string, ...faults: Fault[]): this {
    (this.faults[method] ??= []).push(...faults);
    return this;
  }

  /** Every neighbour query the scan sent, in order, over all queryBatch calls. */
  searches(): NeighbourQuery[] {
    return this.calls
      .filter(c => c.method === 'queryBatch')
      .flatMap(c => (c.body as { searches: NeighbourQuery[] }).searches);
  }

  count(method: string): number {
    return this.calls.filter(c => c.method === method).length;
  }

  async getCollection(name: string): Promise<ICollectionInfoLike> {
    await this.enter('getCollection', name);
    this.leave();
    return {
      points_count: this.pointsCount,
      ...(this.indexedVectors === undefined
        ? {}
        : { indexed_vectors_count: this.indexedVectors }),
      config: { params: this.params }
    };
  }

  async scroll(
    name: string,
    request: {
      limit?: number | null;
      offset?: unknown;
      with_payload?: unknown;
      with_vector?: unknown;
      filter?: unknown;
    }
  ) {
    await this.enter('scroll', request);
    this.leave();
    const limit = request.limit ?? 10;
    // A has_id filter (the scan's vector fetches) scrolls those points only.
    const allowed = hasIds(request.filter);
    const points = allowed
      ? this.points.filter(p => allowed.includes(p.id))
      : this.points;
    const start =
      request.offset === undefined || request.offset === null
        ? 0
        : points.findIndex(p => p.id === request.offset);
    const page = points.slice(start, start + limit);
    const fields = Array.isArray(request.with_payload)
      ? request.with_payload
      : [];
    return {
      points: page.map(p => ({
        id: p.id,
        payload: Object.fromEntries(
          Object.entries(p.payload ?? {}).filter(([k]) => fields.includes(k))
        ),
        ...(this.servesVectors && request.with_vector === true
          ? { vector: p.vector }
          : {})
      })),
      next_page_offset: points[start + limit]?.id ?? null
    };
  }

  async retrieve(
    name: string,
    request: { ids: unknown[]; with_payload?: unknown; with_vector?: unknown }
  ) {
    await this.enter('retrieve', request);
    this.leave();
    const fields = Array.isArray(request.with_payload)
      ? request.with_payload
      : [];
    return this.points
      .filter(p => request.ids.includes(p.id))
      .map(p => ({
        id: p.id,
        payload: Object.fromEntries(
          Object.entries(p.payload ?? {}).filter(([k]) => fields.includes(k))
        )
      }));
  }

  async queryBatch(name: string, request: { searches: NeighbourQuery[] }) {
    const call = await this.enter('queryBatch', request);
    try {
      await this.beforeQuery?.(call);
      const all = [...this.points, ...this.hidden];
      return request.searches.map(search => {
        const self = all.find(p => p.id === search.query)!;
        const t = search.score_threshold!;
        const exact =
          (search.params as { exact?: boolean } | undefined)?.exact === true;
        const allowed = hasIds(search.filter);
        const hits = all
          .filter(p => p.id !== self.id)
          .filter(p => allowed === undefined || allowed.includes(p.id))
          .filter(p => exact || !this.misses.has(`${self.id}|${p.id}`))
          .map(p => ({
            id: p.id,
            score: Math.fround(this.score(self.vector, p.vector))
          }))
          .filter(
            h =>
              (this.higher ? h.score > t : h.score < t) ||
              (this.lenient && h.score === t)
          );
        const offset = search.offset ?? 0;
        const seed = offset + (search.limit ?? 10);
        const tie = (id: Id) =>
          this.shuffleTies ? tieRank(`${String(id)}:${seed}`) : 0;
        hits.sort(
          (x, y) =>
            (this.higher ? y.score - x.score : x.score - y.score) ||
            tie(x.id) - tie(y.id)
        );
        return { points: hits.slice(offset, offset + (search.limit ?? 10)) };
      });
    } finally {
      this.leave();
    }
  }

  private readonly misses: Set<string>;
  private readonly servesVectors: boolean;
  private readonly indexedVectors: number | undefined;
  private readonly shuffleTies: boolean;

  private get higher(): boolean {
    return this.distance === 'Cosine' || this.distance === 'Dot';
  }

  private score(x: number[], y: number[]): number {
    const dot = x.reduce((s, v, i) => s + v * y[i], 0);
    switch (this.distance) {
      case 'Dot':
        return dot;
      case 'Cosine':
        return (
          dot /
          Math.sqrt(
            x.reduce((s, v) => s + v * v, 0) * y.reduce((s, v) => s + v * v, 0)
          )
        );
      case 'Euclid':
        return Math.sqrt(x.reduce((s, v, i) => s + (v - y[i]) ** 2, 0));
      case 'Manhattan':
        return x.reduce((s, v, i) => s + Math.abs(v - y[i]), 0);
    }
  }

  private async enter(method: string, body: unknown): Promise<number> {
    this.calls.push({ method, body });
    const call = this.count(method);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise(resolve => setTimeout(resolve, this.delayMs));
    const fault = this.faults[method]?.shift();
    if (fault !== undefined) {
      this.leave();
      throw typeof fault === 'function' ? fault(call) : fault;
    }
    return call;
  }

  private leave(): void {
    this.inFlight--;
  }

  private readonly points: FakePoint[];
  private readonly hidden: FakePoint[];
  private readonly lenient: boolean;
  private readonly delayMs: number;
  private readonly pointsCount: number | null;
  private readonly params: ICollectionInfoLike['config']['params'];
}

/** An error shaped like @qdrant/js-client-rest's ApiError. */
export function httpError(
  status: number,
  headers: Record<string, string> = {},
  data?: unknown
) {
  return Object.assign(new Error(`HTTP ${status}`), {
    status,
    headers: new Map(Object.entries(headers)),
    data
  });
}

/** Two planted duplicate clusters among spread-out points, on the unit circle. */
export function circlePoints(): FakePoint[] {
  const at = (deg: number) => [
    Math.cos((deg * Math.PI) / 180),
    Math.sin((deg * Math.PI) / 180)
  ];
  const points: FakePoint[] = [];
  // Spread: 30 degrees apart, cosine 0.87 at most between neighbours.
  for (let i = 0; i < 10; i++) {
    points.push({
      id: i,
      vector: at(i * 36),
      payload: { sample_id: `img_${i}`, split: 'train' }
    });
  }
  // Cluster A near 3 degrees: 3 points, within 1 degree (cosine > 0.9998).
  points.push({
    id: 10,
    vector: at(3),
    payload: { sample_id: 'dupA_1', thumbnail: 'a1.png', split: 'train' }
  });
  points.push({
    id: 11,
    vector: at(3.5),
    payload: { sample_id: 'dupA_2', thumbnail: 'a2.png', split: 'test' }
  });
  points.push({ id: 12, vector: at(4), payload: { thumbnail: 'a3.png' } });
  // Cluster B near 200 degrees: 2 points.
  points.push({ id: 13, vector: at(200), payload: { sample_id: 77 } });
  points.push({
    id: 14,
    vector: at(200.5),
    payload: { sample_id: { nested: true } }
  });
  return points;
}

/** A fixed pseudo-random rank for a string (FNV-1a). */
function tieRank(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  }
  return h;
}

/** A result's pairs as "a-b" by point id (the smaller first), sorted. */
export function pairsOf(result: IScanResult): string[] {
  const { ids } = result.points;
  const out: string[] = [];
  for (let k = 0; k < result.pairs.score.length; k++) {
    const [a, b] = [ids[result.pairs.a[k]], ids[result.pairs.b[k]]];
    out.push(Number(a) < Number(b) ? `${a}-${b}` : `${b}-${a}`);
  }
  return out.sort();
}

/** The ids of a filter's has_id condition, if it has one. */
function hasIds(filter: unknown): Id[] | undefined {
  const must = (filter as { must?: { has_id?: Id[] }[] } | undefined)?.must;
  return (must ?? []).find(c => c.has_id)?.has_id;
}
