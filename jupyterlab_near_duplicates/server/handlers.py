"""HTTP handlers of the server extension, all behind Jupyter's authentication."""

from __future__ import annotations

import asyncio
import json
import time

from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web

from .. import __version__
from ..collection_info import describe_collection
from .backend import Backend, BackendUnavailable
from .guard import encode_path
from .proxy import QdrantProxyHandler, embedded_start_failure
from .upstream import Upstream, UpstreamError

API_PREFIX = "near-duplicates/api"
PROXY_PREFIX = "near-duplicates/qdrant"


class StatusHandler(APIHandler):
    """``GET /near-duplicates/api/status``: is the extension loaded, and which version."""

    @web.authenticated
    def get(self):
        self.finish(json.dumps({"name": "jupyterlab-near-duplicates", "version": __version__}))


class BackendHandler(APIHandler):
    """``GET /near-duplicates/api/backend?kind=auto|embedded|remote``: which Qdrant, its
    version and collections, what this server can offer (``available``) and what was
    asked (``requested``). 409 ``{"message"}`` when the requested backend cannot be met.

    One collection whose info fails is listed with an ``error`` instead of breaking the
    listing. Never includes the API key.
    """

    def initialize(self, backend: Backend, upstream: Upstream):
        self.backend = backend
        self.upstream = upstream

    @web.authenticated
    async def get(self):
        requested = self.get_query_argument("kind", "auto")
        try:
            self.backend.resolve(requested)
        except ValueError as error:
            return self._fail(400, str(error))
        except BackendUnavailable as error:
            return self._fail(409, str(error))
        try:
            connection = await asyncio.get_running_loop().run_in_executor(
                None, self.backend.connection, requested
            )
        except Exception as error:
            return self._fail(502, embedded_start_failure(self.log, error))

        async def fetch(segments: tuple[str, ...]):
            path = encode_path(segments)
            response = await self.upstream.request(connection, "GET", path)
            if response.status >= 400:
                raise UpstreamError(
                    response.status,
                    f"{connection.describe()} answered {response.status} to GET /{path}: "
                    f"{_qdrant_error(response.body)}",
                )
            try:
                return json.loads(response.body)
            except ValueError:
                raise UpstreamError(
                    502, f"{connection.describe()} answered GET /{path} with malformed JSON."
                ) from None

        try:
            root = await fetch(())
            listing = (await fetch(("collections",)))["result"]["collections"]
        except UpstreamError as error:
            return self._fail(error.status, error.message)
        except (KeyError, TypeError):
            return self._fail(502, f"{connection.describe()} listed its collections in an unknown shape.")
        names = [
            c["name"] for c in listing if isinstance(c, dict) and isinstance(c.get("name"), str)
        ]
        infos = await asyncio.gather(
            *(fetch(("collections", name)) for name in names), return_exceptions=True
        )
        collections = [_describe_or_error(name, info) for name, info in zip(names, infos)]
        collections.sort(key=lambda c: c["name"])
        body = {
            "kind": connection.kind,
            "requested": requested,
            "available": self.backend.available(),
            "version": root.get("version") if isinstance(root, dict) else None,
            "collections": collections,
        }
        if connection.kind == "remote":
            body["url"] = connection.url
        self.finish(json.dumps(body))

    def _fail(self, status: int, message: str) -> None:
        # Not HTTPError: Jupyter and Tornado %-format its message, and collection names
        # may hold '%'.
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"message": message}))


def _describe_or_error(name: str, info) -> dict:
    if isinstance(info, UpstreamError):
        return {"name": name, "error": info.message}
    if isinstance(info, BaseException):
        return {"name": name, "error": f"Its description could not be read ({type(info).__name__})."}
    try:
        return {"name": name, **describe_collection(info["result"])}
    except (KeyError, TypeError, AttributeError):
        return {"name": name, "error": "Qdrant described it in an unknown shape."}


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


def setup_handlers(web_app, backend: Backend, upstream: Upstream):
    base_url = web_app.settings["base_url"]
    web_app.add_handlers(
        ".*$",
        [
            (url_path_join(base_url, API_PREFIX, "status"), StatusHandler),
            (
                url_path_join(base_url, API_PREFIX, "backend"),
                BackendHandler,
                {"backend": backend, "upstream": upstream},
            ),
            (
                url_path_join(base_url, API_PREFIX, "scans") + r"(?:/([^/]+))?",
                ScanLeaseHandler,
                {"leases": ScanLeases()},
            ),
            (
                url_path_join(base_url, PROXY_PREFIX) + r"(/.*)?",
                QdrantProxyHandler,
                {
                    "backend": backend,
                    "upstream": upstream,
                    "prefix": url_path_join(base_url, PROXY_PREFIX),
                },
            ),
        ],
    )
