"""Issue 16 §1 and §4: ours beside the methods a user would pick instead, at scale, one run.

    .venv/bin/python bench/run.py --peers                       # 10k, 50k, 200k
    .venv/bin/python bench/run.py --peers --million             # and 1M (long: progress + ETA)

For each N, on the same vectors (bench/data.py; cached with their exact truth in bench/.cache):
the embedded backend loaded and indexed (upsert throughput, index build, its memory: §4), its
listing speed (and a profile of it), ours (the worker's scan in Node, over REST), the floor
(ours' requests replayed in-process), the seed plan, then each peer of bench/peers.py in its own
process. Every method gets a time budget per size; one that cannot finish is killed and its row
says so, and larger sizes say where it stopped. Rows go to bench/results/latest.json ("scale",
written after every size) and a plot to bench/results/scale.png.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import subprocess
import threading
import time
from typing import Any

import data
import embedded_scale as es
import peer_runner as pr
import psutil
import scan_harness as sh
from common import COLLECTION, log, scan, scan_options
from floor import floor_replay

BENCH = os.path.dirname(os.path.abspath(__file__))
ORDER = ["ours", "floor", "seed", "numpy", "sklearn", "usearch", "semhash"]
LABELS = {"ours": "ours (embedded backend, REST)", "floor": "floor (ours' requests in-process)",
          "seed": "seed plan (Node, one query per point)", **pr.LABELS}


def _watchdog(bundle: str, budget_s: float) -> threading.Event:
    """Kills the Node scan this process started with ``bundle`` once it has run budget_s
    (scan_harness waits for the scan's output, which never ends on its own). Set the returned
    event to call it off."""
    off = threading.Event()

    def watch() -> None:
        if off.wait(budget_s):
            return
        for child in psutil.Process().children(recursive=True):
            try:
                if any(bundle in part for part in child.cmdline()):
                    log(f"  over budget ({budget_s:.0f} s): stopping the scan (pid {child.pid})")
                    child.kill()
            except psutil.Error:
                pass

    threading.Thread(target=watch, daemon=True).start()
    return off


def _scan_progress(recording: str, n: int, batch: int, off: threading.Event) -> None:
    """Prints the scan's progress and ETA from the requests it records (queries sent / N)."""
    p = es.Progress("scan (queries sent)", n, every_s=30)
    sent = 0
    pos = 0
    while not off.wait(10):
        try:
            with open(recording, "rb") as f:
                f.seek(pos)
                chunk = f.read()
        except OSError:
            continue
        cut = chunk.rfind(b"\n") + 1
        pos += cut
        sent += chunk[:cut].count(b'"op":"queryBatch"') * batch
        p.update(min(sent, n))


def _scan_method(name: str, backend: Any, bundle: str, t: float, budget: float, n: int, args: argparse.Namespace,
                 truth: sh.Truth, **options: Any) -> tuple[dict, dict | None]:
    """ours or seed, killed at its budget; with the backend's peak private memory meanwhile."""
    peak = es.PeakPrivate(backend.pid)
    peak.start()
    off = _watchdog(bundle, budget)
    if "recordPath" in options:
        threading.Thread(target=_scan_progress, args=(options["recordPath"], n, args.batch_size, off), daemon=True).start()
    try:
        out = scan(backend, bundle, "ours" if name == "ours" else "seed", t, timeout=budget + 60, **options)
    except RuntimeError as e:
        off.set()
        peak.stop()
        over = "exit -9" in str(e) or "exit 137" in str(e)
        return {"method": name, "status": "over budget" if over else "failed", "budget_s": budget,
                **({} if over else {"error": str(e)[-1500:]})}, None
    off.set()
    c = sh.compare(out, truth)
    row = {"method": name, "status": "ok", "budget_s": budget, "seconds": round(out["seconds"], 3),
           "wall_s": round(out["wall_s"], 2), "peak_private_mb": _r(out.get("peak_private_mb")),
           "baseline_private_mb": _r(out.get("baseline_private_mb")), "peak_rss_mb": _r(out.get("peak_rss_mb")),
           "backend_private_mb_peak": peak.stop(), "backend_cpu_s": round(out["server_cpu_s"], 2),
           "node_cpu_s": round(out["cpu_s"], 2), "queries": out["stats"].get("queries"),
           "pair_recall": round(c.recall, 6), "pair_precision": round(c.precision, 6), "missed": len(c.missed),
           "extra": len(c.extra), "groups_exact": c.groups_exact, "truth_groups": c.truth_groups,
           "groups_exact_pct": round(c.groups_exact_pct, 2), "pairs_found": c.found_pairs,
           "load": round(out["load_before"], 1)}
    a = out.get("audit") or {}
    if a:  # what the scan's own audit said (issue 12): its route and its recall estimate
        row.update(audit_route=a.get("route"), audit_sampled=a.get("sampled"), audit_unreachable=a.get("unreachable"),
                   audit_recall=a.get("recall"), audit_low=a.get("low"), audit_high=a.get("high"),
                   searched_exactly=a.get("searchedExactly"))
    log(f"{name}: {row['seconds']:.1f} s, recall {row['pair_recall']}, groups {c.groups_exact}/{c.truth_groups}, "
        f"private {row['peak_private_mb']} MB (backend {row['backend_private_mb_peak']} MB); load {row['load']}")
    return row, out


def _skip(method: str, n: int, earlier: list[dict], budget: float) -> dict | None:
    """A row saying why a method is not run at n: it stopped at a smaller size, or even linear
    growth from the last size (the measured growth when it is steeper) takes it past the budget."""
    prev = [r for r in earlier if r["method"] == method]
    if not prev:
        return None
    last = prev[-1]
    if last["status"] not in ("ok",):
        stopped = last.get("stopped_at", last["n"])
        return {"method": method, "status": "not run", "stopped_at": stopped,
                "why": f"did not finish at {stopped:,} ({last['status']})", "budget_s": budget}
    ok = [r for r in prev if r["status"] == "ok"]
    exponent = 1.0
    if len(ok) >= 2:
        a, b = ok[-2], ok[-1]
        exponent = max(1.0, math.log(b["seconds"] / a["seconds"]) / math.log(b["n"] / a["n"]))
    predicted = last["seconds"] * (n / last["n"]) ** exponent
    if predicted > budget:
        return {"method": method, "status": "not run", "stopped_at": last["n"], "predicted_s": round(predicted),
                "why": f"predicted {predicted:,.0f} s (N^{exponent:.2f} from {last['n']:,}) > budget {budget:.0f} s",
                "budget_s": budget}
    return None


def run_scale_size(n: int, args: argparse.Namespace, bundle: str, workdir: str, earlier: list[dict]) -> dict:
    from jupyterlab_near_duplicates.embedded import EmbeddedBackend
    from jupyterlab_near_duplicates.embedded.store import Store

    d, t = args.dim, args.threshold
    log(f"\n== scale: N = {n:,}, d = {d}, threshold {t}; load {os.getloadavg()[0]:.1f}")
    X, payloads, info, vpath = data.cached_vectors(n, d, args.seed)
    size: dict[str, Any] = {"n": n, "d": d, "threshold": t, "dataset": info}
    if not args.only_embedded:
        truth, truth_s, cached = data.cached_truth(X, t, log)
        groups = truth.groups()
        dropped = sum(len(g) for g in groups) - len(groups)
        log(f"truth: {len(truth.i):,} pairs, {len(groups):,} groups, a deduplicator should drop {dropped:,} "
            f"({'cached; ' if cached else ''}computed in {truth_s:.1f} s)")
        size["truth"] = {"pairs": int(len(truth.i)), "groups": len(groups), "dropped": dropped,
                         "borderline": len(truth.borderline), "seconds": round(truth_s, 1), "cached": cached}
    rows: list[dict] = []
    budget = args.budget
    data_dir = os.path.join(workdir, f"scale-n{n}")
    backend = EmbeddedBackend(data_dir)
    try:
        url, key = backend.ensure_running()
        rest = sh.Rest(url, key, timeout=3600)
        size["embedded"] = es.load(rest, backend.pid, X, payloads, args.upsert_batch)
        size["embedded"]["listing_rest"] = es.listing_over_rest(rest, n)
        rest.close()
        del X, payloads
        if args.only_embedded:
            return {**size, "methods": []}
        recording = os.path.join(workdir, f"scale-requests-{n}.ndjson")
        ours, _ = _scan_method("ours", backend, bundle, t, args.ours_budget, n, args, truth,
                               **scan_options(args), recordPath=recording)
        rows.append(ours)
        floor_dir = os.path.join(workdir, f"scale-n{n}-floor")
        shutil.copytree(os.path.join(data_dir, "collections"), os.path.join(floor_dir, "collections"))
        store = Store(floor_dir)
        try:
            coll = store.get(COLLECTION)
            if coll.dirty:
                getattr(coll, "optimize_now", coll.optimize)()
            size["embedded"]["listing_in_process"] = es.listing_profile(coll)
            if ours["status"] == "ok" and not args.no_floor:
                f = floor_replay(coll, recording)
                a, b = f["pairs"]["a"], f["pairs"]["b"]
                c = sh.compare({"pairs": f["pairs"], "groups": sh.components(n, a, b)}, truth)
                # The floor times ours' requests; its answers are kept as a diagnostic only (its
                # by-vector queries are not paired, and it answers from a copy of the files).
                rows.append({"method": "floor", "status": "ok", "seconds": round(f["seconds"], 3),
                             "cpu_s": round(f["cpu_seconds"], 2), "replayed_pair_recall": round(c.recall, 6),
                             "replayed_groups_exact": c.groups_exact, "load": round(f["load_before"], 1)})
                log(f"floor: {f['seconds']:.1f} s in the backend's own calls for ours' {f['requests']} requests")
        finally:
            store.close()
        if not args.no_seed:
            skip = _skip("seed", n, earlier, budget)
            rows.append(skip or _scan_method("seed", backend, bundle, t, budget, n, args, truth, seedLimit=10)[0])
    finally:
        backend.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
        shutil.rmtree(os.path.join(workdir, f"scale-n{n}-floor"), ignore_errors=True)

    missing = pr.peers_missing()
    for method in args.peer_methods:
        if missing:
            rows.append({"method": method, "status": "not run", "why": missing})
            continue
        skip = _skip(method, n, earlier, budget)
        if skip:
            log(f"{method}: not run at {n:,}: {skip['why']}")
            rows.append(skip)
            continue
        log(f"{method}: {pr.LABELS[method]} (budget {budget:.0f} s) ...")
        row = pr.score(pr.run_peer(method, vpath, t, budget), truth, dropped)
        drops = f", dropped {row['dropped']} of {dropped}" if "dropped" in row else ""
        log(f"{method}: {row['status']}, {row.get('seconds', '-')} s, private {row.get('peak_private_mb')} MB, "
            f"recall {row.get('pair_recall', '-')}, groups {row.get('groups_exact', '-')}/{row.get('truth_groups', '-')}"
            f"{drops}; load {os.getloadavg()[0]:.1f}")
        rows.append(row)
    ours_s = next((r["seconds"] for r in rows if r["method"] == "ours" and r["status"] == "ok"), None)
    ours_mb = next((r.get("peak_private_mb") for r in rows if r["method"] == "ours" and r["status"] == "ok"), None)
    for r in rows:
        r["n"] = n
        r["label"] = LABELS.get(r["method"], r["method"])
        if ours_s and r.get("seconds"):
            r["time_x_ours"] = round(r["seconds"] / ours_s, 2)
        if ours_mb and r.get("peak_private_mb"):
            r["memory_x_ours"] = round(r["peak_private_mb"] / ours_mb, 2)
    return {**size, "methods": rows}


def growth(sizes: list[dict]) -> list[dict]:
    """Per method, between consecutive sizes it finished: the time exponent (t ~ N^k) and the
    growth of its private memory."""
    out = []
    methods = {r["method"] for s in sizes for r in s["methods"]}
    for m in [x for x in ORDER if x in methods]:
        ok = [r for s in sizes for r in s["methods"] if r["method"] == m and r["status"] == "ok"]
        for a, b in zip(ok, ok[1:]):
            g = {"method": m, "from_n": a["n"], "to_n": b["n"],
                 "time_exponent": round(math.log(b["seconds"] / a["seconds"]) / math.log(b["n"] / a["n"]), 2)}
            if a.get("peak_private_mb") and b.get("peak_private_mb"):
                g["memory_mb_growth"] = round(b["peak_private_mb"] - a["peak_private_mb"], 1)
                g["memory_ratio"] = round(b["peak_private_mb"] / a["peak_private_mb"], 2)
                g["memory_kb_per_point"] = round(1024 * g["memory_mb_growth"] / (b["n"] - a["n"]), 2)
            out.append(g)
    return out


# The exact methods compare every pair: their work is N^2 d whatever a loaded machine measured.
MIN_EXPONENT = {"numpy": 2.0, "sklearn": 2.0}


def extrapolate(sizes: list[dict], target: int = 1_000_000) -> list[dict]:
    """NOT measured: each method's time and memory at ``target`` from its last two finished
    sizes (time ~ N^k with the measured k, at least MIN_EXPONENT: below that the load of the
    shared machine or a small size's fixed costs speak, not the method; memory linear in N,
    never shrinking), for the sizes not run."""
    out = []
    last_growth = {g["method"]: g for g in growth(sizes)}  # the last pair of sizes of each method
    for g in last_growth.values():
        if g["to_n"] >= target:
            continue
        row = next(r for s in sizes for r in s["methods"] if r["method"] == g["method"] and r["n"] == g["to_n"])
        e = {"method": g["method"], "n": target, "from_n": g["to_n"], "extrapolated": True,
             "seconds": round(row["seconds"] * (target / g["to_n"]) ** max(MIN_EXPONENT.get(g["method"], 1.0),
                                                                            g["time_exponent"])),
             "time_exponent": g["time_exponent"]}
        if row.get("peak_private_mb") and g.get("memory_kb_per_point") is not None:
            e["peak_private_mb"] = round(row["peak_private_mb"] + max(0.0, g["memory_kb_per_point"]) * (target - g["to_n"]) / 1024)
        out.append(e)
    emb = [s for s in sizes if s.get("embedded")]
    if len(emb) >= 2 and emb[-1]["n"] < target:
        a, b = emb[-2], emb[-1]
        ea, eb = a["embedded"], b["embedded"]
        k = max(1.0, math.log(eb["index_build_s"] / ea["index_build_s"]) / math.log(b["n"] / a["n"]))
        per_point = max(0.0, (eb["backend_private_mb_build_peak"] - ea["backend_private_mb_build_peak"]) / (b["n"] - a["n"]))
        out.append({"method": "embedded backend", "n": target, "from_n": b["n"], "extrapolated": True,
                    "upload_s": round(target / eb["upsert_points_per_s"]),
                    "index_build_s": round(eb["index_build_s"] * (target / b["n"]) ** k), "index_build_exponent": round(k, 2),
                    "backend_private_mb_build_peak": round(eb["backend_private_mb_build_peak"] + per_point * (target - b["n"]))})
    return out


def table(sizes: list[dict]) -> str:
    lines = ["| N | method | s | x ours | private MB | x ours | pair recall | groups exactly right | note |",
             "|---|---|---|---|---|---|---|---|---|"]
    for s in sizes:
        for r in sorted(s["methods"], key=lambda r: ORDER.index(r["method"])):
            ok = r["status"] == "ok"
            note = ""
            if "dropped" in r:
                note = f"dropped {r['dropped']:,} (truth {r['truth_dropped']:,})"
            elif r["method"] == "ours" and ok:
                note = f"backend {r['backend_private_mb_peak']:,.0f} MB, CPU {r['backend_cpu_s']:,.0f} s + Node {r['node_cpu_s']:,.0f} s"
            elif r["method"] == "floor" and ok:
                note = f"CPU {r['cpu_s']:,.0f} s; times ours' requests, not scored"
            if not ok:
                note = r.get("why") or f"{r['status']} (budget {r.get('budget_s', 0):g} s)"
            groups = f"{r['groups_exact_pct']:.1f}% ({r['groups_exact']}/{r['truth_groups']})" if "groups_exact" in r else "-"
            lines.append(
                f"| {s['n']:,} | {r['method']} | {_f(r.get('seconds'), '.1f') if ok else r['status']} | "
                f"{_f(r.get('time_x_ours'), '.2f')} | {_f(r.get('peak_private_mb') if ok else None, ',.0f')} | "
                f"{_f(r.get('memory_x_ours'), '.2f')} | {_f(r.get('pair_recall'), '.5f')} | {groups} | {note} |")
    return "\n".join(lines)


def embedded_table(sizes: list[dict]) -> str:
    lines = ["| N | upsert s | points/s | index build s | backend MB upserting | building | idle, indexed | "
             "vectors MB | status call during build, max ms | listing points/s (REST) | in-process |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for s in sizes:
        e = s.get("embedded") or {}
        if not e:
            continue
        lines.append(
            f"| {s['n']:,} | {e['upload_s']:.0f} | {e['upsert_points_per_s']:,} | {e['index_build_s']:.0f} | "
            f"{e['backend_private_mb_upload_peak']:,.0f} | {e['backend_private_mb_build_peak']:,.0f} | "
            f"{e['backend_private_mb_indexed_idle']:,.0f} | {e['vectors_mb']:,.0f} | "
            f"{_f(e.get('status_ms_during_build_max'), ',.0f')} | {e['listing_rest']['points_per_s']:,} | "
            f"{_f((e.get('listing_in_process') or {}).get('points_per_s'), ',')} |")
    return "\n".join(lines)


def save(path: str, sizes: list[dict], args: argparse.Namespace, started: float) -> None:
    """Writes the scale section into latest.json, keeping the other sections of the file."""
    doc: dict[str, Any] = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    doc["scale"] = {
        "sizes": sizes, "growth": growth(sizes), "extrapolated_1m_not_measured": extrapolate(sizes),
        "settings": {"budget_s": args.budget, "ours_budget_s": args.ours_budget, "threshold": args.threshold,
                     "dim": args.dim, "data_seed": args.seed, "limit": args.limit, "batch_size": args.batch_size,
                     "in_flight": args.in_flight, "upsert_batch": args.upsert_batch, "peers": args.peer_methods},
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "total_s": round(time.perf_counter() - started, 1), "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    tmp = path + ".part"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
    os.replace(tmp, path)


def extrapolation_table(rows: list[dict]) -> str:
    lines = ["| method | from N | measured k (time ~ N^k; at least 1, numpy and sklearn 2, used) "
             "| seconds at 1M (extrapolated) | private MB at 1M (extrapolated) |",
             "|---|---|---|---|---|"]
    for e in rows:
        if e["method"] == "embedded backend":
            lines.append(f"| embedded backend: upsert / index build | {e['from_n']:,} | build ~ N^{e['index_build_exponent']} | "
                         f"{e['upload_s']:,} / {e['index_build_s']:,} | {e['backend_private_mb_build_peak']:,} |")
        else:
            lines.append(f"| {e['method']} | {e['from_n']:,} | {e['time_exponent']} | {e['seconds']:,} | "
                         f"{_f(e.get('peak_private_mb'), ',')} |")
    return "\n".join(lines)


def print_report(sizes: list[dict]) -> None:
    print("\n" + table(sizes) + "\n\n" + embedded_table(sizes), flush=True)
    for g in growth(sizes):
        log(f"growth {g['method']} {g['from_n']:,} -> {g['to_n']:,}: time ~ N^{g['time_exponent']}, private memory "
            f"{g.get('memory_mb_growth', '-')} MB ({g.get('memory_kb_per_point', '-')} KB per added point)")
    ex = extrapolate(sizes)
    if ex:
        print("\nExtrapolated to 1M, NOT measured:\n" + extrapolation_table(ex), flush=True)


def plot(path: str) -> None:
    """results/scale.png for results/latest.json; beside any other --out, named after it."""
    default = os.path.abspath(path) == os.path.join(BENCH, "results", "latest.json")
    png = os.path.join(BENCH, "results", "scale.png") if default else os.path.splitext(path)[0] + ".png"
    subprocess.run([pr.PEERS_PYTHON, os.path.join(BENCH, "plot.py"), path, png], check=True)
    log(f"plot: {os.path.relpath(png, os.path.dirname(BENCH))}")


def report_only(path: str) -> None:
    """Prints the tables of the scale section already in ``path`` and draws its plot again."""
    with open(path, encoding="utf-8") as f:
        sizes = json.load(f)["scale"]["sizes"]
    print_report(sizes)
    if not pr.peers_missing():
        plot(path)


def run_scale(args: argparse.Namespace, bundle: str, workdir: str, sizes: list[int]) -> None:
    started = time.perf_counter()
    done: list[dict] = []
    for n in sizes:
        earlier = [r for s in done for r in s["methods"]]
        done.append(run_scale_size(n, args, bundle, workdir, earlier))
        save(args.out, done, args, started)
        print_report(done)
    if not pr.peers_missing() and not args.only_embedded:
        plot(args.out)


def _f(x: Any, fmt: str) -> str:
    return "-" if x is None else format(x, fmt)


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 1)
