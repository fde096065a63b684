// A fake Qdrant client for DOM-free unit tests of the sure route (issue 12): brute force in
// memory, with points its "index" cannot reach, as a server's HNSW graph leaves some. It
// answers what the sure route asks: listing and vector fetches (scroll, with a has_id filter),
// queries by id (the point itself left out, as Qdrant does) and by vector (not left out),
// exact and has_id-filtered searches. Cosine only. Records every search.
import type { ICollectionInfoLike } from '../scan/collection';
import type { NeighbourQuery, IScanClient } from '../scan/scanner';

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

  async getCollection(): Promise<ICollectionInfoLike> {
    return {
      points_count: this.ids.length,
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
      this.searches.push({
        point,
        byVector,
        exact,
        filtered: allowed !== undefined,
        offset,
        limit
      });
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
