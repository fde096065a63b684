"""Runs bench/memory_probe.ts (the worker's scan in Node against a FAKE, synthetic Qdrant) and
samples its private memory from outside every 2 ms, as the benchmark samples ours.

    .venv/bin/python bench/memory_probe.py [N ...] [--park-miller]   # default 1,000,000
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH)

import scan_harness as sh  # noqa: E402


def probe(n: int, *flags: str) -> dict:
    bundle = os.path.join(BENCH, ".build", "memory_probe.cjs")
    subprocess.run(["node", os.path.join(BENCH, "build.mjs"), "--entry", "memory_probe"], check=True,
                   stdout=subprocess.DEVNULL)
    proc = subprocess.Popen([sh.node_executable(), *sh.node_flags(), bundle, str(n), *flags], stdout=subprocess.PIPE, text=True)
    sampler = sh.MemorySampler(proc.pid)
    sampler.start()
    lines = []
    for line in proc.stdout:  # type: ignore[union-attr]
        lines.append(line)
        if line.strip() == "SCAN_DONE":
            sampler.stop()
    proc.wait()
    sampler.stop()
    if proc.returncode != 0:
        raise SystemExit(f"memory probe failed ({proc.returncode})")
    out = json.loads(lines[-1])
    out["peak_private_mb"] = round(sampler.peak_private_mb or 0, 1)
    return out


if __name__ == "__main__":
    flags = [a for a in sys.argv[1:] if a.startswith("--")]
    for n in [int(a) for a in sys.argv[1:] if not a.startswith("--")] or [1_000_000]:
        print(json.dumps(probe(n, *flags)), flush=True)
