"""A Qdrant collection's info (``GET /collections/{name}``) -> its description for the panel:
points, dense vectors by name (``""`` for the unnamed one, ``multivector`` marked), sparse
vector names.

The one Python home of that shape; ``src/scan/collection.ts`` describes collections the same
way (and chooses the vector a scan uses from it, in the browser), and
``tests/fixtures/rules.json`` holds the cases both must agree on.
"""

from __future__ import annotations

from typing import Any


def describe_collection(info: dict) -> dict:
    """``{points_count, vectors: {name: {size, distance[, multivector]}}, sparse_vectors}``."""
    params = (info.get("config") or {}).get("params") or {}
    vectors: Any = params.get("vectors") or {}
    if "size" in vectors and "distance" in vectors:  # one unnamed vector
        vectors = {"": vectors}
    return {
        "points_count": info.get("points_count"),
        "vectors": {
            vector_name: {
                "size": v.get("size"),
                "distance": v.get("distance"),
                **({"multivector": True} if v.get("multivector_config") else {}),
            }
            for vector_name, v in vectors.items()
        },
        "sparse_vectors": sorted((params.get("sparse_vectors") or {}).keys()),
    }
