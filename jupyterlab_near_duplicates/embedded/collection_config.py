"""A collection's configuration: the body of ``PUT /collections/{name}`` -> the configuration
we persist and report (Qdrant's REST shapes) -> the engine's ``EdgeConfig``."""

from __future__ import annotations

import json
from typing import Any

import qdrant_edge as qe

from .errors import format_error, unsupported, validation_error, wrong_input
from .names import vector_name_problem

DISTANCES = {
    "cosine": ("Cosine", qe.Distance.Cosine),
    "euclid": ("Euclid", qe.Distance.Euclid),
    "dot": ("Dot", qe.Distance.Dot),
    "manhattan": ("Manhattan", qe.Distance.Manhattan),
}

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

