"""A real Qdrant server on loopback, for the tests and the benchmark.

The binary is not part of the product: it sits beside the project as
``../shared/qdrant/qdrant-<version>-linux-x86_64.xz`` (a fresh clone of this repository has
no such file, so callers skip with ``unavailable_reason()``). It is unpacked once per
machine into the temp dir, checked against its published sha256, and each ``QdrantServer``
gets its own storage dir, free ports and a random API key, and stops with its owner.
"""

from __future__ import annotations

import hashlib
import lzma
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VERSION = "1.18.3"
ARCHIVE = os.path.join(
    os.path.dirname(ROOT), "shared", "qdrant", f"qdrant-{VERSION}-linux-x86_64.xz"
)
# From ../shared/qdrant/README.md: the unpacked binary's digest.
SHA256 = "91db2ed5fb197b28cdb47d8e07c0a8b2fcd11457b97e4d2c49847da23a63436b"


def archive_path() -> str:
    return os.environ.get("ND_QDRANT_ARCHIVE") or ARCHIVE


def unavailable_reason() -> str | None:
    """Why a real Qdrant server cannot run here, or None when it can."""
    path = archive_path()
    if not os.path.isfile(path):
        return (
            f"no real Qdrant server binary at {path} (it lives beside the project in "
            "shared/qdrant/, not in a clone; set ND_QDRANT_ARCHIVE to use another)"
        )
    return None


def binary() -> str:
    """The unpacked server binary (unpacked and verified on first use)."""
    target = os.path.join(tempfile.gettempdir(), f"nd-qdrant-{VERSION}-{SHA256[:12]}", "qdrant")
    if os.path.isfile(target) and os.access(target, os.X_OK):
        return target
    os.makedirs(os.path.dirname(target), exist_ok=True)
    partial = f"{target}.{os.getpid()}.part"
    digest = hashlib.sha256()
    with lzma.open(archive_path()) as src, open(partial, "wb") as dst:
        while chunk := src.read(1 << 20):
            digest.update(chunk)
            dst.write(chunk)
    if digest.hexdigest() != SHA256:
        os.remove(partial)
        raise RuntimeError(f"{archive_path()} does not unpack to the Qdrant {VERSION} binary")
    os.chmod(partial, 0o755)
    os.replace(partial, target)  # atomic: a concurrent unpacker sees a whole file or none
    return target


def stop_process(process: subprocess.Popen | None, timeout_s: float) -> None:
    """Ends a server process: asked to stop, killed if it has not within ``timeout_s``."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class QdrantServer:
    """One Qdrant server process on 127.0.0.1 with its own data and API key.

    ``with QdrantServer() as q: q.url, q.api_key``. Extra settings go in as Qdrant's
    environment overrides, e.g. ``{"QDRANT__STORAGE__OPTIMIZERS__INDEXING_THRESHOLD_KB": "1"}``.
    """

    def __init__(self, api_key: str | None = None, env: dict[str, str] | None = None):
        self.api_key = api_key if api_key is not None else secrets.token_hex(16)
        self.extra_env = dict(env or {})
        self.http_port = 0
        self.url = ""
        self.process: subprocess.Popen | None = None
        self.dir = ""
        self.log_path = ""

    def start(self, timeout_s: float = 60) -> QdrantServer:
        exe = binary()
        self.dir = tempfile.mkdtemp(prefix="nd-qdrant-server-")
        self.http_port, grpc_port = _free_port(), _free_port()
        self.url = f"http://127.0.0.1:{self.http_port}"
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "QDRANT__SERVICE__HOST": "127.0.0.1",
            "QDRANT__SERVICE__HTTP_PORT": str(self.http_port),
            "QDRANT__SERVICE__GRPC_PORT": str(grpc_port),
            "QDRANT__STORAGE__STORAGE_PATH": os.path.join(self.dir, "storage"),
            "QDRANT__STORAGE__SNAPSHOTS_PATH": os.path.join(self.dir, "snapshots"),
            "QDRANT__TELEMETRY_DISABLED": "true",
            **({"QDRANT__SERVICE__API_KEY": self.api_key} if self.api_key else {}),
            **self.extra_env,
        }
        self.log_path = os.path.join(self.dir, "qdrant.log")
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [exe], cwd=self.dir, env=env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Qdrant exited with {self.process.returncode}: {self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "/", timeout=2):
                    return self
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"Qdrant did not answer within {timeout_s:.0f} s: {self.log_tail()}")

    def headers(self) -> dict[str, str]:
        return {"api-key": self.api_key} if self.api_key else {}

    def log_tail(self, n: int = 2000) -> str:
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-n:].decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self) -> None:
        stop_process(self.process, timeout_s=15)
        self.process = None
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = ""

    def __enter__(self) -> QdrantServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
