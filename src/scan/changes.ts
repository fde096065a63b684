// Scan changes (issue 16): a finished scan's kept record against the collection as listed
// now. Points are matched by id; points listed now and not then are new (their own queries are
// asked, against every point), points then and not now are gone (dropped with their pairs),
// and the rest keep their pairs under their new indices. A vector changed in place (an upsert
// of an id already scanned) is not seen: Detect scans everything again.
import { hasBit, IScanCheckpoint, newBitset, setBit } from './checkpoint';
import type { IListing } from './list';
import type { IPairList } from './types';

export interface IChangedPoints {
  /** Bit i: point i (index now) was in the base scan; its pairs with other such points are known. */
  known: Uint8Array;
  /** The base scan's pairs between points still there, by index now. */
  pairs: IPairList;
  /** Sure route: base points the index could not reach, still there, by index now. */
  unreachable: Uint32Array;
  added: number;
  deleted: number;
}

export function changedPoints(
  base: IScanCheckpoint,
  listing: IListing
): IChangedPoints {
  const n = listing.queryIds.length;
  const now = new Int32Array(base.n).fill(-1);
  const known = newBitset(n);
  let kept = 0;
  for (let i = 0; i < base.n; i++) {
    const j = listing.indexOf.get(base.ids.values[i]);
    if (j !== undefined) {
      now[i] = j;
      setBit(known, j);
      kept++;
    }
  }
  // Counted first, then written into typed arrays of that length: at a million points the
  // base holds millions of pairs, and growing plain arrays of them would take several times
  // their 12 bytes a pair in the worker's heap.
  const { a, b, score } = base.pairs;
  let still = 0;
  for (let k = 0; k < a.length; k++) {
    if (now[a[k]] >= 0 && now[b[k]] >= 0) {
      still++;
    }
  }
  const pa = new Uint32Array(still);
  const pb = new Uint32Array(still);
  const ps = new Float32Array(still);
  for (let k = 0, w = 0; k < a.length; k++) {
    const x = now[a[k]];
    const y = now[b[k]];
    if (x >= 0 && y >= 0) {
      pa[w] = x;
      pb[w] = y;
      ps[w] = score[k];
      w++;
    }
  }
  const unreachable = Array.from(base.unreachable, i => now[i]).filter(
    j => j >= 0 && hasBit(known, j)
  );
  return {
    known,
    pairs: { a: pa, b: pb, score: ps },
    unreachable: Uint32Array.from(unreachable),
    added: n - kept,
    deleted: base.n - kept
  };
}
