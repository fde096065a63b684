"""The backend route and the proxy: any collection name, the backend choice (auto /
embedded / remote), and the keys kernels get (issue 11, items 2, 4 and 10).

The remote Qdrant here is the recording stand-in (``recording_upstream.py``), to see what
reaches it and to make one collection fail; the embedded backend is the real engine. The
same paths against a real Qdrant server are in ``test_remote_qdrant.py``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import stat
import warnings

import pytest
from recording_upstream import UPSTREAM_KEY
from tornado.httpclient import HTTPClientError

import jupyterlab_near_duplicates as nd

KERNEL_KEY = "kernel-read-only-key-42"
INFO = {
    "status": "green",
    "points_count": 3,
    "config": {"params": {"vectors": {"size": 4, "distance": "Cosine"}}},
}


def _qdrant_like(names, broken=()):
    async def answer(handler):
        handler.set_header("Content-Type", "application/json")
        path = handler.request.path
        if path == "/":
            return handler.finish(json.dumps({"title": "qdrant", "version": "1.18.3"}))
        if path == "/collections":
            return handler.finish(
                json.dumps({"result": {"collections": [{"name": n} for n in names]}, "status": "ok"})
            )
        if any(path == "/collections/" + b for b in broken):
            handler.set_status(500)
            return handler.finish(json.dumps({"status": {"error": "Service internal error: segment lost"}}))
        handler.finish(json.dumps({"result": INFO, "status": "ok"}))

    return answer


def _config(url="", key=UPSTREAM_KEY, data_dir="", **near_duplicates):
    config = {"ServerApp": {"jpserver_extensions": {"jupyterlab_near_duplicates": True}}}
    settings = {"embedded_data_dir": data_dir, **near_duplicates}
    if url:
        settings.update(qdrant_url=url, qdrant_api_key=key)
    config["NearDuplicates"] = settings
    return config


async def _error(call):
    with pytest.raises(HTTPClientError) as raised:
        await call
    return raised.value.code, json.loads(raised.value.response.body)


def _connection_file(jp_serverapp) -> dict:
    backend = jp_serverapp.web_app.settings["near_duplicates_backend"]
    assert stat.S_IMODE(os.stat(backend.connection_file).st_mode) == 0o600
    with open(backend.connection_file) as f:
        return json.load(f)


class TestRemoteConfigured:
    @pytest.fixture
    def jp_server_config(self, recording_upstream, tmp_path, monkeypatch):
        monkeypatch.delenv("QDRANT_URL", raising=False)
        monkeypatch.delenv("QDRANT_API_KEY", raising=False)
        monkeypatch.delenv("QDRANT_KERNEL_API_KEY", raising=False)
        return _config(recording_upstream.url, data_dir=str(tmp_path / "embedded"))

    async def test_odd_names_are_listed_and_one_failing_collection_does_not_hide_the_others(
        self, jp_fetch, recording_upstream
    ):
        names = ["photos", "my photos", "фото", "a#b", "a%41", "x+y", "broken"]
        recording_upstream.answer = _qdrant_like(names, broken=["broken"])
        body = json.loads((await jp_fetch("near-duplicates", "api", "backend")).body)
        listed = {c["name"]: c for c in body["collections"]}
        assert sorted(listed) == sorted(names)
        for name in names[:-1]:
            assert listed[name]["points_count"] == 3, name
            assert listed[name]["vectors"] == {"": {"size": 4, "distance": "Cosine"}}
        assert "500" in listed["broken"]["error"] and "segment lost" in listed["broken"]["error"]
        asked = {r.target for r in recording_upstream.requests}
        for target in ("/collections/my%20photos", "/collections/%D1%84%D0%BE%D1%82%D0%BE",
                       "/collections/a%23b", "/collections/a%2541", "/collections/x%2By"):
            assert target in asked

    async def test_the_route_says_what_it_offers_and_what_was_asked(self, jp_fetch, recording_upstream):
        recording_upstream.answer = _qdrant_like(["photos"])
        for kind in (None, "auto", "remote"):
            params = {"kind": kind} if kind else {}
            body = json.loads((await jp_fetch("near-duplicates", "api", "backend", params=params)).body)
            assert body["kind"] == "remote"
            assert body["requested"] == (kind or "auto")
            assert body["available"] == ["embedded", "remote"]
            assert body["url"] == recording_upstream.url
        code, body = await _error(jp_fetch("near-duplicates", "api", "backend", params={"kind": "cloud"}))
        assert code == 400 and "auto, embedded, remote" in body["message"]

    async def test_embedded_asked_while_remote_is_configured_starts_it_on_demand(
        self, jp_fetch, jp_serverapp, recording_upstream
    ):
        backend = jp_serverapp.web_app.settings["near_duplicates_backend"]
        try:
            assert "embedded" not in _connection_file(jp_serverapp)["backends"]
            body = json.loads(
                (await jp_fetch("near-duplicates", "api", "backend", params={"kind": "embedded"})).body
            )
            assert (body["kind"], body["requested"]) == ("embedded", "embedded")
            assert body["collections"] == [] and "url" not in body
            assert recording_upstream.requests == []  # the remote one was not asked
            # The proxy, asked for the embedded backend by header, reaches the real engine.
            listing = await jp_fetch(
                "near-duplicates", "qdrant", "collections",
                headers={"X-Near-Duplicates-Backend": "embedded"},
            )
            assert json.loads(listing.body)["result"]["collections"] == []
            assert recording_upstream.requests == []
            await jp_fetch("near-duplicates", "qdrant", "collections")  # no header: auto = remote
            assert [r.target for r in recording_upstream.requests] == ["/collections"]
            # Kernels now see both; the default stays the remote one.
            info = _connection_file(jp_serverapp)
            assert info["kind"] == "remote" and info["available"] == ["embedded", "remote"]
            assert set(info["backends"]) == {"embedded", "remote"}
            loop = asyncio.get_running_loop()
            client = await loop.run_in_executor(None, lambda: nd.client(backend="embedded"))
            assert (await loop.run_in_executor(None, client.get_collections)).collections == []
            client.close()
        finally:
            backend.stop()

    async def test_a_kernel_asking_for_embedded_before_it_started_is_told_how(self, jp_serverapp):
        with pytest.raises(nd.BackendNotConfiguredError, match="has not been started yet"):
            nd.client(backend="embedded")
        with pytest.raises(ValueError, match="'auto', 'embedded' or 'remote'"):
            nd.client(backend="cloud")

    async def test_kernels_get_the_servers_key_by_default(self, jp_serverapp, recording_upstream):
        recording_upstream.answer = _qdrant_like(["photos"])
        info = _connection_file(jp_serverapp)
        assert info["backends"]["remote"]["api_key"] == UPSTREAM_KEY
        loop = asyncio.get_running_loop()
        client = await loop.run_in_executor(None, lambda: nd.client(check_compatibility=False))
        await loop.run_in_executor(None, client.get_collections)
        client.close()
        assert recording_upstream.requests[-1].headers["Api-Key"] == UPSTREAM_KEY


class TestKernelKey:
    @pytest.fixture
    def jp_server_config(self, recording_upstream, tmp_path, monkeypatch):
        # The server's key from the environment, as most deployments give it (Jupyter logs
        # its config at debug level, so a key in config would be in the log by Jupyter's doing).
        monkeypatch.setenv("QDRANT_API_KEY", UPSTREAM_KEY)
        monkeypatch.setenv("QDRANT_KERNEL_API_KEY", KERNEL_KEY)
        monkeypatch.delenv("QDRANT_URL", raising=False)
        config = _config(data_dir=str(tmp_path / "embedded"))
        config["NearDuplicates"]["qdrant_url"] = recording_upstream.url
        return config

    async def test_kernels_get_the_kernel_key_and_never_the_servers(self, jp_serverapp, recording_upstream):
        recording_upstream.answer = _qdrant_like(["photos"])
        backend = jp_serverapp.web_app.settings["near_duplicates_backend"]
        with open(backend.connection_file) as f:
            text = f.read()
        assert UPSTREAM_KEY not in text
        info = _connection_file(jp_serverapp)
        assert info["api_key"] == KERNEL_KEY and info["backends"]["remote"]["api_key"] == KERNEL_KEY
        # Kernels inherit the server's environment: the server's key is gone from it.
        assert os.environ.get("QDRANT_API_KEY") is None
        loop = asyncio.get_running_loop()
        client = await loop.run_in_executor(None, lambda: nd.client(check_compatibility=False))
        await loop.run_in_executor(None, client.get_collections)
        client.close()
        assert recording_upstream.requests[-1].headers["Api-Key"] == KERNEL_KEY

    async def test_the_servers_key_is_in_no_response_and_no_log(
        self, jp_fetch, jp_serverapp, recording_upstream, caplog
    ):
        caplog.set_level(logging.DEBUG)
        recording_upstream.answer = _qdrant_like(["photos", "broken"], broken=["broken"])
        responses = [
            await jp_fetch("near-duplicates", "api", "status"),
            await jp_fetch("near-duplicates", "api", "backend"),
            await jp_fetch("near-duplicates", "api", "backend", params={"kind": "remote"}),
            await jp_fetch("near-duplicates", "qdrant"),
            await jp_fetch("near-duplicates", "qdrant", "collections"),
        ]
        bodies = [r.body for r in responses] + [
            dict(r.headers) for r in responses
        ]
        for call in (
            jp_fetch("near-duplicates", "qdrant", "collections", "photos", method="DELETE"),
            jp_fetch("near-duplicates", "api", "backend", params={"kind": "cloud"}),
            jp_fetch("near-duplicates", "qdrant", "collections", "broken"),
        ):
            with pytest.raises(HTTPClientError) as raised:
                await call
            bodies += [raised.value.response.body, dict(raised.value.response.headers)]
        for body in bodies:
            assert UPSTREAM_KEY not in str(body)
            assert KERNEL_KEY not in str(body)
        assert recording_upstream.requests[-1].headers["Api-Key"] == UPSTREAM_KEY  # it was used
        assert "photos" in caplog.text  # the log did record these requests
        assert UPSTREAM_KEY not in caplog.text and KERNEL_KEY not in caplog.text


class TestKeyWithheld:
    @pytest.fixture
    def jp_server_config(self, recording_upstream, tmp_path, monkeypatch):
        monkeypatch.setenv("QDRANT_API_KEY", UPSTREAM_KEY)
        monkeypatch.delenv("QDRANT_KERNEL_API_KEY", raising=False)
        config = _config(data_dir=str(tmp_path / "embedded"), share_api_key_with_kernels=False)
        config["NearDuplicates"]["qdrant_url"] = recording_upstream.url
        return config

    async def test_kernels_get_no_key_and_are_told_why(self, jp_serverapp):
        info = _connection_file(jp_serverapp)
        assert info["backends"]["remote"]["api_key"] is None
        assert info["backends"]["remote"]["api_key_withheld"] is True
        assert os.environ.get("QDRANT_API_KEY") is None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            nd.client(check_compatibility=False).close()
        assert any("share_api_key_with_kernels" in str(w.message) for w in caught)


class TestNoRemote:
    @pytest.fixture
    def jp_server_config(self, tmp_path, monkeypatch):
        monkeypatch.delenv("QDRANT_URL", raising=False)
        monkeypatch.delenv("QDRANT_API_KEY", raising=False)
        return _config(data_dir=str(tmp_path / "embedded"))

    async def test_remote_asked_with_none_configured_is_409_saying_what_to_do(self, jp_fetch, jp_serverapp):
        backend = jp_serverapp.web_app.settings["near_duplicates_backend"]
        try:
            code, body = await _error(
                jp_fetch("near-duplicates", "api", "backend", params={"kind": "remote"})
            )
            assert code == 409
            assert "QDRANT_URL" in body["message"] and "Settings" in body["message"]
            code, body = await _error(
                jp_fetch("near-duplicates", "qdrant", "collections",
                         headers={"X-Near-Duplicates-Backend": "remote"})
            )
            assert code == 409 and "QDRANT_URL" in body["status"]["error"]
            auto = json.loads((await jp_fetch("near-duplicates", "api", "backend")).body)
            assert (auto["kind"], auto["available"]) == ("embedded", ["embedded"])
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, lambda: nd.client().close())  # waits for the start
            with pytest.raises(nd.BackendNotConfiguredError, match="offers no remote"):
                nd.client(backend="remote")
        finally:
            backend.stop()


class TestEmbeddedCannotStart:
    @pytest.fixture
    def jp_server_config(self, tmp_path, monkeypatch):
        monkeypatch.delenv("QDRANT_URL", raising=False)
        blocker = tmp_path / "not-a-dir"
        blocker.write_text("")  # a file where the data dir's parent should be
        return _config(data_dir=str(blocker / "embedded"))

    async def test_the_message_shows_no_server_path(self, jp_fetch, tmp_path):
        code, body = await _error(jp_fetch("near-duplicates", "api", "backend"))
        assert code == 502
        assert "could not start" in body["message"] and "log" in body["message"]
        assert str(tmp_path) not in body["message"]
        code, body = await _error(jp_fetch("near-duplicates", "qdrant", "collections"))
        assert code == 502 and str(tmp_path) not in body["status"]["error"]
