"""nd.SampleGrid without a browser: samples from dicts, frames and Qdrant points; images to
browser sources; the filter a panel click sets on every live grid; the image requests of
the front end (a mock comm stands in for JupyterLab)."""

from __future__ import annotations

import base64
import importlib
import json
import os
import struct
import zlib

import numpy as np
import pytest
import traitlets

from jupyterlab_near_duplicates.images import array_to_png, image_source, image_src, sniff_image
from jupyterlab_near_duplicates.widgets import (
    MODULE_NAME,
    MODULE_VERSION,
    SampleGrid,
    filter_ids,
    normalise_samples,
)

sel = importlib.import_module("jupyterlab_near_duplicates.selection")
comm = importlib.import_module("jupyterlab_near_duplicates.comm")
images = importlib.import_module("jupyterlab_near_duplicates.images")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(autouse=True)
def fresh_state():
    sel._reset()
    yield
    sel._reset()


class MockComm:
    def __init__(self):
        self.sent = []
        self._on_msg = None

    def on_msg(self, fn):
        self._on_msg = fn

    def send(self, data):
        self.sent.append(data)

    def click(self, sample_ids, seq=1, index=0):
        self._on_msg(
            {
                "content": {
                    "data": {
                        "type": "select",
                        "seq": seq,
                        "group": {
                            "sample_ids": list(sample_ids),
                            "point_ids": list(range(len(sample_ids))),
                            "scores": [0.99] * len(sample_ids),
                            "group_index": index,
                            "collection": "planted",
                            "threshold": 0.95,
                        },
                    }
                }
            }
        )
        return self.sent[-1]


@pytest.fixture
def panel():
    c = MockComm()
    comm._on_comm_open(c, {"content": {"data": {"type": "hello", "protocol": 1}}})
    return c


def decode_png(uri_or_bytes):
    """(width, height, colour type) of a PNG, checking its IDAT inflates to the right size."""
    data = uri_or_bytes
    if isinstance(data, str):
        assert data.startswith("data:image/png;base64,")
        data = base64.b64decode(data.split(",", 1)[1])
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF
        chunks[kind] = chunks.get(kind, b"") + body
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    channels = {0: 1, 2: 3, 6: 4}[colour]
    assert depth == 8
    assert len(zlib.decompress(chunks[b"IDAT"])) == height * (1 + width * channels)
    return width, height, colour


# The widget's identity, as the front end registers it.


def test_model_module_matches_the_front_end_registration():
    with open(os.path.join(ROOT, "package.json")) as f:
        pkg = json.load(f)
    grid = SampleGrid()
    assert MODULE_NAME == grid._model_module == grid._view_module == pkg["name"]
    assert MODULE_VERSION == grid._model_module_version == f"^{pkg['version']}"
    assert (grid._model_name, grid._view_name) == ("SampleGridModel", "SampleGridView")
    state = grid.get_state()
    for trait in ("samples", "filter_ids", "filter_label", "selected_ids", "page", "page_size", "thumbnail_size"):
        assert trait in state
    assert "follow_selection" not in state  # kernel-only


# Samples in.


def test_samples_from_dicts_with_default_fields():
    grid = SampleGrid(
        [
            {"id": 1, "image": "https://example.org/1.png", "label": "cat"},
            {"id": "b", "thumbnail": "data:image/png;base64,AAAA"},
            {"id": 3.0, "label": None},
        ]
    )
    assert grid.samples == [
        {"id": "1", "label": "cat", "image": "https://example.org/1.png", "kernel_image": False},
        {"id": "b", "label": "", "image": "data:image/png;base64,AAAA", "kernel_image": False},
        {"id": "3", "label": "", "image": None, "kernel_image": False},
    ]
    assert grid.sample_ids == ["1", "b", "3"]
    assert grid.filter_ids is None and grid.selected_ids == []


def test_samples_with_named_fields_keep_kernel_images_in_the_kernel():
    entries, sources = normalise_samples(
        [{"name": "x", "img": b"\x89PNG...", "cls": 4}, {"name": "y", "img": "pics/y.png", "cls": 5}],
        id_field="name",
        image_field="img",
        label_field="cls",
    )
    assert [e["kernel_image"] for e in entries] == [True, True]
    assert [e["image"] for e in entries] == [None, None]
    assert [e["label"] for e in entries] == ["4", "5"]
    assert sources == {"x": b"\x89PNG...", "y": "pics/y.png"}


def test_samples_from_qdrant_points():
    from qdrant_client import models

    points = [
        models.Record(id=7, payload={"sample_id": "cluster0_0", "thumbnail": "thumbs/cluster0_0.png", "split": "train"}),
        models.Record(id=8, payload={"split": "test"}),
    ]
    grid = SampleGrid(points, id_field="sample_id", image_field="thumbnail", label_field="split")
    assert grid.sample_ids == ["cluster0_0", "8"]  # the point id when the payload has no sample id
    assert grid.samples[0]["kernel_image"] is True
    assert grid.samples[1]["label"] == "test"


def test_samples_from_a_data_frame():
    class Frame:  # the part of a pandas DataFrame the grid uses
        columns = ["id", "path"]
        index = type("Index", (), {"names": [None]})()

        def to_dict(self, orient):
            assert orient == "records"
            return [{"id": "a", "path": "a.png"}, {"id": "b", "path": float("nan")}]

    entries, sources = normalise_samples(Frame())
    assert [e["id"] for e in entries] == ["a", "b"]
    assert entries[1]["kernel_image"] is False and sources == {"a": "a.png"}


def test_a_sample_without_an_id_is_refused_clearly():
    with pytest.raises(ValueError, match=r"sample 1 has no id.*'id' or 'sample_id'"):
        SampleGrid([{"id": "a"}, {"image": "x.png"}])
    with pytest.raises(TypeError, match="dicts, a DataFrame or Qdrant points"):
        SampleGrid(["a", "b"])


# Images to browser sources.


def test_image_sources(tmp_path, monkeypatch):
    png = array_to_png(np.zeros((4, 6, 3), dtype=np.uint8))
    (tmp_path / "here.png").write_bytes(png)
    (tmp_path / "notes.txt").write_text("not an image")
    monkeypatch.chdir(tmp_path)

    assert decode_png(image_src("here.png")) == (6, 4, 2)  # found from the kernel's cwd
    assert decode_png(image_src(tmp_path / "here.png")) == (6, 4, 2)  # a Path
    assert image_src("thumbs/elsewhere.png") == "thumbs/elsewhere.png"  # left to Jupyter's /files/
    assert image_src(str(tmp_path / "missing.png")) is None  # absolute and missing
    assert image_src("notes.txt") is None
    assert decode_png(image_src(png)) == (6, 4, 2)  # bytes
    assert image_src(b"GIF89a....").startswith("data:image/gif;base64,")
    assert image_src(b"plain bytes") is None
    assert image_src(object()) is None


def test_a_proc_file_that_reports_size_zero_is_read_only_up_to_the_limit(monkeypatch):
    # /proc/self/maps says 0 bytes in stat and holds more than 200.
    assert os.stat("/proc/self/maps").st_size == 0
    reads = []
    real_read = os.read
    monkeypatch.setattr(images.os, "read", lambda fd, n: reads.append(n) or real_read(fd, n))
    monkeypatch.setattr(images, "MAX_FILE_BYTES", 200)
    src, problem = image_source("/proc/self/maps")
    assert src is None
    assert problem == "file over the 200 bytes limit: give a smaller thumbnail (or a PIL image or numpy array of it)"
    assert sum(reads) <= 201


def test_a_file_over_the_limit_says_so_on_its_tile(tmp_path):
    big = tmp_path / "huge.png"
    with open(big, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.truncate(images.MAX_FILE_BYTES + 1)  # sparse: costs no disk
    assert image_source(str(big)) == (
        None,
        "file over the 64 MB limit: give a smaller thumbnail (or a PIL image or numpy array of it)",
    )


def test_files_that_are_not_images_say_why_without_their_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    os.mkfifo(tmp_path / "pipe.png")
    (tmp_path / "folder.png").mkdir()
    (tmp_path / "notes.png").write_text("not an image")
    cases = {
        "pipe.png": "not a regular file (a device, a pipe or a folder)",
        "folder.png": "not a regular file (a device, a pipe or a folder)",
        "notes.png": "not a PNG, JPEG, GIF, WebP or BMP image",
        str(tmp_path / "gone.png"): "no such file",
        "/dev/zero": "not a regular file (a device, a pipe or a folder)",
    }
    for path, says in cases.items():
        src, problem = image_source(path)
        assert src is None and problem == says, path
        assert str(tmp_path) not in problem


def test_an_unreadable_file_says_permission_denied(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root reads every file: run as another user to see a permission error")
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"\x89PNG\r\n\x1a\n")
    secret.chmod(0)
    assert image_source(str(secret)) == (None, "cannot read the file: permission denied")


def test_a_large_image_without_pillow_says_to_install_it(monkeypatch):
    monkeypatch.setattr(images, "_pil_shrink_bytes", lambda data, side: None)
    data = b"\x89PNG\r\n\x1a\n" + bytes(images.MAX_RAW_IMAGE_BYTES)
    assert image_source(data) == (None, "image over 2 MB: install Pillow to shrink it, or give a smaller thumbnail")


def test_remote_thumbnails_is_one_of_three_policies():
    grid = SampleGrid([], remote_thumbnails="listed", thumbnail_hosts=["images.example.org"])
    assert grid.remote_thumbnails == "listed" and grid.thumbnail_hosts == ["images.example.org"]
    assert SampleGrid([]).remote_thumbnails == "allowed"
    with pytest.raises(traitlets.TraitError):
        SampleGrid([], remote_thumbnails="sometimes")


def test_sniffing_image_bytes():
    assert sniff_image(b"\xff\xd8\xff\xe0rest") == "image/jpeg"
    assert sniff_image(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert sniff_image(b"<svg xmlns=...") is None  # SVG can carry script: never an image here


@pytest.mark.parametrize(
    "array, expected",
    [
        (np.zeros((5, 7), dtype=np.uint8), (7, 5, 0)),
        (np.ones((5, 7, 1), dtype=np.float32), (7, 5, 0)),
        (np.zeros((5, 7, 3), dtype=np.uint8), (7, 5, 2)),
        (np.zeros((5, 7, 4), dtype=np.uint8), (7, 5, 6)),
        (np.zeros((3, 5, 7), dtype=np.float64), (7, 5, 2)),  # channels first
        (np.full((5, 7), 4000, dtype=np.uint16), (7, 5, 0)),
        (np.zeros((5, 7), dtype=bool), (7, 5, 0)),
    ],
)
def test_numpy_arrays_become_pngs_without_pillow(array, expected):
    assert decode_png(image_src(array)) == expected


def test_large_arrays_are_shrunk_to_the_thumbnail_size():
    width, height, _ = decode_png(array_to_png(np.zeros((1000, 500, 3), dtype=np.uint8), max_side=192))
    assert max(width, height) <= 192 and height > width


def test_float_images_scale_to_bytes():
    png = array_to_png(np.array([[0.0, 0.5, 1.0, np.nan]]))
    raw = zlib.decompress(png[png.index(b"IDAT") + 4 : png.index(b"IEND") - 8])
    assert list(raw) == [0, 0, 128, 255, 0]


def test_not_an_image_array():
    assert image_src(np.zeros((2, 2, 2, 2))) is None
    assert image_src(np.zeros((0, 3))) is None


# Filters, selection, pages.


def test_filter_ids_takes_any_iterable_of_ids():
    grid = SampleGrid([{"id": i} for i in range(5)])
    grid.filter_ids = (1, 3)
    assert grid.filter_ids == ["1", "3"]
    grid.filter_ids = np.array([4, 0])
    assert grid.filter_ids == ["4", "0"]
    grid.filter_ids = "2"
    assert grid.filter_ids == ["2"]
    grid.selected_ids = {3}
    assert grid.selected_ids == ["3"]
    grid.show_all()
    assert grid.filter_ids is None


def test_visible_ids_mirror_the_front_end_rule():
    assert filter_ids(["a", "b", "c"], None) == ["a", "b", "c"]
    assert filter_ids(["a", "b", "c"], ["c", "x", "a", "c"]) == ["c", "a"]
    grid = SampleGrid([{"id": x} for x in "abc"], filter_ids=["b"])
    assert grid.visible_ids() == ["b"]


def test_a_new_filter_starts_on_the_first_page():
    grid = SampleGrid([{"id": i} for i in range(200)], page_size=10)
    grid.page = 5
    grid.filter_ids = [1, 2]
    assert grid.page == 0


def test_every_live_grid_shows_the_clicked_group(panel):
    samples = [{"id": f"cluster0_{i}"} for i in range(7)] + [{"id": f"lone_{i}"} for i in range(20)]
    first, second = SampleGrid(samples, page=1, page_size=10), SampleGrid(samples)
    quiet = SampleGrid(samples, follow_selection=False)
    closed = SampleGrid(samples)
    closed.close()

    ack = panel.click([f"cluster0_{i}" for i in range(7)], index=0)
    assert ack["grids"] == 2
    for grid in (first, second):
        assert grid.filter_ids == [f"cluster0_{i}" for i in range(7)]
        assert grid.visible_ids() == grid.filter_ids
        assert grid.filter_label == "Panel selection: group 1 of planted"
        assert grid.page == 0
    assert quiet.filter_ids is None and closed.filter_ids is None

    panel.click(["lone_3", "lone_4"], seq=2, index=5)
    assert first.filter_ids == ["lone_3", "lone_4"]
    assert first.filter_label == "Panel selection: group 6 of planted"


def test_a_filter_set_by_hand_drops_the_panel_label(panel):
    grid = SampleGrid([{"id": "a"}, {"id": "b"}])
    panel.click(["a"])
    grid.filter_ids = ["b"]
    assert grid.filter_label == ""


def test_show_all_from_the_front_end(panel):
    grid = SampleGrid([{"id": "a"}, {"id": "b"}])
    panel.click(["a"])
    grid.set_state({"filter_ids": None, "filter_label": ""})  # the Show all button
    assert grid.filter_ids is None and grid.visible_ids() == ["a", "b"]


def test_clicks_on_thumbnails_reach_selected_ids():
    grid = SampleGrid([{"id": "a"}, {"id": "b"}])
    grid.set_state({"selected_ids": ["b", "a"]})
    assert grid.selected_ids == ["b", "a"]


def test_repr_stays_short_for_large_grids():
    grid = SampleGrid([{"id": i} for i in range(10_000)], filter_ids=[1, 2, "missing"])
    grid.selected_ids = [1]
    assert repr(grid) == "SampleGrid(10000 samples, filtered to 2, 1 selected)"


# Images asked for by the front end.


def test_the_front_end_gets_the_images_it_asks_for(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    grid = SampleGrid(
        [
            {"id": "arr", "image": np.zeros((8, 8, 3), dtype=np.uint8)},
            {"id": "root", "image": "thumbs/x.png"},
            {"id": "url", "image": "https://example.org/u.png"},
        ]
    )
    replies = []
    monkeypatch.setattr(grid, "send", replies.append)
    grid._handle_custom_msg({"type": "images", "ids": ["arr", "root", "url", "nope"], "epoch": 3}, [])
    (reply,) = replies
    assert reply["type"] == "images" and reply["epoch"] == 3
    assert decode_png(reply["images"]["arr"]) == (8, 8, 2)
    assert reply["images"]["root"] == "thumbs/x.png"
    assert reply["images"]["url"] is None and reply["images"]["nope"] is None
    assert reply["problems"] == {}
    grid._handle_custom_msg({"type": "something else"}, [])
    assert len(replies) == 1


def test_new_samples_forget_old_thumbnails(monkeypatch):
    grid = SampleGrid([{"id": "a", "image": np.zeros((4, 4), dtype=np.uint8)}])
    first = grid.image_src("a")
    grid.set_samples([{"id": "a", "image": np.full((4, 9), 255, dtype=np.uint8)}])
    assert decode_png(grid.image_src("a"))[:2] == (9, 4)
    assert first != grid.image_src("a")
