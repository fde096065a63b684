"""The cover (src/scan/cover.ts) against the scan without it (variant no-group-cover), side by side on
one kept collection of the benchmark's data set in the embedded backend, alternating, each
scan in its own Node process; every row scored against the exact truth (cached in bench/.cache).

    .venv/bin/python bench/cover_ab.py DIR N [--rounds 2] [--out bench/results/cover-200k.json]

DIR: a collection kept by `bench/run.py --keep-collection` (or memory runs) for N points, its
collection named `bench`. Prints one line per scan and writes every row to --out.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH)

import common  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir")
    ap.add_argument("n", type=int)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--threshold", type=float, default=0.95)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    rows = []
    variants = {"no-group-cover": "no-group-cover", "cover": None}
    for name, r, out, c, _ in common.variant_rounds(args.dir, args.n, args.threshold, variants, args.rounds, 4 * 3600):
        grouped = {p for g in out["groups"] for p in g}
        row = {
            "scan": name, "round": r + 1, "n": args.n, "wall_s": round(out["wall_s"], 1),
            "backend_cpu_s": round(out["server_cpu_s"], 1), "node_cpu_s": round(out["cpu_s"], 1),
            "queries": out["stats"]["queries"], "peak_private_mb": round(out["peak_private_mb"], 1),
            "pair_recall": round(c.recall, 6), "missed": len(c.missed), "extra": len(c.extra),
            "missed_at_grouped_points": sum(1 for x, y in c.missed if x in grouped or y in grouped),
            "groups_exact": c.groups_exact, "truth_groups": c.truth_groups,
            "load_before": round(out["load_before"], 1), "when": time.strftime("%Y-%m-%dT%H:%M:%S"),
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump({"about": __doc__.strip().splitlines()[0], "rows": rows}, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
