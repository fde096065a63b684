"""Backend discovery with no Qdrant configured: the server starts the embedded backend on
first use, and a kernel's ``nd.client()`` reaches the same one through the connection file."""

import json
import os
import stat

import pytest

import jupyterlab_near_duplicates as nd
from jupyterlab_near_duplicates.connection import CONNECTION_FILE_ENV


@pytest.fixture
def jp_server_config(tmp_path, monkeypatch):
    monkeypatch.delenv("QDRANT_URL", raising=False)
    monkeypatch.delenv("QDRANT_API_KEY", raising=False)
    return {
        "ServerApp": {"jpserver_extensions": {"jupyterlab_near_duplicates": True}},
        "NearDuplicates": {"embedded_data_dir": str(tmp_path / "embedded")},
    }


async def test_embedded_backend_starts_on_first_use_and_kernels_can_reach_it(
    jp_fetch, jp_serverapp, monkeypatch
):
    backend = jp_serverapp.web_app.settings["near_duplicates_backend"]
    assert os.environ[CONNECTION_FILE_ENV] == backend.connection_file
    try:
        response = await jp_fetch("near-duplicates", "api", "backend")
        body = json.loads(response.body)
        assert body["kind"] == "embedded"
        assert "url" not in body
        assert body["collections"] == []

        # What a kernel started by this server sees: the connection file, private to the user.
        mode = stat.S_IMODE(os.stat(backend.connection_file).st_mode)
        assert mode == 0o600
        connection = json.load(open(backend.connection_file))
        assert connection["kind"] == "embedded"
        assert connection["api_key"] not in response.body.decode()

        from qdrant_client import models

        client = nd.client()
        client.create_collection(
            "from-kernel", vectors_config=models.VectorParams(size=3, distance="Cosine")
        )
        client.close()

        body = json.loads((await jp_fetch("near-duplicates", "api", "backend")).body)
        assert [c["name"] for c in body["collections"]] == ["from-kernel"]
    finally:
        backend.stop()
    assert not os.path.exists(backend.connection_file)


def test_client_outside_jupyter_with_nothing_configured_says_what_to_do(monkeypatch):
    monkeypatch.delenv(CONNECTION_FILE_ENV, raising=False)
    monkeypatch.delenv("QDRANT_URL", raising=False)
    with pytest.raises(nd.BackendNotConfiguredError, match="QDRANT_URL"):
        nd.client()


def test_client_uses_qdrant_url_from_the_environment(monkeypatch):
    monkeypatch.delenv(CONNECTION_FILE_ENV, raising=False)
    monkeypatch.setenv("QDRANT_URL", "http://127.0.0.1:6399")
    monkeypatch.setenv("QDRANT_API_KEY", "k")
    from jupyterlab_near_duplicates.connection import connection_info

    assert connection_info() == {"kind": "remote", "url": "http://127.0.0.1:6399", "api_key": "k"}
