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
  const { a, b, score } = base.pairs;
  const pa: number[] = [];
  const pb: number[] = [];
  const ps: number[] = [];
  for (let k = 0; k < a.length; k++) {
    const x = now[a[k]];
    const y = now[b[k]];
    if (x >= 0 && y >= 0) {
      pa.push(x);
      pb.push(y);
      ps.push(score[k]);
    }
  }
  const unreachable = Array.from(base.unreachable, i => now[i]).filter(
    j => j >= 0 && hasBit(known, j)
  );
  return {
    known,
    pairs: {
      a: Uint32Array.from(pa),
      b: Uint32Array.from(pb),
      score: Float32Array.from(ps)
    },
    unreachable: Uint32Array.from(unreachable),
    added: n - kept,
    deleted: base.n - kept
  };
}
