"""The groups of a scan as the kernel works on them after the scan (``nd.plan``,
``nd.leakage``, ``nd.export``): the groups read from ``nd.groups()`` rows, their members'
payload fields and vectors read from the collection by point id in batches, and the scores
inside a group computed exactly from the vectors.

``nd.groups()`` rows hold point ids, sample ids and each member's closest link, not the
pairs between members: what needs a pair score (the most central member, the weakest link,
a leaking sample's closest counterpart) reads the members' vectors and scores every pair
inside the group as Qdrant would (``metric.pair_scores``). Groups are small; this costs one
retrieve of the members' vectors, never a search.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from typing import Any

from . import metric
from .collection_info import describe_collection

#: Points asked for in one retrieve (ids, the named payload fields, maybe one vector each).
BATCH = 256


class ScanChangedError(RuntimeError):
    """Points of the groups are no longer in the collection: it changed since the scan."""


@dataclass
class Group:
    """One group of the scan: ``index`` is its ``group_index`` in ``nd.groups()``."""

    index: int
    point_ids: list
    sample_ids: list[str]
    scores: list[float]

    @property
    def size(self) -> int:
        return len(self.point_ids)


@dataclass
class Scan:
    """The groups of one scan and what the scan was: collection, threshold, distance, id."""

    groups: list[Group]
    collection: str
    threshold: float | None = None
    distance: str | None = None
    scan_id: str | None = None
    recall: dict | None = None
    _points: dict = field(default_factory=dict, repr=False)

    @property
    def point_ids(self) -> list:
        return [p for g in self.groups for p in g.point_ids]


def point_key(point_id: Any) -> Any:
    """A point id as Qdrant answers it: an int, or a UUID in its lower-case hyphenated form."""
    if isinstance(point_id, str):
        try:
            return str(uuid.UUID(point_id))
        except ValueError:
            return point_id
    return point_id


def read_scan(groups: Any = None, collection: str | None = None) -> Scan:
    """The groups to work on: ``None`` reads ``nd.groups()`` (the panel's "Send all groups");
    else a list of ``nd.groups()`` rows or ``nd.Selection`` objects, one of them (such as
    ``nd.selection``), or the DataFrame of ``nd.groups(as_frame=True)``. Raises ValueError saying what to do when there are none or
    they come from more than one scan."""
    if groups is None:
        from .selection import groups as current_groups

        rows = current_groups()
        if not rows:
            raise ValueError(
                "No groups in this kernel yet: in the Near Duplicates panel, run Detect on the "
                "collection, then click 'Send all groups' (or pass groups=[...] yourself)."
            )
    elif hasattr(groups, "to_dict") and hasattr(groups, "columns"):  # a pandas DataFrame
        rows = groups.to_dict("records")
    elif isinstance(groups, dict) or hasattr(groups, "sample_ids"):  # one group: a row or nd.selection
        rows = [groups.to_dict() if hasattr(groups, "sample_ids") else groups]
    else:
        rows = [g.to_dict() if hasattr(g, "to_dict") and hasattr(g, "sample_ids") else g for g in groups]
    if not rows:
        raise ValueError("The list of groups is empty: there is nothing to plan, count or export.")

    def one(key: str, default=None):
        values = {r.get(key) for r in rows if r.get(key) is not None}
        if len(values) > 1:
            raise ValueError(
                f"The groups come from more than one scan ({key}: {', '.join(sorted(map(str, values)))}). "
                "Pass the groups of one scan."
            )
        return values.pop() if values else default

    name = collection or one("collection")
    if not name:
        raise ValueError("The groups do not name their collection: pass collection='...'.")
    out = []
    seen: dict = {}
    for i, r in enumerate(rows):
        pids = [point_key(p) for p in (r.get("point_ids") or [])]
        sids = [str(s) for s in (r.get("sample_ids") or [])]
        if not pids or len(pids) != len(sids):
            raise ValueError(
                f"Group {i} has {len(sids)} sample ids and {len(pids)} point ids: every member needs both "
                "(nd.groups() rows carry them; a Selection built by hand needs point_ids=...)."
            )
        scores = [float("nan") if s is None else float(s) for s in (r.get("scores") or [])]
        index = r.get("group_index")
        index = i if index is None or (isinstance(index, float) and math.isnan(index)) else int(index)
        for p in pids:
            if p in seen:
                raise ValueError(f"Point {p!r} is in group {seen[p]} and in group {index}: pass the groups of one scan.")
            seen[p] = index
        out.append(Group(index, pids, sids, scores if len(scores) == len(pids) else [math.nan] * len(pids)))
    threshold = one("threshold")
    return Scan(
        out,
        name,
        threshold=None if threshold is None else float(threshold),
        distance=one("distance"),
        scan_id=one("scan_id"),
        recall=next((r.get("recall") for r in rows if isinstance(r.get("recall"), dict)), None),
    )


def the_client(client: Any = None):
    """The client given, else ``nd.client()``: the backend the panel scans."""
    if client is not None:
        return client
    from .connection import client as nd_client

    return nd_client()


def choose_vector(client: Any, collection: str, vector: str | None = None) -> tuple[str, str | None]:
    """(vector name, distance) the scan compared by: ``vector`` when given, else the
    collection's only dense vector (the rule of ``src/scan/collection.ts``). ``""`` names the
    unnamed vector."""
    shape = describe_collection(client.get_collection(collection).model_dump(mode="json"))
    dense = {name: v for name, v in shape["vectors"].items() if not v.get("multivector")}
    if vector is not None:
        if vector not in dense:
            raise ValueError(
                f"Collection {collection!r} has no dense vector {vector!r}; it has: "
                f"{', '.join(repr(n) for n in dense) or 'none'}."
            )
        return vector, dense[vector].get("distance")
    if len(dense) != 1:
        raise ValueError(
            f"Collection {collection!r} has {len(dense)} dense vectors ({', '.join(repr(n) for n in dense)}): "
            "pass vector='...' (the one the scan compared by)."
        )
    name = next(iter(dense))
    return name, dense[name].get("distance")


def payload_value(payload: dict | None, path: str) -> Any:
    """The value at ``path`` (``"a"`` or nested ``"a.b"``) of a payload; None when absent."""
    if not payload:
        return None
    if path in payload:
        return payload[path]
    value: Any = payload
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def fetch(
    client: Any,
    collection: str,
    point_ids: list,
    fields: list[str] | None = None,
    vector: str | None = None,
    batch: int = BATCH,
) -> dict:
    """``{point key: (payload, vector)}`` for ``point_ids``, read in batches: the payload's
    top-level ``fields`` (all of it when None; nothing when empty), and the named vector as a
    list (``""`` for the unnamed one; None: no vector). Raises ScanChangedError when points
    are gone."""
    want_payload: Any = True if fields is None else sorted({f.split(".")[0] for f in fields}) or False
    with_vectors: Any = False if vector is None else (True if vector == "" else [vector])
    out: dict = {}
    ids = list(dict.fromkeys(point_ids))
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        for record in client.retrieve(collection, ids=chunk, with_payload=want_payload, with_vectors=with_vectors):
            v = record.vector
            if isinstance(v, dict):
                v = v.get(vector)
            out[point_key(record.id)] = (record.payload or {}, v)
    missing = [p for p in ids if p not in out]
    if missing:
        raise ScanChangedError(
            f"{len(missing):,} point(s) of the groups are no longer in collection {collection!r} "
            f"(for example {', '.join(repr(p) for p in missing[:3])}): the collection changed since the "
            "scan. Run Detect again in the panel and send the new groups."
        )
    return out


def split_sizes(client: Any, collection: str, split_field: str, splits: list) -> dict:
    """``{split: points in the collection with that split value}`` (exact counts)."""
    from qdrant_client import models

    out = {}
    for split in splits:
        match = models.FieldCondition(key=split_field, match=models.MatchValue(value=split))
        out[split] = client.count(collection, count_filter=models.Filter(must=[match]), exact=True).count
    return out


@dataclass
class GroupScores:
    """Exact scores inside one group, from the members' vectors (members in group order)."""

    best: list[float]  # each member's closest link inside the group
    mean: list[float]  # each member's mean score to the others
    weakest_link: float  # the weakest link of the group's strongest spanning tree
    matrix: Any  # (n, n) scores


def group_scores(vectors: list, distance: str | None) -> GroupScores:
    """Every pair's score, each member's best and mean, and the weakest link that holds the
    group together (single linkage: the weakest edge of its maximum spanning tree, by Prim)."""
    import numpy as np

    return matrix_scores(metric.pair_scores(np.asarray(vectors, dtype=np.float64), distance), distance)


def matrix_scores(s: Any, distance: str | None) -> GroupScores:
    """``group_scores`` from the group's (n, n) score matrix."""
    import numpy as np

    s = np.asarray(s, dtype=np.float64)
    n = len(s)
    higher = metric.higher_is_better(distance)
    off = s.copy()
    np.fill_diagonal(off, -np.inf if higher else np.inf)
    best = (off.max(axis=1) if higher else off.min(axis=1)).tolist() if n > 1 else [math.nan] * n
    mean = ((s.sum(axis=1) - np.diag(s)) / max(1, n - 1)).tolist()
    weakest = math.nan
    if n > 1:
        sign = 1.0 if higher else -1.0
        inside = np.zeros(n, bool)
        inside[0] = True
        reach = sign * off[0]
        links = []
        for _ in range(n - 1):
            candidates = np.where(inside, -np.inf, reach)
            k = int(np.argmax(candidates))
            links.append(candidates[k] * sign)
            inside[k] = True
            reach = np.maximum(reach, sign * off[k])
        weakest = float(min(links) if higher else max(links))
    return GroupScores(best=[float(b) for b in best], mean=[float(m) for m in mean], weakest_link=weakest, matrix=s)
