"""The scan benchmark's table (ours, seed, floor) and its targets, as printed by run.py."""

from __future__ import annotations

COLUMNS = [
    ("N", "n", "{:>7}"),
    ("d", "d", "{:>4}"),
    ("thr", "threshold", "{:>5}"),
    ("ours s", "ours_s", "{:>7.2f}"),
    ("seed s", "seed_s", "{:>7.1f}"),
    ("floor s", "floor_s", "{:>7.2f}"),
    ("x seed", "speedup_vs_seed", "{:>6.1f}"),
    ("/floor", "ratio_to_floor", "{:>6.2f}"),
    ("recall", "pair_recall", "{:>8.5f}"),
    ("precis.", "pair_precision", "{:>7.4f}"),
    ("groups=%", "groups_exact_pct", "{:>8.2f}"),
    ("ours MB", "ours_peak_mb", "{:>7.0f}"),
    ("seed MB", "seed_peak_mb", "{:>7.0f}"),
    ("ours priv", "ours_private_mb", "{:>9.0f}"),
    ("seed priv", "seed_private_mb", "{:>9.0f}"),
]


def table(runs: list[dict]) -> str:
    head = " | ".join(h for h, _, _ in COLUMNS)
    lines = [f"| {head} |", "|" + "|".join("-" * (len(h) + 2) for h, _, _ in COLUMNS) + "|"]
    for r in runs:
        cells = []
        for h, k, fmt in COLUMNS:
            v = r.get(k)
            cells.append(("-" if v is None else fmt.format(v)).strip().rjust(len(h)))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def targets(r: dict) -> list[str]:
    out = []
    x = r.get("speedup_vs_seed")
    out.append(f">= 5x faster than seed: {'met' if x and x >= 5 else 'NOT met'} ({x}x)")
    f = r["ratio_to_floor"]
    out.append(f"<= 1.5x the floor: {'met' if f <= 1.5 else 'NOT met'} ({f}x)")
    out.append(f"pair recall >= 0.99: {'met' if r['pair_recall'] >= 0.99 else 'NOT met'} ({r['pair_recall']})")
    out.append(f"pair precision 1.0: {'met' if r['pair_precision'] == 1.0 else 'NOT met'} ({r['pair_precision']})")
    if r.get("seed_peak_mb"):
        ratio = r["seed_peak_mb"] / r["ours_peak_mb"]
        scan_ratio = r["details"].get("scan_memory_ratio_seed_over_ours")
        out.append(
            f"peak memory <= 1/20 of seed's: {'met' if ratio >= 20 else 'NOT met'} (process peak: seed/ours = "
            f"{ratio:.1f}; above Node's baseline: {scan_ratio})"
        )
        if r.get("ours_private_mb") and r.get("seed_private_mb"):
            private = r["seed_private_mb"] / r["ours_private_mb"]
            out.append(
                f"  private memory (without the node binary's shared pages): seed/ours = {private:.1f} "
                f"({r['seed_private_mb']:.0f} MB / {r['ours_private_mb']:.0f} MB)"
            )
    return out

