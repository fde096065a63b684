"""The benchmark's yardsticks (bench/): the exact truth every scan is scored against, computed by
tiles, and the sampled truth used above 200k points, with the score it gives a method that
misses pairs. A wrong yardstick would make every recall in bench/README.md wrong."""

from __future__ import annotations

import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))

import data  # noqa: E402
import scan_harness as sh  # noqa: E402


def _dense_pairs(X: np.ndarray, threshold: float) -> set:
    G = X.astype(np.float64) @ X.astype(np.float64).T
    i, j = np.nonzero(np.triu(G > threshold, 1))
    return set(zip(i.tolist(), j.tolist()))


def test_exact_pairs_by_tiles_equal_the_dense_float64_answer():
    X, _, _ = data.make_dataset(4000, 64, seed=3)
    want = _dense_pairs(X, 0.95)
    assert len(want) > 1000  # the planted clusters are there
    # tiles smaller than the data and not dividing it: rows and columns cross tile edges
    truth = sh.exact_pairs(X, 0.95, "Cosine", block=300, cols=700)
    assert set(zip(truth.i.tolist(), truth.j.tolist())) == want
    assert np.allclose(
        truth.score[:50],
        [float(X[a].astype(np.float64) @ X[b].astype(np.float64)) for a, b in zip(truth.i[:50].tolist(), truth.j[:50].tolist())],
    )


def test_exact_pairs_by_tiles_euclid():
    Y = np.random.default_rng(1).standard_normal((2500, 8)).astype(np.float32)
    D = np.sqrt(((Y[:, None, :].astype(np.float64) - Y[None].astype(np.float64)) ** 2).sum(-1))
    i, j = np.nonzero(np.triu(D < 1.0, 1))
    truth = sh.exact_pairs(Y, 1.0, "Euclid", block=256, cols=500)
    assert set(zip(truth.i.tolist(), truth.j.tolist())) == set(zip(i.tolist(), j.tolist()))


def test_sampled_truth_is_the_full_truth_around_the_sample_and_scores_misses(tmp_path, monkeypatch):
    from scale import score_sampled

    monkeypatch.setattr(data, "CACHE", str(tmp_path))
    X, _, _ = data.make_dataset(6000, 64, seed=4)
    vpath = str(tmp_path / "x.npy")
    np.save(vpath, X)
    full = _dense_pairs(X, 0.95)
    st, cached = data.sampled_truth(X, 0.95, 1500, seed=2, log=lambda m: None)
    assert not cached and data.sampled_truth(X, 0.95, 1500, seed=2, log=lambda m: None)[1]
    sample = set(st.sample.tolist())
    around = {p for p in full if p[0] in sample or p[1] in sample}
    assert set(zip(st.i.tolist(), st.j.tolist())) == around

    a = np.array([p[0] for p in sorted(full)])
    b = np.array([p[1] for p in sorted(full)])
    perfect = score_sampled(a, b, st, vpath, 0.95)
    assert perfect["pair_recall"] == 1.0 and perfect["extra"] == 0 and perfect["sampled_points_exact_pct"] == 100.0

    # a method that lost 300 pairs and found one pair that does not pass
    lost = np.random.default_rng(0).choice(len(a), 300, replace=False)
    keep = np.ones(len(a), bool)
    keep[lost] = False
    far = next((x, y) for x in range(len(X)) for y in range(x + 1, len(X)) if (x, y) not in full)
    scored = score_sampled(np.append(b[keep], far[1]), np.append(a[keep], far[0]), st, vpath, 0.95)
    lost_around = sum(1 for k in lost if a[k] in sample or b[k] in sample)
    assert lost_around > 0
    assert scored["missed"] == lost_around
    assert scored["pair_recall"] == round(1 - lost_around / len(around), 6)
    assert scored["extra"] == 1 and scored["pairs_found"] == len(a) - 300 + 1
    assert scored["sampled_points_exact"] < perfect["sampled_points_exact"]
