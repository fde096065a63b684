"""nd.plan(): keep-one rules and their tie-breaks, pins, groups marked not duplicates, the
summary per split, and clear messages for bad input, on the real embedded backend (payloads
and vectors read from a live collection by point id, groups as the panel sends them)."""

from __future__ import annotations

import pytest
from plan_fixtures import BACKGROUND, COLLECTION, MEMBERS, split_of

import jupyterlab_near_duplicates as nd


def keepers(plan) -> list:
    return [plan.keeper(g.index) for g in plan.groups]


def test_plain_path_plan_of_the_sent_groups_with_nd_client(sent, backend, monkeypatch):
    # The user's path: groups sent by the panel, nd.client() from the environment, default rule.
    monkeypatch.setenv("QDRANT_URL", backend.url)
    monkeypatch.setenv("QDRANT_API_KEY", backend.api_key)
    monkeypatch.delenv("NEAR_DUPLICATES_CONNECTION_FILE", raising=False)
    with pytest.warns(UserWarning, match="insecure"):  # qdrant-client: an API key over loopback http
        plan = nd.plan()
    assert keepers(plan) == [10, 20, 30]  # the first point id of each group
    assert plan.keep.point_ids == [10, 20, 30] and plan.keep.sample_ids == ["s10", "s20", "s30"]
    assert plan.drop.point_ids == [11, 12, 21, 31, 32, 33]
    assert "s11" in plan.drop and 33 in plan.drop and "s10" not in plan.drop
    total = len(MEMBERS) + len(BACKGROUND)
    lines = plan.summary().splitlines()
    assert lines[0] == f"keep 3, drop 6 samples ({100 * 6 / total:.1f}%)"
    assert lines[1] == f"  of {total} points in {COLLECTION!r}, 3 groups"
    tests = sum(split_of(p) == "test" for p in [*MEMBERS, *BACKGROUND])
    # test: 12, 31 dropped, 20 kept; train: 10, 30 kept, 11, 21, 33 dropped; val: 32 dropped
    assert f"  test: keep 1, drop 2 ({100 * 2 / tests:.1f}% of test)" in lines
    assert "  val: keep 0, drop 1 (100.0% of val)" in lines
    assert any(line.startswith("  train: keep 2, drop 3 (") for line in lines)
    assert lines[-1] == "  rules: first point id"


def test_highest_and_lowest_payload_value(sent, client):
    assert keepers(nd.plan(keep=("max", "width"), client=client)) == [10, 21, 30]  # group 2: a tie at 10 -> first
    assert keepers(nd.plan(keep=("min", "width"), client=client)) == [12, 20, 32]
    # strings compare as strings (ISO dates), nested fields by a dotted path
    assert keepers(nd.plan(keep=("max", "taken"), client=client)) == [10, 21, 33]
    assert keepers(nd.plan(keep=("max", "meta.rank"), client=client)) == [10, 20, 30]


def test_rules_break_ties_in_the_order_given(sent, client):
    # group 2: 30, 31, 33 tie on width 10; the split order then picks the test copy 31
    plan = nd.plan(keep=[("max", "width"), ("split", ["test", "train"])], client=client)
    assert keepers(plan) == [10, 21, 31]
    # the other order: the split decides first, width only among the test members
    plan = nd.plan(keep=[("split", ["test", "train"]), ("max", "width")], client=client)
    assert keepers(plan) == [12, 20, 31]


def test_prefer_split_keeps_the_test_set_whole(sent, client):
    plan = nd.plan(prefer_split=["test", "val", "train"], client=client)
    assert keepers(plan) == [12, 20, 31]
    assert not [p for p in plan.drop.point_ids if split_of(p) == "test"]
    assert "  test: keep 3, drop 0 (0.0% of test)" in plan.summary().splitlines()
    assert plan.summary().splitlines()[-1] == "  rules: split test > val > train, first point id"


def test_most_central_member_is_computed_from_the_vectors(sent, client):
    # chain 10 - 11 - 12: 11 scores 0.98 to both, the ends 0.98 and 0.9208; first would pick 10
    plan = nd.plan(keep="central", client=client)
    assert keepers(plan) == [11, 20, 30]  # a pair and three exact copies tie -> first point id
    scores = plan.scores(0)
    end = (0.98 + (2 * 0.98**2 - 1)) / 2  # cos 2 theta = 2 cos^2 theta - 1
    assert scores.mean == pytest.approx([end, 0.98, end], abs=1e-4)
    assert scores.weakest_link == pytest.approx(0.98, abs=1e-4)
    assert plan.scores(2).weakest_link == pytest.approx(0.95, abs=1e-4)


def test_pin_and_not_duplicates(sent, client):
    plan = nd.plan(client=client)
    plan.pin(12)
    assert plan.keeper(0) == 12 and 10 in plan.drop
    plan.not_duplicates(1)  # by group index
    assert [g.index for g in plan.groups] == [0, 2]
    assert 20 not in plan.keep and 21 not in plan.drop
    assert "  left out: 1 group(s) marked not duplicates (2 samples)" in plan.summary()
    plan.not_duplicates(nd.groups()[2])  # by the group's row
    with pytest.warns(UserWarning, match="drops nothing now: every group is marked not duplicates"):
        plan.not_duplicates(plan.group_of(11))  # the group of a point
    assert len(plan.keep) == 0 and len(plan.drop) == 0
    assert "The plan drops nothing" in plan.summary()


def test_pin_outside_the_groups_says_what_to_pin(sent, client):
    plan = nd.plan(client=client)
    with pytest.raises(ValueError, match="No group 11 in this plan.*plan.group_of\\(point_id\\)"):
        plan.keeper(11)  # 11 is a point id, not a group: said, not guessed
    assert plan.keeper(plan.group_of(11)) == 10
    with pytest.raises(ValueError, match="Point 105 is in no group of this plan"):
        plan.pin(105)
    plan.not_duplicates(1)
    with pytest.raises(ValueError, match="marked not duplicates"):
        plan.pin(21)


def test_rule_field_missing_on_some_members(sent, client):
    with pytest.raises(ValueError) as info:
        nd.plan(keep=("max", "height"), client=client)
    text = str(info.value)
    assert "1 of 9 members have no payload field 'height'" in text and "point 21 (sample 's21')" in text
    assert "missing='last'" in text
    plan = nd.plan(keep=("max", "height"), missing="last", client=client)
    assert keepers(plan) == [10, 20, 30]  # 21 has no height: ranked after 20


def test_rule_field_of_mixed_types(sent, client):
    with pytest.raises(ValueError) as info:
        nd.plan(keep=("min", "res"), client=client)
    text = str(info.value)
    assert "holds numbers" in text and "strings (e.g. point 32: '1024px')" in text
    assert "make the field one type" in text


def test_unknown_rule_and_no_groups(client):
    with pytest.raises(ValueError, match="Unknown keep rule 'largest'"):
        nd.plan([{"point_ids": [1], "sample_ids": ["a"], "collection": COLLECTION}], keep="largest", client=client)
    with pytest.raises(ValueError, match="click 'Send all groups'"):
        nd.plan(client=client)  # nothing sent to this kernel yet


def test_points_deleted_since_the_scan(sent, client):
    from qdrant_client import models

    client.delete(COLLECTION, points_selector=models.PointIdsList(points=[32]), wait=True)
    with pytest.raises(RuntimeError, match="1 point\\(s\\) of the groups are no longer in collection 'plan-groups'"):
        nd.plan(client=client)


def test_the_groups_dataframe_is_accepted_too(sent, client):
    frame = nd.groups(as_frame=True)
    assert keepers(nd.plan(frame, keep="central", client=client)) == [11, 20, 30]


def test_uuid_point_ids_and_a_collection_with_several_vectors(client):
    import uuid

    from qdrant_client import models

    name = "plan-named-vectors"
    ids = [str(uuid.UUID(int=k * 0x1111)) for k in (3, 1, 2)]  # not in sorted order
    e = [[1.0, 0.0, 0.0], [0.99, 0.141, 0.0], [0.98, 0.0, 0.199]]
    if client.collection_exists(name):
        client.delete_collection(name)
    client.create_collection(
        name,
        vectors_config={
            "image": models.VectorParams(size=3, distance=models.Distance.COSINE),
            "text": models.VectorParams(size=3, distance=models.Distance.DOT),
        },
    )
    client.upsert(
        name,
        points=[models.PointStruct(id=p, vector={"image": v, "text": v}, payload={"sample_id": f"u{k}"})
                for k, (p, v) in enumerate(zip(ids, e))],
        wait=True,
    )
    # The panel sends UUIDs as Qdrant writes them; upper case is read as the same point.
    row = {"point_ids": [p.upper() for p in ids], "sample_ids": ["u0", "u1", "u2"], "collection": name,
           "scan_id": "scan-u", "threshold": 0.9}
    plan = nd.plan([row], client=client)
    assert plan.keep.point_ids == [min(ids)]  # the first UUID
    assert ids[0].upper() in plan.drop and "u0" in plan.drop
    with pytest.raises(ValueError, match="has 2 dense vectors \\('image', 'text'\\): pass vector="):
        nd.plan([row], keep="central", client=client)
    plan = nd.plan([row], keep="central", vector="image", client=client)
    assert plan.keep.point_ids == [ids[0]]  # the first vector is closest to both others
    assert plan.tag().written == 3
    assert {p.payload["near_duplicate"]["keep"] for p in client.retrieve(name, ids=ids)} == {True, False}
    assert plan.untag().written == 3


def test_one_clicked_group_as_a_plan(sent, client):
    from jupyterlab_near_duplicates.messages import read_group

    clicked = read_group(nd.groups()[2])  # a Selection, as nd.selection holds after a click
    plan = nd.plan(clicked, prefer_split=["val"], client=client)
    assert plan.keep.point_ids == [32] and plan.drop.point_ids == [30, 31, 33]
