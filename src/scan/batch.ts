// One queryBatch, sent with the vector the scan compares by and checked to answer every query.
import type { NeighbourAnswer, NeighbourQuery, IScanClient } from './client';
import { UNNAMED_VECTOR, IVectorChoice } from './collection';
import { ScanError } from './errors';
import type { RetryingCaller } from './retry';

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
  const responses = await calls.call(() =>
    client.queryBatch(collection, { searches })
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
