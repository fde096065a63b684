"""Reads of a collection: its info, points by id, scroll, count, and queries."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Callable

import qdrant_edge as qe

from . import limits, query_plan
from .collection_config import DEFAULT_WAL
from .errors import format_error, point_not_found
from .rest_body import (
    id_out,
    int_opt,
    parse_filter,
    parse_id,
    parse_ids,
    parse_order_by,
    parse_with_payload,
    parse_with_vector,
)


def _enum_name(value: Any) -> str:
    return str(value).rsplit(".", 1)[-1]


class PointReads:
    """The read side of a ``Collection`` (a mixin over its ``shard`` and configuration)."""

    cfg: dict
    dims: dict
    distances: dict
    named: bool
    shard: qe.EdgeShard
    dirty: bool
    build: Any
    _call: Callable[..., Any]
    optimize: Callable[[], None]
    index_status: Callable[[Any], tuple]

    def info(self) -> dict:
        i = self.shard.info()
        status, opt_status = self.index_status(i)
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
            raise point_not_found(id_out(pid))
        return self._record_out(recs[0], True, True)

    def scroll(self, body: dict) -> dict:
        limit = int_opt(body, "limit", 1)
        if limit is not None:
            limits.check_scroll_limit(limit)
        wp, out_p = parse_with_payload(body.get("with_payload"), True)
        wv, out_v = parse_with_vector(body.get("with_vector"))
        offset = body.get("offset")
        order_by = body.get("order_by")
        req = qe.ScrollRequest(
            offset=None if offset is None else parse_id(offset),
            limit=10 if limit is None else limit,
            filter=parse_filter(body.get("filter")),
            with_payload=wp,
            with_vector=wv,
            order_by=None if order_by is None else parse_order_by(order_by),
        )
        recs, nxt = self._call(self.shard.scroll, req)
        return {
            "points": [self._record_out(r, out_p, out_v) for r in recs],
            "next_page_offset": None if nxt is None else id_out(nxt),
        }

    def scroll_json(self, body: dict) -> limits.JsonText:
        """``scroll`` as the REST route writes it: vectors as each float32's shortest text
        (``limits.floats_json``), the rest by ``limits.compact_json``."""
        page = self.scroll(body)
        points = b",".join(_point_json(p) for p in page["points"])
        rest = limits.compact_json({"next_page_offset": page["next_page_offset"]})
        return limits.JsonText(b'{"points":[' + points + b"]," + rest[1:])

    def count(self, body: dict) -> dict:
        exact = body.get("exact")
        req = qe.CountRequest(exact=True if exact is None else bool(exact), filter=parse_filter(body.get("filter")))
        return {"count": self._call(self.shard.count, req)}

    # --- queries ------------------------------------------------------------------------

    def ref_vectors(self, plans: list) -> dict:
        """The stored vectors of the points that ``plans`` query by id (see ``query_plan``)."""
        def retrieve(ids: list, with_vector: Any) -> list:
            return self._call(self.shard.retrieve, ids, False, with_vector)

        return query_plan.ref_vectors(plans, retrieve, self.dims, self.named)

    def query(self, body: dict) -> dict:
        p = query_plan.plan(body, self.distances)
        req = query_plan.engine_request(p, self.ref_vectors([p]))
        return {"points": query_plan.answer(p, self._call(self.shard.query, req))}

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
        plans = [query_plan.plan(s, self.distances) for s in searches]
        limits.check_batch(len(plans), sum(p.offset + p.limit for p in plans))
        if self.dirty and self.build is None:  # the scan pattern (see IndexMaintenance)
            self.optimize()
        vectors = self.ref_vectors(plans)
        for chunk in query_plan.windows(plans):
            batch = qe.QueryBatchRequest([query_plan.engine_request(p, vectors) for p in chunk])
            results = self._call(self.shard.query_batch, batch)
            yield [{"points": query_plan.answer(p, r)} for p, r in zip(chunk, results)]


def _point_json(point: dict) -> bytes:
    """One point of a scroll page as JSON, its vector (or each named dense vector) written by
    ``limits.floats_json``; anything else (sparse, multi, a value that is not a finite float)
    as ``limits.compact_json`` writes it."""
    vector = point.get("vector")
    text: bytes | None = None
    if isinstance(vector, list):
        text = limits.floats_json(vector)
    elif isinstance(vector, dict) and vector and all(isinstance(v, list) for v in vector.values()):
        named = [limits.floats_json(v) for v in vector.values()]
        if all(t is not None for t in named):
            text = b"{" + b",".join(limits.compact_json(k) + b":" + t for k, t in zip(vector, named)) + b"}"
    if text is None:
        return limits.compact_json(point)
    rest = limits.compact_json({k: v for k, v in point.items() if k != "vector"})
    return rest[:-1] + (b"," if len(rest) > 2 else b"") + b'"vector":' + text + b"}"

