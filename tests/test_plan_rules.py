"""The keep-one rules against the cases the panel must agree on (tests/fixtures/rules.json,
'keep_plan'; src/__tests__/plan.spec.ts checks src/plan.ts on the same cases): which member each
rule keeps, the tie-breaks, pins and groups marked not duplicates, the counts per split, and
the words of a refused rule. A fake client and the fixture's score matrices stand in for the
collection (DOM-free ranking only; tests/test_plan.py runs nd.plan on the embedded backend)."""

from __future__ import annotations

import json
import math
import os
from types import SimpleNamespace

import numpy as np
import pytest

from jupyterlab_near_duplicates import planning
from jupyterlab_near_duplicates.members import Group, Scan, matrix_scores, point_key

RULES_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "rules.json")
with open(RULES_FILE, encoding="utf-8") as f:
    PLAN = json.load(f)["keep_plan"]

POINTS = PLAN["points"]
IDS = [point_key(p["id"]) for p in POINTS]


def fixture_scan() -> Scan:
    groups = [
        Group(k, [IDS[m] for m in members], [f"s{IDS[m]}" for m in members], [math.nan] * len(members))
        for k, members in enumerate(PLAN["groups"])
    ]
    return Scan(groups, "fixture", threshold=PLAN["floor"], distance=PLAN["distance"])


def payloads() -> dict:
    out = {}
    for p in POINTS:
        payload = dict(p["payload"])
        if p["split"] is not None:
            payload[PLAN["split_field"]] = p["split"]
        out[point_key(p["id"])] = payload
    return out


class FakeCountClient:
    """Answers count() from the fixture's points, as Qdrant would (a fake: no collection)."""

    def count(self, collection, count_filter=None, exact=True):
        if count_filter is None:
            return SimpleNamespace(count=len(POINTS))
        value = count_filter.must[0].match.value
        return SimpleNamespace(count=sum(p["split"] == value for p in POINTS))


class FixturePlan(planning.Plan):
    """A Plan whose scores inside a group come from the fixture's pairs, not from vectors."""

    def _read_vectors(self) -> None:
        score = {}
        for a, b, s in PLAN["pairs"]:
            score[a, b] = score[b, a] = s
        for g, members in zip(self.scan.groups, PLAN["groups"]):
            m = np.array([[1.0 if a == b else score.get((a, b), PLAN["floor"]) for b in members] for a in members])
            self._scores[g.index] = matrix_scores(m, self.distance)


def build(case) -> planning.Plan:
    rules = [planning._rule(r if isinstance(r, str) else tuple(r)) for r in case["rules"]]
    rules = [r for r in rules if r[0] != "first"] + [("first",)]
    scan = fixture_scan()
    loaded = payloads()
    for r in rules:
        if r[0] in ("max", "min"):
            planning._check_field(scan, loaded, r[1], "last", r)
    plan = FixturePlan(scan, rules, PLAN["split_field"], FakeCountClient(), "", PLAN["distance"], loaded, "last")
    for group, point_id in (case.get("pins") or {}).items():
        plan.pin(point_id)
        assert plan.group_of(point_id) == int(group)
    for group in case.get("not_duplicates") or []:
        plan.not_duplicates(group)
    return plan


CASES = [c for c in PLAN["cases"] if "keepers" in c]
PROBLEMS = [c for c in PLAN["cases"] if "problem" in c]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["case"])
def test_keepers_match_the_shared_cases(case):
    plan = build(case)
    left_out = set(case.get("not_duplicates") or [])
    got = [None if g.index in left_out else plan.keeper(g.index) for g in plan.scan.groups]
    assert got == [None if k is None else point_key(k) for k in case["keepers"]]
    # keep and drop are exactly the keepers and the rest of each group in the plan
    kept = [k for k in got if k is not None]
    assert plan.keep.point_ids == kept
    assert sorted(map(str, plan.drop.point_ids)) == sorted(
        str(p) for g in plan.groups for p in g.point_ids if p not in kept
    )


@pytest.mark.parametrize("case", [c for c in CASES if "counts" in c], ids=lambda c: c["case"])
def test_counts_and_headline_match_the_shared_cases(case):
    plan = build(case)
    expected = case["counts"]
    with_points = plan.counts()
    assert (with_points["keep"], with_points["drop"], with_points["points"]) == (
        expected["keep"],
        expected["drop"],
        expected["points"],
    )
    rows = [{"split": s, **row} for s, row in with_points["splits"].items()]
    assert rows == expected["splits"]
    assert plan.summary().splitlines()[0] == expected["headline"]
    left = expected["left_out"]
    if left["groups"]:
        assert f"left out: {left['groups']} group(s) marked not duplicates ({left['samples']} samples)" in plan.summary()


@pytest.mark.parametrize("case", PROBLEMS, ids=lambda c: c["case"])
def test_a_refused_rule_says_why(case):
    with pytest.raises(ValueError) as info:
        build(case)
    for words in case["problem"]:
        assert words in str(info.value)


@pytest.mark.parametrize("case", PLAN["group_ids"], ids=lambda c: c["id"])
def test_a_group_is_named_as_the_panel_names_it(case):
    assert planning.group_id(case["point_ids"]) == case["id"]
    assert planning.group_id(list(reversed(case["point_ids"]))) == case["id"]
    # the kernel holds ids beyond 2^53 as integers, the panel as their digits
    assert planning.group_id([int(p) if str(p).isdigit() else p for p in case["point_ids"]]) == case["id"]
