"""Remote mode against the real Qdrant 1.18.3 server (``bench/qdrant_server.py``).

A Jupyter server points at it with its API key and gives kernels Qdrant's own read-only
key: the listing with odd names, info and reads through the proxy for each, the read-only
guard (writes refused and the collection unchanged on the server), and what a notebook can
do with the key it has. Skips, saying why, where the server binary is absent.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from urllib.parse import quote

import pytest
from real_qdrant import qdrant_server
from recording_upstream import send_raw
from tornado.httpclient import HTTPClientError

import jupyterlab_near_duplicates as nd

ODD_NAMES = ["photos", "my photos", "фото", "a#b", "a%41", "x+y"]
POINTS = 5


@pytest.fixture(scope="module")
def real_server():
    """A real Qdrant with an API key and a read-only key (Qdrant's own), with one
    collection per odd name, each of 5 points."""
    reason = qdrant_server.unavailable_reason()
    if reason:
        pytest.skip(f"needs a real Qdrant server: {reason}")
    read_only_key = secrets.token_hex(16)
    server = qdrant_server.QdrantServer(
        env={"QDRANT__SERVICE__READ_ONLY_API_KEY": read_only_key}
    ).start()
    server.read_only_key = read_only_key
    from qdrant_client import QdrantClient, models

    # qdrant-client encodes the names itself: creating them through it checks that too.
    client = QdrantClient(url=server.url, api_key=server.api_key, timeout=30)
    for i, name in enumerate(ODD_NAMES):
        client.create_collection(
            name, vectors_config=models.VectorParams(size=4, distance=models.Distance.COSINE)
        )
        client.upsert(
            name,
            [
                models.PointStruct(id=p, vector=[1.0, 0.1 * p, 0.01 * i, 0.0], payload={"sample_id": f"{name}-{p}"})
                for p in range(POINTS)
            ],
            wait=True,
        )
    server.client = client
    yield server
    client.close()
    server.stop()


@pytest.fixture
def jp_server_config(real_server, tmp_path, monkeypatch):
    monkeypatch.delenv("QDRANT_URL", raising=False)
    monkeypatch.delenv("QDRANT_API_KEY", raising=False)
    monkeypatch.setenv("QDRANT_KERNEL_API_KEY", real_server.read_only_key)
    return {
        "ServerApp": {"jpserver_extensions": {"jupyterlab_near_duplicates": True}},
        "NearDuplicates": {
            "qdrant_url": real_server.url,
            "qdrant_api_key": real_server.api_key,
            "embedded_data_dir": str(tmp_path / "embedded"),
        },
    }


def _counts(real_server) -> dict:
    return {
        c.name: real_server.client.count(c.name, exact=True).count
        for c in real_server.client.get_collections().collections
    }


async def test_every_odd_name_is_listed_with_its_description(jp_fetch, real_server):
    body = json.loads((await jp_fetch("near-duplicates", "api", "backend")).body)
    assert body["kind"] == "remote" and body["version"] == "1.18.3"
    assert {c["name"]: c.get("points_count") for c in body["collections"]} == {n: POINTS for n in ODD_NAMES}
    for c in body["collections"]:
        assert "error" not in c
        assert c["vectors"] == {"": {"size": 4, "distance": "Cosine"}}


@pytest.mark.parametrize("name", ODD_NAMES)
async def test_info_and_reads_through_the_proxy_reach_the_named_collection(jp_fetch, name):
    info = json.loads((await jp_fetch("near-duplicates", "qdrant", "collections", name)).body)
    assert info["result"]["points_count"] == POINTS
    scroll = json.loads(
        (
            await jp_fetch(
                "near-duplicates", "qdrant", "collections", name, "points", "scroll",
                method="POST", body=json.dumps({"limit": 10, "with_payload": True}),
            )
        ).body
    )
    assert sorted(p["payload"]["sample_id"] for p in scroll["result"]["points"]) == [
        f"{name}-{p}" for p in range(POINTS)
    ]
    # The scan's own read: a batch of nearest-neighbour queries by point id.
    batch = json.loads(
        (
            await jp_fetch(
                "near-duplicates", "qdrant", "collections", name, "points", "query", "batch",
                method="POST", params={"timeout": "30"},
                body=json.dumps({"searches": [{"query": p, "limit": 2} for p in range(POINTS)]}),
            )
        ).body
    )
    assert len(batch["result"]) == POINTS
    assert all(len(r["points"]) == 2 for r in batch["result"])


async def test_the_read_only_guard_holds_against_the_real_server(
    jp_fetch, jp_http_port, jp_base_url, jp_auth_header, real_server
):
    before = _counts(real_server)
    prefix = jp_base_url.rstrip("/") + "/near-duplicates/qdrant"
    upsert = json.dumps({"points": [{"id": 99, "vector": [0, 0, 1, 0], "payload": {}}]}).encode()
    attempts = [("PUT", f"/collections/{quote(n, safe='')}/points?wait=true", upsert) for n in ODD_NAMES]
    attempts += [
        ("POST", f"/collections/{quote(n, safe='')}/points/delete", b'{"points": [0, 1, 2]}') for n in ODD_NAMES
    ]
    attempts += [("DELETE", f"/collections/{quote(n, safe='')}", b"") for n in ODD_NAMES]
    attempts += [
        # The walk-arounds of issue 11: '?' and '#' cut the path, encoded slashes and dots.
        ("POST", "/collections/aliases%3F/points/scroll",
         b'{"actions": [{"create_alias": {"collection_name": "photos", "alias_name": "evil"}}]}'),
        ("POST", "/collections/photos%2Fpoints%2Fdelete%3F/points/scroll", b'{"points": [0]}'),
        ("POST", "/collections/photos%2Fpoints%2Fdelete%23/points/scroll", b'{"points": [0]}'),
        ("POST", "/collections/photos/points/scroll/%2E%2E/delete", b'{"points": [0]}'),
        ("DELETE", "/collections/photos/", b""),
        ("DELETE", "//collections/photos", b""),
    ]
    for method, target, body in attempts:
        status, answer = await send_raw(
            jp_http_port, method, prefix + target,
            headers={**jp_auth_header, "Content-Type": "application/json"}, body=body,
        )
        # A disguised read may reach Qdrant as the read it is (a scroll of a collection
        # called 'aliases?': 404); never as a write.
        assert status in (400, 403, 404), (method, target, status, answer)
    assert _counts(real_server) == before
    assert real_server.client.get_aliases().aliases == []


async def test_kernels_get_the_read_only_key_and_can_read_but_not_write(jp_serverapp, real_server):
    backend = jp_serverapp.web_app.settings["near_duplicates_backend"]
    with open(backend.connection_file) as f:
        text = f.read()
    assert real_server.api_key not in text
    assert json.loads(text)["api_key"] == real_server.read_only_key
    from qdrant_client import models
    from qdrant_client.http.exceptions import UnexpectedResponse

    def as_a_notebook():
        client = nd.client()
        try:
            counts = {n: client.count(n, exact=True).count for n in ODD_NAMES}
            with pytest.raises(UnexpectedResponse) as refused:
                client.upsert("photos", [models.PointStruct(id=99, vector=[0, 0, 1, 0])], wait=True)
            return counts, refused.value.status_code
        finally:
            client.close()

    counts, status = await asyncio.get_running_loop().run_in_executor(None, as_a_notebook)
    assert counts == {n: POINTS for n in ODD_NAMES}
    assert status in (401, 403)


async def test_a_missing_collection_is_qdrants_own_404(jp_fetch):
    with pytest.raises(HTTPClientError) as raised:
        await jp_fetch("near-duplicates", "qdrant", "collections", "no such", "points", "scroll",
                       method="POST", body="{}")
    assert raised.value.code == 404
    assert "no such" in json.loads(raised.value.response.body)["status"]["error"]
