"""The embedded backend at scale (issue 16 §4 and §2's listing speed): bulk upsert throughput,
index build time and the backend process's private memory while it loads and builds; listing
(scroll of ids with three payload fields) over REST, and a profile of the same listing
in-process to show where its time goes."""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import threading
import time
from typing import Any

import numpy as np
import scan_harness as sh
from common import COLLECTION, log
from peer_runner import private_mb

LIST_FIELDS = ["sample_id", "thumbnail", "split"]


def _scan_list_page() -> int:
    """The scan's listPageSize (SCAN_DEFAULTS in src/scan/types.ts): the listing is timed as the scan lists."""
    import re

    with open(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src", "scan", "types.ts"),
              encoding="utf-8") as f:
        text = f.read()
    return int(re.search(r"\blistPageSize:\s*(\d+)", text[text.index("SCAN_DEFAULTS"):]).group(1))


LIST_PAGE = _scan_list_page()


class Progress:
    """Prints how far a long step is and its ETA, at most every ``every_s`` seconds."""

    def __init__(self, what: str, total: int, every_s: float = 15.0):
        self.what, self.total, self.every_s = what, total, every_s
        self.t0 = time.perf_counter()
        self.last = self.t0

    def update(self, done: int, force: bool = False) -> None:
        now = time.perf_counter()
        if not force and now - self.last < self.every_s:
            return
        self.last = now
        el = now - self.t0
        rate = done / el if el > 0 else 0.0
        eta = (self.total - done) / rate if rate > 0 else float("nan")
        log(f"  {self.what}: {done:,}/{self.total:,} ({100 * done / max(1, self.total):.0f}%), "
            f"{rate:,.0f}/s, {el:.0f} s so far, ETA {eta:.0f} s; load {os.getloadavg()[0]:.1f}")


class PeakPrivate(threading.Thread):
    """The peak private memory of a process between start() and stop(), sampled every 50 ms
    (the backend's heap moves slowly; the scan's Node process is sampled by scan_harness)."""

    def __init__(self, pid: int, interval: float = 0.05):
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak = pid, interval, 0.0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            mb = private_mb(self.pid)
            if mb is None:
                break
            self.peak = max(self.peak, mb)
            time.sleep(self.interval)

    def stop(self) -> float:
        self._halt.set()
        self.join()
        return round(self.peak, 1)


def load(rest: sh.Rest, pid: int, X: np.ndarray, payloads: list[dict], batch: int) -> dict:
    """Bulk upserts (``batch`` points per request, wait=true, as scan_harness.Rest.upsert does)
    and the index build, with the backend's peak private memory during each."""
    n, d = X.shape
    rest.create_collection(COLLECTION, d, "Cosine")
    before = private_mb(pid)
    peak = PeakPrivate(pid)
    peak.start()
    progress = Progress("upsert", n)
    t0 = time.perf_counter()
    for s in range(0, n, batch):
        e = min(n, s + batch)
        rest.upsert(COLLECTION, np.arange(s, e), X[s:e], payloads[s:e], batch=batch)
        progress.update(e)
    upload_s = time.perf_counter() - t0
    upload_peak = peak.stop()
    after_upload = private_mb(pid)
    peak = PeakPrivate(pid)
    peak.start()
    done = threading.Event()

    latencies: list[float] = []

    def report() -> None:
        # The API must keep answering while the index builds: a status call every 5 s, timed.
        shown = time.perf_counter()
        while not done.wait(5):
            t = time.perf_counter()
            info = rest_status()
            latencies.append(time.perf_counter() - t)
            if time.perf_counter() - shown >= 30:
                shown = time.perf_counter()
                log(f"  index build: {shown - t1:.0f} s so far ({info}; answered in {latencies[-1] * 1000:.0f} ms); "
                    f"load {os.getloadavg()[0]:.1f}")

    def rest_status() -> str:
        try:
            r = sh.Rest(rest_url, rest.headers["api-key"], timeout=60)
            info = r.call("GET", f"/collections/{COLLECTION}")
            r.close()
            return f"{info.get('status')}, {info.get('indexed_vectors_count')}/{info.get('points_count')} indexed"
        except Exception as e:  # noqa: BLE001 - a progress line must not end the run
            return f"no answer: {type(e).__name__}"

    rest_url = f"http://{rest.conn.host}:{rest.conn.port}"
    t1 = time.perf_counter()
    reporter = threading.Thread(target=report, daemon=True)
    reporter.start()
    try:
        build_s = rest.build_index(COLLECTION, 0, timeout=6 * 3600)
    finally:
        done.set()
    build_peak = peak.stop()
    info = rest.call("GET", f"/collections/{COLLECTION}")
    out = {
        "upload_s": round(upload_s, 2), "upsert_points_per_s": round(n / upload_s), "upsert_batch": batch,
        "index_build_s": round(build_s, 2),
        "backend_private_mb_before": _r(before), "backend_private_mb_upload_peak": upload_peak,
        "backend_private_mb_after_upload": _r(after_upload), "backend_private_mb_build_peak": build_peak,
        "backend_private_mb_indexed_idle": _r(private_mb(pid)),
        "vectors_mb": round(n * d * 4 / 2**20, 1),
        "segments": info.get("segments_count"), "indexed": info.get("indexed_vectors_count"),
        "status_calls_during_build": len(latencies),
        "status_ms_during_build_max": round(1000 * max(latencies), 1) if latencies else None,
        "status_ms_during_build_median": round(1000 * float(np.median(latencies)), 1) if latencies else None,
    }
    log(f"embedded backend: {n:,} points upserted in {upload_s:.1f} s ({out['upsert_points_per_s']:,}/s), "
        f"index built in {build_s:.1f} s ({out['indexed']}/{n} indexed, {out['segments']} segments); backend private "
        f"memory: peak {upload_peak} MB while upserting, {build_peak} MB while building, "
        f"{out['backend_private_mb_indexed_idle']} MB idle (the vectors alone are {out['vectors_mb']} MB)")
    return out


def listing_over_rest(rest: sh.Rest, n: int) -> dict:
    """Every id with the three payload fields, in pages of the scan's size, as the scan lists: points per second."""
    t0 = time.perf_counter()
    offset, got, pages = None, 0, 0
    while True:
        page = rest.call("POST", f"/collections/{COLLECTION}/points/scroll",
                         {"limit": LIST_PAGE, "offset": offset, "with_payload": LIST_FIELDS, "with_vector": False})
        got += len(page["points"])
        pages += 1
        offset = page.get("next_page_offset")
        if offset is None or not page["points"]:
            break
    s = time.perf_counter() - t0
    log(f"listing over REST: {got:,} ids with {len(LIST_FIELDS)} payload fields in {s:.2f} s "
        f"({got / s:,.0f} points/s, {pages} pages of {LIST_PAGE}); load {os.getloadavg()[0]:.1f}")
    return {"points": got, "seconds": round(s, 3), "points_per_s": round(got / s), "pages": pages, "page_size": LIST_PAGE,
            "load": round(os.getloadavg()[0], 1)}


def listing_profile(coll: Any, top: int = 14) -> dict:
    """The same listing in-process (the backend's own Collection.scroll over a copy of the
    collection's files: no HTTP, no JSON), under cProfile: where a page's time goes."""
    def listing() -> int:
        offset, got = None, 0
        while True:
            page = coll.scroll({"limit": LIST_PAGE, "offset": offset, "with_payload": LIST_FIELDS, "with_vector": False})
            got += len(page["points"])
            offset = page["next_page_offset"]
            if offset is None or not page["points"]:
                return got

    t0 = time.perf_counter()
    got = listing()
    plain = time.perf_counter() - t0
    prof = cProfile.Profile()
    prof.enable()
    listing()
    prof.disable()
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf)
    stats.sort_stats("tottime").print_stats(top)
    total = sum(v[2] for v in stats.stats.values())  # type: ignore[attr-defined]
    rows = sorted(((v[2], v[3], v[1], f"{os.path.basename(k[0])}:{k[1]}({k[2]})")
                   for k, v in stats.stats.items()), reverse=True)[:top]  # type: ignore[attr-defined]
    log(f"listing in-process (no HTTP): {got:,} points in {plain:.2f} s ({got / plain:,.0f} points/s); "
        f"profile (tottime s, function): " + "; ".join(f"{t:.2f} {name}" for t, _, _, name in rows[:6]))
    return {"points": got, "seconds": round(plain, 3), "points_per_s": round(got / plain),
            "profile_total_s": round(total, 3),
            "profile_top": [{"tottime_s": round(t, 3), "cumtime_s": round(c, 3), "calls": calls, "function": name}
                            for t, c, calls, name in rows]}


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 1)
