"""The scan benchmark: ours vs the seed plan vs the backend's own floor vs exact truth.

    .venv/bin/python bench/run.py                       # N = 10k and 50k, d = 256 (~6 min)
    .venv/bin/python bench/run.py --sizes 10000,50000,100000
    .venv/bin/python bench/run.py --sizes 50000 --sweep # also tries batch / in-flight / limit

For each N it builds a synthetic collection in a fresh embedded backend (planted clusters of
near-duplicates of sizes 2 to 200, exact copies included, among topical background points),
then on that same collection:

* ours  - the worker's scan code (src/scan, bundled by bench/build.mjs) in Node, with the
          official @qdrant/js-client-rest, through the backend's REST API (URL + key);
* seed  - the seed plan in Node with the same client: scroll every point with its vector,
          one `query` per point with that vector, limit 10 and score_threshold, one request
          at a time, union-find;
* floor - the requests ours makes (scroll pages of ids; by-id query batches with the same
          limit, batch size and paging) answered in-process by the backend's Store over Qdrant
          Edge, with no HTTP and no JSON: the fastest this backend can answer them;
* truth - numpy brute force over the stored vectors: every pair past the threshold (strict)
          and their connected components.

It prints a table and writes bench/results/latest.json. Nothing is asserted: it reports.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any

import numpy as np

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
sys.path.insert(0, ROOT)
sys.path.insert(0, BENCH)

import scan_harness as sh  # noqa: E402
from jupyterlab_near_duplicates.embedded import EmbeddedBackend  # noqa: E402

COLLECTION = "bench"
FIELDS = {"sampleIdField": "sample_id", "thumbnailField": "thumbnail", "splitField": "split"}


# ---------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------


def _unit(X: np.ndarray) -> np.ndarray:
    return (X / np.linalg.norm(X, axis=-1, keepdims=True)).astype(np.float32)


def cluster_sizes(rng: np.random.Generator, target: int) -> list[int]:
    """Many pairs and triples, fewer big clusters; always one of 200 and one of 120 (exact copies)."""
    sizes = [200, 120]
    while sum(sizes) < target:
        u = rng.random()
        if u < 0.55:
            sizes.append(2)
        elif u < 0.75:
            sizes.append(int(rng.integers(3, 6)))
        elif u < 0.90:
            sizes.append(int(rng.integers(6, 21)))
        elif u < 0.97:
            sizes.append(int(rng.integers(21, 61)))
        else:
            sizes.append(int(rng.integers(61, 201)))
    return sizes


def make_dataset(n: int, d: int, seed: int = 0) -> tuple[np.ndarray, list[dict], dict]:
    """n unit vectors: about a fifth in planted clusters, the rest topical background.

    Background: 64 topics, points at cosine ~0.5 to their topic mates (none near 0.95).
    Clusters around a background-like centre: 'near' members at noise r in [0.05, 0.25]
    (pairwise cosine ~ 1/(1 + r^2), 0.94 to 0.998, so a few clusters straddle 0.95 and
    chain), 'exact' copies, or 'mixed' (half copies, half near).
    """
    rng = np.random.default_rng(seed)
    topics = _unit(rng.standard_normal((64, d)))

    def background(k: int) -> np.ndarray:
        t = topics[rng.integers(0, len(topics), size=k)]
        return _unit(t + rng.standard_normal((k, d)) / np.sqrt(d))

    sizes = cluster_sizes(rng, n // 5)
    rows: list[np.ndarray] = []
    kinds = {"near": 0, "exact": 0, "mixed": 0}
    for c, size in enumerate(sizes):
        centre = background(1)[0]
        kind = "exact" if c == 1 else rng.choice(["near", "exact", "mixed"], p=[0.7, 0.15, 0.15])
        kinds[str(kind)] += 1
        r = rng.uniform(0.05, 0.25)
        near = _unit(centre + r * rng.standard_normal((size, d)) / np.sqrt(d))
        if kind == "exact":
            near[:] = centre
        elif kind == "mixed":
            near[: size // 2] = centre
        rows.append(near)
    clustered = np.concatenate(rows)[:n]
    X = np.concatenate([clustered, background(n - len(clustered))])
    X = X[rng.permutation(n)]
    splits = rng.choice(["train", "test", "val"], size=n, p=[0.8, 0.1, 0.1])
    payloads = [
        {"sample_id": f"s{i:07d}", "thumbnail": f"images/{s}/{i:07d}.jpg", "split": str(s)}
        for i, s in enumerate(splits)
    ]
    info = {
        "clusters": len(sizes),
        "clustered_points": int(min(n, sum(sizes))),
        "largest": max(sizes),
        "kinds": kinds,
    }
    return X, payloads, info


# ---------------------------------------------------------------------------------------
# Floor: the same requests, answered in-process
# ---------------------------------------------------------------------------------------


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


def floor_replay(coll: Any, recording: str) -> dict:
    """Replays the requests ours sent (scroll pages, query batches; recorded by scan_node.ts)
    through the backend's own Collection.scroll / Collection.query_batch: no HTTP, no JSON,
    one at a time. ``seconds`` adds up the time inside those calls only."""
    with open(recording, encoding="utf-8") as f:
        requests = [json.loads(line) for line in f if line.strip()]
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
    try:
        for req in requests:
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
    finally:
        coll.shard = shard
    pairs = {(a, b) if a < b else (b, a) for a, b in hits}
    return {
        "seconds": in_store,
        "cpu_seconds": cpu,
        "load_before": load,
        "engine_seconds": timed.seconds,
        "queries": queries,
        "requests": len(requests),
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


# ---------------------------------------------------------------------------------------
# One size
# ---------------------------------------------------------------------------------------


def log(msg: str) -> None:
    print(msg, flush=True)


def server_cpu(backend: EmbeddedBackend) -> float:
    """CPU seconds (user + system, all threads) the backend's process has used so far."""
    import psutil

    t = psutil.Process(backend.pid).cpu_times()
    return t.user + t.system


def scan(backend: EmbeddedBackend, bundle: str, mode: str, threshold: float, **options: Any) -> dict:
    """One scan in Node, with the CPU time the backend spent serving it."""
    assert backend.url and backend.api_key
    before = server_cpu(backend)
    load = os.getloadavg()[0]
    out = sh.run_scan(bundle, mode, backend.url, backend.api_key, COLLECTION, threshold, **options)
    out["server_cpu_s"] = server_cpu(backend) - before
    out["load_before"] = load
    return out


def scan_options(args: argparse.Namespace, **override: Any) -> dict:
    opts = {
        "limit": args.limit,
        "batchSize": args.batch_size,
        "inFlight": args.in_flight,
        "exact": True if args.exact else None,
        "hnswEf": args.hnsw_ef,
        **FIELDS,
    }
    opts.update(override)
    return opts


def run_size(n: int, args: argparse.Namespace, bundle: str, workdir: str) -> dict:
    d = args.dim
    t = args.threshold
    log(f"\n== N = {n}, d = {d}, Cosine, threshold {t}")
    X, payloads, info = make_dataset(n, d, seed=args.seed)
    log(
        f"data: {info['clusters']} planted clusters ({info['clustered_points']} points, largest "
        f"{info['largest']}; kinds {info['kinds']}), {n - info['clustered_points']} background points"
    )
    data_dir = os.path.join(workdir, f"n{n}")
    backend = EmbeddedBackend(data_dir)
    row: dict[str, Any] = {"n": n, "d": d, "threshold": t}
    extra: dict[str, Any] = {"dataset": info}
    try:
        url, key = backend.ensure_running()
        rest = sh.Rest(url, key)
        rest.create_collection(COLLECTION, d, "Cosine")
        t0 = time.perf_counter()
        rest.upsert(COLLECTION, np.arange(n), X, payloads, batch=args.upsert_batch)
        extra["upload_s"] = round(time.perf_counter() - t0, 2)
        extra["index_build_s"] = round(rest.build_index(COLLECTION, 0), 2)
        info = rest.call("GET", f"/collections/{COLLECTION}")
        rest.close()
        log(
            f"upload {extra['upload_s']} s; index build {extra['index_build_s']} s "
            f"({info['indexed_vectors_count']}/{info['points_count']} vectors indexed, {info['segments_count']} segments)"
        )
        # The floor's copy of the same points: the collection's files, copied while the
        # backend is idle (indexed, settled and flushed), opened in this process.
        from jupyterlab_near_duplicates.embedded.store import Store

        floor_dir = os.path.join(workdir, f"n{n}-floor")
        shutil.copytree(os.path.join(data_dir, "collections"), os.path.join(floor_dir, "collections"))
        store = Store(floor_dir)
        try:
            coll = store.get(COLLECTION)
            if coll.dirty:  # a small collection: the in-process check a query/batch would do first
                getattr(coll, "optimize_now", coll.optimize)()

            # ours and the floor back to back, so both see the same load on the machine
            ours_runs, floor_runs = [], []
            recording = os.path.join(workdir, f"requests-{n}.ndjson")
            for k in range(args.repeat):
                record = {"recordPath": recording} if k == 0 else {}
                ours = scan(
                    backend, bundle, "ours", t, node_args=tuple(shlex.split(args.ours_node_args)), **scan_options(args), **record
                )
                ours_runs.append(ours)
                log(
                    f"ours: {ours['seconds']:.2f} s ({ours['stats']['queries']} queries in "
                    f"{ours['stats']['requests']} requests; CPU: backend {ours['server_cpu_s']:.1f} s, Node "
                    f"{ours['cpu_s']:.1f} s), peak RSS {ours['peak_rss_mb']:.0f} MB (baseline "
                    f"{ours['baseline_rss_mb']:.0f} MB), {len(ours['pairs']['a'])} pairs; load {ours['load_before']:.1f}"
                )
                floor = floor_replay(coll, recording)
                floor_runs.append(floor)
                log(
                    f"floor: {floor['seconds']:.2f} s in the Store ({floor['engine_seconds']:.2f} s inside the engine; "
                    f"CPU {floor['cpu_seconds']:.1f} s; load {floor['load_before']:.1f}) for the same "
                    f"{floor['requests']} requests ({floor['queries']} queries), {len(floor['pairs']['a'])} pairs"
                )
            ours = min(ours_runs, key=lambda o: o["seconds"])
            floor = min(floor_runs, key=lambda o: o["seconds"])
            # The scan before issue 12 (no audit, by-id only), back to back with ours.
            before = [
                scan(backend, bundle, "ours", t, **scan_options(args), cure="never", auditPoints=0)
                for _ in range(args.repeat)
            ]
            extra["before_audit_runs"] = before

            if args.sweep:
                extra["sweep"] = run_sweep(backend, bundle, args)

            if args.no_seed:
                seed = None
            else:
                seed = scan(backend, bundle, "seed", t, seedLimit=10)
                log(
                    f"seed: {seed['seconds']:.2f} s ({seed['stats']['queries']} queries; CPU: backend "
                    f"{seed['server_cpu_s']:.1f} s, Node {seed['cpu_s']:.1f} s), peak RSS {seed['peak_rss_mb']:.0f} MB "
                    f"(baseline {seed['baseline_rss_mb']:.0f} MB), {len(seed['pairs']['a'])} pairs; load "
                    f"{seed['load_before']:.1f}"
                )
            t0 = time.perf_counter()
            ids, V = stored_vectors(coll)
        finally:
            store.close()
    finally:
        backend.stop()

    index_of = {p: k for k, p in enumerate(ids)}
    truth = sh.exact_pairs(V, t, "Cosine")
    layout = f"{info['segments_count']} segment(s), index built once over all points"
    audit_rows = [audit_row("embedded", n, "default (audit + cure auto)", o, truth, o["load_before"], layout, index_of)
                  for o in ours_runs]
    audit_rows += [audit_row("embedded", n, "by-id pass only (the scan before issue 12)", o, truth, o["load_before"],
                             layout, index_of) for o in extra.pop("before_audit_runs")]
    extra["audit_rows"] = audit_rows
    extra["truth_s"] = round(time.perf_counter() - t0, 2)
    del V
    c_ours = sh.compare(ours, truth, index_of)
    c_floor = sh.compare(floor, truth, index_of)
    log(
        f"truth: {len(truth.i)} pairs, {len(truth.groups())} groups ({len(truth.borderline)} borderline pairs within "
        f"{sh.COSINE_EPS} of the threshold, not counted) in {extra['truth_s']} s"
    )
    log(f"ours vs truth: recall {c_ours.recall:.6f}, precision {c_ours.precision:.6f}, "
        f"{len(c_ours.missed)} missed, {len(c_ours.extra)} extra, groups exact {c_ours.groups_exact}/{c_ours.truth_groups}")

    row.update(
        ours_s=round(ours["seconds"], 3),
        seed_s=round(seed["seconds"], 3) if seed else None,
        floor_s=round(floor["seconds"], 3),
        speedup_vs_seed=round(seed["seconds"] / ours["seconds"], 2) if seed else None,
        ratio_to_floor=round(ours["seconds"] / floor["seconds"], 3),
        pair_recall=round(c_ours.recall, 6),
        pair_precision=round(c_ours.precision, 6),
        groups_exact_pct=round(c_ours.groups_exact_pct, 2),
        ours_peak_mb=round(ours["peak_rss_mb"], 1),
        seed_peak_mb=round(seed["peak_rss_mb"], 1) if seed else None,
        ours_private_mb=_mb(ours.get("peak_private_mb")),
        seed_private_mb=_mb(seed.get("peak_private_mb")) if seed else None,
    )
    extra.update(
        ours_runs_s=[round(o["seconds"], 3) for o in ours_runs],
        floor_runs_s=[round(o["seconds"], 3) for o in floor_runs],
        ours_wall_s=round(ours["wall_s"], 3),
        ours_queries=ours["stats"]["queries"],
        ours_requests=ours["stats"]["requests"],
        ours_baseline_mb=round(ours["baseline_rss_mb"], 1),
        ours_heap_used_end_mb=round(ours["heap_used_mb"], 1),
        ours_baseline_private_mb=_mb(ours.get("baseline_private_mb")),
        ours_private_samples=ours.get("private_samples"),
        floor_engine_s=round(floor["engine_seconds"], 3),
        floor_cpu_s=round(floor["cpu_seconds"], 3),
        ours_server_cpu_s=round(ours["server_cpu_s"], 3),
        ours_node_cpu_s=round(ours["cpu_s"], 3),
        cpu_ratio_to_floor=round(ours["server_cpu_s"] / floor["cpu_seconds"], 3),
        load_avg={"ours": round(ours["load_before"], 2), "floor": round(floor["load_before"], 2)},
        floor_requests=floor["requests"],
        floor_recall=round(c_floor.recall, 6),
        truth_pairs=int(len(truth.i)),
        truth_groups=c_ours.truth_groups,
        borderline_pairs=c_ours.borderline,
        ours_pairs=c_ours.found_pairs,
        ours_missed=len(c_ours.missed),
        ours_extra=len(c_ours.extra),
        ours_missed_sample=[[ids[a], ids[b]] for a, b in c_ours.missed[:10]],
    )
    if seed:
        c_seed = sh.compare(seed, truth, index_of)
        extra.update(
            seed_wall_s=round(seed["wall_s"], 3),
            seed_server_cpu_s=round(seed["server_cpu_s"], 3),
            seed_node_cpu_s=round(seed["cpu_s"], 3),
            seed_load_before=round(seed["load_before"], 2),
            seed_baseline_mb=round(seed["baseline_rss_mb"], 1),
            seed_heap_used_end_mb=round(seed["heap_used_mb"], 1),
            seed_baseline_private_mb=_mb(seed.get("baseline_private_mb")),
            seed_after_listing_mb=round(seed["listed_rss_mb"], 1),
            seed_pair_recall=round(c_seed.recall, 6),
            seed_groups_exact_pct=round(c_seed.groups_exact_pct, 2),
            memory_ratio_seed_over_ours=round(seed["peak_rss_mb"] / ours["peak_rss_mb"], 2),
            scan_memory_ratio_seed_over_ours=round(
                (seed["peak_rss_mb"] - seed["baseline_rss_mb"]) / max(1e-9, ours["peak_rss_mb"] - ours["baseline_rss_mb"]), 2
            ),
        )
    row["details"] = extra
    return row


SERVER_SCANS = [  # (label, scan options): the same data, one server, back to back
    ("by-id pass only (the scan before issue 12)", {"cure": "never", "auditPoints": 0}),
    ("default: audit + cure when the audit finds unreachable points", {}),
    ("cure, unreachable points searched wide then exactly among themselves (sureExact unreachable)", {"sureExact": "unreachable"}),
    ("audit, cure off", {"cure": "never"}),
]


def run_server(n: int, args: argparse.Namespace, bundle: str) -> list[dict]:
    """The data set on a real Qdrant server (bench/qdrant_server.py), uploaded as a user does:
    batches of 5,000 with wait=true, then left to the server's optimizer until green. One row
    per scan in SERVER_SCANS (and exact search with --server-exact), each against exact truth."""
    import qdrant_server

    reason = qdrant_server.unavailable_reason()
    if reason:
        log(f"server rows skipped: {reason}")
        return []
    d, t = args.dim, args.threshold
    X, payloads, _ = make_dataset(n, d, seed=args.seed)
    truth = sh.exact_pairs(_unit(X), t, "Cosine")
    rows = []
    with qdrant_server.QdrantServer() as server:
        rest = sh.Rest(server.url, server.api_key)
        rest.create_collection(COLLECTION, d, "Cosine")
        t0 = time.perf_counter()
        rest.upsert(COLLECTION, np.arange(n), X, payloads, batch=args.upsert_batch)
        info = sh.wait_green(rest, COLLECTION)
        rest.close()
        layout = f"{info['segments_count']} segments, {info['indexed_vectors_count']}/{info['points_count']} indexed"
        log(f"\n== real Qdrant server, N = {n}: loaded in {time.perf_counter() - t0:.1f} s in batches of "
            f"{args.upsert_batch}; {layout}")
        scans = SERVER_SCANS + ([("exact search", {"exact": True, "cure": "never"})] if args.server_exact else [])
        for label, opts in scans:
            load = os.getloadavg()[0]
            out = sh.run_scan(bundle, "ours", server.url, server.api_key, COLLECTION, t,
                              **{**scan_options(args), **opts})
            rows.append(audit_row("server", n, label, out, truth, load, layout))
    return rows


def audit_row(backend: str, n: int, label: str, out: dict, truth: Any, load: float, layout: str,
              index_of: dict | None = None) -> dict:
    """One scan against exact truth, with what its own audit said."""
    c = sh.compare(out, truth, index_of)
    a = out.get("audit") or {}
    inside = None
    if a.get("low") is not None:
        inside = a["low"] <= c.recall <= a["high"]
    row = {
        "backend": backend, "n": n, "scan": label, "layout": layout, "seconds": round(out["seconds"], 2),
        "pair_recall": round(c.recall, 6), "missed": len(c.missed), "groups_exact": c.groups_exact,
        "truth_groups": c.truth_groups, "route": a.get("route"), "searched_exactly": a.get("searchedExactly"),
        "audit_sampled": a.get("sampled"), "audit_unreachable": a.get("unreachable"),
        "audit_recall": a.get("recall"), "audit_low": a.get("low"), "audit_high": a.get("high"),
        "audit_holds_truth": inside, "cure_offered": a.get("cure"), "load": round(load, 1),
    }
    log(f"{backend} {label}: {row['seconds']} s, recall {row['pair_recall']} ({row['missed']} missed), groups "
        f"{row['groups_exact']}/{row['truth_groups']}; route {row['route']} (exact for {row['searched_exactly']}); "
        f"audit {_pct(a.get('recall'))} [{_pct(a.get('low'))}, {_pct(a.get('high'))}] of {row['audit_sampled']} points, "
        f"{row['audit_unreachable']} unreachable, holds truth: {inside}; load {row['load']}")
    return row


def _pct(x: Any) -> str:
    return "-" if x is None else f"{100 * x:.3f}%"


def audit_table(rows: list[dict]) -> str:
    head = ("| backend | N | scan | s | pair recall | missed | groups right | route (exact for) | audit estimate "
            "[95% interval], points | truth inside |")
    lines = [head, "|" + "---|" * 10]
    for r in rows:
        lines.append(
            f"| {r['backend']} | {r['n']} | {r['scan']} | {r['seconds']:.1f} | {r['pair_recall']:.5f} | {r['missed']} | "
            f"{r['groups_exact']}/{r['truth_groups']} | {r['route']} ({r['searched_exactly']}) | "
            f"{_pct(r['audit_recall'])} [{_pct(r['audit_low'])}, {_pct(r['audit_high'])}], {r['audit_sampled']} | "
            f"{'-' if r['audit_holds_truth'] is None else ('yes' if r['audit_holds_truth'] else 'NO')} |"
        )
    return "\n".join(lines)


def run_regroup() -> dict:
    """Times src/scan/groups.ts's regroup on a million pairs in Node (bench/regroup.ts)."""
    out = os.path.join(BENCH, ".build", "regroup.cjs")
    node = sh.node_executable()
    subprocess.run([node, os.path.join(BENCH, "build.mjs"), "--entry", "regroup", "--outfile", out], cwd=ROOT, check=True,
                   capture_output=True, timeout=120)
    proc = subprocess.run([node, out], capture_output=True, text=True, timeout=600, check=True)
    return json.loads(proc.stdout)


def _mb(value: Any) -> float | None:
    return None if value is None else round(float(value), 1)


def run_sweep(backend: EmbeddedBackend, bundle: str, args: argparse.Namespace) -> list[dict]:
    sweep = []
    for bs, inf, lim in SWEEP:
        o = scan(backend, bundle, "ours", args.threshold, **scan_options(args, batchSize=bs, inFlight=inf, limit=lim))
        sweep.append({"batch_size": bs, "in_flight": inf, "limit": lim, "seconds": round(o["seconds"], 2),
                      "server_cpu_s": round(o["server_cpu_s"], 2), "node_cpu_s": round(o["cpu_s"], 2),
                      "queries": o["stats"]["queries"], "requests": o["stats"]["requests"],
                      "peak_mb": round(o["peak_rss_mb"], 1), "load": round(o["load_before"], 1)})
        log(f"  sweep batch {bs:4d} in-flight {inf} limit {lim:3d}: {o['seconds']:.2f} s "
            f"(backend CPU {o['server_cpu_s']:.1f} s, Node CPU {o['cpu_s']:.1f} s; {o['stats']['queries']} "
            f"queries, {o['stats']['requests']} requests; load {o['load_before']:.1f})")
    return sweep


SWEEP = [  # (batch size, requests in flight, limit)
    (64, 2, 32),
    (128, 2, 32),
    (256, 2, 32),
    (512, 2, 32),
    (256, 1, 32),
    (256, 3, 32),
    (256, 2, 16),
    (256, 2, 64),
]


# ---------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------

COLUMNS = [
    ("N", "n", "{:>7}"),
    ("d", "d", "{:>4}"),
    ("thr", "threshold", "{:>5}"),
    ("ours s", "ours_s", "{:>7.2f}"),
    ("seed s", "seed_s", "{:>7.1f}"),
    ("floor s", "floor_s", "{:>7.2f}"),
    ("x seed", "speedup_vs_seed", "{:>6.1f}"),
    ("/floor", "ratio_to_floor", "{:>6.2f}"),
    ("recall", "pair_recall", "{:>8.5f}"),
    ("precis.", "pair_precision", "{:>7.4f}"),
    ("groups=%", "groups_exact_pct", "{:>8.2f}"),
    ("ours MB", "ours_peak_mb", "{:>7.0f}"),
    ("seed MB", "seed_peak_mb", "{:>7.0f}"),
    ("ours priv", "ours_private_mb", "{:>9.0f}"),
    ("seed priv", "seed_private_mb", "{:>9.0f}"),
]


def table(runs: list[dict]) -> str:
    head = " | ".join(h for h, _, _ in COLUMNS)
    lines = [f"| {head} |", "|" + "|".join("-" * (len(h) + 2) for h, _, _ in COLUMNS) + "|"]
    for r in runs:
        cells = []
        for h, k, fmt in COLUMNS:
            v = r.get(k)
            cells.append(("-" if v is None else fmt.format(v)).strip().rjust(len(h)))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def targets(r: dict) -> list[str]:
    out = []
    x = r.get("speedup_vs_seed")
    out.append(f">= 5x faster than seed: {'met' if x and x >= 5 else 'NOT met'} ({x}x)")
    f = r["ratio_to_floor"]
    out.append(f"<= 1.5x the floor: {'met' if f <= 1.5 else 'NOT met'} ({f}x)")
    out.append(f"pair recall >= 0.99: {'met' if r['pair_recall'] >= 0.99 else 'NOT met'} ({r['pair_recall']})")
    out.append(f"pair precision 1.0: {'met' if r['pair_precision'] == 1.0 else 'NOT met'} ({r['pair_precision']})")
    if r.get("seed_peak_mb"):
        ratio = r["seed_peak_mb"] / r["ours_peak_mb"]
        scan_ratio = r["details"].get("scan_memory_ratio_seed_over_ours")
        out.append(
            f"peak memory <= 1/20 of seed's: {'met' if ratio >= 20 else 'NOT met'} (process peak: seed/ours = "
            f"{ratio:.1f}; above Node's baseline: {scan_ratio})"
        )
        if r.get("ours_private_mb") and r.get("seed_private_mb"):
            private = r["seed_private_mb"] / r["ours_private_mb"]
            out.append(
                f"  private memory (without the node binary's shared pages): seed/ours = {private:.1f} "
                f"({r['seed_private_mb']:.0f} MB / {r['ours_private_mb']:.0f} MB)"
            )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,50000", help="comma-separated N (default 10000,50000)")
    ap.add_argument("--dim", type=int, default=256)
    ap.add_argument("--threshold", type=float, default=0.95)
    ap.add_argument("--limit", type=int, default=None, help="ours: neighbours per query page (default: the scanner's)")
    ap.add_argument("--batch-size", type=int, default=None, help="ours: queries per request (default: the scanner's)")
    ap.add_argument("--in-flight", type=int, default=None, help="ours: requests in flight (default: the scanner's)")
    ap.add_argument("--hnsw-ef", type=int, default=None, help="ours and floor: hnsw_ef")
    ap.add_argument("--exact", action="store_true", help="ours and floor: exact search")
    ap.add_argument(
        "--variant",
        default=None,
        help="ours: the scanner with a change applied at bundle time (see VARIANTS in bench/build.mjs)",
    )
    ap.add_argument("--repeat", type=int, default=2, help="ours and floor, back to back, k times each; the fastest of each is reported")
    ap.add_argument("--no-seed", action="store_true", help="skip the seed algorithm (slow)")
    ap.add_argument(
        "--ours-node-args",
        default="",
        help="diagnostics: node options for ours' process only, e.g. '--max-semi-space-size=1' or "
        "'--expose-gc' (with ND_BENCH_FORCE_GC=1 in the environment: a full GC at every progress report)",
    )
    ap.add_argument("--sweep", action="store_true", help="also time ours over batch / in-flight / limit settings")
    ap.add_argument(
        "--backend", choices=("embedded", "server", "both"), default="both",
        help="embedded: the embedded backend (index built once); server: a real Qdrant server "
        "(../shared/qdrant, loaded in batches as users do; skipped, saying why, where absent); both (default)",
    )
    ap.add_argument("--server-exact", action="store_true", help="server: also a row with exact search (slow)")
    ap.add_argument("--seed", type=int, default=0, help="random seed of the data")
    ap.add_argument("--upsert-batch", type=int, default=5000)
    ap.add_argument("--data-dir", default=None, help="where the backends keep data (default: a temp dir, removed)")
    ap.add_argument("--out", default=os.path.join(BENCH, "results", "latest.json"))
    args = ap.parse_args()

    defaults = scanner_defaults()
    args.limit = args.limit or defaults["limit"]
    args.batch_size = args.batch_size or defaults["batchSize"]
    args.in_flight = args.in_flight or defaults["inFlight"]
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]

    started = time.perf_counter()
    log("building the Node bundle (bench/build.mjs) ...")
    bundle = sh.build_bundle(variant=args.variant)
    workdir = args.data_dir or tempfile.mkdtemp(prefix="nd-bench-")
    runs = []
    server_rows: list[dict] = []
    try:
        for n in sizes:
            if args.backend in ("server", "both"):
                server_rows += run_server(n, args, bundle)
            if args.backend in ("embedded", "both"):
                runs.append(run_size(n, args, bundle, workdir))
    finally:
        if not args.data_dir:
            shutil.rmtree(workdir, ignore_errors=True)
    regroup_timing = None
    if runs:
        log("\n== regroup: 1M kept pairs, groups at stricter thresholds (bench/regroup.ts) ...")
        regroup_timing = run_regroup()
    total = time.perf_counter() - started

    audit_rows = server_rows + [row for r in runs for row in r["details"]["audit_rows"]]
    if audit_rows:
        print("\nRecall and the scan's own audit (issue 12):")
        print(audit_table(audit_rows))
    print()
    print(table(runs))
    for r in runs:
        print(f"\nN = {r['n']}:")
        for line in targets(r):
            print(f"  {line}")
    r = regroup_timing or {}
    first = r.get("panel_adopt_ms", 0) + r.get("panel_first_ms", 0)
    if r:
        print(
            f"\nregroup, {r['pairs']:,} kept pairs over {r['points']:,} points: in the worker at the scan's end "
            f"{r['worker_group_ms']:.0f} ms (lays the pairs out); in the panel (a fresh thread) the first stricter "
            f"threshold {first:.0f} ms (taking the worker's layout {r['panel_adopt_ms']:.0f} ms + regroup "
            f"{r['panel_first_ms']:.0f} ms), slider moves after it {r['panel_slider_ms_median']:.0f} ms (max "
            f"{r['panel_slider_ms_max']:.0f} ms); without the worker's layout the first would take "
            f"{r['panel_without_layout_first_ms']:.0f} ms.\n  regroup under 200 ms for 1M pairs: "
            f"{'met' if max(first, r['panel_slider_ms_max']) < 200 else 'NOT met'}"
        )
    doc = {
        "runs": runs,
        "server_runs": server_rows,
        "regroup": regroup_timing,
        "settings": {
            "ours_node_args": args.ours_node_args or None,
            "limit": args.limit,
            "batch_size": args.batch_size,
            "in_flight": args.in_flight,
            "hnsw_ef": args.hnsw_ef,
            "exact": bool(args.exact),
            "distance": "Cosine",
            "seed_limit": 10,
            "data_seed": args.seed,
            "scanner_variant": args.variant,
        },
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "total_s": round(total, 1),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
    print(f"\nwrote {os.path.relpath(args.out, ROOT)} ({total:.0f} s in all)")


def scanner_defaults() -> dict:
    """SCAN_DEFAULTS from src/scan/types.ts, so the benchmark follows the product's defaults."""
    import re

    text = open(os.path.join(ROOT, "src", "scan", "types.ts"), encoding="utf-8").read()
    block = text[text.index("SCAN_DEFAULTS") :]
    out = {}
    for key in ("limit", "batchSize", "inFlight"):
        out[key] = int(re.search(rf"\b{key}:\s*(\d+)", block).group(1))
    return out


if __name__ == "__main__":
    main()
