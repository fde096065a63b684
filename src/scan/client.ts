// What the scan needs from Qdrant: three calls. The official QdrantClient satisfies this as
// is, so the same scan runs in the worker, in Node (the benchmark) and against test fakes.
import type { Schemas } from '@qdrant/js-client-rest';
import type { ICollectionInfoLike } from './collection';
import type { ITextVectorCalls, VectorText } from './vectorText';

/**
 * One neighbour query: by point id or vector, with Qdrant's strict score_threshold. A vector
 * may be kept as the text it came in (VectorText); only textVectors.queryBatch sends those.
 */
export type NeighbourQuery = Omit<Schemas['QueryRequest'], 'query'> & {
  query?: Schemas['QueryRequest']['query'] | VectorText;
};

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
  /** Points by id with the payload fields asked for (details.ts); never their vectors. */
  retrieve(
    collection_name: string,
    request: {
      ids: QdrantId[];
      with_payload: string[] | boolean;
      with_vector: false;
    }
  ): Promise<Pick<Schemas['Record'], 'id' | 'payload'>[]>;
  /**
   * The sure route's calls with vectors kept as text (vectorText.ts); createQdrantClient adds
   * them. Without them (test fakes), vectors are parsed and sent back through the two above.
   */
  textVectors?: ITextVectorCalls;
}
