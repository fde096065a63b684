"""The messages of the panel-to-notebook channel, read and checked field by field.

Every message gets an answer, whatever it holds: the panel waits for one. So each message
type has one reader that checks every field it uses (unknown fields are ignored) and raises
MessageError with what is wrong. The shapes are defined in ``src/bridge.ts``; ``comm.py``
lists them.
"""

from __future__ import annotations

import math
from typing import Any

from . import metric
from .selection import Selection

# The largest integer JavaScript holds exactly: a `seq` or index beyond it did not come from
# the panel, and echoing it back would not match anything there.
_MAX_SAFE_INT = 2**53 - 1
_MAX_POINT_ID = 2**64 - 1
# A big message travels as parts of its JSON text (see `part` in bridge.ts); these bound what
# one transfer may hold in the kernel.
MAX_PARTS = 10_000
MAX_TRANSFER_CHARS = 1 << 30


class MessageError(ValueError):
    """A message from the front end that this kernel cannot read; the text says which field."""


def _int(value: Any, name: str, minimum: int = 0, maximum: int = _MAX_SAFE_INT) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise MessageError(f"{name} must be an integer, not {kind_of(value)}")
    if not minimum <= value <= maximum:
        raise MessageError(f"{name} must be between {minimum} and {maximum}")
    return value


def _number(value: Any, name: str, allow_none: bool = False) -> float | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise MessageError(f"{name} must be a number, not {kind_of(value)}")
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
        raise MessageError(f"{name} must be a string, not {kind_of(value)}")
    return value


def _list(value: Any, name: str) -> list:
    if not isinstance(value, list):
        raise MessageError(f"{name} must be a list, not {kind_of(value)}")
    return value


def kind_of(value: Any) -> str:
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
        raise MessageError(f"{where} must be an object, not {kind_of(group)}")
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
    if distance is not None and distance not in metric.DISTANCES:
        raise MessageError(f"{where}.distance must be one of {', '.join(metric.DISTANCES)}")
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
        raise MessageError(f"recall must be an object or null, not {kind_of(value)}")
    return {
        "estimate": _number(value.get("estimate"), "recall.estimate", allow_none=True),
        "low": _number(value.get("low"), "recall.low", allow_none=True),
        "high": _number(value.get("high"), "recall.high", allow_none=True),
        "sampled": _int(value.get("sampled"), "recall.sampled"),
        "route": _text(value.get("route"), "recall.route"),
    }


def read_plan(data: dict) -> dict:
    """The panel's keep-one plan of a `plan` message: ``{scan_id, collection, rules,
    split_field, problem, groups: [{id, keeper, pinned}]}`` (keeper None: not duplicates)."""
    rules = _list(data.get("rules"), "rules")
    for i, rule in enumerate(rules):
        if isinstance(rule, str):
            continue
        if not (isinstance(rule, list) and len(rule) == 2 and isinstance(rule[0], str)):
            raise MessageError(f"rules[{i}] must be a string or a [kind, argument] pair")
        if isinstance(rule[1], list):
            for k, s in enumerate(rule[1]):
                _text(s, f"rules[{i}][1][{k}]")
        else:
            _text(rule[1], f"rules[{i}][1]")
    groups = []
    for i, group in enumerate(_list(data.get("groups"), "groups")):
        if not isinstance(group, dict):
            raise MessageError(f"groups[{i}] must be an object, not {kind_of(group)}")
        keeper = group.get("keeper")
        if keeper is not None and not isinstance(keeper, str):
            _int(keeper, f"groups[{i}].keeper", 0, _MAX_POINT_ID)
        pinned = group.get("pinned", False)
        if not isinstance(pinned, bool):
            raise MessageError(f"groups[{i}].pinned must be a boolean, not {kind_of(pinned)}")
        groups.append({"id": _text(group.get("id"), f"groups[{i}].id"), "keeper": keeper, "pinned": pinned})
    return {
        "scan_id": _text(data.get("scan_id"), "scan_id", allow_none=True),
        "collection": _text(data.get("collection"), "collection", allow_none=True),
        "rules": [r if isinstance(r, str) else (r[0], list(r[1]) if isinstance(r[1], list) else r[1]) for r in rules],
        "split_field": _text(data.get("split_field"), "split_field", allow_none=True),
        "problem": _text(data.get("problem"), "problem", allow_none=True),
        "groups": groups,
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


def seq_of(data: Any) -> int | None:
    """The message's seq when it is one the panel could have sent, else None."""
    seq = data.get("seq") if isinstance(data, dict) else None
    if isinstance(seq, int) and not isinstance(seq, bool) and 0 <= seq <= _MAX_SAFE_INT:
        return seq
    return None
