"""The proxy's read-only guard cannot be walked around (issue 11, item 1).

Every Qdrant write route, dressed in every encoding trick, is sent byte for byte to a
Jupyter server whose remote Qdrant is a recording stand-in: nothing may reach it. Reads
on odd collection names reach it with exactly the path that was judged. Whether a
recorded request is a write is decided here from Qdrant's route table, not by the guard.
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote, unquote

import pytest
from recording_upstream import UPSTREAM_KEY, send_raw

# Qdrant 1.18's REST routes that change something ({c}: a collection).
WRITE_ROUTES = [
    ("PUT", "collections/{c}/points"),  # upsert
    ("POST", "collections/{c}/points/delete"),
    ("POST", "collections/{c}/points/payload"),  # set payload
    ("PUT", "collections/{c}/points/payload"),  # overwrite payload
    ("POST", "collections/{c}/points/payload/delete"),
    ("POST", "collections/{c}/points/payload/clear"),
    ("PUT", "collections/{c}/points/vectors"),
    ("POST", "collections/{c}/points/vectors/delete"),
    ("POST", "collections/{c}/points/batch"),
    ("PUT", "collections/{c}/index"),
    ("DELETE", "collections/{c}/index/{f}"),
    ("PUT", "collections/{c}"),
    ("PATCH", "collections/{c}"),
    ("DELETE", "collections/{c}"),
    ("POST", "collections/aliases"),
    ("POST", "collections/{c}/snapshots"),
    ("DELETE", "collections/{c}/snapshots/{f}"),
    ("POST", "collections/{c}/snapshots/upload"),
    ("PUT", "collections/{c}/snapshots/recover"),
    ("POST", "collections/{c}/shards/{f}/snapshots/upload"),
    ("PUT", "collections/{c}/shards/{f}/snapshots/recover"),
    ("POST", "snapshots"),
    ("DELETE", "snapshots/{f}"),
    ("PUT", "collections/{c}/shards"),
    ("POST", "collections/{c}/shards/delete"),
    ("POST", "collections/{c}/cluster"),
    ("DELETE", "cluster/peer/{f}"),
    ("POST", "cluster/recover"),
    ("PUT", "cluster/metadata/keys/{f}"),
    ("DELETE", "cluster/metadata/keys/{f}"),
]


def _concrete(path: str) -> str:
    return path.replace("{c}", "photos").replace("{f}", "x1")


def _tricks(method: str, path: str) -> list[tuple[str, str]]:
    """(label, raw target after the proxy prefix) for one write route."""
    p = _concrete(path)
    stuffed = p.replace("/", "%2F")
    tricks = [
        ("plain", f"/{p}"),
        ("trailing slash", f"/{p}/"),
        ("double slash inside", "/" + p.replace("/", "//", 1) if "/" in p else f"/{p}//"),
        ("leading double slash", f"//{p}"),
        ("mixed case", "/" + "".join(c.upper() if i % 2 else c for i, c in enumerate(p))),
        ("raw dot segments", f"/collections/photos/points/scroll/../../../../{p}"),
        ("encoded dot segments", f"/collections/photos/points/scroll/%2E%2E/%2e%2E/%2E%2e/%2e%2e/{p}"),
        ("encoded single dots", f"/%2E/{p}"),
        ("stray percent", f"/{p}%"),
        ("percent with no hex", f"/{p}%zz/points/scroll"),
        ("percent-encoded invalid UTF-8", f"/collections/%C3%28/points/scroll/../../../{p}"),
        ("encoded control character", f"/collections/photos%0A/points/scroll/../../../{p}"),
        ("raw non-ASCII", f"/collections/\u00e9/points/scroll/../../../{p}"),
        ("query string", f"/{p}?wait=true"),
        ("query smuggling a path", f"/collections/photos/points/scroll?x=/../../{p}"),
        ("encoded ? in the query name", f"/collections/photos/points/scroll?%3F{stuffed}=1"),
        ("query parameter of writes on a read", "/collections/photos/points/scroll?wait=true"),
        ("the same parameter twice", "/collections/photos/points/scroll?timeout=1&timeout=2"),
    ]
    if "/" in p:  # the route itself stuffed into one name segment
        tricks += [
            ("encoded slash as a name, cut by ?", f"/collections/{stuffed}%3F/points/scroll"),
            ("lower-case encoded slash, cut by #", f"/collections/{stuffed.replace('%2F', '%2f')}%23/points/scroll"),
            ("encoded slash before a read", f"/{stuffed}%2Fpoints%2Fscroll"),
            ("encoded backslash", f"/collections/{p.replace('/', '%5C')}/points/scroll"),
        ]
    return tricks




def _is_qdrant_write(method: str, target: str) -> bool:
    """Whether Qdrant's router would run a write for this raw target: its path is cut
    at the first raw '?', split on raw '/', and each segment decoded."""
    path = target.split("?", 1)[0].split("#", 1)[0].strip("/")
    segments = [unquote(s) for s in path.split("/")] if path else []
    for write_method, route in WRITE_ROUTES:
        pattern = route.split("/")
        if method == write_method and len(pattern) == len(segments) and all(
            want.startswith("{") or want == got for want, got in zip(pattern, segments)
        ):
            return True
    return False


@pytest.fixture
def jp_server_config(recording_upstream):
    return {
        "ServerApp": {"jpserver_extensions": {"jupyterlab_near_duplicates": True}},
        "NearDuplicates": {"qdrant_url": recording_upstream.url, "qdrant_api_key": UPSTREAM_KEY},
    }


@pytest.fixture
def proxy(jp_fetch, jp_http_port, jp_base_url, jp_auth_header):
    """``await proxy(method, target)`` sends a raw request to the Qdrant proxy."""
    prefix = jp_base_url.rstrip("/") + "/near-duplicates/qdrant"

    async def send(method, target, body=b"{}"):
        return await send_raw(
            jp_http_port, method, prefix + target,
            headers={**jp_auth_header, "Content-Type": "application/json"},
            body=body if method in ("POST", "PUT", "PATCH") else b"",
        )

    return send


@pytest.mark.parametrize("method, path", WRITE_ROUTES, ids=[f"{m} {p}" for m, p in WRITE_ROUTES])
async def test_a_write_route_in_any_disguise_reaches_nothing(proxy, recording_upstream, method, path):
    # One server per route, every trick against it (a server per trick takes minutes).
    failures = []
    for label, target in _tricks(method, path):
        status, body = await proxy(method, target)
        if status not in (400, 403) or not json.loads(body)["status"]["error"]:
            failures.append(f"{label}: {method} {target} answered {status} {body[:200]!r}")
        if recording_upstream.requests:
            failures.append(f"{label}: {method} {target} reached Qdrant as {recording_upstream.requests}")
            recording_upstream.requests.clear()
    assert failures == []


@pytest.mark.parametrize(
    "method, target, forwarded",
    [
        # A name holding '?' or '#' is a name: Qdrant gets it encoded, so its router still
        # sees a scroll, never POST /collections/aliases.
        ("POST", "/collections/aliases%3F/points/scroll", "/collections/aliases%3F/points/scroll"),
        ("POST", "/collections/aliases%23/points/scroll", "/collections/aliases%23/points/scroll"),
        ("POST", "/collections/photos%23/points", "/collections/photos%23/points"),
        # Decoded once, a double-encoded slash is a literal '%2F' in a name.
        (
            "POST",
            "/collections/photos%252Fpoints%252Fdelete%253F/points/scroll",
            "/collections/photos%252Fpoints%252Fdelete%253F/points/scroll",
        ),
        # Percent-escaped letters of a route word are that word.
        ("POST", "/collections/photos/points/%73croll", "/collections/photos/points/scroll"),
    ],
)
async def test_a_disguise_that_is_a_read_reaches_qdrant_as_exactly_that_read(
    proxy, recording_upstream, method, target, forwarded
):
    status, _ = await proxy(method, target)
    assert status == 200
    [seen] = recording_upstream.requests
    assert (seen.method, seen.target) == (method, forwarded)
    assert not _is_qdrant_write(seen.method, seen.target)


ODD_NAMES = ["my photos", "фото", "a#b", "a%41", "x+y", "a?b", "~x.y", "semi;colon", "..."]


READ_ROUTES = [
    ("GET", "collections/{c}"),
    ("GET", "collections/{c}/exists"),
    ("POST", "collections/{c}/points"),
    ("POST", "collections/{c}/points/scroll"),
    ("POST", "collections/{c}/points/count"),
    ("POST", "collections/{c}/points/query"),
    ("POST", "collections/{c}/points/query/batch"),
    ("POST", "collections/{c}/points/search/batch"),
]


@pytest.mark.parametrize("name", ODD_NAMES)
async def test_reads_on_odd_names_reach_qdrant_with_each_segment_encoded(proxy, recording_upstream, name):
    encoded = quote(name, safe="")  # what encodeURIComponent sends, '~' aside
    for method, route in READ_ROUTES:
        recording_upstream.requests.clear()
        target = "/" + route.replace("{c}", encoded)
        status, body = await proxy(method, target + "?timeout=30")
        assert status == 200, (method, target, body)
        [seen] = recording_upstream.requests
        assert seen.method == method
        assert seen.target == target + "?timeout=30"
        # Qdrant's reading of that target is the collection that was asked for.
        assert unquote(seen.target.split("/")[2].split("?")[0]) == name
        assert seen.headers.get("Api-Key") == UPSTREAM_KEY
        assert "Authorization" not in seen.headers and "Cookie" not in seen.headers


@pytest.mark.parametrize(
    "sent, forwarded",
    [
        ("/collections/x+y/points/scroll", "/collections/x%2By/points/scroll"),  # '+' is literal in a path
        ("/collections/a%2541/points/scroll", "/collections/a%2541/points/scroll"),
        ("/collections/my%20photos/points/scroll", "/collections/my%20photos/points/scroll"),
        ("/collections/%D1%84%D0%BE%D1%82%D0%BE/points/scroll", "/collections/%D1%84%D0%BE%D1%82%D0%BE/points/scroll"),
        ("/collections/a%23b/points/scroll?consistency=majority", "/collections/a%23b/points/scroll?consistency=majority"),
    ],
)
async def test_the_upstream_receives_exactly_the_path_that_was_judged(
    proxy, recording_upstream, sent, forwarded
):
    status, _ = await proxy("POST", sent)
    assert status == 200
    assert [r.target for r in recording_upstream.requests] == [forwarded]


@pytest.mark.parametrize("target", ["", "/"])
async def test_the_root_stays_reachable_for_the_clients_version_check(proxy, recording_upstream, target):
    status, body = await proxy("GET", target)
    assert status == 200
    assert json.loads(body)["version"]
    assert [r.target for r in recording_upstream.requests] == ["/"]


async def test_a_refusal_says_what_was_wrong_and_what_to_send(proxy, recording_upstream):
    status, body = await proxy("POST", "/collections/a%2Fb/points/scroll")
    assert status == 400
    assert "encoded slash" in json.loads(body)["status"]["error"]
    status, body = await proxy("POST", "/collections/a%zz/points/scroll")
    assert "%25" in json.loads(body)["status"]["error"]
    status, body = await proxy("DELETE", "/collections/photos")
    assert status == 403
    assert "allow_writes" in json.loads(body)["status"]["error"]
    assert not re.search(UPSTREAM_KEY, body.decode())
    assert recording_upstream.requests == []


def test_the_guard_rules_on_their_own():
    """The parsing rules, without a server (plain functions)."""
    from jupyterlab_near_duplicates.server.guard import (
        RefusedRequest,
        encode_path,
        is_read,
        judge_query,
        parse_path,
    )

    assert parse_path("/collections/a%23b/points/scroll") == ("collections", "a#b", "points", "scroll")
    assert parse_path("/collections/x+y") == ("collections", "x+y")
    assert encode_path(("collections", "my photos", "a%41")) == "collections/my%20photos/a%2541"
    assert is_read("POST", ("collections", "aliases?", "points", "scroll"))
    assert not is_read("POST", ("collections", "aliases"))
    assert not is_read("GET", ("collections", "photos", "points", "scroll"))
    for bad in ("/a//b", "/a/", "/a/%2F", "/a/%2e%2E", "/a/.", "/a/%", "/a/%G1", "/a/%FF", "/a/%0A", "/a/\u00e9", "/a#b"):
        with pytest.raises(RefusedRequest):
            parse_path(bad)
    assert judge_query("timeout=30&consistency=majority", read_only=True) == "timeout=30&consistency=majority"
    assert judge_query("wait=true", read_only=False) == "wait=true"
    for bad in ("wait=true", "timeout", "timeout=1&timeout=2", "timeout=%zz", "timeout=a%2Fb", "x=1"):
        with pytest.raises(RefusedRequest):
            judge_query(bad, read_only=True)
