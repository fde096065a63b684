"""The scale benchmark's picture: time and peak private memory against N, log axes, every
method (run by bench/scale.py under bench/.venv-peers, which has matplotlib).

    bench/.venv-peers/bin/python bench/plot.py bench/results/latest.json bench/results/scale.png

A method that did not finish a size within its budget is drawn as an open marker at the budget
with an arrow up (it took at least that long) and, where it reported how far it got, a dotted
line to a smaller open marker at its projected time; not at all past the size where it stopped.
"""

from __future__ import annotations

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ORDER = ["ours", "floor", "seed", "numpy", "sklearn", "usearch", "semhash"]
STYLE = {"ours": ("tab:red", "o"), "floor": ("tab:pink", "v"), "seed": ("tab:gray", "s"), "numpy": ("tab:blue", "D"),
         "sklearn": ("tab:orange", "^"), "usearch": ("tab:green", "P"), "semhash": ("tab:purple", "X")}


def main() -> None:
    src, png = sys.argv[1], sys.argv[2]
    with open(src, encoding="utf-8") as f:
        scale = json.load(f)["scale"]
    rows = [r for s in scale["sizes"] for r in s["methods"]]
    fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(12, 5))
    for m in [x for x in ORDER if any(r["method"] == x for r in rows)]:
        color, marker = STYLE[m]
        mine = sorted((r for r in rows if r["method"] == m), key=lambda r: r["n"])
        ok = [r for r in mine if r["status"] == "ok"]
        label = mine[0].get("label", m)
        ax_t.plot([r["n"] for r in ok], [r["seconds"] for r in ok], marker=marker, color=color, label=label)
        mem = [r for r in ok if r.get("peak_private_mb")]
        if mem:
            ax_m.plot([r["n"] for r in mem], [r["peak_private_mb"] for r in mem], marker=marker, color=color, label=label)
        for r in mine:
            if r["status"] == "over budget":
                ax_t.plot([r["n"]], [r["budget_s"]], marker=marker, color=color, markerfacecolor="none", markersize=10)
                ax_t.annotate("", xy=(r["n"], r["budget_s"] * 1.8), xytext=(r["n"], r["budget_s"]),
                              arrowprops={"arrowstyle": "->", "color": color})
                if r.get("projected_s"):  # from the share it finished: a dotted line to an open marker
                    last = ok[-1] if ok else None
                    if last:
                        ax_t.plot([last["n"], r["n"]], [last["seconds"], r["projected_s"]], color=color, linestyle=":")
                    ax_t.plot([r["n"]], [r["projected_s"]], marker=marker, color=color, markerfacecolor="none",
                              markersize=7, linestyle="none")
    budget = scale["settings"]["budget_s"]
    ax_t.axhline(budget, color="black", linestyle=":", linewidth=1)
    ax_t.text(0.01, budget * 1.08, f"time budget {budget:.0f} s", fontsize=8, transform=ax_t.get_yaxis_transform())
    for ax, what in ((ax_t, "seconds (scan or search, index build included for peers)"),
                     (ax_m, "peak private memory of its process, MB")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(f"N points (d = {scale['settings']['dim']})")
        ax.set_ylabel(what)
        ax.grid(True, which="both", alpha=0.3)
    ax_t.set_title("Time against N")
    ax_m.set_title("Memory against N")
    ax_t.legend(fontsize=8, loc="lower right")
    fig.suptitle(f"Near-duplicate pairs past cosine {scale['settings']['threshold']}, 2 shared cores "
                 f"({scale['finished'][:10]})", fontsize=10)
    fig.tight_layout()
    fig.savefig(png, dpi=110)


if __name__ == "__main__":
    main()
