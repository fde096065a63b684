"""Show last scan against a full scan, in Node on a kept collection: the scan with its record
kept (as the worker keeps it), then a scan of changes from that record with nothing changed
(what "Show last scan" runs). Prints each one's time, queries, requests, pairs and the
backend's CPU.

    .venv/bin/python bench/show_last.py DATA_DIR N

DATA_DIR: an embedded backend's data dir holding the benchmark's collection 'bench' of N points.
"""

from __future__ import annotations

import argparse
import os
import tempfile

import common
import scan_harness as sh

from jupyterlab_near_duplicates.embedded import EmbeddedBackend


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data_dir")
    ap.add_argument("n", type=int)
    ap.add_argument("--threshold", type=float, default=0.95)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="nd-show-last-")
    bundle = sh.build_bundle(os.path.join(work, "scan_node.cjs"))
    record = os.path.join(work, "scan.ckpt")
    backend = EmbeddedBackend(args.data_dir)
    backend.ensure_running()
    try:
        for name, changes in (("scan", False), ("show last scan", True)):
            out = common.scan(backend, bundle, "ours", args.threshold, timeout=6 * 3600, checkpointPath=record,
                              changes=changes, **common.FIELDS)
            stats = out["stats"]
            common.log(f"{name}: {out['seconds']:.1f} s, {stats['queries']:,} queries in {stats['requests']:,} requests, "
                       f"{len(out['pairs']['a']):,} pairs, backend CPU {out['server_cpu_s']:.1f} s"
                       + (f", changes {stats['changes']}" if changes else ""))
    finally:
        backend.stop()


if __name__ == "__main__":
    main()
