"""How much work one request may ask of the embedded backend, and the values it refuses.

A Qdrant server accepts any batch and any limit; this backend is one process beside the
user's Jupyter server, so a single request must not be able to exhaust its memory (50,000
searches in one batch took 1.5 GB, 150,000 aborted it). Each cap sits well above what the
product's own scan sends (``src/scan/scanner.ts``, ``schema/panel.json``), and each refusal
says which cap was hit and what to send instead.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import orjson

from .errors import ApiError

#: Searches in one ``query/batch`` request. The panel's ``batchSize`` goes up to 4,096.
MAX_SEARCHES_PER_BATCH = 16_384
#: ``offset + limit`` of one query: the engine ranks that many candidates for it. The
#: scanner asks pages of up to 1,024 (and up to 2,048 when it checks a group pair by
#: pair), past that by offset: a group of 100,000 exact copies still fits.
MAX_QUERY_WINDOW = 100_000
#: The sum of ``offset + limit`` over the searches of one batch: 4,096 searches of 4,096,
#: four times what the scanner's largest batch of full pages (4,096 x 1,024) asks.
MAX_BATCH_WINDOW = 16_777_216
#: Points of one scroll page (the scanner lists ids 1,000 at a time) and of one retrieve.
MAX_SCROLL_LIMIT = 100_000
MAX_RETRIEVE_IDS = 100_000
#: A response body; the proxy refuses more than this from any Qdrant, so a larger answer
#: could never reach the browser anyway. Also the largest request body.
MAX_RESPONSE_BYTES = 256 * 1024 * 1024
MAX_BODY_BYTES = 256 * 1024 * 1024
#: Nesting of a payload. The engine stores deeper payloads but cannot read them back: one
#: such point made every scroll of its collection fail (measured with qdrant-edge-py 0.9.0:
#: 127 levels read back, 128 did not).
MAX_PAYLOAD_DEPTH = 127
#: Queries of a batch answered by one engine call: bounds the memory of the engine's answer
#: (by-id queries come back whole, offset included) while the JSON is written piece by piece.
QUERY_CHUNK_WINDOW = 65_536


def over_cap(what: str, got: int, cap: int, advice: str) -> ApiError:
    return ApiError(400, f"Bad request: {what} is {got:,}, the embedded backend allows at most {cap:,}; {advice}")


def response_too_large(advice: str) -> ApiError:
    return ApiError(
        413,
        f"Payload too large: the answer would exceed {MAX_RESPONSE_BYTES // (1024 * 1024)} MB, "
        f"the largest the embedded backend sends; {advice}",
    )


def body_too_large(size: int) -> ApiError:
    return ApiError(
        413,
        f"Payload too large: the request body is {size:,} bytes, the embedded backend accepts at most "
        f"{MAX_BODY_BYTES:,}; send the points or searches in smaller batches",
    )


def check_batch(searches: int, window: int) -> None:
    if searches > MAX_SEARCHES_PER_BATCH:
        raise over_cap(
            "the number of searches in this batch", searches, MAX_SEARCHES_PER_BATCH,
            "split them into smaller batches (the panel's batch size setting)",
        )
    if window > MAX_BATCH_WINDOW:
        raise over_cap(
            "the sum of offset + limit over this batch's searches", window, MAX_BATCH_WINDOW,
            "send fewer searches per batch or smaller limits",
        )


def check_window(offset: int, limit: int) -> None:
    if limit > MAX_QUERY_WINDOW:
        raise over_cap("limit", limit, MAX_QUERY_WINDOW, "ask for fewer points per query, or page with offset")
    if offset + limit > MAX_QUERY_WINDOW:
        raise over_cap(
            "offset + limit", offset + limit, MAX_QUERY_WINDOW,
            "results that far down the ranking are not served; narrow the query with a filter or a score_threshold",
        )


def check_scroll_limit(limit: int) -> None:
    if limit > MAX_SCROLL_LIMIT:
        raise over_cap("limit", limit, MAX_SCROLL_LIMIT, "scroll in pages: pass next_page_offset as the next offset")


def check_retrieve_count(n: int) -> None:
    if n > MAX_RETRIEVE_IDS:
        raise over_cap("the number of ids", n, MAX_RETRIEVE_IDS, "retrieve the points in smaller batches")


def is_whole_number(v: Any) -> bool:
    """An int, or a float with an integral value; never NaN or an infinity (1e400 parses as one)."""
    if isinstance(v, bool):
        return False
    if isinstance(v, int):
        return True
    return isinstance(v, float) and math.isfinite(v) and v.is_integer()


_F32_MAX = float(np.finfo(np.float32).max)


def finite_vector_problem(vec: Any) -> str | None:
    """Why a dense vector (or multivector) cannot be stored as float32, or None if it can.

    Qdrant refuses NaN and infinities; stored, such a point never matches any query.
    Values beyond float32's range become infinities in the engine, so they count too, and
    so does null (qdrant-client sends a NaN as null).
    """
    try:  # fast path (a fifth of numpy's time): NaN, infinities and huge numbers show in the sum
        if sum(map(abs, vec)) <= _F32_MAX:
            return None
    except TypeError:
        pass  # a multivector, or not numbers
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            arr = np.asarray(vec, dtype=np.float32)
    except (TypeError, ValueError, OverflowError):
        return None  # not numbers: the engine's own check names the problem
    if arr.dtype != np.float32 or np.isfinite(arr).all():
        return None
    return "contains NaN, an infinity or a number beyond the 32-bit float range (Qdrant refuses them)"


def json_depth(value: Any, limit: int) -> int:
    """Nesting depth of a JSON value (an object or list counts one level), up to ``limit + 1``.

    Iterative, so a hostile payload cannot exhaust the stack; lists of numbers (vectors)
    cost one type check each.
    """
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict):
            children = v.values()
        elif isinstance(v, list):
            children = v
        else:
            continue
        if d > deepest:
            deepest = d
            if deepest > limit:
                return deepest
        for c in children:
            if isinstance(c, (dict, list)):
                stack.append((c, d + 1))
    return deepest


class JsonArray:
    """A JSON array written piece by piece, refused (413) as soon as it outgrows the cap.

    The REST app splices ``encoded()`` into its response as is.
    """

    def __init__(self, advice: str):
        self.advice = advice
        self.cap = MAX_RESPONSE_BYTES  # read at each request: tests lower it
        self.parts: list[bytes] = []
        self.size = 2

    def extend(self, items: list) -> None:
        if not items:
            return
        piece = compact_json(items)[1:-1]
        self.size += len(piece) + (1 if self.parts else 0)
        if self.size > self.cap:
            self.parts.clear()
            raise response_too_large(self.advice)
        self.parts.append(piece)

    def encoded(self, before: bytes = b"", after: bytes = b"") -> bytes:
        """The array as JSON, between ``before`` and ``after``; the pieces are let go."""
        pieces = [before + b"["]
        for i, part in enumerate(self.parts):
            if i:
                pieces.append(b",")
            pieces.append(part)
        pieces.append(b"]" + after)
        self.parts = []
        return b"".join(pieces)


def compact_json(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON, as the REST app writes its answers: orjson's writer,
    about 17 times as fast as ``json``'s on a batch of answers (``bench/json_ab.py``; at 1M
    points the scan's answers are millions of id and score pairs). What orjson refuses (a
    key that is not a string, an integer past 64 bits, a lone surrogate, nesting past 254
    levels) is written by ``json``, as before, or refused by it. A NaN or an infinity is written as null, which
    every JSON reader takes (``json`` wrote NaN, which browsers refuse)."""
    try:
        return orjson.dumps(value)
    except TypeError:  # orjson.JSONEncodeError is one
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def loads(raw: bytes | str) -> Any:
    """A request's JSON body as Python values: orjson's reader, about three times as
    fast as ``json``'s on the scan's batches. Text it refuses (NaN, Infinity, a number past the
    double range, a lone surrogate, nesting past 1,024 levels) is read by ``json``, so such
    a body gets the answer it got before (a NaN vector is refused naming its point). One
    difference: an integer past 64 bits reads as a float, as a Qdrant server reads it (an id
    or an integer parameter refuses it, as before)."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)


class JsonText:
    """A JSON value encoded already, which the REST app splices into its response as is."""

    def __init__(self, text: bytes):
        self.text = text

    def encoded(self, before: bytes = b"", after: bytes = b"") -> bytes:
        return before + self.text + after


def floats_json(values: list) -> bytes | None:
    """A vector (float32 values, as the engine gives them) as a JSON array of each value's
    shortest float32 text, which reads back as the same float32 and always as a float (it
    keeps a point or an exponent): orjson writing a float32 array, in about a third of the
    time ``%.9g`` took (at 1M the lonely pass fetches 800k vectors), and 10% shorter. None
    when a value is not a finite number."""
    try:
        arr = np.asarray(values, dtype=np.float32)
    except (TypeError, ValueError):
        return None
    if arr.ndim != 1 or not np.isfinite(arr).all():
        return None
    return orjson.dumps(arr, option=orjson.OPT_SERIALIZE_NUMPY)

