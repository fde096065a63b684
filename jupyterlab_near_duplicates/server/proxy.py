"""The Qdrant proxy: ``/near-duplicates/qdrant/<qdrant path>`` forwarded to a backend.

The browser authenticates to Jupyter (token or cookie + XSRF); the proxy adds the Qdrant
API key on the server side, so the key never reaches the browser, and the browser's
Jupyter credentials never reach Qdrant. Only reads pass unless writes are allowed
(``guard.py`` decides, on the path exactly as it is sent on). The header
``X-Near-Duplicates-Backend: auto|embedded|remote`` picks the backend (absent: auto).
"""

from __future__ import annotations

import asyncio
import json
import time

from jupyter_server.base.handlers import APIHandler
from tornado import web

from .backend import Backend, BackendUnavailable
from .guard import RefusedRequest, encode_path, is_read, judge_query, parse_path
from .upstream import Upstream, UpstreamError

BACKEND_HEADER = "X-Near-Duplicates-Backend"
# Response headers worth passing back; everything else (cookies, auth) stays behind.
_PASSED_HEADERS = ("Content-Type", "Retry-After")


def qdrant_error(message: str) -> str:
    """An error body in Qdrant's own shape, so the official clients report it as usual."""
    return json.dumps({"status": {"error": message}, "time": 0.0})


class QdrantProxyHandler(APIHandler):
    def initialize(self, backend: Backend, upstream: Upstream, prefix: str):
        self.backend = backend
        self.upstream = upstream
        self.prefix = prefix
        self._upstream_call: asyncio.Future | None = None
        self._browser_gone = False

    def decode_argument(self, value, name=None):
        # The path argument is unused (the guard reads the raw path): do not let Tornado
        # refuse undecodable bytes before the guard can say what is wrong.
        return value.decode("latin-1") if isinstance(value, bytes) else value

    @web.authenticated
    async def get(self, _path=None):
        await self._forward()

    @web.authenticated
    async def post(self, _path=None):
        await self._forward()

    @web.authenticated
    async def put(self, _path=None):
        await self._forward()

    @web.authenticated
    async def delete(self, _path=None):
        await self._forward()

    @web.authenticated
    async def patch(self, _path=None):
        await self._forward()

    def on_connection_close(self):
        # The browser went away (tab closed, scan cancelled): stop the Qdrant call too,
        # or it would hold a connection until it finishes.
        self._browser_gone = True
        if self._upstream_call is not None and not self._upstream_call.done():
            self._upstream_call.cancel()
        super().on_connection_close()

    async def _forward(self) -> None:
        method = self.request.method
        read_only = not self.backend.settings.allow_writes
        # Tornado hands handlers the path decoded; the guard needs it as it was sent.
        raw = self.request.path
        try:
            if not raw.startswith(self.prefix):
                raise RefusedRequest("The request path does not start with the proxy's prefix.")
            segments = parse_path(raw[len(self.prefix):])
        except RefusedRequest as refused:
            return self._fail(400, f"{refused} The Near Duplicates proxy refused {method} {raw}.")
        path = encode_path(segments)
        if read_only and not is_read(method, segments):
            return self._fail(
                403,
                f"{method} /{path} is not one of the reads the Near Duplicates proxy forwards "
                "(it would change the Qdrant backend, or is unknown to the proxy), and the "
                "proxy is read-only. To allow writes, start Jupyter with "
                "--NearDuplicates.allow_writes=True.",
            )
        try:
            query = judge_query(self.request.query, read_only)
            kind = self.backend.resolve(self.request.headers.get(BACKEND_HEADER))
        except (RefusedRequest, ValueError) as refused:
            return self._fail(400, str(refused))
        except BackendUnavailable as unavailable:
            return self._fail(409, str(unavailable))
        try:
            connection = await asyncio.get_running_loop().run_in_executor(
                None, self.backend.connection, kind
            )
        except Exception as error:  # the embedded backend could not start
            return self._fail(502, embedded_start_failure(self.log, error))

        body = None
        if method in ("POST", "PUT", "PATCH"):
            body = self.request.body or b""
        started = time.monotonic()
        self._upstream_call = asyncio.ensure_future(
            self.upstream.request(
                connection,
                method,
                path + (f"?{query}" if query else ""),
                body=body,
                content_type=(
                    self.request.headers.get("Content-Type", "application/json") if body is not None else None
                ),
            )
        )
        try:
            response = await self._upstream_call
        except asyncio.CancelledError:
            if not self._browser_gone:
                raise
            self.log.debug("near-duplicates proxy %s /%s: the browser went away", method, path)
            self.set_status(499, reason="Client Closed Request")  # for the access log only
            return
        except UpstreamError as error:
            if error.retry_after:
                self.set_header("Retry-After", str(error.retry_after))
            return self._fail(error.status, error.message)
        self.set_status(response.status)
        self.set_header("Content-Type", "application/json")
        for name in _PASSED_HEADERS:
            value = response.headers.get(name)
            if value:
                self.set_header(name, value)
        self.log.debug(
            "near-duplicates proxy %s /%s -> %s in %.0f ms",
            method, path, response.status, 1000 * (time.monotonic() - started),
        )
        self.finish(response.body)

    def _fail(self, status: int, message: str) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(qdrant_error(message))


def embedded_start_failure(log, error: Exception) -> str:
    """What the browser is told when the embedded backend does not start: the details
    (with server paths) go to the server's log only."""
    log.error("jupyterlab_near_duplicates: the embedded Qdrant backend could not start: %s", error)
    return (
        "The embedded Qdrant backend could not start. The Jupyter server's log says why "
        "(look for 'jupyterlab_near_duplicates'); retry once it is fixed."
    )

