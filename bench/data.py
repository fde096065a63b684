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
    it took when computed, whether it came from the cache). Prints progress and an ETA; when
    another process is computing the same truth (``python bench/data.py truth N``: its lock
    file names its pid), waits for it instead of computing it twice."""
    import scan_harness as sh

    os.makedirs(CACHE, exist_ok=True)
    path = os.path.join(CACHE, f"truth-{fingerprint(X)}-t{threshold}.npz")
    lock = path + ".computing"
    waited = False
    while os.path.exists(lock) and not os.path.exists(path):
        with open(lock, encoding="ascii") as f:
            pid = int(f.read().strip() or 0)
        if not pid or not os.path.exists(f"/proc/{pid}"):
            break
        if not waited:
            log(f"truth: process {pid} is computing it ({os.path.relpath(path, BENCH)}); waiting ...")
            waited = True
        time.sleep(10)
    if os.path.exists(path):
        z = np.load(path)
        border = set(zip(z["bi"].tolist(), z["bj"].tolist()))
        return sh.Truth(int(z["n"]), z["i"], z["j"], z["score"], border), float(z["seconds"]), True
    log(f"truth: exact pairs over {len(X):,} vectors (numpy, blocked; cached in {os.path.relpath(path, BENCH)}) ...")
    with open(lock, "w", encoding="ascii") as f:
        f.write(str(os.getpid()))
    try:
        t0 = time.perf_counter()
        n = len(X)
        total = n * (n + 1) / 2  # the upper triangle: a row block's work shrinks as it goes
        shown = [t0]

        def progress(rows: int) -> None:
            now = time.perf_counter()
            if now - shown[0] < 30 and rows < n:
                return
            shown[0] = now
            done = total - (n - rows) * (n - rows + 1) / 2
            el = now - t0
            eta = el * (total - done) / done if done else float("nan")
            log(f"  truth: {rows:,}/{n:,} rows ({100 * done / total:.0f}% of the work), {el:.0f} s so far, "
                f"ETA {eta:.0f} s; load {os.getloadavg()[0]:.1f}")

        truth = sh.exact_pairs(X, threshold, "Cosine", progress=progress)
        seconds = time.perf_counter() - t0
        b = np.array(sorted(truth.borderline), dtype=np.int64).reshape(-1, 2)
        tmp = path + ".part.npz"
        np.savez(tmp, n=truth.n, i=truth.i, j=truth.j, score=truth.score, bi=b[:, 0], bj=b[:, 1], seconds=seconds)
        os.replace(tmp, path)
    finally:
        os.remove(lock)
    return truth, seconds, False


class SampledTruth:
    """Exact truth around a uniform random sample of points: every neighbour (cosine past the
    threshold, float32 candidates, float64 decides) of each sampled point among all N. Any
    pair with an end in the sample is known exactly, so a method's recall over those pairs is
    an unbiased estimate of its recall (where the full N^2 truth is too dear: 1M x 256 on two
    shared cores). ``i`` < ``j`` as in Truth; ``sample`` sorted."""

    def __init__(self, n: int, sample: np.ndarray, i: np.ndarray, j: np.ndarray, score: np.ndarray, seconds: float):
        self.n, self.sample, self.i, self.j, self.score, self.seconds = n, sample, i, j, score, seconds

    def neighbours(self) -> dict[int, set]:
        """Each sampled point's exact neighbours."""
        s = set(self.sample.tolist())
        out: dict[int, set] = {int(p): set() for p in self.sample}
        for a, b in zip(self.i.tolist(), self.j.tolist()):
            if a in s:
                out[a].add(b)
            if b in s:
                out[b].add(a)
        return out


def sampled_truth(X: np.ndarray, threshold: float, size: int, seed: int = 1, log=print) -> tuple[SampledTruth, bool]:
    """SampledTruth of ``size`` points drawn with ``seed``, cached in bench/.cache. Returns it and
    whether it came from the cache."""
    os.makedirs(CACHE, exist_ok=True)
    n = len(X)
    path = os.path.join(CACHE, f"sampled-truth-{fingerprint(X)}-t{threshold}-k{size}-s{seed}.npz")
    if os.path.exists(path):
        z = np.load(path)
        return SampledTruth(n, z["sample"], z["i"], z["j"], z["score"], float(z["seconds"])), True
    sample = np.sort(np.random.default_rng(seed).choice(n, size=min(size, n), replace=False))
    log(f"sampled truth: exact neighbours of {len(sample):,} random points among {n:,} "
        f"(cached in {os.path.relpath(path, BENCH)}) ...")
    t0 = time.perf_counter()
    Xs = np.ascontiguousarray(X[sample], dtype=np.float32)
    margin = 1e-3
    ai: list[np.ndarray] = []
    bi: list[np.ndarray] = []
    sc: list[np.ndarray] = []
    rows, cols = 1024, 16384
    shown = t0
    for s in range(0, len(sample), rows):
        e = min(len(sample), s + rows)
        for c in range(0, n, cols):
            f = min(n, c + cols)
            r, k = np.nonzero(Xs[s:e] @ X[c:f].T > threshold - margin)
            a, b = sample[r + s], k + c
            keep = a != b
            a, b = a[keep], b[keep]
            if len(a):
                exact = np.einsum("kd,kd->k", X[a].astype(np.float64), X[b].astype(np.float64))
                ai.append(np.minimum(a, b))
                bi.append(np.maximum(a, b))
                sc.append(exact)
        now = time.perf_counter()
        if now - shown > 30:
            shown = now
            el = now - t0
            log(f"  sampled truth: {e:,}/{len(sample):,} points, {el:.0f} s so far, ETA {el * (len(sample) - e) / e:.0f} s; "
                f"load {os.getloadavg()[0]:.1f}")
    i = np.concatenate(ai) if ai else np.zeros(0, np.int64)
    j = np.concatenate(bi) if bi else np.zeros(0, np.int64)
    score = np.concatenate(sc) if sc else np.zeros(0)
    passing = score > threshold
    key = np.unique(i[passing].astype(np.int64) * (1 << 32) + j[passing])  # a pair of two sampled points comes twice
    first = {int(k): x for k, x in zip((i[passing].astype(np.int64) * (1 << 32) + j[passing]).tolist(), score[passing].tolist())}
    i, j = key >> 32, key & ((1 << 32) - 1)
    score = np.array([first[int(k)] for k in key.tolist()], dtype=np.float64)
    seconds = time.perf_counter() - t0
    tmp = path + ".part.npz"
    np.savez(tmp, sample=sample, i=i, j=j, score=score, seconds=seconds)
    os.replace(tmp, path)
    return SampledTruth(n, sample, i, j, score, seconds), False


if __name__ == "__main__":
    # python bench/data.py truth N [d] [threshold]: the exact truth of N points computed ahead of
    # a run (in its own process, so a 1M run can start before it is done and wait for it).
    import sys

    sys.path.insert(0, BENCH)
    n, d = int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 256
    t = float(sys.argv[4]) if len(sys.argv) > 4 else 0.95
    X, _, _, vpath = cached_vectors(n, d, 0)
    print(f"vectors: {vpath}", flush=True)
    if sys.argv[1] == "sampled":  # python bench/data.py sampled N d threshold SIZE
        st, cached = sampled_truth(X, t, int(sys.argv[5]), log=lambda m: print(time.strftime("%H:%M:%S"), m, flush=True))
        print(f"sampled truth: {len(st.i):,} pairs touching {len(st.sample):,} points, {st.seconds:.0f} s", flush=True)
        sys.exit(0)
    truth, seconds, cached = cached_truth(X, t, lambda m: print(time.strftime("%H:%M:%S"), m, flush=True))
    print(f"truth: {len(truth.i):,} pairs, {'cached' if cached else f'computed in {seconds:.0f} s'}", flush=True)
