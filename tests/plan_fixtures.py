"""A small collection with known near-duplicate groups in the real embedded backend, and
the rows the panel's "Send all groups" would give the kernel for them.

A plugin (conftest.py): a test names ``sent`` as an argument; constants are imported.
Group 0 is a chain 10 - 11 - 12 whose middle (11) is the most central member; group 1 a pair
across the split; group 2 four members with tied widths. Background points have no duplicate.
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from jupyterlab_near_duplicates import messages

# `nd.selection` is the clicked group, not the module: import the module by its full name.
selection = importlib.import_module("jupyterlab_near_duplicates.selection")

COLLECTION = "plan-groups"
THRESHOLD = 0.9
DIM = 8

# point id -> (split, width, taken); width is the rule field, taken an ISO date string
MEMBERS = {
    10: ("train", 128, "2024-01-03"),
    11: ("train", 64, "2024-01-01"),
    12: ("test", 32, "2024-01-02"),
    20: ("test", 50, "2024-02-01"),
    21: ("train", 200, "2024-02-02"),
    30: ("train", 10, "2024-03-01"),
    31: ("test", 10, "2024-03-02"),
    32: ("val", 5, "2024-03-03"),
    33: ("train", 10, "2024-03-04"),
}
GROUPS = [[10, 11, 12], [20, 21], [30, 31, 32, 33]]
BACKGROUND = list(range(100, 140))  # 40 points: 35 train, 5 test


def split_of(pid: int) -> str:
    if pid in MEMBERS:
        return MEMBERS[pid][0]
    return "test" if pid % 8 == 0 else "train"


def vectors() -> dict[int, np.ndarray]:
    rng = np.random.default_rng(5)
    out: dict[int, np.ndarray] = {}
    e = np.eye(DIM)
    theta = np.arccos(0.98)  # 10-11 and 11-12 score 0.98; 10-12 scores cos(2 theta) = 0.92
    for k, pid in enumerate(GROUPS[0]):
        out[pid] = np.cos(k * theta) * e[0] + np.sin(k * theta) * e[1]
    out[20] = e[2]
    out[21] = 0.97 * e[2] + np.sqrt(1 - 0.97**2) * e[3]
    out[30] = out[31] = out[33] = e[4]
    out[32] = 0.95 * e[4] + np.sqrt(1 - 0.95**2) * e[5]
    for pid in BACKGROUND:  # far from every group and from each other (in the 3 spare axes)
        v = rng.standard_normal(DIM) * np.array([0.05] * 6 + [1, 1])
        out[pid] = v / np.linalg.norm(v)
    return out


def payload(pid: int) -> dict:
    p = {"sample_id": f"s{pid}", "split": split_of(pid)}
    if pid in MEMBERS:
        _, width, taken = MEMBERS[pid]
        p.update(width=width, taken=taken, meta={"rank": -pid})
        if pid != 21:
            p["height"] = width // 2  # missing on one member
        p["res"] = "1024px" if pid == 32 else width  # mixed types
    return p


def upload(client, name: str = COLLECTION) -> dict[int, np.ndarray]:
    from qdrant_client import models

    vecs = vectors()
    if client.collection_exists(name):
        client.delete_collection(name)
    client.create_collection(name, vectors_config=models.VectorParams(size=DIM, distance=models.Distance.COSINE))
    client.upsert(
        name,
        points=[models.PointStruct(id=pid, vector=v.tolist(), payload=payload(pid)) for pid, v in vecs.items()],
        wait=True,
    )
    return vecs


def sent_rows(vecs: dict[int, np.ndarray], name: str = COLLECTION, scan_id: str = "scan-1") -> list[dict]:
    """The groups as a "groups" message of the panel carries them, read by the kernel's reader."""
    groups = []
    for k, members in enumerate(GROUPS):
        X = np.array([vecs[p] for p in members])
        s = X @ X.T
        np.fill_diagonal(s, -np.inf)
        groups.append(
            {
                "sample_ids": [f"s{p}" for p in members],
                "point_ids": members,
                "scores": [float(x) for x in s.max(axis=1)],
                "representative": f"s{members[0]}",
                "size": len(members),
                "group_index": k,
                "threshold": THRESHOLD,
                "distance": "Cosine",
                "collection": name,
                "scan_id": scan_id,
            }
        )
    message = {"type": "groups", "seq": 1, "scan_id": scan_id, "collection": name, "threshold": THRESHOLD,
               "distance": "Cosine", "groups": groups, "recall": None}
    return messages.read_groups(message)


@pytest.fixture
def sent(client):
    """The groups sent to this kernel, as after a click on "Send all groups"; forgotten after."""
    vecs = upload(client)
    selection.apply_groups(sent_rows(vecs))
    yield vecs
    selection._reset()
