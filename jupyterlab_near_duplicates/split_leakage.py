"""``nd.leakage()``: which near-duplicate groups cross the dataset's splits, as a split x split
table and the one line that matters most ("312 test samples (3.1% of test) have a
near-duplicate in train"); ``as_pairs=True``: each leaking sample with its closest
counterpart in another split.

Splits are the payload values present on the groups' members (``split_field``), read from
the collection by point id; a member without one counts under ``(no split)``, with a warning.
"""

from __future__ import annotations

import functools
import html
import warnings
from typing import Any

from .members import choose_vector, fetch, payload_value, read_scan, split_sizes, the_client

NO_SPLIT = "(no split)"
# Names that usually mean "held out" and "trained on": the headline compares these.
HELD_OUT = ("test", "testing", "val", "valid", "validation", "dev", "eval", "evaluation", "holdout", "heldout")
TRAINED_ON = ("train", "training")


@functools.cache
def _table_class():
    import pandas as pd

    class LeakageTable(pd.DataFrame):
        """A DataFrame with the leakage ``headline`` (and one line per held-out split,
        ``lines``) shown above it."""

        _metadata = ["headline", "lines"]

        @property
        def _constructor(self):
            return LeakageTable

        def __repr__(self) -> str:
            return f"{getattr(self, 'headline', '')}\n{super().__repr__()}"

        def _repr_html_(self) -> str:
            # Split names are payload text: escaped, never markup.
            head = html.escape(getattr(self, "headline", "") or "")
            return f"<p>{head}</p>{super()._repr_html_()}"

    return LeakageTable


def _pandas():
    try:
        import pandas as pd
    except ImportError:
        raise ImportError(
            "nd.leakage() returns a pandas DataFrame, and pandas is not installed in this kernel. "
            "Install it (pip install pandas)."
        ) from None
    return pd


def _order(splits: set) -> list[str]:
    named = sorted(s for s in splits if s != NO_SPLIT)
    return named + ([NO_SPLIT] if NO_SPLIT in splits else [])


def _lines(leaking: dict, sizes: dict, splits: list[str]) -> list[str]:
    """One line per (held-out split, trained-on split) pair, the most telling first."""
    named = [s for s in splits if s != NO_SPLIT]
    held = [s for s in named if s.lower() in HELD_OUT]
    ref = [s for s in named if s.lower() in TRAINED_ON]
    if not (held and ref) and len(named) >= 2:  # unknown names: the smallest split against the largest
        by_size = sorted(named, key=lambda s: (sizes.get(s, 0), s))
        held, ref = by_size[:-1], by_size[-1:]
    lines = []
    for a in sorted(held, key=lambda s: HELD_OUT.index(s.lower()) if s.lower() in HELD_OUT else len(HELD_OUT)):
        for b in ref:
            if a == b:
                continue
            n = leaking.get((a, b), 0)
            size = sizes.get(a)
            share = f" ({100.0 * n / size:.1f}% of {a})" if size else ""
            noun = "sample" if n == 1 else "samples"
            verb = "has" if n == 1 else "have"
            lines.append(f"{n:,} {a} {noun}{share} {verb} a near-duplicate in {b}")
    return lines


def leakage(
    split_field: str = "split",
    as_pairs: bool = False,
    *,
    groups: Any = None,
    client: Any = None,
    collection: str | None = None,
    vector: str | None = None,
):
    """The split x split table of the groups of a scan (``nd.groups()`` unless ``groups``).

    Rows are the split of the samples counted, columns ``("groups", other)`` and
    ``("samples", other)``: the groups that hold both splits, and the samples of the row's
    split in them (those that have a near-duplicate in the other split). On the diagonal:
    groups with two or more members of that split, and those members. ``.headline`` (also
    in ``.attrs``) is the line that matters most, e.g. "312 test samples (3.1% of test) have
    a near-duplicate in train"; ``.lines`` has one per held-out split.

    ``as_pairs=True``: one row per sample in a group that crosses splits, with its closest
    member in another split and their score (computed exactly from the vectors; ``vector``
    names the one the scan used when the collection has several).
    """
    pd = _pandas()
    scan = read_scan(groups, collection)
    client = the_client(client)
    payloads = fetch(client, scan.collection, scan.point_ids, fields=[split_field])
    split: dict = {}
    for p in scan.point_ids:
        value = payload_value(payloads[p][0], split_field)
        split[p] = NO_SPLIT if value is None else str(value)
    missing = sum(1 for s in split.values() if s == NO_SPLIT)
    if missing == len(split):
        raise ValueError(
            f"No member of any group has a payload field {split_field!r}: pass split_field=... "
            "(the panel's splitField setting names it), or set the field on the points."
        )
    if missing:
        warnings.warn(
            f"{missing:,} of {len(split):,} samples in the groups have no payload field {split_field!r}: they "
            f"are counted under {NO_SPLIT!r}. Set the field on them to count them in their split.",
            UserWarning,
            stacklevel=2,
        )
    splits = _order(set(split.values()))
    groups_with: dict = {}
    samples_with: dict = {}
    for g in scan.groups:
        members: dict = {}
        for p in g.point_ids:
            members.setdefault(split[p], []).append(p)
        for a, ps in members.items():
            for b in members:
                if a == b and len(ps) < 2:
                    continue
                if a <= b:
                    groups_with[(a, b)] = groups_with.get((a, b), 0) + 1
                samples_with[(a, b)] = samples_with.get((a, b), 0) + len(ps)
    columns = pd.MultiIndex.from_product([["groups", "samples"], splits], names=["", "with"])
    data = [
        [groups_with.get((min(a, b), max(a, b)), 0) for b in splits] + [samples_with.get((a, b), 0) for b in splits]
        for a in splits
    ]
    sizes = split_sizes(client, scan.collection, split_field, [s for s in splits if s != NO_SPLIT])
    lines = _lines(samples_with, sizes, splits)
    crossing = sum(1 for g in scan.groups if len({split[p] for p in g.point_ids}) > 1)
    headline = lines[0] if lines else f"No group holds two splits: {crossing} of {len(scan.groups):,} groups cross splits"
    Table = _table_class()
    if as_pairs:
        table = Table(_pairs(scan, client, split, vector), columns=PAIR_COLUMNS)
    else:
        table = Table(data, index=pd.Index(splits, name="split"), columns=columns)
    table.headline = headline
    table.lines = lines
    table.attrs.update(headline=headline, lines=lines, split_sizes=sizes, crossing_groups=crossing)
    return table


PAIR_COLUMNS = ["group", "sample_id", "point_id", "split", "other_sample_id", "other_point_id", "other_split", "score"]


def _pairs(scan: Any, client: Any, split: dict, vector: str | None) -> list[list]:
    crossing = [g for g in scan.groups if len({split[p] for p in g.point_ids}) > 1]
    if not crossing:
        return []
    name, distance = choose_vector(client, scan.collection, vector)
    distance = scan.distance or distance
    points = fetch(client, scan.collection, [p for g in crossing for p in g.point_ids], fields=[], vector=name)
    from .metric import better_than, pair_scores

    better = better_than(distance)
    rows = []
    for g in crossing:
        s = pair_scores([points[p][1] for p in g.point_ids], distance)
        for i, p in enumerate(g.point_ids):
            best = None
            for j, q in enumerate(g.point_ids):
                if split[q] != split[p] and (best is None or better(s[i][j], s[i][best])):
                    best = j
            q = g.point_ids[best]
            rows.append([g.index, g.sample_ids[i], p, split[p], g.sample_ids[best], q, split[q], float(s[i][best])])
    return rows
