"""Qdrant REST request bodies -> qdrant_edge objects: point ids, filters, selectors, search
params and points, each refused with the status and wording a Qdrant server would use.

Measured fact about qdrant-edge-py 0.9.0 that shapes this module: a Python ``bool`` given to
``MatchValue`` reaches the engine as the integer 0/1, so it never matches a boolean payload;
``numpy.bool_`` does (see ``_parse_match``).
"""

from __future__ import annotations

import json
import math
import struct
import uuid
from typing import Any

import qdrant_edge as qe

from . import limits
from .errors import ApiError, format_error, unsupported, validation_error, wrong_input

_UINT64_MAX = 2**64 - 1
_UINT32_MAX = 2**32 - 1


def parse_id(value: Any) -> int | uuid.UUID:
    """A Qdrant point id: an unsigned 64-bit integer or a UUID (any textual form)."""
    if isinstance(value, bool):
        raise _bad_id(value)
    if isinstance(value, int):
        if 0 <= value <= _UINT64_MAX:
            return value
        raise _bad_id(value)
    if isinstance(value, str):
        try:
            return uuid.UUID(value)
        except ValueError:
            raise _bad_id(value) from None
    raise _bad_id(value)


def _bad_id(value: Any) -> ApiError:
    return format_error(
        f"value {json.dumps(value)} is not a valid point ID, "
        "valid values are either an unsigned integer or a UUID"
    )


def id_out(value: Any) -> int | str:
    """Point id as Qdrant's REST API prints it (UUIDs hyphenated, lowercase)."""
    return value if type(value) is int else str(value)


def parse_ids(values: Any) -> list:
    if not isinstance(values, list):
        raise format_error("expected a list of point ids")
    return [parse_id(v) for v in values]


def f32(x: float) -> float:
    """Round a threshold to float32, the precision Qdrant compares scores in."""
    x = float(x)
    if math.isnan(x):
        raise validation_error("score_threshold: must be a number")
    if abs(x) > 3.4028234663852886e38:
        return math.copysign(math.inf, x)
    return struct.unpack("f", struct.pack("f", x))[0]


def as_list(v: Any) -> list:
    if v is None:
        return []
    return v if isinstance(v, list) else [v]



# --- filters ----------------------------------------------------------------------------


def parse_filter(f: Any) -> qe.Filter | None:
    if f is None:
        return None
    if not isinstance(f, dict):
        raise format_error("filter must be an object")
    ms = f.get("min_should")
    min_should = None
    if ms is not None:
        min_should = qe.MinShould(
            conditions=[_parse_condition(c) for c in as_list(ms.get("conditions"))],
            min_count=int(ms.get("min_count", 1)),
        )

    def conds(key: str) -> list | None:
        v = f.get(key)
        if v is None:
            return None
        return [_parse_condition(c) for c in as_list(v)]

    return qe.Filter(
        must=conds("must"), should=conds("should"), must_not=conds("must_not"), min_should=min_should
    )


def _geo_point(p: dict) -> qe.GeoPoint:
    return qe.GeoPoint(lon=float(p["lon"]), lat=float(p["lat"]))


def _parse_match(m: dict):
    if not isinstance(m, dict):
        raise format_error("match must be an object")
    if "value" in m:
        v = m["value"]
        if isinstance(v, bool):
            # qdrant-edge-py 0.9 reads a Python bool as the integer 0/1 (so it never
            # matches a boolean payload); numpy.bool_ reaches the engine as a bool.
            import numpy as np

            v = np.bool_(v)
        return qe.MatchValue(v)
    if "any" in m:
        return qe.MatchAny(m["any"])
    if "except" in m:
        return qe.MatchExcept(m["except"])
    if "text" in m:
        return qe.MatchText(m["text"])
    if "text_any" in m:
        return qe.MatchTextAny(m["text_any"])
    if "phrase" in m:
        return qe.MatchPhrase(m["phrase"])
    if "prefix" in m:
        return qe.MatchPrefix(m["prefix"])
    if "substring" in m:
        return qe.MatchSubstring(m["substring"])
    raise format_error(f"unknown match condition {json.dumps(m)}")


def _parse_range(r: dict):
    if not isinstance(r, dict):
        raise format_error("range must be an object")
    vals = {k: r.get(k) for k in ("gt", "gte", "lt", "lte")}
    present = [v for v in vals.values() if v is not None]
    if any(isinstance(v, str) for v in present):
        return qe.RangeDateTime(**vals)
    return qe.RangeFloat(**{k: (None if v is None else float(v)) for k, v in vals.items()})


def _parse_condition(c: Any):
    if not isinstance(c, dict):
        raise format_error("a filter condition must be an object")
    if "key" in c:
        kw: dict[str, Any] = {}
        if c.get("match") is not None:
            kw["match"] = _parse_match(c["match"])
        if c.get("range") is not None:
            kw["range"] = _parse_range(c["range"])
        if c.get("geo_bounding_box") is not None:
            g = c["geo_bounding_box"]
            kw["geo_bounding_box"] = qe.GeoBoundingBox(_geo_point(g["top_left"]), _geo_point(g["bottom_right"]))
        if c.get("geo_radius") is not None:
            g = c["geo_radius"]
            kw["geo_radius"] = qe.GeoRadius(_geo_point(g["center"]), float(g["radius"]))
        if c.get("geo_polygon") is not None:
            g = c["geo_polygon"]
            kw["geo_polygon"] = qe.GeoPolygon(
                [_geo_point(p) for p in g["exterior"]["points"]],
                [[_geo_point(p) for p in ring["points"]] for ring in g.get("interiors") or []] or None,
            )
        if c.get("values_count") is not None:
            kw["values_count"] = qe.ValuesCount(**{k: c["values_count"].get(k) for k in ("lt", "gt", "lte", "gte")})
        if c.get("is_empty") is not None:
            kw["is_empty"] = bool(c["is_empty"])
        if c.get("is_null") is not None:
            kw["is_null"] = bool(c["is_null"])
        return qe.FieldCondition(key=str(c["key"]), **kw)
    if "has_id" in c:
        return qe.HasIdCondition(set(parse_ids(c["has_id"])))
    if "is_empty" in c:
        return qe.IsEmptyCondition(str(c["is_empty"]["key"]))
    if "is_null" in c:
        return qe.IsNullCondition(str(c["is_null"]["key"]))
    if "has_vector" in c:
        return qe.HasVectorCondition(str(c["has_vector"]))
    if "nested" in c:
        n = c["nested"]
        return qe.NestedCondition(str(n["key"]), parse_filter(n["filter"]))
    if any(k in c for k in ("must", "should", "must_not", "min_should")):
        return parse_filter(c)
    raise format_error(f"unknown filter condition {json.dumps(c)[:200]}")


# --- selectors and params ---------------------------------------------------------------


def parse_with_payload(v: Any, default: bool):
    """Returns (engine value, whether the output carries a payload)."""
    if v is None:
        return default, default
    if v is True or v is False:
        return v, v
    if isinstance(v, list):
        return [str(x) for x in v], True
    if isinstance(v, dict):
        if "include" in v:
            return qe.PayloadSelector.Include([str(x) for x in as_list(v["include"])]), True
        if "exclude" in v:
            return qe.PayloadSelector.Exclude([str(x) for x in as_list(v["exclude"])]), True
    raise format_error("with_payload must be a boolean, a list of fields or {include|exclude}")


def parse_with_vector(v: Any):
    if v is None or v is False:
        return False, False
    if v is True:
        return True, True
    if isinstance(v, list):
        return [str(x) for x in v], True
    raise format_error("with_vector must be a boolean or a list of vector names")


def parse_params(p: Any) -> qe.SearchParams | None:
    if p is None:
        return None
    if not isinstance(p, dict):
        raise format_error("params must be an object")
    kw: dict[str, Any] = {}
    if p.get("hnsw_ef") is not None:
        kw["hnsw_ef"] = int_opt(p, "hnsw_ef", 0, _UINT32_MAX)
    if p.get("exact") is not None:
        kw["exact"] = bool(p["exact"])
    if p.get("indexed_only") is not None:
        kw["indexed_only"] = bool(p["indexed_only"])
    q = p.get("quantization")
    if q is not None:
        kw["quantization"] = qe.QuantizationSearchParams(
            ignore=bool(q.get("ignore", False)), rescore=q.get("rescore"), oversampling=q.get("oversampling")
        )
    a = p.get("acorn")
    if a is not None:
        kw["acorn"] = qe.AcornSearchParams(enable=bool(a.get("enable", False)), max_selectivity=a.get("max_selectivity"))
    return qe.SearchParams(**kw)


def _vector_in(v: Any):
    """A point's vector(s) in REST form -> engine form."""
    if v is None:
        return {}
    if isinstance(v, list):
        return v
    if isinstance(v, dict):
        out = {}
        for name, vec in v.items():
            if isinstance(vec, dict):
                if "indices" in vec and "values" in vec:
                    out[name] = qe.SparseVector(vec["indices"], vec["values"])
                else:
                    raise unsupported("inference objects (documents, images) as vectors")
            else:
                out[name] = vec
        return out
    raise format_error("vector must be a list of numbers or an object of named vectors")


def engine_point(pid: Any, vector: Any, payload: Any) -> qe.Point:
    """A point to upsert, refusing a payload that could never be read back."""
    if payload is not None and not isinstance(payload, dict):
        raise format_error(f"point {id_out(pid)}: payload must be an object")
    if payload:
        check_payload_depth(payload, f"point {id_out(pid)}: its payload")
    return qe.Point(pid, _vector_in(vector), payload)


def check_finite(ids: list, vectors: list, vector_name: str = "") -> None:
    """Refuse, naming the point, a vector with NaN or an infinity (Qdrant refuses them)."""
    for pid, vector in zip(ids, vectors):
        for name, v in vector.items() if isinstance(vector, dict) else [(vector_name, vector)]:
            problem = limits.finite_vector_problem(v) if isinstance(v, list) else None
            if problem:
                which = f"vector `{name}`" if name else "vector"
                raise wrong_input(f"point {id_out(pid)}: its {which} {problem}")


def check_payload_depth(payload: dict, what: str, extra: int = 0) -> None:
    depth = limits.json_depth(payload, limits.MAX_PAYLOAD_DEPTH) + extra
    if depth > limits.MAX_PAYLOAD_DEPTH:
        raise wrong_input(
            f"{what} is nested {depth} levels deep, the embedded backend stores at most "
            f"{limits.MAX_PAYLOAD_DEPTH} (deeper payloads could not be read back); flatten it"
        )


def int_opt(d: dict, key: str, minimum: int | None = None, maximum: int | None = None) -> int | None:
    v = d.get(key)
    if v is None:
        return None
    if not limits.is_whole_number(v):
        raise format_error(f"{key}: expected an integer, got {json.dumps(v)[:40]}")
    v = int(v)
    if minimum is not None and v < minimum:
        raise validation_error(f"{key}: value {v} invalid, must be {minimum} or larger")
    if maximum is not None and v > maximum:
        raise validation_error(f"{key}: value {v} invalid, must be {maximum} or smaller")
    return v



def parse_order_by(order_by: Any) -> qe.OrderBy:
    """``"field"`` or ``{key, direction, start_from}`` (scroll's ``order_by``, a query's ``{order_by}``)."""
    if isinstance(order_by, str):
        order_by = {"key": order_by}
    if not isinstance(order_by, dict) or "key" not in order_by:
        raise format_error("order_by must be a field name or an object with a `key`")
    direction = order_by.get("direction")
    return qe.OrderBy(
        key=str(order_by["key"]),
        direction=None if direction is None else (qe.Direction.Desc if str(direction).lower() == "desc" else qe.Direction.Asc),
        start_from=order_by.get("start_from"),
    )

