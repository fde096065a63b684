"""The store: every collection of a data dir, loaded, created and deleted safely, and their
background maintenance."""

from __future__ import annotations

import logging
import os
import shutil
import time
import uuid

from .collection import Collection
from .collection_config import normalize_create_body
from .errors import ApiError, collection_not_found, engine_error
from .index_build import BUILD_RETRY_S, FLUSH_QUIET_S
from .names import directory_name, validate_collection_name

log = logging.getLogger("jupyterlab_near_duplicates.embedded")


class Store:
    """All collections under ``<data_dir>/collections``."""

    def __init__(self, data_dir: str):
        self.data_dir = os.path.abspath(data_dir)
        self.root = os.path.join(self.data_dir, "collections")
        os.makedirs(self.root, mode=0o700, exist_ok=True)
        self.collections: dict[str, Collection] = {}
        self._load_all()

    def _load_all(self) -> None:
        for entry in sorted(os.listdir(self.root)):
            path = os.path.join(self.root, entry)
            if entry.startswith(".trash-"):
                shutil.rmtree(path, ignore_errors=True)  # an interrupted delete
                continue
            if entry.startswith(".") or not os.path.isdir(path):
                continue
            if not os.path.exists(os.path.join(path, "collection.json")):
                log.warning("removing %r: an interrupted collection create", entry)
                self._trash(path)
                continue
            try:
                coll = Collection.open(path)
            except Exception as e:
                log.error("cannot load collection %r: %s", entry, e)
                continue
            if coll.name in self.collections:  # two directories claim one name: keep the first
                log.error("collection %r is in %r and %r; serving the first", coll.name, self.collections[coll.name].path, path)
                coll.close()
                continue
            self.collections[coll.name] = coll
            log.info("loaded collection %r", coll.name)

    def _trash(self, path: str) -> None:
        trash = os.path.join(self.root, f".trash-{uuid.uuid4().hex}")
        os.replace(path, trash)
        shutil.rmtree(trash, ignore_errors=True)

    def get(self, name: str) -> Collection:
        coll = self.collections.get(name)
        if coll is None:
            raise collection_not_found(name)
        return coll

    def list_collections(self) -> dict:
        return {"collections": [{"name": n} for n in sorted(self.collections)]}

    def exists(self, name: str) -> dict:
        return {"exists": name in self.collections}

    def create_collection(self, name: str, body: dict) -> bool:
        validate_collection_name(name)
        if name in self.collections:
            raise ApiError(409, f"Wrong input: Collection `{name}` already exists!")
        cfg = normalize_create_body(body if body is not None else {})
        path = self._new_path(name)
        try:
            coll = Collection.create(name, path, cfg)
        except ApiError:
            raise
        except Exception as e:
            log.error("creating collection %r: %s", name, e)
            raise engine_error(e) from None
        self.collections[name] = coll
        log.info("created collection %r", name)
        return True

    def _new_path(self, name: str) -> str:
        """Where a new collection ``name`` goes (see ``names``): never a live collection's."""
        base = os.path.join(self.root, directory_name(name))
        in_use = {c.path for c in self.collections.values()}
        path, n = base, 0
        while path in in_use:  # only a directory of an earlier version could be named so
            n += 1
            path = f"{base}-{n}"
        if os.path.exists(path):  # leftovers of a collection that failed to load
            self._trash(path)
        return path

    def delete_collection(self, name: str) -> bool:
        coll = self.collections.pop(name, None)
        if coll is None:
            return False
        coll.abort_build()
        try:
            coll.shard.close()
        except Exception as e:  # pragma: no cover - best effort
            log.warning("closing %r: %s", name, e)
        self._trash(coll.path)
        log.info("deleted collection %r", name)
        return True

    def maintain(self) -> bool:
        """One step of background maintenance (engine thread); True if it did something.

        Called when no request is in flight: reads do not hold maintenance back, writes
        do (each collection waits for its writes to be quiet).
        """
        if self.finish_builds():
            return True
        now = time.monotonic()
        for coll in list(self.collections.values()):
            quiet = now - coll.last_write
            if coll.dirty and coll.build is None and quiet >= coll.quiet_needed():
                if coll.large() and now - coll.build_failed_at < BUILD_RETRY_S:
                    continue
                coll.optimize()
                if coll.unflushed:
                    coll.flush()
                return True
            if coll.unflushed and quiet >= FLUSH_QUIET_S:
                coll.flush()
                return True
        return False

    def builds_done(self) -> bool:
        """A background build has finished and waits to be swapped in (any thread)."""
        return any(c.build_done() for c in list(self.collections.values()))

    def finish_builds(self) -> bool:
        done = False
        for coll in list(self.collections.values()):
            if coll.build_done():
                coll.finish_build()
                done = True
        return done

    def pending_maintenance(self) -> bool:
        now = time.monotonic()
        return any(
            c.unflushed or (c.dirty and c.build is None and now - c.build_failed_at >= BUILD_RETRY_S)
            for c in self.collections.values()
        )

    def close(self) -> None:
        for name, coll in list(self.collections.items()):
            try:
                coll.close()
            except Exception as e:  # pragma: no cover - best effort at shutdown
                log.warning("closing %r: %s", name, e)
        self.collections.clear()

