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
