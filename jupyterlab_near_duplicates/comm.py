"""The kernel side of the panel-to-notebook channel: the comm target, one reply to every
message, and big messages joined from their parts.

Importing this module inside an IPython kernel registers the comm target
``jupyterlab-near-duplicates``. The messages are defined once, in ``src/bridge.ts``; this
module mirrors them:

front end -> kernel
    comm_open data ``{"type": "hello", "protocol": 2}``
    ``{"type": "select", "seq": n, "group": GROUP}``
    ``{"type": "groups", "seq": n, "scan_id", "collection", "threshold", "distance", "groups": [GROUP, ...]}``
    ``{"type": "plan", "seq": n, "scan_id", "collection", "rules", "split_field", "problem",
    "groups": [{"id", "keeper", "pinned"}, ...]}``: the panel's keep-one plan, ``nd.plan()``
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
    ``{"type": "ack", "seq": n, "of": "select" | "groups" | "plan" | "part", "grids": k, "callback_errors": [...]}``
    ``{"type": "error", "seq": n | null, "message": "..."}`` for a message this kernel cannot read

Every message gets one answer, whatever it holds (a wrong type, an overflowing number, a
message that is not an object): the panel waits for it.

The panel only sends after ``ready``; a kernel without this module closes the comm instead,
which is how the panel knows to say "Run ``import jupyterlab_near_duplicates``".
"""

from __future__ import annotations

import json
import sys
from typing import Any

from . import selection
from .messages import (
    MAX_TRANSFER_CHARS,
    MessageError,
    kind_of,
    read_commit,
    read_groups,
    read_part,
    read_plan,
    read_select,
    seq_of,
)
from .version import package_version

COMM_TARGET = "jupyterlab-near-duplicates"
PROTOCOL = 2
# Error texts and callback reports are cut here: a reply is shown in a one-line status.
_MAX_TEXT = 500
_MAX_CALLBACK_ERRORS = 20


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
        seq = seq_of(data)
        try:
            if not isinstance(data, dict):
                raise MessageError(f"a message must be an object with a 'type', not {kind_of(data)}")
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
        if not isinstance(message, dict) or message.get("type") not in ("select", "groups", "plan"):
            raise MessageError("the parts must join into a select, groups or plan message")
        return _apply(message, seq)


def _apply(data: dict, seq: int | None) -> dict:
    kind = data.get("type")
    if kind == "select":
        grids, errors = selection.apply_select(read_select(data))
        shown = [_cut(e, _MAX_TEXT) for e in errors[:_MAX_CALLBACK_ERRORS]]
        if len(errors) > len(shown):
            shown.append(f"... and {len(errors) - len(shown)} more (see the log console)")
        return {"type": "ack", "seq": seq, "of": "select", "grids": grids, "callback_errors": shown}
    if kind == "groups":
        selection.apply_groups(read_groups(data))
        return {"type": "ack", "seq": seq, "of": "groups", "grids": 0, "callback_errors": []}
    if kind == "plan":
        selection.apply_plan(read_plan(data))
        return {"type": "ack", "seq": seq, "of": "plan", "grids": 0, "callback_errors": []}
    raise MessageError(f"unknown message type {_cut(repr(kind), 60)}")


def _error(seq: int | None, message: str) -> dict:
    return {"type": "error", "seq": seq, "message": _cut(message, _MAX_TEXT)}


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# The comm target.


def _on_comm_open(comm, open_msg) -> None:
    """Target handler: answer `ready`, then apply and answer every message."""
    channel = Channel()

    def on_msg(msg) -> None:
        content = msg.get("content") if isinstance(msg, dict) else None
        data = content.get("data") if isinstance(content, dict) else None
        _send(comm, channel.handle(data))

    comm.on_msg(on_msg)
    comm.send({"type": "ready", "protocol": PROTOCOL, "version": package_version() or "dev"})
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
