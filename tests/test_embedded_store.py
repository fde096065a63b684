"""The embedded backend's store, in process (real Qdrant Edge shards, no HTTP)."""

from __future__ import annotations

import os
import time
import uuid

import numpy as np
import pytest
import qdrant_edge as qe

from jupyterlab_near_duplicates.embedded.errors import ApiError
from jupyterlab_near_duplicates.embedded.index_build import BUILD_DIR, OLD_SHARD_DIR, SHARD_DIR
from jupyterlab_near_duplicates.embedded.rest_body import parse_filter
from jupyterlab_near_duplicates.embedded.store import Store


@pytest.fixture
def store(tmp_path):
    s = Store(str(tmp_path / "data"))
    yield s
    s.close()


def _fill(store: Store, name: str, n: int, dim: int = 8, body: dict | None = None) -> np.ndarray:
    store.create_collection(name, body or {"vectors": {"size": dim, "distance": "Cosine"}})
    X = np.random.default_rng(0).standard_normal((n, dim)).astype(np.float32)
    store.get(name).upsert({"batch": {"ids": list(range(n)), "vectors": X.tolist(), "payloads": [{"i": i} for i in range(n)]}})
    return X


def test_params_reach_the_engine_request(store, monkeypatch):
    X = _fill(store, "p", 50)
    coll = store.get("p")
    sent: list = []
    real_batch = qe.QueryBatchRequest

    def recording_batch(requests):  # the engine's own batch, keeping the requests it is built of
        sent.append(list(requests))
        return real_batch(requests)

    monkeypatch.setattr(qe, "QueryBatchRequest", recording_batch)
    search = {"query": 3, "limit": 7, "offset": 2, "score_threshold": 0.25, "params": {"exact": True, "hnsw_ef": 77}}
    (answer,) = coll.query_batch({"searches": [search]})
    ((req,),) = sent
    assert isinstance(req, qe.QueryRequest)
    assert req.params.exact is True and req.params.hnsw_ef == 77
    assert req.score_threshold == pytest.approx(0.25)
    assert req.limit == 2 + 7 + 1 and req.offset == 0  # by id: one more, the point itself is dropped
    # what the caller gets: the exact neighbours of point 3 above the threshold, itself left
    # out, from the third on
    unit = X / np.linalg.norm(X, axis=1, keepdims=True)
    sims = unit @ unit[3]
    order = [int(i) for i in np.argsort(-sims) if i != 3 and sims[i] > 0.25]
    assert [p["id"] for p in answer["points"]] == order[2 : 2 + 7]


def test_filters_convert(store):
    _fill(store, "f", 30)
    coll = store.get("f")
    coll.set_payload({"payload": {"flag": True, "name": "x", "when": "2024-01-02T00:00:00Z"}, "points": [1, 2]})
    count = lambda flt: coll.count({"filter": flt})["count"]  # noqa: E731
    assert count({"must": [{"key": "flag", "match": {"value": True}}]}) == 2
    assert count({"must_not": [{"key": "flag", "match": {"value": True}}]}) == 28
    assert count({"must": {"key": "i", "range": {"gte": 10, "lt": 20}}}) == 10
    assert count({"should": [{"key": "i", "match": {"any": [1, 2, 3]}}, {"has_id": [29]}]}) == 4
    assert count({"must": [{"is_empty": {"key": "name"}}]}) == 28
    assert count({"must": [{"key": "when", "range": {"gt": "2023-12-31T00:00:00Z"}}]}) == 2
    assert count({"must": [{"must": [{"key": "name", "match": {"value": "x"}}]}]}) == 2
    two_of = [{"has_id": [1]}, {"has_id": [2]}, {"key": "flag", "match": {"value": True}}]
    assert count({"min_should": {"conditions": two_of, "min_count": 2}}) == 2
    with pytest.raises(ApiError) as e:
        parse_filter({"must": [{"bogus": 1}]})
    assert e.value.status == 400


def test_errors_have_qdrant_statuses(store):
    with pytest.raises(ApiError) as e:
        store.get("nope")
    assert e.value.status == 404 and e.value.message == "Not found: Collection `nope` doesn't exist!"
    _fill(store, "e", 5)
    with pytest.raises(ApiError) as e:
        store.create_collection("e", {"vectors": {"size": 8, "distance": "Cosine"}})
    assert e.value.status == 409
    for bad in ({"vectors": {"size": 0, "distance": "Cosine"}}, {"vectors": {"size": 4, "distance": "Hamming"}}):
        with pytest.raises(ApiError) as e:
            store.create_collection("bad", bad)
        assert e.value.status in (400, 422)
    # Qdrant's rule: ".hidden" is a valid name (tests/test_embedded_names.py), these are not
    for name in ("../evil", "..", ".", "a/b", ""):
        with pytest.raises(ApiError) as e:
            store.create_collection(name, {"vectors": {"size": 2, "distance": "Dot"}})
        assert e.value.status == 422
    coll = store.get("e")
    with pytest.raises(ApiError) as e:
        coll.query({"query": 999})
    assert e.value.status == 404
    with pytest.raises(ApiError) as e:
        coll.set_payload({"payload": {"a": 1}, "points": [999]})
    assert e.value.status == 404
    with pytest.raises(ApiError) as e:
        coll.query({"query": [1.0, 2.0]})
    assert e.value.status == 400 and "dimension" in e.value.message
    with pytest.raises(ApiError) as e:
        coll.query({"query": 1, "limit": 0})
    assert e.value.status == 422


def test_uuid_and_int_ids_round_trip(store):
    store.create_collection("u", {"vectors": {"size": 2, "distance": "Dot"}})
    u = uuid.uuid4()
    coll = store.get("u")
    coll.upsert({"points": [{"id": str(u).upper(), "vector": [1, 0]}, {"id": 2**63, "vector": [0, 1]}]})
    got = coll.retrieve({"ids": [u.hex, 2**63]})
    assert sorted(map(str, (r["id"] for r in got))) == sorted([str(u), str(2**63)])
    with pytest.raises(ApiError):
        coll.upsert({"points": [{"id": -1, "vector": [1, 0]}]})
    with pytest.raises(ApiError):
        coll.upsert({"points": [{"id": 1.5, "vector": [1, 0]}]})


def test_background_build_replays_writes_made_meanwhile(store):
    body = {
        "vectors": {"size": 32, "distance": "Cosine"},
        "optimizers_config": {"indexing_threshold": 10},
    }
    _fill(store, "big", 3000, dim=32, body=body)
    coll = store.get("big")
    assert coll.large() and coll.dirty
    coll.optimize()  # large: starts a background build and returns at once
    assert coll.build is not None
    assert coll.info()["status"] == "yellow"
    rng = np.random.default_rng(1)
    # writes while the copy is being optimized: must survive the swap
    coll.upsert({"batch": {"ids": list(range(3000, 3100)), "vectors": rng.standard_normal((100, 32)).tolist()}})
    coll.set_payload({"payload": {"tag": "late"}, "points": [5, 3050]})
    coll.delete_points({"points": [7, 8]})
    while not coll.build_done():
        time.sleep(0.05)
    assert coll.finish_build()
    assert coll.build is None
    info = coll.info()
    assert info["points_count"] == 3100 - 2
    assert info["indexed_vectors_count"] >= 2990
    assert coll.retrieve({"ids": [5, 3050, 7]}) == [
        {"id": 5, "payload": {"i": 5, "tag": "late"}},
        {"id": 3050, "payload": {"tag": "late"}},
    ]
    assert not os.path.exists(os.path.join(coll.path, BUILD_DIR))
    assert not os.path.exists(os.path.join(coll.path, OLD_SHARD_DIR))
    # and it is durable
    path = store.data_dir
    store.close()
    s2 = Store(path)
    try:
        assert s2.get("big").count({})["count"] == 3098
    finally:
        s2.close()


def test_an_interrupted_swap_is_recovered_on_load(tmp_path):
    s = Store(str(tmp_path / "data"))
    _fill(s, "c", 100)
    path = s.get("c").path
    s.close()
    # crash between "live -> shard.old" and "copy -> live": no live shard, an old one and a build
    os.replace(os.path.join(path, SHARD_DIR), os.path.join(path, OLD_SHARD_DIR))
    os.makedirs(os.path.join(path, BUILD_DIR, SHARD_DIR, "junk"))
    s = Store(str(tmp_path / "data"))
    try:
        assert s.get("c").count({})["count"] == 100
        assert not os.path.exists(os.path.join(path, BUILD_DIR))
        assert not os.path.exists(os.path.join(path, OLD_SHARD_DIR))
    finally:
        s.close()


def test_a_failed_background_build_leaves_the_collection_serving(store):
    _fill(store, "fail", 2000, dim=16, body={"vectors": {"size": 16, "distance": "Dot"}, "optimizers_config": {"indexing_threshold": 10}})
    coll = store.get("fail")
    coll.optimize()
    assert coll.build is not None
    with open(os.path.join(coll.path, BUILD_DIR, SHARD_DIR, "edge_config.json"), "w") as f:
        f.write("{not json")  # sabotage the copy: the builder cannot load it
    while not coll.build_done():
        time.sleep(0.05)
    assert coll.finish_build() is False
    assert coll.build is None and coll.dirty
    assert coll.count({})["count"] == 2000
    assert coll.query({"query": 1, "limit": 3})["points"]
    assert not os.path.exists(os.path.join(coll.path, BUILD_DIR))
    coll.optimize()  # backs off for a while instead of retrying at once
    assert coll.build is None


def test_order_by_reads_the_same_in_scroll_and_query(store):
    _fill(store, "o", 20)
    coll = store.get("o")
    coll.create_index({"field_name": "i", "field_schema": "integer"})
    desc = coll.scroll({"order_by": {"key": "i", "direction": "desc"}, "limit": 3})["points"]
    assert [p["id"] for p in desc] == [19, 18, 17]
    asc = coll.query({"query": {"order_by": "i"}, "limit": 3})["points"]
    assert [p["id"] for p in asc] == [0, 1, 2]
    for bad in (5, {"direction": "desc"}):
        with pytest.raises(ApiError) as e:
            coll.scroll({"order_by": bad})
        assert e.value.status == 400 and "order_by must be a field name or an object with a `key`" in e.value.message
        with pytest.raises(ApiError) as e:
            coll.query({"query": {"order_by": bad}})
        assert e.value.status == 400 and "order_by" in e.value.message
