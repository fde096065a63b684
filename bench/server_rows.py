"""Recall rows with the scan's own audit (issue 12): the data set on a real Qdrant server, one
row per scan route, each against exact truth, and the table of those rows."""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

import numpy as np
import scan_harness as sh
from common import COLLECTION, log, scan_options
from data import _unit, make_dataset

SERVER_SCANS = [  # (label, scan options): the same data, one server, back to back
    ("by-id pass only (the scan before issue 12)", {"cure": "never", "auditPoints": 0}),
    ("default: audit + cure when the audit finds unreachable points (left to the cover and the lonely pass)", {}),
    ("cure, each unreachable point searched exactly over the collection (sureExact collection, the default before)",
     {"sureExact": "collection"}),
    ("cure, unreachable points searched wide then exactly among themselves (sureExact unreachable)", {"sureExact": "unreachable"}),
    ("audit, cure off", {"cure": "never"}),
]


def run_server(n: int, args: argparse.Namespace, bundle: str) -> list[dict]:
    """The data set on a real Qdrant server (bench/qdrant_server.py), uploaded as a user does:
    batches of 5,000 with wait=true, then left to the server's optimizer until green. One row
    per scan in SERVER_SCANS (and exact search with --server-exact), each against exact truth."""
    import qdrant_server

    reason = qdrant_server.unavailable_reason()
    if reason:
        log(f"server rows skipped: {reason}")
        return []
    d, t = args.dim, args.threshold
    X, payloads, _ = make_dataset(n, d, seed=args.seed)
    truth = sh.exact_pairs(_unit(X), t, "Cosine")
    rows = []
    with qdrant_server.QdrantServer() as server:
        rest = sh.Rest(server.url, server.api_key)
        rest.create_collection(COLLECTION, d, "Cosine")
        t0 = time.perf_counter()
        rest.upsert(COLLECTION, np.arange(n), X, payloads, batch=args.upsert_batch)
        info = sh.wait_green(rest, COLLECTION)
        rest.close()
        layout = f"{info['segments_count']} segments, {info['indexed_vectors_count']}/{info['points_count']} indexed"
        log(f"\n== real Qdrant server, N = {n}: loaded in {time.perf_counter() - t0:.1f} s in batches of "
            f"{args.upsert_batch}; {layout}")
        scans = SERVER_SCANS + ([("exact search", {"exact": True, "cure": "never"})] if args.server_exact else [])
        for label, opts in scans:
            load = os.getloadavg()[0]
            out = sh.run_scan(bundle, "ours", server.url, server.api_key, COLLECTION, t,
                              **{**scan_options(args), **opts})
            rows.append(audit_row("server", n, label, out, truth, load, layout))
    return rows


def audit_row(backend: str, n: int, label: str, out: dict, truth: Any, load: float, layout: str,
              index_of: dict | None = None) -> dict:
    """One scan against exact truth, with what its own audit said."""
    c = sh.compare(out, truth, index_of)
    a = out.get("audit") or {}
    inside = None
    if a.get("low") is not None:
        inside = a["low"] <= c.recall <= a["high"]
    row = {
        "backend": backend, "n": n, "scan": label, "layout": layout, "seconds": round(out["seconds"], 2),
        "pair_recall": round(c.recall, 6), "missed": len(c.missed), "groups_exact": c.groups_exact,
        "truth_groups": c.truth_groups, "route": a.get("route"), "searched_exactly": a.get("searchedExactly"),
        "deferred": a.get("deferred", 0),
        "audit_sampled": a.get("sampled"), "audit_unreachable": a.get("unreachable"),
        "audit_recall": a.get("recall"), "audit_low": a.get("low"), "audit_high": a.get("high"),
        "audit_holds_truth": inside, "cure_offered": a.get("cure"), "load": round(load, 1),
    }
    log(f"{backend} {label}: {row['seconds']} s, recall {row['pair_recall']} ({row['missed']} missed), groups "
        f"{row['groups_exact']}/{row['truth_groups']}; route {row['route']} (exact for {row['searched_exactly']}, "
        f"left to the cover and the lonely pass {row['deferred']}); "
        f"audit {_pct(a.get('recall'))} [{_pct(a.get('low'))}, {_pct(a.get('high'))}] of {row['audit_sampled']} points, "
        f"{row['audit_unreachable']} unreachable, holds truth: {inside}; load {row['load']}")
    return row


def _pct(x: Any) -> str:
    return "-" if x is None else f"{100 * x:.3f}%"


def audit_table(rows: list[dict]) -> str:
    head = ("| backend | N | scan | s | pair recall | missed | groups right | route (exact for) | audit estimate "
            "[95% interval], points | truth inside |")
    lines = [head, "|" + "---|" * 10]
    for r in rows:
        lines.append(
            f"| {r['backend']} | {r['n']} | {r['scan']} | {r['seconds']:.1f} | {r['pair_recall']:.5f} | {r['missed']} | "
            f"{r['groups_exact']}/{r['truth_groups']} | {r['route']} ({r['searched_exactly']}) | "
            f"{_pct(r['audit_recall'])} [{_pct(r['audit_low'])}, {_pct(r['audit_high'])}], {r['audit_sampled']} | "
            f"{'-' if r['audit_holds_truth'] is None else ('yes' if r['audit_holds_truth'] else 'NO')} |"
        )
    return "\n".join(lines)

