"""A stand-in for a remote Qdrant that records what reaches it, and a raw HTTP sender.

The recording upstream is a tiny Tornado app on loopback: it logs each request's method,
raw target and headers, and answers like Qdrant (or as a test tells it to: slow, huge,
HTML). It tests what the proxy *sends*; scans against a real engine live elsewhere.
``send_raw`` writes the request line byte for byte, so no client library normalises the
tricks under test. Import the fixtures you use: ``from recording_upstream import ...``.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field

import pytest
from tornado import httpserver, netutil, web

UPSTREAM_KEY = "upstream-secret-key-0123456789"


@dataclass
class Recorded:
    method: str
    target: str  # the raw request target: path and query, as sent
    headers: dict
    body: bytes


@dataclass
class RecordingUpstream:
    url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    # A test may replace this: ``async def answer(handler)`` writes the answer itself.
    answer: object = None
    closed: asyncio.Event | None = None  # set when a client closes a connection mid-answer


class _Recorder(web.RequestHandler):
    SUPPORTED_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS")

    def initialize(self, state: RecordingUpstream):
        self.state = state

    async def _any(self, *args):
        request = self.request
        self.state.requests.append(
            Recorded(request.method, request.uri, dict(request.headers), request.body)
        )
        if self.state.answer is not None:
            await self.state.answer(self)
            return
        self.set_header("Content-Type", "application/json")
        if request.path == "/":
            self.finish(json.dumps({"title": "qdrant - recording stand-in", "version": "0.0.0"}))
        elif request.path == "/collections":
            self.finish(json.dumps({"result": {"collections": []}, "status": "ok", "time": 0.0}))
        else:
            self.finish(json.dumps({"result": {"points": [], "next_page_offset": None}, "status": "ok", "time": 0.0}))

    def on_connection_close(self):
        if self.state.closed is not None:
            self.state.closed.set()

    get = post = put = delete = patch = head = options = _any


@pytest.fixture
def recording_upstream(jp_asyncio_loop):
    state = RecordingUpstream()
    app = web.Application([(r".*", _Recorder, {"state": state})])
    sockets = netutil.bind_sockets(0, "127.0.0.1")
    server = httpserver.HTTPServer(app)

    async def start():
        state.closed = asyncio.Event()
        server.add_sockets(sockets)

    jp_asyncio_loop.run_until_complete(start())
    state.url = f"http://127.0.0.1:{sockets[0].getsockname()[1]}"
    yield state
    server.stop()


async def send_raw(
    port: int, method: str, target: str, headers: dict | None = None, body: bytes = b""
) -> tuple[int, bytes]:
    """Send one HTTP/1.1 request with ``target`` exactly as given; (status, body)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    lines = [f"{method} {target} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
    await writer.drain()
    data = await reader.read()
    writer.close()
    head, _, payload = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    if b"transfer-encoding: chunked" in head.lower():
        payload = _unchunk(payload)
    return status, payload


def _unchunk(data: bytes) -> bytes:
    out = b""
    while data:
        size_line, _, rest = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out += rest[:size]
        data = rest[size + 2:]
    return out
