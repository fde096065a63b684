"""Which Qdrant the Jupyter server talks to, and how kernels find the same one.

Two backends can be offered: the embedded one (always; a child process of this server,
started on first use) and a remote one (when a URL is configured: ``QDRANT_URL`` /
``c.NearDuplicates.qdrant_url``). ``auto``, the default, is remote when configured, else
embedded; the panel's ``backend`` setting and a kernel's ``nd.client(backend=...)`` pick.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit, urlunsplit

from jupyter_core.paths import jupyter_data_dir, jupyter_runtime_dir
from traitlets import Bool, Unicode, default
from traitlets.config import Configurable

# Kernels started by this server inherit CONNECTION_FILE_ENV: the path of a file (mode 0600)
# that says which Qdrant to use, so ``nd.client()`` reaches the backend the panel scans.
from ..connection import CONNECTION_FILE_ENV
from ..embedded.datadir import write_json_atomic


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
    kernel_api_key = Unicode(
        "",
        config=True,
        help="API key of the remote Qdrant that kernels get for nd.client() (for example "
        "a read-only key). Empty: use $QDRANT_KERNEL_API_KEY; if that is empty too, "
        "share_api_key_with_kernels decides.",
    )
    share_api_key_with_kernels = Bool(
        True,
        config=True,
        help="With no kernel_api_key: give kernels the server's own remote API key "
        "(qdrant_api_key), so nd.client() can do whatever that key allows. False: kernels "
        "get no key. (Kernels run as the same OS user as this server, so this protects "
        "against accidents, not against a user who wants the key.)",
    )

    @default("qdrant_url")
    def _default_url(self):
        return os.environ.get("QDRANT_URL", "")

    @default("qdrant_api_key")
    def _default_key(self):
        return os.environ.get("QDRANT_API_KEY", "")

    @default("kernel_api_key")
    def _default_kernel_key(self):
        return os.environ.get("QDRANT_KERNEL_API_KEY", "")

    @default("embedded_data_dir")
    def _default_data_dir(self):
        return os.environ.get("NEAR_DUPLICATES_DATA_DIR") or os.path.join(
            jupyter_data_dir(), "near_duplicates", "embedded"
        )


KINDS = ("auto", "embedded", "remote")
# Environment variables that hold the server's own remote key; kernels inherit this
# server's environment, so they are removed when kernels must not get that key.
_SERVER_KEY_ENV = "QDRANT_API_KEY"


class BackendUnavailable(Exception):
    """The requested backend cannot be offered by this server; the message says what to do."""


@dataclass(frozen=True)
class Connection:
    kind: str  # "embedded" | "remote"
    url: str
    api_key: str | None
    # "Basic ..." from a URL's ``user:password@``, which ``url`` no longer holds: the URL is
    # what logs, messages and the browser see.
    basic_auth: str | None = None

    def headers(self) -> dict[str, str]:
        headers = {"api-key": self.api_key} if self.api_key else {}
        if self.basic_auth:
            headers["Authorization"] = self.basic_auth
        return headers

    def describe(self) -> str:
        """How messages name this backend (never with its key)."""
        if self.kind == "remote":
            return f"the remote Qdrant backend at {self.url}"
        return "the embedded Qdrant backend"


def redact_url(url: str) -> str:
    """``url`` without its userinfo (``http://user:secret@host`` -> ``http://host``)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def _basic_auth(url: str) -> str | None:
    """The Authorization header for a URL's ``user:password@``, or None without one."""
    parts = urlsplit(url)
    if parts.username is None:
        return None
    pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
    return "Basic " + base64.b64encode(pair.encode()).decode()


class Backend:
    """The backends this server offers: resolves their URLs and keys, starting the
    embedded one on demand, and tells kernels about them through the connection file."""

    def __init__(self, settings: NearDuplicates, log=None):
        self.settings = settings
        self.log = log
        self._embedded = None
        self._embedded_connection: Connection | None = None
        self._lock = threading.Lock()
        self._file_lock = threading.Lock()
        self.connection_file = os.path.join(
            jupyter_runtime_dir(), f"near-duplicates-{os.getpid()}.json"
        )

    @property
    def kind(self) -> str:
        """The default backend (``auto``)."""
        return "remote" if self.settings.qdrant_url else "embedded"

    def available(self) -> list[str]:
        return ["embedded", "remote"] if self.settings.qdrant_url else ["embedded"]

    def resolve(self, requested: str | None) -> str:
        """The backend to use for a request asking for ``requested`` (None: auto).

        Raises ValueError for an unknown kind and BackendUnavailable when it cannot be met.
        """
        requested = requested or "auto"
        if requested not in KINDS:
            raise ValueError(
                f"Unknown backend {requested!r}: choose one of {', '.join(KINDS)}."
            )
        if requested == "auto":
            return self.kind
        if requested not in self.available():
            raise BackendUnavailable(
                "The remote Qdrant backend was asked for, but this Jupyter server has none "
                "configured. Set QDRANT_URL (and QDRANT_API_KEY) in the Jupyter server's "
                "environment, or c.NearDuplicates.qdrant_url, and restart it; or choose "
                "'embedded' or 'auto' in Settings \u2192 Near Duplicates \u2192 backend."
            )
        return requested

    def connection(self, kind: str | None = None) -> Connection:
        """The URL and key of ``kind`` (default: auto); (re)starts the embedded backend
        when needed (blocks: run it off the event loop)."""
        kind = self.resolve(kind)
        if kind == "remote":
            return self._remote()
        with self._lock:
            if self._embedded is None:
                from ..embedded import EmbeddedBackend

                self._embedded = EmbeddedBackend(self.settings.embedded_data_dir)
            url, api_key = self._embedded.ensure_running()
            connection = Connection("embedded", url, api_key)
            changed = connection != self._embedded_connection
            self._embedded_connection = connection
        if changed:
            self._write_connection_file()
        return connection

    def publish(self) -> None:
        """Tell kernels started from now on where the connection file is, and write it."""
        os.environ[CONNECTION_FILE_ENV] = self.connection_file
        if self.settings.qdrant_url:
            server_key = self.settings.qdrant_api_key  # read before the environment changes
            if server_key and self._kernel_key() != server_key:
                # Kernels inherit this process's environment: a key they must not get
                # cannot stay in it.
                os.environ.pop(_SERVER_KEY_ENV, None)
            self._write_connection_file()

    def stop(self) -> None:
        if self._embedded is not None:
            self._embedded.stop()
        self._embedded_connection = None
        try:
            os.remove(self.connection_file)
        except FileNotFoundError:
            pass

    def _remote(self) -> Connection:
        url = self.settings.qdrant_url.rstrip("/")
        return Connection("remote", redact_url(url), self.settings.qdrant_api_key or None, _basic_auth(url))

    def _kernel_key(self) -> str | None:
        """The remote key kernels get: the kernel key, else the server's when shared."""
        if self.settings.kernel_api_key:
            return self.settings.kernel_api_key
        if self.settings.share_api_key_with_kernels:
            return self.settings.qdrant_api_key or None
        return None

    def kernel_view(self) -> dict:
        """What kernels read from the connection file: every available backend whose
        address is known, and the default one at the top level."""
        backends: dict[str, dict] = {}
        if self.settings.qdrant_url:
            withheld = bool(self.settings.qdrant_api_key) and self._kernel_key() is None
            backends["remote"] = {
                "url": self.settings.qdrant_url.rstrip("/"),
                "api_key": self._kernel_key(),
                **({"api_key_withheld": True} if withheld else {}),
            }
        embedded = self._embedded_connection
        if embedded is not None:
            backends["embedded"] = {"url": embedded.url, "api_key": embedded.api_key}
        view: dict = {"available": self.available(), "backends": backends}
        default = backends.get(self.kind)
        if default is not None:
            view.update(kind=self.kind, url=default["url"], api_key=default["api_key"])
        return view

    def _write_connection_file(self) -> None:
        with self._file_lock:
            body = self.kernel_view()
            try:
                with open(self.connection_file) as f:
                    if json.load(f) == body:
                        return
            except (OSError, ValueError):
                pass
            os.makedirs(os.path.dirname(self.connection_file), exist_ok=True)
            write_json_atomic(self.connection_file, body, mode=0o600)
