"""Scans of a kept collection by named scanner variants (bench/variants.json; ``as-is`` for the
scanner as it is), alternating, each on the user's path (checkpoints every 5 s, the three
payload fields) and scored on the cached sampled truth: seconds, exact searches, pair recall.
The side-by-side check of a variant at sizes where the full truth is not at hand (200k, 1M).

    .venv/bin/python bench/variant_sampled.py DATA_DIR N as-is sure-no-exact [--rounds 2] [--out F]

DATA_DIR: an embedded backend's data dir holding the benchmark's collection 'bench' of N points.
"""

from __future__ import annotations

import argparse
import json

import common

SCORED = ("pair_recall", "missed", "sample_pairs", "pair_precision", "sampled_points_exact_pct")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data_dir")
    ap.add_argument("n", type=int)
    ap.add_argument("variants", nargs="+")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--threshold", type=float, default=0.95)
    ap.add_argument("--truth-sample", type=int, default=20000)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    variants = {v: None if v == "as-is" else v for v in args.variants}
    rows = []
    for v, r, out, scored, (a, _) in common.variant_rounds(
        args.data_dir, args.n, args.threshold, variants, args.rounds, sampled=args.truth_sample, checkpoints=True
    ):
        row = {"variant": v, "round": r, "pairs": len(a), **{k: scored[k] for k in SCORED}}
        row.update({k: out.get(k) for k in ("seconds", "server_cpu_s", "cpu_s", "stats", "load_before")})
        common.log(json.dumps(row))
        rows.append(row)
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"n": args.n, "rows": rows}, f, indent=1)
        common.log(f"written {args.out}")


if __name__ == "__main__":
    main()
