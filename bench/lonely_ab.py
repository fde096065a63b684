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
import os
import tempfile

import common
import data
import numpy as np
import scan_harness as sh

from jupyterlab_near_duplicates.embedded import EmbeddedBackend


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data_dir")
    ap.add_argument("n", type=int)
    ap.add_argument("--threshold", type=float, default=0.95)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--out")
    args = ap.parse_args()
    X, _, _, _ = data.cached_vectors(args.n, 256, 0)
    truth, _, _ = data.cached_truth(X, args.threshold)
    del X
    tmp = tempfile.mkdtemp(prefix="nd-lonely-ab-")
    bundles = {
        "ours": sh.build_bundle(os.path.join(tmp, "ours.cjs")),
        "no-lonely": sh.build_bundle(os.path.join(tmp, "no-lonely.cjs"), variant="no-lonely"),
    }
    backend = EmbeddedBackend(args.data_dir)
    backend.ensure_running()
    rows = []
    try:
        for r in range(args.rounds):
            for name, bundle in bundles.items():
                out = common.scan(backend, bundle, "ours", args.threshold, timeout=6 * 3600, **common.FIELDS)
                a = np.asarray(out["pairs"]["a"], dtype=np.int64)
                b = np.asarray(out["pairs"]["b"], dtype=np.int64)
                out["groups"] = sh.components(args.n, a, b)
                c = sh.compare(out, truth)
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
    finally:
        backend.stop()
    if args.out:
        with open(args.out, "w") as f:
            json.dump(rows, f, indent=1, default=str)


if __name__ == "__main__":
    main()
