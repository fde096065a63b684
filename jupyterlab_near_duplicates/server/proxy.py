"""The Qdrant proxy: ``/near-duplicates/qdrant/<qdrant path>`` forwarded to the active backend.

The browser authenticates to Jupyter (token or cookie + XSRF); the proxy adds the Qdrant
API key on the server side, so the key never reaches the browser, and the browser's
Jupyter credentials never reach Qdrant. Only reads pass unless writes are allowed.
"""

from __future__ import annotations

import asyncio
import json
import re
import time

from jupyter_server.base.handlers import APIHandler
from tornado import httpclient, web

from .backend import Backend

# (method, path) pairs that only read. Paths are relative to Qdrant's root.
_NAME = r"[^/]+"
READ_ROUTES = [
    ("GET", re.compile(r"^$")),
    ("GET", re.compile(r"^collections$")),
    ("GET", re.compile(rf"^collections/{_NAME}$")),
    ("GET", re.compile(rf"^collections/{_NAME}/exists$")),
    ("POST", re.compile(rf"^collections/{_NAME}/points$")),  # retrieve by ids
    ("POST", re.compile(rf"^collections/{_NAME}/points/(scroll|count|query|query/batch|search|search/batch)$")),
]

# Response headers worth passing back; everything else (cookies, auth) stays behind.
_PASSED_HEADERS = ("Content-Type", "Retry-After")

UPSTREAM_TIMEOUT_S = 600


def is_read_only(method: str, path: str) -> bool:
    return any(method == m and pattern.match(path) for m, pattern in READ_ROUTES)


def qdrant_error(message: str) -> str:
    """An error body in Qdrant's own shape, so the official clients report it as usual."""
    return json.dumps({"status": {"error": message}, "time": 0.0})


class QdrantProxyHandler(APIHandler):
    def initialize(self, backend: Backend):
        self.backend = backend

    @web.authenticated
    async def get(self, path):
        await self._forward(path)

    @web.authenticated
    async def post(self, path):
        await self._forward(path)

    @web.authenticated
    async def put(self, path):
        await self._forward(path)

    @web.authenticated
    async def delete(self, path):
        await self._forward(path)

    @web.authenticated
    async def patch(self, path):
        await self._forward(path)

    async def _forward(self, path: str) -> None:
        path = (path or "").strip("/")
        method = self.request.method
        self.set_header("Content-Type", "application/json")
        if not (is_read_only(method, path) or self.backend.settings.allow_writes):
            self.set_status(403)
            self.finish(
                qdrant_error(
                    f"{method} /{path} changes the Qdrant backend, and the Near Duplicates proxy "
                    "is read-only. To allow it, start Jupyter with "
                    "--NearDuplicates.allow_writes=True."
                )
            )
            return
        try:
            connection = await asyncio.get_running_loop().run_in_executor(
                None, self.backend.connection
            )
        except Exception as error:  # the embedded backend could not start
            self.set_status(502)
            self.finish(qdrant_error(f"The embedded Qdrant backend could not start: {error}"))
            return

        url = f"{connection.url}/{path}"
        if self.request.query:
            url += "?" + self.request.query
        headers = {"Accept": "application/json", **connection.headers()}
        body = self.request.body if method in ("POST", "PUT", "PATCH") else None
        if body is not None:
            headers["Content-Type"] = self.request.headers.get("Content-Type", "application/json")
        request = httpclient.HTTPRequest(
            url,
            method=method,
            headers=headers,
            body=body if body is not None else (b"" if method in ("POST", "PUT", "PATCH") else None),
            request_timeout=UPSTREAM_TIMEOUT_S,
            follow_redirects=False,
            allow_nonstandard_methods=True,
        )
        started = time.monotonic()
        try:
            response = await httpclient.AsyncHTTPClient().fetch(request, raise_error=False)
        except Exception as error:  # connection refused, DNS, TLS...
            response = None
            reason = str(error)
        else:
            reason = str(response.error) if response.code == 599 else ""
        if response is None or response.code == 599:
            self.set_status(502)
            self.finish(qdrant_error(unreachable_message(connection.kind, connection.url, reason)))
            return
        self.set_status(response.code)
        for name in _PASSED_HEADERS:
            value = response.headers.get(name)
            if value:
                self.set_header(name, value)
        self.log.debug(
            "near-duplicates proxy %s /%s -> %s in %.0f ms",
            method, path, response.code, 1000 * (time.monotonic() - started),
        )
        self.finish(response.body or b"")


def unreachable_message(kind: str, url: str, reason: str) -> str:
    if kind == "remote":
        how = (
            "Check that Qdrant runs there and is reachable from the Jupyter server, or "
            "configure another one with QDRANT_URL (and QDRANT_API_KEY) in the Jupyter "
            "server's environment, or c.NearDuplicates.qdrant_url / qdrant_api_key; "
            "unset both to use the embedded backend."
        )
    else:
        how = "The embedded backend will be restarted on the next request; retry in a moment."
    return f"Could not reach the {kind} Qdrant backend at {url} ({reason}). {how}"
