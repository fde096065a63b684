"""Ours and the floor on a kept collection, with the floor replaying a k-th of ours' requests
(issue 16: the 1.3x target at 1M, where the whole floor replay takes longer than ours' scan).

    .venv/bin/python bench/floor_every.py DATA_DIR N [--every 4] [--full] [--rounds 1] [--checkpoints]

One scan of ours in Node over REST (as bench/run.py runs it: the three payload fields, its
requests recorded), then, on a copy of the collection opened in this process, the floor over a
k-th of the requests, drawn at random (floor.floor_replay's ``every``: the whole projected from it, with its
standard error) and, with --full, the whole floor too, alternating, ``--rounds`` times: at sizes
where both fit, the side-by-side check that the sample's projection agrees with the whole
replay. Prints each figure and the ratios; writes bench/results/floor-every-<n>[-label].json.

DATA_DIR: an embedded backend's data dir holding the benchmark's collection 'bench' of N points.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time

import common
import scan_harness as sh
from floor import floor_replay

from jupyterlab_near_duplicates.embedded import EmbeddedBackend

HERE = os.path.dirname(os.path.abspath(__file__))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data_dir")
    ap.add_argument("n", type=int)
    ap.add_argument("--every", type=int, default=4)
    ap.add_argument("--full", action="store_true", help="also replay every request (the check of the projection)")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--threshold", type=float, default=0.95)
    ap.add_argument("--label", default="")
    ap.add_argument("--checkpoints", action="store_true",
                    help="ours keeps checkpoints as the worker does (every 5 s, the benchmark's file store): "
                         "the user's path, and its memory")
    ap.add_argument("--keep-recording", default=None, metavar="PATH", help="copy ours' recorded requests here")
    ap.add_argument("--sampled", type=int, default=0, metavar="K",
                    help="after the floor, score ours' pairs on the cached sampled exact truth of K points "
                         "(data.sampled_truth; computed once, then read back)")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="nd-floor-every-")
    recording = os.path.join(work, "requests.ndjson")
    bundle = sh.build_bundle(os.path.join(work, "scan_node.cjs"))
    backend = EmbeddedBackend(args.data_dir)
    backend.ensure_running()
    try:
        extra = {"checkpointPath": os.path.join(work, "scan.ckpt")} if args.checkpoints else {}
        ours = common.scan(backend, bundle, "ours", args.threshold, timeout=6 * 3600, recordPath=recording,
                           **extra, **common.FIELDS)
    finally:
        backend.stop()
    common.log(
        f"ours: {ours['seconds']:.1f} s ({ours['stats']['requests']} requests; CPU backend {ours['server_cpu_s']:.1f} s, "
        f"Node {ours['cpu_s']:.1f} s), {len(ours['pairs']['a']):,} pairs; load {ours['load_before']:.1f}"
    )
    for phase, row in (ours.get("v8_memory") or {}).items():
        common.log(f"ours, {phase}: {common.v8_line(row)}")
    if args.keep_recording:
        shutil.copy(recording, args.keep_recording)
    from jupyterlab_near_duplicates.embedded.store import Store

    shutil.copytree(os.path.join(args.data_dir, "collections"), os.path.join(work, "floor", "collections"))
    store = Store(os.path.join(work, "floor"))
    rows = []
    try:
        coll = store.get(common.COLLECTION)
        for r in range(args.rounds):
            for every in ([1] if args.full else []) + [args.every]:
                f = floor_replay(coll, recording, every=every, seed=r)
                row = {k: v for k, v in f.items() if k not in ("ids", "pairs")}
                row["round"] = r
                if every == 1:
                    common.log(f"round {r}: floor, every request: {f['seconds']:.1f} s ({f['requests']} requests), "
                               f"CPU {f['cpu_seconds']:.1f} s; ours / floor {ours['seconds'] / f['seconds']:.3f}")
                else:
                    p, se = f["projected_seconds"], f["projected_se"]
                    common.log(f"round {r}: floor, a random {every}th of the requests ({f['requests']} of {f['requests_recorded']}): "
                               f"{f['seconds']:.1f} s, projected {p:.1f} +/- {se:.1f} s; ours / floor {ours['seconds'] / p:.3f} "
                               f"({ours['seconds'] / (p + 2 * se):.3f} to {ours['seconds'] / max(1e-9, p - 2 * se):.3f})")
                rows.append(row)
    finally:
        store.close()
        shutil.rmtree(work, ignore_errors=True)
    audit = ours.get("audit") or {}
    common.log(f"ours' audit: route {audit.get('route')}, unreachable in its sample {audit.get('unreachable')}, "
               f"searched exactly {audit.get('searchedExactly')}, left to the cover and the lonely pass "
               f"{audit.get('deferred', 0)}; lonely pass {ours.get('stats', {}).get('lonely')}")
    scored = None
    if args.sampled:
        import numpy as np
        import scale

        a = np.asarray(ours["pairs"]["a"], dtype=np.int64)
        b = np.asarray(ours["pairs"]["b"], dtype=np.int64)
        scored = scale.score_on_cached_truth(args.n, 256, a, b, args.threshold, args.sampled)
        common.log(f"ours on the sampled truth of {args.sampled:,} points: {scored}")
    out = os.path.join(HERE, "results", f"floor-every-{args.n}{'-' + args.label if args.label else ''}.json")
    keep = ("seconds", "wall_s", "server_cpu_s", "cpu_s", "stats", "load_before", "peak_private_mb", "v8_memory", "v8_timeline")
    with open(out, "w") as fh:
        json.dump({"n": args.n, "every": args.every, "checkpoints": args.checkpoints, "when": time.strftime("%Y-%m-%dT%H:%M:%S"),
                   "ours": {k: ours.get(k) for k in keep}, "audit": audit, "sampled_truth": scored, "floor": rows},
                  fh, indent=1, default=str)
    common.log(f"written {out}")


if __name__ == "__main__":
    main()
