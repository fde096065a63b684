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

