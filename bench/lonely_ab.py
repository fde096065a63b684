"""The lonely pass's gain and cost (issue 16; bench/README.md, 7f): ours and the `no-lonely`
variant back to back on a kept collection, each round in one embedded backend, every pair
scored against the full exact truth (bench/.cache, computed there when missing).

    .venv/bin/python bench/lonely_ab.py DATA_DIR N [--rounds 1] [--out FILE]

DATA_DIR: an embedded backend's data dir holding the benchmark's collection 'bench' of N
points (e.g. the one `bench/run.py --data-dir` built). Prints one JSON row per scan.
"""

from __future__ import annotations

import argparse
import collections
import json

import common
import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data_dir")
    ap.add_argument("n", type=int)
    ap.add_argument("--threshold", type=float, default=0.95)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--out")
    args = ap.parse_args()
    rows = []
    variants = {"ours": None, "no-lonely": "no-lonely"}
    for name, r, out, c, (a, b) in common.variant_rounds(args.data_dir, args.n, args.threshold, variants, args.rounds):
        deg = np.bincount(np.concatenate([a, b]), minlength=args.n)
        kinds = collections.Counter(
            ("lonely" if deg[x] == 0 else "grouped") + "-" + ("lonely" if deg[y] == 0 else "grouped")
            for x, y in c.missed
        )
        row = {
            "round": r, "variant": name, "seconds": out["seconds"], "server_cpu_s": out["server_cpu_s"],
            "cpu_s": out.get("cpu_s"), "peak_private_mb": out.get("peak_private_mb"),
            "load_before": out["load_before"], "stats": out["stats"], "recall": c.recall,
            "missed": len(c.missed), "extra": len(c.extra), "groups_exact": c.groups_exact,
            "truth_groups": c.truth_groups, "missed_kinds": dict(kinds),
            "missed_pairs": [list(map(int, m)) for m in c.missed][:20],
        }
        rows.append(row)
        common.log(json.dumps(row, default=str))
    if args.out:
        with open(args.out, "w") as f:
            json.dump(rows, f, indent=1, default=str)


if __name__ == "__main__":
    main()
