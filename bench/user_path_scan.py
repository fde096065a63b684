"""One scan of a kept collection on the user's path, in Node: checkpoints every 5 s to the
benchmark's file store (as the worker keeps them), the three payload fields, the group cover.
Prints the private memory's peak per phase, scores the pairs against the cached sampled truth,
and writes a JSON row (issue 16: the worker's memory at 1M).

    .venv/bin/python bench/user_path_scan.py DATA_DIR N --out bench/results/embedded-1m-user-path.json

DATA_DIR: an embedded backend's data dir holding the benchmark's collection 'bench' of N points
(e.g. one `bench/run.py --keep-collection` made). The vectors and the sampled truth come from
bench/.cache (data.cached_vectors, data.sampled_truth), computed there when missing.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

import common
import numpy as np
import scale
import scan_harness as sh

from jupyterlab_near_duplicates.embedded import EmbeddedBackend

KEPT = ("seconds", "wall_s", "peak_private_mb", "baseline_private_mb", "private_peak_at_s", "server_cpu_s", "cpu_s")
KEPT += ("heap_used_mb", "heap_total_mb", "external_mb", "stats", "audit", "load_before", "private_timeline", "v8_memory", "v8_timeline")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data_dir")
    ap.add_argument("n", type=int)
    ap.add_argument("--threshold", type=float, default=0.95)
    ap.add_argument("--truth-sample", type=int, default=20000)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    bundle = sh.build_bundle(outfile=os.path.join(tempfile.mkdtemp(prefix="nd-user-path-"), "scan_node.cjs"))
    backend = EmbeddedBackend(args.data_dir)
    backend.ensure_running()
    checkpoint = os.path.join(tempfile.mkdtemp(prefix="nd-user-path-ck-"), "scan.ckpt")
    try:
        out = common.scan(backend, bundle, "ours", args.threshold, timeout=6 * 3600, checkpointPath=checkpoint, **common.FIELDS)
    finally:
        backend.stop()
    phases, timeline = out["phase_starts_ms"], out["private_timeline"]
    per_phase = []
    for i, p in enumerate(phases):
        start = p["at"] / 1000
        end = phases[i + 1]["at"] / 1000 if i + 1 < len(phases) else float("inf")
        peak = max([mb for t, mb in timeline if start <= t < end] or [0])
        per_phase.append({"phase": p["phase"], "start_s": round(start, 1), "peak_private_mb": peak})
        v8 = (out.get("v8_memory") or {}).get(p["phase"], {})
        common.log(f"{p['phase']:12s} from {start:8.1f} s  peak {peak} MB private; {common.v8_line(v8)}")
    a = np.asarray(out["pairs"]["a"], dtype=np.int64)
    b = np.asarray(out["pairs"]["b"], dtype=np.int64)
    row = {k: out.get(k) for k in KEPT}
    row.update(scale.score_on_cached_truth(args.n, 256, a, b, args.threshold, args.truth_sample))
    row.update(per_phase=per_phase)
    row.update(when=time.strftime("%Y-%m-%dT%H:%M:%S"), loadavg_end=os.getloadavg())
    with open(args.out, "w") as f:
        json.dump(row, f, indent=1, default=str)
    common.log(json.dumps({k: v for k, v in row.items() if k not in ("private_timeline", "per_phase")}, default=str))


if __name__ == "__main__":
    main()
