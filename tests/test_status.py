"""The status route: answers a signed-in client, refuses everyone else."""

import json

import pytest
from tornado.httpclient import HTTPClientError

import jupyterlab_near_duplicates


async def test_status_answers_with_the_extension_version(jp_fetch):
    response = await jp_fetch("near-duplicates", "api", "status")
    assert response.code == 200
    body = json.loads(response.body)
    assert body == {
        "name": "jupyterlab-near-duplicates",
        "version": jupyterlab_near_duplicates.__version__,
    }


@pytest.mark.parametrize("authorization", ["", "token not-the-server-token"])
async def test_status_refuses_a_request_without_a_valid_token(jp_fetch, authorization):
    with pytest.raises(HTTPClientError) as raised:
        await jp_fetch(
            "near-duplicates", "api", "status", headers={"Authorization": authorization}
        )
    assert raised.value.code == 403
    assert b"jupyterlab-near-duplicates" not in (raised.value.response.body or b"")


def test_the_package_declares_its_labextension_and_server_extension():
    assert jupyterlab_near_duplicates._jupyter_labextension_paths() == [
        {"src": "labextension", "dest": "jupyterlab-near-duplicates"}
    ]
    points = jupyterlab_near_duplicates._jupyter_server_extension_points()
    assert points == [{"module": "jupyterlab_near_duplicates.server"}]
