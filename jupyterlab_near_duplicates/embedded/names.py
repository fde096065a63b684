"""Collection names: which ones the embedded backend accepts, and where each lives on disk.

The rule is Qdrant's (1.18: ``common/validation.rs`` and the path validator): not empty, none
of ``<>:"/\\|?*``, NUL or U+001F. Qdrant counts its 255 in characters but names its
directory after the collection, so on Linux a name over 255 *bytes* fails there with an
internal error that shows the storage path; here it is refused up front. ``.`` and ``..``
fail on a server too (with an internal error); here they are refused like any bad name.

On disk a collection no longer takes its name as its directory: ``my photos`` and
``My Photos`` would share one directory on a case-insensitive filesystem (macOS, Windows),
and so would two Unicode spellings of ``é`` on macOS. The directory is an ASCII slug for
people reading the data dir plus a hash of the exact name; the name itself is kept in
``collection.json``, which is what loading reads. Directories of earlier versions (named
after the collection) load as before.
"""

from __future__ import annotations

import hashlib
import re

from .errors import ApiError

MAX_NAME_BYTES = 255
FORBIDDEN_CHARS = '<>:"/\\|?*\0\x1f'
_SLUG_CHARS = re.compile(r"[^a-z0-9_-]+")
_SLUG_MAX = 40


def _shown(char: str) -> str:
    return char if char.isprintable() else f"\\u{ord(char):04x}"


def validate_collection_name(name: str) -> None:
    """Raise a 422 ApiError (Qdrant's status and wording) unless ``name`` can be a collection."""
    problem = None
    if not name:
        problem = "collection name must not be empty"
    elif name in (".", ".."):
        problem = f'collection name cannot be "{name}"'
    else:
        bad = next((c for c in name if c in FORBIDDEN_CHARS), None)
        if bad is not None:
            problem = f'collection name cannot contain "{_shown(bad)}" char'
        else:
            try:
                size = len(name.encode("utf-8"))
            except UnicodeEncodeError:
                problem = "collection name must be valid Unicode text"
            else:
                if size > MAX_NAME_BYTES:
                    problem = (
                        f"collection name is {size} bytes long in UTF-8, at most {MAX_NAME_BYTES} "
                        "(a non-ASCII character takes 2 to 4 bytes)"
                    )
    if problem:
        raise ApiError(422, f"Validation error in path parameters: [name: {problem}]")


MAX_VECTOR_NAME_BYTES = 200


def vector_name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a vector (Qdrant's rule: the engine makes a directory of it)."""
    if not name:
        return "a vector name must not be empty"
    bad = next((c for c in name if c in FORBIDDEN_CHARS), None)
    if bad is not None:
        return f'vector name cannot contain "{_shown(bad)}" char'
    size = len(name.encode("utf-8", "surrogatepass"))
    if size > MAX_VECTOR_NAME_BYTES:
        return f"vector name is {size} bytes long in UTF-8, at most {MAX_VECTOR_NAME_BYTES}"
    return None


def directory_name(name: str) -> str:
    """The directory of collection ``name`` under ``collections/``: safe on any filesystem.

    Only ``[a-z0-9_-]``, never a leading dot, at most 61 bytes, and distinct for names that
    differ in any byte (case and Unicode normalisation included).
    """
    slug = _SLUG_CHARS.sub("_", name.encode("ascii", "replace").decode("ascii").lower()).strip("_")
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:20]
    return f"{slug[:_SLUG_MAX] or 'c'}-{digest}"
