"""Start, find and stop the embedded backend's child process.

This module is imported by the Jupyter server extension and by kernels, so it stays
light: no engine import here (the child process imports ``qdrant_edge``).

Usage::

    backend = EmbeddedBackend(data_dir, runtime_file)
    url, api_key = backend.ensure_running()   # starts (or restarts, or reuses) the child
    ...
    backend.stop()                             # also done at interpreter exit

Files in ``data_dir``: ``embedded.lock`` (held by the live child, content: its pid),
``embedded.owner.json`` (pid, url and runtime-file path of the live child, no key),
``embedded.log`` (the child's log; the API key is never logged) and ``collections/``.
"""

from __future__ import annotations

import atexit
import http.client
import logging
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import uuid
import weakref
from typing import Any

from .datadir import (
    API_KEY_ENV,
    child_env,
    data_dir_locked,
    lock_owner_pid,
    pid_alive,
    read_json,
    write_json_atomic,
)
from .errors import hide_paths

log = logging.getLogger("jupyterlab_near_duplicates.embedded")

EXIT_USAGE = 2
EXIT_LOCKED = 3
OWNER_NAME = "embedded.owner.json"
LOG_NAME = "embedded.log"
_LOG_ROTATE_BYTES = 5 * 1024 * 1024


class EmbeddedBackendError(RuntimeError):
    """The embedded backend could not be started or reached."""


def _probe(url: str, api_key: str, timeout: float) -> int | None:
    """HTTP status of ``GET /`` with the key, or None if no answer."""
    host, _, port = url.rpartition("://")[2].partition(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        conn.request("GET", "/", headers={"api-key": api_key})
        resp = conn.getresponse()
        resp.read()
        return resp.status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


# ---------------------------------------------------------------------------------------
# The launcher
# ---------------------------------------------------------------------------------------

_LIVE: weakref.WeakSet[EmbeddedBackend] = weakref.WeakSet()


class EmbeddedBackend:
    """The embedded Qdrant backend: a child process serving Qdrant's REST API on loopback.

    ``ensure_running()`` starts the child if needed (or restarts it if it died, keeping
    its port and API key when it can so existing clients reconnect), or reuses a live
    child that already owns ``data_dir`` when its runtime file is readable; otherwise it
    raises :class:`EmbeddedBackendError` with a clear message. It blocks until the child
    answers (run it off the event loop). ``stop()`` stops a child this object started;
    it is also called at interpreter exit. The child exits on its own if this process
    dies.
    """

    def __init__(
        self,
        data_dir: str,
        runtime_file: str | None = None,
        *,
        startup_timeout: float = 120.0,
        stop_timeout: float = 15.0,
    ):
        self.data_dir = os.path.abspath(os.path.expanduser(data_dir))
        self.runtime_file = os.path.abspath(os.path.expanduser(runtime_file)) if runtime_file else None
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self._lock = threading.RLock()
        self._proc: subprocess.Popen | None = None
        self._owner_pid = os.getpid()  # the process that started the child (not a fork of it)
        self._adopted_pid: int | None = None
        self._url: str | None = None
        self._api_key: str | None = None
        self._port = 0
        _LIVE.add(self)

    def __repr__(self) -> str:  # never shows the key
        return f"<EmbeddedBackend data_dir={self.data_dir!r} url={self._url!r} pid={self.pid}>"

    # --- public API ---------------------------------------------------------------------

    @property
    def url(self) -> str | None:
        return self._url

    @property
    def api_key(self) -> str | None:
        return self._api_key

    @property
    def pid(self) -> int | None:
        """Pid of the child process serving this backend (started or reused)."""
        if self._proc is not None:
            return self._proc.pid
        return self._adopted_pid

    @property
    def owned(self) -> bool:
        """True if this object started the child (and so stops it)."""
        return self._proc is not None

    def ensure_running(self) -> tuple[str, str]:
        """Start the child process if it is not running (or died), wait until it answers,
        return ``(url, api_key)`` with url like ``http://127.0.0.1:PORT``."""
        with self._lock:
            if self._alive():
                assert self._url is not None and self._api_key is not None
                return self._url, self._api_key
            if self._proc is not None:
                rc = self._proc.poll()
                log.warning("embedded backend (pid %s) exited with code %s; restarting", self._proc.pid, rc)
                self._proc = None
            self._adopted_pid = None
            for _attempt in range(3):
                if self._try_adopt():
                    break
                if self._spawn():
                    break
            else:  # pragma: no cover - a start race lost three times in a row
                raise EmbeddedBackendError("could not start the embedded backend (three start races lost); retry")
            assert self._url is not None and self._api_key is not None
            return self._url, self._api_key

    def stop(self) -> None:
        """Stop the child if this object started it; forget a reused one."""
        with self._lock:
            proc, self._proc = self._proc, None
            self._adopted_pid = None
            if proc is not None and os.getpid() == self._owner_pid:
                self._terminate(proc)
                self._remove_files(proc.pid)
            self._url = None
            self._api_key = None
            self._port = 0

    # --- internals ----------------------------------------------------------------------

    def _alive(self) -> bool:
        if self._proc is not None:
            return self._proc.poll() is None
        if self._adopted_pid is not None:
            return pid_alive(self._adopted_pid) and data_dir_locked(self.data_dir)
        return False

    def _try_adopt(self) -> bool:
        """Reuse a live child that owns data_dir, via its runtime file. False if none."""
        if not data_dir_locked(self.data_dir):
            return False
        owner_pid = lock_owner_pid(self.data_dir)
        owner = read_json(os.path.join(self.data_dir, OWNER_NAME)) or {}
        candidates = [self.runtime_file, owner.get("runtime_file")]
        for rf in dict.fromkeys(c for c in candidates if c):
            info = read_json(rf)
            if not info or not info.get("url") or not info.get("api_key"):
                continue
            try:
                same_dir = os.path.samefile(info.get("data_dir", ""), self.data_dir)
            except OSError:
                same_dir = False
            pid = info.get("pid")
            if not same_dir or not pid_alive(pid) or (owner_pid and owner_pid != pid):
                continue
            status = _probe(info["url"], info["api_key"], timeout=5.0)
            if status is not None and status != 200:
                continue  # answers, but not with this key
            # status None: alive and holding the lock but busy (e.g. building an index)
            self._adopted_pid = int(pid)
            self._url = str(info["url"])
            self._api_key = str(info["api_key"])
            log.info("reusing the embedded backend of %s (pid %s)", self.data_dir, pid)
            return True
        if not data_dir_locked(self.data_dir):
            return False  # it just went away: start our own
        log.error("embedded data dir %s is locked by pid %s, whose connection details are unknown", self.data_dir, owner_pid)
        raise EmbeddedBackendError(
            "The embedded Qdrant data directory is in use by another process"
            + (f" (pid {owner_pid})" if owner_pid else "")
            + " whose connection details are not available here. Stop that process, or"
            " configure a different data directory (c.NearDuplicates.embedded_data_dir)."
        )

    def _spawn(self) -> bool:
        """Start a child; True when it answers, False if it lost a start race."""
        os.makedirs(self.data_dir, mode=0o700, exist_ok=True)
        key = self._api_key or secrets.token_urlsafe(32)
        ready = os.path.join(self.data_dir, f".ready-{os.getpid()}-{uuid.uuid4().hex[:8]}.json")
        log_path = os.path.join(self.data_dir, LOG_NAME)
        _rotate(log_path)
        env = child_env()
        env[API_KEY_ENV] = key
        cmd = [
            sys.executable or "python3",
            "-m",
            "jupyterlab_near_duplicates.embedded",
            "--data-dir",
            self.data_dir,
            "--port",
            str(self._port or 0),
            "--ready-file",
            ready,
            "--parent-pid",
            str(os.getpid()),
            "--watch-stdin",
        ]
        kwargs: dict[str, Any] = {}
        if os.name == "posix":
            kwargs["start_new_session"] = True  # terminal Ctrl-C goes to us, we stop it cleanly
        with open(log_path, "ab") as log_f:
            proc = subprocess.Popen(
                cmd, stdin=subprocess.PIPE, stdout=log_f, stderr=subprocess.STDOUT, env=env,
                cwd=self.data_dir, close_fds=True, **kwargs,
            )
        deadline = time.monotonic() + self.startup_timeout
        try:
            info = self._wait_ready(proc, ready, deadline)
            if info is None:  # EXIT_LOCKED: another process took the data dir meanwhile
                return False
            url = f"http://127.0.0.1:{int(info['port'])}"
            while _probe(url, key, timeout=max(1.0, deadline - time.monotonic())) != 200:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise EmbeddedBackendError(f"the embedded backend does not answer at {url}; see {LOG_NAME} in its data directory")
                time.sleep(0.05)
        except BaseException:
            if proc.poll() is None:
                self._terminate(proc)
            raise
        finally:
            try:
                os.unlink(ready)
            except OSError:
                pass
        self._proc = proc
        self._url = url
        self._api_key = key
        self._port = int(info["port"])
        self._write_files(proc.pid)
        log.info("embedded backend started: pid %s, %s, data dir %s", proc.pid, url, self.data_dir)
        return True

    def _wait_ready(self, proc: subprocess.Popen, ready: str, deadline: float) -> dict | None:
        while True:
            rc = proc.poll()
            if rc is not None:
                if rc == EXIT_LOCKED:
                    return None
                raise EmbeddedBackendError(
                    f"the embedded backend exited with code {rc} while starting:\n"
                    + hide_paths(_tail(os.path.join(self.data_dir, LOG_NAME)))
                )
            info = read_json(ready)
            if info and info.get("pid") == proc.pid and info.get("port"):
                return info
            if time.monotonic() > deadline:
                raise EmbeddedBackendError(
                    f"the embedded backend did not start within {self.startup_timeout:.0f} s; "
                    f"see {LOG_NAME} in its data directory"
                )
            time.sleep(0.02)

    def _terminate(self, proc: subprocess.Popen) -> None:
        try:
            if proc.stdin is not None:
                proc.stdin.close()  # EOF: the child stops (also if signals cannot reach it)
        except OSError:
            pass
        if proc.poll() is None:
            try:
                proc.send_signal(signal.SIGTERM)
            except OSError:
                pass
            try:
                proc.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                log.warning("embedded backend (pid %s) did not stop in time; killing it", proc.pid)
                proc.kill()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:  # pragma: no cover
                    pass

    def _write_files(self, pid: int) -> None:
        assert self._url and self._api_key
        if self.runtime_file:
            os.makedirs(os.path.dirname(self.runtime_file), mode=0o700, exist_ok=True)
            write_json_atomic(
                self.runtime_file,
                {"url": self._url, "api_key": self._api_key, "pid": pid, "data_dir": self.data_dir},
            )
        write_json_atomic(
            os.path.join(self.data_dir, OWNER_NAME),
            {"pid": pid, "url": self._url, "runtime_file": self.runtime_file, "launcher_pid": os.getpid()},
        )

    def _remove_files(self, pid: int) -> None:
        for path in (self.runtime_file, os.path.join(self.data_dir, OWNER_NAME)):
            info = read_json(path)
            if info is not None and info.get("pid") == pid:
                try:
                    os.unlink(path)  # type: ignore[arg-type]
                except OSError:
                    pass


def _rotate(path: str) -> None:
    try:
        if os.path.getsize(path) > _LOG_ROTATE_BYTES:
            os.replace(path, path + ".1")
    except OSError:
        pass


def _tail(path: str, n: int = 20) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 8192))
            lines = f.read().decode("utf-8", "replace").splitlines()
        return "\n".join(lines[-n:])
    except OSError:
        return "(no log)"


@atexit.register
def _stop_all() -> None:
    for backend in list(_LIVE):
        try:
            backend.stop()
        except Exception:  # pragma: no cover - best effort at exit
            pass
