"""The real scan against a live embedded backend: the worker's scan code (src/scan, bundled
for Node by bench/build.mjs, with the official @qdrant/js-client-rest) scans collections with
planted near-duplicates, and its groups and pairs must equal the exact answer (numpy brute
force at the same threshold, strict as Qdrant applies it).

Needs `node` on PATH and the npm dependencies installed (esbuild, @qdrant/js-client-rest);
the test builds the bundle itself. ``ND_SCAN_VARIANT=<name>`` runs it against a scanner
variant instead (applied at bundle time, see bench/variants.json): the old scanner
(``offset-paging-no-check``) and the scanner without its check (``no-check``) fail it.
"""

from __future__ import annotations

import os
import sys
import uuid

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))

import scan_harness as sh  # noqa: E402

# Small pages and batches, so clusters larger than a page are paged and batches are many.
# listPageSize: every collection here is listed over several scroll pages (the default page is larger)
SCAN = {"limit": 8, "batchSize": 16, "inFlight": 2, "listPageSize": 300}
FIELDS = {"sampleIdField": "sample_id", "thumbnailField": "thumbnail", "splitField": "split"}
# No pair of the planted data may score this close to the threshold: the test checks the
# scan, not float rounding.
MARGIN = 1e-3
# Pairs the cured scan may still miss on a server's layout, as a share of all pairs: fresh
# uploads have shown 1 to 3 of ~115,000 to 148,000 missed (each upload builds another graph;
# the by-id pass alone missed 15 to 1,085). The audit's interval is what tells the user.
MAX_MISSED_SHARE = 1e-4


def _unit(X: np.ndarray) -> np.ndarray:
    return (X / np.linalg.norm(X, axis=-1, keepdims=True)).astype(np.float32)


def planted(distance: str, seed: int = 7) -> tuple[np.ndarray, float]:
    """Vectors with planted clusters, exact copies, a chain and background points.

    Clusters (sizes 2 to 60, the largest well past the scan's limit of 8): near copies,
    exact copies, and mixed ones. The chain links its neighbours only (each link passes
    the threshold, two links apart does not), so its group is held together by a path.
    """
    rng = np.random.default_rng(seed)
    cosine = distance == "Cosine"
    d = 32 if cosine else 16
    rows: list[np.ndarray] = []

    def centre() -> np.ndarray:
        if cosine:
            return _unit(rng.standard_normal((1, d)))[0]
        return (2 * rng.standard_normal(d)).astype(np.float32)

    def near(c: np.ndarray, k: int) -> np.ndarray:
        # Cosine: noise of norm ~0.12, pairwise similarity ~0.985; Euclid: distances ~0.17.
        if cosine:
            return _unit(c + 0.12 * rng.standard_normal((k, d)) / np.sqrt(d))
        return (c + 0.03 * rng.standard_normal((k, d))).astype(np.float32)

    for size, kind in [
        (2, "near"), (2, "exact"), (3, "near"), (5, "near"), (9, "near"), (12, "exact"),
        (17, "mixed"), (40, "exact"), (60, "mixed"),
    ]:
        c = centre()
        members = near(c, size)
        if kind == "exact":
            members[:] = c
        elif kind == "mixed":
            members[: size // 2] = c
        rows.append(members)
    # a chain of 6
    if cosine:
        e = np.linalg.qr(rng.standard_normal((d, 2)))[0].T
        theta = np.arccos(0.93)  # links 0.93 > 0.9; two apart cos(2 theta) = 0.73
        rows.append(_unit(np.array([np.cos(k * theta) * e[0] + np.sin(k * theta) * e[1] for k in range(6)])))
    else:
        u = _unit(rng.standard_normal((1, d)))[0]
        c = centre()
        rows.append(np.array([c + 0.4 * k * u for k in range(6)], dtype=np.float32))  # links 0.4 < 0.5
    n_background = 700
    if cosine:
        rows.append(_unit(rng.standard_normal((n_background, d))))
    else:
        rows.append((rng.standard_normal((n_background, d)) * 2).astype(np.float32))
    X = np.concatenate(rows)
    X = X[rng.permutation(len(X))]
    return X, (0.9 if cosine else 0.5)


def point_ids(n: int, kind: str) -> list:
    if kind == "uuid":
        return [str(uuid.UUID(int=(0x9E3779B97F4A7C15 * (i + 1)) % 2**128)) for i in range(n)]
    return [1000 + 7 * i for i in range(n)]  # sparse integer ids, not row numbers


def payloads(ids: list) -> list[dict]:
    return [
        {"sample_id": f"sample-{k}", "thumbnail": f"thumbs/{k}.png", "split": "test" if k % 5 == 0 else "train"}
        for k in range(len(ids))
    ]


CASES = {
    # name: (distance, id kind, extra collection config)
    "cosine-plain": ("Cosine", "int", {}),
    # HNSW built and used even for a small collection: the case where approximate search
    # can lose copies among exact duplicates.
    "cosine-hnsw": (
        "Cosine",
        "int",
        {"optimizers_config": {"indexing_threshold": 1}, "hnsw_config": {"full_scan_threshold": 1}},
    ),
    "euclid-uuid": ("Euclid", "uuid", {}),
    # A named vector beside another: the scan compares by the one it is told to use.
    "cosine-named": (
        "Cosine",
        "uuid",
        {
            "vectors": {
                "other": {"size": 4, "distance": "Dot"},
                "img": {"size": 32, "distance": "Cosine"},
            }
        },
    ),
}
NAMED = {"cosine-named": "img"}

# The route of the main pass: by id (the default where the index reaches every point), and
# the sure route (each point's own vector fetched and sent back as text, vectorText.ts),
# which the server's layout takes; forced here, so its parsing of the backend's answers is
# checked on every id kind and on a named vector.
ROUTES = {"by-id": {}, "sure": {"cure": "always"}}


@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize("case", list(CASES))
def test_scan_finds_exactly_the_planted_duplicates(case, route, backend, bundle):
    distance, id_kind, config = CASES[case]
    using = NAMED.get(case)
    X, threshold = planted(distance)
    n = len(X)
    ids = point_ids(n, id_kind)
    index_of = {p: k for k, p in enumerate(ids)}

    _assert_margin(X, threshold, distance)
    truth = sh.exact_pairs(X if distance == "Euclid" else _unit(X), threshold, distance)

    name = f"planted-{case}-{route}"
    rest = sh.Rest(backend.url, backend.api_key)
    try:
        rest.create_collection(name, X.shape[1], distance, **config)
        if using is None:
            rest.upsert(name, ids, X, payloads(ids), batch=500)
        else:
            _upsert_named(rest, name, ids, X, using)
        rest.build_index(name, ids[0], timeout=120, settle_s=3, using=using)
        if "hnsw_config" in config:
            info = rest.call("GET", f"/collections/{name}")
            assert info["indexed_vectors_count"] == n, f"HNSW index not built: {info}"
    finally:
        rest.close()

    out = sh.run_scan(
        bundle,
        "ours",
        backend.url,
        backend.api_key,
        name,
        threshold,
        timeout=120,
        using=using,
        **SCAN,
        **FIELDS,
        **ROUTES[route],
    )

    assert out["audit"]["route"] == route, out["audit"]
    assert out["phases"][0] == "inspecting" and out["phases"][-1] == "complete", out["phases"]
    assert out["distance"] == distance
    assert sorted(out["ids"], key=str) == sorted(ids, key=str), "the scan listed other points"

    comparison = sh.compare(out, truth, index_of)
    missed = [(ids[a], ids[b]) for a, b in comparison.missed]
    extra = [(ids[a], ids[b]) for a, b in comparison.extra]
    assert not extra, f"{len(extra)} pairs found that do not pass the threshold, e.g. {extra[:5]}"
    assert not missed, (
        f"{len(missed)} of {comparison.truth_pairs} pairs passing the threshold were not found, e.g. {missed[:5]} "
        f"(scores {[round(_score(X, index_of[a], index_of[b], distance), 6) for a, b in missed[:5]]})"
    )

    truth_groups = {frozenset(ids[k] for k in g) for g in truth.groups()}
    found_groups = [frozenset(g) for g in out["groups"]]
    assert len(found_groups) == len(set(found_groups)), "a group is reported twice"
    assert set(found_groups) == truth_groups, (
        f"groups differ: {len(truth_groups - set(found_groups))} exact components not found, "
        f"{len(set(found_groups) - truth_groups)} groups that are not components"
    )
    sizes = [len(g) for g in found_groups]
    assert sizes == sorted(sizes, reverse=True), "groups are not largest first"
    assert max(sizes) == 60 and 6 in sizes  # the big cluster, the chain

    # Each pair once, scores as Qdrant's strict threshold says.
    pairs = list(zip(out["pairs"]["a"], out["pairs"]["b"], out["pairs"]["score"]))
    keys = [frozenset((a, b)) for a, b, _ in pairs]
    assert len(keys) == len(set(keys)), "a pair is reported twice"
    higher = distance == "Cosine"
    assert all((s > threshold) if higher else (s < threshold) for _, _, s in pairs)
    for a, b, s in pairs[:200]:
        assert abs(s - _score(X, index_of[a], index_of[b], distance)) < 1e-4

    # The payload fields reach the groups: sample ids, thumbnails and splits of the members.
    sample_of = {p: pl["sample_id"] for p, pl in zip(ids, payloads(ids))}
    for g, detail in zip(out["groups"], out["group_details"]):
        assert detail["sampleIds"] == [sample_of[p] for p in g]
    # Every point's split is listed; sample ids and thumbnails are read for the points in a
    # pair only (the details phase), and the others are never shown.
    listed = dict(zip(out["ids"], zip(out["sample_ids"], out["thumbnails"], out["splits"])))
    paired = set(out["pairs"]["a"]) | set(out["pairs"]["b"])
    assert paired and len(paired) < len(ids)
    for p, pl in zip(ids, payloads(ids)):
        if p in paired:
            assert listed[p] == (pl["sample_id"], pl["thumbnail"], pl["split"])
        else:
            assert listed[p] == ("", None, pl["split"])

    # The chain's group holds together by links of 0.93 (Cosine) or 0.4 (Euclid) only.
    chain = next(d for d in out["group_details"] if d["size"] == 6)
    assert chain["links"] == 5
    expected_link = 0.93 if higher else 0.4
    assert abs(chain["weakestLink"]["score"] - expected_link) < 1e-3


def _upsert_named(rest: sh.Rest, name: str, ids: list, X: np.ndarray, using: str) -> None:
    """Points with the planted vector under ``using`` and an unrelated one beside it."""
    other = np.random.default_rng(3).standard_normal((len(ids), 4))
    pls = payloads(ids)
    for s in range(0, len(ids), 500):
        rest.call(
            "PUT",
            f"/collections/{name}/points?wait=true",
            {
                "points": [
                    {"id": ids[k], "vector": {using: X[k].astype(np.float64).tolist(), "other": other[k].tolist()}, "payload": pls[k]}
                    for k in range(s, min(s + 500, len(ids)))
                ]
            },
        )


def _score(X: np.ndarray, a: int, b: int, distance: str) -> float:
    x, y = X[a].astype(np.float64), X[b].astype(np.float64)
    if distance == "Cosine":
        return float(x @ y / np.linalg.norm(x) / np.linalg.norm(y))
    return float(np.linalg.norm(x - y))


def _assert_margin(X: np.ndarray, threshold: float, distance: str) -> None:
    """No pair scores within MARGIN of the threshold (the data's own sanity check)."""
    X64 = X.astype(np.float64)
    if distance == "Cosine":
        X64 = X64 / np.linalg.norm(X64, axis=1, keepdims=True)
        S = X64 @ X64.T
    else:
        sq = (X64 * X64).sum(axis=1)
        S = np.sqrt(np.maximum(0, sq[:, None] + sq[None, :] - 2 * X64 @ X64.T))
    iu = np.triu_indices(len(X), 1)
    close = np.abs(S[iu] - threshold) < MARGIN
    assert not close.any(), f"test data: {int(close.sum())} pairs within {MARGIN} of the threshold"


def _few_links_collection(backend, name: str, X: np.ndarray, hnsw: dict, batch: int) -> None:
    """A Cosine collection of X (ids point_ids(len(X), "int")) whose HNSW index, with the
    given few links (`hnsw`: m, ef_construct), is built over every point before the test
    scans it."""
    ids = point_ids(len(X), "int")
    rest = sh.Rest(backend.url, backend.api_key)
    try:
        rest.create_collection(
            name, X.shape[1], "Cosine",
            optimizers_config={"indexing_threshold": 1},
            hnsw_config={"full_scan_threshold": 1, **hnsw},
        )
        rest.upsert(name, ids, X, payloads(ids), batch=batch)
        rest.build_index(name, ids[0], timeout=120, settle_s=3)
        assert rest.call("GET", f"/collections/{name}")["indexed_vectors_count"] == len(X)
    finally:
        rest.close()


def test_exact_copies_hnsw_cannot_reach_are_all_found(backend, bundle):
    """Clusters of 30 to 150 identical vectors in an HNSW index with few links per node (m = 4):
    the approximate search reaches only some copies from each copy (HNSW keeps few links
    between points at distance 0), and the scan's exact check inside each group finds the rest.
    """
    rng = np.random.default_rng(3)
    d = 32
    sizes = [30, 60, 90, 120, 150]
    rows = [np.repeat(_unit(rng.standard_normal((1, d))), s, axis=0) for s in sizes]
    rows.append(_unit(rng.standard_normal((3000, d))))
    X = np.concatenate(rows)
    X = X[rng.permutation(len(X))]
    name = "copies-hnsw-m4"
    _few_links_collection(backend, name, X, {"m": 4}, batch=1000)

    out = sh.run_scan(bundle, "ours", backend.url, backend.api_key, name, 0.9, timeout=120, **SCAN, **FIELDS)

    expected = sum(s * (s - 1) // 2 for s in sizes)
    # The index did lose copies (otherwise this test would not test the check) ...
    assert out["pairs_before_check"] is not None and out["pairs_before_check"] < expected, out["pairs_before_check"]
    # ... and the scan found every pair, each once, and the clusters as its groups.
    pairs = {frozenset((a, b)) for a, b in zip(out["pairs"]["a"], out["pairs"]["b"])}
    assert len(out["pairs"]["a"]) == len(pairs) == expected
    assert all(s > 0.9 for s in out["pairs"]["score"])
    assert sorted(len(g) for g in out["groups"]) == sorted(sizes)
    for detail in out["group_details"]:
        assert detail["links"] == detail["size"] * (detail["size"] - 1) // 2
        assert detail["weakestLink"]["score"] > 0.9999


@pytest.fixture(scope="module")
def no_lonely_bundle(tmp_path_factory) -> str:
    """The scan without the lonely pass (bench/variants.json no-lonely): the design before."""
    out = tmp_path_factory.mktemp("no-lonely") / "scan_node.no-lonely.cjs"
    return sh.build_bundle(str(out), variant="no-lonely")


def test_lone_pairs_the_index_never_links_are_found(backend, bundle, no_lonely_bundle):
    """Topic-like background points (cosine about 0.5 to their topic's others) and 300 lone
    pairs (cosine 0.96 to 0.995, far from everything else) in an HNSW index with few links (m
    4, ef_construct 8): the graph leaves some pairs unlinked, so both points of each find
    nothing, and no group's cover reaches them (bench/README.md, finding 7e). The lonely pass
    (src/scan/lonely.ts: sketches of the points in no group, close ones compared exactly)
    finds every one; the same scan without it (variant no-lonely) misses them. The index build
    is not deterministic: should one ever link every pair, the scan is still held to every
    pair and only the comparison with no-lonely is left out."""
    rng = np.random.default_rng(5)
    d = 64
    topics = _unit(rng.standard_normal((16, d)))
    X = _unit(topics[rng.integers(0, 16, 5000)] + rng.standard_normal((5000, d)) / np.sqrt(d))
    partners = []
    for k in range(300):
        a = X[k]
        r = rng.standard_normal(d)
        r = _unit((r - (r @ a) * a)[None])[0]
        c = 0.96 + 0.035 * k / 299
        partners.append(c * a + np.sqrt(1 - c * c) * r)
    X = np.concatenate([X, np.array(partners)]).astype(np.float32)
    _assert_margin(X, 0.95, "Cosine")
    truth = sh.exact_pairs(X, 0.95, "Cosine")
    assert len(truth.i) >= 300
    ids = point_ids(len(X), "int")
    index_of = {p: k for k, p in enumerate(ids)}
    name = "lone-pairs-hnsw-m4"
    _few_links_collection(backend, name, X, {"m": 4, "ef_construct": 8}, batch=2000)

    def scan(b):
        out = sh.run_scan(b, "ours", backend.url, backend.api_key, name, 0.95, timeout=300, cure="never", auditSeed=12)
        return out, sh.compare(out, truth, index_of)

    out, comparison = scan(bundle)
    assert comparison.missed == [] and comparison.extra == []
    assert comparison.groups_exact == comparison.truth_groups
    lonely = out["stats"]["lonely"]
    assert "skipped" not in lonely
    _, before_comparison = scan(no_lonely_bundle)
    if before_comparison.missed:
        assert lonely["found"] >= len(before_comparison.missed)
    # Only candidates were compared on the server: a sliver of every pair of lonely points.
    assert lonely["candidates"] < lonely["points"] * 2


# ---------------------------------------------------------------------------------------
# A real Qdrant server, loaded the way a user loads it (issue 12)
# ---------------------------------------------------------------------------------------

# Big enough that the server's index, built while batches arrive, leaves points its search
# cannot reach (about 4% here) and the by-id pass misses pairs; small enough for 2 cores.
SERVER_N = 20000
SERVER_D = 256


@pytest.fixture(scope="module")
def server_collection(real_qdrant):
    """The benchmark's data set at 20k x 256 on a real Qdrant server with its defaults,
    uploaded in batches of 5,000 with wait=true, then left to the server's optimizer until
    green: the layout users get (several segments, the index built while data arrived)."""
    from run import _unit, make_dataset

    X, pl, _ = make_dataset(SERVER_N, SERVER_D, seed=1)
    name = f"server-layout-{uuid.uuid4().hex[:8]}"
    rest = sh.Rest(real_qdrant.url, real_qdrant.api_key)
    try:
        rest.create_collection(name, SERVER_D, "Cosine")
        rest.upsert(name, list(range(SERVER_N)), X, pl, batch=5000)
        sh.wait_green(rest, name)
    finally:
        rest.close()
    truth = sh.exact_pairs(_unit(X), 0.95, "Cosine")
    yield name, truth
    rest = sh.Rest(real_qdrant.url, real_qdrant.api_key)
    try:
        rest.call("DELETE", f"/collections/{name}")
    finally:
        rest.close()


def test_server_layout_default_scan_cures_unreachable_points_and_says_so(server_collection, real_qdrant, bundle):
    """On the server's own layout the default scan cures the misses of points the index
    cannot reach (the by-id pass alone misses 15 to 1,085 pairs there, a different number per
    upload: ND_SCAN_VARIANT=no-cure fails this), and its audit says what it checked. What
    may remain is the approximate search's own rare miss between two reachable points: at
    most a share MAX_MISSED_SHARE of the pairs (1 to 3 seen on fresh uploads), and the
    audit's interval holds the true recall."""
    name, truth = server_collection
    out = sh.run_scan(bundle, "ours", real_qdrant.url, real_qdrant.api_key, name, 0.95, timeout=600, auditSeed=12)
    comparison = sh.compare(out, truth)
    audit = out["audit"]
    assert audit["unreachable"] > 0, "the layout has no points the index cannot reach: the test tests nothing"
    assert len(comparison.missed) <= MAX_MISSED_SHARE * comparison.truth_pairs, (
        f"{len(comparison.missed)} of {comparison.truth_pairs} pairs missed; "
        f"{comparison.truth_groups - comparison.groups_exact} groups wrong (audit: {audit})"
    )
    assert not comparison.extra
    assert comparison.truth_groups - comparison.groups_exact <= len(comparison.missed)
    # The points the index cannot reach were left to the group cover and the lonely pass
    # (sureExact 'deferred'), none searched over the whole collection.
    assert audit["route"] == "sure" and audit["deferred"] > 0 and audit["searchedExactly"] == 0
    assert "skipped" not in out["stats"]["lonely"]
    assert audit["sampled"] == 200 and audit["pairs"] > 0
    assert audit["low"] <= comparison.recall <= audit["high"]
    assert audit["cure"] is None


def test_server_layout_without_the_lonely_pass_searches_unreachable_points_exactly(
    server_collection, real_qdrant, no_lonely_bundle
):
    """When the lonely pass does not run (here: the no-lonely variant; for users: another
    distance than Cosine, too loose a threshold, data too dense), the points the index cannot
    reach that were left to it are searched exactly over the collection after it, and the scan
    is held to the same misses as the default."""
    name, truth = server_collection
    out = sh.run_scan(
        no_lonely_bundle, "ours", real_qdrant.url, real_qdrant.api_key, name, 0.95, timeout=600, auditSeed=12
    )
    comparison = sh.compare(out, truth)
    audit = out["audit"]
    assert audit["unreachable"] > 0, "the layout has no points the index cannot reach: the test tests nothing"
    assert audit["route"] == "sure" and audit["searchedExactly"] > 0 and "deferred" not in audit
    assert len(comparison.missed) <= MAX_MISSED_SHARE * comparison.truth_pairs, (
        f"{len(comparison.missed)} of {comparison.truth_pairs} pairs missed (audit: {audit})"
    )
    assert not comparison.extra


@pytest.fixture(scope="module")
def no_cover_bundle(tmp_path_factory) -> str:
    """The scan without the group cover (bench/variants.json no-group-cover): the design before."""
    out = tmp_path_factory.mktemp("no-group-cover") / "scan_node.no-group-cover.cjs"
    return sh.build_bundle(str(out), variant="no-group-cover")


@pytest.fixture(scope="module")
def by_id_scan(server_collection, real_qdrant, bundle, no_cover_bundle, tmp_path_factory):
    """The server layout scanned by id only (cure off, audit seed 12), with the group cover
    ('cover'), without it ('no-group-cover'), or without it and without the lonely pass
    ('bare', variant no-cover-no-lonely, built only if asked): each run once, when a test
    first asks."""
    name, _ = server_collection
    bundles = {"cover": lambda: bundle, "no-group-cover": lambda: no_cover_bundle}
    bundles["bare"] = lambda: sh.build_bundle(
        str(tmp_path_factory.mktemp("bare") / "scan_node.bare.cjs"), variant="no-cover-no-lonely"
    )
    done: dict = {}

    def scan(kind: str) -> dict:
        if kind not in done:
            done[kind] = sh.run_scan(
                bundles[kind](), "ours", real_qdrant.url, real_qdrant.api_key, name, 0.95, timeout=600, cure="never", auditSeed=12
            )
        return done[kind]

    return scan


def test_server_layout_cover_leaves_no_missed_pair_at_a_grouped_point(server_collection, by_id_scan):
    """By id only (cure off), the server's index misses pairs, most at points it cannot
    reach. The cover after the check (an exact search around each group, src/scan/cover.ts)
    finds every pair that touches a point of a group it found, and the lonely pass every pair
    of two points that both found nothing. The same scan without the cover (variant
    no-group-cover) misses pairs at grouped points on the same upload."""
    _, truth = server_collection

    def misses(out):
        comparison = sh.compare(out, truth)
        grouped = {int(p) for g in out["groups"] for p in g}
        at_groups = [m for m in comparison.missed if m[0] in grouped or m[1] in grouped]
        return comparison, at_groups

    out = by_id_scan("cover")
    comparison, at_groups = misses(out)
    assert at_groups == [], f"{len(at_groups)} missed pairs touch a found group: {at_groups[:10]}"
    # And the lonely pass (src/scan/lonely.ts) leaves no pair between two points that both
    # found nothing: by id only, on the server's own layout, nothing is missed.
    assert comparison.missed == [], f"{len(comparison.missed)} pairs missed: {comparison.missed[:10]}"
    assert not comparison.extra
    before = by_id_scan("no-group-cover")
    before_comparison, before_at_groups = misses(before)
    if not before_at_groups:
        pytest.skip("this upload's graph left no missed pair at a grouped point: nothing for the cover to find")
    assert len(comparison.missed) < len(before_comparison.missed)
    assert comparison.groups_exact > before_comparison.groups_exact


def test_server_layout_audit_without_cure_offers_it(server_collection, by_id_scan):
    """With the cure turned off, the audit never claims more than the true recall and the
    result offers the cure with an estimated time. The cover and the lonely pass often leave
    no pair missed on this layout; then the same holds for the scan without the cover (variant
    no-group-cover), and for the scan without either (no-cover-no-lonely), which misses pairs:
    the audit must be honest when something is missed."""
    _, truth = server_collection
    missed = 0
    for kind in ("cover", "no-group-cover", "bare"):
        out = by_id_scan(kind)
        comparison = sh.compare(out, truth)
        audit = out["audit"]
        assert audit["route"] == "by-id" and audit["unreachable"] > 0
        # The interval is a 95% one over the graph's random layout, so only the side that would
        # mislead is asserted: its lower bound is never above the truth. (Seen in CI once: the
        # truth 0.99969 above the interval's top, 0.99950, from a sample of 200 holding a missed
        # cluster: the result said less than it had, and offered the cure.)
        assert audit["low"] <= comparison.recall, (comparison.recall, audit)
        assert audit["cure"]["route"] == "sure" and audit["cure"]["seconds"] > 0
        missed = len(comparison.missed)
        if missed:
            break
    if not missed:
        # Each upload builds another graph; on some, the unreachable points happen to hold
        # no pair. The cure is still offered (above): the sample saw unreachable points.
        pytest.skip("this upload's by-id pass missed no pair, even without the cover and the lonely pass: nothing more to show")
