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

import io
import json
import os
import time
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Callable

import numpy as np

# The demo's embedding and its originals live beside this module (examples/ is on sys.path
# wherever it is imported); the names below are this module's public ones too.
from demo_features import CURATE_RAW_THRESHOLD, DEFAULT_THRESHOLD, features
from demo_features import EMBED_DIM as EMBED_DIM
from demo_features import embed as embed
from demo_originals import Sample, _pil, curate, load_digits, load_faces, load_photos
from PIL import Image, ImageEnhance

EXAMPLES_DIR = Path(__file__).resolve().parent
#: The Jupyter root of ``scripts/demo``: thumbnail paths in the payload are relative to it.
REPO_ROOT = EXAMPLES_DIR.parent
DEFAULT_OUT_DIR = EXAMPLES_DIR / "demo_data"
DEFAULT_COLLECTION = "demo-images"
SEED = 20240611

# ---------------------------------------------------------------------------------------
# Planting near-duplicates: real image transforms
# ---------------------------------------------------------------------------------------


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
