"""Entry point of the embedded backend's child process.

    ND_EMBEDDED_API_KEY=... python -m jupyterlab_near_duplicates.embedded \\
        --data-dir DIR --port 0 --ready-file FILE

Serves the REST app on 127.0.0.1 only. The API key comes from the environment variable
``ND_EMBEDDED_API_KEY`` (never argv, never logged). Once listening it writes
``{"port": ..., "pid": ...}`` atomically to the ready file.

The process holds an exclusive lock on ``<data_dir>/embedded.lock`` for its lifetime (so
no second process opens the same shards), and exits by itself when its parent dies: EOF
on stdin (``--watch-stdin``, the launcher keeps a pipe open) or a change of parent pid.

Exit codes: 0 clean stop, 2 usage error, 3 data dir already in use, 1 other failure.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import sys
import threading
import time

from .datadir import DataDirLock, lock_owner_pid, pid_alive, write_json_atomic
from .launcher import EXIT_LOCKED, EXIT_USAGE

log = logging.getLogger("jupyterlab_near_duplicates.embedded")


def bind_loopback(port: int) -> socket.socket:
    """Bind 127.0.0.1:port; if that port is taken, fall back to a free one."""
    for p in ([port, 0] if port else [0]):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if os.name != "nt":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", p))
        except OSError:
            sock.close()
            if p == 0:
                raise
            continue
        sock.listen(128)
        sock.setblocking(False)
        return sock
    raise OSError("no port")  # pragma: no cover


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="python -m jupyterlab_near_duplicates.embedded",
        description="Embedded Qdrant-compatible REST backend over Qdrant Edge (loopback only).",
    )
    ap.add_argument("--data-dir")
    ap.add_argument("--port", type=int, default=0, help="0 = any free port (default)")
    ap.add_argument("--ready-file", help="written as {port, pid} once listening")
    ap.add_argument("--optimize-shard", metavar="SHARD_DIR", help=argparse.SUPPRESS)
    ap.add_argument("--parent-pid", type=int, default=None, help="exit when this process is gone")
    ap.add_argument("--watch-stdin", action="store_true", help="exit on EOF on stdin")
    ap.add_argument("--log-level", default="INFO")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.optimize_shard:
        return optimize_shard(args.optimize_shard, args.parent_pid)
    if not args.data_dir or not args.ready_file:
        print("--data-dir and --ready-file are required", file=sys.stderr)
        return EXIT_USAGE
    logging.basicConfig(
        level=getattr(logging, str(args.log_level).upper(), logging.INFO),
        format="%(asctime)s [nd-embedded %(process)d] %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("tornado.access").setLevel(logging.ERROR)
    api_key = os.environ.pop("ND_EMBEDDED_API_KEY", "")
    if not api_key:
        print("ND_EMBEDDED_API_KEY is not set", file=sys.stderr)
        return EXIT_USAGE

    data_dir = os.path.abspath(args.data_dir)
    os.makedirs(data_dir, mode=0o700, exist_ok=True)
    lock = DataDirLock(data_dir)
    if not lock.acquire():
        owner = lock_owner_pid(data_dir)
        print(
            f"data dir {data_dir} is in use by another embedded backend"
            + (f" (pid {owner})" if owner else ""),
            file=sys.stderr,
        )
        return EXIT_LOCKED

    # Heavy imports after the lock: a second process fails fast.
    import tornado.httpserver
    import tornado.ioloop

    from .app import make_app
    from .limits import MAX_BODY_BYTES
    from .store import Store

    try:
        t0 = time.monotonic()
        store = Store(data_dir)
        log.info("opened %d collection(s) in %.2f s", len(store.collections), time.monotonic() - t0)
        app, engine = make_app(store, api_key)
        sock = bind_loopback(args.port)
        port = sock.getsockname()[1]
        server = tornado.httpserver.HTTPServer(app, max_body_size=MAX_BODY_BYTES, idle_connection_timeout=3600)
        server.add_sockets([sock])
    except Exception:
        log.exception("failed to start")
        lock.release()
        return 1

    loop = tornado.ioloop.IOLoop.current()
    stopping = threading.Event()

    def shutdown(reason: str) -> None:
        if stopping.is_set():
            return
        stopping.set()
        log.info("stopping: %s", reason)
        server.stop()
        loop.stop()

    def request_shutdown(reason: str) -> None:  # thread-safe
        loop.add_callback(shutdown, reason)

    # --- parent-death detection --------------------------------------------------------
    initial_ppid = os.getppid()
    parent_pid = args.parent_pid

    def check_parent() -> None:
        if os.getppid() != initial_ppid:
            shutdown("parent process exited (reparented)")
        elif parent_pid and not pid_alive(parent_pid):
            shutdown(f"parent process {parent_pid} exited")

    if args.watch_stdin:

        def watch_stdin() -> None:
            try:
                while sys.stdin.buffer.read(65536):
                    pass
            except (OSError, ValueError):
                pass
            request_shutdown("stdin closed (parent gone or stopping)")

        threading.Thread(target=watch_stdin, name="nd-stdin-watch", daemon=True).start()

    for sig in (signal.SIGTERM, signal.SIGINT) + ((signal.SIGHUP,) if hasattr(signal, "SIGHUP") else ()):
        signal.signal(sig, lambda signum, _frame: request_shutdown(f"signal {signum}"))

    tornado.ioloop.PeriodicCallback(check_parent, 1000).start()
    tornado.ioloop.PeriodicCallback(engine.tick, 250).start()

    write_json_atomic(args.ready_file, {"port": port, "pid": os.getpid()})
    log.info("listening on 127.0.0.1:%d", port)
    try:
        loop.start()
    finally:
        try:
            engine.close()  # finishes queued work, flushes and closes the shards
        except Exception:
            log.exception("error while closing the store")
        lock.release()
        log.info("stopped")
    return 0


def optimize_shard(path: str, parent_pid: int | None) -> int:
    """Build the indexes of a shard copy (a background build of the embedded backend).

    Runs niced, dies with its parent (Linux), and touches nothing but ``path``.
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s [nd-optimize %(process)d] %(levelname)s %(message)s")
    _die_with_parent(parent_pid)
    try:
        os.nice(10)  # serving queries comes first
    except (AttributeError, OSError):
        pass
    import qdrant_edge as qe

    t0 = time.monotonic()
    shard = qe.EdgeShard.load(path)
    try:
        changed = shard.optimize()
        shard.flush()
    finally:
        shard.close()
    log.info("optimized %s in %.1f s (changed: %s)", path, time.monotonic() - t0, changed)
    return 0


def _die_with_parent(parent_pid: int | None) -> None:
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except Exception:  # pragma: no cover
            pass
    if parent_pid and os.getppid() != parent_pid:
        sys.exit(1)  # the parent is already gone


if __name__ == "__main__":
    sys.exit(main())
