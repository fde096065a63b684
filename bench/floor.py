"""The floor: the requests ours sent, replayed in-process through the embedded backend's own
Collection calls (no HTTP, no JSON), and the stored vectors read back from the engine."""

from __future__ import annotations

import json
import os
import random
import time
from typing import Any

import numpy as np


class _TimedShard:
    """Wraps an EdgeShard to add up the time spent inside the engine's own calls."""

    def __init__(self, shard: Any):
        self._shard = shard
        self.seconds = 0.0

    def __getattr__(self, name: str) -> Any:
        fn = getattr(self._shard, name)
        if not callable(fn):
            return fn

        def timed(*args: Any, **kw: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*args, **kw)
            finally:
                self.seconds += time.perf_counter() - t0

        return timed


def floor_replay(
    coll: Any, recording: str, budget_s: float | None = None, progress: Any = None, every: int = 1, seed: int = 0
) -> dict:
    """Replays the requests ours sent (scroll pages, query batches; recorded by scan_node.ts)
    through the backend's own Collection.scroll / Collection.query_batch: no HTTP, no JSON,
    one at a time. ``seconds`` adds up the time inside those calls only. With ``budget_s``
    it stops once that much wall time has passed (``complete`` False; ``replayed`` of
    ``requests`` done); ``progress(requests_done, total)`` is called after each request.

    With ``every`` k > 1 a k-th of the requests is replayed, a simple random sample (seeded by
    ``seed``, replayed in recorded order), and ``projected_seconds`` estimates the whole
    replay's ``seconds`` from it (the sample's mean time per request times the requests
    recorded) with ``projected_se``, its standard error. Not every k-th request: the scan's
    two requests in flight can alternate a large and a small kind, and a systematic sample of
    an even step then takes one kind only (seen at 50k: 800 of 62,000 queries in a quarter of
    the requests, a floor projected at a third of the whole)."""
    with open(recording, encoding="utf-8") as f:
        recorded = [json.loads(line) for line in f if line.strip()]
    if every > 1:
        chosen = sorted(random.Random(seed).sample(range(len(recorded)), max(2, len(recorded) // every)))
        requests = [recorded[i] for i in chosen]
    else:
        requests = recorded
    per_request: list[float] = []
    load = os.getloadavg()[0]
    in_store = 0.0
    cpu = 0.0
    shard = coll.shard
    timed = _TimedShard(shard)
    coll.shard = timed
    ids: list = []
    seen: set = set()
    hits: list[tuple] = []
    queries = 0
    replayed = 0
    started = time.perf_counter()
    try:
        for req in requests:
            if budget_s is not None and time.perf_counter() - started > budget_s:
                break
            replayed += 1
            if progress is not None:
                progress(replayed, len(requests))
            before = in_store
            body = req["body"]
            if req["op"] == "scroll":
                t0, c0 = time.perf_counter(), time.process_time()
                page = coll.scroll(body)
                in_store += time.perf_counter() - t0
                cpu += time.process_time() - c0
                for rec in page["points"]:
                    if rec["id"] not in seen:
                        seen.add(rec["id"])
                        ids.append(rec["id"])
            elif req["op"] == "retrieve":  # the details phase: payload of the points in a pair
                t0, c0 = time.perf_counter(), time.process_time()
                coll.retrieve(body)
                in_store += time.perf_counter() - t0
                cpu += time.process_time() - c0
            else:
                t0, c0 = time.perf_counter(), time.process_time()
                results = coll.query_batch(body)
                in_store += time.perf_counter() - t0
                cpu += time.process_time() - c0
                queries += len(results)
                for search, res in zip(body["searches"], results):
                    q = search["query"]
                    if isinstance(q, list):  # by vector (the audit, the sure route): timed, not paired
                        continue
                    hits.extend((q, h["id"]) for h in res["points"] if h["id"] != q)
            per_request.append(in_store - before)
    finally:
        coll.shard = shard
    pairs = {(a, b) if a < b else (b, a) for a, b in hits}
    times = np.asarray(per_request)
    total, m = len(recorded), len(times)
    sampled = {}
    if every > 1 and m > 1:
        sd = float(times.std(ddof=1))
        sampled = {
            "every": every,
            "projected_seconds": float(times.mean()) * total,
            "projected_se": total * sd / np.sqrt(m) * np.sqrt(max(0.0, 1 - m / total)),
        }
    return {
        **sampled,
        "seconds": in_store,
        "cpu_seconds": cpu,
        "load_before": load,
        "engine_seconds": timed.seconds,
        "queries": queries,
        "requests": len(requests),
        "requests_recorded": total,
        "replayed": replayed,
        "complete": replayed == len(requests),
        "queries_recorded": sum(len(r["body"].get("searches", [])) for r in recorded if r["op"] == "queryBatch"),
        "ids": ids,
        "pairs": {"a": [a for a, _ in pairs], "b": [b for _, b in pairs]},
    }


def stored_vectors(coll: Any) -> tuple[list, np.ndarray]:
    """Every point's vector as the engine stores it (normalised for Cosine)."""
    ids: list = []
    chunks: list[np.ndarray] = []
    offset = None
    while True:
        page = coll.scroll({"limit": 5000, "offset": offset, "with_payload": False, "with_vector": True})
        ids.extend(rec["id"] for rec in page["points"])
        chunks.append(np.asarray([rec["vector"] for rec in page["points"]], dtype=np.float32))
        offset = page["next_page_offset"]
        if offset is None or not page["points"]:
            break
    return ids, np.concatenate(chunks)

