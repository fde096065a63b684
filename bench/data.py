"""The benchmark's data: the synthetic collection (planted near-duplicate clusters among topical
background points) and its on-disk cache under bench/.cache (vectors for the peers' processes,
exact truth computed once per data set and threshold)."""

from __future__ import annotations

import hashlib
import os
import time

import numpy as np

BENCH = os.path.dirname(os.path.abspath(__file__))
CACHE = os.path.join(BENCH, ".cache")



def _unit(X: np.ndarray) -> np.ndarray:
    return (X / np.linalg.norm(X, axis=-1, keepdims=True)).astype(np.float32)


def cluster_sizes(rng: np.random.Generator, target: int) -> list[int]:
    """Many pairs and triples, fewer big clusters; always one of 200 and one of 120 (exact copies)."""
    sizes = [200, 120]
    while sum(sizes) < target:
        u = rng.random()
        if u < 0.55:
            sizes.append(2)
        elif u < 0.75:
            sizes.append(int(rng.integers(3, 6)))
        elif u < 0.90:
            sizes.append(int(rng.integers(6, 21)))
        elif u < 0.97:
            sizes.append(int(rng.integers(21, 61)))
        else:
            sizes.append(int(rng.integers(61, 201)))
    return sizes


def make_dataset(n: int, d: int, seed: int = 0) -> tuple[np.ndarray, list[dict], dict]:
    """n unit vectors: about a fifth in planted clusters, the rest topical background.

    Background: 64 topics, points at cosine ~0.5 to their topic mates (none near 0.95).
    Clusters around a background-like centre: 'near' members at noise r in [0.05, 0.25]
    (pairwise cosine ~ 1/(1 + r^2), 0.94 to 0.998, so a few clusters straddle 0.95 and
    chain), 'exact' copies, or 'mixed' (half copies, half near).
    """
    rng = np.random.default_rng(seed)
    topics = _unit(rng.standard_normal((64, d)))

    def background(k: int) -> np.ndarray:
        t = topics[rng.integers(0, len(topics), size=k)]
        return _unit(t + rng.standard_normal((k, d)) / np.sqrt(d))

    sizes = cluster_sizes(rng, n // 5)
    rows: list[np.ndarray] = []
    kinds = {"near": 0, "exact": 0, "mixed": 0}
    for c, size in enumerate(sizes):
        centre = background(1)[0]
        kind = "exact" if c == 1 else rng.choice(["near", "exact", "mixed"], p=[0.7, 0.15, 0.15])
        kinds[str(kind)] += 1
        r = rng.uniform(0.05, 0.25)
        near = _unit(centre + r * rng.standard_normal((size, d)) / np.sqrt(d))
        if kind == "exact":
            near[:] = centre
        elif kind == "mixed":
            near[: size // 2] = centre
        rows.append(near)
    clustered = np.concatenate(rows)[:n]
    X = np.concatenate([clustered, background(n - len(clustered))])
    X = X[rng.permutation(n)]
    splits = rng.choice(["train", "test", "val"], size=n, p=[0.8, 0.1, 0.1])
    payloads = [
        {"sample_id": f"s{i:07d}", "thumbnail": f"images/{s}/{i:07d}.jpg", "split": str(s)}
        for i, s in enumerate(splits)
    ]
    info = {
        "clusters": len(sizes),
        "clustered_points": int(min(n, sum(sizes))),
        "largest": max(sizes),
        "kinds": kinds,
    }
    return X, payloads, info



def fingerprint(X: np.ndarray) -> str:
    """Names a data set by its bytes, so a cached truth can never belong to other vectors."""
    return hashlib.sha1(np.ascontiguousarray(X).view(np.uint8)).hexdigest()[:12]


def cached_vectors(n: int, d: int, seed: int) -> tuple[np.ndarray, list[dict], dict, str]:
    """make_dataset, with the vectors also saved as .npy for the peers' own processes.
    Returns (X, payloads, info, path of the .npy)."""
    X, payloads, info = make_dataset(n, d, seed)
    os.makedirs(CACHE, exist_ok=True)
    path = os.path.join(CACHE, f"vectors-n{n}-d{d}-s{seed}-{fingerprint(X)}.npy")
    if not os.path.exists(path):
        tmp = path + ".part.npy"
        np.save(tmp, X)
        os.replace(tmp, path)
    return X, payloads, info, path


def cached_truth(X: np.ndarray, threshold: float, log=print):
    """Exact truth (scan_harness.exact_pairs: float32 candidates, float64 decides) over X,
    computed once per data set and threshold and kept in bench/.cache. Returns (Truth, seconds
    it took when computed, whether it came from the cache)."""
    import scan_harness as sh

    os.makedirs(CACHE, exist_ok=True)
    path = os.path.join(CACHE, f"truth-{fingerprint(X)}-t{threshold}.npz")
    if os.path.exists(path):
        z = np.load(path)
        border = set(zip(z["bi"].tolist(), z["bj"].tolist()))
        return sh.Truth(int(z["n"]), z["i"], z["j"], z["score"], border), float(z["seconds"]), True
    log(f"truth: exact pairs over {len(X)} vectors (numpy, blocked; cached in {os.path.relpath(path, BENCH)}) ...")
    t0 = time.perf_counter()
    truth = sh.exact_pairs(X, threshold, "Cosine")
    seconds = time.perf_counter() - t0
    b = np.array(sorted(truth.borderline), dtype=np.int64).reshape(-1, 2)
    tmp = path + ".part.npz"
    np.savez(tmp, n=truth.n, i=truth.i, j=truth.j, score=truth.score, bi=b[:, 0], bj=b[:, 1], seconds=seconds)
    os.replace(tmp, path)
    return truth, seconds, False
