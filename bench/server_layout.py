"""Collections with the layout a Qdrant server builds while data arrives, made with the
embedded backend's own engine (Qdrant Edge), for the scan's integration test and benchmark.

A server indexes while points arrive: each upsert lands in an appendable (plain) segment,
and its optimizer indexes that segment once it holds more than ``indexing_threshold`` KB
of vectors, merging it into the indexed segment and reusing that segment's HNSW graph.
The last points of an upload stay unindexed when they are below the threshold. Qdrant Edge
runs the same optimizers, but only when asked; ``build()`` asks after every batch except
the last ones, which gives the server's layout: several segments, part indexed (HNSW,
default m=16 / ef_construct=100) and part not. The embedded backend opens such a collection
as it is (it rebuilds only when more than the threshold is unindexed).

Measured (2026-11-30, ``make_dataset(n, 256)``, threshold 0.95, batches of 5,000, the
scan's defaults, 2 busy cores): ``build()`` gives the server's layout, but not its graph.
A point whose own vector does not bring it (or an exact copy) back first is unreachable
through the index (``unreachable()``). The real server (1.18.3, its HNSW built with 2
threads) leaves 683-987 of 20k and 891-1,453 of 50k unreachable, and the same server
segments opened by Qdrant Edge give the same count: the search is the same, the build is
not. Edge builds one point at a time and leaves 16-27 of 20k and ~60 of 50k, whatever the
batching, ``max_indexing_threads`` or arrival order (clustered points first, last, or
group by group: at most 561 of 50k). The scan, on each:

| collection (served by the embedded backend) | pairs missed | groups exactly right |
| --- | --- | --- |
| 50k, ``build()``, arrival order (40k indexed + 10k plain) | 0 | 937 of 937 |
| 50k, ``build()``, clustered points first (45k + 5k) | 2 | 935 of 937 |
| 50k, ``from_server()`` (50k indexed) | 93 | 933 of 937 |
| 50k, real server itself (FINDINGS.md, 45k + 5k) | 247 | 929 of 937 |
| 20k, ``from_server()`` (20k indexed) | 4,185 | 393 of 399 |

So ``from_server()`` is how the tests and the benchmark get issue 12's failure under the
embedded backend: the server's own segments, every missed pair with an unreachable end.

CLI: ``python bench/server_layout.py --data-dir DIR [--collection NAME]`` prints the
layout of collections in an embedded backend's data dir (it must not be running).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
for _p in (ROOT, BENCH):
    if _p not in sys.path:
        sys.path.insert(0, _p)

# The server's defaults (GET /collections/<name> of Qdrant 1.18.3 with no configuration).
SERVER_BATCH = 5000
# Cosine of a point and its exact copy, less float32 rounding; no near copy in the
# benchmark's data comes within 2e-3 of 1.
COPY_SCORE = 1 - 1e-5


@dataclass
class Segment:
    kind: str  # "hnsw" (indexed) or "plain"
    points: int | None  # from the segment's id tracker; None when its files are unexpected
    appendable: bool


@dataclass
class Layout:
    """What GET /collections/<name> and the server's telemetry would show."""

    points: int
    indexed: int
    segments: list[Segment] = field(default_factory=list)

    @property
    def unindexed(self) -> int:
        return self.points - self.indexed

    def describe(self) -> str:
        parts = [
            f"{s.kind}{' (appendable)' if s.appendable else ''}: "
            + ("?" if s.points is None else f"{s.points:,}")
            + " points"
            for s in self.segments
        ]
        return (
            f"{self.points:,} points, {self.indexed:,} indexed, {self.unindexed:,} unindexed, "
            f"{len(self.segments)} segments [" + "; ".join(parts) + "]"
        )

    def as_dict(self) -> dict:
        return {
            "points": self.points,
            "indexed": self.indexed,
            "unindexed": self.unindexed,
            "segments": [s.__dict__ for s in self.segments],
        }


def build(
    target: Any,
    collection: str,
    vectors: np.ndarray,
    payloads: Sequence[dict] | None = None,
    ids: Sequence[Any] | None = None,
    *,
    distance: str = "Cosine",
    batch: int = SERVER_BATCH,
    unindexed_batches: int = 1,
    order: Sequence[int] | None = None,
    config: dict | None = None,
) -> Layout:
    """Creates ``collection`` with a server-like layout and returns that layout.

    ``target``: an embedded backend's data dir (no backend running on it), or an
    ``EmbeddedBackend``: a running one is stopped for the build and started again (its
    url and API key change; read them after). Points go in ``batch`` at a time, the
    optimizer running after each batch except the last ``unindexed_batches`` ones, which
    stay in a plain segment (the server's last 5,000 points). ``order``: the rows of
    ``vectors`` in arrival order (default: as given); ids stay those of the rows (default
    ``0..n-1``). ``config``: extra PUT /collections body (default: the server's defaults).

    Raises ValueError if the unindexed tail would exceed the indexing threshold (the
    backend would rebuild the index on open, so the layout would not last).
    """

    X = np.ascontiguousarray(vectors, dtype=np.float32)
    n, dim = X.shape
    ids = list(range(n)) if ids is None else list(ids)
    if len(ids) != n or (payloads is not None and len(payloads) != n):
        raise ValueError("vectors, ids and payloads must have the same length")
    rows = np.arange(n) if order is None else np.asarray(order)
    if sorted(rows.tolist()) != list(range(n)):
        raise ValueError("order must be a permutation of the rows of vectors")
    body = {"vectors": {"size": dim, "distance": distance}, **(config or {})}
    threshold_kb = (body.get("optimizers_config") or {}).get("indexing_threshold", 10000)
    tail = rows[len(rows) - _tail_len(n, batch, unindexed_batches):]
    if threshold_kb and len(tail) * dim * 4 / 1024 > threshold_kb:
        raise ValueError(
            f"the last {unindexed_batches} batch(es) ({len(tail)} points) exceed the indexing "
            f"threshold ({threshold_kb} KB): the backend would index them on open; use fewer"
        )

    with _data_dir_of(target) as data_dir:
        _fill(data_dir, collection, body, X, payloads, ids, rows, batch, unindexed_batches)
        return layout(data_dir, collection)


@contextlib.contextmanager
def _data_dir_of(target: Any):
    """The data dir of ``target`` (a path, or an EmbeddedBackend stopped meanwhile and
    started again after), held against any other backend while the block writes to it."""
    from jupyterlab_near_duplicates.embedded import EmbeddedBackend
    from jupyterlab_near_duplicates.embedded.datadir import DataDirLock

    backend = target if isinstance(target, EmbeddedBackend) else None
    data_dir = backend.data_dir if backend is not None else os.path.abspath(str(target))
    restart = backend is not None and backend.url is not None
    if backend is not None:
        backend.stop()
    os.makedirs(data_dir, exist_ok=True)
    lock = DataDirLock(data_dir)
    if not lock.acquire():
        raise RuntimeError(
            "an embedded backend is running on this data dir: pass its EmbeddedBackend "
            "(it is stopped for the build) or stop it first"
        )
    try:
        yield data_dir
    finally:
        lock.release()
        if restart:
            backend.ensure_running()


def _tail_len(n: int, batch: int, unindexed_batches: int) -> int:
    if unindexed_batches <= 0:
        return 0
    starts = list(range(0, n, batch))
    first_unindexed = starts[max(0, len(starts) - unindexed_batches)]
    return n - first_unindexed


def _new_shard(data_dir: str, collection: str, body: dict) -> str:
    """Creates ``collection`` through the embedded store (its config and directory, as the
    backend would) and returns its shard's directory, closed for the caller to fill."""
    from jupyterlab_near_duplicates.embedded.store import Store

    store = Store(data_dir)
    try:
        store.create_collection(collection, body)
        return os.path.join(store.get(collection).path, "shard")
    finally:
        store.close()


def _fill(data_dir, collection, body, X, payloads, ids, rows, batch, unindexed_batches) -> None:
    import qdrant_edge as qe

    from jupyterlab_near_duplicates.embedded.collection_config import edge_config, normalize_create_body
    from jupyterlab_near_duplicates.embedded.rest_body import parse_id

    shard_dir = _new_shard(data_dir, collection, body)
    cfg = normalize_create_body(body)
    # A server's optimizer also indexes a plain segment below the threshold when it runs
    # while the next batch is arriving (so its last indexed batch need not fill the
    # threshold); Edge optimizes only when asked, so the last indexed batch is indexed
    # under a threshold of 1 KB, then the collection's own configuration is put back.
    eager = normalize_create_body({**body, "optimizers_config": {**(body.get("optimizers_config") or {}), "indexing_threshold": 1}})
    starts = list(range(0, len(rows), batch))
    last_indexed = len(starts) - unindexed_batches - 1
    shard = qe.EdgeShard.load(shard_dir)
    try:
        for k, s in enumerate(starts):
            part = rows[s : s + batch]
            points = [
                qe.Point(parse_id(ids[r]), X[r].tolist(), None if payloads is None else payloads[r])
                for r in part
            ]
            shard.update(qe.UpdateOperation.upsert_points(points))
            if k < last_indexed:
                shard.optimize()  # what the server's optimizer does after an update
            elif k == last_indexed:
                shard.close()
                shard = qe.EdgeShard.load(shard_dir, edge_config(eager))
                shard.optimize()
                shard.close()
                shard = qe.EdgeShard.load(shard_dir, edge_config(cfg))
        shard.flush()
    finally:
        shard.close()


def from_server(
    target: Any,
    collection: str,
    vectors: np.ndarray,
    payloads: Sequence[dict] | None = None,
    *,
    distance: str = "Cosine",
    batch: int = SERVER_BATCH,
    timeout_s: float = 1800,
) -> Layout:
    """Loads the rows of ``vectors`` (ids ``0..n-1``) into a real Qdrant server the way a
    user does (``batch`` points per upsert, ``wait=true``), waits until the server has
    indexed what it will, stops it, and makes its segments a collection of the embedded
    backend's data dir. ``target`` as for ``build()``: a data dir (no backend running on
    it) or an ``EmbeddedBackend`` (stopped for the copy, started again). The embedded
    backend then serves the server's own index, graph and all. Needs the server binary
    (``qdrant_server.unavailable_reason()`` says why not)."""
    import shutil
    import time

    import qdrant_server
    import scan_harness as sh

    X = np.ascontiguousarray(vectors, dtype=np.float32)
    n, dim = X.shape
    body = {"vectors": {"size": dim, "distance": distance}}
    with _data_dir_of(target) as data_dir, qdrant_server.QdrantServer() as server:
        rest = sh.Rest(server.url, server.api_key)
        rest.create_collection("c", dim, distance)
        for s in range(0, n, batch):
            e = min(n, s + batch)
            # float32 in its shortest exact form: 5,000 x 256 as float64 text passes the
            # server's 32 MB request limit
            rows = ",".join("[" + ",".join(np.char.mod("%.9g", X[i])) + "]" for i in range(s, e))
            pl = json.dumps(list(payloads[s:e])) if payloads is not None else "null"
            data = f'{{"batch":{{"ids":{json.dumps(list(range(s, e)))},"vectors":[{rows}],"payloads":{pl}}}}}'
            rest.conn.close()  # a fresh connection: the server drops idle keep-alive ones
            rest.conn.request("PUT", "/collections/c/points?wait=true", body=data.encode(), headers=rest.headers)
            resp = rest.conn.getresponse()
            text = resp.read()
            if resp.status != 200:
                raise RuntimeError(f"upsert: HTTP {resp.status}: {text[:300]!r}")
        rest.conn.close()
        # green, with the same indexed count, for a few seconds: the optimizer may start
        # a moment after the last upsert returns
        deadline = time.monotonic() + timeout_s
        last, since = None, time.monotonic()
        while True:
            info = rest.call("GET", "/collections/c")
            state = (info["status"], info.get("indexed_vectors_count"), info.get("segments_count"))
            if state != last:
                last, since = state, time.monotonic()
            elif state[0] == "green" and time.monotonic() - since >= 3.0:
                break
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not finish indexing in time")
            time.sleep(0.5)
        rest.close()
        server.process.terminate()  # a clean stop flushes every segment
        server.process.wait(60)
        src = os.path.join(server.dir, "storage", "collections", "c", "0", "segments")
        shard_dir = _new_shard(data_dir, collection, body)
        shutil.rmtree(os.path.join(shard_dir, "segments"))
        shutil.copytree(src, os.path.join(shard_dir, "segments"))
        return layout(data_dir, collection)


def _collection_dir(data_dir: str, collection: str) -> str:
    """Where the embedded store keeps ``collection`` (its hashed directory, or the plain name
    an earlier version used)."""
    from jupyterlab_near_duplicates.embedded.names import directory_name

    root = os.path.join(os.path.abspath(data_dir), "collections")
    for entry in (directory_name(collection), collection):
        if os.path.isdir(os.path.join(root, entry, "shard")):
            return os.path.join(root, entry)
    return os.path.join(root, directory_name(collection))


def _collection_names(data_dir: str) -> list[str]:
    """The names of the collections in a data dir, as their collection.json says them."""
    root = os.path.join(os.path.abspath(data_dir), "collections")
    names = []
    for entry in sorted(os.listdir(root)) if os.path.isdir(root) else []:
        try:
            with open(os.path.join(root, entry, "collection.json"), encoding="utf-8") as f:
                names.append(json.load(f).get("name") or entry)
        except (OSError, ValueError):
            continue
    return sorted(names)


def layout(data_dir: str, collection: str) -> Layout:
    """The layout of a collection in an embedded backend's data dir (not running on it)."""
    import qdrant_edge as qe

    shard_dir = os.path.join(_collection_dir(data_dir, collection), "shard")
    if not os.path.isdir(shard_dir):
        raise FileNotFoundError(f"no collection {collection!r} in this data dir")
    shard = qe.EdgeShard.load(shard_dir)
    try:
        info = shard.info()
    finally:
        shard.close()
    seg_root = os.path.join(shard_dir, "segments")
    segments = [_segment(os.path.join(seg_root, d)) for d in sorted(os.listdir(seg_root))]
    return Layout(points=info.points_count, indexed=info.indexed_vectors_count, segments=segments)


def _segment(path: str) -> Segment:
    with open(os.path.join(path, "segment.json"), encoding="utf-8") as f:
        cfg = json.load(f)["config"]
    kinds = {v["index"]["type"] for v in cfg["vector_data"].values()}
    kind = "hnsw" if "hnsw" in kinds else "plain"
    # The id tracker keeps one 8-byte version per point: immutable (indexed) segments in
    # id_tracker.versions, appendable ones in mutable_id_tracker.versions, which appears
    # with the first write (an appendable segment without it is empty).
    immutable = os.path.join(path, "id_tracker.versions")
    mutable = os.path.join(path, "mutable_id_tracker.versions")
    if os.path.exists(immutable):
        return Segment(kind=kind, points=os.path.getsize(immutable) // 8, appendable=False)
    if os.path.exists(mutable):
        return Segment(kind=kind, points=os.path.getsize(mutable) // 8, appendable=True)
    if kind == "plain":
        return Segment(kind=kind, points=0, appendable=True)
    return Segment(kind=kind, points=None, appendable=False)


# ---------------------------------------------------------------------------------------
# Build orders and the failure they make
# ---------------------------------------------------------------------------------------


def clusters_first(vectors: np.ndarray, threshold: float, distance: str = "Cosine") -> np.ndarray:
    """Arrival order with every point that has a near duplicate first, the rest after."""
    import scan_harness as sh

    truth = sh.exact_pairs(vectors, threshold, distance)
    clustered = np.zeros(len(vectors), bool)
    clustered[truth.i] = True
    clustered[truth.j] = True
    rows = np.arange(len(vectors))
    return np.concatenate([rows[clustered], rows[~clustered]])


def unreachable(
    url: str, api_key: str, collection: str, vectors: np.ndarray, ids: Sequence[Any] | None = None, chunk: int = 500
) -> list[int]:
    """Rows whose own vector, searched through the index (limit 2), brings back neither the
    point nor an exact copy of it first: the index cannot reach them. Works on any Qdrant
    REST API (the embedded backend or a server); a query by id cannot show this, because
    Qdrant leaves the point itself out of its answer. Cosine collections only (a copy
    scores 1 within float32 rounding); ``vectors`` as stored (unit length)."""
    import scan_harness as sh

    X = np.asarray(vectors, dtype=np.float32)
    ids = list(range(len(X))) if ids is None else list(ids)
    rest = sh.Rest(url, api_key)
    bad: list[int] = []
    try:
        for s in range(0, len(X), chunk):
            searches = [{"query": X[r].astype(np.float64).tolist(), "limit": 2} for r in range(s, min(len(X), s + chunk))]
            res = rest.call("POST", f"/collections/{collection}/points/query/batch", {"searches": searches})
            for k, r in enumerate(res):
                pts = r["points"]
                if not pts or (pts[0]["id"] != ids[s + k] and pts[0]["score"] < COPY_SCORE):
                    bad.append(s + k)
    finally:
        rest.close()
    return bad


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Print the layout of collections in an embedded backend's data dir.")
    ap.add_argument("--data-dir", required=True, help="the data dir (no backend may be running on it)")
    ap.add_argument("--collection", help="one collection (default: all)")
    ap.add_argument("--json", action="store_true", help="print JSON")
    args = ap.parse_args(argv)
    from jupyterlab_near_duplicates.embedded.datadir import data_dir_locked

    if data_dir_locked(args.data_dir):
        print("an embedded backend is running on this data dir: stop it first (its shards are open)", file=sys.stderr)
        return 2
    names = [args.collection] if args.collection else _collection_names(args.data_dir)
    if not names:
        print("no collections in this data dir", file=sys.stderr)
        return 1
    out = {}
    for name in names:
        try:
            out[name] = layout(args.data_dir, name)
        except FileNotFoundError as e:
            print(str(e), file=sys.stderr)
            return 1
    if args.json:
        print(json.dumps({k: v.as_dict() for k, v in out.items()}, indent=2))
    else:
        for name, lay in out.items():
            print(f"{name}: {lay.describe()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
