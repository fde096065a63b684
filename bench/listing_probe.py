"""Where the embedded backend's listing time goes, in CPU seconds (steady when other work shares
the cores, unlike wall time): every id with three payload fields, pages of 1000 as the scan
lists, in-process through the backend's own Collection.scroll on collections of growing N.

    .venv/bin/python bench/listing_probe.py [--sizes 10000,50000,200000] [--index]

For each N: CPU per page of the engine's scroll alone, of the whole Collection.scroll (the
engine plus turning its records into dicts), and of the same pages once JSON-encoded as the REST
app does, by position of the page (first, middle and last tenth: does a later offset cost
more?), then a cProfile of one full listing. ``--index`` builds the HNSW index first (slow).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import tempfile
import time

import numpy as np

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(BENCH))
sys.path.insert(0, BENCH)

from data import make_dataset  # noqa: E402

from jupyterlab_near_duplicates.embedded.store import Store  # noqa: E402

FIELDS = ["sample_id", "thumbnail", "split"]


def listing(coll, encode: bool = False) -> list[float]:
    """CPU seconds of each page of one full listing."""
    per_page = []
    offset = None
    while True:
        c0 = time.process_time()
        page = coll.scroll({"limit": 1000, "offset": offset, "with_payload": FIELDS, "with_vector": False})
        if encode:
            json.dumps({"result": page, "status": "ok"}, separators=(",", ":"), ensure_ascii=False).encode()
        per_page.append(time.process_time() - c0)
        offset = page["next_page_offset"]
        if offset is None or not page["points"]:
            return per_page


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,50000,200000")
    ap.add_argument("--index", action="store_true")
    args = ap.parse_args()
    rows = []
    for n in [int(s) for s in args.sizes.split(",")]:
        X, payloads, _ = make_dataset(n, 256, 0)
        with tempfile.TemporaryDirectory(prefix="nd-listing-") as tmp:
            store = Store(tmp)
            store.create_collection("bench", {"vectors": {"size": 256, "distance": "Cosine"}})
            coll = store.get("bench")
            for s in range(0, n, 5000):
                coll.upsert({"batch": {"ids": list(range(s, min(n, s + 5000))),
                                       "vectors": X[s:s + 5000].astype(np.float64).tolist(),
                                       "payloads": payloads[s:s + 5000]}})
            if args.index:
                coll.optimize_now()
            del X
            pages = listing(coll)
            encoded = listing(coll, encode=True)
            tenth = max(1, len(pages) // 10)
            prof = cProfile.Profile()
            prof.enable()
            listing(coll)
            prof.disable()
            st = pstats.Stats(prof)
            top = sorted(((v[2], f"{os.path.basename(k[0])}:{k[1]}({k[2]})") for k, v in st.stats.items()),  # type: ignore[attr-defined]
                         reverse=True)[:5]
            engine = sum(v[2] for k, v in st.stats.items() if "scroll' of" in k[2])  # type: ignore[attr-defined]
            total = sum(v[2] for v in st.stats.values())  # type: ignore[attr-defined]
            row = {"n": n, "pages": len(pages), "cpu_s": round(sum(pages), 3),
                   "points_per_cpu_s": round(n / sum(pages)), "with_json_points_per_cpu_s": round(n / sum(encoded)),
                   "page_ms_first_tenth": round(1000 * float(np.mean(pages[:tenth])), 2),
                   "page_ms_middle_tenth": round(1000 * float(np.mean(pages[len(pages) // 2:len(pages) // 2 + tenth])), 2),
                   "page_ms_last_tenth": round(1000 * float(np.mean(pages[-tenth:])), 2),
                   "engine_share": round(engine / total, 3) if total else None,
                   "top": [{"tottime_s": round(t, 3), "function": f} for t, f in top],
                   "segments": coll.info().get("segments_count") if hasattr(coll, "info") else None}
            store.close()
        rows.append(row)
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
