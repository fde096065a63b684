"""Seeds the embedded backend of the UI-test server with collections of planted duplicates.

Runs before the Jupyter server starts (from jupyter_server_test_config.py), through the
official qdrant-client against a real embedded backend on the test's own data dir.
"""

from __future__ import annotations

import os
import struct
import zlib

import numpy as np

# Cluster sizes planted in "planted"; everything else is a lone background point.
CLUSTERS = [7, 5, 4, 3, 3, 2, 2, 2]
BACKGROUND = 240
DIM = 32
LARGE_N = 40_000
LARGE_DIM = 64


def png(rgb: tuple[int, int, int], size: int = 24) -> bytes:
    """A solid-colour PNG with a darker border, written by hand (no imaging library)."""
    r, g, b = rgb
    rows = []
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            edge = x in (0, size - 1) or y in (0, size - 1)
            row += bytes((r // 2, g // 2, b // 2) if edge else (r, g, b))
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def planted(root_dir: str, seed: int = 7):
    """Points with planted near-duplicate clusters; thumbnails are PNG files under root_dir."""
    rng = np.random.default_rng(seed)
    thumbs = os.path.join(root_dir, "thumbs")
    os.makedirs(thumbs, exist_ok=True)
    points = []
    index = 0
    palette = [(220, 60, 60), (60, 160, 60), (60, 90, 220), (230, 160, 30), (150, 60, 200),
               (30, 170, 170), (200, 90, 140), (120, 120, 40)]
    for c, size in enumerate(CLUSTERS):
        centre = rng.normal(size=DIM)
        # The pairs (clusters of 2) are looser: similar at 0.95, apart at 0.99.
        noise = 0.2 if size == 2 else 0.02
        for k in range(size):
            vector = centre + (0 if k == 0 else noise) * rng.normal(size=DIM)
            name = f"cluster{c}_{k}"
            path = f"thumbs/{name}.png"
            with open(os.path.join(root_dir, path), "wb") as f:
                f.write(png(palette[c % len(palette)]))
            points.append((index, vector, {"sample_id": name, "thumbnail": path,
                                           "split": "test" if k == size - 1 else "train"}))
            index += 1
    for k in range(BACKGROUND):
        points.append((index, rng.normal(size=DIM), {"sample_id": f"lone_{k}", "split": "train"}))
        index += 1
    return points


# "chained" (issue 15): on a plane of the space, points at these angles in degrees. Similarity
# 0.95 is 18.2 degrees and 0.80 is 36.9, so at 0.95 the two parts (links of 3 and 5 degrees,
# each part within 15) join through one 16-degree link (a3-b0, 0.961) into one group of 8
# whose ends are 40 degrees apart (0.766, below the 0.80 floor); the tight group stays within 3.
CHAIN_PARTS = {"a": [0, 3, 6, 9], "b": [25, 30, 35, 40]}
CHAIN_TIGHT = [0, 1, 2, 3]
CHAIN_BACKGROUND = 60


def chained(root_dir: str, seed: int = 15):
    """A chained group of two planted parts, a tight group, and lone points (unit vectors)."""
    rng = np.random.default_rng(seed)

    def plane():
        a = rng.normal(size=DIM)
        a /= np.linalg.norm(a)
        u = rng.normal(size=DIM)
        u -= (u @ a) * a
        return a, u / np.linalg.norm(u)

    def at(basis, degrees):
        a, u = basis
        t = np.radians(degrees)
        return np.cos(t) * a + np.sin(t) * u

    thumbs = os.path.join(root_dir, "thumbs")
    os.makedirs(thumbs, exist_ok=True)
    colours = {"a": (220, 60, 60), "b": (60, 90, 220), "tight": (60, 160, 60)}
    points = []
    chain_plane, tight_plane = plane(), plane()
    named = [(f"chain_{part}{k}", part, at(chain_plane, deg)) for part, degs in CHAIN_PARTS.items()
             for k, deg in enumerate(degs)]
    named += [(f"tight_{k}", "tight", at(tight_plane, deg)) for k, deg in enumerate(CHAIN_TIGHT)]
    for name, part, vector in named:
        path = f"thumbs/{name}.png"
        with open(os.path.join(root_dir, path), "wb") as f:
            f.write(png(colours[part]))
        points.append((len(points), vector, {"sample_id": name, "thumbnail": path}))
    for k in range(CHAIN_BACKGROUND):
        points.append((len(points), rng.normal(size=DIM), {"sample_id": f"lone_{k}"}))
    return points


def seed(data_dir: str, root_dir: str) -> None:
    from qdrant_client import QdrantClient, models

    from jupyterlab_near_duplicates.embedded import EmbeddedBackend

    backend = EmbeddedBackend(data_dir)
    url, key = backend.ensure_running()
    try:
        client = QdrantClient(url=url, api_key=key, timeout=60)
        for name in ("planted", "hostile", "large", "chained", "reviewed"):
            if client.collection_exists(name):
                client.delete_collection(name)
        client.create_collection(
            "planted", vectors_config=models.VectorParams(size=DIM, distance=models.Distance.COSINE)
        )
        client.upsert(
            "planted",
            [models.PointStruct(id=i, vector=v.tolist(), payload=p) for i, v, p in planted(root_dir)],
            wait=True,
        )
        client.create_collection(
            "chained", vectors_config=models.VectorParams(size=DIM, distance=models.Distance.COSINE)
        )
        client.upsert(
            "chained",
            [models.PointStruct(id=i, vector=v.tolist(), payload=p) for i, v, p in chained(root_dir)],
            wait=True,
        )
        # "reviewed" (issue 14): what the tag and export specs write into and read back, apart
        # from "planted", whose pictures must not show their tags. Its first 68 points are
        # planted's first 68 (clusters of 7, 5, 4, 3, 3, 2, 2, 2 and 40 lone points).
        client.create_collection(
            "reviewed", vectors_config=models.VectorParams(size=DIM, distance=models.Distance.COSINE)
        )
        client.upsert(
            "reviewed",
            [models.PointStruct(id=i, vector=v.tolist(), payload=p) for i, v, p in planted(root_dir)[:68]],
            wait=True,
        )
        # Payload strings that must show as text, never as markup.
        client.create_collection(
            "hostile", vectors_config=models.VectorParams(size=2, distance=models.Distance.COSINE)
        )
        hostile = '<img src=x onerror="window.__ndXss=1">'
        client.upsert(
            "hostile",
            [
                models.PointStruct(id=1, vector=[1.0, 0.0], payload={"sample_id": hostile, "thumbnail": hostile}),
                models.PointStruct(id=2, vector=[1.0, 0.001], payload={"sample_id": "<b>bold</b>", "thumbnail": "javascript:alert(1)"}),
            ],
            wait=True,
        )
        # Large enough that a scan takes a few seconds: for progress, cancel and resume.
        client.create_collection(
            "large", vectors_config=models.VectorParams(size=LARGE_DIM, distance=models.Distance.COSINE)
        )
        rng = np.random.default_rng(11)
        for start in range(0, LARGE_N, 5000):
            vectors = rng.normal(size=(min(5000, LARGE_N - start), LARGE_DIM)).astype(np.float32)
            # One exact copy per thousand points: 40 groups of 2, for the resumed scan to find.
            vectors[1::1000] = vectors[0::1000]
            client.upsert(
                "large",
                models.Batch(
                    ids=list(range(start, start + len(vectors))),
                    vectors=vectors.tolist(),
                    payloads=[{"sample_id": f"row_{start + i}"} for i in range(len(vectors))],
                ),
                wait=True,
            )
        client.close()
    finally:
        backend.stop()
