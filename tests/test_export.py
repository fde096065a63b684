"""nd.export() / plan.export(): one row per group member with the plan's decision and exact
scores, and a manifest beside it; round trips through CSV, JSON Lines and Parquet on the real
embedded backend, and a failed write that leaves no half file."""

from __future__ import annotations

import csv
import datetime
import json
import os
import sys

import pytest
from plan_fixtures import BACKGROUND, COLLECTION, GROUPS, MEMBERS, THRESHOLD, sent_rows, vectors

import jupyterlab_near_duplicates as nd
from jupyterlab_near_duplicates.export_files import COLUMNS

ALL = sum(len(g) for g in GROUPS)
WEAKEST = {0: 0.98, 1: 0.97, 2: 0.95}


def read_manifest(path) -> dict:
    return json.loads(open(path, encoding="utf-8").read())


def test_csv_round_trip_with_its_manifest(sent, client, tmp_path):
    target = tmp_path / "duplicates.csv"
    written = nd.export(target, client=client, prefer_split=["test", "train"])
    assert written == str(tmp_path / "duplicates.manifest.json")
    assert sorted(os.listdir(tmp_path)) == ["duplicates.csv", "duplicates.manifest.json"]  # no temporary left
    with open(target, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == COLUMNS
        rows = list(reader)
    assert [int(r["point_id"]) for r in rows] == [p for g in GROUPS for p in g]
    assert [r["point_id"] for r in rows if r["action"] == "keep"] == ["12", "20", "31"]  # the test copies
    assert {r["split"] for r in rows if r["action"] == "drop"} == {"train", "val"}
    for r in rows:
        assert float(r["weakest_link"]) == pytest.approx(WEAKEST[int(r["group"])], abs=1e-5)
        assert r["sample_id"] == f"s{r['point_id']}" and r["split"] == MEMBERS[int(r["point_id"])][0]
    best = {r["point_id"]: float(r["best_score"]) for r in rows}
    assert best["10"] == pytest.approx(0.98, abs=1e-5) and best["12"] == pytest.approx(0.98, abs=1e-5)
    assert best["30"] == pytest.approx(1.0, abs=1e-5) and best["32"] == pytest.approx(0.95, abs=1e-5)

    m = read_manifest(written)
    assert m["file"] == "duplicates.csv" and m["format"] == "csv" and m["rows"] == ALL
    assert (m["collection"], m["vector"], m["distance"], m["threshold"]) == (COLLECTION, "", "Cosine", THRESHOLD)
    assert m["scan_id"] == "scan-1" and m["points_scanned"] == len(MEMBERS) + len(BACKGROUND)
    assert m["extension_version"] == nd.__version__
    assert m["plan"]["rules"] == [["split", ["test", "train"]], ["first"]]
    assert m["plan"]["keep"] == 3 and m["plan"]["drop"] == 6
    age = datetime.datetime.now(datetime.timezone.utc) - datetime.datetime.fromisoformat(m["time"])
    assert datetime.timedelta(0) <= age < datetime.timedelta(minutes=5)


def test_jsonl_round_trip_keeps_types_pins_and_false_groups(sent, client, tmp_path):
    plan = nd.plan(client=client).pin(11).not_duplicates(1)
    manifest = plan.export(tmp_path / "plan.jsonl")
    rows = [json.loads(line) for line in open(tmp_path / "plan.jsonl", encoding="utf-8")]
    assert [r["point_id"] for r in rows] == [p for g in GROUPS for p in g]  # integers stay integers
    action = {r["point_id"]: r["action"] for r in rows}
    assert action == {10: "drop", 11: "keep", 12: "drop", 20: "not_duplicates", 21: "not_duplicates",
                      30: "keep", 31: "drop", 32: "drop", 33: "drop"}
    m = read_manifest(manifest)
    assert m["format"] == "jsonl" and m["plan"]["pins"] == {"0": 11} and m["plan"]["not_duplicates"] == [1]
    assert m["plan"]["keep"] == 2 and m["plan"]["drop"] == 5


def test_parquet_round_trip(sent, client, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet", reason="Parquet export needs pyarrow (the parquet extra)")
    nd.export(tmp_path / "plan.parquet", client=client, keep=("max", "width"))
    table = pq.read_table(tmp_path / "plan.parquet").to_pylist()
    assert [r["point_id"] for r in table] == [p for g in GROUPS for p in g]
    assert [r["point_id"] for r in table if r["action"] == "keep"] == [10, 21, 30]
    assert list(table[0]) == COLUMNS
    assert read_manifest(tmp_path / "plan.manifest.json")["format"] == "parquet"


def test_parquet_without_pyarrow_says_what_to_install(sent, client, tmp_path, monkeypatch):
    for name in ("pyarrow", "pyarrow.parquet"):
        monkeypatch.setitem(sys.modules, name, None)  # as in a kernel without pyarrow: import fails
    with pytest.raises(ImportError, match="format='parquet' needs pyarrow.*pip install pyarrow.*format='csv' or 'jsonl'"):
        nd.export(tmp_path / "plan.parquet", client=client)
    assert os.listdir(tmp_path) == []


def test_a_failed_write_leaves_the_previous_file_and_no_half_file(sent, client, tmp_path):
    target = tmp_path / "plan.csv"
    nd.export(target, client=client)
    before = target.read_bytes()
    rows = sent_rows(vectors())
    rows[2]["sample_ids"][3] = "s33-\ud800"  # a lone surrogate: UTF-8 cannot encode it, mid-file
    with pytest.raises(UnicodeEncodeError):
        nd.export(target, groups=rows, client=client)
    assert target.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["plan.csv", "plan.manifest.json"]


def test_format_from_the_extension_and_bad_format(sent, client, tmp_path):
    nd.export(tmp_path / "plan.ndjson", client=client)
    assert read_manifest(tmp_path / "plan.manifest.json")["format"] == "jsonl"
    with pytest.raises(ValueError, match="format must be one of 'csv', 'jsonl', 'parquet', not 'xlsx'"):
        nd.export(tmp_path / "plan.xlsx", format="xlsx", client=client)
    with pytest.raises(ValueError, match="either plan=... or the groups and rules"):
        nd.export(tmp_path / "x.csv", plan=nd.plan(client=client), keep="central")
