"""Collection names on the embedded backend: every name Qdrant accepts works end to end,
the rest are refused as Qdrant refuses them, directories on disk are safe for any name,
and no error shows a server path. Real engine; REST with percent-encoded paths and the
official qdrant-client against a running backend (child process)."""

from __future__ import annotations

import os
import re
import shutil
from urllib.parse import quote

import pytest
from embedded_fixtures import InProcessBackend, authed, raw
from qdrant_client import models

from jupyterlab_near_duplicates.embedded.errors import engine_error, hide_paths
from jupyterlab_near_duplicates.embedded.store import Store

ODD_NAMES = [
    "my photos",
    "фото",
    "a#b",
    "a%41",
    "x+y",
    "q?x=1",  # refused: Qdrant forbids "?"
    "Photos",
    "photos",  # differs from the one above only by case
    "\u00e9",
    "e\u0301",  # the same letter as above in NFD: another name
    ".hidden",
    "..a",
    "ф" * 127,  # 254 bytes in UTF-8
    "a" * 255,
    "tab\there",
]
REFUSED = ["q?x=1"]
ACCEPTED = [n for n in ODD_NAMES if n not in REFUSED]


def path_of(name: str) -> str:
    return "/collections/" + quote(name, safe="")


def test_odd_names_work_end_to_end_over_rest(backend):
    for i, name in enumerate(ACCEPTED):
        p = path_of(name)
        status, body = authed(backend, "PUT", p, {"vectors": {"size": 2, "distance": "Dot"}})
        assert status == 200, (name, body)
        points = [{"id": k, "vector": [1.0, float(k)], "payload": {"owner": name}} for k in range(i + 2)]
        assert authed(backend, "PUT", p + "/points?wait=true", {"points": points})[0] == 200
    listed = {c["name"] for c in authed(backend, "GET", "/collections")[1]["result"]["collections"]}
    assert set(ACCEPTED) <= listed
    for i, name in enumerate(ACCEPTED):
        p = path_of(name)
        status, body = authed(backend, "GET", p)
        assert status == 200 and body["result"]["points_count"] == i + 2, name
        status, body = authed(backend, "POST", p + "/points/scroll", {"limit": 100})
        assert {pt["payload"]["owner"] for pt in body["result"]["points"]} == {name}
        status, body = authed(backend, "POST", p + "/points/query/batch", {"searches": [{"query": 0, "limit": 3}]})
        assert status == 200 and len(body["result"][0]["points"]) == min(3, i + 1)
        assert authed(backend, "GET", p + "/exists")[1]["result"]["exists"] is True
    for name in ACCEPTED:
        assert authed(backend, "DELETE", path_of(name))[1]["result"] is True
        assert authed(backend, "GET", path_of(name))[0] == 404


def test_refused_names_get_qdrants_422_without_a_path(backend):
    refused = REFUSED + [".", "..", "a/b", "a\\b", "a*b", "a\x1fb", "ф" * 128, "ф" * 200, "a" * 256]
    for name in refused:
        status, body = authed(backend, "PUT", path_of(name), {"vectors": {"size": 2, "distance": "Dot"}})
        assert status in (404, 422), (name, status, body)  # "." and ".." may not reach the route
        if body:
            assert "/" not in body["status"]["error"].replace('"/"', ""), body
    status, body = authed(backend, "PUT", path_of("ф" * 200), {"vectors": {"size": 2, "distance": "Dot"}})
    assert status == 422 and "400 bytes long in UTF-8, at most 255" in body["status"]["error"]
    assert authed(backend, "PUT", "/collections/%2E%2E", {"vectors": {"size": 2, "distance": "Dot"}})[0] == 422


def test_tornado_path_decoding_plus_and_encoded_slash(backend):
    cfg = {"vectors": {"size": 2, "distance": "Dot"}}
    assert authed(backend, "PUT", "/collections/x+y", cfg)[0] == 200  # "+" is a plus in a path
    assert authed(backend, "PUT", "/collections/a%41", cfg)[0] == 200  # %41 is "A"
    names = {c["name"] for c in authed(backend, "GET", "/collections")[1]["result"]["collections"]}
    assert {"x+y", "aA"} <= names and "x y" not in names
    status, body = authed(backend, "PUT", "/collections/a%2Fb", cfg)
    assert status == 422 and 'cannot contain "/"' in body["status"]["error"]
    for n in ("x+y", "aA"):
        authed(backend, "DELETE", path_of(n))


def test_odd_names_through_qdrant_client(client):
    for name in ACCEPTED:
        client.create_collection(name, vectors_config=models.VectorParams(size=2, distance=models.Distance.DOT))
        client.upsert(name, points=[models.PointStruct(id=1, vector=[1.0, 0.0], payload={"owner": name})])
    assert set(ACCEPTED) <= {c.name for c in client.get_collections().collections}
    for name in ACCEPTED:
        assert client.get_collection(name).points_count == 1
        assert client.collection_exists(name)
        points, _ = client.scroll(name, limit=10)
        assert [p.payload["owner"] for p in points] == [name]
        res = client.query_batch_points(name, [models.QueryRequest(query=[1.0, 0.0], limit=1)])
        assert res[0].points[0].id == 1
        assert client.delete_collection(name)
        assert not client.collection_exists(name)


def test_directories_on_disk_are_safe_and_distinct(tmp_path):
    store = Store(str(tmp_path / "data"))
    for name in ACCEPTED:
        store.create_collection(name, {"vectors": {"size": 2, "distance": "Dot"}})
    entries = os.listdir(store.root)
    assert len(entries) == len(ACCEPTED)
    # distinct even on a case-insensitive, normalising filesystem (macOS, Windows)
    assert len({e.lower() for e in entries}) == len(ACCEPTED)
    assert all(re.fullmatch(r"[a-z0-9_-]{1,40}-[0-9a-f]{20}", e) for e in entries), entries
    store.close()
    again = Store(str(tmp_path / "data"))
    assert sorted(again.collections) == sorted(ACCEPTED)
    again.close()


def test_a_data_dir_of_an_earlier_version_still_loads(tmp_path):
    """Earlier versions named a collection's directory after the collection."""
    data = str(tmp_path / "data")
    store = Store(data)
    store.create_collection("old photos", {"vectors": {"size": 2, "distance": "Dot"}})
    store.get("old photos").upsert({"points": [{"id": 5, "vector": [1, 2], "payload": {"k": "v"}}]})
    path = store.get("old photos").path
    store.close()
    os.rename(path, os.path.join(store.root, "old photos"))  # the earlier layout

    store = Store(data)
    coll = store.get("old photos")
    assert coll.retrieve({"ids": [5]})[0]["payload"] == {"k": "v"}
    store.create_collection("new", {"vectors": {"size": 2, "distance": "Dot"}})
    assert store.delete_collection("old photos")
    assert sorted(os.listdir(store.root)) == [os.path.basename(store.get("new").path)]
    store.close()


def test_filesystem_errors_reach_the_client_without_a_path(tmp_path):
    data = tmp_path / "secret-location" / "data"
    be = InProcessBackend(str(data))
    try:
        root = be.store.root
        shutil.rmtree(root)
        open(root, "w").close()  # the collections dir is now a file: every create fails
        status, body = raw(be.url, "PUT", "/collections/x", {"vectors": {"size": 2, "distance": "Dot"}}, headers={"api-key": be.api_key})
        message = body["status"]["error"]
        assert status == 500 and "storage error" in message and "Not a directory" in message
        assert "secret-location" not in message and str(tmp_path) not in message
    finally:
        be.stop()


def test_engine_errors_carry_no_path(tmp_path):
    store = Store(str(tmp_path / "secret-location"))
    store.create_collection("c", {"vectors": {"size": 2, "distance": "Dot"}})
    coll = store.get("c")
    coll.upsert({"points": [{"id": 1, "vector": [1, 0]}]})
    wal = os.path.join(coll.path, "shard", "wal")
    shutil.rmtree(wal)
    open(wal, "w").close()
    with pytest.raises(Exception) as e:
        coll.flush()  # a real engine error, naming a file under the data dir
    assert "secret-location" in str(e.value)
    message = engine_error(e.value).message
    assert "secret-location" not in message and str(tmp_path) not in message and "<path>" in message
    store.collections.clear()  # its shard cannot flush any more


def test_hide_paths_keeps_the_rest_of_the_message():
    assert hide_paths('collection name cannot contain "/" char') == 'collection name cannot contain "/" char'
    assert hide_paths("failed to open `/srv/x/y.bin`: Not a directory") == "failed to open `<path>`: Not a directory"
    assert hide_paths("[Errno 28] No space left on device: '/d/e'") == "[Errno 28] No space left on device: '<path>'"
    assert hide_paths(r"see C:\Users\me\nd\embedded.log") == "see <path>"
    assert hide_paths("a/b at http://127.0.0.1:1/collections/x") == "a/b at http://127.0.0.1:1/collections/x"


def test_vector_names_follow_qdrants_rule_by_bytes(tmp_path):
    store = Store(str(tmp_path / "data"))
    longest = "ф" * 100  # 200 bytes: the engine makes a directory of it
    store.create_collection("v", {"vectors": {longest: {"size": 2, "distance": "Dot"}}})
    coll = store.get("v")
    coll.upsert({"points": [{"id": 1, "vector": {longest: [1.0, 0.0]}}, {"id": 2, "vector": {longest: [1.0, 0.1]}}]})
    assert [p["id"] for p in coll.query({"query": 1, "using": longest})["points"]] == [2]
    for bad, why in (("ф" * 101, "202 bytes long"), ("a:b", 'cannot contain ":"'), ("", "must not be empty")):
        with pytest.raises(Exception) as e:
            store.create_collection("w", {"vectors": {bad: {"size": 2, "distance": "Dot"}}})
        assert e.value.status == 422 and why in e.value.message
        assert str(tmp_path) not in e.value.message
    assert "w" not in store.collections and len(os.listdir(store.root)) == 1  # nothing half-made
    store.close()
