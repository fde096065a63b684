"""The scan benchmark: ours vs the seed plan vs the backend's own floor vs exact truth.

    .venv/bin/python bench/run.py                       # N = 10k and 50k, d = 256 (~6 min)
    .venv/bin/python bench/run.py --sizes 10000,50000,100000
    .venv/bin/python bench/run.py --sizes 50000 --sweep # also tries batch / in-flight / limit
    .venv/bin/python bench/run.py --peers               # issue 16: beside the peers, 10k to 200k (bench/scale.py)

For each N it builds a synthetic collection in a fresh embedded backend (planted clusters of
near-duplicates of sizes 2 to 200, exact copies included, among topical background points),
then on that same collection:

* ours  - the worker's scan code (src/scan, bundled by bench/build.mjs) in Node, with the
          official @qdrant/js-client-rest, through the backend's REST API (URL + key);
* seed  - the seed plan in Node with the same client: scroll every point with its vector,
          one `query` per point with that vector, limit 10 and score_threshold, one request
          at a time, union-find;
* floor - the requests ours makes (scroll pages of ids; by-id query batches with the same
          limit, batch size and paging) answered in-process by the backend's Store over Qdrant
          Edge, with no HTTP and no JSON: the fastest this backend can answer them;
* truth - numpy brute force over the stored vectors: every pair past the threshold (strict)
          and their connected components.

It prints a table and writes bench/results/latest.json. Nothing is asserted: it reports.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any

import numpy as np

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
sys.path.insert(0, ROOT)
sys.path.insert(0, BENCH)

import scan_harness as sh  # noqa: E402
from common import COLLECTION, FIELDS, log, scan, scan_options  # noqa: E402,F401  (tests import FIELDS from here)
from data import _unit, cluster_sizes, make_dataset  # noqa: E402,F401  (tests import them from here)
from floor import floor_replay, stored_vectors  # noqa: E402
from report import table, targets  # noqa: E402
from server_rows import audit_row, audit_table, run_server  # noqa: E402

from jupyterlab_near_duplicates.embedded import EmbeddedBackend  # noqa: E402


def run_size(n: int, args: argparse.Namespace, bundle: str, workdir: str) -> dict:
    d = args.dim
    t = args.threshold
    log(f"\n== N = {n}, d = {d}, Cosine, threshold {t}")
    X, payloads, info = make_dataset(n, d, seed=args.seed)
    log(
        f"data: {info['clusters']} planted clusters ({info['clustered_points']} points, largest "
        f"{info['largest']}; kinds {info['kinds']}), {n - info['clustered_points']} background points"
    )
    data_dir = os.path.join(workdir, f"n{n}")
    backend = EmbeddedBackend(data_dir)
    row: dict[str, Any] = {"n": n, "d": d, "threshold": t}
    extra: dict[str, Any] = {"dataset": info}
    try:
        url, key = backend.ensure_running()
        rest = sh.Rest(url, key)
        rest.create_collection(COLLECTION, d, "Cosine")
        t0 = time.perf_counter()
        rest.upsert(COLLECTION, np.arange(n), X, payloads, batch=args.upsert_batch)
        extra["upload_s"] = round(time.perf_counter() - t0, 2)
        extra["index_build_s"] = round(rest.build_index(COLLECTION, 0), 2)
        info = rest.call("GET", f"/collections/{COLLECTION}")
        rest.close()
        log(
            f"upload {extra['upload_s']} s; index build {extra['index_build_s']} s "
            f"({info['indexed_vectors_count']}/{info['points_count']} vectors indexed, {info['segments_count']} segments)"
        )
        # The floor's copy of the same points: the collection's files, copied while the
        # backend is idle (indexed, settled and flushed), opened in this process.
        from jupyterlab_near_duplicates.embedded.store import Store

        floor_dir = os.path.join(workdir, f"n{n}-floor")
        shutil.copytree(os.path.join(data_dir, "collections"), os.path.join(floor_dir, "collections"))
        store = Store(floor_dir)
        try:
            coll = store.get(COLLECTION)
            if coll.dirty:  # a small collection: the in-process check a query/batch would do first
                getattr(coll, "optimize_now", coll.optimize)()

            # ours and the floor back to back, so both see the same load on the machine
            ours_runs, floor_runs = [], []
            recording = os.path.join(workdir, f"requests-{n}.ndjson")
            for k in range(args.repeat):
                record = {"recordPath": recording} if k == 0 else {}
                ours = scan(
                    backend, bundle, "ours", t, node_args=tuple(shlex.split(args.ours_node_args)), **scan_options(args), **record
                )
                ours_runs.append(ours)
                log(
                    f"ours: {ours['seconds']:.2f} s ({ours['stats']['queries']} queries in "
                    f"{ours['stats']['requests']} requests; CPU: backend {ours['server_cpu_s']:.1f} s, Node "
                    f"{ours['cpu_s']:.1f} s), peak RSS {ours['peak_rss_mb']:.0f} MB (baseline "
                    f"{ours['baseline_rss_mb']:.0f} MB), {len(ours['pairs']['a'])} pairs; load {ours['load_before']:.1f}"
                )
                floor = floor_replay(coll, recording)
                floor_runs.append(floor)
                log(
                    f"floor: {floor['seconds']:.2f} s in the Store ({floor['engine_seconds']:.2f} s inside the engine; "
                    f"CPU {floor['cpu_seconds']:.1f} s; load {floor['load_before']:.1f}) for the same "
                    f"{floor['requests']} requests ({floor['queries']} queries), {len(floor['pairs']['a'])} pairs"
                )
            ours = min(ours_runs, key=lambda o: o["seconds"])
            floor = min(floor_runs, key=lambda o: o["seconds"])
            # The scan before issue 12 (no audit, by-id only), back to back with ours.
            before = [
                scan(backend, bundle, "ours", t, **scan_options(args), cure="never", auditPoints=0)
                for _ in range(args.repeat)
            ]
            extra["before_audit_runs"] = before

            if args.sweep:
                extra["sweep"] = run_sweep(backend, bundle, args)

            if args.no_seed:
                seed = None
            else:
                seed = scan(backend, bundle, "seed", t, seedLimit=10)
                log(
                    f"seed: {seed['seconds']:.2f} s ({seed['stats']['queries']} queries; CPU: backend "
                    f"{seed['server_cpu_s']:.1f} s, Node {seed['cpu_s']:.1f} s), peak RSS {seed['peak_rss_mb']:.0f} MB "
                    f"(baseline {seed['baseline_rss_mb']:.0f} MB), {len(seed['pairs']['a'])} pairs; load "
                    f"{seed['load_before']:.1f}"
                )
            t0 = time.perf_counter()
            ids, V = stored_vectors(coll)
        finally:
            store.close()
    finally:
        backend.stop()

    index_of = {p: k for k, p in enumerate(ids)}
    truth = sh.exact_pairs(V, t, "Cosine")
    layout = f"{info['segments_count']} segment(s), index built once over all points"
    audit_rows = [audit_row("embedded", n, "default (audit + cure auto)", o, truth, o["load_before"], layout, index_of)
                  for o in ours_runs]
    audit_rows += [audit_row("embedded", n, "by-id pass only (the scan before issue 12)", o, truth, o["load_before"],
                             layout, index_of) for o in extra.pop("before_audit_runs")]
    extra["audit_rows"] = audit_rows
    extra["truth_s"] = round(time.perf_counter() - t0, 2)
    del V
    c_ours = sh.compare(ours, truth, index_of)
    c_floor = sh.compare(floor, truth, index_of)
    log(
        f"truth: {len(truth.i)} pairs, {len(truth.groups())} groups ({len(truth.borderline)} borderline pairs within "
        f"{sh.COSINE_EPS} of the threshold, not counted) in {extra['truth_s']} s"
    )
    log(f"ours vs truth: recall {c_ours.recall:.6f}, precision {c_ours.precision:.6f}, "
        f"{len(c_ours.missed)} missed, {len(c_ours.extra)} extra, groups exact {c_ours.groups_exact}/{c_ours.truth_groups}")

    row.update(
        ours_s=round(ours["seconds"], 3),
        seed_s=round(seed["seconds"], 3) if seed else None,
        floor_s=round(floor["seconds"], 3),
        speedup_vs_seed=round(seed["seconds"] / ours["seconds"], 2) if seed else None,
        ratio_to_floor=round(ours["seconds"] / floor["seconds"], 3),
        pair_recall=round(c_ours.recall, 6),
        pair_precision=round(c_ours.precision, 6),
        groups_exact_pct=round(c_ours.groups_exact_pct, 2),
        ours_peak_mb=round(ours["peak_rss_mb"], 1),
        seed_peak_mb=round(seed["peak_rss_mb"], 1) if seed else None,
        ours_private_mb=_mb(ours.get("peak_private_mb")),
        seed_private_mb=_mb(seed.get("peak_private_mb")) if seed else None,
    )
    extra.update(
        ours_runs_s=[round(o["seconds"], 3) for o in ours_runs],
        floor_runs_s=[round(o["seconds"], 3) for o in floor_runs],
        ours_wall_s=round(ours["wall_s"], 3),
        ours_queries=ours["stats"]["queries"],
        ours_requests=ours["stats"]["requests"],
        ours_baseline_mb=round(ours["baseline_rss_mb"], 1),
        ours_heap_used_end_mb=round(ours["heap_used_mb"], 1),
        ours_baseline_private_mb=_mb(ours.get("baseline_private_mb")),
        ours_private_samples=ours.get("private_samples"),
        floor_engine_s=round(floor["engine_seconds"], 3),
        floor_cpu_s=round(floor["cpu_seconds"], 3),
        ours_server_cpu_s=round(ours["server_cpu_s"], 3),
        ours_node_cpu_s=round(ours["cpu_s"], 3),
        cpu_ratio_to_floor=round(ours["server_cpu_s"] / floor["cpu_seconds"], 3),
        load_avg={"ours": round(ours["load_before"], 2), "floor": round(floor["load_before"], 2)},
        floor_requests=floor["requests"],
        floor_recall=round(c_floor.recall, 6),
        truth_pairs=int(len(truth.i)),
        truth_groups=c_ours.truth_groups,
        borderline_pairs=c_ours.borderline,
        ours_pairs=c_ours.found_pairs,
        ours_missed=len(c_ours.missed),
        ours_extra=len(c_ours.extra),
        ours_missed_sample=[[ids[a], ids[b]] for a, b in c_ours.missed[:10]],
    )
    if seed:
        c_seed = sh.compare(seed, truth, index_of)
        extra.update(
            seed_wall_s=round(seed["wall_s"], 3),
            seed_server_cpu_s=round(seed["server_cpu_s"], 3),
            seed_node_cpu_s=round(seed["cpu_s"], 3),
            seed_load_before=round(seed["load_before"], 2),
            seed_baseline_mb=round(seed["baseline_rss_mb"], 1),
            seed_heap_used_end_mb=round(seed["heap_used_mb"], 1),
            seed_baseline_private_mb=_mb(seed.get("baseline_private_mb")),
            seed_after_listing_mb=round(seed["listed_rss_mb"], 1),
            seed_pair_recall=round(c_seed.recall, 6),
            seed_groups_exact_pct=round(c_seed.groups_exact_pct, 2),
            memory_ratio_seed_over_ours=round(seed["peak_rss_mb"] / ours["peak_rss_mb"], 2),
            scan_memory_ratio_seed_over_ours=round(
                (seed["peak_rss_mb"] - seed["baseline_rss_mb"]) / max(1e-9, ours["peak_rss_mb"] - ours["baseline_rss_mb"]), 2
            ),
        )
    row["details"] = extra
    return row


def run_regroup() -> dict:
    """Times src/scan/groups.ts's regroup on a million pairs in Node (bench/regroup.ts)."""
    out = os.path.join(BENCH, ".build", "regroup.cjs")
    node = sh.node_executable()
    subprocess.run([node, os.path.join(BENCH, "build.mjs"), "--entry", "regroup", "--outfile", out], cwd=ROOT, check=True,
                   capture_output=True, timeout=120)
    proc = subprocess.run([node, out], capture_output=True, text=True, timeout=600, check=True)
    return json.loads(proc.stdout)


def _mb(value: Any) -> float | None:
    return None if value is None else round(float(value), 1)


def run_sweep(backend: EmbeddedBackend, bundle: str, args: argparse.Namespace) -> list[dict]:
    sweep = []
    for bs, inf, lim in SWEEP:
        o = scan(backend, bundle, "ours", args.threshold, **scan_options(args, batchSize=bs, inFlight=inf, limit=lim))
        sweep.append({"batch_size": bs, "in_flight": inf, "limit": lim, "seconds": round(o["seconds"], 2),
                      "server_cpu_s": round(o["server_cpu_s"], 2), "node_cpu_s": round(o["cpu_s"], 2),
                      "queries": o["stats"]["queries"], "requests": o["stats"]["requests"],
                      "peak_mb": round(o["peak_rss_mb"], 1), "load": round(o["load_before"], 1)})
        log(f"  sweep batch {bs:4d} in-flight {inf} limit {lim:3d}: {o['seconds']:.2f} s "
            f"(backend CPU {o['server_cpu_s']:.1f} s, Node CPU {o['cpu_s']:.1f} s; {o['stats']['queries']} "
            f"queries, {o['stats']['requests']} requests; load {o['load_before']:.1f})")
    return sweep


SWEEP = [  # (batch size, requests in flight, limit)
    (64, 2, 32),
    (128, 2, 32),
    (256, 2, 32),
    (512, 2, 32),
    (256, 1, 32),
    (256, 3, 32),
    (256, 2, 16),
    (256, 2, 64),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default=None,
                    help="comma-separated N (default 10000,50000; with --peers 10000,50000,200000)")
    ap.add_argument("--dim", type=int, default=256)
    ap.add_argument("--threshold", type=float, default=0.95)
    ap.add_argument("--limit", type=int, default=None, help="ours: neighbours per query page (default: the scanner's)")
    ap.add_argument("--batch-size", type=int, default=None, help="ours: queries per request (default: the scanner's)")
    ap.add_argument("--in-flight", type=int, default=None, help="ours: requests in flight (default: the scanner's)")
    ap.add_argument("--hnsw-ef", type=int, default=None, help="ours and floor: hnsw_ef")
    ap.add_argument("--exact", action="store_true", help="ours and floor: exact search")
    ap.add_argument(
        "--variant",
        default=None,
        help="ours: the scanner with other scan policies (see bench/variants.json)",
    )
    ap.add_argument("--repeat", type=int, default=2, help="ours and floor, back to back, k times each; the fastest of each is reported")
    ap.add_argument("--no-seed", action="store_true", help="skip the seed algorithm (slow)")
    ap.add_argument(
        "--ours-node-args",
        default="",
        help="diagnostics: node options for ours' process only, e.g. '--max-semi-space-size=1' or "
        "'--expose-gc' (with ND_BENCH_FORCE_GC=1 in the environment: a full GC at every progress report)",
    )
    ap.add_argument("--sweep", action="store_true", help="also time ours over batch / in-flight / limit settings")
    ap.add_argument(
        "--backend", choices=("embedded", "server", "both"), default="both",
        help="embedded: the embedded backend (index built once); server: a real Qdrant server "
        "(../shared/qdrant, loaded in batches as users do; skipped, saying why, where absent); both (default)",
    )
    ap.add_argument("--server-exact", action="store_true", help="server: also a row with exact search (slow)")
    ap.add_argument("--seed", type=int, default=0, help="random seed of the data")
    ap.add_argument("--upsert-batch", type=int, default=5000)
    ap.add_argument("--data-dir", default=None, help="where the backends keep data (default: a temp dir, removed)")
    ap.add_argument("--out", default=os.path.join(BENCH, "results", "latest.json"))
    scale = ap.add_argument_group("issue 16: ours beside the peers at scale (bench/scale.py)")
    scale.add_argument("--peers", action="store_true",
                       help="run the scale benchmark instead: ours, floor, seed and the peers of bench/peers.py "
                       "(needs bench/setup-peers.sh) on the same vectors; writes latest.json's 'scale' and scale.png")
    scale.add_argument("--million", action="store_true", help="with --peers: also N = 1,000,000 (long; prints progress and ETA)")
    scale.add_argument("--budget", type=float, default=900, help="with --peers: seconds each method gets per size (default 900)")
    scale.add_argument("--ours-budget", type=float, default=7200, help="with --peers: seconds ours gets per size")
    scale.add_argument("--peer-methods", default="numpy,sklearn,usearch,semhash", help="with --peers: which peers")
    scale.add_argument("--no-floor", action="store_true", help="with --peers: skip the floor replay")
    scale.add_argument("--keep-collection", default=None, metavar="DIR",
                       help="with --peers: load and index each size's collection in DIR and keep it; a later run "
                            "with the same DIR reuses it (and reports the load's figures measured then)")
    scale.add_argument("--only-embedded", action="store_true",
                       help="with --peers: only load and index the embedded backend and time its listing (issue 16 section 4)")
    scale.add_argument("--floor-budget", type=float, default=None,
                       help="with --peers: seconds the floor replay gets (default: --ours-budget); past it, its time is projected")
    scale.add_argument("--full-truth-max", type=int, default=200_000,
                       help="with --peers: above this N, truth is the exact neighbours of a random sample (default 200000)")
    scale.add_argument("--truth-sample", type=int, default=20_000, help="with --peers: sampled points above --full-truth-max")
    scale.add_argument("--stop-by", default=None,
                       help="with --peers: HH:MM (UTC): every method's budget is capped to the time left until then")
    scale.add_argument("--append", action="store_true",
                       help="with --peers: keep the sizes of --out that this run does not repeat (and predict from them)")
    scale.add_argument("--report", action="store_true", help="with --peers: only print the tables of the last run and plot again")
    args = ap.parse_args()
    # The scale group's options mean nothing without --peers: say so rather than run the other
    # benchmark for half an hour and keep nothing (--keep-collection without --peers did).
    given = [a.option_strings[0] for a in scale._group_actions if a.dest != "peers" and getattr(args, a.dest) != a.default]
    if given and not args.peers:
        ap.error(f"{', '.join(given)} only work with --peers (the scale benchmark)")
    if args.peers and args.report:
        from scale import report_only

        report_only(args.out)
        return
    args.peer_methods = [m for m in args.peer_methods.split(",") if m]

    defaults = scanner_defaults()
    args.limit = args.limit or defaults["limit"]
    args.batch_size = args.batch_size or defaults["batchSize"]
    args.in_flight = args.in_flight or defaults["inFlight"]
    sizes = [int(s) for s in (args.sizes or ("10000,50000,200000" if args.peers else "10000,50000")).split(",") if s.strip()]
    if args.million:
        sizes.append(1_000_000)

    started = time.perf_counter()
    log("building the Node bundle (bench/build.mjs) ...")
    bundle = sh.build_bundle(variant=args.variant)
    workdir = args.data_dir or tempfile.mkdtemp(prefix="nd-bench-")
    if args.peers:
        from scale import run_scale

        try:
            run_scale(args, bundle, workdir, sizes)
        finally:
            if not args.data_dir:
                shutil.rmtree(workdir, ignore_errors=True)
        return
    runs = []
    server_rows: list[dict] = []
    try:
        for n in sizes:
            if args.backend in ("server", "both"):
                server_rows += run_server(n, args, bundle)
            if args.backend in ("embedded", "both"):
                runs.append(run_size(n, args, bundle, workdir))
    finally:
        if not args.data_dir:
            shutil.rmtree(workdir, ignore_errors=True)
    regroup_timing = None
    if runs:
        log("\n== regroup: 1M kept pairs, groups at stricter thresholds (bench/regroup.ts) ...")
        regroup_timing = run_regroup()
    total = time.perf_counter() - started

    audit_rows = server_rows + [row for r in runs for row in r["details"]["audit_rows"]]
    if audit_rows:
        print("\nRecall and the scan's own audit (issue 12):")
        print(audit_table(audit_rows))
    print()
    print(table(runs))
    for r in runs:
        print(f"\nN = {r['n']}:")
        for line in targets(r):
            print(f"  {line}")
    r = regroup_timing or {}
    first = r.get("panel_adopt_ms", 0) + r.get("panel_first_ms", 0)
    if r:
        print(
            f"\nregroup, {r['pairs']:,} kept pairs over {r['points']:,} points: in the worker at the scan's end "
            f"{r['worker_group_ms']:.0f} ms (lays the pairs out); in the panel (a fresh thread) the first stricter "
            f"threshold {first:.0f} ms (taking the worker's layout {r['panel_adopt_ms']:.0f} ms + regroup "
            f"{r['panel_first_ms']:.0f} ms), slider moves after it {r['panel_slider_ms_median']:.0f} ms (max "
            f"{r['panel_slider_ms_max']:.0f} ms); without the worker's layout the first would take "
            f"{r['panel_without_layout_first_ms']:.0f} ms.\n  regroup under 200 ms for 1M pairs: "
            f"{'met' if max(first, r['panel_slider_ms_max']) < 200 else 'NOT met'}"
        )
    doc = {
        **_other_sections(args.out),
        "runs": runs,
        "server_runs": server_rows,
        "regroup": regroup_timing,
        "settings": {
            "ours_node_args": args.ours_node_args or None,
            "limit": args.limit,
            "batch_size": args.batch_size,
            "in_flight": args.in_flight,
            "hnsw_ef": args.hnsw_ef,
            "exact": bool(args.exact),
            "distance": "Cosine",
            "seed_limit": 10,
            "data_seed": args.seed,
            "scanner_variant": args.variant,
        },
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "total_s": round(total, 1),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
    print(f"\nwrote {os.path.relpath(args.out, ROOT)} ({total:.0f} s in all)")


def _other_sections(path: str) -> dict:
    """What another job wrote to the same file (the scale benchmark's 'scale'), kept."""
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as f:
        old = json.load(f)
    return {k: old[k] for k in ("scale",) if k in old}


def scanner_defaults() -> dict:
    """SCAN_DEFAULTS from src/scan/types.ts, so the benchmark follows the product's defaults."""
    import re

    text = open(os.path.join(ROOT, "src", "scan", "types.ts"), encoding="utf-8").read()
    block = text[text.index("SCAN_DEFAULTS") :]
    out = {}
    for key in ("limit", "batchSize", "inFlight"):
        out[key] = int(re.search(rf"\b{key}:\s*(\d+)", block).group(1))
    return out


if __name__ == "__main__":
    main()
