"""``plan.tag()`` and ``plan.untag()``: the plan written into the collection's payload, in a
cell the user can see and re-run, and taken out again.

Each member of each group in the plan gets one payload value under ``field`` (default
``near_duplicate``): ``{"group", "keep", "scan", "threshold", "weakest_link"}``. Writing is
idempotent: members that already hold the same value are not written again. ``untag`` deletes
the field only where its ``scan`` is this plan's scan, so another scan's tags stay. Writes go
in batches through qdrant-client's ``set_payload`` / ``delete_payload``; when the backend
refuses one, the error says how many points were written and how to finish or undo.
"""

from __future__ import annotations

import json
import math
import warnings
from typing import Any

from .members import BATCH, ScanChangedError, fetch, payload_value

DEFAULT_FIELD = "near_duplicate"
# Writes in flight at once. There is one request per group and decision (the value names the
# group), a network round trip each on a remote Qdrant, which a few in flight hide. Measured on
# the embedded backend, 8,000 points in 2,000 groups: one at a time 6 s on an idle machine;
# under a load of 13 on its 2 cores, 27.6 s one at a time and 16.8 s with 4 in flight.
IN_FLIGHT = 4


class TagError(RuntimeError):
    """The backend refused a write part-way. ``written``: points written before the refusal;
    ``total``: points the call meant to write (or untag)."""

    def __init__(self, message: str, written: int, total: int):
        super().__init__(message)
        self.written = written
        self.total = total


class TagReport:
    """What ``tag``/``untag`` wrote (or, with ``dry_run=True``, would write)."""

    def __init__(self, action: str, field: str, collection: str, scan: str, dry_run: bool):
        self.action = action  # "tag" or "untag"
        self.field = field
        self.collection = collection
        self.scan = scan
        self.dry_run = dry_run
        self.written = 0  # points written (tag) or whose tag was removed (untag)
        self.unchanged = 0  # tag: already held this value; untag: held no tag of this scan
        self.replaced = 0  # tag: points whose tag from another scan was replaced
        self.values: dict = {}  # point id -> the value written (tag) or removed (untag)

    @property
    def keep(self) -> int:
        return sum(1 for v in self.values.values() if v.get("keep"))

    def __repr__(self) -> str:
        verb = {"tag": ("would write", "wrote"), "untag": ("would remove", "removed")}[self.action][not self.dry_run]
        if self.action == "tag":
            text = (
                f"{verb} {self.field!r} on {self.written:,} points of {self.collection!r} "
                f"({self.keep:,} keep, {len(self.values) - self.keep:,} drop; scan {self.scan})"
            )
            if self.unchanged:
                text += f"; {self.unchanged:,} already tagged so"
            if self.replaced:
                text += f"; {self.replaced:,} of them replace a tag of another scan"
        else:
            text = f"{verb} {self.field!r} from {self.written:,} points of {self.collection!r} (scan {self.scan})"
            if self.unchanged:
                text += f"; {self.unchanged:,} held no tag of this scan and are left as they are"
        return text[0].upper() + text[1:] + "."

    __str__ = __repr__


def _value(plan: Any, group: Any, point_id: Any) -> dict:
    return {
        "group": group.index,
        "keep": point_id == plan.keeper(group.index),
        "scan": plan.scan.scan_id,
        "threshold": plan.scan.threshold,
        "weakest_link": _finite(plan.scores(group.index).weakest_link),
    }


def _finite(x: float) -> float | None:
    """Rounded for the payload; None for a group of one (no link), since JSON has no NaN."""
    return None if math.isnan(x) else round(x, 6)


def _scan_id(plan: Any) -> str:
    if not plan.scan.scan_id:
        raise ValueError(
            "These groups carry no scan id, which the tag needs so that untag() removes exactly "
            "what tag() wrote: use the groups the panel sent (nd.groups()), or give each row a 'scan_id'."
        )
    return plan.scan.scan_id


def _refused(error: Exception, report: TagReport, total: int, batch: list, how: str) -> TagError:
    status = getattr(error, "status_code", None)
    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    body = getattr(error, "content", b"") or b""
    try:
        reason = json.loads(body)["status"]["error"]
    except Exception:
        pass
    hint = ""
    if "rate limit" in reason.lower():
        hint = " The collection limits writes per minute (strict mode): wait, or write in a quieter moment."
    if status == 401:
        hint = (
            " The API key was not accepted (the embedded backend may have a new one since Jupyter "
            f"restarted it): pass a fresh client, e.g. plan.{report.action}(client=nd.client())."
        )
    if status == 403:
        hint = (
            " The API key this kernel uses may not write (a read-only key, or writes not allowed): "
            f"use a key that may write, e.g. plan.{report.action}(client=QdrantClient(url, api_key=...))."
        )
    verb = "written" if report.action == "tag" else "untagged"
    return TagError(
        f"Could not {report.action} {report.field!r} in {report.collection!r}: "
        f"{f'Qdrant answered HTTP {status}, ' if status else ''}{reason}. {report.written:,} of {total:,} points were {verb} "
        f"before the refusal{f'; the refused batch of {len(batch):,} may be partly {verb}' if len(batch) > 1 else ''}.{hint} {how}",
        report.written,
        total,
    )


def _read(client: Any, plan: Any, points: list, field: str, batch: int, report: TagReport) -> dict:
    """The members' current values of ``field``; a refusal raises TagError (nothing written)."""
    try:
        return fetch(client, plan.collection, points, fields=[field], batch=batch)
    except ScanChangedError:
        raise
    except Exception as error:
        raise _refused(error, report, len(points), [], "Nothing was written.") from error


def tag(plan: Any, client: Any = None, field: str = DEFAULT_FIELD, dry_run: bool = False, batch: int = BATCH) -> TagReport:
    """Sets ``field`` on every member of every group in the plan (see the module's text)."""
    client = client or plan.client
    scan = _scan_id(plan)
    report = TagReport("tag", field, plan.collection, scan, dry_run)
    if not plan.groups:
        warnings.warn("The plan has no groups to tag: " + plan._why_nothing(), UserWarning, stacklevel=3)
        return report
    wanted = {p: _value(plan, g, p) for g in plan.groups for p in g.point_ids}
    current = _read(client, plan, list(wanted), field, batch, report)
    todo: dict = {}  # the value as JSON text -> points to set it on
    for p, value in wanted.items():
        old = payload_value(current[p][0], field)
        report.values[p] = value
        if old == value:
            report.unchanged += 1
            continue
        if isinstance(old, dict) and old.get("scan") not in (None, scan):
            report.replaced += 1
        todo.setdefault(json.dumps(value, sort_keys=True), []).append(p)
    total = sum(len(ps) for ps in todo.values())
    if dry_run:
        report.written = total
        return report
    writes = [
        (json.loads(text), points[start : start + batch])
        for text, points in todo.items()
        for start in range(0, len(points), batch)
    ]
    _run(
        writes,
        lambda value, chunk: client.set_payload(plan.collection, payload={field: value}, points=chunk, wait=True),
        report,
        total,
        "To finish, fix the cause and run plan.tag() again (it skips points already tagged); to undo, run plan.untag().",
    )
    return report


def untag(plan: Any, client: Any = None, field: str = DEFAULT_FIELD, dry_run: bool = False, batch: int = BATCH) -> TagReport:
    """Deletes ``field`` from the plan's members where it holds a tag of this plan's scan."""
    client = client or plan.client
    scan = _scan_id(plan)
    report = TagReport("untag", field, plan.collection, scan, dry_run)
    points = [p for g in plan.scan.groups for p in g.point_ids]  # also groups marked since: they may carry a tag
    current = _read(client, plan, points, field, batch, report)
    ours = []
    for p in points:
        old = payload_value(current[p][0], field)
        if isinstance(old, dict) and old.get("scan") == scan:
            ours.append(p)
            report.values[p] = old
        else:
            report.unchanged += 1
    if dry_run:
        report.written = len(ours)
        return report
    _run(
        [(None, ours[start : start + batch]) for start in range(0, len(ours), batch)],
        lambda _, chunk: client.delete_payload(plan.collection, keys=[field], points=chunk, wait=True),
        report,
        len(ours),
        "To finish, fix the cause and run plan.untag() again.",
    )
    return report


def _run(writes: list, write, report: TagReport, total: int, how: str) -> None:
    """``write(value, chunk)`` for each, IN_FLIGHT at a time; ``report.written`` counts the
    points of the writes that succeeded. After a refusal no new write starts; the ones in
    flight finish (and count), then TagError says what was written."""
    from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait

    failed: list = []  # (error, chunk)
    chunk_of: dict = {}
    with ThreadPoolExecutor(max_workers=IN_FLIGHT) as pool:
        queue = iter(writes)
        while True:
            while not failed and len(chunk_of) < IN_FLIGHT:
                item = next(queue, None)
                if item is None:
                    break
                chunk_of[pool.submit(write, *item)] = item[1]
            if not chunk_of:
                break
            done, _ = wait(chunk_of, return_when=FIRST_EXCEPTION)
            for future in done:
                chunk = chunk_of.pop(future)
                if future.exception() is None:
                    report.written += len(chunk)
                else:
                    failed.append((future.exception(), chunk))
    if failed:
        error, chunk = failed[0]
        raise _refused(error, report, total, chunk, how) from error
