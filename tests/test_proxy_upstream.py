"""What the proxy and the backend route do when Qdrant is slow, busy, huge or not Qdrant
(issue 11, item 5), against a controllable stand-in on loopback."""

from __future__ import annotations

import asyncio
import json

import pytest
from recording_upstream import UPSTREAM_KEY
from tornado.httpclient import HTTPClientError

from jupyterlab_near_duplicates.server import upstream as upstream_module


@pytest.fixture
def jp_server_config(recording_upstream):
    return {
        "ServerApp": {"jpserver_extensions": {"jupyterlab_near_duplicates": True}},
        "NearDuplicates": {"qdrant_url": recording_upstream.url, "qdrant_api_key": UPSTREAM_KEY},
    }


def _scroll(jp_fetch, name="photos", **kwargs):
    return jp_fetch(
        "near-duplicates", "qdrant", "collections", name, "points", "scroll",
        method="POST", body=json.dumps({"limit": 1}), **kwargs,
    )


async def _until(condition, timeout_s=30.0):
    async def poll():
        while not condition():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), timeout_s)


async def _error_of(call):
    with pytest.raises(HTTPClientError) as raised:
        await call
    return raised.value.code, json.loads(raised.value.response.body)["status"]["error"], raised.value.response


async def test_a_full_connection_pool_answers_busy_503_and_the_slow_call_still_finishes(
    jp_fetch, jp_serverapp, recording_upstream
):
    upstream = jp_serverapp.web_app.settings["near_duplicates_upstream"]
    upstream.max_connections, upstream.queue_timeout_s = 1, 0.5
    release = asyncio.Event()

    async def slow_then_ok(handler):
        if len(recording_upstream.requests) == 1:
            await release.wait()
        handler.set_header("Content-Type", "application/json")
        handler.finish(json.dumps({"result": {"points": []}, "status": "ok"}))

    recording_upstream.answer = slow_then_ok
    slow = asyncio.ensure_future(_scroll(jp_fetch, request_timeout=60))
    await _until(lambda: recording_upstream.requests)
    code, message, response = await _error_of(_scroll(jp_fetch, "other"))
    assert code == 503
    assert "busy" in message and "Retry" in message
    assert "reach" not in message  # not mistaken for an unreachable server
    assert response.headers["Retry-After"].isdigit()
    assert len(recording_upstream.requests) == 1  # the refused call never left
    release.set()
    assert (await slow).code == 200


async def test_the_upstream_call_is_cancelled_when_the_browser_goes_away(
    jp_http_port, jp_base_url, jp_auth_header, jp_fetch, recording_upstream
):
    never = asyncio.Event()

    async def hang(handler):
        await never.wait()

    recording_upstream.answer = hang
    reader, writer = await asyncio.open_connection("127.0.0.1", jp_http_port)
    target = jp_base_url.rstrip("/") + "/near-duplicates/qdrant/collections/photos/points/scroll"
    writer.write(
        (
            f"POST {target} HTTP/1.1\r\nHost: 127.0.0.1:{jp_http_port}\r\nAuthorization: {jp_auth_header['Authorization']}\r\n"
            "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
        ).encode()
    )
    await writer.drain()
    await _until(lambda: recording_upstream.requests)
    writer.close()  # the browser goes away (tab closed, scan cancelled)
    # Without cancellation the proxy would hold this connection for its 600 s time-out.
    try:
        await asyncio.wait_for(recording_upstream.closed.wait(), timeout=30)
    finally:
        never.set()


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_an_answer_over_the_size_cap_is_502_naming_the_cap(
    jp_fetch, recording_upstream, monkeypatch, chunked
):
    monkeypatch.setattr(upstream_module, "MAX_BODY_BYTES", 10_000)
    big = json.dumps({"result": {"points": [{"id": i} for i in range(2000)]}, "status": "ok"})

    async def huge(handler):
        handler.set_header("Content-Type", "application/json")
        if chunked:  # no Content-Length: the cap is enforced while reading
            for start in range(0, len(big), 4096):
                handler.write(big[start:start + 4096])
                await handler.flush()
            handler.finish()
        else:
            handler.finish(big)

    recording_upstream.answer = huge
    code, message, _ = await _error_of(_scroll(jp_fetch))
    assert code == 502
    assert "more than 10000 bytes" in message and "Ask for less" in message


async def test_an_answer_under_the_cap_passes_whole(jp_fetch, recording_upstream, monkeypatch):
    monkeypatch.setattr(upstream_module, "MAX_BODY_BYTES", 100_000)
    body = json.dumps({"result": {"points": [{"id": i} for i in range(2000)]}, "status": "ok"})

    async def answer(handler):
        handler.set_header("Content-Type", "application/json")
        handler.finish(body)

    recording_upstream.answer = answer
    response = await _scroll(jp_fetch)
    assert response.body.decode() == body


async def test_a_200_that_is_not_json_is_502_saying_so(jp_fetch, recording_upstream):
    async def login_page(handler):
        handler.set_header("Content-Type", "text/html")
        handler.finish("<html><body>Please sign in</body></html>")

    recording_upstream.answer = login_page
    code, message, _ = await _error_of(_scroll(jp_fetch))
    assert code == 502
    assert "not JSON" in message and "text/html" in message
    assert "sign in" not in message  # the page itself is not relayed
    with pytest.raises(HTTPClientError) as raised:
        await jp_fetch("near-duplicates", "api", "backend")
    assert raised.value.code == 502
    assert "not JSON" in json.loads(raised.value.response.body)["message"]


async def test_an_upstream_slower_than_the_time_out_is_504(jp_fetch, recording_upstream, monkeypatch):
    monkeypatch.setattr(upstream_module, "REQUEST_TIMEOUT_S", 0.3)
    never = asyncio.Event()

    async def hang(handler):
        await never.wait()

    recording_upstream.answer = hang
    try:
        code, message, _ = await _error_of(_scroll(jp_fetch))
    finally:
        never.set()
    assert code == 504
    assert "did not answer" in message


async def test_the_proxy_does_not_use_tornados_shared_client(jp_fetch, recording_upstream, monkeypatch):
    # Tornado's process-wide client (10 connections for the whole server) must not carry
    # Qdrant calls: make it unusable and the proxy still works.
    from tornado.simple_httpclient import SimpleAsyncHTTPClient

    fetch_impl = SimpleAsyncHTTPClient.fetch_impl

    def guarded(self, request, callback):
        assert not request.url.startswith(recording_upstream.url), "Tornado's shared client was used"
        return fetch_impl(self, request, callback)

    monkeypatch.setattr(SimpleAsyncHTTPClient, "fetch_impl", guarded)
    assert (await _scroll(jp_fetch)).code == 200
    backend = json.loads((await jp_fetch("near-duplicates", "api", "backend")).body)
    assert backend["kind"] == "remote"


async def test_the_client_is_closed_when_the_server_stops(jp_fetch, jp_serverapp, recording_upstream):
    assert (await _scroll(jp_fetch)).code == 200
    client = jp_serverapp.web_app.settings["near_duplicates_upstream"]._client
    assert client is not None and not client.is_closed
    await jp_serverapp._cleanup()
    assert client.is_closed
