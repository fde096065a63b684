"""What the Qdrant proxy lets through, decided once on a parsed request.

The request path is split into segments on its raw (still percent-encoded) form, each
segment decoded once, judged, then re-encoded with nothing left safe: the upstream
receives exactly the path that was judged. A percent-encoded ``/ ? #`` can therefore never
move a segment boundary or cut the path short on the way to Qdrant (issue 11, item 1).
Anything whose meaning could differ between this judge and Qdrant's router is refused.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote, unquote_to_bytes

NAME = object()  # any one segment: a collection name

# (method, segments) of the routes that only read. NAME is any single segment; a tuple
# of strings is any one of them.
READ_ROUTES: list[tuple[str, tuple]] = [
    ("GET", ()),
    ("GET", ("collections",)),
    ("GET", ("collections", NAME)),
    ("GET", ("collections", NAME, "exists")),
    ("POST", ("collections", NAME, "points")),  # retrieve by ids
    ("POST", ("collections", NAME, "points", ("scroll", "count", "query", "search"))),
    ("POST", ("collections", NAME, "points", ("query", "search"), "batch")),
]

# Query parameters Qdrant's read routes take (consistency and timeout on points reads).
READ_QUERY_PARAMS = frozenset({"consistency", "timeout"})
_QUERY_NAME = re.compile(r"^[a-z_]{1,40}$")
_QUERY_VALUE = re.compile(r"^[A-Za-z0-9_.:-]{0,128}$")
# Raw characters a browser or client would have percent-encoded; seen raw, the request
# was crafted and its meaning depends on who reads it.
_RAW_SEGMENT_OK = re.compile(r"^[A-Za-z0-9\-._~!$&'()*+,;=:@%]*$")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


class RefusedRequest(ValueError):
    """The request is ambiguous or malformed; ``str()`` says what and what to do."""


def parse_path(raw: str) -> tuple[str, ...]:
    """Segments of a raw request path (relative to the proxy prefix), each decoded once.

    ``""`` and ``"/"`` are Qdrant's root. Raises RefusedRequest for empty segments (``//``,
    a trailing ``/``), ``.`` and ``..``, an encoded ``/`` or ``\\``, control characters, a
    ``%`` that starts no escape, bytes that are not UTF-8, and raw characters a client
    would have encoded.
    """
    if raw in ("", "/"):
        return ()
    if not raw.startswith("/"):
        raise RefusedRequest("The request path must start with '/'.")
    segments = []
    for part in raw[1:].split("/"):
        segments.append(_decode_segment(part))
    return tuple(segments)


def _decode_segment(part: str) -> str:
    if part == "":
        raise RefusedRequest(
            "The request path has an empty segment ('//' or a trailing '/'); "
            "send each path segment once, without a trailing slash."
        )
    if not _RAW_SEGMENT_OK.match(part):
        raise RefusedRequest(
            "The request path holds a character that must be percent-encoded "
            "(a space, a non-ASCII or control character, '#', '?', '\\', quotes...)."
        )
    if _BAD_ESCAPE.search(part):
        raise RefusedRequest(
            "The request path holds a '%' that does not start a percent-escape; "
            "encode a literal '%' as %25."
        )
    try:
        segment = unquote_to_bytes(part).decode("utf-8")
    except UnicodeDecodeError:
        raise RefusedRequest("A percent-encoded path segment is not valid UTF-8.") from None
    if "/" in segment or "\\" in segment:
        raise RefusedRequest(
            "A path segment holds an encoded slash or backslash (%2F, %5C): Qdrant names "
            "cannot contain them, and servers on the way may read them as separators."
        )
    if any(unicodedata.category(c) == "Cc" for c in segment):
        raise RefusedRequest("A path segment holds a control character.")
    if segment in (".", ".."):
        raise RefusedRequest("The request path holds a '.' or '..' segment.")
    return segment


def encode_path(segments: tuple[str, ...]) -> str:
    """The upstream path: every segment percent-encoded, nothing left safe but unreserved."""
    return "/".join(quote(s, safe="") for s in segments)


def is_read(method: str, segments: tuple[str, ...]) -> bool:
    return any(
        method == route_method and _matches(pattern, segments)
        for route_method, pattern in READ_ROUTES
    )


def _matches(pattern: tuple, segments: tuple[str, ...]) -> bool:
    if len(pattern) != len(segments):
        return False
    for expected, segment in zip(pattern, segments):
        if expected is NAME:
            continue
        if isinstance(expected, tuple):
            if segment not in expected:
                return False
        elif segment != expected:
            return False
    return True


def judge_query(raw: str, read_only: bool) -> str:
    """The query string to send upstream, re-encoded; raises RefusedRequest.

    Read-only: only the parameters Qdrant's read routes take. Either way, names and values
    are plain tokens, each name at most once (which of two would Qdrant take?).
    """
    if not raw:
        return ""
    seen: dict[str, str] = {}
    for pair in raw.split("&"):
        name, sep, value = pair.partition("=")
        if _BAD_ESCAPE.search(pair):
            raise RefusedRequest("The query string holds a '%' that does not start a percent-escape.")
        try:
            name = unquote_to_bytes(name).decode("utf-8")
            value = unquote_to_bytes(value.replace("+", " ")).decode("utf-8")
        except UnicodeDecodeError:
            raise RefusedRequest("The query string is not valid UTF-8.") from None
        if not sep or not _QUERY_NAME.match(name) or not _QUERY_VALUE.match(value):
            raise RefusedRequest(
                "The query string must be name=value pairs of letters, digits and '_.:-'."
            )
        if name in seen:
            raise RefusedRequest(f"The query parameter {name!r} is given twice.")
        if read_only and name not in READ_QUERY_PARAMS:
            raise RefusedRequest(
                f"The query parameter {name!r} is not one Qdrant's read routes take "
                f"(only {', '.join(sorted(READ_QUERY_PARAMS))}), and the proxy is read-only."
            )
        seen[name] = value
    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in seen.items())
