"""The errors the embedded backend answers with, and their text made safe to show.

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
