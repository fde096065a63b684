"""``nd.export(path)`` / ``plan.export(path)``: the plan as a file, one row per group member,
and a manifest beside it that says what it came from.

Rows: ``group`` (its index in ``nd.groups()``), ``point_id``, ``sample_id``, ``split``,
``action`` (``keep``, ``drop``, or ``not_duplicates`` for a group left out of the plan),
``best_score`` (the member's closest link inside its group) and ``weakest_link`` (the link
that holds the group together), both computed exactly from the members' vectors. Formats:
CSV (text cells that a spreadsheet would run as a formula start with ``'``), JSON Lines,
Parquet (with pyarrow). The manifest, ``<name>.manifest.json``: collection,
vector, distance, threshold, points, time, extension version, the plan's rules, pins and
marks. Each file is written to a temporary file in the same folder and renamed into place,
so a failed write leaves no half file.
"""

from __future__ import annotations

import csv
import datetime
import json
import math
import os
import tempfile
from typing import Any

FORMATS = ("csv", "jsonl", "parquet")
# The panel's Export writes the same columns and manifest (src/export/); both sides are
# checked against tests/fixtures/after_scan.json.
COLUMNS = ["group", "point_id", "sample_id", "split", "action", "best_score", "weakest_link"]
# A spreadsheet runs a cell that starts with one of these as a formula: such text cells are
# written with a leading apostrophe (OWASP's advice for CSV injection). Numbers stay numbers.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A CSV cell's value: text that a spreadsheet would read as a formula gets a leading ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def manifest_path(path: str) -> str:
    """``groups.csv`` -> ``groups.manifest.json`` (beside it)."""
    root, ext = os.path.splitext(str(path))
    return (root if ext else str(path)) + ".manifest.json"


def _format(path: str, format: str | None) -> str:
    if format is None:  # from the file's extension; CSV when it names no format
        ext = os.path.splitext(str(path))[1].lower().lstrip(".")
        format = {"json": "jsonl", "ndjson": "jsonl", "pq": "parquet"}.get(ext, ext)
        format = format if format in FORMATS else "csv"
    if format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(map(repr, FORMATS))}, not {format!r}.")
    return format


def _number(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), 6)


def rows(plan: Any) -> list[dict]:
    """One dict per member of every group of the plan's scan, in group order."""
    out = []
    left_out = set(plan._false)
    for g in plan.scan.groups:
        scores = plan.scores(g.index)
        keeper = None if g.index in left_out else plan.keeper(g.index)
        for k, (p, s) in enumerate(zip(g.point_ids, g.sample_ids)):
            action = "not_duplicates" if keeper is None else "keep" if p == keeper else "drop"
            out.append(
                {
                    "group": g.index,
                    "point_id": p,
                    "sample_id": s,
                    "split": plan.split_of(p),
                    "action": action,
                    "best_score": _number(scores.best[k]),
                    "weakest_link": _number(scores.weakest_link),
                }
            )
    return out


def manifest(plan: Any, path: str, format: str, n_rows: int) -> dict:
    from .planning import describe_rule
    from .version import package_version

    scans = plan.counts()
    return {
        "file": os.path.basename(str(path)),
        "format": format,
        "rows": n_rows,
        "columns": COLUMNS,
        "collection": plan.collection,
        "vector": plan.vector,
        "distance": plan.distance,
        "threshold": plan.scan.threshold,
        "scan_id": plan.scan.scan_id,
        # nd.groups() does not carry the scan's own count: the collection's exact count when
        # the plan first counted it (the same unless points were added or deleted since).
        "points_scanned": scans["points"],
        "recall": plan.scan.recall,
        "groups": len(plan.scan.groups),
        "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "extension_version": package_version() or "dev",
        "plan": {
            "rules": [list(r) for r in plan.rules],
            "rules_text": [describe_rule(r) for r in plan.rules],
            "split_field": plan.split_field,
            "pins": {str(i): p for i, p in sorted(plan._pins.items())},
            "not_duplicates": sorted(plan._false),
            "keep": scans["keep"],
            "drop": scans["drop"],
        },
    }


def _write_atomic(path: str, write, binary: bool = False) -> None:
    """``write(file)`` into a temporary file beside ``path``, then rename it into place."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".part", dir=folder)
    try:
        with os.fdopen(fd, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8", "newline": ""})) as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _parquet_writer():
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ImportError(
            "format='parquet' needs pyarrow, which is not installed in this kernel. Install it "
            "(pip install pyarrow, or pip install 'jupyterlab_near_duplicates[parquet]'), or export "
            "format='csv' or 'jsonl'."
        ) from None
    return pa, pq


def write(plan: Any, path: str, format: str | None = None) -> str:
    """Writes the plan to ``path`` and its manifest beside it; returns the manifest's path."""
    path = os.fspath(path)
    format = _format(path, format)
    pa_pq = _parquet_writer() if format == "parquet" else None  # before any work: say it at once
    table = rows(plan)
    if format == "csv":

        def write(f):
            w = csv.DictWriter(f, fieldnames=COLUMNS)
            w.writeheader()
            w.writerows({k: csv_cell(v) for k, v in row.items()} for row in table)

        _write_atomic(path, write)
    elif format == "jsonl":

        def write(f):
            for row in table:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")

        _write_atomic(path, write)
    else:
        pa, pq = pa_pq
        # point ids may mix integers and UUIDs: a Parquet column needs one type, so text
        mixed = len({type(r["point_id"]) for r in table}) > 1
        columns = {c: [str(r[c]) if mixed and c == "point_id" else r[c] for r in table] for c in COLUMNS}
        _write_atomic(path, lambda f: pq.write_table(pa.table(columns), f), binary=True)
    info = manifest(plan, path, format, len(table))
    target = manifest_path(path)
    _write_atomic(target, lambda f: f.write(json.dumps(info, indent=1, ensure_ascii=False) + "\n"))
    return target


def export(path: str, format: str | None = None, *, plan: Any = None, groups: Any = None, client: Any = None, **rules) -> str:
    """Writes the groups of the last scan (``nd.groups()``, or ``groups``) to ``path``, one
    row per member, with keep or drop from ``plan`` (default: ``nd.plan(groups, **rules)``),
    and a manifest beside it (``<name>.manifest.json``). ``format``: ``"csv"``, ``"jsonl"``
    or ``"parquet"`` (needs pyarrow); by default from the extension of ``path``, else CSV.
    Returns the manifest's path."""
    if plan is None:
        from .planning import plan as make_plan

        plan = make_plan(groups, client=client, **rules)
    elif groups is not None or rules:
        raise ValueError("Pass either plan=... or the groups and rules to build one, not both.")
    return write(plan, path, format)
