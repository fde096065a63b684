// A fake Qdrant client for DOM-free unit tests of the sure route (issue 12): brute force in
// memory, with points its "index" cannot reach, as a server's HNSW graph leaves some. It
// answers what the sure route asks: listing and vector fetches (scroll, with a has_id filter),
// queries by id (the point itself left out, as Qdrant does) and by vector (not left out),
// exact and has_id-filtered searches. Cosine only. Records every search.
import type { ICollectionInfoLike } from '../scan/collection';
import type { NeighbourQuery, IScanClient } from '../scan/scanner';
import type { IScanRequest } from '../scan/types';

type Id = number;

export interface IFakeSearch {
  /** The point asked about (a query by id), or the point whose vector was sent. */
  point: Id;
  byVector: boolean;
  exact: boolean;
  filtered: boolean;
  offset: number;
  limit: number;
}

export class FakeUnreachableQdrant implements IScanClient {
  /**
   * @param vectors point id -> vector (ids are the keys, listed in ascending order)
   * @param unreachable points an approximate search never returns, whatever it asks;
   *   exact and has_id-filtered searches still find them
   */
  constructor(
    private readonly vectors: Map<Id, number[]>,
    private readonly unreachable: Set<Id>
  ) {
    this.ids = [...vectors.keys()].sort((a, b) => a - b);
  }

  readonly searches: IFakeSearch[] = [];

  /** Set to 0 to tell an unindexed collection (the lonely pass then does not run). */
  indexedVectors?: number;

  /** Called with each search as it is asked (a test stops the scan there). */
  onSearch: ((search: IFakeSearch) => void) | null = null;

  async getCollection(): Promise<ICollectionInfoLike> {
    return {
      points_count: this.ids.length,
      ...(this.indexedVectors === undefined
        ? {}
        : { indexed_vectors_count: this.indexedVectors }),
      config: {
        params: {
          vectors: {
            size: this.vectors.get(this.ids[0])!.length,
            distance: 'Cosine'
          }
        }
      }
    };
  }

  async scroll(
    _name: string,
    request: {
      limit?: number | null;
      offset?: unknown;
      filter?: unknown;
      with_vector?: unknown;
    }
  ) {
    const allowed = hasIds(request.filter);
    const ids = this.ids.filter(
      id =>
        (allowed === undefined || allowed.includes(id)) &&
        (request.offset === undefined ||
          request.offset === null ||
          id >= (request.offset as number))
    );
    const limit = request.limit ?? 10;
    return {
      points: ids.slice(0, limit).map(id => ({
        id,
        payload: {},
        ...(request.with_vector === true
          ? { vector: [...this.vectors.get(id)!] }
          : {})
      })),
      next_page_offset: ids[limit] ?? null
    };
  }

  async retrieve(_name: string, request: { ids: unknown[] }) {
    return this.ids
      .filter(id => request.ids.includes(id))
      .map(id => ({ id, payload: {} }));
  }

  async queryBatch(_name: string, request: { searches: NeighbourQuery[] }) {
    return request.searches.map(search => {
      const byVector = Array.isArray(search.query);
      const query = byVector
        ? (search.query as number[])
        : this.vectors.get(search.query as Id)!;
      const point = byVector ? this.idOf(query) : (search.query as Id);
      const exact =
        (search.params as { exact?: boolean } | undefined)?.exact === true;
      const allowed = hasIds(search.filter);
      const offset = search.offset ?? 0;
      const limit = search.limit ?? 10;
      const asked: IFakeSearch = {
        point,
        byVector,
        exact,
        filtered: allowed !== undefined,
        offset,
        limit
      };
      this.searches.push(asked);
      this.onSearch?.(asked);
      const t = search.score_threshold ?? -Infinity;
      const hits = this.ids
        .filter(id => byVector || id !== point)
        .filter(id => allowed === undefined || allowed.includes(id))
        .filter(
          id => exact || allowed !== undefined || !this.unreachable.has(id)
        )
        .map(id => ({
          id,
          score: Math.fround(cosine(query, this.vectors.get(id)!))
        }))
        .filter(h => h.score > t)
        .sort((x, y) => y.score - x.score || x.id - y.id);
      return { points: hits.slice(offset, offset + limit) };
    });
  }

  /** The first point with exactly this vector. */
  private idOf(vector: number[]): Id {
    return this.ids.find(id =>
      this.vectors.get(id)!.every((v, k) => v === vector[k])
    )!;
  }

  private readonly ids: Id[];
}

function hasIds(filter: unknown): Id[] | undefined {
  const must = (filter as { must?: { has_id?: Id[] }[] } | undefined)?.must;
  return must?.find(c => c.has_id)?.has_id;
}

function cosine(x: number[], y: number[]): number {
  let dot = 0;
  let xx = 0;
  let yy = 0;
  for (let k = 0; k < x.length; k++) {
    dot += x[k] * y[k];
    xx += x[k] * x[k];
    yy += y[k] * y[k];
  }
  return dot / Math.sqrt(xx * yy);
}

/** A unit vector at `deg` degrees. */
export const at = (deg: number): number[] => [
  Math.cos((deg * Math.PI) / 180),
  Math.sin((deg * Math.PI) / 180)
];

/**
 * 40 spread points (9 degrees apart: no pair at 0.999); five exact copies at 100.5 degrees
 * (ids 100, 141, 160, 181, 199: in different batches), none of which the index reaches; a
 * trio at 207 to 207.5 degrees, one of which (201) it cannot reach.
 */
export function collection(): {
  vectors: Map<number, number[]>;
  unreachable: Set<number>;
  copies: number[];
} {
  const vectors = new Map<number, number[]>();
  for (let k = 0; k < 40; k++) {
    vectors.set(k, at(k * 9 + 4.5));
  }
  const copies = [100, 141, 160, 181, 199];
  for (const id of copies) {
    vectors.set(id, at(100.5));
  }
  vectors.set(200, at(207));
  vectors.set(201, at(207.25));
  vectors.set(202, at(207.5));
  return { vectors, unreachable: new Set([...copies, 201]), copies };
}

/** Every pair past the threshold, by brute force over the vectors. */
export function truth(
  vectors: Map<number, number[]>,
  threshold: number
): string[] {
  const ids = [...vectors.keys()].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < ids.length; i++) {
    for (let j = i + 1; j < ids.length; j++) {
      const [x, y] = [vectors.get(ids[i])!, vectors.get(ids[j])!];
      if (Math.fround(x[0] * y[0] + x[1] * y[1]) > threshold) {
        out.push(`${ids[i]}-${ids[j]}`);
      }
    }
  }
  return out.sort();
}

/** The sure route always, small pages and batches, no audit: the tests count every search. */
export const SURE_REQUEST: IScanRequest = {
  collection: 'images',
  threshold: 0.999,
  limit: 2,
  batchSize: 3,
  inFlight: 2,
  cure: 'always',
  auditPoints: 0
};
