"""Caps on the work one request may ask, and values the embedded backend refuses.

Real REST app and real engine, in this process (``InProcessBackend``) so that a test can
lower the byte caps instead of sending 256 MB.
"""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

import numpy as np
import pytest
from embedded_fixtures import InProcessBackend, make_client, raw
from qdrant_client import models
from qdrant_client.http.exceptions import UnexpectedResponse

from jupyterlab_near_duplicates.embedded import limits

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def be(tmp_path_factory):
    b = InProcessBackend(str(tmp_path_factory.mktemp("nd-limits") / "data"))
    yield b
    b.stop()


def call(be, method: str, path: str, body=None):
    return raw(be.url, method, path, body, headers={"api-key": be.api_key})


def send_bytes(be, method: str, path: str, data: bytes, headers: dict | None = None):
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", be.port, timeout=120)
    try:
        conn.request(method, path, body=data, headers={"api-key": be.api_key, "Content-Type": "application/json", **(headers or {})})
        resp = conn.getresponse()
        text = resp.read()
        return resp.status, (json.loads(text) if text else None)
    finally:
        conn.close()


def error_of(body) -> str:
    return body["status"]["error"]


@pytest.fixture(scope="module")
def coll(be):
    name = "caps"
    assert call(be, "PUT", f"/collections/{name}", {"vectors": {"size": 4, "distance": "Cosine"}})[0] == 200
    rng = np.random.default_rng(0)
    pts = [{"id": i, "vector": rng.standard_normal(4).tolist(), "payload": {"i": i, "text": "x" * 40}} for i in range(50)]
    assert call(be, "PUT", f"/collections/{name}/points?wait=true", {"points": pts})[0] == 200
    return name


def _count(be, coll) -> int:
    return call(be, "POST", f"/collections/{coll}/points/count", {"exact": True})[1]["result"]["count"]


# --- the caps stay above what the product's own scan sends ------------------------------


def test_caps_leave_room_for_the_largest_scan_the_panel_can_configure():
    panel = json.loads((ROOT / "schema" / "panel.json").read_text())["properties"]
    scanner = (ROOT / "src" / "scan" / "scanner.ts").read_text()
    max_batch = panel["batchSize"]["maximum"]
    max_page = max(int(re.search(r"const MAX_PAGE = (\d+);", scanner).group(1)), panel["neighboursPerQuery"]["maximum"])
    check_page = int(re.search(r"const CHECK_MAX_GROUP = (\d+);", scanner).group(1))  # limit of a pair check
    assert limits.MAX_SEARCHES_PER_BATCH >= 2 * max_batch
    assert limits.MAX_QUERY_WINDOW >= 10 * max(max_page, check_page)
    assert limits.MAX_BATCH_WINDOW >= 2 * max_batch * max(max_page, check_page)
    types = (ROOT / "src" / "scan" / "types.ts").read_text()
    list_page = int(re.search(r"listPageSize: (\d+),", types).group(1))  # SCAN_DEFAULTS
    assert limits.MAX_SCROLL_LIMIT >= 10 * list_page


# --- searches per batch, limit, offset + limit ------------------------------------------


def test_a_batch_at_the_searches_cap_is_answered_and_one_more_is_refused(be, coll):
    n = limits.MAX_SEARCHES_PER_BATCH
    searches = [{"query": i % 50, "limit": 1} for i in range(n)]
    status, body = call(be, "POST", f"/collections/{coll}/points/query/batch", {"searches": searches})
    assert status == 200 and len(body["result"]) == n and all(len(r["points"]) == 1 for r in body["result"])
    status, body = call(be, "POST", f"/collections/{coll}/points/query/batch", {"searches": searches + [{"query": 0}]})
    assert status == 400
    assert f"{n:,}" in error_of(body) and "smaller batches" in error_of(body)


def test_the_sum_of_windows_of_a_batch_is_capped(be, coll):
    per = limits.MAX_BATCH_WINDOW // limits.MAX_SEARCHES_PER_BATCH
    searches = [{"query": i % 50, "limit": per, "score_threshold": 0.9999} for i in range(limits.MAX_SEARCHES_PER_BATCH)]
    status, body = call(be, "POST", f"/collections/{coll}/points/query/batch", {"searches": searches})
    assert status == 200 and len(body["result"]) == limits.MAX_SEARCHES_PER_BATCH
    searches[-1]["limit"] = per + 1
    status, body = call(be, "POST", f"/collections/{coll}/points/query/batch", {"searches": searches})
    assert status == 400 and "sum of offset + limit" in error_of(body) and f"{limits.MAX_BATCH_WINDOW:,}" in error_of(body)


@pytest.mark.parametrize("query", [3, [0.1, 0.2, 0.3, 0.4]], ids=["by-id", "by-vector"])
def test_limit_and_offset_plus_limit_are_capped(be, coll, query):
    cap = limits.MAX_QUERY_WINDOW
    status, body = call(be, "POST", f"/collections/{coll}/points/query", {"query": query, "limit": cap})
    assert status == 200 and len(body["result"]["points"]) >= 49
    status, body = call(be, "POST", f"/collections/{coll}/points/query", {"query": query, "limit": cap + 1})
    assert status == 400 and "limit" in error_of(body) and f"{cap:,}" in error_of(body)
    status, body = call(be, "POST", f"/collections/{coll}/points/query", {"query": query, "limit": cap - 10, "offset": 10})
    assert status == 200
    status, body = call(be, "POST", f"/collections/{coll}/points/query", {"query": query, "limit": cap - 10, "offset": 11})
    assert status == 400 and "offset + limit" in error_of(body)
    # inside a batch too
    status, body = call(be, "POST", f"/collections/{coll}/points/query/batch", {"searches": [{"query": query, "limit": cap + 1}]})
    assert status == 400 and f"{cap:,}" in error_of(body)


def test_scroll_page_and_retrieved_ids_are_capped(be, coll):
    status, body = call(be, "POST", f"/collections/{coll}/points/scroll", {"limit": limits.MAX_SCROLL_LIMIT})
    assert status == 200 and len(body["result"]["points"]) == 50
    status, body = call(be, "POST", f"/collections/{coll}/points/scroll", {"limit": limits.MAX_SCROLL_LIMIT + 1})
    assert status == 400 and "next_page_offset" in error_of(body)
    ids = list(range(limits.MAX_RETRIEVE_IDS))
    status, body = call(be, "POST", f"/collections/{coll}/points", {"ids": ids})
    assert status == 200 and len(body["result"]) == 50
    status, body = call(be, "POST", f"/collections/{coll}/points", {"ids": ids + [10**9]})
    assert status == 400 and "smaller batches" in error_of(body)


# --- response and body size ---------------------------------------------------------------


def test_a_response_over_the_size_cap_is_413_naming_the_cap(be, coll, monkeypatch):
    searches = {"searches": [{"query": i, "limit": 49, "with_payload": True} for i in range(50)]}
    status, body = call(be, "POST", f"/collections/{coll}/points/query/batch", searches)
    assert status == 200
    answer = len(json.dumps(body["result"], separators=(",", ":"), ensure_ascii=False).encode())
    monkeypatch.setattr(limits, "MAX_RESPONSE_BYTES", answer + 200)  # room for the envelope
    assert call(be, "POST", f"/collections/{coll}/points/query/batch", searches)[0] == 200
    monkeypatch.setattr(limits, "MAX_RESPONSE_BYTES", answer - 1)
    status, body = call(be, "POST", f"/collections/{coll}/points/query/batch", searches)
    assert status == 413 and "Payload too large" in error_of(body) and "fewer searches" in error_of(body)
    # any route: a scroll page (50 points with payloads: some 4 KB)
    monkeypatch.setattr(limits, "MAX_RESPONSE_BYTES", 1000)
    status, body = call(be, "POST", f"/collections/{coll}/points/scroll", {"limit": 50})
    assert status == 413 and "fewer points" in error_of(body)


def test_a_body_over_the_size_cap_is_413_naming_the_cap(be, coll, monkeypatch):
    monkeypatch.setattr(limits, "MAX_BODY_BYTES", 10_000)
    doc = json.dumps({"limit": 3}).encode()
    at_cap = doc + b" " * (10_000 - len(doc))
    status, body = send_bytes(be, "POST", f"/collections/{coll}/points/scroll", at_cap)
    assert status == 200 and len(body["result"]["points"]) == 3
    status, body = send_bytes(be, "POST", f"/collections/{coll}/points/scroll", at_cap + b" ")
    assert status == 413 and "10,000" in error_of(body) and "smaller batches" in error_of(body)


def test_an_announced_oversized_body_is_refused_before_it_is_sent(be, coll):
    with socket.create_connection(("127.0.0.1", be.port), timeout=30) as s:
        s.sendall(
            f"PUT /collections/{coll}/points HTTP/1.1\r\nHost: x\r\napi-key: {be.api_key}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {limits.MAX_BODY_BYTES + 1}\r\n\r\n".encode()
        )
        reply = b""
        while b"\r\n\r\n" not in reply or not reply.rstrip().endswith(b"}"):
            chunk = s.recv(65536)
            if not chunk:
                break
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 413")
    assert b"Payload too large" in reply and f"{limits.MAX_BODY_BYTES:,}".encode() in reply


# --- bad values ---------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "-Infinity", "1e39"])
def test_non_finite_vectors_are_refused_naming_the_point(be, coll, bad):
    before = _count(be, coll)
    data = ('{"points":[{"id":1000,"vector":[1,0,0,0]},{"id":1001,"vector":[0.5,%s,0,0]}]}' % bad).encode()
    status, body = send_bytes(be, "PUT", f"/collections/{coll}/points?wait=true", data)
    assert status == 400 and "point 1001" in error_of(body) and "NaN" in error_of(body)
    assert _count(be, coll) == before  # nothing half-written
    data = ('{"batch":{"ids":[2000,2001],"vectors":[[1,0,0,0],[%s,0,0,1]]}}' % bad).encode()
    status, body = send_bytes(be, "PUT", f"/collections/{coll}/points?wait=true", data)
    assert status == 400 and "point 2001" in error_of(body)
    data = ('{"query":[%s,0,0,1]}' % bad).encode()
    status, body = send_bytes(be, "POST", f"/collections/{coll}/points/query", data)
    assert status == 400 and "query vector" in error_of(body)


def test_qdrant_client_gets_a_400_for_a_nan_vector(be, coll):
    c = make_client(be.url, be.api_key)
    try:
        with pytest.raises(UnexpectedResponse) as e:
            c.upsert(coll, points=[models.PointStruct(id=77, vector=[float("nan"), 0.0, 0.0, 1.0])])
        assert e.value.status_code == 400 and "point 77" in str(e.value)
        assert c.retrieve(coll, [77]) == []
    finally:
        c.close()


@pytest.mark.parametrize(
    "field, text", [("limit", "1e400"), ("limit", str(2**64)), ("offset", "1e400"), ("limit", "-1e400"), ("limit", "2.5")]
)
def test_absurd_numbers_are_400_not_500(be, coll, field, text):
    data = ('{"query":[1,0,0,0],"%s":%s}' % (field, text)).encode()
    status, body = send_bytes(be, "POST", f"/collections/{coll}/points/query", data)
    assert status in (400, 422), body
    assert field in error_of(body)


def test_absurd_search_params_are_client_errors(be, coll):
    for data in (b'{"query":[1,0,0,0],"params":{"hnsw_ef":%d}}' % 2**64, b'{"query":[1,0,0,0],"params":{"hnsw_ef":1e400}}'):
        status, body = send_bytes(be, "POST", f"/collections/{coll}/points/query", data)
        assert status in (400, 422) and "hnsw_ef" in error_of(body)


def test_deeply_nested_json_is_400(be, coll):
    status, body = send_bytes(be, "POST", f"/collections/{coll}/points/scroll", b"[" * 100_000 + b"]" * 100_000)
    assert status == 400 and "nested too deeply" in error_of(body)
    # parses (900 levels), but too deep for the filter's conversion
    flt = '{"must":[' * 450 + '{"key":"i","match":{"value":1}}' + "]}" * 450
    status, body = send_bytes(be, "POST", f"/collections/{coll}/points/scroll", ('{"filter":%s}' % flt).encode())
    assert status == 400 and "nested too deeply" in error_of(body)


def _nested(depth: int) -> dict:
    """A payload nested ``depth`` levels deep (the payload object itself is level 1)."""
    v: object = 1
    for _ in range(depth - 1):
        v = {"a": v}
    return {"x": v} if depth > 1 else {"x": 1}


def test_payload_depth_is_capped_where_the_engine_can_still_read_it_back(be, coll):
    d = limits.MAX_PAYLOAD_DEPTH
    upsert = f"/collections/{coll}/points?wait=true"
    assert call(be, "PUT", upsert, {"points": [{"id": 500, "vector": [1, 0, 0, 0], "payload": _nested(d)}]})[0] == 200
    status, body = call(be, "POST", f"/collections/{coll}/points", {"ids": [500]})
    assert status == 200 and body["result"][0]["payload"] == _nested(d)
    status, body = call(be, "PUT", upsert, {"points": [{"id": 501, "vector": [1, 0, 0, 0], "payload": _nested(d + 1)}]})
    assert status == 400 and "point 501" in error_of(body) and f"at most {d}" in error_of(body)
    set_payload = f"/collections/{coll}/points/payload?wait=true"
    status, body = call(be, "POST", set_payload, {"payload": _nested(d), "points": [1], "key": "deeper"})
    assert status == 400 and "nested" in error_of(body)
    # the collection stays readable from end to end (a deeper payload made every scroll fail)
    status, body = call(be, "POST", f"/collections/{coll}/points/scroll", {"limit": 1000})
    assert status == 200 and 501 not in [p["id"] for p in body["result"]["points"]]
    assert call(be, "POST", f"/collections/{coll}/points/delete?wait=true", {"points": [500]})[0] == 200
