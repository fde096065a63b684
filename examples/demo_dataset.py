"""The demo dataset: real images that Python packages ship, with planted near-duplicates.

Everything is local and deterministic; nothing is downloaded:

* photos bundled in scikit-image's wheel (``skimage/data/*.png|jpg``, not the ones its
  ``skimage.data`` fetches with pooch) and in scikit-learn's (``load_sample_image``);
* the 100 face crops of scikit-image's ``lfw_subset.npy`` (Labeled Faces in the Wild);
* scikit-learn's handwritten digits (the file ``load_digits`` reads: 1,797 scans of
  8 x 8 pixels). Many of them are already near-identical (8 x 8 pixels leave little
  room): we keep the digits that are not, so that the planted groups are the ground truth.

Some originals get copies made by real image transforms (crop, resize, JPEG re-encode,
horizontal flip, colour jitter, small rotation, exact copy). Every sample has a ``split``
(train/test); some planted copies land on the other side of the split from their
original, as leaks do in real datasets. The ground truth is in the payload
(``planted_group``: the sample id of the group's original; ``transform``) and in
``planted.json``.

The embedding is :func:`embed`, a fixed image feature extractor (no model, no download):
HOG-like gradient-orientation histograms and a colour layout, made blind to horizontal
flips, calibrated and turned by a seeded random rotation into 256 dimensions.

``examples/build_demo.py`` is the command line around :func:`build`.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter

EXAMPLES_DIR = Path(__file__).resolve().parent
#: The Jupyter root of ``scripts/demo``: thumbnail paths in the payload are relative to it.
REPO_ROOT = EXAMPLES_DIR.parent
DEFAULT_OUT_DIR = EXAMPLES_DIR / "demo_data"
DEFAULT_COLLECTION = "demo-images"
DEFAULT_THRESHOLD = 0.95  # the panel's default similarity threshold
SEED = 20240611

# ---------------------------------------------------------------------------------------
# Samples
# ---------------------------------------------------------------------------------------


@dataclass
class Sample:
    """One image of the demo dataset and what we know about it."""

    sample_id: str
    image: np.ndarray  # H x W x 3, uint8
    source: str  # "photo" | "face" | "digit"
    package: str  # "scikit-image" | "scikit-learn": where the image comes from
    label: str  # the photo's name, "face", or the digit
    split: str = "train"  # "train" | "test"
    transform: str = "original"  # "original", or the transform that made this copy
    planted_group: str | None = None  # sample id of the original, for planted groups
    params: dict = field(default_factory=dict)  # the transform's parameters
    point_id: int = -1
    thumbnail: str = ""  # path relative to the Jupyter root (set by write_thumbnails)

    def payload(self) -> dict:
        h, w = self.image.shape[:2]
        p: dict[str, Any] = {
            "sample_id": self.sample_id,
            "thumbnail": self.thumbnail,
            "split": self.split,
            "source": self.source,
            "package": self.package,
            "label": self.label,
            "transform": self.transform,
            "width": int(w),
            "height": int(h),
        }
        if self.planted_group is not None:
            p["planted_group"] = self.planted_group
        return p


# ---------------------------------------------------------------------------------------
# The originals
# ---------------------------------------------------------------------------------------

#: Photos in scikit-image's wheel: file in skimage/data -> name. (chessboard_RGB and
#: motorcycle_right are left out: the same scenes as chessboard_GRAY and motorcycle_left.)
SKIMAGE_PHOTOS = {
    "astronaut.png": "astronaut",
    "brick.png": "brick",
    "camera.png": "camera",
    "cell.png": "cell",
    "chelsea.png": "chelsea",
    "chessboard_GRAY.png": "chessboard",
    "clock_motion.png": "clock",
    "coffee.png": "coffee",
    "coins.png": "coins",
    "color.png": "colorwheel",
    "grass.png": "grass",
    "gravel.png": "gravel",
    "horse.png": "horse",
    "hubble_deep_field.jpg": "hubble",
    "ihc.png": "ihc",
    "logo.png": "logo",
    "microaneurysms.png": "microaneurysms",
    "moon.png": "moon",
    "motorcycle_left.png": "motorcycle",
    "page.png": "page",
    "phantom.png": "phantom",
    "retina.jpg": "retina",
    "rocket.jpg": "rocket",
    "text.png": "text",
}
SKLEARN_PHOTOS = {"china.jpg": "china", "flower.jpg": "flower"}
PHOTO_MAX_SIDE = 320  # originals are stored at most this large (keeps the build fast)
FACE_SIDE = 100  # the 25 x 25 LFW crops are stored upscaled, as a dataset would keep them
DIGIT_SIDE = 32  # the 8 x 8 digits likewise


def _package_dir(name: str) -> Path:
    """Where an installed package lives, found without importing it (scikit-learn takes
    seconds to import; we only read data files it ships)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"the demo dataset needs {name}: pip install scikit-image scikit-learn")
    return Path(list(spec.submodule_search_locations)[0])


def skimage_data_dir() -> Path:
    return _package_dir("skimage") / "data"


def sklearn_data_dir() -> Path:
    return _package_dir("sklearn") / "datasets"


def _to_rgb(im: Image.Image) -> Image.Image:
    if im.mode in ("RGBA", "LA", "P", "PA"):  # transparent: onto white paper
        im = im.convert("RGBA")
        im = Image.alpha_composite(Image.new("RGBA", im.size, (255, 255, 255, 255)), im)
    return im.convert("RGB")


def _fit(im: Image.Image, max_side: int) -> Image.Image:
    w, h = im.size
    s = max_side / max(w, h)
    if s >= 1:
        return im
    return im.resize((max(1, round(w * s)), max(1, round(h * s))), Image.LANCZOS)


def load_photos() -> list[Sample]:
    out = []
    d = skimage_data_dir()
    for fname, name in SKIMAGE_PHOTOS.items():
        path = d / fname
        if not path.exists():  # a later scikit-image may move one to pooch: skip it
            continue
        with Image.open(path) as im:
            im.load()
            rgb = _fit(_to_rgb(im), PHOTO_MAX_SIDE)
        out.append(Sample(f"photo-{name}", np.asarray(rgb), "photo", "scikit-image", name))
    for fname, name in SKLEARN_PHOTOS.items():  # what sklearn.datasets.load_sample_image reads
        with Image.open(sklearn_data_dir() / "images" / fname) as im:
            rgb = _fit(_to_rgb(im), PHOTO_MAX_SIDE)
        out.append(Sample(f"photo-{name}", np.asarray(rgb), "photo", "scikit-learn", name))
    return out


def load_faces(n: int | None = None) -> list[Sample]:
    """The 100 face crops of ``lfw_subset.npy`` (its other 100 images are blank patches)."""
    arr = np.load(skimage_data_dir() / "lfw_subset.npy")  # (200, 25, 25) floats in [0, 1]
    out = []
    for i, a in enumerate(arr[:100]):
        im = Image.fromarray((a * 255).round().astype(np.uint8))
        im = im.resize((FACE_SIDE, FACE_SIDE), Image.BICUBIC).convert("RGB")
        out.append(Sample(f"face-{i:03d}", np.asarray(im), "face", "scikit-image", "face"))
    return _subset(out, n)


def load_digits(n: int | None = None) -> list[Sample]:
    """scikit-learn's digits (before curation), as dark ink on white paper."""
    path = sklearn_data_dir() / "data" / "digits.csv.gz"
    if path.exists():  # the file sklearn.datasets.load_digits() reads: 64 pixels, then the digit
        table = np.loadtxt(path, delimiter=",")
        images, targets = table[:, :64].reshape(-1, 8, 8), table[:, 64].astype(int)
    else:  # pragma: no cover - a scikit-learn that stores it elsewhere
        from sklearn.datasets import load_digits as sk_load_digits

        d = sk_load_digits()
        images, targets = d.images, d.target
    out = []
    for i, (a, t) in enumerate(zip(images, targets)):
        ink = (255 - a * (255 / 16)).round().astype(np.uint8)
        im = Image.fromarray(ink).resize((DIGIT_SIDE, DIGIT_SIDE), Image.BICUBIC).convert("RGB")
        out.append(Sample(f"digit-{i:04d}", np.asarray(im), "digit", "scikit-learn", str(int(t))))
    return _subset(out, n)


def _subset(samples: list[Sample], n: int | None) -> list[Sample]:
    """An evenly spaced subset (smaller builds for tests): the same n gives the same subset."""
    if n is None or n >= len(samples):
        return samples
    keep = np.linspace(0, len(samples) - 1, n).round().astype(int)
    return [samples[i] for i in keep]


def curate(samples: list[Sample], vectors: np.ndarray, raw_threshold: float) -> list[int]:
    """Indices of the samples to keep: in order, each that is no near-duplicate (feature
    cosine above ``raw_threshold``) of one kept before it."""
    kept: list[int] = []
    for i in range(len(samples)):
        if not kept or float(np.max(vectors[kept] @ vectors[i])) <= raw_threshold:
            kept.append(i)
    return kept


# ---------------------------------------------------------------------------------------
# Planting near-duplicates: real image transforms
# ---------------------------------------------------------------------------------------


def _pil(a: np.ndarray) -> Image.Image:
    return Image.fromarray(np.ascontiguousarray(a), "RGB")


def t_exact(a: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    return a.copy(), {}


def t_crop(a: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    h, w = a.shape[:2]
    f = float(rng.uniform(0.92, 0.97))  # keep this fraction of each side
    ch, cw = max(1, round(h * f)), max(1, round(w * f))
    y, x = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
    return a[y : y + ch, x : x + cw].copy(), {"keep": round(f, 3), "x": x, "y": y}


def t_resize(a: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    h, w = a.shape[:2]
    s = float(rng.uniform(0.45, 0.75))
    im = _pil(a).resize((max(8, round(w * s)), max(8, round(h * s))), Image.LANCZOS)
    return np.asarray(im), {"scale": round(s, 3)}


def t_jpeg(a: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    q = int(rng.integers(20, 46))
    buf = io.BytesIO()
    _pil(a).save(buf, format="JPEG", quality=q)
    with Image.open(io.BytesIO(buf.getvalue())) as im:
        return np.asarray(im.convert("RGB")), {"quality": q}


def t_flip(a: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    return a[:, ::-1].copy(), {}


def t_jitter(a: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    b, c, s = (float(rng.uniform(0.85, 1.15)) for _ in range(3))
    hue = float(rng.uniform(-0.03, 0.03))
    im = ImageEnhance.Brightness(_pil(a)).enhance(b)
    im = ImageEnhance.Contrast(im).enhance(c)
    im = ImageEnhance.Color(im).enhance(s)
    hsv = np.asarray(im.convert("HSV")).copy()
    hsv[..., 0] = (hsv[..., 0].astype(np.int16) + round(hue * 255)) % 256
    im = Image.fromarray(hsv, "HSV").convert("RGB")
    params = {"brightness": round(b, 3), "contrast": round(c, 3), "saturation": round(s, 3), "hue": round(hue, 3)}
    return np.asarray(im), params


def t_rotate(a: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    h, w = a.shape[:2]
    deg = float(rng.uniform(1.5, 4.0)) * (1 if rng.random() < 0.5 else -1)
    im = _pil(a).rotate(deg, resample=Image.BICUBIC)
    # then crop the largest centred rectangle of the same shape that has no empty corner
    t = np.deg2rad(abs(deg))
    s = 1.0 / (np.cos(t) + np.sin(t) * max(w / h, h / w))
    cw, ch = max(1, int(w * s)), max(1, int(h * s))
    x, y = (w - cw) // 2, (h - ch) // 2
    return np.asarray(im.crop((x, y, x + cw, y + ch))), {"degrees": round(deg, 2)}


TRANSFORMS: dict[str, Callable[[np.ndarray, np.random.Generator], tuple[np.ndarray, dict]]] = {
    "exact": t_exact,
    "crop": t_crop,
    "resize": t_resize,
    "jpeg": t_jpeg,
    "flip": t_flip,
    "jitter": t_jitter,
    "rotate": t_rotate,
}
#: Share of the originals of each source that get planted copies.
PLANT_FRACTION = {"photo": 0.5, "face": 0.2, "digit": 0.06}
#: Originals never given copies. coins: dozens of identical discs, so that a copy rotated
#: by 3 degrees has its edges in other cells and these features take it for another image
#: (it scores 0.94; a learned embedding would do better).
NOT_PLANTED = {"photo-coins"}
TEST_FRACTION = 0.2  # originals in the test split
CROSS_SPLIT_FRACTION = 0.35  # planted copies put on the other side of the split


def _rng(sample_id: str, seed: int) -> np.random.Generator:
    """Each original's own RNG: a subset of the dataset plants the same copies."""
    return np.random.default_rng([seed, zlib.crc32(sample_id.encode())])


def plant(originals: list[Sample], seed: int = SEED) -> list[Sample]:
    """Give the originals their splits and some of them 1 to 3 transformed copies.

    Returns originals and copies in a shuffled, reproducible order, with point ids
    0..n-1 in that order.
    """
    copies: list[Sample] = []
    names = list(TRANSFORMS)
    for orig in originals:
        rng = _rng(orig.sample_id, seed)
        orig.split = "test" if rng.random() < TEST_FRACTION else "train"
        if rng.random() >= PLANT_FRACTION.get(orig.source, 0.05) or orig.sample_id in NOT_PLANTED:
            continue
        orig.planted_group = orig.sample_id
        n_copies = int(rng.choice([1, 2, 3], p=[0.55, 0.3, 0.15]))
        for name in rng.choice(names, size=n_copies, replace=False):
            img, params = TRANSFORMS[str(name)](orig.image, rng)
            split = orig.split
            if rng.random() < CROSS_SPLIT_FRACTION:
                split = "test" if split == "train" else "train"
            copies.append(
                Sample(
                    f"{orig.sample_id}-{name}",
                    np.ascontiguousarray(img),
                    orig.source,
                    orig.package,
                    orig.label,
                    split,
                    str(name),
                    orig.sample_id,
                    params,
                )
            )
    samples = originals + copies
    order = np.random.default_rng(seed).permutation(len(samples))
    samples = [samples[i] for i in order]
    for pid, s in enumerate(samples):
        s.point_id = pid
    return samples


def load_samples(n_digits: int | None = None, n_faces: int | None = None, seed: int = SEED) -> list[Sample]:
    """The demo dataset: originals (digits curated) and planted copies, deterministic.

    ``n_digits`` / ``n_faces`` take evenly spaced subsets before curation (for quick
    builds); by default all are used.
    """
    photos, faces, digits = load_photos(), load_faces(n_faces), load_digits(n_digits)
    keep = curate(digits, features([d.image for d in digits]), CURATE_RAW_THRESHOLD)
    return plant(photos + faces + [digits[i] for i in keep], seed)


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


# ---------------------------------------------------------------------------------------
# Checking the ground truth: exact brute-force groups at a threshold
# ---------------------------------------------------------------------------------------


def pairs_above(vectors: np.ndarray, threshold: float) -> np.ndarray:
    """(k, 2) index pairs i < j with cosine > threshold (strict, as Qdrant applies it)."""
    v = np.asarray(vectors, np.float64)
    s = v @ v.T
    i, j = np.nonzero(np.triu(s > threshold, 1))
    return np.stack([i, j], axis=1)


def components(n: int, pairs: np.ndarray) -> list[list[int]]:
    """Connected components (size >= 2) of the pairs, largest first."""
    parent = list(range(n))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for a, b in pairs:
        ra, rb = find(int(a)), find(int(b))
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    return sorted((g for g in groups.values() if len(g) > 1), key=lambda g: (-len(g), g[0]))


def planted_groups(samples: Sequence[Sample]) -> dict[str, list[int]]:
    """Planted group (its original's sample id) -> indices of its members."""
    out: dict[str, list[int]] = {}
    for i, s in enumerate(samples):
        if s.planted_group is not None:
            out.setdefault(s.planted_group, []).append(i)
    return out


def evaluate(samples: Sequence[Sample], vectors: np.ndarray, threshold: float = DEFAULT_THRESHOLD) -> dict:
    """How well brute force at ``threshold`` finds the planted groups, and what else."""
    v = np.asarray(vectors, np.float64)
    pairs = pairs_above(v, threshold)
    comps = components(len(samples), pairs)
    comp_of = {i: k for k, c in enumerate(comps) for i in c}
    groups = planted_groups(samples)
    planted_pairs = {(a, b) for m in groups.values() for a in m for b in m if a < b}
    found = {(int(a), int(b)) for a, b in pairs}
    by_transform: dict[str, list[float]] = {}
    for m in groups.values():
        orig = next(i for i in m if samples[i].transform == "original")
        for i in m:
            if i != orig:
                by_transform.setdefault(samples[i].transform, []).append(float(v[i] @ v[orig]))
    missed_groups = [g for g, m in groups.items() if len({comp_of.get(i, -1 - i) for i in m}) > 1]
    false_pairs = sorted(found - planted_pairs)
    planted_members = {i for m in groups.values() for i in m}
    return {
        "threshold": threshold,
        "samples": len(samples),
        "planted_groups": len(groups),
        "planted_pairs": len(planted_pairs),
        "planted_pairs_found": len(planted_pairs & found),
        "recall": len(planted_pairs & found) / max(1, len(planted_pairs)),
        "groups_recovered": len(groups) - len(missed_groups),
        "missed_groups": missed_groups,
        "pairs_found": len(found),
        "false_pairs": len(false_pairs),
        "false_pair_ids": [(samples[a].sample_id, samples[b].sample_id, round(float(v[a] @ v[b]), 4)) for a, b in false_pairs],
        "components": len(comps),
        "components_without_planted": sum(1 for c in comps if not planted_members & set(c)),
        "min_score_by_transform": {t: round(min(s), 4) for t, s in sorted(by_transform.items())},
    }


# ---------------------------------------------------------------------------------------
# Files and the Qdrant collection
# ---------------------------------------------------------------------------------------

THUMB_MAX_SIDE = 96


def write_thumbnails(samples: Sequence[Sample], thumbs_dir: Path, root: Path = REPO_ROOT) -> None:
    """Small PNGs in ``thumbs_dir`` (stale ones removed); sets each sample's ``thumbnail``
    to its path relative to ``root``, the Jupyter root that serves it under /files/."""
    thumbs_dir = Path(thumbs_dir)
    thumbs_dir.mkdir(parents=True, exist_ok=True)
    names = {f"{s.sample_id}.png" for s in samples}
    for old in thumbs_dir.glob("*.png"):
        if old.name not in names:
            old.unlink()
    for s in samples:
        im = _pil(s.image)
        w, h = im.size
        scale = THUMB_MAX_SIDE / max(w, h)
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        # small scans (digits, faces) are enlarged with crisp pixels, photos reduced smoothly
        im = im.resize(size, Image.NEAREST if scale > 1 else Image.LANCZOS)
        path = thumbs_dir / f"{s.sample_id}.png"
        im.save(path, format="PNG", optimize=False)
        s.thumbnail = Path(os.path.relpath(path, root)).as_posix()


def ground_truth(samples: Sequence[Sample], collection: str) -> dict:
    groups = planted_groups(samples)
    return {
        "collection": collection,
        "threshold": DEFAULT_THRESHOLD,
        "seed": SEED,
        "samples": len(samples),
        "groups": [
            {
                "planted_group": g,
                "members": [
                    {
                        "sample_id": samples[i].sample_id,
                        "point_id": samples[i].point_id,
                        "transform": samples[i].transform,
                        "split": samples[i].split,
                        "params": samples[i].params,
                    }
                    for i in sorted(m, key=lambda i: (samples[i].transform != "original", samples[i].sample_id))
                ],
            }
            for g, m in sorted(groups.items())
        ],
    }


def upload(client, collection: str, samples: Sequence[Sample], vectors: np.ndarray, batch: int = 256) -> None:
    """(Re)create ``collection`` and upsert one point per sample (the official qdrant-client API)."""
    from qdrant_client import models

    if client.collection_exists(collection):
        client.delete_collection(collection)
    client.create_collection(
        collection,
        vectors_config=models.VectorParams(size=int(vectors.shape[1]), distance=models.Distance.COSINE),
    )
    for i in range(0, len(samples), batch):
        client.upsert(
            collection,
            points=[
                models.PointStruct(id=s.point_id, vector=v.tolist(), payload=s.payload())
                for s, v in zip(samples[i : i + batch], vectors[i : i + batch])
            ],
            wait=True,
        )


def stats(samples: Sequence[Sample]) -> dict:
    """Counts for reports: sources, splits, planted copies by transform, cross-split copies."""
    by_id = {s.sample_id: s for s in samples}
    copies = [s for s in samples if s.transform != "original"]
    count = lambda xs: dict(sorted(_counter(xs).items()))  # noqa: E731
    return {
        "samples": len(samples),
        "originals": len(samples) - len(copies),
        "by_source": count(s.source for s in samples),
        "by_split": count(s.split for s in samples),
        "planted_groups": len({s.planted_group for s in copies}),
        "planted_copies": len(copies),
        "copies_by_transform": count(s.transform for s in copies),
        "groups_by_source": count(by_id[g].source for g in {s.planted_group for s in copies}),
        "cross_split_copies": sum(1 for s in copies if s.split != by_id[s.planted_group].split),
        "groups_across_split": len({s.planted_group for s in copies if s.split != by_id[s.planted_group].split}),
    }


def _counter(xs) -> dict:
    out: dict = {}
    for x in xs:
        out[x] = out.get(x, 0) + 1
    return out


def build(
    client=None,
    collection: str = DEFAULT_COLLECTION,
    out_dir: Path = DEFAULT_OUT_DIR,
    root: Path = REPO_ROOT,
    n_digits: int | None = None,
    n_faces: int | None = None,
    log: Callable[[str], None] = print,
) -> dict:
    """Build the demo dataset: thumbnails and ``planted.json`` in ``out_dir``, and (with a
    client) the Qdrant collection, replaced if it exists. Returns a report."""
    out_dir = Path(out_dir)
    times: dict[str, float] = {}
    t0 = time.perf_counter()
    samples = load_samples(n_digits=n_digits, n_faces=n_faces)
    times["load_and_plant"] = time.perf_counter() - t0
    t = time.perf_counter()
    vectors = embed([s.image for s in samples])
    times["embed"] = time.perf_counter() - t
    t = time.perf_counter()
    write_thumbnails(samples, out_dir / "thumbs", root)
    truth = ground_truth(samples, collection)
    (out_dir / "planted.json").write_text(json.dumps(truth, indent=1) + "\n")
    times["files"] = time.perf_counter() - t
    st = stats(samples)
    log(
        f"{st['samples']} images ({st['originals']} originals, {st['planted_copies']} planted copies "
        f"in {st['planted_groups']} groups, {st['groups_across_split']} groups across the train/test split)"
    )
    if client is not None:
        t = time.perf_counter()
        upload(client, collection, samples, vectors)
        times["upload"] = time.perf_counter() - t
        log(f"collection {collection!r}: {len(samples)} points of {vectors.shape[1]} dims (cosine)")
    ev = evaluate(samples, vectors)
    times["total"] = time.perf_counter() - t0
    log(
        f"at {ev['threshold']}: {ev['planted_pairs_found']}/{ev['planted_pairs']} planted pairs "
        f"(recall {ev['recall']:.3f}), {ev['groups_recovered']}/{ev['planted_groups']} planted groups "
        f"recovered, {ev['false_pairs']} other pairs; {times['total']:.1f} s"
    )
    return {"stats": st, "evaluation": ev, "times": times, "samples": samples, "vectors": vectors}
