"""A collection: a Qdrant Edge shard with its REST configuration, its reads, writes and
index builds.

One ``qdrant_edge.EdgeShard`` per collection, in ``<data_dir>/collections/<dir>/shard``,
with the collection's name and REST-level configuration persisted beside it in
``<data_dir>/collections/<dir>/collection.json`` (``<dir>``: see ``names.directory_name``;
earlier versions used the name itself, and such directories still load).

Everything here is synchronous and expects to be called from one thread at a time (the
REST app runs it on a single engine thread). Request bodies come in as the JSON objects of
Qdrant's REST API and results go out as JSON-ready Python objects of the same shapes.
Cosine vectors are normalised by the engine on upsert (and queries are too).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from typing import Any, Callable

import qdrant_edge as qe

from .collection_config import edge_config
from .datadir import write_json_atomic
from .errors import ApiError, engine_error
from .index_build import BUILD_DIR, OLD_SHARD_DIR, SHARD_DIR, IndexMaintenance
from .reads import PointReads
from .writes import PointWrites

log = logging.getLogger("jupyterlab_near_duplicates.embedded")


class Collection(IndexMaintenance, PointReads, PointWrites):
    """A collection: an EdgeShard plus its REST configuration and maintenance state
    (index builds: see ``IndexMaintenance``)."""

    def __init__(self, name: str, path: str, cfg: dict, shard: qe.EdgeShard):
        self.name = name
        self.path = path
        self.cfg = cfg
        self.shard = shard
        self.named: bool = cfg["named"]
        self.distances = {n: p["distance"] for n, p in cfg["vectors"].items()}
        self.dims = {n: p["size"] for n, p in cfg["vectors"].items()}
        self._op_id = 0
        self._init_maintenance()

    @classmethod
    def create(cls, name: str, path: str, cfg: dict) -> Collection:
        os.makedirs(path, exist_ok=False)
        try:
            shard = qe.EdgeShard.create(os.path.join(path, SHARD_DIR), edge_config(cfg))
            write_json_atomic(os.path.join(path, "collection.json"), {"name": name, "created_at": time.time(), **cfg})
        except BaseException:
            shutil.rmtree(path, ignore_errors=True)
            raise
        return cls(name, path, cfg, shard)

    @classmethod
    def open(cls, path: str) -> Collection:
        with open(os.path.join(path, "collection.json"), encoding="utf-8") as f:
            cfg = json.load(f)
        name = cfg.pop("name")
        cfg.pop("created_at", None)
        live = os.path.join(path, SHARD_DIR)
        old = os.path.join(path, OLD_SHARD_DIR)
        if not os.path.exists(live) and os.path.exists(old):
            log.warning("collection %r: restoring the shard of an interrupted index swap", name)
            os.replace(old, live)
        for leftover in (old, os.path.join(path, BUILD_DIR)):
            if os.path.exists(leftover):
                shutil.rmtree(leftover, ignore_errors=True)
        shard = qe.EdgeShard.load(live)
        coll = cls(name, path, cfg, shard)
        # after a restart only an index build left undone (e.g. writes replayed from the
        # WAL after a crash) is pending; small collections get a cheap in-process check
        coll.dirty = not coll.large() or coll._index_pending(shard.info())
        return coll

    def close(self) -> None:
        self.abort_build()
        try:
            self.shard.flush()
        finally:
            self.shard.close()

    @staticmethod
    def _call(fn: Callable, *args: Any) -> Any:
        """``fn(*args)`` on the engine, its errors turned into a Qdrant server's."""
        try:
            return fn(*args)
        except ApiError:
            raise
        except Exception as e:
            raise engine_error(e) from None

