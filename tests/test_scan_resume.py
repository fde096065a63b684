"""Resuming an interrupted scan (issue 16) against a live embedded backend: the worker's scan
code in Node (bench/scan_node.ts) keeps checkpoints in a file as the browser's worker keeps
them in IndexedDB; the process is ended abruptly after a seeded random number of query
batches (a closed tab, a killed worker: nothing flushed), resumed, ended again, and so on.
The resumed result must equal an uninterrupted scan's: the same pairs with the same scores,
the same groups. The same on a real Qdrant server (skipped, saying why, where its binary is
absent): no feature of one backend only.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))

import scan_harness as sh  # noqa: E402
import test_scan_integration as planted_data  # noqa: E402

# Small batches, so a scan is many batches and interruptions land in every phase.
SCAN = {"limit": 8, "batchSize": 16, "inFlight": 2, "auditSeed": 1234, "checkpointEveryMs": 0}
HNSW = {"optimizers_config": {"indexing_threshold": 1}, "hnsw_config": {"full_scan_threshold": 1}}


@pytest.fixture(scope="module", params=["embedded", "server"])
def collection(request):
    """The integration test's planted Cosine data (clusters up to 60, exact copies, a chain),
    HNSW-indexed, on the embedded backend or a real Qdrant server."""
    kind = request.param
    target = request.getfixturevalue("backend" if kind == "embedded" else "real_qdrant")
    X, threshold = planted_data.planted("Cosine")
    ids = planted_data.point_ids(len(X), "int")
    name = "resume-planted"
    rest = sh.Rest(target.url, target.api_key)
    try:
        # A server accepts full_scan_threshold from 10 up: the index is still built and used.
        config = HNSW if kind == "embedded" else {**HNSW, "hnsw_config": {"full_scan_threshold": 10}}
        rest.create_collection(name, X.shape[1], "Cosine", **config)
        rest.upsert(name, ids, X, planted_data.payloads(ids), batch=500)
        if kind == "embedded":
            rest.build_index(name, ids[0], timeout=120, settle_s=3)
        else:
            sh.wait_green(rest, name)
    finally:
        rest.close()
    yield {"name": name, "X": X, "ids": ids, "threshold": threshold, "target": target, "kind": kind}
    if kind == "server":
        rest = sh.Rest(target.url, target.api_key)
        try:
            rest.call("DELETE", f"/collections/{name}")
        finally:
            rest.close()


def scan(bundle, _unused, collection, checkpoint, **options):
    target = collection["target"]
    return sh.run_scan(
        bundle,
        "ours",
        target.url,
        target.api_key,
        collection["name"],
        collection["threshold"],
        timeout=120,
        checkpointPath=str(checkpoint),
        **SCAN,
        **options,
    )


def pairs_of(out) -> dict:
    p = out["pairs"]
    return {frozenset((a, b)): s for a, b, s in zip(p["a"], p["b"], p["score"])}


def groups_of(out) -> set:
    return {frozenset(g) for g in out["groups"]}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_scan_interrupted_at_random_points_resumes_to_the_uninterrupted_result(
    seed, bundle, collection, tmp_path
):
    whole = scan(bundle, None, collection, tmp_path / "whole.ckpt")
    total = whole["batches"]
    assert total > 40, f"too few batches ({total}) for interruptions to mean much"

    # Up to three interruptions, each at a seeded random number of batches into its run (a
    # resumed run asks the audit's sample again, then only what is left). Stopped before the
    # main pass (listing, audit) a scan has nothing to keep yet, and the next run starts
    # afresh, as Detect would.
    rng = np.random.default_rng(seed)
    checkpoint = tmp_path / "scan.ckpt"
    interruptions = resumed = 0
    have = False
    final = None
    stops = []
    for _ in range(3):
        stop = int(rng.integers(5, total))
        stops.append(stop)
        out = scan(bundle, None, collection, checkpoint, resume=have, stopAfterBatches=stop)
        resumed += have
        if not out.get("interrupted"):
            final = out  # this run had fewer batches left than its stop
            break
        interruptions += 1
        have = os.path.exists(checkpoint)
    if final is None:
        final = scan(bundle, None, collection, checkpoint, resume=have)
        resumed += have
    assert interruptions >= 2 and resumed >= 2, (stops, interruptions, resumed)

    # The last run asked only about what was left: fewer batches than the whole scan.
    assert final["batches"] < total
    assert final["phases"][-1] == "complete"
    assert pairs_of(final) == pairs_of(whole)
    assert groups_of(final) == groups_of(whole)
    assert final["audit"]["seed"] == whole["audit"]["seed"] == SCAN["auditSeed"]
    assert final["audit"]["found"] == whole["audit"]["found"]
    # Finished, it is kept for Scan changes, not offered for Resume.
    with pytest.raises(sh.ScanFailed) as again:
        scan(bundle, None, collection, checkpoint, resume=True)
    assert again.value.error["message"] == "The last scan of resume-planted finished: there is nothing to resume."
    # and both are the exact answer
    index_of = {p: k for k, p in enumerate(collection["ids"])}
    truth = sh.exact_pairs(planted_data._unit(collection["X"]), collection["threshold"], "Cosine")
    c = sh.compare(final, truth, index_of)
    assert not c.missed and not c.extra
    print(f"{collection['kind']}, seed {seed}: stops {stops} of {total} batches; resumed run sent {final['batches']} batches")


def interrupted(bundle, collection, checkpoint, stop=30):
    out = scan(bundle, None, collection, checkpoint, stopAfterBatches=stop)
    assert out.get("interrupted") and os.path.exists(checkpoint)


def test_a_checkpoint_at_another_threshold_is_not_resumed_silently(bundle, collection, tmp_path):
    checkpoint = tmp_path / "scan.ckpt"
    interrupted(bundle, collection, checkpoint)
    with pytest.raises(sh.ScanFailed) as failed:
        sh.run_scan(
            bundle,
            "ours",
            collection["target"].url,
            collection["target"].api_key,
            collection["name"],
            0.95,
            timeout=120,
            checkpointPath=str(checkpoint),
            resume=True,
            **SCAN,
        )
    error = failed.value.error
    assert error["kind"] == "stale-checkpoint"
    assert "cannot be resumed: it kept pairs with similarity above 0.9, this scan asks for with similarity above 0.95" in error["message"]
    assert not os.path.exists(checkpoint), "a checkpoint that cannot be resumed is discarded"


def test_a_collection_that_changed_since_is_not_resumed(bundle, collection, tmp_path):
    checkpoint = tmp_path / "scan.ckpt"
    interrupted(bundle, collection, checkpoint)
    rest = sh.Rest(collection["target"].url, collection["target"].api_key)
    extra_id = 99_999_999
    try:
        rest.upsert(collection["name"], [extra_id], collection["X"][:1], [{"sample_id": "late"}])
        with pytest.raises(sh.ScanFailed) as failed:
            scan(bundle, None, collection, checkpoint, resume=True)
    finally:
        rest.call("POST", f"/collections/{collection['name']}/points/delete?wait=true", {"points": [extra_id]})
        rest.close()
    n = len(collection["ids"])
    assert failed.value.error["kind"] == "stale-checkpoint"
    assert f"the collection changed since: {n:,} points then, {n + 1:,} now" in failed.value.error["message"]


def test_resume_with_nothing_kept_says_so(bundle, collection, tmp_path):
    with pytest.raises(sh.ScanFailed) as failed:
        scan(bundle, None, collection, tmp_path / "none.ckpt", resume=True)
    assert failed.value.error["kind"] == "stale-checkpoint"
    assert "There is no interrupted scan of resume-planted to resume" in failed.value.error["message"]
