"""The Qdrant proxy and backend discovery, against a live embedded backend (a real engine).

The "remote" cases point the server at an embedded backend by URL and API key, exactly as
a user points it at a Qdrant server: the proxy cannot tell the difference.
"""

import json
import socket

import pytest
from tornado.httpclient import HTTPClientError

from jupyterlab_near_duplicates.embedded import EmbeddedBackend


@pytest.fixture(scope="module")
def live_qdrant(tmp_path_factory):
    backend = EmbeddedBackend(str(tmp_path_factory.mktemp("qdrant")))
    url, key = backend.ensure_running()
    from qdrant_client import QdrantClient, models

    client = QdrantClient(url=url, api_key=key, timeout=30)
    client.create_collection(
        "photos", vectors_config=models.VectorParams(size=4, distance=models.Distance.COSINE)
    )
    client.upsert(
        "photos",
        [
            models.PointStruct(id=i, vector=[1.0, 0.1 * i, 0.0, 0.0], payload={"sample_id": f"img-{i}"})
            for i in range(5)
        ],
        wait=True,
    )
    yield url, key
    client.close()
    backend.stop()


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def allow_writes():
    return False


@pytest.fixture
def jp_server_config(live_qdrant, allow_writes):
    url, key = live_qdrant
    return {
        "ServerApp": {"jpserver_extensions": {"jupyterlab_near_duplicates": True}},
        "NearDuplicates": {"qdrant_url": url, "qdrant_api_key": key, "allow_writes": allow_writes},
    }


def _assert_no_key(response, key):
    assert key not in response.body.decode("utf-8", "replace")
    for name, value in response.headers.get_all():
        assert key not in value, name


async def test_proxy_forwards_reads_and_adds_the_key_on_the_server(jp_fetch, live_qdrant):
    _, key = live_qdrant
    listing = await jp_fetch("near-duplicates", "qdrant", "collections")
    assert [c["name"] for c in json.loads(listing.body)["result"]["collections"]] == ["photos"]
    _assert_no_key(listing, key)

    scroll = await jp_fetch(
        "near-duplicates", "qdrant", "collections", "photos", "points", "scroll",
        method="POST", body=json.dumps({"limit": 2, "with_payload": ["sample_id"]}),
    )
    page = json.loads(scroll.body)["result"]
    assert [p["payload"]["sample_id"] for p in page["points"]] == ["img-0", "img-1"]
    assert page["next_page_offset"] == 2
    _assert_no_key(scroll, key)

    root = await jp_fetch("near-duplicates", "qdrant")
    assert "version" in json.loads(root.body)


async def test_backend_route_describes_the_backend_without_the_key(jp_fetch, live_qdrant):
    url, key = live_qdrant
    response = await jp_fetch("near-duplicates", "api", "backend")
    body = json.loads(response.body)
    assert body["kind"] == "remote"
    assert body["url"] == url
    assert body["version"]
    assert body["collections"] == [
        {
            "name": "photos",
            "points_count": 5,
            "vectors": {"": {"size": 4, "distance": "Cosine"}},
            "sparse_vectors": [],
        }
    ]
    _assert_no_key(response, key)


@pytest.mark.parametrize("authorization", ["", "token wrong"])
async def test_proxy_refuses_a_request_without_a_valid_token(jp_fetch, authorization):
    for parts in (("near-duplicates", "qdrant", "collections"), ("near-duplicates", "api", "backend")):
        with pytest.raises(HTTPClientError) as raised:
            await jp_fetch(*parts, headers={"Authorization": authorization})
        assert raised.value.code == 403


async def test_proxy_is_read_only_by_default(jp_fetch, live_qdrant):
    with pytest.raises(HTTPClientError) as raised:
        await jp_fetch(
            "near-duplicates", "qdrant", "collections", "photos", "points",
            method="PUT", body=json.dumps({"points": [{"id": 99, "vector": [0, 0, 1, 0]}]}),
        )
    assert raised.value.code == 403
    message = json.loads(raised.value.response.body)["status"]["error"]
    assert "read-only" in message and "allow_writes" in message
    with pytest.raises(HTTPClientError) as raised:
        await jp_fetch("near-duplicates", "qdrant", "collections", "photos", method="DELETE")
    assert raised.value.code == 403
    count = await jp_fetch(
        "near-duplicates", "qdrant", "collections", "photos", "points", "count",
        method="POST", body=json.dumps({"exact": True}),
    )
    assert json.loads(count.body)["result"]["count"] == 5


@pytest.mark.parametrize("allow_writes", [True])
async def test_proxy_forwards_writes_when_allowed(jp_fetch, allow_writes):
    body = json.dumps({"points": [{"id": 99, "vector": [0, 0, 1, 0], "payload": {}}]})
    put = await jp_fetch(
        "near-duplicates", "qdrant", "collections", "photos", "points",
        method="PUT", body=body, params={"wait": "true"},
    )
    assert put.code == 200
    delete = await jp_fetch(
        "near-duplicates", "qdrant", "collections", "photos", "points", "delete",
        method="POST", body=json.dumps({"points": [99]}), params={"wait": "true"},
    )
    assert delete.code == 200


async def test_qdrant_errors_pass_through_with_their_bodies(jp_fetch):
    with pytest.raises(HTTPClientError) as raised:
        await jp_fetch(
            "near-duplicates", "qdrant", "collections", "no-such", "points", "scroll",
            method="POST", body="{}",
        )
    assert raised.value.code == 404
    assert "no-such" in json.loads(raised.value.response.body)["status"]["error"]


class TestUnreachableBackend:
    @pytest.fixture
    def jp_server_config(self):
        return {
            "ServerApp": {"jpserver_extensions": {"jupyterlab_near_duplicates": True}},
            "NearDuplicates": {"qdrant_url": f"http://127.0.0.1:{_free_port()}", "qdrant_api_key": "s3cret-key"},
        }

    async def test_answers_502_naming_the_url_and_how_to_configure(self, jp_fetch, jp_serverapp):
        url = jp_serverapp.web_app.settings["near_duplicates_backend"].settings.qdrant_url
        for parts in (("near-duplicates", "qdrant", "collections"), ("near-duplicates", "api", "backend")):
            with pytest.raises(HTTPClientError) as raised:
                await jp_fetch(*parts)
            assert raised.value.code == 502
            text = raised.value.response.body.decode()
            assert url in text and "QDRANT_URL" in text
            assert "s3cret-key" not in text
