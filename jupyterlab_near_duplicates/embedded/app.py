"""The REST app of the embedded backend: a subset of Qdrant's REST API on tornado.

Same paths, bodies and response envelopes as a Qdrant server
(``{"result": ..., "status": "ok", "time": s}`` and
``{"status": {"error": "..."}, "time": s}``), so the official clients work unmodified.

Engine calls run on one dedicated thread (``Engine``). qdrant-edge-py holds the GIL while
it works, so this buys no parallelism; it serialises access to the shards and lets the
event loop accept and parse requests between engine calls. The same thread runs the
background maintenance (flush, index builds) when no request is in flight.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

import tornado.ioloop
import tornado.web

from . import limits
from .errors import ApiError, format_error, hide_paths, os_error_text, unsupported
from .store import Store

log = logging.getLogger("jupyterlab_near_duplicates.embedded")

#: Reported by ``GET /``. Official clients warn when the minor versions differ by more
#: than one: 1.19 is compatible with qdrant-client 1.20 and @qdrant/js-client-rest 1.18.
QDRANT_VERSION = "1.19.0"
TITLE = "qdrant - vector search engine"

_dumps = limits.compact_json


def error_body(message: str, t0: float | None = None) -> bytes:
    return _dumps({"status": {"error": message}, "time": 0.0 if t0 is None else time.perf_counter() - t0})


class Engine:
    """Runs store operations on a single engine thread; schedules maintenance when idle."""

    def __init__(self, store: Store):
        self.store = store
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nd-engine")
        self.inflight = 0
        self._maintaining = False
        self._closed = False

    async def run(self, fn: Callable, *args: Any) -> Any:
        self.inflight += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)
        finally:
            self.inflight -= 1

    def tick(self) -> None:
        """Called periodically on the IO loop: start one maintenance step if due.

        A finished background index build is swapped in at once (queued behind the
        requests in flight); other maintenance waits until no request is in flight.
        """
        if self._closed or self._maintaining:
            return
        if not self.store.builds_done():
            if self.inflight or not self.store.pending_maintenance():
                return
        self._maintaining = True
        loop = tornado.ioloop.IOLoop.current()
        fut = self.executor.submit(self._maintain)
        fut.add_done_callback(lambda _f: loop.add_callback(self._maintained))

    def _maintain(self) -> None:
        try:
            self.store.maintain()
        except Exception:  # pragma: no cover - logged, the next tick retries
            log.exception("maintenance failed")

    def _maintained(self) -> None:
        self._maintaining = False

    def close(self) -> None:
        """Finish queued work, then flush and close every shard (on the engine thread)."""
        self._closed = True
        try:
            self.executor.submit(self.store.close).result()
        finally:
            self.executor.shutdown(wait=True)


# ---------------------------------------------------------------------------------------
# Operations: (store, path args, parsed body, wait) -> result
# ---------------------------------------------------------------------------------------

Op = Callable[..., Any]


def _coll(store: Store, name: str):
    return store.get(name)


def _unsupported(store: Store, name: str, what: str) -> Any:
    store.get(name)  # 404 first, as a server would
    raise unsupported(what)


OPS: list[tuple[str, dict[str, Op]]] = [
    (r"/collections", {"GET": lambda s, b, w: s.list_collections()}),
    (r"/collections/([^/]+)/exists", {"GET": lambda s, n, b, w: s.exists(n)}),
    (r"/collections/([^/]+)/points/scroll", {"POST": lambda s, n, b, w: _coll(s, n).scroll_json(b)}),
    (r"/collections/([^/]+)/points/count", {"POST": lambda s, n, b, w: _coll(s, n).count(b)}),
    (r"/collections/([^/]+)/points/query/batch", {"POST": lambda s, n, b, w: _coll(s, n).query_batch_json(b)}),
    (r"/collections/([^/]+)/points/query", {"POST": lambda s, n, b, w: _coll(s, n).query(b)}),
    (r"/collections/([^/]+)/points/delete", {"POST": lambda s, n, b, w: _coll(s, n).delete_points(b, w)}),
    (
        r"/collections/([^/]+)/points/payload",
        {
            "POST": lambda s, n, b, w: _coll(s, n).set_payload(b, w),
            "PUT": lambda s, n, b, w: _coll(s, n).set_payload(b, w, overwrite=True),
        },
    ),
    (r"/collections/([^/]+)/points/payload/delete", {"POST": lambda s, n, b, w: _coll(s, n).delete_payload(b, w)}),
    (r"/collections/([^/]+)/points/payload/clear", {"POST": lambda s, n, b, w: _coll(s, n).clear_payload(b, w)}),
    (r"/collections/([^/]+)/points/([^/]+)", {"GET": lambda s, n, pid, b, w: _coll(s, n).get_point(pid)}),
    (
        r"/collections/([^/]+)/points",
        {
            "PUT": lambda s, n, b, w: _coll(s, n).upsert(b, w),
            "POST": lambda s, n, b, w: _coll(s, n).retrieve(b),
        },
    ),
    (r"/collections/([^/]+)/index", {"PUT": lambda s, n, b, w: _coll(s, n).create_index(b, w)}),
    (r"/collections/([^/]+)/index/([^/]+)", {"DELETE": lambda s, n, f, b, w: _coll(s, n).delete_index(f, w)}),
    (
        r"/collections/([^/]+)",
        {
            "GET": lambda s, n, b, w: _coll(s, n).info(),
            "PUT": lambda s, n, b, w: s.create_collection(n, b),
            "DELETE": lambda s, n, b, w: s.delete_collection(n),
            "PATCH": lambda s, n, b, w: _unsupported(s, n, "updating collection parameters"),
        },
    ),
]


def _parse(raw: bytes) -> dict:
    if not raw:
        return {}
    try:
        body = limits.loads(raw)
    except RecursionError:
        raise format_error("the JSON is nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as e:
        raise format_error(str(e)) from None
    if not isinstance(body, dict):
        raise format_error("expected a JSON object")
    return body


def _ok(result: Any, t0: float) -> bytes:
    if isinstance(result, (limits.JsonArray, limits.JsonText)):  # written already
        tail = _dumps({"status": "ok", "time": time.perf_counter() - t0})
        return result.encoded(b'{"result":', b"," + tail[1:])  # one copy of a large answer, not three
    return _dumps({"result": result, "status": "ok", "time": time.perf_counter() - t0})


def _execute(store: Store, op: Op, args: tuple, raw: bytes, wait: bool, t0: float) -> tuple[int, bytes]:
    """Runs on the engine thread: parse, call, serialise.

    Every message leaves without server paths. Malformed input that slipped past the
    store's checks (a string where an object belongs, a number too large for the engine)
    is the client's error (400), as on a server, not ours (500).
    """
    try:
        body = _parse(raw)
        out = _ok(op(store, *args, body, wait), t0)
        if len(out) > limits.MAX_RESPONSE_BYTES:
            raise limits.response_too_large("ask for fewer points per request, or leave payloads and vectors out")
        return 200, out
    except ApiError as e:
        return e.status, error_body(hide_paths(e.message), t0)
    except RecursionError:
        return 400, error_body("Format error in JSON body: nested too deeply", t0)
    except (TypeError, ValueError, KeyError, AttributeError, IndexError, OverflowError) as e:
        log.warning("bad request: %s: %s", type(e).__name__, e)
        detail = str(e).splitlines()[0] if str(e) else type(e).__name__
        return 400, error_body(hide_paths(f"Format error in JSON body: {detail}"), t0)
    except OSError as e:
        log.exception("storage error")
        return 500, error_body(f"Service internal error: storage error: {os_error_text(e)}", t0)
    except MemoryError:
        log.error("out of memory answering a request")
        return 500, error_body("Service internal error: out of memory; ask for less in one request", t0)
    except Exception as e:  # a bug of ours: answer like Qdrant does for internal errors
        log.exception("internal error")
        return 500, error_body(hide_paths(f"Service internal error: {type(e).__name__}: {e}"), t0)


# ---------------------------------------------------------------------------------------
# Handlers
# ---------------------------------------------------------------------------------------


class _Base(tornado.web.RequestHandler):
    """API key check on every request, Qdrant-shaped errors."""

    api_key: str = ""

    def initialize(self, engine: Engine, api_key: str, ops: dict[str, Op] | None = None) -> None:
        self.engine = engine
        self.api_key = api_key
        self.ops = ops or {}

    def set_default_headers(self) -> None:
        self.clear_header("Server")

    def prepare(self) -> None:
        key = self.request.headers.get("api-key")
        if key is None:
            auth = self.request.headers.get("Authorization", "")
            if auth[:7].lower() == "bearer ":
                key = auth[7:].strip()
        if key is None:
            self._reply(401, error_body("Must provide an API key or an Authorization bearer token"))
        elif not hmac.compare_digest(key.encode("utf-8", "surrogateescape"), self.api_key.encode("utf-8")):
            self._reply(401, error_body("Invalid API key or JWT"))

    def _reply(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.set_status(status)
        if body:
            self.set_header("Content-Type", content_type)
        self.finish(body)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        reason = self._reason or "error"
        if status_code == 413:
            reason = "Payload too large"
        self.set_header("Content-Type", "application/json")
        self.finish(error_body(reason))

    def log_exception(self, typ, value, tb) -> None:  # keep the log free of request noise
        if isinstance(value, tornado.web.HTTPError):
            return
        super().log_exception(typ, value, tb)


class RootHandler(_Base):
    def get(self) -> None:
        self._reply(200, _dumps({"title": TITLE, "version": QDRANT_VERSION}))


class HealthHandler(_Base):
    def initialize(self, engine: Engine, api_key: str, text: str = "") -> None:  # type: ignore[override]
        super().initialize(engine, api_key)
        self.text = text

    def get(self) -> None:
        self._reply(200, self.text.encode(), "text/plain; charset=utf-8")


@tornado.web.stream_request_body
class ApiHandler(_Base):
    """The Qdrant routes. The body is streamed in so that one over the cap is refused with
    a message (413) as soon as its Content-Length or its size says so, unread."""

    def prepare(self) -> None:
        super().prepare()
        self._chunks: list[bytes] = []
        self._size = 0
        if self._finished:
            return
        length = self.request.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > limits.MAX_BODY_BYTES:
            self._refuse_body(int(length))

    def data_received(self, chunk: bytes) -> None:
        if self._finished:
            return
        self._size += len(chunk)
        if self._size > limits.MAX_BODY_BYTES:
            self._chunks.clear()
            self._refuse_body(self._size)
            return
        self._chunks.append(chunk)

    def _refuse_body(self, size: int) -> None:
        e = limits.body_too_large(size)
        self.set_header("Connection", "close")
        self._reply(e.status, error_body(e.message))

    async def _handle(self, method: str, *args: str) -> None:
        t0 = time.perf_counter()
        op = self.ops.get(method)
        if op is None:  # a Qdrant server answers a method it has no route for with 404
            self._reply(404, b"")
            return
        wait = self.get_query_argument("wait", "false").lower() in ("true", "1")
        raw, self._chunks = b"".join(self._chunks), []
        status, body = await self.engine.run(_execute, self.engine.store, op, args, raw, wait, t0)
        self._reply(status, body)

    async def get(self, *args: str) -> None:
        await self._handle("GET", *args)

    async def post(self, *args: str) -> None:
        await self._handle("POST", *args)

    async def put(self, *args: str) -> None:
        await self._handle("PUT", *args)

    async def delete(self, *args: str) -> None:
        await self._handle("DELETE", *args)

    async def patch(self, *args: str) -> None:
        await self._handle("PATCH", *args)

    def head(self, *args: str) -> None:
        self._reply(404, b"")

    options = head


class NotFoundHandler(_Base):
    """Unknown routes: 404 with an empty body, as a Qdrant server answers (after auth)."""

    def _nf(self, *args: Any) -> None:
        self._reply(404, b"")

    get = post = put = delete = patch = head = options = _nf  # type: ignore[assignment]


def make_app(store: Store, api_key: str) -> tuple[tornado.web.Application, Engine]:
    if not api_key:
        raise ValueError("an API key is required")
    engine = Engine(store)
    common = {"engine": engine, "api_key": api_key}
    handlers: list[Any] = [
        (r"/", RootHandler, common),
        (r"/healthz", HealthHandler, {**common, "text": "healthz check passed"}),
        (r"/livez", HealthHandler, {**common, "text": "livez check passed"}),
        (r"/readyz", HealthHandler, {**common, "text": "all shards are ready"}),
    ]
    for pattern, ops in OPS:
        handlers.append((pattern, ApiHandler, {**common, "ops": ops}))
    app = tornado.web.Application(
        handlers,
        default_handler_class=NotFoundHandler,
        default_handler_args=common,
        compress_response=False,
        log_function=_log_request,
    )
    return app, engine


def _log_request(handler: tornado.web.RequestHandler) -> None:
    # No access log (it would be noise); errors only, and never headers (the API key).
    status = handler.get_status()
    if status >= 500:
        log.warning("%d %s %s", status, handler.request.method, handler.request.path)
