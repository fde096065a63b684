"""The kernel's side of what the panel and the kernel share after the groups
(tests/fixtures/after_scan.json; src/__tests__/afterScan.spec.ts checks the panel's side):
the tag plan.tag() writes, read back by the panel's own scan code on the real embedded
backend, and the export's columns, manifest and CSV cells."""

from __future__ import annotations

import csv
import io
import json
import os

from plan_fixtures import COLLECTION, GROUPS

import jupyterlab_near_duplicates as nd
from jupyterlab_near_duplicates import export_files, tagging

RULES = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "after_scan.json"), encoding="utf-8"))
TAG = RULES["tag"]
EXPORT = RULES["export"]


def test_the_tag_has_the_keys_and_field_the_panel_reads(sent, client):
    plan = nd.plan(client=client)
    assert tagging.DEFAULT_FIELD == TAG["field"]
    report = plan.tag(dry_run=True)
    assert report.values and all(sorted(v) == sorted(TAG["keys"]) for v in report.values.values())


def test_a_later_scan_reads_the_tags_plan_tag_wrote(sent, client, backend, bundle):
    """The panel's scan code (bundled for Node) lists the points after plan.tag(): each
    member carries its tag, keep as the plan decided; points outside the groups carry none."""
    import scan_harness as sh

    plan = nd.plan(prefer_split=["test", "train"], client=client)
    plan.tag()
    try:
        out = sh.run_scan(bundle, "ours", backend.url, backend.api_key, COLLECTION, 0.9, timeout=120,
                          sampleIdField="sample_id", splitField="split", reviewField=TAG["field"], auditPoints=0)
        reviews = dict(zip(out["ids"], out["reviews"]))
        members = {p for g in GROUPS for p in g}
        assert {p for p, r in reviews.items() if r} == members
        for p in members:
            assert reviews[p]["scan"] == "scan-1"
            assert reviews[p]["keep"] == (p in plan.keep)
            assert reviews[p]["group"] == plan.group_of(p)
        assert sum(1 for p in members if reviews[p]["keep"]) == len(GROUPS)
        # without the field asked for, nothing of it is read
        plain = sh.run_scan(bundle, "ours", backend.url, backend.api_key, COLLECTION, 0.9, timeout=120, auditPoints=0)
        assert plain["reviews"] is None
    finally:
        plan.untag()


def test_export_columns_and_manifest_keys_are_the_shared_ones(sent, client, tmp_path):
    assert export_files.COLUMNS == EXPORT["columns"]
    assert list(export_files.FORMATS) == EXPORT["formats"]
    plan = nd.plan(client=client).not_duplicates(2)
    path = tmp_path / "groups.csv"
    manifest_path = plan.export(str(path))
    assert manifest_path == str(tmp_path / ("groups" + EXPORT["manifest_suffix"]))
    manifest = json.load(open(manifest_path, encoding="utf-8"))
    assert list(manifest) == EXPORT["manifest_keys"]
    assert list(manifest["plan"]) == EXPORT["manifest_plan_keys"]
    rows = list(csv.DictReader(open(path, encoding="utf-8", newline="")))
    assert list(rows[0]) == EXPORT["columns"]
    assert {r["action"] for r in rows} == set(EXPORT["actions"])


def test_csv_cells_are_escaped_as_the_panel_escapes_them():
    for case in EXPORT["csv_cells"]:
        f = io.StringIO()
        csv.writer(f).writerow([export_files.csv_cell(case["value"]), "x"])
        assert f.getvalue() == case["cell"] + ",x\r\n", case
