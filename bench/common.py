"""What the benchmark's jobs share: the collection's name and payload fields, logging, and one
scan of ours (or the seed) in Node against the embedded backend with the backend's CPU time."""

from __future__ import annotations

import argparse
import os
from typing import Any

import scan_harness as sh

COLLECTION = "bench"
FIELDS = {"sampleIdField": "sample_id", "thumbnailField": "thumbnail", "splitField": "split"}




def log(msg: str) -> None:
    print(msg, flush=True)


def server_cpu(backend: Any) -> float:
    """CPU seconds (user + system, all threads) the backend's process has used so far."""
    import psutil

    t = psutil.Process(backend.pid).cpu_times()
    return t.user + t.system


def scan(backend: Any, bundle: str, mode: str, threshold: float, **options: Any) -> dict:
    """One scan in Node, with the CPU time the backend spent serving it."""
    assert backend.url and backend.api_key
    before = server_cpu(backend)
    load = os.getloadavg()[0]
    out = sh.run_scan(bundle, mode, backend.url, backend.api_key, COLLECTION, threshold, **options)
    out["server_cpu_s"] = server_cpu(backend) - before
    out["load_before"] = load
    return out


def v8_line(row: dict) -> str:
    """One phase's V8 figures from a Node scan's ``v8_memory`` (bench/scan_node.ts, PhaseMemory)."""
    return (
        f"V8 heap used {row.get('heap_used_mb')} MB, committed {row.get('heap_total_mb')} MB, ArrayBuffers "
        f"{row.get('array_buffers_mb')} MB, committed + ArrayBuffers {row.get('heap_total_plus_buffers_mb')} MB"
    )


def scan_options(args: argparse.Namespace, **override: Any) -> dict:
    opts = {
        "limit": args.limit,
        "batchSize": args.batch_size,
        "inFlight": args.in_flight,
        "exact": True if args.exact else None,
        "hnswEf": args.hnsw_ef,
        **FIELDS,
    }
    opts.update(override)
    return opts


def variant_rounds(
    data_dir: str,
    n: int,
    threshold: float,
    variants: dict,
    rounds: int,
    timeout: float = 6 * 3600,
    sampled: int | None = None,
    checkpoints: bool = False,
):
    """Scans of one kept collection (its collection named `bench`, N points of the benchmark's
    data) by each of ``variants`` (name -> bench/variants.json variant, None for the scanner as
    it is), alternating, ``rounds`` times, each in its own Node process and all in one embedded
    backend. Yields (name, round, output, comparison with the full exact truth, groups).

    ``sampled``: compared instead with the cached sampled truth of that many points
    (scale.score_on_cached_truth), for sizes where the full truth is not at hand.
    ``checkpoints``: each scan keeps checkpoints as the worker does (the user's path)."""
    import tempfile

    import data
    import numpy as np

    from jupyterlab_near_duplicates.embedded import EmbeddedBackend

    if sampled is None:
        X, _, _, _ = data.cached_vectors(n, 256, 0)
        truth, _, _ = data.cached_truth(X, threshold)
        del X
    tmp = tempfile.mkdtemp(prefix="nd-variant-rounds-")
    bundles = {
        name: sh.build_bundle(os.path.join(tmp, f"{name}.cjs"), variant=variant) for name, variant in variants.items()
    }
    backend = EmbeddedBackend(data_dir)
    backend.ensure_running()
    try:
        for r in range(rounds):
            for name, bundle in bundles.items():
                extra = {"checkpointPath": tempfile.mkdtemp(dir=tmp) + "/scan.ckpt"} if checkpoints else {}
                out = scan(backend, bundle, "ours", threshold, timeout=timeout, **extra, **FIELDS)
                a = np.asarray(out["pairs"]["a"], dtype=np.int64)
                b = np.asarray(out["pairs"]["b"], dtype=np.int64)
                if sampled is not None:
                    import scale

                    yield name, r, out, scale.score_on_cached_truth(n, 256, a, b, threshold, sampled), (a, b)
                    continue
                out["groups"] = sh.components(n, a, b)
                yield name, r, out, sh.compare(out, truth), (a, b)
    finally:
        backend.stop()

