// One queryBatch, sent with the vector the scan compares by and checked to answer every query.
import type { NeighbourAnswer, NeighbourQuery, IScanClient } from './client';
import { UNNAMED_VECTOR, IVectorChoice } from './collection';
import { ScanError } from './errors';
import type { RetryingCaller } from './retry';
import { hasTextVector } from './vectorText';

/** The query with `using` set, unless the vector is the unnamed one. */
export function withUsing(
  search: NeighbourQuery,
  choice: IVectorChoice
): NeighbourQuery {
  if (choice.using !== UNNAMED_VECTOR) {
    search.using = choice.using;
  }
  return search;
}

/** One queryBatch, checked to answer every query. */
export async function answered(
  client: IScanClient,
  collection: string,
  calls: RetryingCaller,
  searches: NeighbourQuery[]
): Promise<NeighbourAnswer[]> {
  // Vectors kept as text go back as text (only a client with textVectors makes them).
  const text = client.textVectors && searches.some(hasTextVector);
  const responses = await calls.call(() =>
    text
      ? client.textVectors!.queryBatch(collection, { searches })
      : client.queryBatch(collection, { searches })
  );
  if (!Array.isArray(responses) || responses.length !== searches.length) {
    throw new ScanError(
      'server-error',
      `The backend answered ${searches.length} neighbour queries with ` +
        `${Array.isArray(responses) ? responses.length : 'no'} results. Check that the backend speaks Qdrant's REST API.`
    );
  }
  return responses;
}
