"""The panel's main thread during a big scan (issue 16, section 2): every long task (over 50 ms,
as the browser's long-task observer reports them) while a real JupyterLab scans N points of
the benchmark's data on the real embedded backend, then while the group list is scrolled.

    nice -n 10 .venv/bin/python bench/longtasks.py [--n 200000] [--d 256] [--port 8915]

Steps: the benchmark's vectors (data.make_dataset) are upserted in batches into an embedded
backend under bench/.cache/longtasks-<n>-<d> (kept: a second run skips the upload), its index is
built, a Jupyter server on that data dir starts (Galata's server config: no token), and
bench/longtasks.mjs drives /usr/bin/chromium through playwright (ui-tests/node_modules): open
the panel, pick the collection, register a buffered PerformanceObserver for 'longtask' before
Detect, scan to the end, scroll the group list. Prints each long task (start, duration, phase)
and the max per phase; writes bench/results/longtasks-<n>.json. Give a --port no other Jupyter
server listens on (a Galata run on port p also takes p + 1 and p + 2).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import data  # noqa: E402
import scan_harness as sh  # noqa: E402

COLLECTION = "bench"


def log(message: str) -> None:
    print(f"[longtasks {time.strftime('%H:%M:%S')}] {message}", flush=True)


def seed(data_dir: str, n: int, d: int) -> None:
    """The benchmark's vectors in an embedded backend, indexed; skipped when already there."""
    marker = os.path.join(data_dir, "seeded.json")
    if os.path.exists(marker):
        log(f"reusing the seeded backend in {data_dir}")
        return
    from jupyterlab_near_duplicates.embedded import EmbeddedBackend

    os.makedirs(data_dir, exist_ok=True)
    X, payloads, info = data.make_dataset(n, d)
    backend = EmbeddedBackend(data_dir)
    url, key = backend.ensure_running()
    try:
        rest = sh.Rest(url, key)
        rest.create_collection(COLLECTION, d, "Cosine")
        t0 = time.perf_counter()
        for s in range(0, n, 5000):
            rest.upsert(COLLECTION, range(s, min(n, s + 5000)), X[s : s + 5000], payloads[s : s + 5000])
            if s % 50_000 == 0:
                log(f"upserted {s + 5000:,} of {n:,} ({time.perf_counter() - t0:.0f} s)")
        build_s = rest.build_index(COLLECTION, 0)
        log(f"upserted and indexed in {time.perf_counter() - t0:.0f} s (index build {build_s:.0f} s)")
    finally:
        backend.stop()
    with open(marker, "w") as f:
        json.dump({"n": n, "d": d, **{k: v for k, v in info.items() if isinstance(v, (int, float, str))}}, f)


SERVER_CONFIG = """
from jupyterlab.galata import configure_jupyter_server
configure_jupyter_server(c)
c.ServerApp.port = {port}
c.ServerApp.allow_root = True
c.ServerApp.root_dir = {root!r}
c.ServerApp.open_browser = False
c.NearDuplicates.embedded_data_dir = {data!r}
"""


def wait_for(url: str, timeout: float = 180) -> None:
    end = time.time() + timeout
    while time.time() < end:
        try:
            urllib.request.urlopen(url, timeout=5).read()
            return
        except Exception:
            time.sleep(1)
    raise TimeoutError(f"{url} did not answer in {timeout} s")


@contextlib.contextmanager
def serve_lab(data_dir: str, port: int) -> Iterator[dict]:
    """A JupyterLab (Galata's server config: no token) on ``port`` whose embedded backend keeps its
    data in ``data_dir``; yields the environment to run the browser's driver in."""
    work = tempfile.mkdtemp(prefix="nd-longtasks-")
    config = os.path.join(work, "server_config.py")
    with open(config, "w") as f:
        f.write(SERVER_CONFIG.format(port=port, root=work, data=data_dir))
    env = {**os.environ, "PATH": f"{REPO}/.venv/bin:{os.environ['PATH']}"}
    env.pop("QDRANT_URL", None)
    env.pop("QDRANT_API_KEY", None)
    server = subprocess.Popen(
        [f"{REPO}/.venv/bin/jupyter", "lab", f"--config={config}"],
        cwd=work,
        env=env,
        stdout=open(os.path.join(work, "server.log"), "w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for(f"http://localhost:{port}/lab")
        log(f"JupyterLab on port {port} (log: {work}/server.log)")
        yield env
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--d", type=int, default=256)
    parser.add_argument("--port", type=int, default=int(os.environ.get("ND_UI_TEST_PORT", "8915")))
    parser.add_argument("--scan-timeout", type=float, default=3600, help="seconds")
    parser.add_argument("--label", default="", help="a name for this run in the JSON (e.g. before, after)")
    parser.add_argument("--data-dir", help="an embedded backend's data dir that already holds the benchmark's "
                        "collection 'bench' of --n points, loaded and indexed (e.g. one bench/run.py "
                        "--keep-collection made); nothing is seeded")
    parser.add_argument("--trace-from", default="",
                        help="start the CPU profile and the trace at this scan phase (e.g. checking) instead of at "
                        "Detect: a 1M scan's whole trace does not fit in memory")
    parser.add_argument("--threshold", type=float, default=0.95,
                        help="the panel's threshold (its default setting) for scoring its pairs")
    parser.add_argument("--truth-sample", type=int, default=20000, help="points in the sampled exact truth")
    args = parser.parse_args()

    data_dir = args.data_dir or os.path.join(HERE, ".cache", f"longtasks-{args.n}-{args.d}")
    if not args.data_dir:
        seed(data_dir, args.n, args.d)

    out = os.path.join(HERE, "results", f"longtasks-{args.n}{'-' + args.label if args.label else ''}.json")
    with serve_lab(data_dir, args.port) as env:
        subprocess.run(
            [
                "node",
                os.path.join(HERE, "longtasks.mjs"),
                "--url",
                f"http://localhost:{args.port}",
                "--collection",
                COLLECTION,
                "--n",
                str(args.n),
                "--scan-timeout",
                str(int(args.scan_timeout * 1000)),
                "--label",
                args.label,
                "--trace-from",
                args.trace_from,
                "--out",
                out,
            ],
            check=True,
            env=env,
        )
    score(out, args.n, args.d, args.threshold, args.truth_sample)


def score(report_path: str, n: int, d: int, threshold: float, truth_sample: int) -> None:
    """The panel's pairs (longtasks.mjs wrote them beside the report) against the benchmark's
    exact truth on a sample of points (data.sampled_truth, cached), as user_path_scan.py scores
    a scan in Node; the figures go into the report."""
    import numpy as np
    import scale

    with open(report_path) as f:
        report = json.load(f)
    ends = np.fromfile(report["pairs"]["file"], dtype="<u4").reshape(2, -1)
    scored = scale.score_on_cached_truth(n, d, ends[0], ends[1], threshold, truth_sample)
    scored.update(threshold=threshold)
    report["scored"] = scored
    with open(report_path, "w") as f:
        json.dump(report, f, indent=1)
    log(f"the panel's pairs against the sampled truth: {json.dumps(scored, default=str)}")


if __name__ == "__main__":
    main()
