"""Throughput of the embedded backend for the scan's workload: query/batch by point id.

    .venv/bin/python bench/embedded_throughput.py [--n 50000] [--dim 256] [--batch 256]

Builds N random vectors of dimension d (Cosine) where a fifth are near-copies of others
(so thresholded results are not all empty), uploads them with qdrant-client to a fresh
EmbeddedBackend, lets the first query/batch build the HNSW index (timed on its own), then
sends every point id once as query/batch requests of ``--batch`` by-id queries (limit 32,
score_threshold 0.9, no payload) over one keep-alive HTTP connection, as the scan does,
and prints queries per second.

It then reopens the data dir in-process and times the same batches three ways - the
engine call alone, the whole server-side path without HTTP, and over HTTP - to show how
much of a request is Python overhead.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import sys
import tempfile
import time
import warnings

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from jupyterlab_near_duplicates.embedded import EmbeddedBackend  # noqa: E402


def make_data(n: int, dim: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, dim)).astype(np.float32)
    dup = rng.choice(n, size=n // 5, replace=False)
    src = rng.integers(0, n, size=dup.size)
    X[dup] = X[src] + 0.15 * rng.standard_normal((dup.size, dim)).astype(np.float32)
    return X


def post(conn: http.client.HTTPConnection, path: str, body: dict, key: str) -> dict:
    conn.request("POST", path, body=json.dumps(body), headers={"api-key": key, "Content-Type": "application/json"})
    resp = conn.getresponse()
    data = resp.read()
    if resp.status != 200:
        raise RuntimeError(f"{resp.status}: {data[:300]!r}")
    return json.loads(data)


HNSW_EF: int | None = None


def batch_body(ids: list[int], limit: int, threshold: float) -> dict:
    extra = {"params": {"hnsw_ef": HNSW_EF}} if HNSW_EF else {}
    return {"searches": [{"query": i, "limit": limit, "score_threshold": threshold, "with_payload": False, **extra} for i in ids]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=50_000)
    ap.add_argument("--dim", type=int, default=256)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--limit", type=int, default=32)
    ap.add_argument("--threshold", type=float, default=0.9)
    ap.add_argument("--hnsw-ef", type=int, default=None, help="params.hnsw_ef of the queries (default: the engine's)")
    ap.add_argument("--queries", type=int, default=0, help="by-id queries to time (default: all N)")
    ap.add_argument("--data-dir", default=None, help="default: a temporary directory, removed at the end")
    ap.add_argument("--reuse", action="store_true", help="keep the collection of a previous run in --data-dir")
    args = ap.parse_args()
    global HNSW_EF
    HNSW_EF = args.hnsw_ef

    from qdrant_client import QdrantClient, models

    tmp = args.data_dir or tempfile.mkdtemp(prefix="nd-bench-")
    backend = EmbeddedBackend(os.path.join(tmp, "data"))
    try:
        url, key = backend.ensure_running()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            client = QdrantClient(url=url, api_key=key, timeout=600, check_compatibility=False)
        name = "bench"
        reuse = args.reuse and client.collection_exists(name) and client.count(name).count == args.n
        if not reuse:
            X = make_data(args.n, args.dim)
            if client.collection_exists(name):
                client.delete_collection(name)
            client.create_collection(name, vectors_config=models.VectorParams(size=args.dim, distance=models.Distance.COSINE))
            t = time.perf_counter()
            step = 1000
            for i in range(0, args.n, step):
                batch = models.Batch(ids=list(range(i, min(args.n, i + step))), vectors=X[i : i + step].tolist())
                client.upsert(name, points=batch, wait=True)
            t_upload = time.perf_counter() - t
            print(f"uploaded {args.n} x {args.dim} in {t_upload:.1f} s ({args.n / t_upload:.0f} points/s)")

        host, port = url.rsplit("//", 1)[1].split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=3600)
        path = f"/collections/{name}/points/query/batch"
        t = time.perf_counter()
        # the first query/batch starts the background index build and is answered at once
        post(conn, path, batch_body(list(range(args.batch)), args.limit, args.threshold), key)
        t_first = time.perf_counter() - t
        polls, worst = 0, 0.0
        while True:
            t_poll = time.perf_counter()
            info = client.get_collection(name)
            worst = max(worst, time.perf_counter() - t_poll)
            polls += 1
            if info.status == models.CollectionStatus.GREEN:
                break
            time.sleep(0.5)
        t_index = time.perf_counter() - t
        print(
            f"first query/batch (unindexed, exact) {t_first:.2f} s; index built in the background in {t_index:.1f} s "
            f"(the API kept answering: {polls} status polls, slowest {worst * 1000:.0f} ms); "
            f"indexed {info.indexed_vectors_count}/{info.points_count}, segments {info.segments_count}"
        )

        nq = args.queries or args.n
        ids = list(range(nq))
        batches = [ids[i : i + args.batch] for i in range(0, nq, args.batch)]
        pairs = 0
        per_batch = []
        t = time.perf_counter()
        for b in batches:
            tb = time.perf_counter()
            res = post(conn, path, batch_body(b, args.limit, args.threshold), key)
            per_batch.append(len(b) / (time.perf_counter() - tb))
            pairs += sum(len(r["points"]) for r in res["result"])
        dt = time.perf_counter() - t
        qps_http = nq / dt
        per_batch.sort()
        print(
            f"HTTP query/batch by id: {nq} queries in {dt:.1f} s = {qps_http:.0f} queries/s "
            f"(per batch: median {per_batch[len(per_batch) // 2]:.0f}, best {per_batch[-1]:.0f} q/s) "
            f"(batch {args.batch}, limit {args.limit}, score_threshold {args.threshold}, hnsw_ef {args.hnsw_ef or 'default'}; "
            f"{pairs} neighbours found)"
        )
        conn.close()
        client.close()
    finally:
        backend.stop()

    # --- where the time goes: the same batches without HTTP ---------------------------------
    from jupyterlab_near_duplicates.embedded.app import _dumps
    from jupyterlab_near_duplicates.embedded.store import Store

    store = Store(os.path.join(tmp, "data"))
    coll = store.get("bench")
    sample = batches[: max(1, min(len(batches), 40))]
    bodies = [batch_body(b, args.limit, args.threshold) for b in sample]
    coll.query_batch(bodies[0])  # warm
    t_engine = t_full = 0.0
    import qdrant_edge as qe

    from jupyterlab_near_duplicates.embedded import query_plan

    for body in bodies:
        plans = [query_plan.plan(s, coll.distances) for s in body["searches"]]
        vectors = coll.ref_vectors(plans)
        reqs = [query_plan.engine_request(p, vectors) for p in plans]
        t = time.perf_counter()
        coll.shard.query_batch(qe.QueryBatchRequest(reqs))
        t_engine += time.perf_counter() - t
        raw = json.dumps(body).encode()
        t = time.perf_counter()
        _dumps({"result": coll.query_batch(json.loads(raw)), "status": "ok", "time": 0.0})
        t_full += time.perf_counter() - t
    store.close()
    nq_s = sum(len(b) for b in sample)
    print(
        f"in-process, {nq_s} queries: engine query_batch alone {nq_s / t_engine:.0f} q/s; "
        f"whole server path (parse, resolve ids, engine, JSON) {nq_s / t_full:.0f} q/s; "
        f"Python share of the server path {100 * (1 - t_engine / t_full):.0f}%; HTTP {qps_http:.0f} q/s"
    )
    if not args.data_dir:
        shutil.rmtree(tmp, ignore_errors=True)
    try:
        print(f"(load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    except OSError:
        pass
    print(f"RESULT by-id query/batch throughput: {qps_http:.0f} queries/s")


if __name__ == "__main__":
    main()
