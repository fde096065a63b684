"""The embedded backend against the official Python qdrant-client (real engine, no fakes)."""

from __future__ import annotations

import math
import time
import uuid
import warnings

import numpy as np
import pytest
from embedded_fixtures import authed, make_client, raw
from qdrant_client import models
from qdrant_client.http.exceptions import UnexpectedResponse

DIM = 8


def _vectors(n: int, dim: int = DIM, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)


def _cosine_collection(client, name: str, n: int = 200, seed: int = 0) -> np.ndarray:
    client.create_collection(name, vectors_config=models.VectorParams(size=DIM, distance=models.Distance.COSINE))
    X = _vectors(n, seed=seed)
    client.upsert(
        name,
        points=[models.PointStruct(id=i, vector=X[i].tolist(), payload={"i": i, "even": i % 2 == 0, "tag": f"t{i % 3}"}) for i in range(n)],
    )
    return X


def _cos_scores(X: np.ndarray, q: np.ndarray) -> np.ndarray:
    Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
    return Xn @ (q / np.linalg.norm(q))


# --- protocol -----------------------------------------------------------------------------


def test_root_reports_a_compatible_qdrant_version(backend):
    status, body = authed(backend, "GET", "/")
    assert status == 200
    assert body["title"] == "qdrant - vector search engine"
    major, minor, _ = body["version"].split(".")
    assert major == "1"
    from importlib.metadata import version

    client_minor = int(version("qdrant-client").split(".")[1])
    assert abs(int(minor) - client_minor) <= 1
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        c = make_client(backend.url, backend.api_key, check_compatibility=True)
        c.get_collections()
        c.close()
    time.sleep(0.2)  # the compatibility check runs in a thread
    assert not [w for w in caught if "incompatible" in str(w.message) or "server version" in str(w.message)]


def test_api_key_is_required(backend):
    status, body = raw(backend.url, "GET", "/collections")
    assert status == 401
    assert "error" in body["status"] and isinstance(body["time"], (int, float))
    status, body = raw(backend.url, "GET", "/collections", headers={"api-key": "wrong"})
    assert status == 401 and "error" in body["status"]
    status, _ = raw(backend.url, "GET", "/", headers={"api-key": "wrong"})
    assert status == 401
    status, body = raw(backend.url, "GET", "/collections", headers={"Authorization": f"Bearer {backend.api_key}"})
    assert status == 200 and body["status"] == "ok"
    # unknown routes are not revealed without the key either
    assert raw(backend.url, "GET", "/nope")[0] == 401


def test_unknown_routes_answer_404(backend):
    assert authed(backend, "GET", "/nope")[0] == 404
    assert authed(backend, "POST", "/collections/x/points/nope", {})[0] == 404
    assert authed(backend, "GET", "/collections/x/y/z/w")[0] == 404


def test_missing_collection_is_404_with_qdrant_error_shape(backend, client):
    status, body = authed(backend, "GET", "/collections/missing")
    assert status == 404
    assert body["status"] == {"error": "Not found: Collection `missing` doesn't exist!"}
    assert isinstance(body["time"], float)
    status, body = authed(backend, "POST", "/collections/missing/points/scroll", {"limit": 1})
    assert status == 404 and "doesn't exist" in body["status"]["error"]
    with pytest.raises(UnexpectedResponse) as e:
        client.get_collection("missing")
    assert e.value.status_code == 404
    assert client.collection_exists("missing") is False


def test_bad_input_is_400_with_error_shape(backend, client):
    client.create_collection("bad_input", vectors_config=models.VectorParams(size=3, distance=models.Distance.DOT))
    status, body = authed(backend, "PUT", "/collections/bad_input/points?wait=true", {"points": [{"id": 1, "vector": [1, 2]}]})
    assert status == 400 and "dimension" in body["status"]["error"]
    status, body = authed(backend, "PUT", "/collections/bad_input/points", {"points": [{"id": "not-a-uuid", "vector": [1, 2, 3]}]})
    assert status == 400 and "point ID" in body["status"]["error"]
    status, body = raw(backend.url, "POST", "/collections/bad_input/points/scroll", None, headers={"api-key": backend.api_key})
    assert status == 200  # an empty body is an empty request
    status, body = authed(backend, "POST", "/collections/bad_input/points/query", {"query": 12345})
    assert status == 404 and body["status"]["error"] == "Not found: No point with id 12345 found"
    client.delete_collection("bad_input")


# --- collections ------------------------------------------------------------------------------


def test_collection_lifecycle_and_info_parses(backend, client):
    name = "lifecycle"
    assert client.create_collection(name, vectors_config=models.VectorParams(size=DIM, distance=models.Distance.COSINE))
    assert client.collection_exists(name)
    assert name in [c.name for c in client.get_collections().collections]
    with pytest.raises(UnexpectedResponse) as e:
        client.create_collection(name, vectors_config=models.VectorParams(size=DIM, distance=models.Distance.COSINE))
    assert e.value.status_code == 409
    client.upsert(name, points=[models.PointStruct(id=i, vector=[float(i + 1)] * DIM) for i in range(5)])
    info = client.get_collection(name)  # qdrant-client's pydantic models parse it
    assert isinstance(info, models.CollectionInfo)
    assert info.status in (models.CollectionStatus.GREEN, models.CollectionStatus.GREY)
    assert info.optimizer_status == models.OptimizersStatusOneOf.OK
    assert info.points_count == 5
    assert info.segments_count >= 1
    assert info.indexed_vectors_count is not None
    assert isinstance(info.config.params.vectors, models.VectorParams)
    assert info.config.params.vectors.size == DIM
    assert info.config.params.vectors.distance == models.Distance.COSINE
    assert info.config.hnsw_config.m == 16 and info.config.hnsw_config.ef_construct == 100
    assert info.config.optimizer_config.indexing_threshold == 10000
    assert info.payload_schema == {}
    assert client.delete_collection(name) is True
    assert client.collection_exists(name) is False
    assert client.delete_collection(name) is False
    status, body = authed(backend, "PUT", "/collections/bad%2Fname", {"vectors": {"size": 2, "distance": "Dot"}})
    assert status == 422 and "error" in body["status"]


# --- points -----------------------------------------------------------------------------------


def test_upsert_and_scroll_pages(client):
    name = "scroll"
    _cosine_collection(client, name, n=250)
    seen, offset, pages = [], None, 0
    while True:
        points, offset = client.scroll(name, limit=100, offset=offset, with_payload=["i"], with_vectors=False)
        pages += 1
        for p in points:
            assert p.payload == {"i": p.id}
            assert p.vector is None
        seen += [p.id for p in points]
        if offset is None:
            break
    assert pages == 3 and sorted(seen) == list(range(250))
    points, _ = client.scroll(name, limit=3, with_payload=False, with_vectors=True)
    assert all(p.payload is None and len(p.vector) == DIM for p in points)
    points, _ = client.scroll(
        name,
        limit=1000,
        scroll_filter=models.Filter(must=[models.FieldCondition(key="tag", match=models.MatchValue(value="t1"))]),
    )
    assert sorted(p.id for p in points) == [i for i in range(250) if i % 3 == 1]
    points, _ = client.scroll(
        name,
        limit=1000,
        scroll_filter=models.Filter(
            must=[models.FieldCondition(key="even", match=models.MatchValue(value=True))],
            must_not=[models.HasIdCondition(has_id=[0, 2])],
        ),
    )
    assert sorted(p.id for p in points) == [i for i in range(4, 250, 2)]
    assert client.count(name).count == 250
    assert client.count(name, count_filter=models.Filter(must=[models.FieldCondition(key="i", range=models.Range(gte=200))])).count == 50


def test_query_by_vector_and_by_id(backend, client):
    name = "query"
    X = _cosine_collection(client, name, n=300)
    q = _vectors(1, seed=42)[0]
    res = client.query_points(name, query=q.tolist(), limit=10, with_payload=True).points
    expected = np.argsort(-_cos_scores(X, q))[:10]
    assert [p.id for p in res] == expected.tolist()
    assert [p.payload["i"] for p in res] == expected.tolist()
    np.testing.assert_allclose([p.score for p in res], _cos_scores(X, q)[expected], rtol=1e-5)
    # by id: the stored vector, without the point itself
    res = client.query_points(name, query=7, limit=5).points
    s = _cos_scores(X, X[7])
    s[7] = -np.inf
    assert [p.id for p in res] == np.argsort(-s)[:5].tolist()
    assert 7 not in [p.id for p in res]
    status, body = authed(backend, "POST", f"/collections/{name}/points/query", {"query": 7, "limit": 2})
    assert status == 200 and [set(p) for p in body["result"]["points"]] == [{"id", "version", "score"}] * 2
    # offset and limit
    res2 = client.query_points(name, query=7, limit=3, offset=2).points
    assert [p.id for p in res2] == np.argsort(-s)[2:5].tolist()
    # payload as a list of fields, and the nearest-query form
    res3 = client.query_points(name, query=models.NearestQuery(nearest=7), limit=2, with_payload=["tag"]).points
    assert all(set(p.payload) == {"tag"} for p in res3)


def test_query_batch_matches_single_queries(client):
    name = "batch"
    X = _cosine_collection(client, name, n=300, seed=3)
    reqs = [models.QueryRequest(query=i, limit=8, with_payload=False) for i in range(0, 300, 11)]
    reqs.append(models.QueryRequest(query=X[5].tolist(), limit=4, with_payload=["i"]))
    reqs.append(models.QueryRequest(query=12, limit=4, score_threshold=0.5))
    batch = client.query_batch_points(name, requests=reqs)
    assert len(batch) == len(reqs)
    for req, got in zip(reqs, batch):
        single = client.query_points(
            name, query=req.query, limit=req.limit, with_payload=req.with_payload, score_threshold=req.score_threshold
        ).points
        assert [p.id for p in got.points] == [p.id for p in single]
        if isinstance(req.query, int):
            assert req.query not in [p.id for p in got.points]
    assert batch[-2].points[0].id == 5 and batch[-2].points[0].payload == {"i": 5}
    assert all(p.score > 0.5 for p in batch[-1].points)


def test_set_payload_retrieve_delete(client):
    name = "payload"
    _cosine_collection(client, name, n=20)
    client.set_payload(name, payload={"dup_of": 3, "tags": ["a", "b"]}, points=[4, 5])
    recs = client.retrieve(name, ids=[4, 5, 6, 999], with_payload=True, with_vectors=True)
    assert sorted(r.id for r in recs) == [4, 5, 6]
    by_id = {r.id: r for r in recs}
    assert by_id[4].payload["dup_of"] == 3 and by_id[4].payload["i"] == 4  # merged, not replaced
    assert by_id[6].payload.get("dup_of") is None
    assert len(by_id[4].vector) == DIM
    client.set_payload(
        name, payload={"flag": True}, points=models.Filter(must=[models.FieldCondition(key="tag", match=models.MatchValue(value="t0"))])
    )
    flagged = models.Filter(must=[models.FieldCondition(key="flag", match=models.MatchValue(value=True))])
    assert client.count(name, count_filter=flagged).count == 7
    client.overwrite_payload(name, payload={"only": 1}, points=[7])
    assert client.retrieve(name, ids=[7])[0].payload == {"only": 1}
    client.delete_payload(name, keys=["tags"], points=[4])
    assert "tags" not in client.retrieve(name, ids=[4])[0].payload
    client.clear_payload(name, points_selector=models.PointIdsList(points=[5]))
    assert client.retrieve(name, ids=[5])[0].payload == {}
    res = client.delete(name, points_selector=models.PointIdsList(points=[1, 2, 3]), wait=True)
    assert res.status == models.UpdateStatus.COMPLETED
    assert client.count(name).count == 17
    from_15 = models.Filter(must=[models.FieldCondition(key="i", range=models.Range(gte=15))])
    client.delete(name, points_selector=models.FilterSelector(filter=from_15))
    assert client.count(name).count == 12
    assert client.retrieve(name, ids=[1, 2, 3]) == []
    client.create_payload_index(name, field_name="i", field_schema=models.PayloadSchemaType.INTEGER)
    info = client.get_collection(name)
    assert info.payload_schema["i"].data_type == models.PayloadSchemaType.INTEGER


def test_named_vectors(client):
    name = "named"
    client.create_collection(
        name,
        vectors_config={
            "image": models.VectorParams(size=4, distance=models.Distance.COSINE),
            "text": models.VectorParams(size=3, distance=models.Distance.EUCLID),
        },
    )
    rng = np.random.default_rng(5)
    A, B = rng.standard_normal((50, 4)), rng.standard_normal((50, 3))
    client.upsert(name, points=[models.PointStruct(id=i, vector={"image": A[i].tolist(), "text": B[i].tolist()}) for i in range(50)])
    info = client.get_collection(name)
    assert set(info.config.params.vectors) == {"image", "text"}
    assert info.config.params.vectors["text"].distance == models.Distance.EUCLID
    res = client.query_points(name, query=B[0].tolist(), using="text", limit=3).points
    d = np.linalg.norm(B - B[0], axis=1)
    assert [p.id for p in res] == np.argsort(d)[:3].tolist()
    assert res[0].score == pytest.approx(0.0, abs=1e-5)
    res = client.query_points(name, query=0, using="text", limit=3).points
    assert [p.id for p in res] == np.argsort(d)[1:4].tolist()
    np.testing.assert_allclose([p.score for p in res], np.sort(d)[1:4], rtol=1e-4)
    res = client.query_points(name, query=0, using="image", limit=3).points
    assert [p.id for p in res] == np.argsort(-_cos_scores(A, A[0]))[1:4].tolist()
    batch = client.query_batch_points(
        name, [models.QueryRequest(query=1, using="image", limit=2), models.QueryRequest(query=1, using="text", limit=2)]
    )
    assert all(1 not in [p.id for p in r.points] for r in batch)
    rec = client.retrieve(name, ids=[3], with_vectors=["text"])[0]
    assert set(rec.vector) == {"text"}
    with pytest.raises(UnexpectedResponse) as e:
        client.query_points(name, query=0, using="nope", limit=3)
    assert e.value.status_code == 400


def test_uuid_ids_come_back_canonical(client):
    name = "uuids"
    client.create_collection(name, vectors_config=models.VectorParams(size=2, distance=models.Distance.DOT))
    u = [uuid.uuid4() for _ in range(3)]
    ids_in = [str(u[0]).upper(), u[1].hex, "{" + str(u[2]) + "}"]
    points = [models.PointStruct(id=i, vector=[1.0, float(k)]) for k, i in enumerate(ids_in)]
    client.upsert(name, points=points + [models.PointStruct(id=10, vector=[1.0, 10.0])])
    points, _ = client.scroll(name, limit=10)
    assert sorted(str(p.id) for p in points) == sorted([str(x) for x in u] + ["10"])
    res = client.query_points(name, query=str(u[1]).upper(), limit=10).points
    assert str(u[1]) not in [p.id for p in res]
    assert set(p.id for p in res) == {str(u[0]), str(u[2]), 10}
    assert client.retrieve(name, ids=[u[2].hex])[0].id == str(u[2])


def test_scroll_gives_every_stored_float32_back_exactly(client, backend):
    """Scroll writes vectors as each float32's shortest text (limits.floats_json), not Python's
    17 digits for the doubles: each value must still read back as the very float32 stored, and
    as a float (never an int: 1.0, -0.0), for plain and named vectors alike."""
    rng = np.random.default_rng(4)
    X = rng.standard_normal((20, 8)).astype(np.float32)
    X[0] = [1.0, -0.0, 1e-45, 3.4028235e38, -1.0, 0.5, 2.0, 0.1]
    client.create_collection("exact-out", vectors_config=models.VectorParams(size=8, distance=models.Distance.EUCLID))
    client.upsert("exact-out", points=[models.PointStruct(id=i, vector=X[i].tolist()) for i in range(20)])
    client.create_collection("exact-out-named", vectors_config={"a": models.VectorParams(size=8, distance=models.Distance.DOT)})
    client.upsert("exact-out-named", points=[models.PointStruct(id=i, vector={"a": X[i].tolist()}) for i in range(20)])
    for name, named in (("exact-out", False), ("exact-out-named", True)):
        status, body = authed(
            backend, "POST", f"/collections/{name}/points/scroll", {"limit": 100, "with_vector": True, "with_payload": False}
        )
        assert status == 200
        points = sorted(body["result"]["points"], key=lambda p: p["id"])
        assert len(points) == 20 and body["result"]["next_page_offset"] is None
        for p in points:
            v = p["vector"]["a"] if named else p["vector"]
            assert all(isinstance(x, float) for x in v), v
            assert np.array_equal(np.asarray(v, dtype=np.float32), X[p["id"]]), (v, X[p["id"]])
    # The Python client reads them the same.
    got = {p.id: p.vector for p in client.scroll("exact-out", limit=100, with_vectors=True)[0]}
    assert all(np.array_equal(np.asarray(got[i], dtype=np.float32), X[i]) for i in range(20))


# --- semantics the scan relies on -----------------------------------------------------------------


def test_cosine_vectors_are_normalised_on_upsert(client):
    name = "normalised"
    client.create_collection(name, vectors_config=models.VectorParams(size=3, distance=models.Distance.COSINE))
    client.upsert(name, points=[models.PointStruct(id=1, vector=[3.0, 4.0, 12.0])])
    v = client.retrieve(name, ids=[1], with_vectors=True)[0].vector
    assert math.sqrt(sum(x * x for x in v)) == pytest.approx(1.0, abs=1e-6)
    np.testing.assert_allclose(v, [3 / 13, 4 / 13, 12 / 13], rtol=1e-6)


def test_score_threshold_is_strict_for_cosine(client):
    name = "thr_cos"
    X = _cosine_collection(client, name, n=100, seed=9)
    full = client.query_points(name, query=0, limit=10).points
    cut = full[3].score
    res = client.query_points(name, query=0, limit=10, score_threshold=cut).points
    assert [p.id for p in res] == [p.id for p in full[:3]]
    assert all(p.score > cut for p in res)
    res = client.query_batch_points(name, [models.QueryRequest(query=0, limit=10, score_threshold=cut)])[0].points
    assert [p.id for p in res] == [p.id for p in full[:3]]
    assert X is not None


def test_score_threshold_is_strict_for_euclid(client):
    name = "thr_euclid"
    client.create_collection(name, vectors_config=models.VectorParams(size=2, distance=models.Distance.EUCLID))
    # distances from point 0 are exactly 5, 10, 13
    pts = {0: [0.0, 0.0], 1: [3.0, 4.0], 2: [6.0, 8.0], 3: [5.0, 12.0]}
    client.upsert(name, points=[models.PointStruct(id=k, vector=v) for k, v in pts.items()])
    res = client.query_points(name, query=0, limit=10).points
    assert [(p.id, p.score) for p in res] == [(1, 5.0), (2, 10.0), (3, 13.0)]
    res = client.query_points(name, query=0, limit=10, score_threshold=10.0).points
    assert [p.id for p in res] == [1]  # distance < 10, strictly
    res = client.query_batch_points(name, [models.QueryRequest(query=0, limit=10, score_threshold=13.0)])[0].points
    assert [p.id for p in res] == [1, 2]


def test_indexed_collection_exact_and_hnsw_ef(backend, client):
    """A query/batch starts the background index build and is answered meanwhile; once the
    index is swapped in, exact/hnsw_ef pass through and the threshold stays strict."""
    name = "indexed"
    client.create_collection(
        name,
        vectors_config=models.VectorParams(size=16, distance=models.Distance.COSINE),
        optimizers_config=models.OptimizersConfigDiff(indexing_threshold=20),  # KB: index even this small collection
        hnsw_config=models.HnswConfigDiff(m=8, ef_construct=32),
    )
    X = _vectors(3000, dim=16, seed=11)
    client.upsert(name, points=models.Batch(ids=list(range(3000)), vectors=X.tolist()))
    assert client.get_collection(name).status in (models.CollectionStatus.GREY, models.CollectionStatus.YELLOW)  # index pending
    s = _cos_scores(X, X[1])
    s[1] = -np.inf
    top = np.argsort(-s)[:20]
    first = client.query_batch_points(name, [models.QueryRequest(query=1, limit=5, params=models.SearchParams(exact=True))])
    assert [p.id for p in first[0].points] == top[:5].tolist()  # answered (exactly) while building
    assert client.get_collection(name).status in (models.CollectionStatus.YELLOW, models.CollectionStatus.GREEN)
    deadline = time.monotonic() + 60
    while (info := client.get_collection(name)).status != models.CollectionStatus.GREEN:
        assert time.monotonic() < deadline, info.status
        time.sleep(0.1)
    assert info.indexed_vectors_count >= 2900 and info.points_count == 3000
    assert info.config.hnsw_config.m == 8
    res = client.query_points(name, query=1, limit=20, search_params=models.SearchParams(exact=True)).points
    assert [p.id for p in res] == top.tolist()
    res_ef = client.query_points(name, query=1, limit=20, search_params=models.SearchParams(hnsw_ef=256)).points
    assert len(set(p.id for p in res_ef) & set(top.tolist())) >= 18
    batch = client.query_batch_points(
        name, [models.QueryRequest(query=1, limit=20, score_threshold=res[4].score, params=models.SearchParams(exact=True))]
    )[0].points
    assert [p.id for p in batch] == top[:4].tolist()
    assert all(p.score > res[4].score for p in batch)


def test_an_idle_backend_builds_the_index_by_itself(client):
    name = "idle_build"
    client.create_collection(
        name,
        vectors_config=models.VectorParams(size=16, distance=models.Distance.DOT),
        optimizers_config=models.OptimizersConfigDiff(indexing_threshold=20),
    )
    client.upsert(name, points=models.Batch(ids=list(range(2000)), vectors=_vectors(2000, dim=16, seed=4).tolist()))
    assert client.get_collection(name).status in (models.CollectionStatus.GREY, models.CollectionStatus.YELLOW)
    deadline = time.monotonic() + 60
    while (info := client.get_collection(name)).status != models.CollectionStatus.GREEN:
        assert time.monotonic() < deadline, info.status
        time.sleep(0.25)
    assert info.indexed_vectors_count >= 1900
