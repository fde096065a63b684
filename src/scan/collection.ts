// Which vectors a collection has and which one a scan compares by: one rule for the worker
// (from Qdrant's collection info), the model and the panel (from the server's description,
// which the Python side builds with the same rule). The unnamed vector is named '' everywhere;
// null means "none chosen yet".
import type { Schemas } from '@qdrant/js-client-rest';
import { ScanError } from './errors';
import type { DistanceKind } from './types';

/** The name of a collection's single unnamed vector. */
export const UNNAMED_VECTOR = '';

/** The part of Qdrant's collection info the scan reads. */
export interface ICollectionInfoLike {
  points_count?: number | null;
  /** Vectors in HNSW indexes: 0 when every segment is searched exactly (plain). */
  indexed_vectors_count?: number | null;
  config: {
    params: Pick<Schemas['CollectionParams'], 'vectors' | 'sparse_vectors'>;
  };
}

/** A stored vector as the description gives it. */
export interface IVectorDescription {
  size: number;
  distance: DistanceKind;
  /** Late interaction (several vectors per point): cannot be compared point to point. */
  multivector?: boolean;
}

/**
 * A collection's vectors: what the server's backend route sends per collection and what the
 * worker reads from Qdrant's info (`describeCollection`), in the same shape.
 */
export interface ICollectionDescription {
  points_count: number | null;
  /** Vectors by name; the unnamed vector is under ''. */
  vectors: { [name: string]: IVectorDescription };
  sparse_vectors: string[];
}

/** The dense vector a scan compares by. */
export interface IVectorChoice {
  /** The `using` to send with queries; '' for the unnamed vector (sent without `using`). */
  using: string;
  distance: DistanceKind;
}

const DISTANCES: ReadonlySet<string> = new Set([
  'Cosine',
  'Dot',
  'Euclid',
  'Manhattan'
]);

/** Reads the vectors out of Qdrant's collection info (no network). */
export function describeCollection(
  info: ICollectionInfoLike
): ICollectionDescription {
  const params = info.config?.params ?? {};
  const vectors: ICollectionDescription['vectors'] = {};
  const config = params.vectors as unknown;
  if (isVectorParams(config)) {
    vectors[UNNAMED_VECTOR] = vectorDescription(UNNAMED_VECTOR, config);
  } else if (config && typeof config === 'object') {
    for (const [name, value] of Object.entries(config)) {
      if (isVectorParams(value)) {
        vectors[name] = vectorDescription(name, value);
      }
    }
  }
  return {
    points_count:
      typeof info.points_count === 'number' ? info.points_count : null,
    vectors,
    sparse_vectors: Object.keys(params.sparse_vectors ?? {})
  };
}

/** The vectors a scan can compare by: dense, one vector per point ('' for the unnamed one). */
export function denseVectorNames(
  collection: Pick<ICollectionDescription, 'vectors'>
): string[] {
  const vectors = collection.vectors ?? {};
  return Object.keys(vectors).filter(name => !vectors[name].multivector);
}

/**
 * The vector a scan compares by when the user chose `chosen` (null: none): `chosen` when it
 * is a dense vector of the collection, else the only dense vector; null when there is none,
 * or several and none chosen. What the panel shows before a scan; `chooseVector` says why.
 */
export function scanVector(
  collection: Pick<ICollectionDescription, 'vectors'>,
  chosen: string | null | undefined
): string | null {
  const dense = denseVectorNames(collection);
  if (chosen !== null && chosen !== undefined && dense.includes(chosen)) {
    return chosen;
  }
  return dense.length === 1 ? dense[0] : null;
}

/**
 * Picks the dense vector to compare by, or says why none can be picked and what to do.
 * `using` null, undefined or '' lets the scan pick the only dense vector.
 */
export function chooseVector(
  shape: ICollectionDescription,
  collection: string,
  using?: string | null
): IVectorChoice {
  const vectors = shape.vectors ?? {};
  const dense = denseVectorNames(shape);
  const denseNames = dense.filter(name => name !== UNNAMED_VECTOR);
  if (using) {
    const found = vectors[using];
    if (found && !found.multivector) {
      return { using, distance: found.distance };
    }
    if (found) {
      throw new ScanError(
        'multivector',
        `The vector "${using}" of collection "${collection}" is a multivector (late interaction); ` +
          'near-duplicate search needs one dense vector per point. ' +
          pickHint(denseNames),
        { vectors: denseNames }
      );
    }
    if (shape.sparse_vectors.includes(using)) {
      throw new ScanError(
        'no-dense-vector',
        `The vector "${using}" of collection "${collection}" is sparse; near-duplicate search needs a dense vector. ` +
          pickHint(denseNames),
        { vectors: denseNames }
      );
    }
    const names = Object.keys(vectors);
    const unnamed = names.length === 1 && names[0] === UNNAMED_VECTOR;
    throw new ScanError(
      'choose-vector',
      unnamed
        ? `Collection "${collection}" has a single unnamed vector, not one called "${using}". Leave the vector name empty.`
        : `Collection "${collection}" has no vector called "${using}". ` +
            pickHint(denseNames),
      { vectors: denseNames }
    );
  }
  if (dense.length === 1) {
    return { using: dense[0], distance: vectors[dense[0]].distance };
  }
  if (dense.length > 1) {
    throw new ScanError(
      'choose-vector',
      `Collection "${collection}" has ${dense.length} named vectors (${denseNames.join(', ')}). ` +
        'Choose the one to compare by.',
      { vectors: denseNames }
    );
  }
  if (Object.keys(vectors).length > 0) {
    throw new ScanError(
      'multivector',
      `Collection "${collection}" only has multivectors (late interaction), which near-duplicate search ` +
        'cannot compare point to point. Scan a collection with a dense vector per point.',
      { vectors: [] }
    );
  }
  throw new ScanError(
    'no-dense-vector',
    `Collection "${collection}" has no dense vector` +
      (shape.sparse_vectors.length ? ' (only sparse ones)' : '') +
      '; near-duplicate search compares dense embeddings. Scan a collection with a dense vector.',
    { vectors: [] }
  );
}

function isVectorParams(value: unknown): value is Schemas['VectorParams'] {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { size?: unknown }).size === 'number' &&
    typeof (value as { distance?: unknown }).distance === 'string'
  );
}

function vectorDescription(
  name: string,
  params: Schemas['VectorParams']
): IVectorDescription {
  if (!DISTANCES.has(params.distance)) {
    throw new ScanError(
      'bad-request',
      `The vector ${name === UNNAMED_VECTOR ? '' : `"${name}" `}uses the distance "${params.distance}", which this scan does not know.`
    );
  }
  return {
    size: params.size,
    distance: params.distance,
    ...(params.multivector_config ? { multivector: true } : {})
  };
}

function pickHint(names: string[]): string {
  return names.length
    ? `Choose one of: ${names.join(', ')}.`
    : 'The collection has no dense vector to choose instead.';
}
