"""nd.leakage() on the demo dataset (examples/): real images with planted near-duplicates, 29
of whose groups cross the train/test split, built into the real embedded backend. The
groups are what exact brute force finds at the demo's threshold (the scan's own result is
checked against that in test_scan_integration), sent to the kernel as the panel sends them.
Also: members without a split field counted visibly, with a warning."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pandas", reason="nd.leakage() returns a DataFrame (pandas, in the demo extra)")
pytest.importorskip("skimage", reason="the demo dataset needs scikit-image (the demo extra)")
pytest.importorskip("sklearn", reason="the demo dataset needs scikit-learn (the demo extra)")

import jupyterlab_near_duplicates as nd  # noqa: E402
from jupyterlab_near_duplicates import messages  # noqa: E402

selection = importlib.import_module("jupyterlab_near_duplicates.selection")
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
sys.path.insert(0, str(EXAMPLES))

import demo_dataset as demo  # noqa: E402

DEMO = "demo-leakage"


@pytest.fixture(scope="module")
def demo_groups(client, tmp_path_factory):
    """The demo collection, its planted truth, and its groups at 0.95 as nd.groups() rows."""
    tmp = tmp_path_factory.mktemp("demo")
    demo.build(client, DEMO, out_dir=tmp / "demo_data", root=tmp, log=lambda _: None)
    truth = json.loads((tmp / "demo_data" / "planted.json").read_text())
    points, offset = [], None
    while True:
        batch, offset = client.scroll(DEMO, limit=500, offset=offset, with_payload=True, with_vectors=True)
        points.extend(batch)
        if offset is None:
            break
    points.sort(key=lambda p: p.id)
    X = np.array([p.vector for p in points])
    pairs = demo.pairs_above(X, demo.DEFAULT_THRESHOLD)
    found = demo.components(len(points), pairs)
    S = X @ X.T
    np.fill_diagonal(S, -np.inf)
    groups = [
        {
            "sample_ids": [points[i].payload["sample_id"] for i in c],
            "point_ids": [points[i].id for i in c],
            "scores": [float(S[i, c].max()) for i in c],
            "size": len(c),
            "group_index": k,
            "threshold": demo.DEFAULT_THRESHOLD,
            "distance": "Cosine",
            "collection": DEMO,
            "scan_id": "demo-scan",
        }
        for k, c in enumerate(found)
    ]
    rows = messages.read_groups({"type": "groups", "groups": groups, "collection": DEMO, "scan_id": "demo-scan"})
    yield {"truth": truth, "rows": rows, "points": points, "X": X}


@pytest.fixture
def sent_demo(demo_groups):
    selection.apply_groups(demo_groups["rows"])
    yield demo_groups
    selection._reset()


def test_the_29_planted_cross_split_groups_and_the_headline(sent_demo, client):
    truth = sent_demo["truth"]
    crossing = [g for g in truth["groups"] if len({m["split"] for m in g["members"]}) == 2]
    assert len(crossing) == 29  # what the demo plants (README, notebook)
    leaked_test = sum(m["split"] == "test" for g in crossing for m in g["members"])
    leaked_train = sum(m["split"] == "train" for g in crossing for m in g["members"])

    table = nd.leakage(client=client)
    assert list(table.index) == ["test", "train"]
    assert table.loc["test", ("groups", "train")] == table.loc["train", ("groups", "test")] == 29
    assert table.loc["test", ("samples", "train")] == leaked_test
    assert table.loc["train", ("samples", "test")] == leaked_train
    # within a split: planted groups that stay on one side (and the test members of crossing
    # groups with two test copies)
    within_train = sum(1 for g in truth["groups"] if sum(m["split"] == "train" for m in g["members"]) >= 2)
    assert table.loc["train", ("groups", "train")] == within_train

    tests = sum(p.payload["split"] == "test" for p in sent_demo["points"])
    headline = f"{leaked_test} test samples ({100 * leaked_test / tests:.1f}% of test) have a near-duplicate in train"
    assert table.headline == headline == table.attrs["headline"]
    assert repr(table).splitlines()[0] == headline
    assert table._repr_html_().startswith(f"<p>{headline}</p>")


def test_as_pairs_gives_each_leaking_sample_its_closest_counterpart(sent_demo, client):
    truth, points, X = sent_demo["truth"], sent_demo["points"], sent_demo["X"]
    pairs = nd.leakage(as_pairs=True, client=client)
    crossing = [g for g in truth["groups"] if len({m["split"] for m in g["members"]}) == 2]
    assert len(pairs) == sum(len(g["members"]) for g in crossing)
    assert set(pairs["sample_id"]) == {m["sample_id"] for g in crossing for m in g["members"]}
    assert (pairs["split"] != pairs["other_split"]).all()
    row_of = {p.id: i for i, p in enumerate(points)}
    group_of = {m["sample_id"]: g["planted_group"] for g in truth["groups"] for m in g["members"]}
    for r in pairs.itertuples():
        # the counterpart is in the sample's planted group, and no member of the other split is closer
        assert group_of[r.other_sample_id] == group_of[r.sample_id]
        others = [p.id for p in points if p.payload.get("planted_group") == group_of[r.sample_id]
                  and p.payload["split"] != r.split]
        best = max(float(X[row_of[r.point_id]] @ X[row_of[q]]) for q in others)
        assert r.score == pytest.approx(best, abs=1e-5) and r.score > demo.DEFAULT_THRESHOLD


def test_members_without_a_split_are_counted_and_warned_about(sent, client):
    from plan_fixtures import COLLECTION

    client.delete_payload(COLLECTION, keys=["split"], points=[12, 33], wait=True)
    with pytest.warns(UserWarning, match="2 of 9 samples in the groups have no payload field 'split'.*'\\(no split\\)'"):
        table = nd.leakage(client=client)
    assert list(table.index) == ["test", "train", "val", "(no split)"]
    assert table.loc["(no split)", ("samples", "train")] == 2  # 12 with 10, 11; 33 with 30
    assert table.loc["test", ("groups", "train")] == 2  # groups 1 and 2
    with pytest.raises(ValueError, match="No member of any group has a payload field 'fold'"):
        nd.leakage("fold", client=client)


def test_the_headline_picks_held_out_splits_against_train_or_the_smallest_against_the_largest():
    from jupyterlab_near_duplicates.split_leakage import _lines

    sizes = {"dev": 30, "test": 40, "train": 300}
    leaking = {("dev", "train"): 3, ("test", "train"): 1, ("train", "test"): 2}
    assert _lines(leaking, sizes, ["dev", "test", "train"]) == [
        "1 test sample (2.5% of test) has a near-duplicate in train",
        "3 dev samples (10.0% of dev) have a near-duplicate in train",
    ]
    # names that say nothing: the smaller split against the largest
    assert _lines({("fold-b", "fold-a"): 4}, {"fold-a": 90, "fold-b": 10}, ["fold-a", "fold-b"]) == [
        "4 fold-b samples (40.0% of fold-b) have a near-duplicate in fold-a"
    ]
    assert _lines({}, {"train": 5}, ["train"]) == []
