"""The embedded backend's data dir as the launcher and the child process share it: the
lock a live child holds, its JSON files written atomically, and the child's environment.

Imported by the Jupyter server, kernels and the child alike, so it stays light (no engine).
"""

from __future__ import annotations

import errno
import json
import os
import uuid

API_KEY_ENV = "ND_EMBEDDED_API_KEY"
LOCK_NAME = "embedded.lock"
_PKG_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def pid_alive(pid: int | None) -> bool:
    if not pid or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def write_json_atomic(path: str, obj: dict, mode: int = 0o600) -> None:
    """Write JSON atomically; the file has ``mode`` from its creation on (never wider)."""
    d = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(d, f".{os.path.basename(path)}.{uuid.uuid4().hex}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def read_json(path: str | None) -> dict | None:
    if not path:
        return None
    try:
        with open(path, encoding="utf-8") as f:
            obj = json.load(f)
        return obj if isinstance(obj, dict) else None
    except (OSError, ValueError):
        return None


def _lock_fd(fd: int) -> None:
    if os.name == "nt":  # pragma: no cover - Windows
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


_LOCK_BUSY = (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK, errno.EDEADLK)


class DataDirLock:
    """Exclusive, non-blocking OS lock on ``<data_dir>/embedded.lock``.

    Held by the child for its lifetime; released by the OS when it dies, even on kill -9.
    """

    def __init__(self, data_dir: str):
        self.path = os.path.join(data_dir, LOCK_NAME)
        self.fd: int | None = None

    def acquire(self) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            _lock_fd(fd)
        except OSError as e:
            os.close(fd)
            if e.errno in _LOCK_BUSY:
                return False
            raise
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self.fd = fd
        return True

    def release(self) -> None:
        if self.fd is not None:
            try:
                os.ftruncate(self.fd, 0)
            except OSError:
                pass
            os.close(self.fd)  # closing drops the lock
            self.fd = None


def data_dir_locked(data_dir: str) -> bool:
    """True if a live process holds the data dir's lock."""
    path = os.path.join(data_dir, LOCK_NAME)
    if not os.path.exists(path):
        return False
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return False
    try:
        _lock_fd(fd)
    except OSError as e:
        return e.errno in _LOCK_BUSY
    finally:
        os.close(fd)  # drops the probe's lock at once
    return False


def lock_owner_pid(data_dir: str) -> int | None:
    try:
        with open(os.path.join(data_dir, LOCK_NAME), encoding="ascii") as f:
            return int(f.read().strip() or 0) or None
    except (OSError, ValueError):
        return None


def child_env() -> dict:
    """Environment for a child process running this package's code."""
    env = {k: v for k, v in os.environ.items() if k != API_KEY_ENV}
    env["PYTHONUNBUFFERED"] = "1"
    if os.path.basename(_PKG_ROOT) not in ("site-packages", "dist-packages"):
        # run the same code as this process (source checkouts, pytest rootdirs)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_PKG_ROOT, env.get("PYTHONPATH")) if p)
    return env
