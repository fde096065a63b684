"""Kernel-side images -> browser sources for ``nd.SampleGrid``'s tiles: a file path, bytes, a
PIL image or a numpy array becomes a small data URI (or a path under the Jupyter root), and
what cannot be shown says why in words for its tile, never with its path."""

from __future__ import annotations

import base64
import math
import os
import stat
import struct
import zlib
from typing import Any

# A file or bytes image larger than this is not sent without Pillow to shrink it.
MAX_RAW_IMAGE_BYTES = 2 * 1024 * 1024
# Files larger than this are not read: at most this many bytes and one more are, since a
# size from stat can lie (a /proc file says 0 and has more).
MAX_FILE_BYTES = 64 * 1024 * 1024

_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
)


def sniff_image(data: bytes) -> str | None:
    """The MIME type of raster image bytes the browser shows, or None."""
    for magic, mime in _MAGIC:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


class ImageProblem(ValueError):
    """Why a kernel-side image has no thumbnail, in words for its tile (never a path)."""


def image_src(source: Any, max_side: int = 192) -> str | None:
    """A browser source for a kernel-side image: a data URI, a path relative to the Jupyter
    root (a relative path the kernel cannot find), or None when it is not an image."""
    return image_source(source, max_side)[0]


def image_source(source: Any, max_side: int = 192) -> tuple[str | None, str | None]:
    """``(src, problem)``: what ``image_src`` returns, and when it is None, why (for the tile)."""
    try:
        if isinstance(source, (str, os.PathLike)):
            return _path_src(os.fspath(source), max_side), None
        if isinstance(source, (bytes, bytearray, memoryview)):
            return _bytes_src(bytes(source), max_side), None
        if _is_pil_image(source):
            return _pil_src(source, max_side), None
        if hasattr(source, "__array_interface__") or hasattr(source, "__array__"):
            return data_uri("image/png", array_to_png(source, max_side)), None
    except ImageProblem as problem:
        return None, str(problem)
    except (OSError, ValueError, TypeError) as error:
        return None, f"no preview ({type(error).__name__})"
    return None, f"no preview: a {type(source).__name__} is not an image"


def _path_src(path: str, max_side: int) -> str | None:
    path = os.path.expanduser(path)
    if os.path.lexists(path):
        return _bytes_src(read_bounded(path, MAX_FILE_BYTES), max_side)
    if not os.path.isabs(path):
        # Not here: the panel's convention, a path under the Jupyter root, served by /files/.
        return path.replace(os.sep, "/")
    raise ImageProblem("no such file")


def read_bounded(path: str, limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; ImageProblem otherwise.

    Reads at most ``limit + 1`` bytes whatever ``stat`` says (a /proc file reports size 0),
    and opens without blocking, so a FIFO or a device is refused instead of waiting forever.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except PermissionError:
        raise ImageProblem("cannot read the file: permission denied") from None
    except IsADirectoryError:
        raise ImageProblem("a folder, not an image file") from None
    except OSError as error:
        raise ImageProblem(f"cannot read the file ({error.strerror or type(error).__name__})") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ImageProblem("not a regular file (a device, a pipe or a folder)")
        chunks = []
        left = limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as error:
        raise ImageProblem(f"cannot read the file ({error.strerror or type(error).__name__})") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:
        raise ImageProblem(
            f"file over the {_size_text(limit)} limit: give a smaller thumbnail "
            "(or a PIL image or numpy array of it)"
        )
    return data


def _size_text(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):g} MB"
    if n >= 1024:
        return f"{n / 1024:g} KB"
    return f"{n} bytes"


def _bytes_src(data: bytes, max_side: int) -> str | None:
    mime = sniff_image(data)
    if mime is None:
        raise ImageProblem("not a PNG, JPEG, GIF, WebP or BMP image")
    if len(data) > 64 * 1024:
        shrunk = _pil_shrink_bytes(data, max_side)
        if shrunk is not None:
            return data_uri("image/png", shrunk)
    if len(data) > MAX_RAW_IMAGE_BYTES:
        raise ImageProblem(
            f"image over {_size_text(MAX_RAW_IMAGE_BYTES)}: install Pillow to shrink it, "
            "or give a smaller thumbnail"
        )
    return data_uri(mime, data)


def _is_pil_image(obj: Any) -> bool:
    return type(obj).__module__.startswith("PIL.") and hasattr(obj, "thumbnail") and hasattr(obj, "save")


def _pil_src(image: Any, max_side: int) -> str:
    return data_uri("image/png", _pil_png(image, max_side))


def _pil_png(image: Any, max_side: int) -> bytes:
    import io

    thumb = image.copy()
    thumb.thumbnail((max_side, max_side))
    if thumb.mode not in ("RGB", "RGBA", "L", "LA"):
        thumb = thumb.convert("RGBA" if "A" in thumb.getbands() else "RGB")
    out = io.BytesIO()
    thumb.save(out, format="PNG")
    return out.getvalue()


def _pil_shrink_bytes(data: bytes, max_side: int) -> bytes | None:
    """A smaller PNG of encoded image bytes, or None without Pillow (or when it cannot read them)."""
    try:
        import io

        from PIL import Image
    except ImportError:
        return None
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            return _pil_png(image, max_side)
    except Exception:
        return None


def data_uri(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def array_to_png(array: Any, max_side: int = 192) -> bytes:
    """PNG bytes of an image array, shrunk by striding to at most ``max_side`` (no Pillow needed).

    Takes H x W (grey), H x W x 1/3/4 or 1/3/4 x H x W; floats in [0, 1] are scaled to 0-255,
    other values clipped; integers above 255 are scaled by their maximum.
    """
    import numpy as np

    a = np.asarray(array)
    if a.ndim == 3 and a.shape[0] in (1, 3, 4) and a.shape[2] not in (1, 3, 4):
        a = np.transpose(a, (1, 2, 0))  # channels first
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (3, 4)) or 0 in a.shape:
        raise ValueError(f"not an image array: shape {a.shape}")
    step = max(1, math.ceil(max(a.shape[0], a.shape[1]) / max_side))
    a = a[::step, ::step]
    a = _to_uint8(a)
    height, width = a.shape[0], a.shape[1]
    colour_type = 0 if a.ndim == 2 else (2 if a.shape[2] == 3 else 6)
    rows = a.reshape(height, -1)
    raw = np.concatenate([np.zeros((height, 1), dtype=np.uint8), rows], axis=1).tobytes()

    def chunk(kind: bytes, payload: bytes) -> bytes:
        crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


def _to_uint8(a):
    import numpy as np

    if a.dtype == np.uint8:
        return np.ascontiguousarray(a)
    if a.dtype == np.bool_:
        return a.astype(np.uint8) * 255
    if np.issubdtype(a.dtype, np.floating):
        a = np.nan_to_num(a.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
        if a.size and a.min() >= 0.0 and a.max() <= 1.0:
            a = a * 255.0
        return np.clip(np.rint(a), 0, 255).astype(np.uint8)
    if np.issubdtype(a.dtype, np.integer):
        top = int(a.max()) if a.size else 0
        if top > 255:
            return (np.clip(a, 0, None).astype(np.float64) * (255.0 / top)).astype(np.uint8)
        return np.clip(a, 0, 255).astype(np.uint8)
    raise TypeError(f"cannot show an array of {a.dtype} as an image")
