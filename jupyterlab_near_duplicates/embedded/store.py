"""Collections over Qdrant Edge shards: the engine side of the embedded backend.

One ``qdrant_edge.EdgeShard`` per collection, in ``<data_dir>/collections/<dir>/shard``,
with the collection's name and REST-level configuration persisted beside it in
``<data_dir>/collections/<dir>/collection.json`` (``<dir>``: see ``names.directory_name``;
earlier versions used the name itself, and such directories still load).

Everything here is synchronous and expects to be called from one thread at a time (the
REST app runs it on a single engine thread). Request bodies come in as the JSON objects of
Qdrant's REST API and results go out as JSON-ready Python objects of the same shapes.

Measured facts about qdrant-edge-py 0.9.0 that shape this module:

* Every engine call holds the GIL for its whole duration, ``optimize()`` included (an
  HNSW build of 50k x 256 vectors takes 40-100 s on 2 cores). So index builds of large
  collections run in a separate process on a copy of the shard, which is swapped in
  when done (see ``Collection``); everything else is short enough to run inline.
* A Python ``bool`` given to ``MatchValue`` reaches the engine as the integer 0/1, so it
  never matches a boolean payload; ``numpy.bool_`` does (see ``_parse_match``).
* ``score_threshold`` is applied strictly by the engine (``>`` for Cosine/Dot, ``<`` for
  Euclid/Manhattan whose scores are distances); we re-apply the same test in float32 so the
  contract holds whatever the engine does on indexed segments.
* Cosine vectors are normalised by the engine on upsert (and queries are too).
* A query *by point id* does not exist in the engine: we fetch the point's stored vector,
  search with ``limit + offset + 1`` and drop the point itself, which lets a batch of by-id
  queries share one planned pass (an ``has_id`` exclusion filter per query would not).
"""

from __future__ import annotations

import collections as _collections
import json
import logging
import math
import os
import re
import shutil
import struct
import subprocess
import sys
import time
import uuid
from typing import Any, Callable, Iterable

import qdrant_edge as qe

from . import limits
from .errors import ApiError, hide_paths, os_error_text
from .launcher import write_json_atomic
from .names import directory_name, validate_collection_name, vector_name_problem

log = logging.getLogger("jupyterlab_near_duplicates.embedded")

# ---------------------------------------------------------------------------------------
# Errors: raised with the HTTP status and message a Qdrant server would give
# ---------------------------------------------------------------------------------------


def format_error(msg: str) -> ApiError:
    return ApiError(400, f"Format error in JSON body: {msg}")


def wrong_input(msg: str) -> ApiError:
    return ApiError(400, f"Wrong input: {msg}")


def validation_error(msg: str) -> ApiError:
    return ApiError(422, f"Validation error in JSON body: {msg}")


def collection_not_found(name: str) -> ApiError:
    return ApiError(404, f"Not found: Collection `{name}` doesn't exist!")


def unsupported(what: str) -> ApiError:
    return ApiError(400, f"Bad request: {what} is not supported by the embedded backend")


_NO_POINT_RE = re.compile(r"No point with id (\S+?)(?: found)?$")


def engine_error(exc: BaseException) -> ApiError:
    """Map an exception raised by qdrant_edge to the status/message of a Qdrant server."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, OSError):
        return ApiError(500, f"Service internal error: storage error: {os_error_text(exc)}")
    msg = hide_paths(str(exc).strip())
    first = msg.splitlines()[0] if msg else type(exc).__name__
    if isinstance(exc, (TypeError, ValueError, OverflowError)):
        return format_error(first)
    m = _NO_POINT_RE.search(first)
    if m:
        return ApiError(404, f"Not found: No point with id {m.group(1)} found")
    if first.startswith("Service runtime error") or first.startswith("Service internal error"):
        return ApiError(500, f"Service internal error: {first}")
    return wrong_input(first)


# ---------------------------------------------------------------------------------------
# Small JSON -> engine conversions
# ---------------------------------------------------------------------------------------

DISTANCES = {
    "cosine": ("Cosine", qe.Distance.Cosine),
    "euclid": ("Euclid", qe.Distance.Euclid),
    "dot": ("Dot", qe.Distance.Dot),
    "manhattan": ("Manhattan", qe.Distance.Manhattan),
}
# Distances whose score is a similarity (higher is better); the others are distances.
HIGHER_IS_BETTER = {"Cosine": True, "Dot": True, "Euclid": False, "Manhattan": False}

DATATYPES = {
    "float32": qe.VectorStorageDatatype.Float32,
    "float16": qe.VectorStorageDatatype.Float16,
    "uint8": qe.VectorStorageDatatype.Uint8,
}

DEFAULT_HNSW = {
    "m": 16,
    "ef_construct": 100,
    "full_scan_threshold": 10000,
    "max_indexing_threads": 0,
    "on_disk": False,
}
DEFAULT_OPTIMIZERS = {
    "deleted_threshold": 0.2,
    "vacuum_min_vector_number": 1000,
    "default_segment_number": 0,
    "max_segment_size": None,
    "memmap_threshold": None,
    "indexing_threshold": 10000,
    "flush_interval_sec": 5,
    "max_optimization_threads": None,
}
DEFAULT_WAL = {"wal_capacity_mb": 32, "wal_segments_ahead": 0}

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


def _f32(x: float) -> float:
    """Round a threshold to float32, the precision Qdrant compares scores in."""
    x = float(x)
    if math.isnan(x):
        raise validation_error("score_threshold: must be a number")
    if abs(x) > 3.4028234663852886e38:
        return math.copysign(math.inf, x)
    return struct.unpack("f", struct.pack("f", x))[0]


def _as_list(v: Any) -> list:
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def _enum_name(value: Any) -> str:
    return str(value).rsplit(".", 1)[-1]


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
            conditions=[_parse_condition(c) for c in _as_list(ms.get("conditions"))],
            min_count=int(ms.get("min_count", 1)),
        )

    def conds(key: str) -> list | None:
        v = f.get(key)
        if v is None:
            return None
        return [_parse_condition(c) for c in _as_list(v)]

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
            return qe.PayloadSelector.Include([str(x) for x in _as_list(v["include"])]), True
        if "exclude" in v:
            return qe.PayloadSelector.Exclude([str(x) for x in _as_list(v["exclude"])]), True
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
        kw["hnsw_ef"] = _int_opt(p, "hnsw_ef", 0, _UINT32_MAX)
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


def _point(pid: Any, vector: Any, payload: Any) -> qe.Point:
    """A point to upsert, refusing a payload that could never be read back."""
    if payload is not None and not isinstance(payload, dict):
        raise format_error(f"point {id_out(pid)}: payload must be an object")
    if payload:
        _check_payload_depth(payload, f"point {id_out(pid)}: its payload")
    return qe.Point(pid, _vector_in(vector), payload)


def _check_finite(ids: list, vectors: list, vector_name: str = "") -> None:
    """Refuse, naming the point, a vector with NaN or an infinity (Qdrant refuses them).

    """
    for pid, vector in zip(ids, vectors):
        for name, v in vector.items() if isinstance(vector, dict) else [(vector_name, vector)]:
            problem = limits.finite_vector_problem(v) if isinstance(v, list) else None
            if problem:
                which = f"vector `{name}`" if name else "vector"
                raise wrong_input(f"point {id_out(pid)}: its {which} {problem}")


def _check_payload_depth(payload: dict, what: str, extra: int = 0) -> None:
    depth = limits.json_depth(payload, limits.MAX_PAYLOAD_DEPTH) + extra
    if depth > limits.MAX_PAYLOAD_DEPTH:
        raise wrong_input(
            f"{what} is nested {depth} levels deep, the embedded backend stores at most "
            f"{limits.MAX_PAYLOAD_DEPTH} (deeper payloads could not be read back); flatten it"
        )


def _int_opt(d: dict, key: str, minimum: int | None = None, maximum: int | None = None) -> int | None:
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


# ---------------------------------------------------------------------------------------
# Collection configuration (REST shapes) <-> EdgeConfig
# ---------------------------------------------------------------------------------------

_VECTOR_PARAM_KEYS = ("size", "distance", "hnsw_config", "quantization_config", "on_disk", "datatype", "multivector_config")
_HNSW_KEYS = ("m", "ef_construct", "full_scan_threshold", "max_indexing_threads", "on_disk", "payload_m")
_OPT_KEYS = tuple(DEFAULT_OPTIMIZERS)
def _normalize_vector_params(name: str, p: Any) -> dict:
    if not isinstance(p, dict):
        raise format_error(f"vectors{'.' + name if name else ''}: expected an object with size and distance")
    size = p.get("size")
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= 65536:
        raise validation_error(f"vectors{'.' + name if name else ''}.size: must be an integer from 1 to 65536")
    dist = DISTANCES.get(str(p.get("distance", "")).lower())
    if dist is None:
        raise format_error(
            f"unknown variant `{p.get('distance')}`, expected one of `Cosine`, `Euclid`, `Dot`, `Manhattan`"
        )
    out = {"size": size, "distance": dist[0]}
    for k in _VECTOR_PARAM_KEYS[2:]:
        if p.get(k) is not None:
            out[k] = p[k]
    if out.get("datatype") is not None and str(out["datatype"]).lower() not in DATATYPES:
        raise format_error(f"unknown datatype `{out['datatype']}`")
    return out


def normalize_create_body(body: dict) -> dict:
    """The body of PUT /collections/{name} -> the configuration we persist and report."""
    if not isinstance(body, dict):
        raise format_error("expected an object")
    if body.get("sparse_vectors"):
        raise unsupported("sparse vectors")
    if body.get("init_from") is not None:
        raise unsupported("init_from")
    vectors = body.get("vectors")
    if vectors is None:
        raise wrong_input("the embedded backend needs dense vectors (`vectors`) in the collection config")
    if isinstance(vectors, dict) and "size" in vectors and "distance" in vectors:
        named = False
        vecs = {"": _normalize_vector_params("", vectors)}
    elif isinstance(vectors, dict) and vectors:
        named = True
        vecs = {}
        for vname, p in vectors.items():
            problem = vector_name_problem(vname) if isinstance(vname, str) else "a vector name must be a string"
            if problem:
                raise validation_error(f"vectors: {problem}")
            vecs[vname] = _normalize_vector_params(vname, p)
    else:
        raise format_error("vectors: expected {size, distance} or an object of named vector params")

    hnsw = dict(DEFAULT_HNSW)
    for k, v in (body.get("hnsw_config") or {}).items():
        if k in _HNSW_KEYS and v is not None:
            hnsw[k] = v
    opt = dict(DEFAULT_OPTIMIZERS)
    for k, v in (body.get("optimizers_config") or {}).items():
        if k in _OPT_KEYS:
            opt[k] = v
    wal = dict(DEFAULT_WAL)
    for k, v in (body.get("wal_config") or {}).items():
        if k in DEFAULT_WAL and v is not None:
            wal[k] = v
    cfg = {
        "named": named,
        "vectors": vecs,
        "hnsw_config": hnsw,
        "optimizer_config": opt,
        "wal_config": wal,
        "on_disk_payload": bool(body.get("on_disk_payload", True)),
        "quantization_config": body.get("quantization_config"),
        "metadata": body.get("metadata"),
    }
    edge_config(cfg)  # validate early: raises on anything the engine would not accept
    return cfg


def _hnsw(d: dict) -> qe.HnswIndexConfig:
    return qe.HnswIndexConfig(
        m=int(d.get("m", DEFAULT_HNSW["m"])),
        ef_construct=int(d.get("ef_construct", DEFAULT_HNSW["ef_construct"])),
        full_scan_threshold=int(d.get("full_scan_threshold", DEFAULT_HNSW["full_scan_threshold"])),
        max_indexing_threads=int(d.get("max_indexing_threads") or 0),
        on_disk=d.get("on_disk"),
        payload_m=d.get("payload_m"),
    )


def _quantization(q: Any):
    if q is None:
        return None
    if not isinstance(q, dict):
        raise format_error("quantization_config must be an object")
    if "scalar" in q:
        s = q["scalar"] or {}
        if str(s.get("type", "int8")).lower() != "int8":
            raise format_error(f"unknown scalar quantization type `{s.get('type')}`")
        return qe.ScalarQuantizationConfig(qe.ScalarType.Int8, quantile=s.get("quantile"), always_ram=s.get("always_ram"))
    if "product" in q:
        p = q["product"] or {}
        ratio = getattr(qe.CompressionRatio, str(p.get("compression", "x16")).upper(), None)
        if ratio is None:
            raise format_error(f"unknown compression ratio `{p.get('compression')}`")
        return qe.ProductQuantizationConfig(ratio, always_ram=p.get("always_ram"))
    if "binary" in q:
        b = q["binary"] or {}
        enc = None
        if b.get("encoding") is not None:
            enc = {
                "one_bit": qe.BinaryQuantizationEncoding.OneBit,
                "two_bits": qe.BinaryQuantizationEncoding.TwoBits,
                "one_and_half_bits": qe.BinaryQuantizationEncoding.OneAndHalfBits,
            }.get(str(b["encoding"]))
            if enc is None:
                raise format_error(f"unknown binary quantization encoding `{b['encoding']}`")
        return qe.BinaryQuantizationConfig(always_ram=b.get("always_ram"), encoding=enc)
    raise unsupported(f"quantization {json.dumps(q)[:80]}")


def edge_config(cfg: dict) -> qe.EdgeConfig:
    def vp(p: dict) -> qe.EdgeVectorParams:
        kw: dict[str, Any] = {"size": p["size"], "distance": DISTANCES[p["distance"].lower()][1]}
        if p.get("on_disk") is not None:
            kw["on_disk"] = bool(p["on_disk"])
        if p.get("datatype") is not None:
            kw["datatype"] = DATATYPES[str(p["datatype"]).lower()]
        if p.get("multivector_config") is not None:
            kw["multivector_config"] = qe.MultiVectorConfig(qe.MultiVectorComparator.MaxSim)
        if p.get("hnsw_config"):
            kw["hnsw_config"] = _hnsw({**cfg["hnsw_config"], **p["hnsw_config"]})
        if p.get("quantization_config") is not None:
            kw["quantization_config"] = _quantization(p["quantization_config"])
        return qe.EdgeVectorParams(**kw)

    if cfg["named"]:
        vectors: Any = {name: vp(p) for name, p in cfg["vectors"].items()}
    else:
        vectors = vp(cfg["vectors"][""])
    opt = cfg["optimizer_config"]
    try:
        optimizers = qe.EdgeOptimizersConfig(
            deleted_threshold=opt.get("deleted_threshold"),
            vacuum_min_vector_number=opt.get("vacuum_min_vector_number"),
            default_segment_number=opt.get("default_segment_number"),
            max_segment_size=opt.get("max_segment_size"),
            indexing_threshold=opt.get("indexing_threshold"),
            prevent_unoptimized=opt.get("prevent_unoptimized"),
        )
        return qe.EdgeConfig(
            vectors=vectors,
            on_disk_payload=cfg["on_disk_payload"],
            hnsw_config=_hnsw(cfg["hnsw_config"]),
            quantization_config=_quantization(cfg.get("quantization_config")),
            optimizers=optimizers,
        )
    except (TypeError, ValueError, OverflowError) as e:
        raise format_error(str(e).splitlines()[0]) from None


# ---------------------------------------------------------------------------------------
# A collection
# ---------------------------------------------------------------------------------------

# Index-build policy (see Collection docstring).
IDLE_MIN_S = 2.0  # a write burst is over when nothing was written for this long ...
IDLE_GAP_FACTOR = 3.0  # ... or for 3x the recent gap between write requests ...
IDLE_MAX_S = 120.0  # ... capped at this.
FLUSH_QUIET_S = 1.0  # flush segments once writes have been quiet for this long
_SESSION_GAP_S = 300.0  # a longer pause between writes starts a new "write session"
BUILD_RETRY_S = 60.0  # after a failed background build
REPLAY_MAX_BYTES = 256 * 1024 * 1024  # writes kept for replay during a background build
# Above this much vector data an optimize goes out of process: the engine holds the GIL
# while it optimizes, and even below Qdrant's indexing threshold that took 98 s here for
# 40k x 64 on a busy machine, with every request waiting.
IN_PROCESS_OPTIMIZE_MAX_KB = 1024.0

SHARD_DIR = "shard"
BUILD_DIR = "build"  # <collection>/build/shard: the copy being optimized
OLD_SHARD_DIR = "shard.old"  # the previous live shard during a swap


class _Build:
    """A background index build: a child process optimizing a copy of the shard."""

    def __init__(self, proc: subprocess.Popen, root: str, writes_at_copy: int):
        self.proc = proc
        self.root = root  # <collection>/build
        self.started = time.monotonic()
        self.writes_at_copy = writes_at_copy
        self.replay: list | None = []  # writes since the copy; None = too many, give up
        self.replay_bytes = 0


class _QueryPlan:
    __slots__ = (
        "query",
        "using",
        "ref",
        "filter",
        "params",
        "threshold",
        "higher_better",
        "limit",
        "offset",
        "with_payload",
        "out_payload",
        "with_vector",
        "out_vector",
        "nearest",
    )


class Collection:
    """A collection: an EdgeShard plus its REST configuration and maintenance state.

    Index builds. The engine builds HNSW indexes only when asked (``optimize()``), and
    qdrant-edge-py holds the GIL for the whole call - tens of seconds for 50k x 256
    vectors - which would freeze the REST app. So a collection large enough to need an
    index (more vector data than ``indexing_threshold`` KB) is optimized *out of
    process*: flush, copy the shard directory, optimize the copy in a niced child
    process while the live shard keeps serving (unindexed data is searched exactly, as a
    Qdrant server does while it indexes), then replay the writes that arrived meanwhile
    onto the copy and swap it in (a fraction of a second). Small collections are
    optimized in-process (cheap: nothing to index, small merges).

    When: once writes have been quiet for ``max(2 s, 3 x the recent gap between write
    requests)`` (capped at 120 s) and no request is in flight - a notebook computing
    embeddings between upserts does not start a build after every batch - or at once
    when a ``query/batch`` request (the scan pattern) finds the collection written since
    the last build. Single queries never trigger a build.

    Status: ``grey`` when an index build is pending, ``yellow`` while one runs, ``green``
    otherwise (``red`` if the engine's optimizer failed).
    """

    def __init__(self, name: str, path: str, cfg: dict, shard: qe.EdgeShard):
        self.name = name
        self.path = path
        self.cfg = cfg
        self.shard = shard
        self.named: bool = cfg["named"]
        self.distances = {n: p["distance"] for n, p in cfg["vectors"].items()}
        self.dims = {n: p["size"] for n, p in cfg["vectors"].items()}
        self._op_id = 0
        # maintenance state
        self.dirty = True  # written (or just loaded) since the last optimization
        self.unflushed = False
        self.writes = 0
        self.last_write = 0.0
        self._write_gaps: _collections.deque = _collections.deque(maxlen=8)
        self.optimizer_error: str | None = None
        self.build: _Build | None = None
        self.build_failed_at = 0.0
        self.last_build_s: float | None = None

    # --- lifecycle ----------------------------------------------------------------------

    @classmethod
    def create(cls, name: str, path: str, cfg: dict) -> "Collection":
        os.makedirs(path, exist_ok=False)
        try:
            shard = qe.EdgeShard.create(os.path.join(path, SHARD_DIR), edge_config(cfg))
            write_json_atomic(os.path.join(path, "collection.json"), {"name": name, "created_at": time.time(), **cfg})
        except BaseException:
            shutil.rmtree(path, ignore_errors=True)
            raise
        return cls(name, path, cfg, shard)

    @classmethod
    def open(cls, path: str) -> "Collection":
        with open(os.path.join(path, "collection.json"), encoding="utf-8") as f:
            cfg = json.load(f)
        name = cfg.pop("name")
        cfg.pop("created_at", None)
        live = os.path.join(path, SHARD_DIR)
        old = os.path.join(path, OLD_SHARD_DIR)
        if not os.path.exists(live) and os.path.exists(old):
            log.warning("collection %r: restoring the shard of an interrupted index swap", name)
            os.replace(old, live)
        for leftover in (old, os.path.join(path, BUILD_DIR)):
            if os.path.exists(leftover):
                shutil.rmtree(leftover, ignore_errors=True)
        shard = qe.EdgeShard.load(live)
        coll = cls(name, path, cfg, shard)
        # after a restart only an index build left undone (e.g. writes replayed from the
        # WAL after a crash) is pending; small collections get a cheap in-process check
        coll.dirty = not coll.large() or coll._index_pending(shard.info())
        return coll

    def close(self) -> None:
        self.abort_build()
        try:
            self.shard.flush()
        finally:
            self.shard.close()

    # --- maintenance --------------------------------------------------------------------

    def _mark_write(self, op: Any = None, size: int = 1024) -> None:
        now = time.monotonic()
        if self.last_write:
            gap = now - self.last_write
            if gap <= _SESSION_GAP_S:
                self._write_gaps.append(gap)
            else:
                self._write_gaps.clear()
        self.last_write = now
        self.writes += 1
        self.dirty = True
        self.unflushed = True
        b = self.build
        if b is not None and b.replay is not None and op is not None:
            b.replay_bytes += size
            if b.replay_bytes > REPLAY_MAX_BYTES:
                b.replay = None  # too much to keep: this build will be discarded
            else:
                b.replay.append(op)

    def quiet_needed(self) -> float:
        gap = max(self._write_gaps, default=0.0)
        return min(IDLE_MAX_S, max(IDLE_MIN_S, IDLE_GAP_FACTOR * gap))

    def _threshold_kb(self) -> float:
        t = self.cfg["optimizer_config"].get("indexing_threshold")
        if t is None:
            t = DEFAULT_OPTIMIZERS["indexing_threshold"]
        return math.inf if t == 0 else float(t)

    def _vector_kb(self, points: int) -> float:
        return points * sum(self.dims.values()) * 4 / 1024

    def large(self, info: Any = None) -> bool:
        """Enough vector data that optimizing could stall requests: builds go out of process."""
        i = info or self.shard.info()
        return self._vector_kb(i.points_count) > min(self._threshold_kb(), IN_PROCESS_OPTIMIZE_MAX_KB)

    def _index_pending(self, info: Any) -> bool:
        n_vec = max(1, len(self.dims))
        unindexed = max(0, info.points_count - info.indexed_vectors_count // n_vec)
        return self._vector_kb(unindexed) > self._threshold_kb()

    def optimize_now(self) -> bool:
        """In-process optimize (blocks the process; for small collections and tests)."""
        t0 = time.monotonic()
        try:
            changed = self.shard.optimize()
            self.optimizer_error = None
        except Exception as e:  # keep serving; report it in optimizer_status
            self.optimizer_error = hide_paths(str(e).splitlines()[0]) if str(e) else type(e).__name__
            log.error("collection %r: optimize failed: %s", self.name, self.optimizer_error)
            changed = False
        self.dirty = False
        if changed:
            log.info("collection %r: optimized in process in %.1f s", self.name, time.monotonic() - t0)
        return changed

    def optimize(self) -> None:
        """Optimize as the policy says: a background build if large, else in-process."""
        if self.build is not None:
            return
        if self.large():
            if time.monotonic() - self.build_failed_at >= BUILD_RETRY_S:
                try:
                    self.start_build()
                except Exception:  # e.g. disk full: keep serving from the live shard
                    log.exception("collection %r: could not start a background index build", self.name)
                    shutil.rmtree(os.path.join(self.path, BUILD_DIR), ignore_errors=True)
                    self.build_failed_at = time.monotonic()
        else:
            self.optimize_now()

    def start_build(self) -> None:
        root = os.path.join(self.path, BUILD_DIR)
        shutil.rmtree(root, ignore_errors=True)
        t0 = time.monotonic()
        self.shard.flush()
        self.unflushed = False
        shutil.copytree(os.path.join(self.path, SHARD_DIR), os.path.join(root, SHARD_DIR))
        cmd = [
            sys.executable or "python3",
            "-m",
            "jupyterlab_near_duplicates.embedded",
            "--optimize-shard",
            os.path.join(root, SHARD_DIR),
            "--parent-pid",
            str(os.getpid()),
        ]
        from .launcher import child_env

        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, close_fds=True, env=child_env())
        self.build = _Build(proc, root, self.writes)
        self.dirty = False
        log.info(
            "collection %r: index build started in the background (pid %d, copy took %.2f s)",
            self.name, proc.pid, time.monotonic() - t0,
        )

    def build_done(self) -> bool:
        return self.build is not None and self.build.proc.poll() is not None

    def finish_build(self) -> bool:
        """Swap in a finished background build (engine thread). True if swapped."""
        b = self.build
        if b is None or b.proc.poll() is None:
            return False
        self.build = None
        rc = b.proc.returncode
        new = os.path.join(b.root, SHARD_DIR)
        if rc != 0 or b.replay is None:
            shutil.rmtree(b.root, ignore_errors=True)
            if rc != 0:
                self.build_failed_at = time.monotonic()
                log.error("collection %r: background index build failed (exit code %s)", self.name, rc)
            else:
                log.info("collection %r: background build discarded (too many writes meanwhile)", self.name)
            self.dirty = True
            return False
        t0 = time.monotonic()
        try:
            self._swap_in(new, b.replay)
        except Exception:
            log.exception("collection %r: could not swap in the rebuilt shard; keeping the old one", self.name)
            self.build_failed_at = time.monotonic()
            self.dirty = True
            return False
        finally:
            shutil.rmtree(b.root, ignore_errors=True)
        self.optimizer_error = None
        self.last_build_s = time.monotonic() - b.started
        self.dirty = bool(b.replay)
        log.info(
            "collection %r: index built in the background in %.1f s, swapped in %.2f s (%d writes replayed)",
            self.name, self.last_build_s, time.monotonic() - t0, len(b.replay),
        )
        return True

    def _swap_in(self, new: str, replay: list) -> None:
        """Make the optimized copy at ``new`` the live shard, losing no acknowledged write.

        The copy gets the writes it missed and is flushed *before* it replaces the live
        shard, so at every instant one complete shard sits at ``shard`` or, between the
        two renames, at ``shard.old`` (restored by ``open()`` after a crash).
        """
        copy = qe.EdgeShard.load(new)
        try:
            for op in replay:
                try:
                    copy.update(op)
                except Exception:  # it failed (or half-applied) on the live shard too
                    pass
            copy.flush()
        finally:
            copy.close()
        live = os.path.join(self.path, SHARD_DIR)
        old = os.path.join(self.path, OLD_SHARD_DIR)
        self.shard.flush()
        self.shard.close()
        try:
            os.replace(live, old)
            os.replace(new, live)
            self.shard = qe.EdgeShard.load(live)
        except BaseException:
            # put the previous live shard back (it is complete) and serve it again
            if os.path.exists(old):
                if os.path.exists(live):
                    os.replace(live, new)
                os.replace(old, live)
            self.shard = qe.EdgeShard.load(live)
            raise
        shutil.rmtree(old, ignore_errors=True)

    def abort_build(self) -> None:
        b, self.build = self.build, None
        if b is None:
            return
        if b.proc.poll() is None:
            b.proc.kill()
            try:
                b.proc.wait(10)
            except subprocess.TimeoutExpired:  # pragma: no cover
                pass
        shutil.rmtree(b.root, ignore_errors=True)
        self.dirty = True

    def flush(self) -> None:
        self.shard.flush()
        self.unflushed = False

    # --- reads --------------------------------------------------------------------------

    def info(self) -> dict:
        i = self.shard.info()
        if self.optimizer_error:
            status, opt_status = "red", {"error": self.optimizer_error}
        elif self.build is not None:
            status, opt_status = "yellow", "ok"  # an index build is running
        else:
            # grey: an index build is pending (next query/batch, or once writes are quiet)
            status = "grey" if self.dirty and self._index_pending(i) else "green"
            opt_status = "ok"
        cfg = self.cfg
        vectors = cfg["vectors"] if cfg["named"] else cfg["vectors"][""]
        params: dict[str, Any] = {
            "vectors": vectors,
            "shard_number": 1,
            "replication_factor": 1,
            "write_consistency_factor": 1,
            "on_disk_payload": cfg["on_disk_payload"],
        }
        schema = {}
        for key, pi in i.payload_schema.items():
            schema[key] = {"data_type": _enum_name(pi.data_type).lower(), "points": pi.points}
        out = {
            "status": status,
            "optimizer_status": opt_status,
            "indexed_vectors_count": i.indexed_vectors_count,
            "points_count": i.points_count,
            "segments_count": i.segments_count,
            "config": {
                "params": params,
                "hnsw_config": cfg["hnsw_config"],
                "optimizer_config": cfg["optimizer_config"],
                "wal_config": cfg.get("wal_config") or DEFAULT_WAL,
                "quantization_config": cfg.get("quantization_config"),
                "strict_mode_config": {"enabled": False},
            },
            "payload_schema": schema,
        }
        if cfg.get("metadata") is not None:
            out["config"]["metadata"] = cfg["metadata"]
        return out

    @staticmethod
    def _record_out(r: Any, out_payload: bool, out_vector: bool) -> dict:
        d: dict[str, Any] = {"id": id_out(r.id)}
        if out_payload:
            p = r.payload
            d["payload"] = p if p is not None else {}
        if out_vector:
            d["vector"] = r.vector
        ov = r.order_value
        if ov is not None:
            d["order_value"] = ov
        return d

    def retrieve(self, body: dict) -> list:
        ids = body.get("ids")
        if isinstance(ids, list):
            limits.check_retrieve_count(len(ids))
        ids = parse_ids(ids)
        wp, out_p = parse_with_payload(body.get("with_payload"), True)
        wv, out_v = parse_with_vector(body.get("with_vector"))
        recs = self._call(self.shard.retrieve, ids, wp, wv)
        return [self._record_out(r, out_p, out_v) for r in recs]

    def get_point(self, point_id: str) -> dict:
        try:
            pid: Any = int(point_id)
        except ValueError:
            pid = point_id
        pid = parse_id(pid)
        recs = self._call(self.shard.retrieve, [pid], True, True)
        if not recs:
            raise ApiError(404, f"Not found: No point with id {id_out(pid)} found")
        return self._record_out(recs[0], True, True)

    def scroll(self, body: dict) -> dict:
        limit = _int_opt(body, "limit", 1)
        if limit is not None:
            limits.check_scroll_limit(limit)
        wp, out_p = parse_with_payload(body.get("with_payload"), True)
        wv, out_v = parse_with_vector(body.get("with_vector"))
        offset = body.get("offset")
        order_by = body.get("order_by")
        ob = None
        if order_by is not None:
            if isinstance(order_by, str):
                order_by = {"key": order_by}
            direction = order_by.get("direction")
            ob = qe.OrderBy(
                key=str(order_by["key"]),
                direction=None if direction is None else (qe.Direction.Desc if str(direction).lower() == "desc" else qe.Direction.Asc),
                start_from=order_by.get("start_from"),
            )
        req = qe.ScrollRequest(
            offset=None if offset is None else parse_id(offset),
            limit=10 if limit is None else limit,
            filter=parse_filter(body.get("filter")),
            with_payload=wp,
            with_vector=wv,
            order_by=ob,
        )
        recs, nxt = self._call(self.shard.scroll, req)
        return {
            "points": [self._record_out(r, out_p, out_v) for r in recs],
            "next_page_offset": None if nxt is None else id_out(nxt),
        }

    def count(self, body: dict) -> dict:
        exact = body.get("exact")
        req = qe.CountRequest(exact=True if exact is None else bool(exact), filter=parse_filter(body.get("filter")))
        return {"count": self._call(self.shard.count, req)}

    # --- queries ------------------------------------------------------------------------

    def _plan(self, body: dict) -> _QueryPlan:
        if not isinstance(body, dict):
            raise format_error("expected a query request object")
        if body.get("prefetch"):
            raise unsupported("prefetch")
        if body.get("lookup_from") is not None:
            raise unsupported("lookup_from")
        p = _QueryPlan()
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
                ob = q["order_by"]
                if isinstance(ob, str):
                    ob = {"key": ob}
                direction = ob.get("direction")
                p.query = qe.OrderBy(
                    key=str(ob["key"]),
                    direction=None if direction is None else (qe.Direction.Desc if str(direction).lower() == "desc" else qe.Direction.Asc),
                    start_from=ob.get("start_from"),
                )
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
        p.threshold = None if thr is None else _f32(thr)
        dist = self.distances.get(p.using or "")
        p.higher_better = HIGHER_IS_BETTER.get(dist, True) if dist else True
        limit = _int_opt(body, "limit", 1)
        offset = _int_opt(body, "offset", 0)
        p.limit = 10 if limit is None else limit
        p.offset = offset or 0
        limits.check_window(p.offset, p.limit)
        p.with_payload, p.out_payload = parse_with_payload(body.get("with_payload"), False)
        p.with_vector, p.out_vector = parse_with_vector(body.get("with_vector"))
        return p

    def _resolve_refs(self, plans: list[_QueryPlan]) -> dict:
        """Stored vectors of the points referenced by id, one retrieve per vector name."""
        by_using: dict[str, list] = {}
        for p in plans:
            if p.ref is not None:
                by_using.setdefault(p.using or "", []).append(p.ref)
        vectors: dict[tuple, Any] = {}
        for using, ids in by_using.items():
            uniq = list(dict.fromkeys(ids))
            if self.named:
                if using not in self.dims:
                    raise wrong_input(f"Not existing vector name error: {using}")
                recs = self._call(self.shard.retrieve, uniq, False, [using])
                for r in recs:
                    v = r.vector
                    if isinstance(v, dict) and using in v:
                        vectors[(using, r.id)] = v[using]
            else:
                if using:
                    raise wrong_input(f"Not existing vector name error: {using}")
                recs = self._call(self.shard.retrieve, uniq, False, True)
                for r in recs:
                    v = r.vector
                    if isinstance(v, dict):
                        v = v.get("")
                    if v is not None:
                        vectors[(using, r.id)] = v
            for pid in uniq:
                if (using, pid) not in vectors:
                    raise ApiError(404, f"Not found: No point with id {id_out(pid)} found")
        return vectors

    def _request(self, p: _QueryPlan, vectors: dict) -> qe.QueryRequest:
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

    @staticmethod
    def _finish(p: _QueryPlan, points: list) -> list:
        ref = p.ref
        if ref is not None:
            points = [sp for sp in points if sp.id != ref][p.offset : p.offset + p.limit]
        thr = p.threshold
        if thr is not None and p.nearest:
            if p.higher_better:
                points = [sp for sp in points if sp.score > thr]
            else:
                points = [sp for sp in points if sp.score < thr]
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

    def query(self, body: dict) -> dict:
        p = self._plan(body)
        vectors = self._resolve_refs([p])
        req = self._request(p, vectors)
        return {"points": self._finish(p, self._call(self.shard.query, req))}

    def query_batch(self, body: dict) -> list:
        """The answers of a query/batch body, as Python objects (in-process callers, bench)."""
        out: list = []
        for answers in self._query_batch_chunks(body):
            out.extend(answers)
        return out

    def query_batch_json(self, body: dict) -> limits.JsonArray:
        """The answers as JSON written chunk by chunk (the REST route): a batch's answer is
        bounded by the response cap, not by what its Python objects would take."""
        out = limits.JsonArray("ask fewer searches per batch or smaller limits, or leave payloads and vectors out")
        for answers in self._query_batch_chunks(body):
            out.extend(answers)
        return out

    def _query_batch_chunks(self, body: dict) -> Iterable[list]:
        searches = body.get("searches")
        if not isinstance(searches, list):
            raise format_error("missing field `searches`")
        if not searches:
            return
        if len(searches) > limits.MAX_SEARCHES_PER_BATCH:
            limits.check_batch(len(searches), 0)
        plans = [self._plan(s) for s in searches]
        limits.check_batch(len(plans), sum(p.offset + p.limit for p in plans))
        if self.dirty and self.build is None:  # the scan pattern (see class docstring)
            self.optimize()
        vectors = self._resolve_refs(plans)
        start = 0
        while start < len(plans):
            # by-id queries come back whole (offset included): one engine call per window
            end, window = start, 0
            while end < len(plans) and (end == start or window + plans[end].offset + plans[end].limit <= limits.QUERY_CHUNK_WINDOW):
                window += plans[end].offset + plans[end].limit
                end += 1
            chunk = plans[start:end]
            results = self._call(self.shard.query_batch, qe.QueryBatchRequest([self._request(p, vectors) for p in chunk]))
            yield [{"points": self._finish(p, r)} for p, r in zip(chunk, results)]
            start = end

    def prepare_query_batch(self, body: dict) -> tuple[list, list]:
        """(plans, engine requests) of a query/batch body; for tests and the benchmark."""
        plans = [self._plan(s) for s in body["searches"]]
        vectors = self._resolve_refs(plans)
        return plans, [self._request(p, vectors) for p in plans]

    # --- writes -------------------------------------------------------------------------

    def _update(self, op: Any, wait: bool, size: int = 1024) -> dict:
        try:
            self._call(self.shard.update, op)
        finally:
            self._mark_write(op, size)  # even a failed update may have applied in part
        self._op_id += 1
        return {"operation_id": self._op_id, "status": "completed" if wait else "acknowledged"}

    def upsert(self, body: dict, wait: bool = True) -> dict:
        points = []
        try:
            if "points" in body:
                if not isinstance(body["points"], list):
                    raise format_error("points must be a list")
                if not all(isinstance(pt, dict) and "id" in pt for pt in body["points"]):
                    raise format_error("each point needs an `id`")
                ids = [parse_id(pt["id"]) for pt in body["points"]]
                _check_finite(ids, [pt.get("vector") for pt in body["points"]])
                for pid, pt in zip(ids, body["points"]):
                    points.append(_point(pid, pt.get("vector"), pt.get("payload")))
            elif "batch" in body:
                b = body["batch"]
                ids = parse_ids(b.get("ids"))
                vecs = b.get("vectors")
                payloads = b.get("payloads") or [None] * len(ids)
                if len(payloads) != len(ids):
                    raise wrong_input("number of payloads does not match the number of ids")
                if isinstance(vecs, dict):
                    cols = {}
                    for name, col in vecs.items():
                        if len(col) != len(ids):
                            raise wrong_input(f"number of vectors `{name}` does not match the number of ids")
                        cols[name] = col
                    for name, c in cols.items():
                        _check_finite(ids, c, name)
                    for i, pid in enumerate(ids):
                        points.append(_point(pid, {n: c[i] for n, c in cols.items()}, payloads[i]))
                elif isinstance(vecs, list):
                    if len(vecs) != len(ids):
                        raise wrong_input("number of vectors does not match the number of ids")
                    _check_finite(ids, vecs)
                    for pid, v, pl in zip(ids, vecs, payloads):
                        points.append(_point(pid, v, pl))
                else:
                    raise format_error("batch.vectors must be a list or an object of named vector lists")
            else:
                raise format_error("missing field `points` or `batch`")
        except (TypeError, ValueError, KeyError, OverflowError) as e:
            raise format_error(hide_paths(str(e).splitlines()[0]) if str(e) else type(e).__name__) from None
        if not points:
            return self._noop(wait)
        kw: dict[str, Any] = {}
        if body.get("update_filter") is not None:
            kw["condition"] = parse_filter(body["update_filter"])
        mode = body.get("update_mode")
        if mode is not None:
            kw["update_mode"] = {
                "upsert": qe.UpdateMode.Upsert,
                "insert_only": qe.UpdateMode.InsertOnly,
                "update_only": qe.UpdateMode.UpdateOnly,
            }.get(str(mode).lower())
            if kw["update_mode"] is None:
                raise format_error(f"unknown update_mode `{mode}`")
        size = len(points) * (sum(self.dims.values()) * 4 + 256)
        return self._update(qe.UpdateOperation.upsert_points(points, **kw), wait, size)

    def _noop(self, wait: bool) -> dict:
        self._op_id += 1
        return {"operation_id": self._op_id, "status": "completed" if wait else "acknowledged"}

    @staticmethod
    def _selector(body: dict, what: str = "points"):
        """PointsSelector: ({"points": [...]} or {"filter": {...}}) -> (ids | None, filter | None)."""
        if body.get("points") is not None:
            return parse_ids(body["points"]), None
        if body.get("filter") is not None:
            return None, parse_filter(body["filter"])
        raise format_error(f"expected `{what}` or `filter`")

    def delete_points(self, body: dict, wait: bool = True) -> dict:
        ids, flt = self._selector(body)
        if ids is not None:
            return self._update(qe.UpdateOperation.delete_points(ids), wait) if ids else self._noop(wait)
        return self._update(qe.UpdateOperation.delete_points_by_filter(flt), wait)

    def set_payload(self, body: dict, wait: bool = True, overwrite: bool = False) -> dict:
        payload = body.get("payload")
        if not isinstance(payload, dict):
            raise format_error("missing field `payload`")
        key = body.get("key")
        if key is not None and not isinstance(key, str):
            raise format_error("key must be a string")
        # set under a key, the payload sits one level deeper per part of the key's path
        _check_payload_depth(payload, "the payload", 0 if not key else key.count(".") + 1)
        ids, flt = self._selector(body)
        U = qe.UpdateOperation
        if ids is not None:
            if not ids:
                return self._noop(wait)
            op = (U.overwrite_payload if overwrite else U.set_payload)(ids, payload, key)
        else:
            op = (U.overwrite_payload_by_filter if overwrite else U.set_payload_by_filter)(flt, payload, key)
        return self._update(op, wait)

    def delete_payload(self, body: dict, wait: bool = True) -> dict:
        keys = body.get("keys")
        if not isinstance(keys, list):
            raise format_error("missing field `keys`")
        ids, flt = self._selector(body)
        U = qe.UpdateOperation
        if ids is not None:
            return self._update(U.delete_payload(ids, keys), wait) if ids else self._noop(wait)
        return self._update(U.delete_payload_by_filter(flt, keys), wait)

    def clear_payload(self, body: dict, wait: bool = True) -> dict:
        ids, flt = self._selector(body)
        U = qe.UpdateOperation
        if ids is not None:
            return self._update(U.clear_payload(ids), wait) if ids else self._noop(wait)
        return self._update(U.clear_payload_by_filter(flt), wait)

    _SCHEMA_TYPES = {
        "keyword": qe.PayloadSchemaType.Keyword,
        "integer": qe.PayloadSchemaType.Integer,
        "float": qe.PayloadSchemaType.Float,
        "geo": qe.PayloadSchemaType.Geo,
        "text": qe.PayloadSchemaType.Text,
        "bool": qe.PayloadSchemaType.Bool,
        "datetime": qe.PayloadSchemaType.Datetime,
        "uuid": qe.PayloadSchemaType.Uuid,
    }

    def create_index(self, body: dict, wait: bool = True) -> dict:
        field = body.get("field_name")
        schema = body.get("field_schema")
        if not isinstance(field, str) or not field:
            raise format_error("missing field `field_name`")
        if isinstance(schema, dict):
            schema = schema.get("type")
        st = self._SCHEMA_TYPES.get(str(schema).lower()) if schema is not None else None
        if st is None:
            raise format_error(f"unknown or missing field_schema `{schema}`")
        return self._update(qe.UpdateOperation.create_field_index(field, st), wait)

    def delete_index(self, field: str, wait: bool = True) -> dict:
        return self._update(qe.UpdateOperation.delete_field_index(field), wait)

    # --- helpers ------------------------------------------------------------------------

    @staticmethod
    def _call(fn: Callable, *args: Any) -> Any:
        try:
            return fn(*args)
        except ApiError:
            raise
        except Exception as e:
            raise engine_error(e) from None


# ---------------------------------------------------------------------------------------
# The store: all collections of a data dir
# ---------------------------------------------------------------------------------------


class Store:
    """All collections under ``<data_dir>/collections``."""

    def __init__(self, data_dir: str):
        self.data_dir = os.path.abspath(data_dir)
        self.root = os.path.join(self.data_dir, "collections")
        os.makedirs(self.root, mode=0o700, exist_ok=True)
        self.collections: dict[str, Collection] = {}
        self._load_all()

    def _load_all(self) -> None:
        for entry in sorted(os.listdir(self.root)):
            path = os.path.join(self.root, entry)
            if entry.startswith(".trash-"):
                shutil.rmtree(path, ignore_errors=True)  # an interrupted delete
                continue
            if entry.startswith(".") or not os.path.isdir(path):
                continue
            if not os.path.exists(os.path.join(path, "collection.json")):
                log.warning("removing %r: an interrupted collection create", entry)
                self._trash(path)
                continue
            try:
                coll = Collection.open(path)
            except Exception as e:
                log.error("cannot load collection %r: %s", entry, e)
                continue
            if coll.name in self.collections:  # two directories claim one name: keep the first
                log.error("collection %r is in %r and %r; serving the first", coll.name, self.collections[coll.name].path, path)
                coll.close()
                continue
            self.collections[coll.name] = coll
            log.info("loaded collection %r", coll.name)

    def _trash(self, path: str) -> None:
        trash = os.path.join(self.root, f".trash-{uuid.uuid4().hex}")
        os.replace(path, trash)
        shutil.rmtree(trash, ignore_errors=True)

    def get(self, name: str) -> Collection:
        coll = self.collections.get(name)
        if coll is None:
            raise collection_not_found(name)
        return coll

    def list_collections(self) -> dict:
        return {"collections": [{"name": n} for n in sorted(self.collections)]}

    def exists(self, name: str) -> dict:
        return {"exists": name in self.collections}

    def create_collection(self, name: str, body: dict) -> bool:
        validate_collection_name(name)
        if name in self.collections:
            raise ApiError(409, f"Wrong input: Collection `{name}` already exists!")
        cfg = normalize_create_body(body if body is not None else {})
        path = self._new_path(name)
        try:
            coll = Collection.create(name, path, cfg)
        except ApiError:
            raise
        except Exception as e:
            log.error("creating collection %r: %s", name, e)
            raise engine_error(e) from None
        self.collections[name] = coll
        log.info("created collection %r", name)
        return True

    def _new_path(self, name: str) -> str:
        """Where a new collection ``name`` goes (see ``names``): never a live collection's."""
        base = os.path.join(self.root, directory_name(name))
        in_use = {c.path for c in self.collections.values()}
        path, n = base, 0
        while path in in_use:  # only a directory of an earlier version could be named so
            n += 1
            path = f"{base}-{n}"
        if os.path.exists(path):  # leftovers of a collection that failed to load
            self._trash(path)
        return path

    def delete_collection(self, name: str) -> bool:
        coll = self.collections.pop(name, None)
        if coll is None:
            return False
        coll.abort_build()
        try:
            coll.shard.close()
        except Exception as e:  # pragma: no cover - best effort
            log.warning("closing %r: %s", name, e)
        self._trash(coll.path)
        log.info("deleted collection %r", name)
        return True

    def maintain(self, idle_s: float) -> bool:
        """One step of background maintenance (engine thread); True if it did something.

        Called when no request is in flight. ``idle_s``: seconds since the last request
        finished (informational: reads do not hold maintenance back, writes do).
        """
        if self.finish_builds():
            return True
        now = time.monotonic()
        for coll in list(self.collections.values()):
            quiet = now - coll.last_write
            if coll.dirty and coll.build is None and quiet >= coll.quiet_needed():
                if coll.large() and now - coll.build_failed_at < BUILD_RETRY_S:
                    continue
                coll.optimize()
                if coll.unflushed:
                    coll.flush()
                return True
            if coll.unflushed and quiet >= FLUSH_QUIET_S:
                coll.flush()
                return True
        return False

    def builds_done(self) -> bool:
        """A background build has finished and waits to be swapped in (any thread)."""
        return any(c.build_done() for c in list(self.collections.values()))

    def finish_builds(self) -> bool:
        done = False
        for coll in list(self.collections.values()):
            if coll.build_done():
                coll.finish_build()
                done = True
        return done

    def pending_maintenance(self) -> bool:
        now = time.monotonic()
        return any(
            c.unflushed or (c.dirty and c.build is None and now - c.build_failed_at >= BUILD_RETRY_S)
            for c in self.collections.values()
        )

    def close(self) -> None:
        for name, coll in list(self.collections.items()):
            try:
                coll.close()
            except Exception as e:  # pragma: no cover - best effort at shutdown
                log.warning("closing %r: %s", name, e)
        self.collections.clear()


__all__: Iterable[str] = ["ApiError", "Collection", "Store", "parse_id", "id_out"]
