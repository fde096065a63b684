"""What would it take to find the pairs the index leaves between two points that both found
nothing? (issue 16; bench/README.md, finding 7e.) Offline, on a scan's found pairs and the
cached vectors: sign-random-projection sketches of the lonely points (degree 0 in the result),
L tables of K sketch bits each; two points in one bucket are a candidate when their sketches
differ in at most H bits. Prints the bucket pairs compared and the candidates per 8 tables,
then how many of the sampled truth's lonely-lonely pairs the candidates hold. Each candidate
would cost an exact comparison on the server.

    .venv/bin/python bench/lonely_lsh.py VECTORS.npy FOUND.npz SAMPLED_TRUTH.npz [--bits 128 --k 14 --tables 24 --hamming 30]

FOUND.npz: arrays a, b (a scan's pairs by point index), e.g. /work/exp/run1m.py's output.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from lonely_offline import lonely_points


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("vectors")
    ap.add_argument("found")
    ap.add_argument("truth")
    ap.add_argument("--bits", type=int, default=128)
    ap.add_argument("--k", type=int, default=14)
    ap.add_argument("--tables", type=int, default=24)
    ap.add_argument("--hamming", type=int, default=30)
    ap.add_argument("--threshold", type=float, default=0.95)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    X, deg, lonely = lonely_points(args.vectors, args.found)
    n = X.shape[0]
    st = np.load(args.truth)
    ti, tj, ts = st["i"], st["j"], st["score"]
    want = {(int(min(i, j)), int(max(i, j))) for i, j, s in zip(ti, tj, ts) if deg[i] == 0 and deg[j] == 0 and s >= args.threshold + 1e-6}
    print(f"{n:,} points, {len(lonely):,} found no neighbour", flush=True)
    print(f"sampled truth: {len(ti):,} pairs, {len(want)} between two of those", flush=True)
    rng = np.random.default_rng(args.seed)
    R = rng.standard_normal((X.shape[1], args.bits)).astype(np.float32)
    bits = np.empty((len(lonely), args.bits // 8), dtype=np.uint8)
    for s in range(0, len(lonely), 100_000):
        e = min(len(lonely), s + 100_000)
        bits[s:e] = np.packbits((np.asarray(X[lonely[s:e]]) @ R) > 0, axis=1)
    unpacked = np.unpackbits(bits, axis=1)
    pop = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)
    found: set[tuple[int, int]] = set()
    compared = 0
    t = time.time()
    for table in range(args.tables):
        key = np.zeros(len(lonely), dtype=np.int64)
        for c in rng.choice(args.bits, size=args.k, replace=False):
            key = (key << 1) | unpacked[:, c]
        order = np.argsort(key, kind="stable")
        ks = key[order]
        starts = np.nonzero(np.r_[True, ks[1:] != ks[:-1]])[0]
        ends = np.r_[starts[1:], len(ks)]
        sizes = ends - starts
        compared += int((sizes * (sizes - 1) // 2).sum())
        for s0, e0 in zip(starts[sizes > 1], ends[sizes > 1]):
            m = order[s0:e0]
            hb = bits[m]
            for x in range(len(m) - 1):
                near = np.nonzero(pop[np.bitwise_xor(hb[x], hb[x + 1 :])].sum(axis=1) <= args.hamming)[0]
                for y in near:
                    p, q = int(lonely[m[x]]), int(lonely[m[x + 1 + y]])
                    found.add((min(p, q), max(p, q)))
        if table % 8 == 7 or table == args.tables - 1:
            print(
                f"tables {table + 1}: {compared:,} bucket pairs compared, {len(found):,} candidates, "
                f"largest bucket {int(sizes.max()):,}, {time.time() - t:.0f} s",
                flush=True,
            )
    held = sum(1 for w in want if w in found)
    print(f"candidates: {len(found):,} (each an exact comparison); sampled lonely-lonely pairs held: {held} of {len(want)}")


if __name__ == "__main__":
    main()
