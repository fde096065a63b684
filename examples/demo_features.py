"""The demo's embedding: a fixed image feature extractor (no model, no download).

HOG-like gradient-orientation histograms and a colour layout, made blind to horizontal flips,
calibrated and turned by a seeded random rotation into 256 dimensions. Part of the demo
dataset (``demo_dataset.py`` re-exports these names).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from demo_originals import _pil
from PIL import Image, ImageFilter

DEFAULT_THRESHOLD = 0.95  # the panel's default similarity threshold

# ---------------------------------------------------------------------------------------
# The feature extractor
# ---------------------------------------------------------------------------------------

FEATURE_SIDE = 64  # every view is resampled to 64 x 64 pixels
GRID = 8  # statistics are first pooled on an 8 x 8 grid of 8-pixel cells
ORIENTATIONS = 8  # unsigned gradient orientations, 22.5 degrees per bin
ZOOMS = (1.0, 0.9)  # views: the whole image and its central 90 %
BLUR = 1.0  # Gaussian blur radius (pixels at 64 x 64) against JPEG noise and aliasing
COLOUR_FLOOR = 0.4  # colour blocks shorter than this are not stretched to unit length
#: Squared norm of each block in the feature vector.
BLOCK_WEIGHTS = {"hog": 3.0, "colour": 1.0}
#: The feature cosine that calibration maps to the panel's default threshold, 0.95.
RAW_THRESHOLD = 0.90
#: Digits whose features are this close to a digit kept before them are left out.
CURATE_RAW_THRESHOLD = 0.86
EMBED_DIM = 256
ROTATION_SEED = 7
GREY = np.array([0.299, 0.587, 0.114], np.float32)


def _resample(images: Sequence[np.ndarray], zoom: float = 1.0) -> np.ndarray:
    """(n, 64, 64, 3) float32 in [0, 1]: the central ``zoom`` of each image, antialiased."""
    out = np.empty((len(images), FEATURE_SIDE, FEATURE_SIDE, 3), np.float32)
    for i, a in enumerate(images):
        h, w = a.shape[:2]
        box = ((1 - zoom) / 2 * w, (1 - zoom) / 2 * h, (1 + zoom) / 2 * w, (1 + zoom) / 2 * h)
        im = _pil(a).resize((FEATURE_SIDE, FEATURE_SIDE), Image.BILINEAR, box=box)
        if BLUR:
            im = im.filter(ImageFilter.GaussianBlur(BLUR))
        out[i] = np.asarray(im, np.float32) / 255.0
    return out


def _pool(x: np.ndarray, cells: int) -> np.ndarray:
    """Means over square cells: (n, H, W, ...) -> (n, cells, cells, ...)."""
    n, h, w = x.shape[:3]
    return x.reshape(n, cells, h // cells, cells, w // cells, *x.shape[3:]).mean(axis=(2, 4))


def _soft_halve(x: np.ndarray) -> np.ndarray:
    """(n, 8, 8, ...) -> (n, 4, 4, ...) with overlapping cells: [1 2 1] smoothing, then
    every other cell. A small shift moves weight to a neighbour, not across a border."""
    p = np.concatenate([x[:, :1], x, x[:, -1:]], axis=1)
    x = (p[:, :-2] + 2 * p[:, 1:-1] + p[:, 2:]) / 4
    p = np.concatenate([x[:, :, :1], x, x[:, :, -1:]], axis=2)
    x = (p[:, :, :-2] + 2 * p[:, :, 1:-1] + p[:, :, 2:]) / 4
    return x[:, ::2, ::2]


def _orientation_grid(grey: np.ndarray) -> np.ndarray:
    """(n, 8, 8, 8): gradient magnitude per cell and orientation, soft-binned."""
    n, h, w = grey.shape
    gy, gx = np.gradient(grey, axis=(1, 2))
    mag = np.hypot(gx, gy)
    pos = (np.arctan2(gy, gx) % np.pi) * (ORIENTATIONS / np.pi)
    lo = np.floor(pos)
    b0 = lo.astype(np.int64) % ORIENTATIONS
    frac = pos - lo
    cy = (np.arange(h) * GRID // h)[None, :, None]
    cx = (np.arange(w) * GRID // w)[None, None, :]
    base = ((np.arange(n)[:, None, None] * GRID + cy) * GRID + cx) * ORIENTATIONS
    size = n * GRID * GRID * ORIENTATIONS
    hist = np.bincount((base + b0).ravel(), (mag * (1 - frac)).ravel(), size)
    hist += np.bincount((base + (b0 + 1) % ORIENTATIONS).ravel(), (mag * frac).ravel(), size)
    return (hist / ((h // GRID) * (w // GRID))).reshape(n, GRID, GRID, ORIENTATIONS)


def _grids(x: np.ndarray) -> dict[str, np.ndarray]:
    """Per-cell statistics of a batch of views (n, 64, 64, 3) on the 8 x 8 grid."""
    grey = x @ GREY
    red_green = (x[..., 0] - x[..., 1]) / np.sqrt(2)
    yellow_blue = (x[..., 0] + x[..., 1] - 2 * x[..., 2]) / np.sqrt(6)
    return {
        "orient": _orientation_grid(grey),
        "colour": _pool(np.stack([red_green, yellow_blue], axis=-1), GRID).astype(np.float64),
    }


def _mirror(g: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The grids of the horizontally flipped views, without computing them again:
    columns reverse, and an orientation theta becomes pi - theta (bin b becomes -b)."""
    back = (-np.arange(ORIENTATIONS)) % ORIENTATIONS
    return {"orient": g["orient"][:, :, ::-1][..., back], "colour": g["colour"][:, :, ::-1]}


def _unit(v: np.ndarray, floor: float = 1e-12) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), floor)


def _hellinger(h: np.ndarray) -> np.ndarray:
    """Square-rooted, centred, unit-length histograms: no bin or image dominates."""
    h = np.sqrt(h / np.maximum(h.sum(axis=1, keepdims=True), 1e-12))
    return _unit(h - h.mean(axis=1, keepdims=True))


def feature_blocks(images: Sequence[np.ndarray]) -> dict[str, np.ndarray]:
    """The feature blocks of a batch of images: ``hog`` (n, 128) and ``colour`` (n, 32).

    1. Views: each image resampled to 64 x 64 (whole, and its central 90 %), blurred a
       little, and each view mirrored. Summing the statistics of the four views makes the
       features blind to horizontal flips and less sensitive to crops.
    2. ``hog``: gradient-orientation histograms (8 bins) on a 4 x 4 grid, square-rooted,
       centred and L2-normalised (so brightness and contrast do not matter).
    3. ``colour``: mean opponent colours (red-green, yellow-blue) on a 4 x 4 grid of
       overlapping cells; unit length for colourful images, shorter for greyish ones, zero
       for grey ones.
    """
    n = len(images)
    orient = np.zeros((n, GRID, GRID, ORIENTATIONS))
    colour = np.zeros((n, GRID, GRID, 2))
    for zoom in ZOOMS:
        g = _grids(_resample(images, zoom))
        m = _mirror(g)
        orient += g["orient"] + m["orient"]
        colour += g["colour"] + m["colour"]
    return {
        "hog": _hellinger(_pool(orient, 4).reshape(n, -1)),
        "colour": _unit(_soft_halve(colour).reshape(n, -1), floor=COLOUR_FLOOR),
    }


def features(images: Sequence[np.ndarray], batch: int = 512) -> np.ndarray:
    """(n, 160) float64 unit vectors: the weighted blocks, concatenated."""
    parts = []
    for i in range(0, len(images), batch):
        blocks = feature_blocks(images[i : i + batch])
        parts.append(np.concatenate([np.sqrt(w) * blocks[name] for name, w in BLOCK_WEIGHTS.items()], axis=1))
    if not parts:
        return np.zeros((0, 160))
    return _unit(np.concatenate(parts))


def calibrate(f: np.ndarray, raw_threshold: float = RAW_THRESHOLD, threshold: float = DEFAULT_THRESHOLD) -> np.ndarray:
    """Append a constant component so that cosine ``raw_threshold`` becomes ``threshold``.

    For unit vectors a, b and a constant c: cos([a, c], [b, c]) = (cos(a, b) + c^2) / (1 + c^2).
    The order of all pairs stays; only the scale moves (unrelated images end up near 0.7,
    as with learned embeddings).
    """
    c2 = (threshold - raw_threshold) / (1 - threshold)
    out = np.concatenate([f, np.full((len(f), 1), np.sqrt(c2))], axis=1)
    return out / np.sqrt(1 + c2)


def rotation(dim_in: int, dim_out: int = EMBED_DIM, seed: int = ROTATION_SEED) -> np.ndarray:
    """(dim_in, dim_out) with orthonormal rows, from a seeded RNG: a fixed random rotation
    into ``dim_out`` dimensions. It keeps every cosine and spreads each feature over all
    the dimensions, as a learned embedding does."""
    if dim_in > dim_out:
        raise ValueError(f"cannot rotate {dim_in} dimensions into {dim_out}")
    q, r = np.linalg.qr(np.random.default_rng(seed).standard_normal((dim_out, dim_out)))
    return (q * np.sign(np.diag(r)))[:dim_in]  # signs fixed: one rotation per seed


def embed(images: Sequence[np.ndarray]) -> np.ndarray:
    """(n, 256) float32 unit vectors: the demo's deterministic image embedding.

    ``features`` -> ``calibrate`` -> ``rotation``. The same image always gets the same
    vector: no model, no download, no randomness but a seeded one.
    """
    f = calibrate(features(images))
    return _unit(f @ rotation(f.shape[1])).astype(np.float32)
