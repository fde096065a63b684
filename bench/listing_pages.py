"""Listing speed of the embedded backend by scroll page size, through the product's own client.

    .venv/bin/python bench/listing_pages.py [--n 30000] [--pages 250,1000,5000,10000] [--out FILE]

Loads N points of the benchmark's data (no index: listing does not use it), then lists every id
with the three payload fields the panel shows through the official @qdrant/js-client-rest in
Node (bench/listing_pages.cjs), twice per page size. For each listing: points per second of
wall time, and per CPU second of the backend's process and of Node (CPU seconds stay
meaningful when other work shares the cores; wall time does not).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import psutil

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
sys.path.insert(0, ROOT)
sys.path.insert(0, BENCH)

import scan_harness as sh  # noqa: E402
from data import make_dataset  # noqa: E402

from jupyterlab_near_duplicates.embedded import EmbeddedBackend  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=30000)
    ap.add_argument("--pages", default="250,1000,5000,10000")
    ap.add_argument("--out", default=None, help="also write the rows as JSON here")
    args = ap.parse_args()
    X, payloads, _ = make_dataset(args.n, 256, 0)
    with tempfile.TemporaryDirectory(prefix="nd-listing-pages-") as tmp:
        backend = EmbeddedBackend(tmp)
        try:
            url, key = backend.ensure_running()
            rest = sh.Rest(url, key, timeout=600)
            rest.create_collection("bench", 256, "Cosine")
            rest.upsert("bench", np.arange(args.n), X, payloads, batch=5000)
            rest.close()
            server = psutil.Process(backend.pid)

            def server_cpu() -> float:
                t = server.cpu_times()
                return t.user + t.system

            env = dict(os.environ, ND_LIST_URL=url, ND_BENCH_API_KEY=key, ND_LIST_PAGES=args.pages,
                       NODE_PATH=os.path.join(ROOT, "node_modules"))
            node = subprocess.Popen([sh.node_executable(), os.path.join(BENCH, "listing_pages.cjs")], env=env,
                                    stdout=subprocess.PIPE, text=True, cwd=ROOT)
            rows = []
            before = server_cpu()
            for line in node.stdout:  # type: ignore[union-attr]
                r = json.loads(line)
                now = server_cpu()
                row = {"n": args.n, "page": r["page"], "points_per_s": round(r["got"] / r["wall_s"]),
                       "backend_points_per_cpu_s": round(r["got"] / max(1e-9, now - before)),
                       "node_points_per_cpu_s": round(r["got"] / max(1e-9, r["node_cpu_s"])),
                       "load": round(os.getloadavg()[0], 1)}
                before = now
                rows.append(row)
                print(f"page {row['page']:6,}: {row['points_per_s']:9,} points/s wall; backend "
                      f"{row['backend_points_per_cpu_s']:9,} and Node {row['node_points_per_cpu_s']:9,} points per CPU s; "
                      f"load {row['load']}", flush=True)
            node.wait()
        finally:
            backend.stop()
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump({"what": " ".join(sys.argv), "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "rows": rows}, f,
                      indent=1)


if __name__ == "__main__":
    main()
