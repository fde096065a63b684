// Points' own vectors, a few at a time, for the queries by vector (the sure route and the
// audit's reach test), and the score a point has with itself.
import type { QdrantId, IScanClient } from './client';
import { UNNAMED_VECTOR, IVectorChoice } from './collection';
import type { IdIndex } from './list';
import type { VectorsPolicy } from './policies';
import type { RetryingCaller } from './retry';
import { VectorText } from './vectorText';

/**
 * A point's own vector, for the sure route: the query (its numbers, or its text as it came
 * in), and, read on demand, its numbers and the score it has with itself.
 */
export class OwnVector {
  constructor(
    readonly query: number[] | VectorText,
    private readonly distance: string
  ) {}

  values(): number[] {
    return this.query instanceof VectorText ? this.query.values() : this.query;
  }

  /** Its score with itself: Cosine and Dot, the sum of squares; Euclid and Manhattan, 0. */
  get selfScore(): number {
    if (this.self === null) {
      let sum = 0;
      if (this.distance === 'Cosine' || this.distance === 'Dot') {
        for (const x of this.values()) {
          sum += x * x;
        }
      }
      this.self = sum;
    }
    return this.self;
  }

  private self: number | null = null;
}

/** Fetches the vectors of a few points at a time (a has_id scroll), for queries by vector. */
export class VectorFetcher {
  constructor(
    private readonly client: IScanClient,
    private readonly collection: string,
    private readonly choice: IVectorChoice,
    private readonly queryIds: ArrayLike<QdrantId>,
    private readonly calls: RetryingCaller,
    private readonly indexOf: IdIndex,
    private readonly policy: VectorsPolicy = 'text'
  ) {}

  /** Points deleted since listing are left out. */
  async fetch(indices: number[]): Promise<Map<number, OwnVector>> {
    const out = new Map<number, OwnVector>();
    if (indices.length === 0) {
      return out;
    }
    const { using, distance } = this.choice;
    const request = {
      limit: indices.length,
      filter: { must: [{ has_id: indices.map(i => this.queryIds[i]) }] },
      with_payload: false,
      with_vector: using === UNNAMED_VECTOR ? true : [using]
    };
    const text = this.policy === 'text' ? this.client.textVectors : undefined;
    if (text) {
      // Kept as text: sent back as it came, parsed only where a point needs its numbers.
      const page = await this.calls.call(() =>
        text.scroll(
          this.collection,
          request,
          using === UNNAMED_VECTOR ? null : using
        )
      );
      for (const record of page.points) {
        const index = this.indexOf.get(record.id);
        if (index !== undefined && record.vector) {
          out.set(index, new OwnVector(record.vector, distance));
        }
      }
      return out;
    }
    const page = await this.calls.call(() =>
      this.client.scroll(this.collection, request)
    );
    for (const record of page.points ?? []) {
      const index = this.indexOf.get(record.id);
      const stored = record.vector as unknown;
      const vector =
        using === UNNAMED_VECTOR
          ? stored
          : (stored as Record<string, unknown> | null)?.[using];
      if (index === undefined || !Array.isArray(vector)) {
        continue;
      }
      out.set(index, new OwnVector(vector as number[], distance));
    }
    return out;
  }
}

/** A point's score with itself, as the engine computes it (float32 sums): a copy scores it too. */
export function isSelfScore(
  score: number | undefined,
  self: number | undefined
): boolean {
  return (
    score !== undefined &&
    self !== undefined &&
    Math.abs(score - self) <= 1e-6 * Math.max(1, Math.abs(self))
  );
}

/**
 * A 64-bit fingerprint of a vector's float32 values (two 32-bit FNV-1a hashes with different
 * bases over the values' bits), to find exact copies among a few points without keeping their
 * vectors: two different vectors share it with odds of about 2^-64 per pair.
 */
export function vectorKey(vector: number[]): string {
  const bits = new Uint32Array(Float32Array.from(vector).buffer);
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ bits.length;
  for (let k = 0; k < bits.length; k++) {
    const w = bits[k];
    for (let shift = 0; shift < 32; shift += 8) {
      const byte = (w >>> shift) & 0xff;
      h1 = Math.imul(h1 ^ byte, 0x01000193);
      h2 = Math.imul(h2 ^ byte, 0x5bd1e995) ^ (h2 >>> 15);
    }
  }
  return `${(h1 >>> 0).toString(16)}:${(h2 >>> 0).toString(16)}:${bits.length}`;
}
