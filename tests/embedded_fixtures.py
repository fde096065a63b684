"""Shared fixtures and helpers for the embedded-backend tests (real engine, no fakes).

Import the fixtures you use in a test module: ``from embedded_fixtures import backend, client``.
"""

from __future__ import annotations

import http.client
import json
import warnings
from typing import Any

import pytest

from jupyterlab_near_duplicates.embedded import EmbeddedBackend


def make_client(url: str, api_key: str, **kw: Any):
    from qdrant_client import QdrantClient

    with warnings.catch_warnings():
        # "Api key is used with an insecure connection": expected on loopback http
        warnings.simplefilter("ignore", UserWarning)
        kw.setdefault("check_compatibility", False)  # its background thread races with stop()
        return QdrantClient(url=url, api_key=api_key, timeout=120, **kw)


@pytest.fixture(scope="module")
def backend(tmp_path_factory):
    """A live embedded backend (child process) on a fresh data dir, for one test module."""
    d = tmp_path_factory.mktemp("nd-embedded")
    b = EmbeddedBackend(str(d / "data"), str(d / "runtime" / "backend.json"))
    b.ensure_running()
    yield b
    b.stop()


@pytest.fixture(scope="module")
def client(backend):
    c = make_client(backend.url, backend.api_key)
    yield c
    c.close()


def raw(
    url: str,
    method: str,
    path: str,
    body: Any = None,
    headers: dict | None = None,
    timeout: float = 60,
) -> tuple[int, Any]:
    """One HTTP request; returns (status, parsed JSON body or raw text or None)."""
    host, _, port = url.rpartition("://")[2].partition(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        data = None if body is None else json.dumps(body).encode()
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        conn.request(method, path, body=data, headers=hdrs)
        resp = conn.getresponse()
        text = resp.read()
        if not text:
            return resp.status, None
        try:
            return resp.status, json.loads(text)
        except ValueError:
            return resp.status, text.decode()
    finally:
        conn.close()


def authed(backend: EmbeddedBackend, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    return raw(backend.url, method, path, body, headers={"api-key": backend.api_key})


class InProcessBackend:
    """The embedded backend's REST app and store in this process (real engine), on loopback.

    For tests that lower a cap (``monkeypatch.setattr(limits, ...)``) or reach into the data
    dir while it serves; ``url``/``api_key`` as on ``EmbeddedBackend``.
    """

    api_key = "in-process-test-key"

    def __init__(self, data_dir: str):
        import asyncio
        import threading

        import tornado.httpserver
        import tornado.ioloop
        import tornado.netutil

        from jupyterlab_near_duplicates.embedded import limits
        from jupyterlab_near_duplicates.embedded.app import make_app
        from jupyterlab_near_duplicates.embedded.store import Store

        self.store = Store(data_dir)
        ready = threading.Event()

        def serve() -> None:
            asyncio.set_event_loop(asyncio.new_event_loop())
            self.loop = tornado.ioloop.IOLoop.current()
            app, self.engine = make_app(self.store, self.api_key)
            sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
            self.port = sockets[0].getsockname()[1]
            server = tornado.httpserver.HTTPServer(app, max_body_size=limits.MAX_BODY_BYTES)
            server.add_sockets(sockets)
            ready.set()
            self.loop.start()
            server.stop()

        self.thread = threading.Thread(target=serve, daemon=True)
        self.thread.start()
        ready.wait(30)
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.loop.add_callback(self.loop.stop)
        self.thread.join(30)
        self.engine.close()
