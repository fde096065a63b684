"""The kernel side of the panel-to-notebook channel: the group a user clicked, callbacks, all groups.

Importing this module inside an IPython kernel registers the comm target
``jupyterlab-near-duplicates``. The messages are defined once, in ``src/bridge.ts``; this
module mirrors them:

front end -> kernel
    comm_open data ``{"type": "hello", "protocol": 2}``
    ``{"type": "select", "seq": n, "group": GROUP}``
    ``{"type": "groups", "seq": n, "scan_id", "collection", "threshold", "distance", "groups": [GROUP, ...]}``
    ``{"type": "part", "seq": n, "transfer": id, "part": i, "parts": k, "text": "..."}``
    ``{"type": "commit", "seq": n, "transfer": id, "parts": k}``

    GROUP = ``{"sample_ids", "point_ids", "scores", "representative", "size", "group_index",
    "threshold", "distance", "collection", "scan_id"}``; ``scores[i]`` is sample i's closest
    link inside the group (a similarity for Cosine/Dot, a distance for Euclid/Manhattan).

    A select or groups message too big for one websocket frame travels as the slices of its
    JSON text in ``part`` messages, each acknowledged, then a ``commit``: the kernel joins
    and applies it then, so ``nd.groups()`` shows the old groups or the new, never half.

kernel -> front end
    ``{"type": "ready", "protocol": 2, "version": "..."}`` in answer to the open
    ``{"type": "ack", "seq": n, "of": "select" | "groups" | "part", "grids": k, "callback_errors": [...]}``
    ``{"type": "error", "seq": n | null, "message": "..."}`` for a message this kernel cannot read

Every message gets one answer, whatever it holds (a wrong type, an overflowing number, a
message that is not an object): the panel waits for it.

The panel only sends after ``ready``; a kernel without this module closes the comm instead,
which is how the panel knows to say "Run ``import jupyterlab_near_duplicates``".
"""

from __future__ import annotations

import json
import math
import sys
import threading
import traceback
import weakref
from typing import Any, Callable, Iterator

COMM_TARGET = "jupyterlab-near-duplicates"
PROTOCOL = 2

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
    def from_message(cls, group: Any) -> Selection:
        """A Selection from a GROUP dict of the protocol (raises ValueError naming the bad field)."""
        return read_group(group)

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
#
# Every message gets an answer, whatever it holds: the panel waits for one. So each message
# type has one reader that checks every field it uses (unknown fields are ignored) and raises
# MessageError with what is wrong; anything else a handler raises becomes an error reply too.

# The largest integer JavaScript holds exactly: a `seq` or index beyond it did not come from
# the panel, and echoing it back would not match anything there.
_MAX_SAFE_INT = 2**53 - 1
_MAX_POINT_ID = 2**64 - 1
_DISTANCES = ("Cosine", "Dot", "Euclid", "Manhattan")
# A big message travels as parts of its JSON text (see `part` in bridge.ts); these bound what
# one transfer may hold in the kernel.
MAX_PARTS = 10_000
MAX_TRANSFER_CHARS = 1 << 30
# Error texts and callback reports are cut here: a reply is shown in a one-line status.
_MAX_TEXT = 500
_MAX_CALLBACK_ERRORS = 20


class MessageError(ValueError):
    """A message from the front end that this kernel cannot read; the text says which field."""


def _int(value: Any, name: str, minimum: int = 0, maximum: int = _MAX_SAFE_INT) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise MessageError(f"{name} must be an integer, not {_kind(value)}")
    if not minimum <= value <= maximum:
        raise MessageError(f"{name} must be between {minimum} and {maximum}")
    return value


def _number(value: Any, name: str, allow_none: bool = False) -> float | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise MessageError(f"{name} must be a number, not {_kind(value)}")
    try:
        number = float(value)
    except OverflowError:
        raise MessageError(f"{name} is too large") from None
    if not math.isfinite(number):
        raise MessageError(f"{name} must be a finite number")
    return number


def _text(value: Any, name: str, allow_none: bool = False) -> str | None:
    if value is None and allow_none:
        return None
    if not isinstance(value, str):
        raise MessageError(f"{name} must be a string, not {_kind(value)}")
    return value


def _list(value: Any, name: str) -> list:
    if not isinstance(value, list):
        raise MessageError(f"{name} must be a list, not {_kind(value)}")
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def read_group(group: Any, where: str = "group") -> Selection:
    """A Selection from a GROUP of the protocol; raises MessageError naming the bad field."""
    if not isinstance(group, dict):
        raise MessageError(f"{where} must be an object, not {_kind(group)}")
    sample_ids = _list(group.get("sample_ids"), f"{where}.sample_ids")
    for i, s in enumerate(sample_ids):
        _text(s, f"{where}.sample_ids[{i}]")
    point_ids = _list(group.get("point_ids", []), f"{where}.point_ids")
    for i, p in enumerate(point_ids):
        if not isinstance(p, str):
            _int(p, f"{where}.point_ids[{i}]", 0, _MAX_POINT_ID)
    raw_scores = _list(group.get("scores", []), f"{where}.scores")
    # A sample with no passing link has no score: the panel sends NaN, which JSON makes null.
    scores = [
        math.nan if s is None else _number(s, f"{where}.scores[{i}]") for i, s in enumerate(raw_scores)
    ]
    n = len(sample_ids)
    if len(point_ids) not in (0, n) or len(scores) not in (0, n):
        raise MessageError(f"{where}: sample_ids, point_ids and scores differ in length")
    if group.get("size") is not None and _int(group["size"], f"{where}.size") != n:
        raise MessageError(f"{where}.size is {group['size']}, but it has {n} sample_ids")
    distance = _text(group.get("distance"), f"{where}.distance", allow_none=True)
    if distance is not None and distance not in _DISTANCES:
        raise MessageError(f"{where}.distance must be one of {', '.join(_DISTANCES)}")
    index = group.get("group_index")
    return Selection(
        sample_ids,
        point_ids,
        scores,
        representative=_text(group.get("representative"), f"{where}.representative", allow_none=True),
        threshold=_number(group.get("threshold"), f"{where}.threshold", allow_none=True),
        distance=distance,
        collection=_text(group.get("collection"), f"{where}.collection", allow_none=True),
        scan_id=_text(group.get("scan_id"), f"{where}.scan_id", allow_none=True),
        group_index=None if index is None else _int(index, f"{where}.group_index"),
    )


def read_select(data: dict) -> Selection:
    """The group of a `select` message."""
    return read_group(data.get("group"))


def read_groups(data: dict) -> list[dict]:
    """The groups of a `groups` message, as `nd.groups()` rows (all read before any is kept)."""
    raw = _list(data.get("groups"), "groups")
    for name in ("scan_id", "collection", "distance"):
        _text(data.get(name), name, allow_none=True)
    _number(data.get("threshold"), "threshold", allow_none=True)
    recall = read_recall(data.get("recall"))
    rows = []
    for i, group in enumerate(raw):
        row = read_group(group, f"groups[{i}]").to_dict()
        if row["group_index"] is None:
            row["group_index"] = i
        # The scan's own estimate of how complete it is (issue 12), the same for every group.
        row["recall"] = dict(recall) if recall is not None else None
        rows.append(row)
    return rows


def read_recall(value: Any) -> dict | None:
    """The scan's recall estimate ``{estimate, low, high, sampled, route}``, or None."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise MessageError(f"recall must be an object or null, not {_kind(value)}")
    return {
        "estimate": _number(value.get("estimate"), "recall.estimate", allow_none=True),
        "low": _number(value.get("low"), "recall.low", allow_none=True),
        "high": _number(value.get("high"), "recall.high", allow_none=True),
        "sampled": _int(value.get("sampled"), "recall.sampled"),
        "route": _text(value.get("route"), "recall.route"),
    }


def read_part(data: dict) -> tuple[str, int, int, str]:
    """(transfer, part, parts, text) of a `part` message."""
    transfer = _text(data.get("transfer"), "transfer")
    parts = _int(data.get("parts"), "parts", 1, MAX_PARTS)
    part = _int(data.get("part"), "part", 0, parts - 1)
    text = _text(data.get("text"), "text")
    return transfer, part, parts, text


def read_commit(data: dict) -> tuple[str, int]:
    """(transfer, parts) of a `commit` message."""
    transfer = _text(data.get("transfer"), "transfer")
    return transfer, _int(data.get("parts"), "parts", 1, MAX_PARTS)


def _seq_of(data: Any) -> int | None:
    """The message's seq when it is one the panel could have sent, else None."""
    seq = data.get("seq") if isinstance(data, dict) else None
    if isinstance(seq, int) and not isinstance(seq, bool) and 0 <= seq <= _MAX_SAFE_INT:
        return seq
    return None


class _Transfer:
    """The parts of one big message received so far; nothing is applied before its commit."""

    def __init__(self, transfer: str, parts: int):
        self.id = transfer
        self.parts = parts
        self.texts: dict[int, str] = {}
        self.chars = 0


class Channel:
    """One comm's state: the transfer in progress, if any. Replies to every message."""

    def __init__(self):
        self._transfer: _Transfer | None = None

    def handle(self, data: Any) -> dict:
        """Applies one front-end message; returns the reply (an ack or an error), never raises."""
        seq = _seq_of(data)
        try:
            if not isinstance(data, dict):
                raise MessageError(f"a message must be an object with a 'type', not {_kind(data)}")
            kind = data.get("type")
            if kind == "part":
                return self._part(data, seq)
            if kind == "commit":
                return self._commit(data, seq)
            return _apply(data, seq)
        except MessageError as error:
            return _error(seq, str(error))
        except RecursionError:
            return _error(seq, "the message is nested too deeply")
        except Exception as error:  # whatever it was, the panel is waiting for an answer
            return _error(seq, f"{type(error).__name__}: {error}")

    def _part(self, data: dict, seq: int | None) -> dict:
        transfer, part, parts, text = read_part(data)
        current = self._transfer
        if current is None or current.id != transfer or current.parts != parts:
            # A new transfer replaces an unfinished one: the panel gave up on it and started over.
            current = self._transfer = _Transfer(transfer, parts)
        current.chars += len(text) - len(current.texts.get(part, ""))
        if current.chars > MAX_TRANSFER_CHARS:
            self._transfer = None
            raise MessageError(f"the message is larger than {MAX_TRANSFER_CHARS:,} characters")
        current.texts[part] = text
        return {"type": "ack", "seq": seq, "of": "part", "grids": 0, "callback_errors": []}

    def _commit(self, data: dict, seq: int | None) -> dict:
        transfer, parts = read_commit(data)
        current, self._transfer = self._transfer, None
        if current is None or current.id != transfer:
            raise MessageError("commit of a transfer this kernel has no parts of: send again")
        missing = [i for i in range(parts) if i not in current.texts]
        if current.parts != parts or missing:
            raise MessageError(f"commit with {len(missing)} of {parts} parts missing: send again")
        try:
            message = json.loads("".join(current.texts[i] for i in range(parts)))
        except ValueError as error:
            raise MessageError(f"the parts do not join into JSON ({error})") from None
        if not isinstance(message, dict) or message.get("type") not in ("select", "groups"):
            raise MessageError("the parts must join into a select or groups message")
        return _apply(message, seq)


def handle_message(data: Any) -> dict:
    """Apply one front-end message outside any transfer; returns the reply, never raises."""
    return Channel().handle(data)


def _apply(data: dict, seq: int | None) -> dict:
    kind = data.get("type")
    if kind == "select":
        return _apply_select(read_select(data), seq)
    if kind == "groups":
        return _apply_groups(read_groups(data), seq)
    raise MessageError(f"unknown message type {_cut(repr(kind), 60)}")


def _apply_select(selection: Selection, seq: int | None) -> dict:
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
    shown = [_cut(e, _MAX_TEXT) for e in errors[:_MAX_CALLBACK_ERRORS]]
    if len(errors) > len(shown):
        shown.append(f"... and {len(errors) - len(shown)} more (see the log console)")
    return {"type": "ack", "seq": seq, "of": "select", "grids": grids, "callback_errors": shown}


def _apply_groups(rows: list[dict], seq: int | None) -> dict:
    global _groups
    with _lock:
        _groups = rows  # one assignment: nd.groups() sees the old set or the new one, never half
    return {"type": "ack", "seq": seq, "of": "groups", "grids": 0, "callback_errors": []}


def _error(seq: int | None, message: str) -> dict:
    return {"type": "error", "seq": seq, "message": _cut(message, _MAX_TEXT)}


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _report(what: str, error: BaseException) -> str:
    """Prints the traceback to stderr (the log console in JupyterLab); returns a one-line summary."""
    print(f"jupyterlab_near_duplicates: {what} raised an exception:", file=sys.stderr)
    traceback.print_exception(type(error), error, error.__traceback__, file=sys.stderr)
    return f"{what}: {type(error).__name__}: {error}"


# The comm target.


def _on_comm_open(comm, open_msg) -> None:
    """Target handler: answer `ready`, then apply and answer every message."""
    channel = Channel()

    def on_msg(msg) -> None:
        content = msg.get("content") if isinstance(msg, dict) else None
        data = content.get("data") if isinstance(content, dict) else None
        _send(comm, channel.handle(data))

    comm.on_msg(on_msg)
    comm.send({"type": "ready", "protocol": PROTOCOL, "version": _package_version()})
    # A front end may put a message in the open itself; apply it like any other.
    content = open_msg.get("content") if isinstance(open_msg, dict) else None
    data = content.get("data") if isinstance(content, dict) else None
    if isinstance(data, dict) and data.get("type") in ("select", "groups"):
        _send(comm, channel.handle(data))


def _send(comm, reply: dict) -> None:
    try:
        comm.send(reply)
    except Exception as error:  # an unsendable reply still gets an answer the panel can read
        comm.send(_error(reply.get("seq"), f"the reply could not be sent ({type(error).__name__})"))


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
