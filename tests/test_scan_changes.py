"""Scan changes (issue 16) against a live embedded backend: a scanned collection gets planted
copies added (of its clusters, of lone points, and new clusters among themselves) and some
points deleted; the scan of changes (bench/scan_node.ts with ``changes``, the worker's code)
must equal a full rescan, pair for pair and group for group, and the exact answer, with at
least 10 times fewer searches (audit, pages and checks all counted). The same on a real
Qdrant server (skipped, saying why, where its binary is absent): no feature of one backend.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))

import scan_harness as sh  # noqa: E402
import test_scan_integration as planted_data  # noqa: E402

SCAN = {"limit": 8, "batchSize": 64, "inFlight": 2, **planted_data.FIELDS}
BACKGROUND = 12_000


def _unit(X):
    return planted_data._unit(X)


@pytest.fixture(scope="module", params=["embedded", "server"])
def backend_kind(request):
    return request.param


@pytest.fixture(scope="module")
def target(backend_kind, request):
    """The embedded backend, or a real Qdrant server (skipped where its binary is absent)."""
    return request.getfixturevalue("backend" if backend_kind == "embedded" else "real_qdrant")


@pytest.fixture(scope="module")
def scanned(target, backend_kind, bundle, tmp_path_factory):
    """The planted data plus 12,000 lone points, scanned once; the finished scan is kept."""
    X, threshold = planted_data.planted("Cosine")
    rng = np.random.default_rng(5)
    X = np.concatenate([X, _unit(rng.standard_normal((BACKGROUND, X.shape[1])))])
    ids = [1000 + 7 * i for i in range(len(X))]
    name = "changes-planted"
    rest = sh.Rest(target.url, target.api_key)
    try:
        rest.create_collection(name, X.shape[1], "Cosine")
        rest.upsert(name, ids, X, planted_data.payloads(ids), batch=2000)
        if backend_kind == "embedded":
            rest.build_index(name, ids[0], timeout=300, settle_s=3)
        else:
            sh.wait_green(rest, name)
    finally:
        rest.close()
    base = tmp_path_factory.mktemp("changes") / "base.ckpt"
    out = run(bundle, target, name, threshold, base)
    assert os.path.exists(base), "a finished scan is kept for Scan changes"
    yield {"name": name, "X": X, "ids": ids, "threshold": threshold, "base": base, "first": out}
    if backend_kind == "server":
        rest = sh.Rest(target.url, target.api_key)
        try:
            rest.call("DELETE", f"/collections/{name}")
        finally:
            rest.close()


def run(bundle, backend, name, threshold, checkpoint, **options):
    return sh.run_scan(
        bundle,
        "ours",
        backend.url,
        backend.api_key,
        name,
        threshold,
        timeout=600,
        checkpointPath=str(checkpoint),
        **SCAN,
        **options,
    )


def pairs_of(out) -> dict:
    p = out["pairs"]
    return {frozenset((a, b)): s for a, b, s in zip(p["a"], p["b"], p["score"])}


def test_scan_changes_equals_a_full_rescan_with_ten_times_fewer_searches(target, backend_kind, bundle, scanned, tmp_path):
    X, ids, threshold = scanned["X"], list(scanned["ids"]), scanned["threshold"]
    rng = np.random.default_rng(8)
    first = scanned["first"]
    groups_before = [g for g in first["groups"]]
    d = X.shape[1]

    # Added: near copies of members of planted groups (they join them), near copies of lone
    # points (new pairs with an old point, found only from the new point's own query), exact
    # copies, and a new cluster among new points only.
    in_groups = [p for g in groups_before for p in g]
    lone = sorted(set(ids) - set(in_groups))
    index_of = {p: k for k, p in enumerate(ids)}
    sources = [index_of[p] for p in rng.choice(in_groups, 20, replace=False)]
    sources += [index_of[p] for p in rng.choice(lone, 40, replace=False)]
    new = [_unit(X[s] + 0.12 * rng.standard_normal(d) / np.sqrt(d))[None] if k % 4 else X[s][None] for k, s in enumerate(sources)]
    centre = _unit(rng.standard_normal((1, d)))
    new.append(_unit(centre + 0.12 * rng.standard_normal((6, d)) / np.sqrt(d)))
    added = np.concatenate(new)
    added_ids = [10_000_000 + k for k in range(len(added))]
    # Deleted: members of planted groups (one group loses its link) and lone points.
    deleted = list(rng.choice(in_groups, 12, replace=False)) + list(rng.choice(lone, 18, replace=False))

    changed_at_ms = time.time() * 1000
    rest = sh.Rest(target.url, target.api_key)
    try:
        rest.upsert(scanned["name"], added_ids, added, planted_data.payloads(added_ids), batch=500)
        rest.call("POST", f"/collections/{scanned['name']}/points/delete?wait=true", {"points": [int(p) for p in deleted]})
    finally:
        rest.close()

    changes = run(bundle, target, scanned["name"], threshold, scanned["base"], changes=True)
    full = run(bundle, target, scanned["name"], threshold, tmp_path / "full.ckpt")

    stats = dict(changes["stats"]["changes"])
    # When the scan it took up was kept (the panel says "changes since the scan of <then>").
    since = stats.pop("since")
    assert changed_at_ms - 3_600_000 < since <= changed_at_ms
    assert stats == {"added": len(added_ids), "deleted": len(deleted)}
    inc, whole = pairs_of(changes), pairs_of(full)
    assert inc.keys() == whole.keys(), (
        f"{len(whole.keys() - inc.keys())} pairs of the full rescan missing, {len(inc.keys() - whole.keys())} extra"
    )
    assert all(abs(inc[k] - whole[k]) < 1e-6 for k in inc)
    assert {frozenset(g) for g in changes["groups"]} == {frozenset(g) for g in full["groups"]}
    assert sorted(changes["ids"], key=str) == sorted(full["ids"], key=str)

    # and both are the exact answer on the collection as it is now
    kept = [k for k, p in enumerate(ids) if p not in set(deleted)]
    now_ids = [ids[k] for k in kept] + added_ids
    now_X = np.concatenate([X[kept], added])
    truth = sh.exact_pairs(_unit(now_X), threshold, "Cosine")
    c = sh.compare(changes, truth, {p: k for k, p in enumerate(now_ids)})
    assert not c.missed and not c.extra, (len(c.missed), len(c.extra))
    # The new points' pairs with old points are there: every added near copy found its source.
    found_sources = sum(
        1 for k, s in enumerate(sources) if frozenset((added_ids[k], ids[s])) in inc or ids[s] in deleted
    )
    assert found_sources == len(sources)

    ratio = full["searches"] / changes["searches"]
    print(
        f"\n{backend_kind}: Scan changes: {changes['searches']:,} searches ({changes['stats']['queries']:,} neighbour queries) "
        f"against {full['searches']:,} ({full['stats']['queries']:,}) for a full rescan of {len(now_ids):,} points: "
        f"{ratio:.1f}x fewer; +{len(added_ids)} / -{len(deleted)} points"
    )
    assert ratio >= 10, ratio


def test_scan_changes_without_a_finished_scan_says_so(target, bundle, scanned, tmp_path):
    with pytest.raises(sh.ScanFailed) as failed:
        run(bundle, target, scanned["name"], scanned["threshold"], tmp_path / "none.ckpt", changes=True)
    assert failed.value.error["kind"] == "stale-checkpoint"
    assert "There is no finished scan of changes-planted to compare with" in failed.value.error["message"]
