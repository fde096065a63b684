// What the scan needs from Qdrant: three calls. The official QdrantClient satisfies this as
// is, so the same scan runs in the worker, in Node (the benchmark) and against test fakes.
import type { Schemas } from '@qdrant/js-client-rest';
import type { ICollectionInfoLike } from './collection';

/** One neighbour query: by point id or vector, with Qdrant's strict score_threshold. */
export type NeighbourQuery = Schemas['QueryRequest'];

/** What one neighbour query answers: the scored points, without payload or vector. */
export type NeighbourAnswer = {
  points: Pick<Schemas['ScoredPoint'], 'id' | 'score'>[];
};

/** A point id as Qdrant sent it (u64 ids beyond 2^53 arrive as BigInt and go back unchanged). */
export type QdrantId = Schemas['ExtendedPointId'];

/**
 * The three calls the scan makes. `QdrantClient` from @qdrant/js-client-rest satisfies it as
 * is; tests pass a fake. Result types are subsets of the client's, so fakes stay small.
 */
export interface IScanClient {
  getCollection(collection_name: string): Promise<ICollectionInfoLike>;
  scroll(
    collection_name: string,
    request: Schemas['ScrollRequest']
  ): Promise<{
    points: Pick<Schemas['Record'], 'id' | 'payload' | 'vector'>[];
    next_page_offset?: Schemas['ScrollResult']['next_page_offset'];
  }>;
  queryBatch(
    collection_name: string,
    request: { searches: NeighbourQuery[] }
  ): Promise<NeighbourAnswer[]>;
}
