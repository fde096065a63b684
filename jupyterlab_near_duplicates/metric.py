"""Scores and thresholds: whether a higher score is better, what passes a threshold, which
of two thresholds is stricter, and how the threshold is worded.

The one Python home of these rules (the kernel side and the embedded backend import it);
``src/scan/metric.ts`` holds the same rules for the front end, and
``tests/fixtures/rules.json`` holds the cases both must agree on. Qdrant applies
``score_threshold`` strictly: ``>`` for Cosine and Dot, whose scores are similarities, and
``<`` for Euclid and Manhattan, whose scores are distances.
"""

from __future__ import annotations

import operator
from typing import Callable

DISTANCES = ("Cosine", "Dot", "Euclid", "Manhattan")
SIMILARITIES = ("Cosine", "Dot")


def higher_is_better(distance: str | None) -> bool:
    """True when scores are similarities; an unknown or missing distance counts as one,
    as Qdrant's default (Cosine) does."""
    return distance not in ("Euclid", "Manhattan")


def better_than(distance: str | None) -> Callable[[float, float], bool]:
    """``better(a, b)``: score ``a`` is strictly closer than ``b`` (a C comparison, for hot loops)."""
    return operator.gt if higher_is_better(distance) else operator.lt


def passes(score: float, threshold: float, distance: str | None) -> bool:
    """A pair with this score passes the threshold (strictly, as Qdrant applies it)."""
    return better_than(distance)(score, threshold)


def is_stricter(threshold: float, than: float, distance: str | None) -> bool:
    """``threshold`` lets through fewer pairs than ``than``: regrouping needs no new scan."""
    return better_than(distance)(threshold, than)


def threshold_words(distance: str | None) -> tuple[str, str]:
    """(``"similarity"``, ``">"``) or (``"distance"``, ``"<"``): how a threshold is shown."""
    return ("similarity", ">") if higher_is_better(distance) else ("distance", "<")


def pair_scores(vectors, distance: str | None):
    """The score Qdrant gives each pair of ``vectors`` (an (n, d) array): an (n, n) float64
    matrix. Cosine compares the vectors scaled to length 1 (Qdrant stores them so), Dot their
    raw dot product; Euclid and Manhattan give distances."""
    import numpy as np

    x = np.asarray(vectors, dtype=np.float64)
    if distance == "Euclid":
        sq = (x * x).sum(axis=1)
        return np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2.0 * (x @ x.T), 0.0))
    if distance == "Manhattan":  # row by row: an (n, n, d) array would not fit for a big group
        return np.stack([np.abs(x - row).sum(axis=1) for row in x]) if len(x) else np.zeros((0, 0))
    if distance != "Dot":  # Cosine, and Qdrant's default when unknown
        norms = np.linalg.norm(x, axis=1, keepdims=True)
        x = x / np.where(norms == 0, 1.0, norms)
    return x @ x.T
