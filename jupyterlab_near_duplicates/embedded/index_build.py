"""Index builds of a collection: when to build, and building out of process (copy the
shard, optimize the copy in a child process, replay the writes it missed, swap it in).

Measured fact about qdrant-edge-py 0.9.0 that shapes this module: every engine call holds
the GIL for its whole duration, ``optimize()`` included (an HNSW build of 50k x 256 vectors
takes 40-100 s on 2 cores). So index builds of large collections run in a separate process
on a copy of the shard, which is swapped in when done; everything else is short enough to
run inline.
"""

from __future__ import annotations

import collections as _collections
import logging
import math
import os
import shutil
import subprocess
import sys
import time
from typing import Any

import qdrant_edge as qe

from .collection_config import DEFAULT_OPTIMIZERS
from .datadir import child_env
from .errors import hide_paths

log = logging.getLogger("jupyterlab_near_duplicates.embedded")

# Index-build policy (see IndexMaintenance).
IDLE_MIN_S = 2.0  # a write burst is over when nothing was written for this long ...
IDLE_GAP_FACTOR = 3.0  # ... or for 3x the recent gap between write requests ...
IDLE_MAX_S = 120.0  # ... capped at this.
FLUSH_QUIET_S = 1.0  # flush segments once writes have been quiet for this long
_SESSION_GAP_S = 300.0  # a longer pause between writes starts a new "write session"
BUILD_RETRY_S = 60.0  # after a failed background build
REPLAY_MAX_BYTES = 256 * 1024 * 1024  # writes kept for replay during a background build
# Above this much vector data an optimize goes out of process: the engine holds the GIL
# while it optimizes, and even below Qdrant's indexing threshold that took 98 s here for
# 40k x 64 on a busy machine, with every request waiting.
IN_PROCESS_OPTIMIZE_MAX_KB = 1024.0

SHARD_DIR = "shard"
BUILD_DIR = "build"  # <collection>/build/shard: the copy being optimized
OLD_SHARD_DIR = "shard.old"  # the previous live shard during a swap


class _Build:
    """A background index build: a child process optimizing a copy of the shard."""

    def __init__(self, proc: subprocess.Popen, root: str, writes_at_copy: int):
        self.proc = proc
        self.root = root  # <collection>/build
        self.started = time.monotonic()
        self.writes_at_copy = writes_at_copy
        self.replay: list | None = []  # writes since the copy; None = too many, give up
        self.replay_bytes = 0


class IndexMaintenance:
    """The index-build side of a ``Collection`` (a mixin: it uses the collection's
    ``name``, ``path``, ``cfg``, ``dims`` and ``shard``).

    Index builds. The engine builds HNSW indexes only when asked (``optimize()``), and
    qdrant-edge-py holds the GIL for the whole call - tens of seconds for 50k x 256
    vectors - which would freeze the REST app. So a collection large enough to need an
    index (more vector data than ``indexing_threshold`` KB) is optimized *out of
    process*: flush, copy the shard directory, optimize the copy in a niced child
    process while the live shard keeps serving (unindexed data is searched exactly, as a
    Qdrant server does while it indexes), then replay the writes that arrived meanwhile
    onto the copy and swap it in (a fraction of a second). Small collections are
    optimized in-process (cheap: nothing to index, small merges).

    When: once writes have been quiet for ``max(2 s, 3 x the recent gap between write
    requests)`` (capped at 120 s) and no request is in flight - a notebook computing
    embeddings between upserts does not start a build after every batch - or at once
    when a ``query/batch`` request (the scan pattern) finds the collection written since
    the last build. Single queries never trigger a build.

    Status: ``grey`` when an index build is pending, ``yellow`` while one runs, ``green``
    otherwise (``red`` if the engine's optimizer failed).
    """

    name: str
    path: str
    cfg: dict
    dims: dict
    shard: qe.EdgeShard

    def _init_maintenance(self) -> None:
        self.dirty = True  # written (or just loaded) since the last optimization
        self.unflushed = False
        self.writes = 0
        self.last_write = 0.0
        self._write_gaps: _collections.deque = _collections.deque(maxlen=8)
        self.optimizer_error: str | None = None
        self.build: _Build | None = None
        self.build_failed_at = 0.0
        self.last_build_s: float | None = None

    def _mark_write(self, op: Any = None, size: int = 1024) -> None:
        now = time.monotonic()
        if self.last_write:
            gap = now - self.last_write
            if gap <= _SESSION_GAP_S:
                self._write_gaps.append(gap)
            else:
                self._write_gaps.clear()
        self.last_write = now
        self.writes += 1
        self.dirty = True
        self.unflushed = True
        b = self.build
        if b is not None and b.replay is not None and op is not None:
            b.replay_bytes += size
            if b.replay_bytes > REPLAY_MAX_BYTES:
                b.replay = None  # too much to keep: this build will be discarded
            else:
                b.replay.append(op)

    def quiet_needed(self) -> float:
        gap = max(self._write_gaps, default=0.0)
        return min(IDLE_MAX_S, max(IDLE_MIN_S, IDLE_GAP_FACTOR * gap))

    def _threshold_kb(self) -> float:
        t = self.cfg["optimizer_config"].get("indexing_threshold")
        if t is None:
            t = DEFAULT_OPTIMIZERS["indexing_threshold"]
        return math.inf if t == 0 else float(t)

    def _vector_kb(self, points: int) -> float:
        return points * sum(self.dims.values()) * 4 / 1024

    def large(self, info: Any = None) -> bool:
        """Enough vector data that optimizing could stall requests: builds go out of process."""
        i = info or self.shard.info()
        return self._vector_kb(i.points_count) > min(self._threshold_kb(), IN_PROCESS_OPTIMIZE_MAX_KB)

    def _index_pending(self, info: Any) -> bool:
        n_vec = max(1, len(self.dims))
        unindexed = max(0, info.points_count - info.indexed_vectors_count // n_vec)
        return self._vector_kb(unindexed) > self._threshold_kb()

    def index_status(self, info: Any) -> tuple[str, Any]:
        """(status, optimizer_status) as a Qdrant server reports them (see the class docstring)."""
        if self.optimizer_error:
            return "red", {"error": self.optimizer_error}
        if self.build is not None:
            return "yellow", "ok"  # an index build is running
        # grey: an index build is pending (next query/batch, or once writes are quiet)
        return ("grey" if self.dirty and self._index_pending(info) else "green"), "ok"

    def optimize_now(self) -> bool:
        """In-process optimize (blocks the process; for small collections and tests)."""
        t0 = time.monotonic()
        try:
            changed = self.shard.optimize()
            self.optimizer_error = None
        except Exception as e:  # keep serving; report it in optimizer_status
            self.optimizer_error = hide_paths(str(e).splitlines()[0]) if str(e) else type(e).__name__
            log.error("collection %r: optimize failed: %s", self.name, self.optimizer_error)
            changed = False
        self.dirty = False
        if changed:
            log.info("collection %r: optimized in process in %.1f s", self.name, time.monotonic() - t0)
        return changed

    def optimize(self) -> None:
        """Optimize as the policy says: a background build if large, else in-process."""
        if self.build is not None:
            return
        if self.large():
            if time.monotonic() - self.build_failed_at >= BUILD_RETRY_S:
                try:
                    self.start_build()
                except Exception:  # e.g. disk full: keep serving from the live shard
                    log.exception("collection %r: could not start a background index build", self.name)
                    shutil.rmtree(os.path.join(self.path, BUILD_DIR), ignore_errors=True)
                    self.build_failed_at = time.monotonic()
        else:
            self.optimize_now()

    def start_build(self) -> None:
        root = os.path.join(self.path, BUILD_DIR)
        shutil.rmtree(root, ignore_errors=True)
        t0 = time.monotonic()
        self.shard.flush()
        self.unflushed = False
        shutil.copytree(os.path.join(self.path, SHARD_DIR), os.path.join(root, SHARD_DIR))
        cmd = [
            sys.executable or "python3",
            "-m",
            "jupyterlab_near_duplicates.embedded",
            "--optimize-shard",
            os.path.join(root, SHARD_DIR),
            "--parent-pid",
            str(os.getpid()),
        ]
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, close_fds=True, env=child_env())
        self.build = _Build(proc, root, self.writes)
        self.dirty = False
        log.info(
            "collection %r: index build started in the background (pid %d, copy took %.2f s)",
            self.name, proc.pid, time.monotonic() - t0,
        )

    def build_done(self) -> bool:
        return self.build is not None and self.build.proc.poll() is not None

    def finish_build(self) -> bool:
        """Swap in a finished background build (engine thread). True if swapped."""
        b = self.build
        if b is None or b.proc.poll() is None:
            return False
        self.build = None
        rc = b.proc.returncode
        new = os.path.join(b.root, SHARD_DIR)
        if rc != 0 or b.replay is None:
            shutil.rmtree(b.root, ignore_errors=True)
            if rc != 0:
                self.build_failed_at = time.monotonic()
                log.error("collection %r: background index build failed (exit code %s)", self.name, rc)
            else:
                log.info("collection %r: background build discarded (too many writes meanwhile)", self.name)
            self.dirty = True
            return False
        t0 = time.monotonic()
        try:
            self._swap_in(new, b.replay)
        except Exception:
            log.exception("collection %r: could not swap in the rebuilt shard; keeping the old one", self.name)
            self.build_failed_at = time.monotonic()
            self.dirty = True
            return False
        finally:
            shutil.rmtree(b.root, ignore_errors=True)
        self.optimizer_error = None
        self.last_build_s = time.monotonic() - b.started
        self.dirty = bool(b.replay)
        log.info(
            "collection %r: index built in the background in %.1f s, swapped in %.2f s (%d writes replayed)",
            self.name, self.last_build_s, time.monotonic() - t0, len(b.replay),
        )
        return True

    def _swap_in(self, new: str, replay: list) -> None:
        """Make the optimized copy at ``new`` the live shard, losing no acknowledged write.

        The copy gets the writes it missed and is flushed *before* it replaces the live
        shard, so at every instant one complete shard sits at ``shard`` or, between the
        two renames, at ``shard.old`` (restored by ``open()`` after a crash).
        """
        copy = qe.EdgeShard.load(new)
        try:
            for op in replay:
                try:
                    copy.update(op)
                except Exception:  # it failed (or half-applied) on the live shard too
                    pass
            copy.flush()
        finally:
            copy.close()
        live = os.path.join(self.path, SHARD_DIR)
        old = os.path.join(self.path, OLD_SHARD_DIR)
        self.shard.flush()
        self.shard.close()
        try:
            os.replace(live, old)
            os.replace(new, live)
            self.shard = qe.EdgeShard.load(live)
        except BaseException:
            # put the previous live shard back (it is complete) and serve it again
            if os.path.exists(old):
                if os.path.exists(live):
                    os.replace(live, new)
                os.replace(old, live)
            self.shard = qe.EdgeShard.load(live)
            raise
        shutil.rmtree(old, ignore_errors=True)

    def abort_build(self) -> None:
        b, self.build = self.build, None
        if b is None:
            return
        if b.proc.poll() is None:
            b.proc.kill()
            try:
                b.proc.wait(10)
            except subprocess.TimeoutExpired:  # pragma: no cover
                pass
        shutil.rmtree(b.root, ignore_errors=True)
        self.dirty = True

    def flush(self) -> None:
        self.shard.flush()
        self.unflushed = False
