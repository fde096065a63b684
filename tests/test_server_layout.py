"""Collections with a Qdrant server's layout under the embedded backend
(bench/server_layout.py), served by a live embedded backend and scanned by the worker's
scan code in Node (bench/scan_harness.py), against exact truth.

Two ways to the layout. ``build()``: Qdrant Edge (the engine the project ships) loads
points in 5,000-point batches with the optimizer running between them, leaving an indexed
(HNSW, default parameters) segment and a plain one with the last batch, as a server does.
``from_server()``: a real Qdrant server loads them that way and its segments become the
embedded collection, so the embedded backend serves the server's own graph. Only the
second reproduces issue 12's misses: Edge builds its graph one point at a time and reaches
nearly every point, the server's 2-thread build leaves ~3% unreachable (measured in
bench/server_layout.py's docstring). Tests of the second skip where the server binary is
absent.

On the server's graph the by-id pass misses pairs with an unreachable end (issue 12) and
the default scan, cured, finds them all. Needs `node` and the npm dependencies, as tests/test_scan_integration.py.
"""

from __future__ import annotations

import io
import os
import sys
from contextlib import redirect_stdout

import pytest
from embedded_fixtures import authed

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))

import qdrant_server  # noqa: E402
import scan_harness as sh  # noqa: E402
import server_layout as sl  # noqa: E402
from run import FIELDS, make_dataset  # noqa: E402

from jupyterlab_near_duplicates.embedded import EmbeddedBackend  # noqa: E402

N = int(os.environ.get("ND_LAYOUT_TEST_N", "20000"))
N_EDGE = 12000  # the smallest size with an indexed segment at the default threshold
DIM = 256
THRESHOLD = 0.95
COLLECTION = "server_like"
# As tests/test_scan_integration.py: fresh uploads have shown 1 to 3 stray misses.
MAX_MISSED_SHARE = 1e-4


@pytest.fixture(scope="module")
def data():
    X, payloads, _ = make_dataset(N, DIM)
    return X, payloads


@pytest.fixture(scope="module")
def truth(data):
    return sh.exact_pairs(data[0], THRESHOLD, "Cosine")


@pytest.fixture(scope="module")
def edge_built(tmp_path_factory, data):
    """(layout as built by Qdrant Edge, live backend serving it)."""
    X, payloads = data
    d = tmp_path_factory.mktemp("nd-edge-layout")
    layout = sl.build(str(d / "data"), COLLECTION, X[:N_EDGE], payloads[:N_EDGE])
    backend = EmbeddedBackend(str(d / "data"), str(d / "runtime" / "backend.json"))
    backend.ensure_running()
    yield layout, backend
    backend.stop()


@pytest.fixture(scope="module")
def server_built(tmp_path_factory, data):
    """(layout a real server built, live embedded backend serving it)."""
    reason = qdrant_server.unavailable_reason()
    if reason:
        pytest.skip(f"needs a real Qdrant server: {reason}")
    X, payloads = data
    d = tmp_path_factory.mktemp("nd-server-layout")
    layout = sl.from_server(str(d / "data"), COLLECTION, X, payloads)
    backend = EmbeddedBackend(str(d / "data"), str(d / "runtime" / "backend.json"))
    backend.ensure_running()
    yield layout, backend
    backend.stop()


def _served(backend) -> dict:
    status, body = authed(backend, "GET", f"/collections/{COLLECTION}")
    assert status == 200, body
    return body["result"]


def test_edge_build_has_the_servers_layout(edge_built):
    layout, backend = edge_built
    assert layout.points == N_EDGE
    kinds = {s.kind for s in layout.segments if s.points}
    assert kinds == {"hnsw", "plain"}, layout.describe()
    # as a server leaves it: every batch indexed but the last one (12,000 = 5,000 + 5,000 + 2,000)
    assert (layout.indexed, layout.unindexed) == (10000, 2000), layout.describe()
    assert sum(s.points for s in layout.segments) == N_EDGE
    info = _served(backend)
    assert info["segments_count"] == len(layout.segments) >= 2
    assert (info["points_count"], info["indexed_vectors_count"]) == (N_EDGE, 10000)
    assert info["status"] == "green"


def test_backend_serves_the_edge_layout_without_rebuilding_it(edge_built, data):
    """A scan's first query/batch starts an index build on a collection written since the
    last one; a collection opened with the server's layout must be served as it is."""
    layout, backend = edge_built
    status, body = authed(
        backend, "POST", f"/collections/{COLLECTION}/points/query/batch",
        {"searches": [{"query": 0, "limit": 3}]},
    )
    assert status == 200, body
    info = _served(backend)
    assert (info["status"], info["indexed_vectors_count"], info["segments_count"]) == (
        "green", layout.indexed, len(layout.segments))


def test_server_layout_is_served_by_the_embedded_backend(server_built):
    layout, backend = server_built
    assert layout.points == N
    assert "hnsw" in {s.kind for s in layout.segments if s.points}, layout.describe()
    info = _served(backend)
    assert (info["points_count"], info["indexed_vectors_count"]) == (N, layout.indexed)
    assert info["segments_count"] == len(layout.segments)


def test_by_id_pass_misses_pairs_with_an_unreachable_end_on_server_graph(server_built, data, truth, bundle):
    """Issue 12 reproduced under the embedded backend: the scan as it was (by id, no cure)
    misses pairs here, nearly all of them with an end the index cannot reach (its own
    vector does not bring it back), not pairs at the threshold's edge."""
    _, backend = server_built
    X, _ = data
    out = sh.run_scan(
        bundle, "ours", backend.url, backend.api_key, COLLECTION, THRESHOLD, cure="never", **FIELDS
    )
    cmp = sh.compare(out, truth)
    assert cmp.precision == 1.0
    unreachable = set(sl.unreachable(backend.url, backend.api_key, COLLECTION, X))
    with_unreachable_end = [p for p in cmp.missed if p[0] in unreachable or p[1] in unreachable]
    if not with_unreachable_end:
        # Each build makes another graph; on some, the unreachable points hold no pair, and
        # what is missed (if anything) is the odd ordinary miss of an approximate search.
        pytest.skip(
            f"this build's by-id pass missed {len(cmp.missed)} pairs, none with an unreachable end: "
            "issue 12 not reproduced this time"
        )
    assert cmp.groups_exact < cmp.truth_groups
    # Most, not all: each build makes another graph, and a point reached by its own vector at
    # the moment of the test may still be missed by its neighbours' searches (seen: 35 of 42,
    # 83%, and 3 of 5 on two builds; 100% on others). A share is only read from 20 misses up.
    if len(cmp.missed) >= 20:
        assert len(with_unreachable_end) >= 2 / 3 * len(cmp.missed), cmp.missed[:10]


def test_default_scan_cures_the_unreachable_points_on_server_graph(server_built, truth, bundle):
    """The cure: the audit finds points the index cannot reach, the scan takes the sure
    route, and what remains missed is at most a share MAX_MISSED_SHARE of the pairs (1 to 3
    seen on fresh uploads, against the by-id pass's 15 to 1,085)."""
    _, backend = server_built
    out = sh.run_scan(
        bundle, "ours", backend.url, backend.api_key, COLLECTION, THRESHOLD, auditSeed=3, **FIELDS
    )
    cmp = sh.compare(out, truth)
    assert out["audit"]["route"] == "sure" and out["audit"]["unreachable"] > 0
    assert cmp.precision == 1.0
    assert len(cmp.missed) <= MAX_MISSED_SHARE * cmp.truth_pairs, f"{len(cmp.missed)} pairs missed"
    assert cmp.truth_groups - cmp.groups_exact <= len(cmp.missed)


def test_exact_scan_finds_every_pair_on_server_graph(server_built, truth, bundle):
    """The misses are the index's: the same collection scanned exactly is complete."""
    _, backend = server_built
    out = sh.run_scan(bundle, "ours", backend.url, backend.api_key, COLLECTION, THRESHOLD, exact=True, **FIELDS)
    cmp = sh.compare(out, truth)
    assert (cmp.recall, cmp.precision) == (1.0, 1.0)
    assert cmp.groups_exact == cmp.truth_groups


def test_build_refuses_a_data_dir_a_backend_is_serving(edge_built, data):
    _, backend = edge_built
    X, payloads = data
    with pytest.raises(RuntimeError, match="embedded backend is running"):
        sl.build(backend.data_dir, "another", X[:10], payloads[:10])
    assert authed(backend, "GET", "/collections/another")[0] == 404


def test_build_refuses_an_unindexed_tail_the_backend_would_rebuild(tmp_path, data):
    X, _ = data
    with pytest.raises(ValueError, match="exceed the indexing threshold"):
        sl.build(str(tmp_path / "data"), "c", X[:12000], batch=6000, unindexed_batches=2)
    assert not os.path.exists(tmp_path / "data" / "collections" / "c")


def test_layout_cli_prints_segments(tmp_path, data):
    X, payloads = data
    d = str(tmp_path / "data")
    sl.build(d, "small", X[:12000], payloads[:12000])
    buf = io.StringIO()
    with redirect_stdout(buf):
        assert sl.main(["--data-dir", d]) == 0
    text = buf.getvalue()
    assert text.startswith("small: 12,000 points, 10,000 indexed, 2,000 unindexed, 2 segments")
    assert "hnsw: 10,000 points" in text and "plain (appendable): 2,000 points" in text
