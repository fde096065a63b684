"""The kernel side of the panel-to-notebook channel: the group a user clicked, callbacks, all groups.

Importing this module inside an IPython kernel registers the comm target
``jupyterlab-near-duplicates``. The messages are defined once, in ``src/bridge.ts``; this
module mirrors them:

front end -> kernel
    comm_open data ``{"type": "hello", "protocol": 1}``
    ``{"type": "select", "seq": n, "group": GROUP}``
    ``{"type": "groups", "seq": n, "scan_id", "collection", "threshold", "distance", "groups": [GROUP, ...]}``

    GROUP = ``{"sample_ids", "point_ids", "scores", "representative", "size", "group_index",
    "threshold", "distance", "collection", "scan_id"}``; ``scores[i]`` is sample i's closest
    link inside the group (a similarity for Cosine/Dot, a distance for Euclid/Manhattan).

kernel -> front end
    ``{"type": "ready", "protocol": 1, "version": "..."}`` in answer to the open
    ``{"type": "ack", "seq": n, "of": "select" | "groups", "grids": k, "callback_errors": [...]}``
    ``{"type": "error", "seq": n, "message": "..."}`` for a message this kernel cannot read

The panel only sends after ``ready``; a kernel without this module closes the comm instead,
which is how the panel knows to say "Run ``import jupyterlab_near_duplicates``".
"""

from __future__ import annotations

import sys
import threading
import traceback
import weakref
from typing import Any, Callable, Iterator

COMM_TARGET = "jupyterlab-near-duplicates"
PROTOCOL = 1

# Similarity metrics: higher scores mean more alike (the rest are distances).
_SIMILARITIES = ("Cosine", "Dot")


class Selection:
    """A group of near-duplicates clicked in the panel.

    ``sample_ids[i]``, ``point_ids[i]`` and ``scores[i]`` describe the same sample; a score is
    the sample's closest link inside the group (a similarity above the threshold for Cosine
    and Dot, a distance below it for Euclid and Manhattan).
    """

    __slots__ = (
        "sample_ids",
        "point_ids",
        "scores",
        "representative",
        "threshold",
        "distance",
        "collection",
        "scan_id",
        "group_index",
    )

    def __init__(
        self,
        sample_ids: list[str],
        point_ids: list[Any] | None = None,
        scores: list[float] | None = None,
        *,
        representative: str | None = None,
        threshold: float | None = None,
        distance: str | None = None,
        collection: str | None = None,
        scan_id: str | None = None,
        group_index: int | None = None,
    ):
        self.sample_ids: list[str] = [str(s) for s in sample_ids]
        self.point_ids: list[Any] = list(point_ids) if point_ids is not None else []
        self.scores: list[float] = [float(s) for s in scores] if scores is not None else []
        self.representative = representative
        self.threshold = threshold
        self.distance = distance
        self.collection = collection
        self.scan_id = scan_id
        self.group_index = group_index

    @classmethod
    def from_message(cls, group: dict) -> Selection:
        """A Selection from a GROUP dict of the protocol (raises ValueError when it is not one)."""
        if not isinstance(group, dict) or not isinstance(group.get("sample_ids"), list):
            raise ValueError("a group needs a list of sample_ids")
        sample_ids = group["sample_ids"]
        point_ids = group.get("point_ids") or []
        scores = group.get("scores") or []
        if len(point_ids) not in (0, len(sample_ids)) or len(scores) not in (0, len(sample_ids)):
            raise ValueError("sample_ids, point_ids and scores differ in length")
        threshold = group.get("threshold")
        index = group.get("group_index")
        return cls(
            sample_ids,
            point_ids,
            scores,
            representative=_str_or_none(group.get("representative")),
            threshold=float(threshold) if isinstance(threshold, (int, float)) else None,
            distance=_str_or_none(group.get("distance")),
            collection=_str_or_none(group.get("collection")),
            scan_id=_str_or_none(group.get("scan_id")),
            group_index=int(index) if isinstance(index, int) else None,
        )

    @property
    def size(self) -> int:
        """The number of samples in the group."""
        return len(self.sample_ids)

    @property
    def is_similarity(self) -> bool:
        """True when scores are similarities (higher is closer), False for distances."""
        return self.distance is None or self.distance in _SIMILARITIES

    def to_dict(self) -> dict:
        """The group as a plain dict, in the protocol's GROUP shape."""
        return {
            "sample_ids": list(self.sample_ids),
            "point_ids": list(self.point_ids),
            "scores": list(self.scores),
            "representative": self.representative,
            "size": self.size,
            "group_index": self.group_index,
            "threshold": self.threshold,
            "distance": self.distance,
            "collection": self.collection,
            "scan_id": self.scan_id,
        }

    def __len__(self) -> int:
        return self.size

    def __iter__(self) -> Iterator[str]:
        return iter(self.sample_ids)

    def __contains__(self, sample_id: object) -> bool:
        return str(sample_id) in self.sample_ids

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Selection) and self.to_dict() == other.to_dict()

    __hash__ = None  # mutable lists inside

    def __repr__(self) -> str:
        where = []
        if self.group_index is not None:
            where.append(f"group {self.group_index + 1}")
        if self.collection:
            where.append(f"of {self.collection!r}")
        if self.threshold is not None:
            op = ">" if self.is_similarity else "<"
            kind = "similarity" if self.is_similarity else "distance"
            where.append(f"{kind} {op} {self.threshold:g}")
        shown = self.sample_ids[:6]
        ids = ", ".join(repr(s) for s in shown)
        if self.size > len(shown):
            ids += f", ... (+{self.size - len(shown)})"
        noun = "sample" if self.size == 1 else "samples"
        head = f"{self.size} {noun}" + (f", {' '.join(where)}" if where else "")
        return f"Selection({head}: [{ids}])"


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


class CallbackHandle:
    """Returned by ``on_select``: ``.remove()`` unregisters the callback.

    Calling the handle calls the callback, so ``on_select`` also works as a decorator.
    """

    def __init__(self, fn: Callable[[Selection], Any]):
        self.fn = fn

    @property
    def active(self) -> bool:
        with _lock:
            return self in _callbacks

    def remove(self) -> None:
        with _lock:
            if self in _callbacks:
                _callbacks.remove(self)

    def __call__(self, *args, **kwargs):
        return self.fn(*args, **kwargs)

    def __enter__(self) -> CallbackHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()

    def __repr__(self) -> str:
        name = getattr(self.fn, "__qualname__", repr(self.fn))
        return f"<on_select {name}{'' if self.active else ' (removed)'}>"


# Kernel-wide state. Comm messages may arrive on a kernel subshell thread (JupyterLab 4.4+
# with ipykernel 7 sends comms over subshells), so changes happen under a lock.
_lock = threading.RLock()
_selection: Selection | None = None
_groups: list[dict] = []
_callbacks: list[CallbackHandle] = []
# Anything with a `_follow_selection(selection)` method; SampleGrid adds itself here.
_followers: weakref.WeakSet = weakref.WeakSet()


def current() -> Selection | None:
    """The last group clicked in the panel (``nd.selection``), or None before any."""
    return _selection


def on_select(fn: Callable[[Selection], Any]) -> CallbackHandle:
    """Run ``fn(selection)`` after every group click that reaches this kernel.

    An exception in one callback is printed to stderr (JupyterLab shows it in the log
    console) and reported to the panel; the other callbacks still run. Returns a handle:
    ``handle.remove()`` stops the calls.
    """
    if not callable(fn):
        raise TypeError(f"on_select needs a callable, got {type(fn).__name__}")
    handle = CallbackHandle(fn)
    with _lock:
        _callbacks.append(handle)
    return handle


def groups(as_frame: bool = False):
    """All groups of the last scan sent to this kernel ("Send all groups" in the panel).

    A list of dicts (``sample_ids``, ``point_ids``, ``scores``, ``representative``, ``size``,
    ``group_index``, ``threshold``, ``distance``, ``collection``, ``scan_id``, ``recall``: the
    scan's estimate of its pair recall, ``{"estimate", "low", "high", "sampled", "route"}``, 95%
    interval, or None), largest group
    first; empty before any were sent. ``as_frame=True`` returns a pandas DataFrame with one
    row per group.
    """
    with _lock:
        rows = [_copy_group(g) for g in _groups]
    if not as_frame:
        return rows
    try:
        import pandas as pd
    except ImportError:
        raise ImportError(
            "nd.groups(as_frame=True) needs pandas, which is not installed in this kernel. "
            "Install it (pip install pandas), or call nd.groups() for a list of dicts."
        ) from None
    columns = list(_GROUP_KEYS)
    return pd.DataFrame(rows, columns=columns)


_GROUP_KEYS = (
    "group_index",
    "size",
    "sample_ids",
    "point_ids",
    "scores",
    "representative",
    "collection",
    "threshold",
    "distance",
    "scan_id",
    "recall",
)


def _copy_group(group: dict) -> dict:
    out = {}
    for key in _GROUP_KEYS:
        value = group.get(key)
        out[key] = list(value) if isinstance(value, list) else dict(value) if isinstance(value, dict) else value
    return out


def _register_follower(follower: Any) -> None:
    with _lock:
        _followers.add(follower)


def _unregister_follower(follower: Any) -> None:
    with _lock:
        _followers.discard(follower)


def _reset() -> None:
    """Forget the selection, groups, callbacks and followers (for tests)."""
    global _selection, _groups
    with _lock:
        _selection = None
        _groups = []
        _callbacks.clear()
        _followers.clear()


# Messages.


def handle_message(data: Any) -> dict:
    """Apply one front-end message; returns the reply to send back (an ack or an error)."""
    seq = data.get("seq") if isinstance(data, dict) else None
    kind = data.get("type") if isinstance(data, dict) else None
    try:
        if kind == "select":
            return _apply_select(data, seq)
        if kind == "groups":
            return _apply_groups(data, seq)
        raise ValueError(f"unknown message type {kind!r}")
    except (ValueError, TypeError, KeyError) as error:
        return {"type": "error", "seq": seq, "message": f"{type(error).__name__}: {error}"}


def _apply_select(data: dict, seq: Any) -> dict:
    global _selection
    selection = Selection.from_message(data.get("group"))
    with _lock:
        _selection = selection
        followers = list(_followers)
        callbacks = list(_callbacks)
    grids = 0
    errors: list[str] = []
    for follower in followers:
        try:
            if follower._follow_selection(selection):
                grids += 1
        except Exception as error:  # a broken grid must not stop the callbacks
            errors.append(_report(f"SampleGrid {follower!r}", error))
    for handle in callbacks:
        try:
            handle.fn(selection)
        except Exception as error:
            name = getattr(handle.fn, "__qualname__", repr(handle.fn))
            errors.append(_report(f"nd.on_select callback {name}", error))
    return {"type": "ack", "seq": seq, "of": "select", "grids": grids, "callback_errors": errors}


def _apply_groups(data: dict, seq: Any) -> dict:
    global _groups
    raw = data.get("groups")
    if not isinstance(raw, list):
        raise ValueError("'groups' needs a list of groups")
    # The scan's own estimate of how complete it is (issue 12), the same for every group.
    recall = data.get("recall")
    rows = []
    for i, group in enumerate(raw):
        selection = Selection.from_message(group)  # validates the shape
        row = selection.to_dict()
        if row["group_index"] is None:
            row["group_index"] = i
        row["recall"] = dict(recall) if isinstance(recall, dict) else None
        rows.append(row)
    with _lock:
        _groups = rows
    return {"type": "ack", "seq": seq, "of": "groups", "grids": 0, "callback_errors": []}


def _report(what: str, error: BaseException) -> str:
    """Prints the traceback to stderr (the log console in JupyterLab); returns a one-line summary."""
    print(f"jupyterlab_near_duplicates: {what} raised an exception:", file=sys.stderr)
    traceback.print_exception(type(error), error, error.__traceback__, file=sys.stderr)
    return f"{what}: {type(error).__name__}: {error}"


# The comm target.


def _on_comm_open(comm, open_msg) -> None:
    """Target handler: answer `ready`, then apply and acknowledge every message."""

    def on_msg(msg) -> None:
        data = msg.get("content", {}).get("data", {})
        comm.send(handle_message(data))

    comm.on_msg(on_msg)
    comm.send({"type": "ready", "protocol": PROTOCOL, "version": _package_version()})
    # A front end may put a message in the open itself; apply it like any other.
    data = open_msg.get("content", {}).get("data", {}) if isinstance(open_msg, dict) else {}
    if isinstance(data, dict) and data.get("type") in ("select", "groups"):
        comm.send(handle_message(data))


def _package_version() -> str:
    try:
        from ._version import __version__
    except ImportError:
        return "dev"
    return __version__


def register_comm_target() -> bool:
    """Registers the comm target with this process's IPython kernel; False outside a kernel."""
    manager = _kernel_comm_manager()
    if manager is None:
        return False
    manager.register_target(COMM_TARGET, _on_comm_open)
    return True


def _kernel_comm_manager():
    # A kernel has always imported IPython by now; a plain Python process (the Jupyter
    # server loads this package too) is left alone and pays no import.
    if "IPython" not in sys.modules:
        return None
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    kernel = getattr(shell, "kernel", None)
    return getattr(kernel, "comm_manager", None)


register_comm_target()
