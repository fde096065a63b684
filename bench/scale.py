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
import numpy as np
import peer_runner as pr
import psutil
import scan_harness as sh
from common import COLLECTION, log, scan, scan_options
from floor import floor_replay

BENCH = os.path.dirname(os.path.abspath(__file__))
ORDER = ["ours", "floor", "seed", "numpy", "sklearn", "usearch", "semhash"]
LABELS = {"ours": "ours (embedded backend, REST)", "floor": "floor (ours' requests in-process)",
          "seed": "seed plan (Node, one query per point)", **pr.LABELS}


# The exact methods compare every pair: their work is N^2 d whatever a loaded machine measured.
MIN_EXPONENT = {"numpy": 2.0, "sklearn": 2.0}


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


def budget_left(args: argparse.Namespace, budget: float) -> float:
    """``budget`` capped to the seconds left before ``--stop-by`` (HH:MM, UTC), if given."""
    if not getattr(args, "stop_by", None):
        return budget
    hh, mm = (int(x) for x in args.stop_by.split(":"))
    now = time.gmtime()
    left = (hh * 3600 + mm * 60) - (now.tm_hour * 3600 + now.tm_min * 60 + now.tm_sec)
    return max(60.0, min(budget, float(left)))


def _scan_progress(recording: str, n: int, batch: int, off: threading.Event, seen: dict) -> None:
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
        seen["queries_sent"] = sent
        p.update(min(sent, n))


def score_sampled(a: Any, b: Any, st: data.SampledTruth, vpath: str, t: float) -> dict:
    """A method's pairs (row indices) against a SampledTruth: recall over the pairs with an end
    in the sample (an unbiased estimate of its recall), precision over ALL its pairs (each
    found pair's exact score, float64), and the share of sampled points whose neighbour set
    it got exactly. Pairs within COSINE_EPS of the threshold count neither way."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    found = np.unique(lo * (1 << 32) + hi)
    X = np.load(vpath, mmap_mode="r")
    eps = sh.COSINE_EPS
    scores = np.empty(len(found))
    fi, fj = found >> 32, found & ((1 << 32) - 1)
    for s0 in range(0, len(found), 200_000):
        i, j = fi[s0:s0 + 200_000], fj[s0:s0 + 200_000]
        scores[s0:s0 + 200_000] = np.einsum("kd,kd->k", np.asarray(X[i], np.float64), np.asarray(X[j], np.float64))
    extra = int(((scores <= t) & (np.abs(scores - t) > eps)).sum())
    tkey = st.i.astype(np.int64) * (1 << 32) + st.j
    sure = np.abs(st.score - t) > eps
    tkey = tkey[sure]
    hit = np.isin(tkey, found)
    missed = int((~hit).sum())
    recall = 1.0 - missed / len(tkey) if len(tkey) else 1.0
    # the sampled points' neighbour sets: exactly right when no sure pair of theirs is missed
    # and no found pair of theirs is extra
    sample = st.sample
    wrong = set()
    ti, tj = (st.i[sure])[~hit], (st.j[sure])[~hit]
    wrong.update(np.intersect1d(np.concatenate([ti, tj]), sample).tolist())
    bad = (scores <= t) & (np.abs(scores - t) > eps)
    wrong.update(np.intersect1d(np.concatenate([fi[bad], fj[bad]]), sample).tolist())
    with_neighbours = np.intersect1d(np.concatenate([st.i, st.j]), sample)
    return {"pair_recall": round(recall, 6), "recall_basis": f"sampled: pairs touching {len(sample):,} random points",
            "sample_pairs": int(len(tkey)), "missed": missed, "pair_precision": round(1.0 - extra / len(found), 6) if len(found) else 1.0,
            "extra": extra, "pairs_found": int(len(found)),
            "sampled_points_with_neighbours": int(len(with_neighbours)),
            "sampled_points_exact": int(len(with_neighbours)) - len(set(with_neighbours.tolist()) & wrong),
            "sampled_points_exact_pct": round(100.0 * (1 - len(set(with_neighbours.tolist()) & wrong) / max(1, len(with_neighbours))), 2)}


def score_on_cached_truth(n: int, d: int, a: Any, b: Any, threshold: float, truth_sample: int) -> dict:
    """A scan's pairs (point ids = row indices of the benchmark's data of n x d, seed 0) scored
    by score_sampled against the cached sampled exact truth (data.cached_vectors,
    data.sampled_truth: computed once, then read back), with the pair and group counts."""
    X, _, _, vectors = data.cached_vectors(n, d, 0)
    truth, _ = data.sampled_truth(X, threshold, truth_sample)
    del X
    scored = score_sampled(a, b, truth, vectors, threshold)
    scored.update(pairs=int(len(a)), groups=len(sh.components(n, a, b)))
    return scored


def _scan_method(name: str, backend: Any, bundle: str, t: float, budget: float, n: int, args: argparse.Namespace,
                 truth: Any, vpath: str = "", **options: Any) -> tuple[dict, dict | None]:
    """ours or seed, killed at its budget; with the backend's peak private memory meanwhile."""
    budget = budget_left(args, budget)
    peak = es.PeakPrivate(backend.pid)
    peak.start()
    off = _watchdog(bundle, budget)
    seen: dict = {}
    started = time.perf_counter()
    if "recordPath" in options:
        threading.Thread(target=_scan_progress, args=(options["recordPath"], n, args.batch_size, off, seen),
                         daemon=True).start()
    try:
        out = scan(backend, bundle, "ours" if name == "ours" else "seed", t, timeout=budget + 60, **options)
    except RuntimeError as e:
        off.set()
        peak.stop()
        over = "exit -9" in str(e) or "exit 137" in str(e)
        row = {"method": name, "status": "over budget" if over else "failed", "budget_s": round(budget),
               "backend_private_mb_peak": peak.peak, **({} if over else {"error": str(e)[-1500:]})}
        if seen.get("queries_sent"):  # how far it got (by-id queries sent, of N)
            el = time.perf_counter() - started
            row.update(queries_sent=seen["queries_sent"], share_done=round(min(1.0, seen["queries_sent"] / n), 4),
                       projected_s=round(el * n / seen["queries_sent"]),
                       why=f"did not finish within {budget:.0f} s at {n:,}: {seen['queries_sent']:,} of {n:,} points "
                           f"queried (projected {el * n / seen['queries_sent']:,.0f} s)")
        return row, None
    off.set()
    if callable(truth):
        truth = truth()
    if isinstance(truth, data.SampledTruth):
        fp = out["pairs"]
        a, b = np.asarray(fp["a"], dtype=np.int64), np.asarray(fp["b"], dtype=np.int64)
        os.makedirs(data.CACHE, exist_ok=True)  # kept so a full truth computed later can score it
        np.savez(os.path.join(data.CACHE, f"found-{name}-{os.path.basename(vpath)[:-4]}.npz"), a=a, b=b)
        scored = score_sampled(a, b, truth, vpath, t)
    else:
        c = sh.compare(out, truth)
        scored = {"pair_recall": round(c.recall, 6), "pair_precision": round(c.precision, 6), "missed": len(c.missed),
                  "extra": len(c.extra), "groups_exact": c.groups_exact, "truth_groups": c.truth_groups,
                  "groups_exact_pct": round(c.groups_exact_pct, 2), "pairs_found": c.found_pairs}
    row = {"method": name, "status": "ok", "budget_s": budget, "seconds": round(out["seconds"], 3),
           "wall_s": round(out["wall_s"], 2), "peak_private_mb": _r(out.get("peak_private_mb")),
           "baseline_private_mb": _r(out.get("baseline_private_mb")), "peak_rss_mb": _r(out.get("peak_rss_mb")),
           "backend_private_mb_peak": peak.stop(), "backend_cpu_s": round(out["server_cpu_s"], 2),
           "node_cpu_s": round(out["cpu_s"], 2), "queries": out["stats"].get("queries"),
           **scored, "load": round(out["load_before"], 1)}
    starts = {p["phase"]: p["at"] for p in out.get("phase_starts_ms") or []}
    if "listing" in starts and "scanning" in starts:  # the scan's own list phase (official JS client, REST)
        listing_s = (starts["scanning"] - starts["listing"]) / 1000
        row.update(listing_s=round(listing_s, 2), listing_points_per_s=round(n / listing_s) if listing_s > 0 else None)
    a = out.get("audit") or {}
    if a:  # what the scan's own audit said (issue 12): its route and its recall estimate
        row.update(audit_route=a.get("route"), audit_sampled=a.get("sampled"), audit_unreachable=a.get("unreachable"),
                   audit_recall=a.get("recall"), audit_low=a.get("low"), audit_high=a.get("high"),
                   searched_exactly=a.get("searchedExactly"))
    log(f"{name}: {row['seconds']:.1f} s, recall {row['pair_recall']} ({row.get('recall_basis', 'exact truth')}), "
        f"groups {row.get('groups_exact', '-')}/{row.get('truth_groups', '-')}, "
        f"private {row['peak_private_mb']} MB (backend {row['backend_private_mb_peak']} MB); load {row['load']}")
    return row, out


def _skip(method: str, n: int, earlier: list[dict], budget: float) -> dict | None:
    """A row saying why a method is not run at n: it stopped at a smaller size, or even linear
    growth from the last size (the measured growth when it is steeper) takes it past the budget."""
    prev = [r for r in earlier if r["method"] == method]
    if not prev:
        return None
    last = prev[-1]
    if last["status"] == "not run":
        return {"method": method, "status": "not run", "stopped_at": last.get("stopped_at", last["n"]),
                "why": f"not run at {last['n']:,} either ({last.get('why', '')})", "budget_s": budget}
    if last["status"] not in ("ok",):
        stopped = last.get("stopped_at", last["n"])
        return {"method": method, "status": "not run", "stopped_at": stopped,
                "why": f"did not finish within {last.get('budget_s', budget):.0f} s at {stopped:,}", "budget_s": budget}
    ok = [r for r in prev if r["status"] == "ok"]
    exponent = MIN_EXPONENT.get(method, 1.0)
    if len(ok) >= 2:
        a, b = ok[-2], ok[-1]
        exponent = max(exponent, math.log(b["seconds"] / a["seconds"]) / math.log(b["n"] / a["n"]))
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
    truth: Any = None
    dropped = None
    if not args.only_embedded and n > args.full_truth_max:
        # The full truth is N^2 d: 1M x 256 is hours of both cores here. Pairs touching a random
        # sample are known exactly instead (see data.SampledTruth), computed when first needed
        # (after ours' scan: `python bench/data.py sampled N d t k` can compute it meanwhile).
        def sampled() -> data.SampledTruth:
            st, cached = data.sampled_truth(np.load(vpath, mmap_mode="r"), t, args.truth_sample, log=log)
            size["truth"] = {"sampled": True, "sample": int(len(st.sample)), "pairs_touching_sample": int(len(st.i)),
                             "seconds": round(st.seconds, 1), "cached": cached}
            log(f"sampled truth: {len(st.i):,} pairs touching {len(st.sample):,} random points "
                f"({'cached; ' if cached else ''}computed in {st.seconds:.0f} s)")
            return st

        truth = sampled
    elif not args.only_embedded:
        truth, truth_s, cached = data.cached_truth(X, t, log)
        groups = truth.groups()
        dropped = sum(len(g) for g in groups) - len(groups)
        log(f"truth: {len(truth.i):,} pairs, {len(groups):,} groups, a deduplicator should drop {dropped:,} "
            f"({'cached; ' if cached else ''}computed in {truth_s:.1f} s)")
        size["truth"] = {"pairs": int(len(truth.i)), "groups": len(groups), "dropped": dropped,
                         "borderline": len(truth.borderline), "seconds": round(truth_s, 1), "cached": cached}
    rows: list[dict] = []
    budget = args.budget
    keep = getattr(args, "keep_collection", None)
    data_dir = os.path.join(keep or workdir, f"scale-n{n}-d{d}-s{args.seed}")
    loaded_marker = os.path.join(data_dir, "loaded.json")
    backend = EmbeddedBackend(data_dir)
    try:
        url, key = backend.ensure_running()
        rest = sh.Rest(url, key, timeout=3600)
        if keep and os.path.exists(loaded_marker):
            # Loaded and indexed by an earlier run (--keep-collection): its figures of section 4
            # were measured then and are reported again, marked as such.
            with open(loaded_marker, encoding="utf-8") as f:
                size["embedded"] = {**json.load(f), "reused_from_earlier_run": True}
            log(f"embedded backend: the collection loaded and indexed by an earlier run is reused ({data_dir})")
        else:
            size["embedded"] = es.load(rest, backend.pid, X, payloads, args.upsert_batch)
            size["embedded"]["listing_rest"] = es.listing_over_rest(rest, n)
            if keep:
                with open(loaded_marker, "w", encoding="utf-8") as f:
                    json.dump({**size["embedded"], "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                               "load_at_end": round(os.getloadavg()[0], 1)}, f)
        rest.close()
        _partial(args, {**size, "methods": rows})
        del X, payloads
        if args.only_embedded:
            return {**size, "methods": []}
        recording = os.path.join(workdir, f"scale-requests-{n}.ndjson")
        ours, _ = _scan_method("ours", backend, bundle, t, args.ours_budget, n, args, truth, vpath,
                               **scan_options(args), recordPath=recording)
        rows.append(ours)
        _partial(args, {**size, "methods": rows})
        if callable(truth):
            truth = truth()
        floor_dir = os.path.join(workdir, f"scale-n{n}-floor")
        shutil.copytree(os.path.join(data_dir, "collections"), os.path.join(floor_dir, "collections"))
        store = Store(floor_dir)
        try:
            coll = store.get(COLLECTION)
            if coll.dirty:
                getattr(coll, "optimize_now", coll.optimize)()
            size["embedded"]["listing_in_process"] = es.listing_profile(coll)
            if ours["status"] == "ok" and not args.no_floor:
                fbudget = budget_left(args, args.floor_budget or args.ours_budget)
                prog = es.Progress("floor (requests replayed)", 1, every_s=30)

                def fprogress(done: int, total: int) -> None:
                    prog.total = total
                    prog.update(done)

                f = floor_replay(coll, recording, budget_s=fbudget, progress=fprogress)
                if f["complete"]:
                    row = {"method": "floor", "status": "ok", "seconds": round(f["seconds"], 3),
                           "cpu_s": round(f["cpu_seconds"], 2), "load": round(f["load_before"], 1)}
                    if not isinstance(truth, data.SampledTruth):
                        # The floor times ours' requests; its answers are kept as a diagnostic only (its
                        # by-vector queries are not paired, and it answers from a copy of the files).
                        a, b = f["pairs"]["a"], f["pairs"]["b"]
                        c = sh.compare({"pairs": f["pairs"], "groups": sh.components(n, a, b)}, truth)
                        row.update(replayed_pair_recall=round(c.recall, 6), replayed_groups_exact=c.groups_exact)
                    log(f"floor: {f['seconds']:.1f} s in the backend's own calls for ours' {f['requests']} requests")
                else:
                    # Stopped at its budget: the time of the requests replayed, and that time grown
                    # to all of ours' queries (the requests are alike: batches of by-id queries).
                    share = f["queries"] / max(1, f["queries_recorded"])
                    row = {"method": "floor", "status": "over budget", "budget_s": fbudget,
                           "seconds_replayed": round(f["seconds"], 3), "cpu_s_replayed": round(f["cpu_seconds"], 2),
                           "requests_replayed": f["replayed"], "requests": f["requests"],
                           "queries_replayed": f["queries"], "queries_recorded": f["queries_recorded"],
                           "projected_s": round(f["seconds"] / share, 1) if share else None,
                           "why": f"stopped at its budget of {fbudget:.0f} s after {f['replayed']:,} of ours' "
                                  f"{f['requests']:,} requests ({100 * share:.0f}% of its queries)",
                           "load": round(f["load_before"], 1)}
                    log(f"floor: {row['why']}; projected {row['projected_s']} s")
                rows.append(row)
        finally:
            store.close()
        if not args.no_seed:
            skip = _skip("seed", n, earlier, budget)
            rows.append(skip or _scan_method("seed", backend, bundle, t, budget, n, args, truth, vpath, seedLimit=10)[0])
    finally:
        backend.stop()
        if not keep:
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
        row = pr.run_peer(method, vpath, t, budget_left(args, budget))
        if isinstance(truth, data.SampledTruth):
            pairs = row.pop("pairs", None)
            if pairs is not None:
                row.update(score_sampled(pairs["a"], pairs["b"], truth, vpath, t))
        else:
            row = pr.score(row, truth, dropped)
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


def _by_n(size: dict) -> int:
    return size["n"]


def _partial(args: argparse.Namespace, size: dict) -> None:
    """Saves what a size has so far (a long size must not lose its figures to a later step)."""
    save_partial = getattr(args, "save_partial", None)
    if save_partial is not None:
        save_partial(size)


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
                note = f"dropped {r['dropped']:,} (truth {_f(r.get('truth_dropped'), ',')})"
            elif r["method"] == "ours" and ok:
                note = f"backend {r['backend_private_mb_peak']:,.0f} MB, CPU {r['backend_cpu_s']:,.0f} s + Node {r['node_cpu_s']:,.0f} s"
            elif r["method"] == "floor" and ok:
                note = f"CPU {r['cpu_s']:,.0f} s; times ours' requests, not scored"
            if not ok:
                note = r.get("why") or f"{r['status']} (budget {r.get('budget_s', 0):g} s)"
            groups = f"{r['groups_exact_pct']:.1f}% ({r['groups_exact']}/{r['truth_groups']})" if "groups_exact" in r else "-"
            if "sampled_points_exact_pct" in r:
                groups = (f"{r['sampled_points_exact_pct']:.1f}% of sampled points ({r['sampled_points_exact']}/"
                          f"{r['sampled_points_with_neighbours']})")
                note = (note + "; " if note else "") + f"recall over {r['sample_pairs']:,} pairs touching the sample"
            if r["method"] == "floor" and r.get("projected_s"):
                note = f"{r['why']}; projected {r['projected_s']:,.0f} s"
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
        build = (_f(e.get("index_build_s"), ".0f") if e.get("index_build_s") is not None
                 else f"not finished after {e.get('index_build_not_finished_after_s', 0):,.0f}")
        lines.append(
            f"| {s['n']:,} | {e['upload_s']:.0f} | {e['upsert_points_per_s']:,} | {build} | "
            f"{_f(e.get('backend_private_mb_upload_peak'), ',.0f')} | "
            f"{_f(e.get('backend_private_mb_build_peak', e.get('backend_private_mb_during_build_max')), ',.0f')} | "
            f"{_f(e.get('backend_private_mb_indexed_idle'), ',.0f')} | {e['vectors_mb']:,.0f} | "
            f"{_f(e.get('status_ms_during_build_max', e.get('status_ms_during_build_max_logged')), ',.0f')} | "
            f"{_f((e.get('listing_rest') or {}).get('points_per_s'), ',')} | "
            f"{_f((e.get('listing_in_process') or {}).get('points_per_s'), ',')} |")
    return "\n".join(lines)


def save(path: str, sizes: list[dict], args: argparse.Namespace, started: float) -> None:
    """Writes the scale section into latest.json, keeping the other sections of the file."""
    doc: dict[str, Any] = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    kept = {k: v for k, v in (doc.get("scale") or {}).items() if k == "reruns"}  # earlier reruns stay
    doc["scale"] = {
        **kept,
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
    if args.append and os.path.exists(args.out):
        with open(args.out, encoding="utf-8") as f:
            kept = [s for s in (json.load(f).get("scale") or {}).get("sizes", []) if s["n"] not in sizes]
        for s in kept:
            s.setdefault("run", "an earlier run (kept by --append)")
        done = sorted(kept, key=lambda s: s["n"])
        log(f"--append: keeping the sizes {[s['n'] for s in done]} of {args.out}")
    for n in sizes:
        earlier = [r for s in done if s["n"] < n for r in s["methods"]]

        def save_partial(size: dict, n: int = n, others: list = [s for s in done if s["n"] != n]) -> None:  # noqa: B006
            part = {**size, "methods": [dict(r, n=n) for r in size["methods"]], "partial": True}
            save(args.out, sorted([*others, part], key=_by_n), args, started)

        args.save_partial = save_partial
        size = run_scale_size(n, args, bundle, workdir, earlier)
        size["run"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        done = sorted([s for s in done if s["n"] != n] + [size], key=lambda s: s["n"])
        save(args.out, done, args, started)
        print_report(done)
    if not pr.peers_missing() and not args.only_embedded:
        plot(args.out)


def _f(x: Any, fmt: str) -> str:
    return "-" if x is None else format(x, fmt)


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 1)
