"""The Python rules against the cases both languages must agree on (tests/fixtures/rules.json,
also checked on the TypeScript side by src/__tests__/rules.spec.ts): score direction, what
passes a threshold, which threshold is stricter, and a collection's description."""

from __future__ import annotations

import importlib
import json
import os

import pytest

from jupyterlab_near_duplicates import metric
from jupyterlab_near_duplicates.collection_info import describe_collection
from jupyterlab_near_duplicates.selection import Selection

RULES_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "rules.json")
with open(RULES_FILE, encoding="utf-8") as f:
    RULES = json.load(f)

METRICS = {entry["distance"]: entry for entry in RULES["metric"]}


def test_every_distance_qdrant_has_is_covered():
    assert sorted(METRICS) == sorted(metric.DISTANCES)


@pytest.mark.parametrize("distance", sorted(METRICS))
def test_score_direction(distance):
    expected = METRICS[distance]["higher_is_better"]
    assert metric.higher_is_better(distance) is expected
    # what a notebook user reads on a clicked group
    kind, op = metric.threshold_words(distance)
    assert (kind, op) == (("similarity", ">") if expected else ("distance", "<"))
    assert f"{kind} {op} 0.5" in repr(Selection(["a"], threshold=0.5, distance=distance))
    assert Selection(["a"], distance=distance).is_similarity is expected


@pytest.mark.parametrize("distance", sorted(METRICS))
def test_what_passes_a_threshold(distance):
    for score, threshold, expected in METRICS[distance]["passes"]:
        assert metric.passes(score, threshold, distance) is expected, (score, threshold)


@pytest.mark.parametrize("distance", sorted(METRICS))
def test_which_threshold_is_stricter(distance):
    for a, b, expected in METRICS[distance]["is_stricter"]:
        assert metric.is_stricter(a, b, distance) is expected, (a, b)


@pytest.mark.parametrize("case", RULES["vector_choice"], ids=lambda case: case["case"])
def test_a_collection_is_described_as_the_panel_expects(case):
    # The vector a scan uses is chosen in the browser (src/scan/collection.ts) from this
    # description; the Jupyter server only describes (the backend route).
    assert describe_collection(case["info"]) == case["description"]


def test_the_kernel_reads_every_message_the_panel_sends():
    # The panel's side lists the comm messages it sends ({name, message}); the kernel must
    # read each and answer with an ack, in order on one comm (a commit joins the parts
    # sent before it).
    from jupyterlab_near_duplicates.comm import Channel

    selection = importlib.import_module("jupyterlab_near_duplicates.selection")  # the module, not nd.selection

    panel_types = ("select", "groups", "part", "commit", "plan")
    cases = [c for c in RULES.get("comm_protocol") or [] if (c.get("message") or {}).get("type") in panel_types]
    if not cases:
        pytest.skip("tests/fixtures/rules.json lists no panel-to-kernel comm messages yet")
    channel = Channel()
    try:
        for case in cases:
            reply = channel.handle(case["message"])
            assert reply["type"] == "ack", (case["name"], reply)
            assert reply["of"] == case["message"]["type"] or case["message"]["type"] == "commit", case["name"]
    finally:
        selection._reset()
