"""A Qdrant URL with ``user:password@`` in it: the password is a credential like the API key,
so it reaches neither the browser nor the server log, while the proxy still uses it."""

from __future__ import annotations

import base64
import json
import logging

import pytest
from recording_upstream import UPSTREAM_KEY

from jupyterlab_near_duplicates.server.backend import redact_url

PASSWORD = "url-pass-word-9876"


@pytest.fixture
def jp_server_config(recording_upstream):
    with_user = recording_upstream.url.replace("http://", f"http://reader:{PASSWORD}@")
    return {
        "ServerApp": {"jpserver_extensions": {"jupyterlab_near_duplicates": True}},
        "NearDuplicates": {"qdrant_url": with_user, "qdrant_api_key": UPSTREAM_KEY},
    }


def test_redact_url_drops_only_the_userinfo():
    assert redact_url("https://u:p@q.example:6333/base") == "https://q.example:6333/base"
    assert redact_url("http://u@[::1]:6333") == "http://[::1]:6333"
    assert redact_url("http://127.0.0.1:6333") == "http://127.0.0.1:6333"


async def test_the_backend_route_and_the_log_never_show_the_urls_password(
    jp_fetch, jp_serverapp, recording_upstream, caplog
):
    caplog.set_level(logging.DEBUG)
    jp_serverapp.log.info("loaded")  # the extension's own line was logged at start-up
    response = await jp_fetch("near-duplicates", "api", "backend")
    body = json.loads(response.body)
    assert body["url"] == recording_upstream.url
    assert PASSWORD not in response.body.decode()
    assert PASSWORD not in caplog.text

    # The proxy still sends the URL's credentials upstream, as HTTP basic auth.
    await jp_fetch(
        "near-duplicates", "qdrant", "collections", "photos", "points", "scroll",
        method="POST", body=json.dumps({"limit": 1}),
    )
    sent = recording_upstream.requests[-1].headers
    assert sent.get("Authorization") == "Basic " + base64.b64encode(
        f"reader:{PASSWORD}".encode()
    ).decode()
