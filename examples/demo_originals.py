"""The demo's samples and its originals: the images Python packages ship, loaded as samples.

Part of the demo dataset (``demo_dataset.py`` says what it is and re-exports these names).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

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


def _pil(a: np.ndarray) -> Image.Image:
    return Image.fromarray(np.ascontiguousarray(a), "RGB")
