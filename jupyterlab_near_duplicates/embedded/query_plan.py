"""Query planning: a REST query body -> a plan -> the engine's request -> the REST answer.

A query *by point id* does not exist in the engine: we fetch the point's stored vector,
search with ``limit + offset + 1`` and drop the point itself, which lets a batch of by-id
queries share one planned pass (an ``has_id`` exclusion filter per query would not).
``score_threshold`` is applied strictly by the engine; we re-apply the same test in
float32 so the contract holds whatever the engine does on indexed segments.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Callable

import qdrant_edge as qe

from .. import metric
from . import limits
from .errors import format_error, point_not_found, unsupported, wrong_input
from .rest_body import (
    f32,
    id_out,
    int_opt,
    parse_filter,
    parse_id,
    parse_order_by,
    parse_params,
    parse_with_payload,
    parse_with_vector,
)


class QueryPlan:
    """One search of a query or query/batch body, checked and converted."""

    __slots__ = (
        "query",
        "using",
        "ref",
        "filter",
        "params",
        "threshold",
        "better",
        "limit",
        "offset",
        "with_payload",
        "out_payload",
        "with_vector",
        "out_vector",
        "nearest",
    )


def plan(body: Any, distances: dict[str, str]) -> QueryPlan:
    """The plan of one search; ``distances``: the collection's distance per vector name."""
    if not isinstance(body, dict):
        raise format_error("expected a query request object")
    if body.get("prefetch"):
        raise unsupported("prefetch")
    if body.get("lookup_from") is not None:
        raise unsupported("lookup_from")
    p = QueryPlan()
    p.using = body.get("using")
    if p.using is not None and not isinstance(p.using, str):
        raise format_error("using must be a string")
    p.ref = None
    p.query = None
    p.nearest = False
    q = body.get("query")
    if isinstance(q, dict):
        if "nearest" in q:
            if q.get("mmr") is not None:
                raise unsupported("mmr")
            q = q["nearest"]
        elif "order_by" in q:
            p.query = parse_order_by(q["order_by"])
            q = None
        elif "sample" in q:
            p.query = qe.Sample.Random
            q = None
        elif "indices" in q and "values" in q:
            raise unsupported("sparse vectors")
        else:
            kind = next(iter(q), "?")
            raise unsupported(f"query type `{kind}`")
    if q is not None:
        if isinstance(q, list):
            problem = limits.finite_vector_problem(q)
            if problem:
                raise wrong_input(f"the query vector {problem}")
            p.query = q  # a dense vector (or multivector); wrapped in Nearest below
            p.nearest = True
        elif isinstance(q, (int, str)) and not isinstance(q, bool):
            p.ref = parse_id(q)
            p.nearest = True
        elif isinstance(q, dict) and "indices" in q:
            raise unsupported("sparse vectors")
        else:
            raise format_error("query must be a vector, a point id, or {nearest|order_by|sample}")
    p.filter = parse_filter(body.get("filter"))
    p.params = parse_params(body.get("params"))
    thr = body.get("score_threshold")
    p.threshold = None if thr is None else f32(thr)
    p.better = metric.better_than(distances.get(p.using or ""))
    limit = int_opt(body, "limit", 1)
    offset = int_opt(body, "offset", 0)
    p.limit = 10 if limit is None else limit
    p.offset = offset or 0
    limits.check_window(p.offset, p.limit)
    p.with_payload, p.out_payload = parse_with_payload(body.get("with_payload"), False)
    p.with_vector, p.out_vector = parse_with_vector(body.get("with_vector"))
    return p


def ref_vectors(plans: list[QueryPlan], retrieve: Callable[[list, Any], list], dims: dict[str, int], named: bool) -> dict:
    """Stored vectors of the points referenced by id, one ``retrieve(ids, with_vector)`` per
    vector name; keyed by (vector name, point id)."""
    by_using: dict[str, list] = {}
    for p in plans:
        if p.ref is not None:
            by_using.setdefault(p.using or "", []).append(p.ref)
    vectors: dict[tuple, Any] = {}
    for using, ids in by_using.items():
        uniq = list(dict.fromkeys(ids))
        if named:
            if using not in dims:
                raise wrong_input(f"Not existing vector name error: {using}")
            for r in retrieve(uniq, [using]):
                v = r.vector
                if isinstance(v, dict) and using in v:
                    vectors[(using, r.id)] = v[using]
        else:
            if using:
                raise wrong_input(f"Not existing vector name error: {using}")
            for r in retrieve(uniq, True):
                v = r.vector
                if isinstance(v, dict):
                    v = v.get("")
                if v is not None:
                    vectors[(using, r.id)] = v
        for pid in uniq:
            if (using, pid) not in vectors:
                raise point_not_found(id_out(pid))
    return vectors


def engine_request(p: QueryPlan, vectors: dict) -> qe.QueryRequest:
    if p.ref is not None:
        query: Any = qe.Query.Nearest(vectors[(p.using or "", p.ref)], using=p.using or None)
        # the point itself is dropped afterwards: ask for one more
        limit, offset = p.offset + p.limit + 1, 0
    else:
        query = qe.Query.Nearest(p.query, using=p.using or None) if p.nearest else p.query
        limit, offset = p.limit, p.offset
    return qe.QueryRequest(
        limit=limit,
        offset=offset,
        query=query,
        filter=p.filter,
        params=p.params,
        score_threshold=p.threshold,
        with_payload=p.with_payload,
        with_vector=p.with_vector,
    )


def answer(p: QueryPlan, points: list) -> list:
    """The engine's scored points -> the REST answer's points."""
    ref = p.ref
    if ref is not None:
        points = [sp for sp in points if sp.id != ref][p.offset : p.offset + p.limit]
    thr = p.threshold
    if thr is not None and p.nearest:
        better = p.better
        points = [sp for sp in points if better(sp.score, thr)]
    out_p, out_v = p.out_payload, p.out_vector
    if not out_p and not out_v:
        return [{"id": id_out(sp.id), "version": sp.version, "score": sp.score} for sp in points]
    res = []
    for sp in points:
        d: dict[str, Any] = {"id": id_out(sp.id), "version": sp.version, "score": sp.score}
        if out_p:
            pl = sp.payload
            d["payload"] = pl if pl is not None else {}
        if out_v:
            d["vector"] = sp.vector
        res.append(d)
    return res


def windows(plans: list[QueryPlan]) -> Iterator[list[QueryPlan]]:
    """The plans in runs of at most ``limits.QUERY_CHUNK_WINDOW`` results (at least one plan
    each): by-id queries come back whole (offset included), so one engine call per run
    bounds what a call holds."""
    start = 0
    while start < len(plans):
        end, window = start, 0
        while end < len(plans) and (end == start or window + plans[end].offset + plans[end].limit <= limits.QUERY_CHUNK_WINDOW):
            window += plans[end].offset + plans[end].limit
            end += 1
        yield plans[start:end]
        start = end
