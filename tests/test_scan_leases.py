"""One scan per collection at a time: a second panel or tab gets 409 until the first ends."""

import json

import pytest
from tornado.httpclient import HTTPClientError

from jupyterlab_near_duplicates.server.handlers import ScanLeases


async def claim(jp_fetch, collection, scan_id):
    return await jp_fetch(
        "near-duplicates", "api", "scans", method="POST",
        body=json.dumps({"collection": collection, "scan_id": scan_id}),
    )


async def test_a_second_scan_of_the_same_collection_is_refused_until_the_first_ends(jp_fetch):
    assert (await claim(jp_fetch, "photos", "tab-1")).code == 200
    assert (await claim(jp_fetch, "photos", "tab-1")).code == 200  # renewing
    assert (await claim(jp_fetch, "texts", "tab-2")).code == 200  # another collection
    with pytest.raises(HTTPClientError) as raised:
        await claim(jp_fetch, "photos", "tab-2")
    assert raised.value.code == 409
    assert "already running" in json.loads(raised.value.response.body)["message"]

    released = await jp_fetch("near-duplicates", "api", "scans", "tab-1", method="DELETE")
    assert released.code == 204
    assert (await claim(jp_fetch, "photos", "tab-2")).code == 200


async def test_leases_need_a_valid_token(jp_fetch):
    with pytest.raises(HTTPClientError) as raised:
        await jp_fetch(
            "near-duplicates", "api", "scans", method="POST",
            body=json.dumps({"collection": "photos", "scan_id": "x"}), headers={"Authorization": ""},
        )
    assert raised.value.code == 403


def test_a_lease_lapses_when_a_closed_tab_stops_renewing_it():
    now = [0.0]
    leases = ScanLeases(clock=lambda: now[0])
    assert leases.claim("photos", "closed-tab")
    assert not leases.claim("photos", "other")
    now[0] += ScanLeases.TTL_S + 1
    assert leases.claim("photos", "other")
