"""Which Qdrant the Jupyter server talks to, and how kernels find the same one.

Remote when a URL is configured (``QDRANT_URL`` / ``c.NearDuplicates.qdrant_url``),
otherwise the embedded backend, started in a child process of this server.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass

from jupyter_core.paths import jupyter_data_dir, jupyter_runtime_dir
from traitlets import Bool, Unicode, default
from traitlets.config import Configurable

# Kernels started by this server inherit CONNECTION_FILE_ENV: the path of a file (mode 0600)
# that says which Qdrant to use, so ``nd.client()`` reaches the backend the panel scans.
from ..connection import CONNECTION_FILE_ENV
from ..embedded.launcher import write_json_atomic


class NearDuplicates(Configurable):
    """Server-side settings of jupyterlab-near-duplicates (``c.NearDuplicates.*``)."""

    qdrant_url = Unicode(
        "",
        config=True,
        help="URL of a remote Qdrant (server, cluster or Qdrant Cloud). "
        "Empty: use $QDRANT_URL, or else the embedded backend.",
    )
    qdrant_api_key = Unicode(
        "",
        config=True,
        help="API key of the remote Qdrant. Empty: use $QDRANT_API_KEY. "
        "It stays on the server: the browser never receives it.",
    )
    allow_writes = Bool(
        False,
        config=True,
        help="Let the browser proxy forward requests that change the backend "
        "(upserts, payload updates, deletes). Off by default: the panel only reads.",
    )
    embedded_data_dir = Unicode(
        config=True,
        help="Where the embedded backend keeps its collections.",
    )

    @default("qdrant_url")
    def _default_url(self):
        return os.environ.get("QDRANT_URL", "")

    @default("qdrant_api_key")
    def _default_key(self):
        return os.environ.get("QDRANT_API_KEY", "")

    @default("embedded_data_dir")
    def _default_data_dir(self):
        return os.environ.get("NEAR_DUPLICATES_DATA_DIR") or os.path.join(
            jupyter_data_dir(), "near_duplicates", "embedded"
        )


@dataclass(frozen=True)
class Connection:
    kind: str  # "embedded" | "remote"
    url: str
    api_key: str | None

    def headers(self) -> dict[str, str]:
        return {"api-key": self.api_key} if self.api_key else {}


class Backend:
    """The active backend: resolves its URL and key, starting the embedded one on demand."""

    def __init__(self, settings: NearDuplicates, log=None):
        self.settings = settings
        self.log = log
        self._embedded = None
        self._lock = threading.Lock()
        self.connection_file = os.path.join(
            jupyter_runtime_dir(), f"near-duplicates-{os.getpid()}.json"
        )

    @property
    def kind(self) -> str:
        return "remote" if self.settings.qdrant_url else "embedded"

    def connection(self) -> Connection:
        """The URL and key to use now; (re)starts the embedded backend when needed."""
        if self.kind == "remote":
            return Connection(
                "remote",
                self.settings.qdrant_url.rstrip("/"),
                self.settings.qdrant_api_key or None,
            )
        with self._lock:
            if self._embedded is None:
                from ..embedded import EmbeddedBackend

                self._embedded = EmbeddedBackend(self.settings.embedded_data_dir)
            url, api_key = self._embedded.ensure_running()
        connection = Connection("embedded", url, api_key)
        self._write_connection_file(connection)
        return connection

    def publish(self) -> None:
        """Tell kernels started from now on where the connection file is, and write it."""
        os.environ[CONNECTION_FILE_ENV] = self.connection_file
        if self.kind == "remote":
            self._write_connection_file(self.connection())

    def stop(self) -> None:
        if self._embedded is not None:
            self._embedded.stop()
        try:
            os.remove(self.connection_file)
        except FileNotFoundError:
            pass

    def _write_connection_file(self, connection: Connection) -> None:
        body = {"kind": connection.kind, "url": connection.url, "api_key": connection.api_key}
        try:
            with open(self.connection_file) as f:
                if json.load(f) == body:
                    return
        except (OSError, ValueError):
            pass
        os.makedirs(os.path.dirname(self.connection_file), exist_ok=True)
        write_json_atomic(self.connection_file, body, mode=0o600)

