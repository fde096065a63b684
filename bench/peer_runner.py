"""Runs one peer (bench/peers.py) in its own process under bench/.venv-peers, with a time budget
and its peak private memory sampled from outside, and scores its answer against exact truth."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import threading
import time
from typing import Any

import numpy as np
import scan_harness as sh

BENCH = os.path.dirname(os.path.abspath(__file__))
PEERS_PYTHON = os.path.join(BENCH, ".venv-peers", "bin", "python")

LABELS = {
    "sklearn": "scikit-learn radius_neighbors (brute, cosine)",
    "semhash": "SemHash self_deduplicate",
    "usearch": "usearch HNSW, same neighbours per point",
    "numpy": "numpy exact blocked products",
}


def peers_missing() -> str | None:
    """Why the peers cannot run here, or None."""
    if not os.path.exists(PEERS_PYTHON):
        return "bench/.venv-peers is missing: run bench/setup-peers.sh (installs the `bench` extra of pyproject.toml there)"
    return None


def private_mb(pid: int) -> float | None:
    """RssAnon + RssShmem of a process now, in MB (what MemorySampler samples)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            kb = sum(int(line.split()[1]) for line in f if line.startswith(("RssAnon:", "RssShmem:")))
        return kb / 1024
    except OSError:
        return None


def run_peer(method: str, vectors: str, threshold: float, budget_s: float) -> dict:
    """One method, one process. ``status`` is 'ok', 'over budget' (killed at budget_s) or
    'failed' (with ``error``, the end of what it printed)."""
    with tempfile.TemporaryDirectory(prefix="nd-peer-") as tmp:
        out = os.path.join(tmp, "out.npz")
        err_path = os.path.join(tmp, "stderr.txt")
        t0 = time.perf_counter()
        with open(err_path, "w+", encoding="utf-8") as err:
            env = dict(os.environ, PYTHONUNBUFFERED="1")
            proc = subprocess.Popen([PEERS_PYTHON, os.path.join(BENCH, "peers.py"), method, vectors, str(threshold), out],
                                    stdout=subprocess.PIPE, stderr=err, text=True, env=env)
            sampler = sh.MemorySampler(proc.pid)
            sampler.start()
            marks: dict[str, Any] = {}

            def read() -> None:
                for line in proc.stdout:  # type: ignore[union-attr]
                    word = line.strip()
                    if word == "READY":
                        marks["baseline_private_mb"] = private_mb(proc.pid)
                    elif word == "DONE":
                        sampler.stop()

            reader = threading.Thread(target=read, daemon=True)
            reader.start()
            status = "ok"
            try:
                proc.wait(timeout=budget_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                status = "over budget"
            finally:
                sampler.stop()
                reader.join(timeout=10)
            wall = time.perf_counter() - t0
            err.seek(0)
            errors = err.read()
        row: dict[str, Any] = {"method": method, "status": status, "wall_s": round(wall, 2), "budget_s": budget_s,
                               "peak_private_mb": _r(sampler.peak_private_mb),
                               "baseline_private_mb": _r(marks.get("baseline_private_mb"))}
        if status == "ok" and proc.returncode != 0:
            row.update(status="failed", error=errors[-1500:])
        if row["status"] != "ok":
            return row
        z = np.load(out)
        meta = json.loads(str(z["meta"]))
        row["seconds"] = round(meta["seconds"], 3)
        row["build_s"] = None if meta.get("build_s") is None else round(meta["build_s"], 3)
        for key in ("dropped", "kept"):
            if key in meta:
                row[key] = meta[key]
        if "a" in z:
            row["pairs"] = {"a": z["a"], "b": z["b"]}
        return row


def score(row: dict, truth: sh.Truth, truth_dropped: int) -> dict:
    """Pair recall, precision and groups exactly right (or, for SemHash, its dropped count
    beside truth's: every point of a group but one)."""
    if row.get("status") != "ok":
        return row
    pairs = row.pop("pairs", None)
    if pairs is not None:
        c = sh.compare({"pairs": {"a": pairs["a"].tolist(), "b": pairs["b"].tolist()},
                        "groups": [sorted(g) for g in sh.components(truth.n, pairs["a"].tolist(), pairs["b"].tolist())]},
                       truth)
        row.update(pair_recall=round(c.recall, 6), pair_precision=round(c.precision, 6), missed=len(c.missed),
                   extra=len(c.extra), groups_exact=c.groups_exact, truth_groups=c.truth_groups,
                   groups_exact_pct=round(c.groups_exact_pct, 2), pairs_found=c.found_pairs)
    if "dropped" in row:
        row["truth_dropped"] = truth_dropped
        row["dropped_vs_truth"] = round(row["dropped"] / truth_dropped, 4) if truth_dropped else None
    return row


def truth_dropped(truth: sh.Truth) -> int:
    """Records a deduplicator that keeps one per group should drop: every group's size - 1."""
    groups = truth.groups()
    return sum(len(g) for g in groups) - len(groups)


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 1)
