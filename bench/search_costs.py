"""The engine's time for each kind of search in a recording of ours' requests (floor_every.py
--keep-recording): a random sample of each kind, replayed in process on a copy of the
collection, in batches of 50. Prints the milliseconds per search and the total each kind
would take.

    .venv/bin/python bench/search_costs.py DATA_DIR RECORDING [--per-kind 300]

Kinds: by vector (the sure route's first page), by id, exact over the whole collection (the
sure route's search for a point the index cannot reach, covers), exact with a has_id filter
(checks, balls).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import tempfile
import time

import common

from jupyterlab_near_duplicates.embedded.store import Store


def kind_of(search: dict) -> str:
    params = search.get("params") or {}
    by = "by vector" if isinstance(search["query"], list) else "by id"
    if not params.get("exact"):
        return by
    return f"exact {by}, " + ("has_id filter" if search.get("filter") else "whole collection")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data_dir")
    ap.add_argument("recording")
    ap.add_argument("--per-kind", type=int, default=300)
    args = ap.parse_args()
    kinds: dict[str, list] = {}
    with open(args.recording, encoding="utf-8") as f:
        for line in f:
            req = json.loads(line)
            if req["op"] == "queryBatch":
                for search in req["body"]["searches"]:
                    kinds.setdefault(kind_of(search), []).append(search)
    work = tempfile.mkdtemp(prefix="nd-search-costs-")
    shutil.copytree(os.path.join(args.data_dir, "collections"), os.path.join(work, "collections"))
    store = Store(work)
    rng = random.Random(0)
    try:
        coll = store.get(common.COLLECTION)
        for kind, searches in sorted(kinds.items()):
            sample = rng.sample(searches, min(args.per_kind, len(searches)))
            t0 = time.perf_counter()
            for i in range(0, len(sample), 50):
                coll.query_batch({"searches": sample[i : i + 50]})
            each = (time.perf_counter() - t0) / len(sample)
            common.log(f"{kind}: {len(searches):,} searches, {each * 1000:.2f} ms each, {each * len(searches):.0f} s in all")
    finally:
        store.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
