"""``nd.SampleGrid``: a notebook widget that shows samples as a paged grid of thumbnails.

The Python mirror of ``src/widget/`` (same snake_case traits). Every live grid follows the
group clicked in the panel (``filter_ids`` is set on each click that reaches the kernel).

Images travel a page at a time: ``samples`` carries ids, labels and any http(s) or data URI
image as is; an image given as a file path, bytes, a PIL image or a numpy array stays in the
kernel, and the front end asks for the ones on screen (``{"type": "images", "ids", "epoch"}``,
answered with ``{"type": "images", "images": {id: src}, "problems": {id: text}, "epoch"}``;
a problem is what the tile says instead of a picture). So 10,000 samples cost one list of
ids, and a page costs only its own thumbnails.

An http(s) URL is loaded by the browser, so it follows ``remote_thumbnails`` (``allowed``,
``listed``: only ``thumbnail_hosts``, ``off``) and the panel's setting of the same name,
whichever is stricter; a URL that points at the Jupyter server itself is never loaded.
"""

from __future__ import annotations

import math
import re
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

import ipywidgets
from traitlets import Bool, Dict, Enum, Int, List, TraitType, Undefined, Unicode, observe

# Names, not `from . import selection`: the package's `selection` attribute is the live group.
from .images import image_source
from .selection import Selection, _register_follower, _unregister_follower
from .version import package_version

MODULE_NAME = "jupyterlab-near-duplicates"


def _module_version() -> str:
    """The npm semver range the front end registers against: ``^major.minor.patch``."""
    version = package_version() or "dev"
    match = re.match(r"\d+\.\d+\.\d+", version)
    return f"^{match.group(0) if match else version}"


MODULE_VERSION = _module_version()

# Fields tried, in order, when no field name is given.
ID_FIELDS = ("id", "sample_id")
IMAGE_FIELDS = ("image", "thumbnail", "path", "url", "filepath", "file")
LABEL_FIELDS = ("label",)

# Encoded thumbnails kept in the kernel, most recently used last.
IMAGE_CACHE_SIZE = 2000
# Ids answered per request (a page is at most 1000).
MAX_IDS_PER_REQUEST = 1000


class SampleIds(TraitType):
    """A list of sample ids as strings; takes any iterable of ids (a Series, an array, a set)."""

    info_text = "a list of sample ids"
    default_value = Undefined

    def __init__(self, *, empty: Any = (), **kwargs):
        self._empty = empty
        super().__init__(**kwargs)

    def make_dynamic_default(self):
        return None if self._empty is None else list(self._empty)

    def validate(self, obj, value):
        if value is None:
            if self.allow_none:
                return None
            self.error(obj, value)
        if isinstance(value, (str, bytes, int)):
            return [_id_text(value)]
        try:
            ids = [_id_text(v) for v in value]
        except TypeError:
            self.error(obj, value)
        return ids


def _id_text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 3.0 from a float column names sample "3"
    return str(value)


class SampleGrid(ipywidgets.DOMWidget):
    """A grid of sample thumbnails with their ids and labels, paged.

    ``SampleGrid(data, id_field=None, image_field=None, label_field=None, **traits)``

    ``data`` is a list of dicts, a pandas DataFrame, or Qdrant points (``client.scroll``
    results: the payload is the dict, the point id the fallback id). Without field names the
    id is the first of ``id``/``sample_id``, the image the first of ``image``, ``thumbnail``,
    ``path``, ``url``, and the label ``label``. An image may be an http(s) URL, a data URI, a
    file path, bytes, a PIL image or a numpy array (H x W, H x W x 3/4 or 3/4 x H x W). A
    relative path is looked up from the kernel's working directory, else taken as relative to
    the Jupyter root (as in the panel's thumbnail field).

    Traits: ``filter_ids`` (None shows all; set by every group click in the panel while
    ``follow_selection``), ``selected_ids`` (toggled by clicking thumbnails), ``page``,
    ``page_size``, ``thumbnail_size`` (pixels).
    """

    _model_name = Unicode("SampleGridModel").tag(sync=True)
    _view_name = Unicode("SampleGridView").tag(sync=True)
    _model_module = Unicode(MODULE_NAME).tag(sync=True)
    _view_module = Unicode(MODULE_NAME).tag(sync=True)
    _model_module_version = Unicode(MODULE_VERSION).tag(sync=True)
    _view_module_version = Unicode(MODULE_VERSION).tag(sync=True)

    samples = List(Dict(), help="[{id, label, image, kernel_image}], one per sample.").tag(sync=True)
    filter_ids = SampleIds(empty=None, allow_none=True, help="Ids to show, in order; None shows all.").tag(
        sync=True
    )
    filter_label = Unicode("", help="Why the grid is filtered, shown next to Show all.").tag(sync=True)
    selected_ids = SampleIds(help="Ids the user picked by clicking their thumbnails.").tag(sync=True)
    page = Int(0, help="The page shown, from 0.").tag(sync=True)
    page_size = Int(48, min=1, max=1000, help="Thumbnails per page.").tag(sync=True)
    thumbnail_size = Int(96, min=32, max=512, help="Thumbnail width and height in pixels.").tag(sync=True)
    follow_selection = Bool(True, help="Filter to every group clicked in the panel.")
    remote_thumbnails = Enum(
        ("allowed", "listed", "off"),
        "allowed",
        help="Which http(s) image URLs the browser may load: any, only thumbnail_hosts, or none. "
        "The panel's setting of the same name applies too, whichever is stricter.",
    ).tag(sync=True)
    thumbnail_hosts = List(
        Unicode(), help="Host names whose images load when remote_thumbnails is 'listed'."
    ).tag(sync=True)

    def __init__(
        self,
        data: Any = None,
        *,
        id_field: str | None = None,
        image_field: str | None = None,
        label_field: str | None = None,
        **kwargs,
    ):
        self._sources: dict[str, Any] = {}
        self._images: OrderedDict[str, tuple[str | None, str | None]] = OrderedDict()
        self._following = False
        super().__init__(**kwargs)
        if data is not None:
            self.set_samples(data, id_field=id_field, image_field=image_field, label_field=label_field)
        self.on_msg(self._on_frontend_msg)
        _register_follower(self)

    # Samples.

    def set_samples(
        self,
        data: Any,
        *,
        id_field: str | None = None,
        image_field: str | None = None,
        label_field: str | None = None,
    ) -> None:
        """Replaces the samples (same arguments as the constructor); keeps filter and selection."""
        entries, sources = normalise_samples(data, id_field, image_field, label_field)
        self._sources = sources
        self._images.clear()
        self.samples = entries

    @property
    def sample_ids(self) -> list[str]:
        """Every sample's id, in grid order."""
        return [s["id"] for s in self.samples]

    def visible_ids(self) -> list[str]:
        """The ids the filter lets through, in the order shown (the front end's rule, mirrored)."""
        return filter_ids(self.sample_ids, self.filter_ids)

    def show_all(self) -> None:
        """Clears the filter (the grid's Show all)."""
        self.filter_ids = None

    def close(self) -> None:
        _unregister_follower(self)
        super().close()

    def __repr__(self) -> str:
        # Short: the default lists every trait, samples included (megabytes for 10,000).
        parts = [f"{len(self.samples)} samples"]
        if self.filter_ids is not None:
            parts.append(f"filtered to {len(self.visible_ids())}")
        if self.selected_ids:
            parts.append(f"{len(self.selected_ids)} selected")
        return f"SampleGrid({', '.join(parts)})"

    @observe("filter_ids")
    def _filter_changed(self, change) -> None:
        self.page = 0
        if not self._following:
            self.filter_label = ""

    def _follow_selection(self, sel: Selection) -> bool:
        """Called for every group click; True when this grid filtered to it."""
        if not self.follow_selection or self.comm is None:
            return False
        where = f"group {sel.group_index + 1}" if sel.group_index is not None else "a group"
        if sel.collection:
            where += f" of {sel.collection}"
        self._following = True
        try:
            with self.hold_sync():
                self.filter_ids = sel.sample_ids
                self.filter_label = f"Panel selection: {where}"
        finally:
            self._following = False
        return True

    # Images asked for by the front end.

    def _on_frontend_msg(self, _widget, content, _buffers) -> None:
        if not isinstance(content, dict) or content.get("type") != "images":
            return
        ids = content.get("ids")
        if not isinstance(ids, list):
            return
        images: dict[str, str | None] = {}
        problems: dict[str, str] = {}
        for i in ids[:MAX_IDS_PER_REQUEST]:
            sample_id = str(i)
            src, problem = self.image_source(sample_id)
            images[sample_id] = src
            if problem:
                problems[sample_id] = problem
        self.send({"type": "images", "images": images, "problems": problems, "epoch": content.get("epoch")})

    def image_src(self, sample_id: str) -> str | None:
        """What the front end loads for a kernel-side image: a data URI, a path under the
        Jupyter root, or None (no preview)."""
        return self.image_source(sample_id)[0]

    def image_source(self, sample_id: str) -> tuple[str | None, str | None]:
        """``(src, problem)`` for a sample's kernel-side image; ``problem`` says why there is
        no src (a file too big, unreadable, not an image), or is None."""
        if sample_id in self._images:
            self._images.move_to_end(sample_id)
            return self._images[sample_id]
        source = self._sources.get(sample_id)
        found = (
            image_source(source, max_side=min(2 * self.thumbnail_size, 512)) if source is not None else (None, None)
        )
        self._images[sample_id] = found
        while len(self._images) > IMAGE_CACHE_SIZE:
            self._images.popitem(last=False)
        return found


def filter_ids(ids: list[str], wanted: list[str] | None) -> list[str]:
    """The ids shown for a filter: all when None, else the wanted ids present, in wanted order."""
    if wanted is None:
        return list(ids)
    present = set(ids)
    seen: set[str] = set()
    out = []
    for i in wanted:
        if i in present and i not in seen:
            seen.add(i)
            out.append(i)
    return out


# Turning user data into grid entries.


def normalise_samples(
    data: Any,
    id_field: str | None = None,
    image_field: str | None = None,
    label_field: str | None = None,
) -> tuple[list[dict], dict[str, Any]]:
    """``(entries, kernel_sources)``: the synced ``samples`` and the images kept in the kernel."""
    records = _records(data)
    entries: list[dict] = []
    sources: dict[str, Any] = {}
    for n, (record, fallback_id) in enumerate(records):
        key = id_field or _first_key(record, ID_FIELDS)
        sample_id = record.get(key) if key else None
        if _missing(sample_id):
            sample_id = fallback_id
        if _missing(sample_id):
            wanted = id_field or " or ".join(repr(f) for f in ID_FIELDS)
            raise ValueError(f"sample {n} has no id: give each sample a {wanted} field (or pass id_field=...)")
        sample_id = _id_text(sample_id)
        image_key = image_field or _first_key(record, IMAGE_FIELDS)
        image = record.get(image_key) if image_key else None
        label_key = label_field or _first_key(record, LABEL_FIELDS)
        label = record.get(label_key) if label_key else None
        entry: dict[str, Any] = {"id": sample_id, "label": "" if _missing(label) else str(label)}
        if _missing(image):
            entry["image"] = None
            entry["kernel_image"] = False
        elif isinstance(image, str) and _is_browser_src(image):
            entry["image"] = image.strip()
            entry["kernel_image"] = False
        else:
            entry["image"] = None
            entry["kernel_image"] = True
            sources.setdefault(sample_id, image)
        entries.append(entry)
    return entries, sources


def _records(data: Any) -> list[tuple[dict, Any]]:
    """(record dict, fallback id) per sample."""
    if data is None:
        return []
    if hasattr(data, "to_dict") and hasattr(data, "columns"):  # a pandas DataFrame
        frame = data.reset_index() if _has_named_index(data) else data
        return [(r, None) for r in frame.to_dict("records")]
    out = []
    for item in data:
        payload = getattr(item, "payload", None)
        if isinstance(payload, dict) and hasattr(item, "id"):  # a Qdrant point (Record, ScoredPoint)
            out.append((payload, item.id))
        elif isinstance(item, dict):
            out.append((item, None))
        else:
            raise TypeError(
                f"samples must be dicts, a DataFrame or Qdrant points; got {type(item).__name__}"
            )
    return out


def _has_named_index(frame: Any) -> bool:
    names = getattr(frame.index, "names", None) or []
    return any(n is not None for n in names)


def _first_key(record: dict, keys: Iterable[str]) -> str | None:
    for key in keys:
        if key in record:
            return key
    return None


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return False


def _is_browser_src(value: str) -> bool:
    v = value.strip().lower()
    return v.startswith(("http://", "https://", "data:"))
