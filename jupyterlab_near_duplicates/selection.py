"""The group a user clicked in the panel (``nd.selection``), the callbacks it runs
(``nd.on_select``), and all groups of the last scan sent (``nd.groups()``): the kernel-wide
state that the comm (``comm.py``) changes and the notebook reads.
"""

from __future__ import annotations

import sys
import threading
import traceback
import weakref
from collections.abc import Iterator
from typing import Any, Callable

from . import metric


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
    def from_message(cls, group: Any) -> Selection:
        """A Selection from a GROUP dict of the protocol (raises ValueError naming the bad field)."""
        from .messages import read_group  # it builds Selections: imported when used

        return read_group(group)

    @property
    def size(self) -> int:
        """The number of samples in the group."""
        return len(self.sample_ids)

    @property
    def is_similarity(self) -> bool:
        """True when scores are similarities (higher is closer), False for distances."""
        return metric.higher_is_better(self.distance)

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
            kind, op = metric.threshold_words(self.distance)
            where.append(f"{kind} {op} {self.threshold:g}")
        shown = self.sample_ids[:6]
        ids = ", ".join(repr(s) for s in shown)
        if self.size > len(shown):
            ids += f", ... (+{self.size - len(shown)})"
        noun = "sample" if self.size == 1 else "samples"
        head = f"{self.size} {noun}" + (f", {' '.join(where)}" if where else "")
        return f"Selection({head}: [{ids}])"


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
# The panel's keep-one plan of the groups it sent (a "plan" message): what nd.plan() returns.
_plan: dict | None = None
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
    global _selection, _groups, _plan
    with _lock:
        _selection = None
        _groups = []
        _plan = None
        _callbacks.clear()
        _followers.clear()


def apply_select(selection: Selection) -> tuple[int, list[str]]:
    """Make ``selection`` the current group: every grid follows it and every callback runs.
    Returns (grids that followed, one-line reports of what raised)."""
    global _selection
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
    return grids, errors


def apply_groups(rows: list[dict]) -> None:
    """Make ``rows`` the groups ``nd.groups()`` returns."""
    global _groups
    with _lock:
        _groups = rows  # one assignment: nd.groups() sees the old set or the new one, never half


def apply_plan(plan: dict) -> None:
    """Keep the panel's plan (``messages.read_plan``): ``nd.plan()`` with no arguments."""
    global _plan
    with _lock:
        _plan = plan


def panel_plan() -> dict | None:
    """The panel's plan when it is for the scan of ``nd.groups()``, else None."""
    with _lock:
        plan, rows = _plan, _groups
    if plan is None or not rows or rows[0].get("scan_id") != plan.get("scan_id"):
        return None
    return plan


def _report(what: str, error: BaseException) -> str:
    """Prints the traceback to stderr (the log console in JupyterLab); returns a one-line summary."""
    print(f"jupyterlab_near_duplicates: {what} raised an exception:", file=sys.stderr)
    traceback.print_exception(type(error), error, error.__traceback__, file=sys.stderr)
    return f"{what}: {type(error).__name__}: {error}"
