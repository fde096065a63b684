"""HTTP handlers of the server extension, all behind Jupyter's authentication."""

from __future__ import annotations

import asyncio
import json
import time

from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import httpclient, web

from .. import __version__
from .backend import Backend
from .proxy import QdrantProxyHandler, unreachable_message

API_PREFIX = "near-duplicates/api"
PROXY_PREFIX = "near-duplicates/qdrant"


class StatusHandler(APIHandler):
    """``GET /near-duplicates/api/status``: is the extension loaded, and which version."""

    @web.authenticated
    def get(self):
        self.finish(json.dumps({"name": "jupyterlab-near-duplicates", "version": __version__}))


class BackendHandler(APIHandler):
    """``GET /near-duplicates/api/backend``: which Qdrant, its version and collections.

    Never includes the API key.
    """

    def initialize(self, backend: Backend):
        self.backend = backend

    @web.authenticated
    async def get(self):
        try:
            connection = await asyncio.get_running_loop().run_in_executor(
                None, self.backend.connection
            )
        except Exception as error:
            raise web.HTTPError(502, f"The embedded Qdrant backend could not start: {error}")
        client = httpclient.AsyncHTTPClient()

        async def fetch(path: str):
            try:
                response = await client.fetch(
                    f"{connection.url}/{path}",
                    headers=connection.headers(),
                    request_timeout=30,
                    raise_error=False,
                )
            except Exception as error:  # refused, DNS, TLS: no HTTP answer at all
                raise web.HTTPError(
                    502, unreachable_message(connection.kind, connection.url, str(error))
                )
            if response.code == 599:
                raise web.HTTPError(
                    502, unreachable_message(connection.kind, connection.url, str(response.error))
                )
            if response.code >= 400:
                raise web.HTTPError(
                    response.code,
                    f"The {connection.kind} Qdrant backend at {connection.url} answered "
                    f"{response.code} to GET /{path}: {_qdrant_error(response.body)}",
                )
            return json.loads(response.body)

        root = await fetch("")
        listing = (await fetch("collections"))["result"]["collections"]
        infos = await asyncio.gather(*(fetch(f"collections/{c['name']}") for c in listing))
        collections = [
            _describe_collection(c["name"], info["result"]) for c, info in zip(listing, infos)
        ]
        collections.sort(key=lambda c: c["name"])
        body = {
            "kind": connection.kind,
            "version": root.get("version"),
            "collections": collections,
        }
        if connection.kind == "remote":
            body["url"] = connection.url
        self.finish(json.dumps(body))


class ScanLeases:
    """One scan per collection at a time, across panels and browser tabs.

    A lease lapses unless renewed, so a closed tab cannot block a collection for long.
    """

    TTL_S = 30.0

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._leases: dict[str, tuple[str, float]] = {}  # collection -> (scan id, expiry)

    def claim(self, collection: str, scan_id: str) -> bool:
        now = self._clock()
        holder = self._leases.get(collection)
        if holder and holder[0] != scan_id and holder[1] > now:
            return False
        self._leases[collection] = (scan_id, now + self.TTL_S)
        return True

    def release(self, scan_id: str) -> None:
        for collection, (holder, _) in list(self._leases.items()):
            if holder == scan_id:
                del self._leases[collection]


class ScanLeaseHandler(APIHandler):
    """``POST /near-duplicates/api/scans`` ``{collection, scan_id}``: claim or renew the
    collection for a scan (409 while another scan holds it); ``DELETE .../scans/<id>``."""

    def initialize(self, leases: ScanLeases):
        self.leases = leases

    @web.authenticated
    def post(self, scan_id=None):
        body = self.get_json_body() or {}
        collection, scan_id = body.get("collection"), body.get("scan_id")
        if not isinstance(collection, str) or not isinstance(scan_id, str):
            raise web.HTTPError(400, "Send {collection, scan_id} as JSON strings.")
        if not self.leases.claim(collection, scan_id):
            raise web.HTTPError(
                409,
                f"A scan of {collection} is already running in another panel or browser tab. "
                "Wait for it to finish or cancel it there.",
            )
        self.finish(json.dumps({"collection": collection, "scan_id": scan_id, "ttl_s": ScanLeases.TTL_S}))

    @web.authenticated
    def delete(self, scan_id=None):
        if scan_id:
            self.leases.release(scan_id)
        self.set_status(204)
        self.finish()


def _qdrant_error(body: bytes) -> str:
    try:
        return json.loads(body)["status"]["error"]
    except Exception:
        return (body or b"").decode("utf-8", "replace")[:200]


def _describe_collection(name: str, info: dict) -> dict:
    params = (info.get("config") or {}).get("params") or {}
    vectors = params.get("vectors") or {}
    if "size" in vectors and "distance" in vectors:  # one unnamed vector
        vectors = {"": vectors}
    return {
        "name": name,
        "points_count": info.get("points_count"),
        "vectors": {
            vector_name: {
                "size": v.get("size"),
                "distance": v.get("distance"),
                **({"multivector": True} if v.get("multivector_config") else {}),
            }
            for vector_name, v in vectors.items()
        },
        "sparse_vectors": sorted((params.get("sparse_vectors") or {}).keys()),
    }


def setup_handlers(web_app, backend: Backend):
    base_url = web_app.settings["base_url"]
    web_app.add_handlers(
        ".*$",
        [
            (url_path_join(base_url, API_PREFIX, "status"), StatusHandler),
            (url_path_join(base_url, API_PREFIX, "backend"), BackendHandler, {"backend": backend}),
            (
                url_path_join(base_url, API_PREFIX, "scans") + r"(?:/([^/]+))?",
                ScanLeaseHandler,
                {"leases": ScanLeases()},
            ),
            (
                url_path_join(base_url, PROXY_PREFIX) + r"(/.*)?",
                QdrantProxyHandler,
                {"backend": backend},
            ),
        ],
    )
