"""Writes to a collection: upsert, delete, payload and field index operations."""

from __future__ import annotations

from typing import Any, Callable

import qdrant_edge as qe

from .errors import format_error, hide_paths, wrong_input
from .rest_body import check_finite, check_payload_depth, engine_point, parse_filter, parse_id, parse_ids


class PointWrites:
    """The write side of a ``Collection`` (a mixin over its ``shard``; every write is marked
    for index maintenance)."""

    dims: dict
    shard: qe.EdgeShard
    _call: Callable[..., Any]
    _mark_write: Callable[..., None]
    _op_id: int

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
                check_finite(ids, [pt.get("vector") for pt in body["points"]])
                for pid, pt in zip(ids, body["points"]):
                    points.append(engine_point(pid, pt.get("vector"), pt.get("payload")))
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
                        check_finite(ids, c, name)
                    for i, pid in enumerate(ids):
                        points.append(engine_point(pid, {n: c[i] for n, c in cols.items()}, payloads[i]))
                elif isinstance(vecs, list):
                    if len(vecs) != len(ids):
                        raise wrong_input("number of vectors does not match the number of ids")
                    check_finite(ids, vecs)
                    for pid, v, pl in zip(ids, vecs, payloads):
                        points.append(engine_point(pid, v, pl))
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
        check_payload_depth(payload, "the payload", 0 if not key else key.count(".") + 1)
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
