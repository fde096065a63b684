"""One peer method in its own process: what a user would run instead of our scan, on the same
vectors, each the way its own documentation shows.

    bench/.venv-peers/bin/python bench/peers.py METHOD vectors.npy THRESHOLD out.npz

Methods (every one finds, for each point, its neighbours with cosine similarity > THRESHOLD):

* ``sklearn``: ``NearestNeighbors(metric="cosine", algorithm="brute").fit(X).radius_neighbors(X,
  radius=1 - threshold)``: what FiftyOne's near-duplicate search runs.
* ``semhash``: ``SemHash.from_embeddings(X, records, model).self_deduplicate(threshold)`` on the
  same embeddings (its default ANN backend, usearch through vicinity). It keeps one record per
  neighbourhood, so its answer is a count of dropped records, not pairs.
* ``usearch``: an HNSW index in process (usearch, its defaults), asked for each point's nearest
  32 and, for every point whose 32nd still passes, again with 4 times as many until the last
  one fails: the same neighbours per point that our scan asks Qdrant for.
* ``numpy``: exact blocked matrix products (float32, tiles of 1024 x 8192, upper triangle):
  the exact method's speed limit on this CPU.

The parent (bench/scale.py) samples this process's private memory from outside; this process
prints READY after its imports (the parent reads the baseline then) and DONE the moment it has
its answer, before it writes it out (so writing is not counted). It reports its own seconds
from after the vectors are loaded to the answer: the index build and the search.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np


def pairs_from_rows(rows: list[tuple[int, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Each point's neighbour rows as unique pairs (a < b)."""
    a = np.concatenate([np.full(len(nb), i, dtype=np.int64) for i, nb in rows]) if rows else np.zeros(0, np.int64)
    b = np.concatenate([np.asarray(nb, dtype=np.int64) for _, nb in rows]) if rows else np.zeros(0, np.int64)
    keep = a != b
    lo, hi = np.minimum(a[keep], b[keep]), np.maximum(a[keep], b[keep])
    key = np.unique(lo * (1 << 32) + hi)
    return key >> 32, key & ((1 << 32) - 1)


def run_sklearn(X: np.ndarray, t: float) -> dict:
    from sklearn.neighbors import NearestNeighbors

    nn = NearestNeighbors(metric="cosine", algorithm="brute").fit(X)
    dist, ind = nn.radius_neighbors(X, radius=1.0 - t)
    # radius_neighbors keeps distance <= radius; the scan keeps similarity > t.
    rows = [(i, nb[d < 1.0 - t]) for i, (nb, d) in enumerate(zip(ind, dist))]
    a, b = pairs_from_rows(rows)
    return {"a": a, "b": b}


def run_semhash(X: np.ndarray, t: float) -> dict:
    from semhash import SemHash

    class Precomputed:
        """The embeddings are given; self_deduplicate never encodes anything."""

        def encode(self, inputs, **kwargs):  # noqa: ANN001, ANN003
            raise RuntimeError("the benchmark gives SemHash its embeddings; nothing should be encoded")

    records = [f"s{i:07d}" for i in range(len(X))]
    semhash = SemHash.from_embeddings(embeddings=X, records=records, model=Precomputed())
    result = semhash.self_deduplicate(threshold=t)
    return {"dropped": len(result.filtered), "kept": len(result.selected)}


def run_usearch(X: np.ndarray, t: float, first_k: int = 32) -> dict:
    from usearch.index import Index

    n = len(X)
    index = Index(ndim=X.shape[1], metric="cos", dtype="f32")
    index.add(np.arange(n, dtype=np.uint64), X)
    build = time.perf_counter()
    rows: list[tuple[int, np.ndarray]] = []
    todo = np.arange(n)
    k = first_k
    while len(todo):
        m = index.search(X[todo], min(k, n))
        keys = np.asarray(m.keys, dtype=np.int64).reshape(len(todo), -1)
        dist = np.asarray(m.distances, dtype=np.float32).reshape(len(todo), -1)
        passing = dist < 1.0 - t
        full = passing.all(axis=1) & (keys.shape[1] < n)
        for r in np.nonzero(~full)[0]:
            rows.append((int(todo[r]), keys[r][passing[r]]))
        todo, k = todo[full], k * 4
    a, b = pairs_from_rows(rows)
    return {"a": a, "b": b, "build_s": build}


def run_numpy(X: np.ndarray, t: float, rows_per_tile: int = 1024, cols_per_tile: int = 8192) -> dict:
    n = len(X)
    ai: list[np.ndarray] = []
    bi: list[np.ndarray] = []
    for s in range(0, n, rows_per_tile):
        e = min(n, s + rows_per_tile)
        for c in range(s, n, cols_per_tile):
            f = min(n, c + cols_per_tile)
            a, b = np.nonzero(X[s:e] @ X[c:f].T > t)
            a, b = a + s, b + c
            keep = b > a
            ai.append(a[keep])
            bi.append(b[keep])
    return {"a": np.concatenate(ai), "b": np.concatenate(bi)}


METHODS = {"sklearn": run_sklearn, "semhash": run_semhash, "usearch": run_usearch, "numpy": run_numpy}


def main() -> None:
    method, vectors, threshold, out = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
    run = METHODS[method]
    if method == "sklearn":
        import sklearn.neighbors  # noqa: F401
    elif method == "semhash":
        import semhash  # noqa: F401
    elif method == "usearch":
        import usearch.index  # noqa: F401
    print("READY", flush=True)
    X = np.load(vectors)
    t0 = time.perf_counter()
    answer = run(X, threshold)
    seconds = time.perf_counter() - t0
    print("DONE", flush=True)
    build = answer.pop("build_s", None)
    meta = {"method": method, "seconds": seconds, "build_s": None if build is None else build - t0, "n": len(X)}
    meta.update({k: v for k, v in answer.items() if not isinstance(v, np.ndarray)})
    arrays = {k: v for k, v in answer.items() if isinstance(v, np.ndarray)}
    np.savez(out, meta=json.dumps(meta), **arrays)


if __name__ == "__main__":
    main()
