"""The demo dataset (examples/build_demo.py): built into an embedded Qdrant as scripts/demo
does it (start on a data dir, upload, stop), then read back from a new backend process.

Checks what the demo promises: real images with planted near-duplicates of every kind, a
train/test split that some planted groups cross, thumbnails the panel can show, a
deterministic embedding, and that exact brute force at the panel's default threshold (0.95)
puts every planted group inside one connected component.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("skimage", reason="the demo dataset needs scikit-image (the demo extra)")
pytest.importorskip("sklearn", reason="the demo dataset needs scikit-learn (the demo extra)")
pytest.importorskip("PIL", reason="the demo dataset needs Pillow (the demo extra)")

from PIL import Image  # noqa: E402

from jupyterlab_near_duplicates.embedded import EmbeddedBackend  # noqa: E402

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
sys.path.insert(0, str(EXAMPLES))

import build_demo  # noqa: E402
import demo_dataset as demo  # noqa: E402

COLLECTION = "demo-test"


def _client(backend: EmbeddedBackend):
    from qdrant_client import QdrantClient

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # API key over loopback http
        return QdrantClient(url=backend.url, api_key=backend.api_key, timeout=120, check_compatibility=False)


def _points(client, collection: str) -> list:
    points, offset = [], None
    while True:
        batch, offset = client.scroll(collection, limit=500, offset=offset, with_payload=True, with_vectors=True)
        points.extend(batch)
        if offset is None:
            return sorted(points, key=lambda p: p.id)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The full demo dataset built by the CLI into an embedded backend that is then stopped,
    and read back from a second backend process on the same data dir."""
    tmp = tmp_path_factory.mktemp("demo")
    data_dir, out_dir = tmp / "qdrant", tmp / "root" / "demo_data"
    argv = ["--data-dir", str(data_dir), "--collection", COLLECTION, "--out-dir", str(out_dir)]
    assert build_demo.main([*argv, "--root", str(tmp / "root"), "--json"]) == 0
    backend = EmbeddedBackend(str(data_dir), str(tmp / "runtime.json"))
    backend.ensure_running()
    assert backend.owned  # the build's backend stopped: this is a new process
    client = _client(backend)
    points = _points(client, COLLECTION)
    truth = json.loads((out_dir / "planted.json").read_text())
    yield {
        "tmp": tmp,
        "root": tmp / "root",
        "out_dir": out_dir,
        "data_dir": data_dir,
        "backend": backend,
        "client": client,
        "points": points,
        "payloads": [p.payload for p in points],
        "vectors": np.array([p.vector for p in points], np.float32),
        "truth": truth,
    }
    client.close()
    backend.stop()


def test_sizes_sources_and_transforms(built):
    payloads, truth = built["payloads"], built["truth"]
    n = len(payloads)
    assert n == truth["samples"] == built["client"].count(COLLECTION, exact=True).count
    assert [p.id for p in built["points"]] == list(range(n))
    ids = [p["sample_id"] for p in payloads]
    assert len(set(ids)) == n
    originals = [p for p in payloads if p["transform"] == "original"]
    by_source = {s: sum(p["source"] == s for p in originals) for s in ("photo", "face", "digit")}
    assert by_source["photo"] >= 20 and by_source["face"] == 100
    assert 300 <= by_source["digit"] <= 1797  # curated: no two near-identical digits
    assert 600 <= n <= 1500
    copies = [p for p in payloads if p["transform"] != "original"]
    kinds = {p["transform"] for p in copies}
    assert kinds == {"exact", "crop", "resize", "jpeg", "flip", "jitter", "rotate"}
    assert all(sum(p["transform"] == k for p in copies) >= 5 for k in kinds)
    assert len(truth["groups"]) >= 50
    assert {p["source"] for p in copies} == {"photo", "face", "digit"}
    # every payload names its planted group exactly as planted.json does
    member_of = {m["sample_id"]: g["planted_group"] for g in truth["groups"] for m in g["members"]}
    assert {p["sample_id"]: p.get("planted_group") for p in payloads if "planted_group" in p} == member_of
    for g in truth["groups"]:
        assert [m["transform"] for m in g["members"]].count("original") == 1
        assert len(g["members"]) >= 2
    # exact copies are pixel-for-pixel the same image: the same vector
    vec = {p["sample_id"]: v for p, v in zip(payloads, built["vectors"])}
    for p in copies:
        if p["transform"] == "exact":
            assert float(vec[p["sample_id"]] @ vec[p["planted_group"]]) > 0.9999


def test_splits_and_cross_split_duplicates(built):
    payloads, truth = built["payloads"], built["truth"]
    assert {p["split"] for p in payloads} == {"train", "test"}
    test_share = sum(p["split"] == "test" for p in payloads) / len(payloads)
    assert 0.1 < test_share < 0.35
    crossing = [g for g in truth["groups"] if len({m["split"] for m in g["members"]}) == 2]
    within = [g for g in truth["groups"] if len({m["split"] for m in g["members"]}) == 1]
    assert len(crossing) >= 10 and len(within) >= 10  # leaks, and duplicates that do not leak
    split_of = {p["sample_id"]: p["split"] for p in payloads}
    for g in truth["groups"]:
        assert all(split_of[m["sample_id"]] == m["split"] for m in g["members"])


def test_thumbnails_are_small_images_under_the_jupyter_root(built):
    root, thumbs = built["root"], built["out_dir"] / "thumbs"
    files = set(thumbs.glob("*.png"))
    assert len(files) == len(built["payloads"])
    for p in built["payloads"]:
        rel = p["thumbnail"]
        assert not rel.startswith(("/", "..")) and rel.endswith(".png") and "\\" not in rel
        assert rel == f"demo_data/thumbs/{p['sample_id']}.png"  # relative to the Jupyter root
        path = root / rel
        assert path in files
        with Image.open(path) as im:
            im.verify()  # a valid PNG, not truncated
        with Image.open(path) as im:
            assert im.format == "PNG" and im.mode == "RGB"
            assert max(im.size) == demo.THUMB_MAX_SIDE
            assert im.size[0] / im.size[1] == pytest.approx(p["width"] / p["height"], rel=0.1)


def test_embedding_is_deterministic(built):
    # A smaller build plants the same copies of the same originals (each original has its
    # own seeded RNG), so its images and their vectors must match the full build's.
    samples = demo.load_samples(n_digits=100)
    stored = {p["sample_id"]: v for p, v in zip(built["payloads"], built["vectors"])}
    pick = [s for s in samples if s.sample_id in stored]
    assert len(pick) > 150 and any(s.transform != "original" for s in pick)
    a = demo.embed([s.image for s in pick])
    b = demo.embed([s.image for s in pick])
    assert a.dtype == np.float32 and a.shape == (len(pick), demo.EMBED_DIM)
    assert np.array_equal(a, b)
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(np.array([stored[s.sample_id] for s in pick]), a, atol=1e-6)


def test_brute_force_at_default_threshold_recovers_every_planted_group(built):
    payloads, vectors, truth = built["payloads"], built["vectors"], built["truth"]
    assert truth["threshold"] == demo.DEFAULT_THRESHOLD == 0.95
    pairs = demo.pairs_above(vectors, 0.95)
    component = {i: k for k, c in enumerate(demo.components(len(payloads), pairs)) for i in c}
    index = {p["sample_id"]: i for i, p in enumerate(payloads)}
    for g in truth["groups"]:
        members = [index[m["sample_id"]] for m in g["members"]]
        found = {component.get(i) for i in members}
        assert len(found) == 1 and None not in found, f"planted group {g['planted_group']} is split: {found}"
    # and little else: pairs above 0.95 are (nearly) all planted
    planted = {tuple(sorted((index[a["sample_id"]], index[b["sample_id"]])))
               for g in truth["groups"] for a in g["members"] for b in g["members"] if a is not b}
    found_pairs = {(int(a), int(b)) for a, b in pairs}
    assert planted <= found_pairs  # recall 1.0 of planted pairs
    assert len(found_pairs - planted) <= 5


def test_rebuilding_replaces_the_collection_and_the_files(built):
    """Idempotent: a second (smaller) build leaves no point or thumbnail of the first."""
    built["client"].close()
    built["backend"].stop()  # the CLI starts its own backend on the data dir
    out_dir = built["tmp"] / "root" / "demo_data"
    argv = ["--data-dir", str(built["data_dir"]), "--collection", COLLECTION, "--out-dir", str(out_dir)]
    assert build_demo.main([*argv, "--root", str(built["root"]), "--digits", "60", "--faces", "20", "--json"]) == 0
    truth = json.loads((out_dir / "planted.json").read_text())
    assert truth["samples"] < len(built["payloads"])
    assert len(list((out_dir / "thumbs").glob("*.png"))) == truth["samples"]
    backend = EmbeddedBackend(str(built["data_dir"]), str(built["tmp"] / "runtime.json"))
    backend.ensure_running()
    client = _client(backend)
    try:
        assert client.count(COLLECTION, exact=True).count == truth["samples"]
    finally:
        client.close()
        backend.stop()
