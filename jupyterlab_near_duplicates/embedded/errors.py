"""The errors the embedded backend answers with: Qdrant's statuses and wording, made safe to show.

Messages reach the browser (through the proxy) and notebooks, so they never carry a
server path: the engine and the OS name files in theirs (``failed to create directory
`/home/.../collections/...```), and the data directory's location is the server's business.
"""

from __future__ import annotations

import os
import re


class ApiError(Exception):
    """An error with an HTTP status code and a Qdrant-style message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


HIDDEN_PATH = "<path>"

# An absolute POSIX path (a slash at the start of a word, followed by more than a slash) or
# a Windows drive path. A lone "/" (as in: cannot contain "/" char) is left alone.
_POSIX_PATH = re.compile(r"""(?<![\w.:/])/(?=[^\s/`'"<>)\],;])[^\s`'"<>)\],;]*""")
_WINDOWS_PATH = re.compile(r"""\b[A-Za-z]:[\\/][^\s`'"<>)\],;]*""")


def hide_paths(text: str) -> str:
    """``text`` with every absolute filesystem path replaced by ``<path>``."""
    return _WINDOWS_PATH.sub(HIDDEN_PATH, _POSIX_PATH.sub(HIDDEN_PATH, text))


def os_error_text(e: OSError) -> str:
    """What went wrong with a file, without naming the file: "No space left on device"."""
    return e.strerror or (os.strerror(e.errno) if e.errno else type(e).__name__)


# Raised with the HTTP status and message a Qdrant server would give.


def format_error(msg: str) -> ApiError:
    return ApiError(400, f"Format error in JSON body: {msg}")


def wrong_input(msg: str) -> ApiError:
    return ApiError(400, f"Wrong input: {msg}")


def validation_error(msg: str) -> ApiError:
    return ApiError(422, f"Validation error in JSON body: {msg}")


def collection_not_found(name: str) -> ApiError:
    return ApiError(404, f"Not found: Collection `{name}` doesn't exist!")


def point_not_found(point_id: int | str) -> ApiError:
    return ApiError(404, f"Not found: No point with id {point_id} found")


def unsupported(what: str) -> ApiError:
    return ApiError(400, f"Bad request: {what} is not supported by the embedded backend")


_NO_POINT_RE = re.compile(r"No point with id (\S+?)(?: found)?$")


def engine_error(exc: BaseException) -> ApiError:
    """Map an exception raised by qdrant_edge to the status/message of a Qdrant server."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, OSError):
        return ApiError(500, f"Service internal error: storage error: {os_error_text(exc)}")
    msg = hide_paths(str(exc).strip())
    first = msg.splitlines()[0] if msg else type(exc).__name__
    if isinstance(exc, (TypeError, ValueError, OverflowError)):
        return format_error(first)
    m = _NO_POINT_RE.search(first)
    if m:
        return point_not_found(m.group(1))
    if first.startswith("Service runtime error") or first.startswith("Service internal error"):
        return ApiError(500, f"Service internal error: {first}")
    return wrong_input(first)
