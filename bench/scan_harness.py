"""Shared by the scan benchmark (bench/run.py) and the integration test
(tests/test_scan_integration.py): run a scan in Node, talk to the embedded backend's REST API,
compute the exact answer with numpy, and compare the two.

Nothing here imports the engine, so the test process stays light.
"""

from __future__ import annotations

import functools
import http.client
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)

# Scores within this of the threshold are "borderline": the engine compares in float32 with
# SIMD sums, numpy in float64, and the two may disagree on which side such a pair falls.
COSINE_EPS = 1e-5


class NodeMissing(RuntimeError):
    pass


#: The exit status of a Node scan ended on purpose by ``stopAfterBatches`` (bench/scan_node.ts).
INTERRUPTED = 75


class ScanFailed(RuntimeError):
    """A Node scan that exited with an error; ``error`` is its ScanError (kind, message) when it had one."""

    def __init__(self, mode: str, status: int, errors: str):
        super().__init__(f"the {mode} scan failed (exit {status}):\n{errors[-4000:]}")
        self.error: dict | None = None
        for line in errors.splitlines():
            if line.startswith("SCAN_ERROR "):
                self.error = json.loads(line[len("SCAN_ERROR ") :])


def node_executable() -> str:
    node = shutil.which("node")
    if not node:
        raise NodeMissing(
            "`node` is not on PATH: the scan runs in Node (>= 18) for the integration test and "
            "the benchmark. Install Node 20 (as for the extension build) and run again."
        )
    return node


@functools.lru_cache(maxsize=1)
def node_flags() -> tuple[str, ...]:
    """The flags that give Node what the browser's worker has: ArrayBuffer.prototype.transfer
    (Chromium 114 on), which the scan uses to give its pair store's memory back at once (Node 21
    on has it; Node 20 behind a flag). Without it the scan still runs, holding that memory until
    V8's next full collection, so its measured memory would overstate the browser's."""
    node = node_executable()
    probe = "process.exit(typeof ArrayBuffer.prototype.transfer === 'function' ? 0 : 1)"
    for flags in ((), ("--harmony-rab-gsab-transfer",)):
        if subprocess.run([node, *flags, "-e", probe], capture_output=True).returncode == 0:
            return flags
    return ()


def build_bundle(outfile: str | None = None, variant: str | None = None) -> str:
    """Bundles bench/scan_node.ts (the worker's scan code + @qdrant/js-client-rest) with esbuild.

    ``variant``: scan policies changed at bundle time (bench/variants.json)."""
    if outfile is None:
        outfile = os.path.join(BENCH, ".build", f"scan_node.{variant}.cjs" if variant else "scan_node.cjs")
    node = node_executable()
    if not os.path.isdir(os.path.join(ROOT, "node_modules", "esbuild")):
        raise RuntimeError(
            "esbuild is not installed in node_modules: run `npm ci` (or scripts/setup) in "
            f"{ROOT} first; the scan bundle is built from src/scan with it."
        )
    cmd = [node, os.path.join(BENCH, "build.mjs"), "--outfile", outfile]
    if variant:
        cmd += ["--variant", variant]
    proc = subprocess.run(
        cmd,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"building the Node scan bundle failed:\n{proc.stdout}\n{proc.stderr}")
    return outfile


def run_scan(
    bundle: str,
    mode: str,
    url: str,
    api_key: str,
    collection: str,
    threshold: float,
    timeout: float = 3600,
    node_args: tuple = (),
    **options: Any,
) -> dict:
    """Runs one scan ('ours' or 'seed') in its own Node process; returns its JSON output.

    ``options`` go into the scan's config (bench/scan_node.ts), e.g. ``prefix`` and
    ``headers`` to scan through the Jupyter proxy as the browser's worker does.
    Adds ``wall_s``: the whole process's wall time (Node start-up included), and
    ``printed``: what the process wrote to stdout and stderr.
    """
    node = node_executable()
    config = {"mode": mode, "url": url, "collection": collection, "threshold": threshold}
    config.update({k: v for k, v in options.items() if v is not None})
    with tempfile.TemporaryDirectory(prefix="nd-scan-") as tmp:
        cfg_path = os.path.join(tmp, "config.json")
        out_path = os.path.join(tmp, "out.json")
        with open(cfg_path, "w", encoding="utf-8") as f:
            json.dump(config, f)
        env = dict(os.environ, ND_BENCH_API_KEY=api_key)
        err_path = os.path.join(tmp, "stderr.txt")
        t0 = time.perf_counter()
        with open(err_path, "w+", encoding="utf-8") as err:
            proc = subprocess.Popen(
                [node, *node_flags(), *node_args, bundle, cfg_path, out_path],
                env=env,
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
            )
            sampler = MemorySampler(proc.pid)
            sampler.start()
            try:
                # The scan writes SCAN_DONE the moment it has its answer; the sampler stops there,
                # so converting and writing the output is not counted.
                printed = []
                for line in proc.stdout:  # type: ignore[union-attr]
                    printed.append(line)
                    if line.strip() == "SCAN_DONE":
                        sampler.stop()
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                raise
            finally:
                sampler.stop()
            wall = time.perf_counter() - t0
            err.seek(0)
            errors = err.read()
            if proc.returncode == INTERRUPTED and "stopAfterBatches" in options:
                # Ended on purpose mid-scan (a closed tab, a killed worker): no output.
                return {"interrupted": True, "wall_s": time.perf_counter() - t0, "printed": "".join(printed) + errors}
            if proc.returncode != 0:
                raise ScanFailed(mode, proc.returncode, errors)
        with open(out_path, encoding="utf-8") as f:
            out = json.load(f)
    out["wall_s"] = wall
    out["printed"] = "".join(printed) + errors
    out["peak_private_mb"] = sampler.peak_private_mb
    out["private_samples"] = sampler.samples
    out["private_peak_at_s"] = sampler.peak_at_s
    out["private_timeline"] = sampler.timeline
    return out


class MemorySampler(threading.Thread):
    """Polls a process's private resident memory (RssAnon + RssShmem in /proc/<pid>/status)
    every 2 ms and keeps its peak.

    Private memory is what the process holds itself: its heap, its stacks, the buffers it
    allocated. It leaves out the pages of the node binary and shared libraries (RssFile),
    which every Node process shares and which are about 34 MB of an idle Node's 40 MB. The
    kernel keeps no high-water mark for it, hence the sampling; V8's heap grows and shrinks
    over many milliseconds, so a 2 ms poll sees its peaks.
    """

    def __init__(self, pid: int, interval: float = 0.002):
        super().__init__(daemon=True)
        self.path = f"/proc/{pid}/status"
        self.interval = interval
        self.peak_private_mb: float | None = None
        # Seconds since the sampler started at the peak, and the peak of each half second
        # ((seconds, MB) pairs): where in a run its memory went.
        self.peak_at_s: float | None = None
        self.timeline: list[tuple[float, float]] = []
        self.samples = 0
        self._halt = threading.Event()

    def stop(self) -> None:
        self._halt.set()
        if self.is_alive() and threading.current_thread() is not self:
            self.join()

    def run(self) -> None:
        peak = None
        t0 = time.perf_counter()
        window, window_peak = 0, 0
        while not self._halt.is_set():
            try:
                with open(self.path, encoding="ascii") as f:
                    text = f.read()
            except OSError:
                break
            kb = 0
            found = False
            for line in text.splitlines():
                if line.startswith(("RssAnon:", "RssShmem:")):
                    kb += int(line.split()[1])
                    found = True
            if found:
                at = time.perf_counter() - t0
                if peak is None or kb > peak:
                    peak, self.peak_at_s = kb, round(at, 2)
                if int(at * 2) != window:
                    if window_peak:
                        self.timeline.append((window / 2, round(window_peak / 1024, 1)))
                    window, window_peak = int(at * 2), 0
                window_peak = max(window_peak, kb)
                self.samples += 1
            time.sleep(self.interval)
        if window_peak:
            self.timeline.append((window / 2, round(window_peak / 1024, 1)))
        self.peak_private_mb = None if peak is None else peak / 1024


# ---------------------------------------------------------------------------------------
# The REST API of the backend, over one keep-alive connection (fast bulk upserts)
# ---------------------------------------------------------------------------------------


class Rest:
    def __init__(self, url: str, api_key: str, timeout: float = 600):
        host, _, port = url.rpartition("://")[2].partition(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
        self.headers = {"api-key": api_key, "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        try:
            self.conn.request(method, path, body=data, headers=self.headers)
            resp = self.conn.getresponse()
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            # The server closed the kept-alive connection (idle, or busy): once more on a
            # new one. Every call here is idempotent (upserts name their ids).
            self.conn.close()
            self.conn.connect()
            self.conn.request(method, path, body=data, headers=self.headers)
            resp = self.conn.getresponse()
        text = resp.read()
        if resp.status != 200:
            raise RuntimeError(f"{method} {path}: HTTP {resp.status}: {text[:500]!r}")
        return json.loads(text)["result"]

    def create_collection(self, name: str, dim: int, distance: str, **config: Any) -> None:
        body = {"vectors": {"size": dim, "distance": distance}, **config}
        self.call("PUT", f"/collections/{name}", body)

    def upsert(self, name: str, ids: Any, X: np.ndarray, payloads: list[dict], batch: int = 5000) -> None:
        """Bulk upserts of ``batch`` points (ids: integers or UUID strings)."""
        ids = [i if isinstance(i, str) else int(i) for i in ids]
        # float32 values are exact in float64, so the backend stores exactly X.
        for s in range(0, len(ids), batch):
            body = {
                "batch": {
                    "ids": ids[s : s + batch],
                    "vectors": X[s : s + batch].astype(np.float64).tolist(),
                    "payloads": payloads[s : s + batch],
                }
            }
            self.call("PUT", f"/collections/{name}/points?wait=true", body)

    def build_index(
        self, name: str, some_id: Any, timeout: float = 1800, settle_s: float = 8.0, using: str | None = None
    ) -> float:
        """Seconds until the collection is indexed and the backend has settled.

        A by-id query/batch (the scan pattern) starts the backend's index build; a large
        collection is indexed in the background (status yellow meanwhile). Green alone is not
        enough: the backend's idle maintenance may start another build a few seconds later
        (e.g. after replaying writes that arrived during the first one), so the collection
        must stay green, with the same indexed count, for ``settle_s`` seconds."""
        t0 = time.perf_counter()
        search = {"query": some_id, "limit": 1, **({"using": using} if using else {})}
        self.call("POST", f"/collections/{name}/points/query/batch", {"searches": [search]})
        stable_since = None
        last = None
        while True:
            info = self.call("GET", f"/collections/{name}")
            status = info.get("status")
            state = (status, info.get("indexed_vectors_count"), info.get("segments_count"))
            now = time.perf_counter()
            if status == "red" or now - t0 > timeout:
                raise RuntimeError(f"collection {name} did not get indexed: {status} {info.get('optimizer_status')}")
            if status == "green" and state == last:
                if stable_since is not None and now - stable_since >= settle_s:
                    return stable_since - t0
            else:
                stable_since = now if status == "green" else None
            last = state
            time.sleep(0.25)

    def close(self) -> None:
        self.conn.close()


def wait_green(rest: Rest, name: str, timeout: float = 600) -> dict:
    """Waits for a real server's optimizer to finish with a collection (status green)."""
    t0 = time.perf_counter()
    while True:
        info = rest.call("GET", f"/collections/{name}")
        if info.get("status") == "green":
            return info
        if info.get("status") == "red" or time.perf_counter() - t0 > timeout:
            raise RuntimeError(f"collection {name} did not turn green: {info.get('status')} {info.get('optimizer_status')}")
        time.sleep(0.25)


# ---------------------------------------------------------------------------------------
# Exact answer
# ---------------------------------------------------------------------------------------


@dataclass
class Truth:
    """Exact pairs (i < j, indices into the vectors) passing the threshold, with float64 scores."""

    n: int
    i: np.ndarray
    j: np.ndarray
    score: np.ndarray
    #: Pairs whose exact score is within eps of the threshold, on either side.
    borderline: set = field(default_factory=set)

    def pair_set(self) -> set:
        return set(zip(self.i.tolist(), self.j.tolist()))

    def groups(self) -> list[frozenset]:
        return components(self.n, self.i, self.j)


def exact_pairs(X: np.ndarray, threshold: float, distance: str, block: int = 1024, cols: int = 16384,
                progress=None) -> Truth:
    """Brute force over all pairs: float32 matrix products find candidates near or past the
    threshold, float64 recomputes them exactly. Cosine expects X as stored (normalised).

    Tiled (``block`` rows x ``cols`` columns, upper triangle only) and checked tile by tile, so
    its memory stays about N x d floats plus one tile whatever N (1M x 256: 1 GB + 64 MB).
    ``progress(rows_done)`` is called after each row block."""
    X = np.ascontiguousarray(X, dtype=np.float32)
    n = X.shape[0]
    higher = distance in ("Cosine", "Dot")
    if distance not in ("Cosine", "Dot", "Euclid"):
        raise ValueError(f"no brute force for {distance}")
    sq = np.einsum("kd,kd->k", X.astype(np.float64), X.astype(np.float64)).astype(np.float32) if not higher else None
    margin = 1e-3 if higher else 1e-3 * max(1.0, threshold) + 1e-3
    ci: list[np.ndarray] = []
    cj: list[np.ndarray] = []
    cs: list[np.ndarray] = []
    for s in range(0, n, block):
        e = min(n, s + block)
        for c in range(s, n, cols):  # only j >= s: the upper triangle
            f = min(n, c + cols)
            G = X[s:e] @ X[c:f].T
            if higher:
                M = G > threshold - margin
            else:
                D2 = sq[s:e, None] + sq[None, c:f] - 2 * G
                lim = threshold + margin
                M = D2 < lim * lim
            a, b = np.nonzero(M)
            a = a + s
            b = b + c
            keep = b > a
            a, b = a[keep], b[keep]
            if len(a):
                A, B = X[a].astype(np.float64), X[b].astype(np.float64)
                exact = np.einsum("kd,kd->k", A, B) if higher else np.sqrt(((A - B) ** 2).sum(axis=1))
                ci.append(a)
                cj.append(b)
                cs.append(exact)
        if progress is not None:
            progress(e)
    i = np.concatenate(ci) if ci else np.zeros(0, np.int64)
    j = np.concatenate(cj) if cj else np.zeros(0, np.int64)
    exact = np.concatenate(cs) if cs else np.zeros(0, np.float64)
    passing = exact > threshold if higher else exact < threshold
    eps = COSINE_EPS * max(1.0, abs(threshold))
    border = np.abs(exact - threshold) <= eps
    borderline = set(zip(i[border].tolist(), j[border].tolist()))
    return Truth(n, i[passing], j[passing], exact[passing], borderline)


def components(n: int, i: Iterable[int], j: Iterable[int]) -> list[frozenset]:
    """Connected components of size >= 2, as frozensets of indices."""
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in zip(i, j):
        ra, rb = find(int(a)), find(int(b))
        if ra != rb:
            parent[ra] = rb
    groups: dict[int, list[int]] = {}
    for x in range(n):
        groups.setdefault(find(x), []).append(x)
    return [frozenset(g) for g in groups.values() if len(g) >= 2]


@dataclass
class Comparison:
    truth_pairs: int
    found_pairs: int
    missed: list  # truth pairs not found (excluding borderline)
    extra: list  # found pairs not in truth (excluding borderline)
    borderline: int
    recall: float
    precision: float
    truth_groups: int
    found_groups: int
    groups_exact: int

    @property
    def groups_exact_pct(self) -> float:
        return 100.0 * self.groups_exact / self.truth_groups if self.truth_groups else 100.0


def compare(found: dict, truth: Truth, index_of: dict | None = None) -> Comparison:
    """Compares a scan's output (pairs and groups by point id) with the exact answer.

    ``index_of`` maps point ids to rows of the truth's vectors (identity when omitted).
    Borderline pairs count neither as missed nor as extra.
    """

    def idx(p: Any) -> int:
        return int(p) if index_of is None else index_of[p]

    fp = found["pairs"]
    found_set = set()
    for a, b in zip(fp["a"], fp["b"]):
        x, y = idx(a), idx(b)
        found_set.add((x, y) if x < y else (y, x))
    truth_set = truth.pair_set()
    border = truth.borderline
    missed = sorted((truth_set - found_set) - border)
    extra = sorted((found_set - truth_set) - border)
    t_count = len(truth_set - border)
    f_count = len(found_set - border)
    recall = 1.0 - len(missed) / t_count if t_count else 1.0
    precision = 1.0 - len(extra) / f_count if f_count else 1.0
    tgroups = set(truth.groups())
    fgroups = {frozenset(idx(p) for p in g) for g in found.get("groups", [])}
    return Comparison(
        truth_pairs=len(truth_set),
        found_pairs=len(found_set),
        missed=missed,
        extra=extra,
        borderline=len(border),
        recall=recall,
        precision=precision,
        truth_groups=len(tgroups),
        found_groups=len(fgroups),
        groups_exact=len(tgroups & fgroups),
    )
