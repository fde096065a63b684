"""The lonely pass at scale without a server (issue 16; bench/README.md, 7f): the points a scan
left in no group, their vectors from bench/.cache, through the pass's own sketches and buckets
(bench/lonely_offline.ts, in Node). Prints how many sketch pairs it compares, how many
candidates it would ask the server about, and whether the sampled truth's pairs between two of
those points are among them.

    .venv/bin/python bench/lonely_offline.py VECTORS.npy FOUND.npz SAMPLED_TRUTH.npz [--threshold 0.95]

FOUND.npz: arrays a, b (a scan's pairs by point index).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile

import numpy as np

BENCH = os.path.dirname(os.path.abspath(__file__))


def lonely_points(vectors: str, found: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The vectors (memory-mapped), each point's degree in a scan's pairs (FOUND.npz: a, b),
    and the points of degree 0: the ones that scan left in no group."""
    X = np.load(vectors, mmap_mode="r")
    z = np.load(found)
    deg = np.bincount(np.concatenate([z["a"], z["b"]]), minlength=X.shape[0])
    return X, deg, np.nonzero(deg == 0)[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("vectors")
    ap.add_argument("found")
    ap.add_argument("truth")
    ap.add_argument("--threshold", type=float, default=0.95)
    args = ap.parse_args()
    X, deg, lonely = lonely_points(args.vectors, args.found)
    n, d = X.shape
    pos = np.full(n, -1, dtype=np.int64)
    pos[lonely] = np.arange(len(lonely))
    st = np.load(args.truth)
    want = sorted(
        {(int(min(pos[i], pos[j])), int(max(pos[i], pos[j])), float(s))
         for i, j, s in zip(st["i"], st["j"], st["score"]) if deg[i] == 0 and deg[j] == 0 and s > args.threshold}
    )
    tmp = tempfile.mkdtemp(prefix="nd-lonely-offline-")
    vectors = os.path.join(tmp, "lonely.f32")
    with open(vectors, "wb") as f:
        for s in range(0, len(lonely), 50_000):
            f.write(np.ascontiguousarray(X[lonely[s : s + 50_000]], dtype=np.float32).tobytes())
    info = os.path.join(tmp, "info.json")
    with open(info, "w") as f:
        json.dump({"count": int(len(lonely)), "d": int(d), "threshold": args.threshold, "want": want}, f)
    print(f"{n:,} points, {len(lonely):,} in no group; {len(want)} sampled pairs between two of them", flush=True)
    bundle = os.path.join(BENCH, ".build", "lonely_offline.cjs")
    subprocess.run(["node", os.path.join(BENCH, "build.mjs"), "--entry", "lonely_offline", "--outfile", bundle], check=True)
    try:
        subprocess.run(["node", bundle, vectors, info], check=True)
    finally:
        os.remove(vectors)


if __name__ == "__main__":
    main()
