"""The embedded backend's JSON before and after orjson, side by side in one run (issue 16:
ours' time outside the engine at 1M).

    .venv/bin/python bench/json_ab.py [--rounds 5]

Times, on the shapes the scan sends and gets at 1M (256 dimensions, Cosine):
- a scroll page of 256 vectors (the lonely pass fetches 805,766 of them at 1M), written by
  the ``%#.9g`` writer this backend used before and by ``limits.floats_json`` now;
- a query batch's answers (100 searches of 32 hits, id and score), by ``json.dumps`` before
  and ``limits.compact_json`` now;
- a query batch's body (100 searches by id) read by ``json.loads`` before and
  ``limits.loads`` now.
Each best of ``--rounds``; prints each time and the ratio, and checks that both writers give
the same values back (the same float32s, the same answers).
"""

from __future__ import annotations

import argparse
import json
import timeit

import numpy as np

from jupyterlab_near_duplicates.embedded import limits

_FLOATS: dict[int, str] = {}


def floats_before(values: list) -> bytes | None:
    """The writer this backend used until the fifteenth session (9 significant digits)."""
    n = len(values)
    fmt = _FLOATS.get(n)
    if fmt is None:
        fmt = _FLOATS[n] = ",".join(["%#.9g"] * n)
    text = fmt % tuple(values)
    return None if "n" in text else b"[" + text.encode("ascii") + b"]"


def dumps_before(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    X = rng.standard_normal((256, 256)).astype(np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    page = [[float(x) for x in row] for row in X]  # as the engine gives them: float32 values as Python floats
    answers = [
        {"points": [{"id": int(i), "score": float(s)} for i, s in zip(rng.integers(0, 10**6, 32), rng.random(32))]}
        for _ in range(100)
    ]
    body = json.dumps(
        {
            "searches": [
                {"query": int(i), "limit": 32, "score_threshold": 0.95, "with_payload": False, "with_vector": False}
                for i in rng.integers(0, 10**6, 100)
            ]
        }
    ).encode()
    # The same values back from either writer.
    for row, vec in zip(X, page):
        assert np.array_equal(np.asarray(json.loads(limits.floats_json(vec)), dtype=np.float32), row)
        assert np.array_equal(np.asarray(json.loads(floats_before(vec)), dtype=np.float32), row)
    assert json.loads(limits.compact_json(answers)) == json.loads(dumps_before(answers))
    assert limits.loads(body) == json.loads(body)
    rows = [
        ("a scroll page's 256 vectors", lambda: [floats_before(v) for v in page], lambda: [limits.floats_json(v) for v in page]),
        ("a batch's answers (100 x 32 hits)", lambda: dumps_before(answers), lambda: limits.compact_json(answers)),
        ("a batch's body (100 searches)", lambda: json.loads(body), lambda: limits.loads(body)),
    ]
    print(f"{'':36s} {'before ms':>10s} {'now ms':>10s} {'before / now':>13s}")
    for name, before, now in rows:
        for _ in range(2):  # warm both
            before(), now()
        b, n = (min(timeit.repeat(fn, number=1, repeat=args.rounds)) for fn in (before, now))
        print(f"{name:36s} {1e3 * b:10.2f} {1e3 * n:10.2f} {b / n:13.1f}")
    size_b = sum(len(floats_before(v)) for v in page)
    size_n = sum(len(limits.floats_json(v)) for v in page)
    print(f"the page's vectors as text: {size_b:,} bytes before, {size_n:,} now")


if __name__ == "__main__":
    main()
