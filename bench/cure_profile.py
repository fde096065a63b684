"""Where the cure's time goes (issue 12): scans of one collection on a real Qdrant server, back
to back, each timed call by call (scan_node.ts `profile`): listing, vector fetches, query
batches by kind. A least-squares fit over the batches splits a batch's time by the kind of
search in it (by id, by vector, exact over the collection, has_id-filtered), since one batch
mixes them. Also the server's CPU seconds per scan, and recall against exact truth.

    .venv/bin/python bench/cure_profile.py --server /tmp/server.json --scans by-id,default --rounds 2

`--server` names a JSON file {url, key, pid, n} of a server already loaded with the
benchmark's data (as bench/run.py --backend server loads it); the key stays in that file.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH)
sys.path.insert(0, os.path.dirname(BENCH))

import scan_harness as sh  # noqa: E402
from common import COLLECTION, FIELDS, log  # noqa: E402
from data import _unit, cached_truth, make_dataset  # noqa: E402

SCANS = {
    "by-id": {"cure": "never", "auditPoints": 0},
    "default": {},
    "sure-always-no-audit": {"cure": "always", "auditPoints": 0},
}


def kinds_fit(calls: list[dict]) -> dict:
    """ms per search of each kind, and per batch, fitted over the query batches."""
    batches = [c for c in calls if c["op"] == "queryBatch"]
    names = sorted({k for c in batches for k in c["kinds"]})
    if not batches:
        return {}
    A = np.array([[c["kinds"].get(k, 0) for k in names] + [1.0] for c in batches])
    y = np.array([c["ms"] for c in batches])
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    fit = {f"ms per {k}": round(float(v), 3) for k, v in zip(names + ["batch"], coef)}
    fit["searches"] = {k: int(sum(c["kinds"].get(k, 0) for c in batches)) for k in names}
    return fit


def summary(out: dict) -> dict:
    calls = out.get("profile") or []
    by_op: dict[str, dict] = {}
    for c in calls:
        s = by_op.setdefault(c["op"], {"calls": 0, "ms_in_flight": 0.0, "request_mb": 0.0, "answer_mb": 0.0})
        s["calls"] += 1
        s["ms_in_flight"] += c["ms"]
        s["request_mb"] += c["requestChars"] / 1e6
        s["answer_mb"] += c["answerChars"] / 1e6
    for s in by_op.values():
        for k in ("ms_in_flight", "request_mb", "answer_mb"):
            s[k] = round(s[k], 1)
    starts = out.get("phase_starts_ms") or []
    phases = {}
    for a, b in zip(starts, starts[1:]):
        phases[a["phase"]] = round((b["at"] - a["at"]) / 1000, 2)
    exact = [e for c in calls if c["op"] == "queryBatch" for e in c.get("exact") or []]
    return {"by_op": by_op, "fit": kinds_fit(calls), "phases_s": phases, "exact_searches": exact}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--scans", default="by-id,default")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument(
        "--variant",
        action="append",
        default=[],
        help='name=variant of variants.json (bundle), optionally +JSON scan options: x=no-cover+{"cure":"always"}',
    )
    ap.add_argument("--opts", action="append", default=[], help='name=JSON scan options, e.g. x={"cure":"always"}')
    ap.add_argument("--profile", action="store_true", help="note every call (costs Node CPU: JSON sizes)")
    ap.add_argument("--out")
    args = ap.parse_args()
    with open(args.server) as f:
        server = json.load(f)
    import psutil

    proc = psutil.Process(server["pid"])
    X, _, _ = make_dataset(server["n"], 256, seed=0)
    truth, _, _ = cached_truth(_unit(X), 0.95, log)
    scans = {k: (None, v) for k, v in SCANS.items()}
    for spec in args.opts:
        name, _, js = spec.partition("=")
        scans[name] = (None, json.loads(js))
    for spec in args.variant:
        name, _, variant = spec.partition("=")
        variant, _, js = variant.partition("+")
        scans[name] = (variant, json.loads(js) if js else {})
    bundles = {None: sh.build_bundle()}
    for variant, _ in scans.values():
        if variant not in bundles:
            bundles[variant] = sh.build_bundle(os.path.join(BENCH, ".build", f"scan_node-{variant}.cjs"), variant)
    rows = []
    for r in range(args.rounds):
        for name in args.scans.split(","):
            variant, opts = scans[name]
            load = os.getloadavg()[0]
            cpu0 = sum(proc.cpu_times()[:2])
            out = sh.run_scan(
                bundles[variant],
                "ours",
                server["url"],
                server["key"],
                COLLECTION,
                0.95,
                **FIELDS,
                **opts,
                **({"profile": True} if args.profile else {}),
            )
            cpu = sum(proc.cpu_times()[:2]) - cpu0
            c = sh.compare(out, truth)
            a = out.get("audit") or {}
            row = {
                "round": r,
                "scan": name,
                "s": round(out["seconds"], 2),
                "server_cpu_s": round(cpu, 1),
                "node_cpu_s": round(out["cpu_s"], 1),
                "recall": round(c.recall, 6),
                "missed": len(c.missed),
                "groups": f"{c.groups_exact}/{c.truth_groups}",
                "route": a.get("route"),
                "searched_exactly": a.get("searchedExactly"),
                "covered_exactly": a.get("coveredExactly"),
                "unreachable_in_sample": a.get("unreachable"),
                "queries": out["stats"]["queries"],
                "requests": out["stats"]["requests"],
                "load": round(load, 1),
                "missed_sample": [list(map(int, m)) for m in list(c.missed)[:20]],
                **summary(out),
            }
            rows.append(row)
            log(json.dumps({k: v for k, v in row.items() if k not in ("missed_sample", "exact_searches")}))
    if args.out:
        with open(args.out, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
