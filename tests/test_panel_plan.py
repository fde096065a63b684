"""nd.plan() with no arguments is the panel's plan: the "plan" message the panel sends after
"Send all groups" (and again when the plan changes) reaches the kernel over the comm's own
reader (comm.Channel), and nd.plan() then keeps what the panel shows, on the real embedded
backend with the groups as the panel sends them (plan_fixtures)."""

from __future__ import annotations

import warnings

import pytest
from plan_fixtures import GROUPS

import jupyterlab_near_duplicates as nd
from jupyterlab_near_duplicates.comm import Channel
from jupyterlab_near_duplicates.planning import group_id


def send_plan(rules, keepers, pinned=(), scan_id="scan-1", problem=None, ids=None) -> dict:
    """The panel's plan message for plan_fixtures' groups: keepers per group (None: not duplicates)."""
    message = {
        "type": "plan",
        "seq": 7,
        "scan_id": scan_id,
        "collection": "plan-groups",
        "rules": rules,
        "split_field": "split",
        "problem": problem,
        "groups": [
            {"id": (ids or {}).get(k, group_id(members)), "keeper": keeper, "pinned": k in pinned}
            for k, (members, keeper) in enumerate(zip(GROUPS, keepers))
        ]
        if problem is None
        else [],
    }
    reply = Channel().handle(message)
    assert reply == {"type": "ack", "seq": 7, "of": "plan", "grids": 0, "callback_errors": []}
    return message


def keepers(plan) -> list:
    return [plan.keeper(g.index) for g in plan.groups]


def test_the_panels_plan_is_nd_plan_with_no_arguments(sent, client):
    # The panel: highest width then split order, group 0 pinned to 12, group 1 marked not duplicates.
    send_plan([["max", "width"], ["split", ["test", "train"]], "first"], [12, None, 31], pinned={0})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the panel and the kernel agree: nothing to warn about
        plan = nd.plan(client=client)
    assert plan.from_panel
    assert plan.rules == [("max", "width"), ("split", ["test", "train"]), ("first",)]
    assert [g.index for g in plan.groups] == [0, 2]
    assert keepers(plan) == [12, 31]
    # the same keep/drop as the kernel's own rules with the same pin and mark
    own = nd.plan(keep=[("max", "width"), ("split", ["test", "train"])], client=client).pin(12).not_duplicates(1)
    assert (plan.keep.point_ids, plan.drop.point_ids) == (own.keep.point_ids, own.drop.point_ids)
    assert plan.summary().splitlines()[-1] == "  rules: highest width, split test > train, first point id; 1 pinned"
    assert "left out: 1 group(s) marked not duplicates (2 samples)" in plan.summary()


def test_rules_given_here_rank_here(sent, client):
    send_plan(["central", "first"], [11, 20, 30])
    assert keepers(nd.plan(keep="first", client=client)) == [10, 20, 30]
    assert not nd.plan(keep="first", client=client).from_panel


def test_the_panels_keeper_wins_where_it_differs_and_says_so(sent, client):
    # e.g. 'most central' ranked from the kept pairs in the panel: 33 kept in group 2 by the panel
    send_plan(["central", "first"], [11, 20, 33])
    with pytest.warns(UserWarning, match="In 1 group\\(s\\) the panel keeps another member"):
        plan = nd.plan(client=client)
    assert keepers(plan) == [11, 20, 33]


def test_a_plan_for_other_groups_says_send_all_groups_again(sent, client):
    send_plan(["first"], [10, 20, 30], ids={1: group_id([20, 21, 99])})
    with pytest.warns(UserWarning, match="names 1 group\\(s\\) that nd.groups\\(\\) does not hold.*'Send all groups' again"):
        plan = nd.plan(client=client)
    assert keepers(plan) == [10, 20, 30]


def test_a_plan_of_another_scan_is_not_used(sent, client):
    send_plan(["central", "first"], [11, 20, 30], scan_id="scan-0")
    assert keepers(nd.plan(client=client)) == [10, 20, 30]  # "first": the plan is for other groups


def test_the_panels_problem_is_said_here(sent, client):
    send_plan(["min", "res"], [], problem="Rule “lowest res”: the field “res” holds numbers; strings.")
    with pytest.raises(ValueError, match="The panel has no keep-one plan for these groups: Rule “lowest res”"):
        nd.plan(client=client)


def test_a_bad_plan_message_is_answered_with_what_is_wrong():
    reply = Channel().handle({"type": "plan", "seq": 3, "rules": ["first"], "groups": [{"id": "2-a", "keeper": 1, "pinned": "yes"}]})
    assert reply == {"type": "error", "seq": 3, "message": "groups[0].pinned must be a boolean, not a string"}
