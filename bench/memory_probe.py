"""Runs bench/memory_probe.ts (the worker's scan in Node against a FAKE, synthetic Qdrant) and
samples its private memory from outside every 2 ms, as the benchmark samples ours.

    .venv/bin/python bench/memory_probe.py [N ...] [--park-miller] [--fixed-mmap-threshold]

N defaults to 1,000,000. --fixed-mmap-threshold runs Node with glibc's mmap threshold fixed at
128 KB (MALLOC_MMAP_THRESHOLD_): every buffer of 128 KB or more is its own mapping and goes back
to the system when freed, as Chromium's allocator gives large buffers back. By default glibc
raises the threshold after the first such buffer is freed, and later ones come from its heap
and stay there when freed: the process then keeps memory our code gave back.
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
    env = dict(os.environ)
    if "--fixed-mmap-threshold" in flags:
        env["MALLOC_MMAP_THRESHOLD_"] = "131072"
    args = [f for f in flags if f != "--fixed-mmap-threshold"]
    proc = subprocess.Popen([sh.node_executable(), *sh.node_flags(), bundle, str(n), *args], stdout=subprocess.PIPE,
                            text=True, env=env)
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
    out["glibc_mmap_threshold"] = "fixed at 128 KB" if "--fixed-mmap-threshold" in flags else "glibc's default (dynamic)"
    # When the peak came (seconds from the start, as the phases printed to stderr count them),
    # and the peak of every fifth second: where the memory goes.
    out["peak_at_s"] = sampler.peak_at_s
    out["timeline"] = [f"{t:.0f}:{mb:.0f}" for t, mb in sampler.timeline[::10]]
    out["last_10_s"] = [f"{t:.1f}:{mb:.0f}" for t, mb in sampler.timeline[-20:]]
    return out


if __name__ == "__main__":
    flags = [a for a in sys.argv[1:] if a.startswith("--")]
    for n in [int(a) for a in sys.argv[1:] if not a.startswith("--")] or [1_000_000]:
        print(json.dumps(probe(n, *flags)), flush=True)
