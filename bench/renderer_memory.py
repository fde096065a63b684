"""The tab's memory while the panel scans, as a user's tab holds it (issue 16: the worker under
300 MB): a real JupyterLab on an embedded backend's kept collection, Chromium started by hand
and driven by bench/renderer_memory.mjs over the DevTools protocol with no DevTools agent in the
page or the worker (Playwright's network agent alone keeps about 200 MB of query answers in the
renderer; see that file). Prints the renderer's private memory (idle, scan peak, growth) and
what its allocators hold before Detect, every --dump-every seconds and at the result; writes
bench/results/renderer-memory-<n>[-label].json.

    .venv/bin/python bench/renderer_memory.py DATA_DIR N [--label L] [--port 8916]

DATA_DIR: an embedded backend's data dir holding the benchmark's collection 'bench' of N
points, loaded and indexed (e.g. one `bench/run.py --peers --keep-collection` made).
"""

from __future__ import annotations

import argparse
import os
import subprocess

from longtasks import COLLECTION, HERE, serve_lab


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data_dir")
    ap.add_argument("n", type=int)
    ap.add_argument("--label", default="")
    ap.add_argument("--port", type=int, default=8916, help="the Jupyter server's port (nothing else may listen there)")
    ap.add_argument("--debug-port", type=int, default=9339, help="Chromium's DevTools port")
    ap.add_argument("--dump-every", type=float, default=30, help="seconds between memory-infra dumps while scanning")
    ap.add_argument("--scan-timeout", type=float, default=3 * 3600, help="seconds")
    args = ap.parse_args()
    out = os.path.join(HERE, "results", f"renderer-memory-{args.n}{'-' + args.label if args.label else ''}.json")
    with serve_lab(args.data_dir, args.port) as env:
        subprocess.run(
            [
                "node",
                "--experimental-websocket",
                os.path.join(HERE, "renderer_memory.mjs"),
                "--url", f"http://localhost:{args.port}",
                "--collection", COLLECTION,
                "--debug-port", str(args.debug_port),
                "--dump-every", str(args.dump_every),
                "--scan-timeout", str(int(args.scan_timeout * 1000)),
                "--out", out,
            ],
            check=True,
            env=env,
        )


if __name__ == "__main__":
    main()
