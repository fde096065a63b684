"""Every HTTP call this server makes to Qdrant: one client of its own, bounded and cancellable.

Tornado's process-wide ``AsyncHTTPClient`` holds 10 connections for the whole Jupyter
server, so ten slow Qdrant calls starved everything else, and its queue time-out read as
"could not reach Qdrant" (issue 11, item 5). This client has its own pool, tells a full
pool (busy: 503, retry) from a server that does not answer (502), caps the body it relays,
and refuses a 200 that is not JSON. httpx (already here through qdrant-client) is used
because cancelling the awaiting task closes the upstream connection, and its pool
time-out is an error of its own.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass

import httpx

from .backend import Connection

# Connections to Qdrant open at once, over every panel, tab and kernel of this server.
# A scan keeps 2 requests in flight (scan/types.ts), so this serves about 15 scans at once.
MAX_CONNECTIONS = 32
# How long a request waits for a free connection before it is answered 503 (busy).
QUEUE_TIMEOUT_S = 20.0
CONNECT_TIMEOUT_S = 10.0
# A Qdrant call slower than this is given up (504). Large exact searches can take minutes.
REQUEST_TIMEOUT_S = 600.0
# The largest Qdrant answer relayed, read into memory whole. A page of 10,000 points
# with 1,024-d vectors is about 100 MB of JSON.
MAX_BODY_BYTES = 256 * 1024 * 1024
RETRY_AFTER_S = 5


class UpstreamError(Exception):
    """A Qdrant call that gave no usable answer; ``status`` is what the browser gets."""

    def __init__(self, status: int, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


@dataclass
class UpstreamResponse:
    status: int
    headers: httpx.Headers
    body: bytes


class Upstream:
    """The server's HTTP client for Qdrant. Created lazily on the running event loop."""

    def __init__(
        self,
        max_connections: int = MAX_CONNECTIONS,
        queue_timeout_s: float | None = None,
    ):
        self.max_connections = max_connections
        self.queue_timeout_s = queue_timeout_s
        self._client: httpx.AsyncClient | None = None

    def _get_client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                limits=httpx.Limits(
                    max_connections=self.max_connections,
                    max_keepalive_connections=self.max_connections,
                ),
                # The system's CA store (as Tornado's client used), and no proxy from the
                # environment: the embedded backend is on loopback, and a remote Qdrant is
                # reached the way it always was.
                verify=ssl.create_default_context(),
                trust_env=False,
                follow_redirects=False,
            )
        return self._client

    async def request(
        self,
        connection: Connection,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        content_type: str | None = None,
    ) -> UpstreamResponse:
        """Send ``method /path`` (already encoded, with its query) to ``connection``, with
        its key; raise UpstreamError with a message for the user.

        Cancelling the awaiting task closes the upstream connection.
        """
        describe = connection.describe()
        url = f"{connection.url}/{path}"
        headers = {"Accept": "application/json", **connection.headers()}
        if content_type:
            headers["Content-Type"] = content_type
        timeout = httpx.Timeout(
            REQUEST_TIMEOUT_S,
            connect=CONNECT_TIMEOUT_S,
            pool=self.queue_timeout_s if self.queue_timeout_s is not None else QUEUE_TIMEOUT_S,
        )
        client = self._get_client()
        request = client.build_request(method, url, headers=headers, content=body, timeout=timeout)
        what = f"{method} {request.url.raw_path.decode('ascii', 'replace')}"
        try:
            response = await client.send(request, stream=True)
        except httpx.PoolTimeout:
            raise UpstreamError(
                503,
                f"The Jupyter server is busy: all {self.max_connections} of its connections to "
                f"{describe} are in use. Retry in a few seconds.",
                retry_after=RETRY_AFTER_S,
            ) from None
        except httpx.TimeoutException:
            raise UpstreamError(
                504, f"{_cap(describe)} did not answer {what} within {REQUEST_TIMEOUT_S:.0f} s."
            ) from None
        except httpx.HTTPError as error:  # refused, DNS, TLS, reset
            raise UpstreamError(
                502,
                f"Could not reach {describe} ({_reason(error)}). {_unreachable_hint(connection)}",
            ) from None
        try:
            body = await _read_capped(response, describe, what)
        except httpx.TimeoutException:
            raise UpstreamError(
                504, f"{_cap(describe)} did not finish answering {what} within {REQUEST_TIMEOUT_S:.0f} s."
            ) from None
        except httpx.HTTPError as error:
            raise UpstreamError(
                502, f"{_cap(describe)} broke off its answer to {what} ({_reason(error)})."
            ) from None
        finally:
            await response.aclose()
        if response.status_code == 200 and not _looks_like_json(response.headers, body):
            kind = response.headers.get("content-type", "no content type")
            raise UpstreamError(
                502,
                f"{_cap(describe)} answered {what} with {len(body)} bytes of {kind}, not JSON: "
                "is the configured URL Qdrant's REST endpoint (port 6333 by default), not a "
                "web page or a login in front of it?",
            )
        return UpstreamResponse(response.status_code, response.headers, body)

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()


async def _read_capped(response: httpx.Response, describe: str, what: str) -> bytes:
    limit = MAX_BODY_BYTES
    declared = response.headers.get("content-length", "")
    too_large = UpstreamError(
        502,
        f"{_cap(describe)} answered {what} with more than {_size(limit)}, the "
        "most the Near Duplicates proxy relays. Ask for less in one request (a smaller "
        "limit, batch or page).",
    )
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks, size = [], 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def _looks_like_json(headers: httpx.Headers, body: bytes) -> bool:
    # Parsing a 100 MB page only to check it would double its cost; Qdrant always says
    # application/json, and an HTML page or a proxy's login never starts with { or [.
    kind = headers.get("content-type", "")
    start = body.lstrip()[:1]
    return "json" in kind.lower() and start in (b"{", b"[")


def _unreachable_hint(connection: Connection) -> str:
    if connection.kind == "remote":
        return (
            "Check that Qdrant runs there and is reachable from the Jupyter server, or "
            "configure another one with QDRANT_URL (and QDRANT_API_KEY) in the Jupyter "
            "server's environment, or c.NearDuplicates.qdrant_url / qdrant_api_key; "
            "unset both to use the embedded backend."
        )
    return "The embedded backend will be restarted on the next request; retry in a moment."


def _reason(error: Exception) -> str:
    text = str(error) or type(error).__name__
    return text[:300]


def _size(n: int) -> str:
    return f"{n // (1024 * 1024)} MB" if n >= 1024 * 1024 else f"{n} bytes"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]

