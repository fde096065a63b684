"""``nd.plan()``: which member of each near-duplicate group to keep, by rules the user names,
with pinned keepers and groups marked "not duplicates" left out; what it keeps and drops,
per split, before anything is written.

A rule is one of:

* ``"first"``: the lowest point id (integers before UUIDs);
* ``("max", field)`` / ``("min", field)``: the highest / lowest value of a payload field
  (numbers, or strings such as ISO timestamps; one type per field);
* ``("split", ["test", "val", "train"])``: the member whose split comes first in the list
  (splits not listed, and members without a split, come after the listed ones);
* ``"central"``: the member with the best mean score to the others in its group, computed
  exactly from the members' vectors (``nd.groups()`` holds only each member's closest link,
  not every pair).

Rules are tie-breakers in the order given; ``"first"`` always ends the list, so every group
has exactly one keeper whatever the payloads hold.
"""

from __future__ import annotations

import warnings
from typing import Any

from .members import Scan, choose_vector, fetch, group_scores, payload_value, point_key, read_scan, split_sizes, the_client

MISSING_CHOICES = ("error", "last")
#: Mean scores are compared at this many decimals, so scores read as float32 (the panel's
#: kept pairs, src/plan.ts CENTRAL_DECIMALS) and float64 (from the vectors here) tie alike.
CENTRAL_DECIMALS = 6


class Samples:
    """Members of a plan's groups: ``sample_ids[i]`` and ``point_ids[i]`` are one sample.

    Iterates over sample ids; ``in`` accepts a sample id or a point id.
    """

    def __init__(self, sample_ids: list[str], point_ids: list):
        self.sample_ids = list(sample_ids)
        self.point_ids = list(point_ids)
        self._lookup: tuple[set, set] | None = None

    def __len__(self) -> int:
        return len(self.sample_ids)

    def __iter__(self):
        return iter(self.sample_ids)

    def __contains__(self, item: object) -> bool:
        if self._lookup is None:
            self._lookup = (set(self.sample_ids), set(self.point_ids))
        return item in self._lookup[0] or point_key(item) in self._lookup[1]

    def __repr__(self) -> str:
        shown = ", ".join(repr(s) for s in self.sample_ids[:5])
        more = f", ... (+{len(self) - 5:,})" if len(self) > 5 else ""
        return f"Samples({len(self):,}: [{shown}{more}])"


def _rule(rule: Any) -> tuple:
    """A rule in its normal form: ("first",), ("central",), ("max"|"min", field), ("split", order)."""
    if isinstance(rule, str):
        if rule in ("first", "central"):
            return (rule,)
        raise ValueError(
            f"Unknown keep rule {rule!r}: use 'first', 'central', ('max', field), ('min', field) "
            "or ('split', [order])."
        )
    if isinstance(rule, (tuple, list)) and len(rule) == 2:
        kind, arg = rule
        if kind in ("max", "min"):
            if not isinstance(arg, str) or not arg:
                raise ValueError(f"Rule ({kind!r}, ...) needs a payload field name, not {arg!r}.")
            return (kind, arg)
        if kind == "split":
            if isinstance(arg, str) or not all(isinstance(s, str) for s in arg) or not arg:
                raise ValueError("Rule ('split', order) needs a list of split names, e.g. ['test', 'train'].")
            return ("split", list(arg))
    raise ValueError(
        f"Cannot read the keep rule {rule!r}: use 'first', 'central', ('max', field), ('min', field) "
        "or ('split', [order])."
    )


def describe_rule(rule: tuple) -> str:
    kind = rule[0]
    if kind == "first":
        return "first point id"
    if kind == "central":
        return "most central"
    if kind == "split":
        return "split " + " > ".join(rule[1])
    return f"{'highest' if kind == 'max' else 'lowest'} {rule[1]}"


def _integer(point_id: Any) -> int | None:
    if isinstance(point_id, int) and not isinstance(point_id, bool):
        return point_id
    if isinstance(point_id, str) and point_id.isascii() and point_id.isdigit():
        return int(point_id)
    return None


def group_id(point_ids: list) -> str:
    """A group's name in the panel's pins and marks (src/plan.ts groupId): its size and a
    53-bit hash of its point ids in id order, integers as digits and UUIDs quoted in lower
    case. The same members give the same name, whatever their order."""

    def order(p: Any) -> tuple:
        n = _integer(p)
        return (0, n, "") if n is not None else (1, 0, str(p).lower())

    text = ",".join(
        str(_integer(p)) if _integer(p) is not None else f'"{str(p).lower()}"' for p in sorted(point_ids, key=order)
    )
    return f"{len(point_ids)}-{_hash53(text):x}"


def _hash53(text: str) -> int:
    """cyrb53 over UTF-16 code units, as src/plan.ts computes it in the browser."""
    m = 0xFFFFFFFF
    h1, h2 = 0xDEADBEEF, 0x41C6CE57
    units = text.encode("utf-16-le")
    for i in range(0, len(units), 2):
        c = units[i] | (units[i + 1] << 8)
        h1 = ((h1 ^ c) * 2654435761) & m
        h2 = ((h2 ^ c) * 1597334677) & m
    h1 = ((h1 ^ (h1 >> 16)) * 2246822507) & m
    h1 ^= ((h2 ^ (h2 >> 13)) * 3266489909) & m
    h2 = ((h2 ^ (h2 >> 16)) * 2246822507) & m
    h2 ^= ((h1 ^ (h1 >> 13)) * 3266489909) & m
    return 4294967296 * (2097151 & h2) + h1


def _first_key(point_id: Any) -> tuple:
    return (0, point_id, "") if isinstance(point_id, int) else (1, 0, str(point_id))


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "booleans"
    if isinstance(value, (int, float)):
        return "numbers"
    if isinstance(value, str):
        return "strings"
    if isinstance(value, list):
        return "lists"
    if isinstance(value, dict):
        return "objects"
    return type(value).__name__


class Plan:
    """One keeper per group, by rules; build it with ``nd.plan(...)``.

    ``keep`` and ``drop`` are the members kept and dropped (``.sample_ids``, ``.point_ids``);
    ``summary()`` says what the plan does, per split; ``pin(point_id)`` makes a member its
    group's keeper; ``not_duplicates(group)`` leaves a false group out. ``tag()`` writes the
    plan into the collection's payload, ``untag()`` takes it out again, ``export(path)`` writes it to a file.
    """

    def __init__(self, scan: Scan, rules: list[tuple], split_field: str, client: Any, vector: str | None, distance: str | None,
                 payloads: dict, missing: str):
        self.scan = scan
        self.rules = rules
        self.split_field = split_field
        self.client = client
        self.vector = vector
        self.distance = distance
        self.missing = missing
        self._payloads = payloads  # point key -> payload (the fields the plan reads)
        self._scores: dict[int, Any] = {}  # group index -> GroupScores, read when needed
        self._pins: dict[int, Any] = {}
        # The panel's keeper where it differs from the rules here (nd.plan() with no arguments).
        self._chosen: dict[int, Any] = {}
        self.from_panel = False
        self._false: set[int] = set()
        self._counts: dict | None = None
        self._by_index = {g.index: g for g in scan.groups}
        self._group_of = {p: g.index for g in scan.groups for p in g.point_ids}
        self._ranked = {g.index: self._rank(g) for g in scan.groups}

    # -- what the plan says -------------------------------------------------------------

    @property
    def collection(self) -> str:
        return self.scan.collection

    @property
    def groups(self) -> list:
        """The groups in the plan (those marked "not duplicates" left out)."""
        return [g for g in self.scan.groups if g.index not in self._false]

    def keeper(self, group: Any) -> Any:
        """The point id kept in ``group`` (its index in ``nd.groups()``, or its row)."""
        index = self._index(group)
        return self._pins.get(index, self._chosen.get(index, self._ranked[index][0]))

    @property
    def keep(self) -> Samples:
        """The members kept: one per group."""
        return self._members(True)

    @property
    def drop(self) -> Samples:
        """The members dropped: all but the keeper of each group."""
        return self._members(False)

    def split_of(self, point_id: Any) -> str | None:
        value = payload_value(self._payloads.get(point_key(point_id)), self.split_field)
        return None if value is None else str(value)

    def _members(self, kept: bool) -> Samples:
        sids, pids = [], []
        for g in self.groups:
            keeper = self.keeper(g.index)
            for p, s in zip(g.point_ids, g.sample_ids):
                if (p == keeper) == kept:
                    sids.append(s)
                    pids.append(p)
        return Samples(sids, pids)

    def counts(self) -> dict:
        """``{"keep", "drop", "points", "splits": {split: {"keep", "drop", "points"}}}``:
        points are the collection's (exact count, read once), per split by its payload value."""
        keep, drop = self.keep, self.drop
        if self._counts is None:
            total = self.client.count(self.collection, exact=True).count
            splits = sorted({self.split_of(p) for p in self.scan.point_ids} - {None})
            self._counts = {"points": total, "splits": split_sizes(self.client, self.collection, self.split_field, splits)}
        splits: dict = {}
        for name, samples in (("keep", keep), ("drop", drop)):
            for p in samples.point_ids:
                split = self.split_of(p) or "(no split)"
                row = splits.setdefault(split, {"keep": 0, "drop": 0, "points": self._counts["splits"].get(split)})
                row[name] += 1
        return {"keep": len(keep), "drop": len(drop), "points": self._counts["points"], "splits": dict(sorted(splits.items()))}

    def summary(self) -> str:
        """What the plan does, e.g. ``keep 937, drop 9,063 samples (18.1%)``, then per split."""
        c = self.counts()
        lines = [
            f"keep {c['keep']:,}, drop {c['drop']:,} samples ({_share(c['drop'], c['points'])})",
            f"  of {c['points']:,} points in {self.collection!r}, {len(self.groups):,} groups",
        ]
        for split, row in c["splits"].items():
            of = f" ({_share(row['drop'], row['points'])} of {split})" if row["points"] else ""
            lines.append(f"  {split}: keep {row['keep']:,}, drop {row['drop']:,}{of}")
        if self._false:
            n = sum(self._by_index[i].size for i in self._false)
            lines.append(f"  left out: {len(self._false):,} group(s) marked not duplicates ({n:,} samples)")
        if c["drop"] == 0:
            lines.append("  The plan drops nothing: " + self._why_nothing())
        lines.append("  rules: " + ", ".join(describe_rule(r) for r in self.rules) + (f"; {len(self._pins)} pinned" if self._pins else ""))
        return "\n".join(lines)

    def __repr__(self) -> str:
        keep, drop = self.keep, self.drop
        rules = ", ".join(describe_rule(r) for r in self.rules)
        return f"Plan(keep {len(keep):,}, drop {len(drop):,} samples in {len(self.groups):,} groups of {self.collection!r}; rules: {rules})"

    # -- writing it -----------------------------------------------------------------------

    def tag(self, client: Any = None, field: str = "near_duplicate", dry_run: bool = False):
        """Set ``field`` on every member of every group in the plan to ``{group, keep, scan,
        threshold, weakest_link}``, in batches; members already tagged so are skipped, so it
        can run again. ``dry_run=True`` writes nothing and says what it would write. Returns a
        report; raises ``TagError`` (how many were written, how to finish or undo) when the
        backend refuses a write. ``client``: default the plan's (``nd.client()``)."""
        from .tagging import tag

        return tag(self, client, field, dry_run)

    def untag(self, client: Any = None, field: str = "near_duplicate", dry_run: bool = False):
        """Remove ``field`` from the plan's members where it holds this scan's tag (another
        scan's tags stay). Returns a report; ``dry_run=True`` removes nothing."""
        from .tagging import untag

        return untag(self, client, field, dry_run)

    def export(self, path: str, format: str | None = None) -> str:
        """Write the plan to ``path`` (``"csv"``, ``"jsonl"`` or ``"parquet"``; by default from
        its extension), one row per member, and a manifest beside it; see ``nd.export``.
        Returns the manifest's path."""
        from .export_files import write

        return write(self, path, format)

    # -- the user's decisions -----------------------------------------------------------

    def pin(self, point_id: Any) -> Plan:
        """Keep ``point_id`` in its group, whatever the rules say. Returns the plan."""
        key = point_key(point_id)
        if key not in self._group_of:
            raise ValueError(f"Point {point_id!r} is in no group of this plan: pin a member of a group.")
        index = self._group_of[key]
        if index in self._false:
            raise ValueError(
                f"Point {point_id!r} is in group {index}, which is marked not duplicates: "
                "that group is left out of the plan, so it has no keeper to pin."
            )
        self._pins[index] = key
        return self

    def not_duplicates(self, group: Any) -> Plan:
        """Leave ``group`` (its index in ``nd.groups()``, or its row or Selection) out of the
        plan: a false group keeps all its members. Returns the plan."""
        index = self._index(group)
        self._false.add(index)
        self._pins.pop(index, None)
        if not self.groups:
            warnings.warn("The plan drops nothing now: " + self._why_nothing(), UserWarning, stacklevel=2)
        return self

    def _follow_panel(self, panel: dict) -> None:
        """The panel's pins, marks and keepers (a "plan" message), on the groups they name."""
        by_id = {group_id(g.point_ids): g.index for g in self.scan.groups}
        stale = 0
        differ = 0
        named = set()
        for entry in panel["groups"]:
            index = by_id.get(entry["id"])
            keeper = None if entry["keeper"] is None else point_key(entry["keeper"])
            if index is None or (keeper is not None and keeper not in self._by_index[index].point_ids):
                stale += 1
                continue
            named.add(index)
            if keeper is None:
                self._false.add(index)
            elif entry["pinned"]:
                self._pins[index] = keeper
            elif keeper != self._ranked[index][0]:
                self._chosen[index] = keeper
                differ += 1
        self.from_panel = True
        unnamed = len(self.scan.groups) - len(named)
        if stale or unnamed:
            warnings.warn(
                f"The panel's plan names {stale:,} group(s) that nd.groups() does not hold, and {unnamed:,} of "
                "nd.groups() are not in it: the groups on show changed since 'Send all groups' (a threshold, a "
                "Split). Click 'Send all groups' again; meanwhile those groups follow the rules.",
                UserWarning,
                stacklevel=3,
            )
        if differ:
            warnings.warn(
                f"In {differ:,} group(s) the panel keeps another member than the rules pick here (the panel ranks "
                "'most central' from the scan's pairs, counting pairs at its floor at the floor, and reads payloads "
                "when a rule is added). nd.plan() keeps the panel's choice; nd.plan(keep=...) ranks here.",
                UserWarning,
                stacklevel=3,
            )

    def _why_nothing(self) -> str:
        if self.scan.groups and not self.groups:
            return "every group is marked not duplicates. To undo the marks, build the plan again with nd.plan(...)."
        return "every group has a single member. Check the groups you passed (nd.groups() rows have 2 or more)."

    def group_of(self, point_id: Any) -> int:
        """The index (in ``nd.groups()``) of the group that holds ``point_id``."""
        key = point_key(point_id)
        if key not in self._group_of:
            raise ValueError(f"Point {point_id!r} is in no group of this plan.")
        return self._group_of[key]

    def _index(self, group: Any) -> int:
        """A group's index from its index or its row / Selection (a point id: ``group_of``)."""
        if isinstance(group, int) and not isinstance(group, bool):
            if group in self._by_index:
                return group
            raise ValueError(
                f"No group {group} in this plan: groups are numbered as in nd.groups() "
                f"(0 to {max(self._by_index)}). For the group of a point, use plan.group_of(point_id)."
            )
        if hasattr(group, "point_ids") or isinstance(group, dict):
            pids = group.point_ids if hasattr(group, "point_ids") else group.get("point_ids") or []
            found = {self._group_of.get(point_key(p)) for p in pids} - {None}
            if len(found) == 1:
                return found.pop()
            raise ValueError(f"That group matches {len(found)} groups of this plan; pass its index in nd.groups() instead.")
        raise TypeError(
            f"A group is its index in nd.groups() or its row (or Selection), not {type(group).__name__}; "
            "for the group of a point, use plan.group_of(point_id)."
        )

    # -- ranking ------------------------------------------------------------------------

    def _rank(self, group) -> list:
        """The group's members, best keeper first, by the rules in order, then the point id."""
        keys: list[list] = [[] for _ in group.point_ids]
        for rule in self.rules:
            kind = rule[0]
            if kind == "first":
                continue
            if kind == "split":
                order = rule[1]
                for k, p in enumerate(group.point_ids):
                    s = self.split_of(p)
                    keys[k].append(order.index(s) if s in order else len(order))
                continue
            if kind == "central":
                values = [round(m, CENTRAL_DECIMALS) for m in self.scores(group.index).mean]
                reverse = _higher(self.distance)
            else:
                values = [payload_value(self._payloads.get(p), rule[1]) for p in group.point_ids]
                reverse = kind == "max"
            present = sorted({v for v in values if v is not None}, reverse=reverse)
            rank = {v: i for i, v in enumerate(present)}
            for k, v in enumerate(values):
                keys[k].append(rank[v] if v is not None else len(present))
        order = sorted(range(group.size), key=lambda k: (keys[k], _first_key(group.point_ids[k])))
        return [group.point_ids[k] for k in order]

    def scores(self, group: Any):
        """The exact scores inside a group (``best``, ``mean``, ``weakest_link``, ``matrix``),
        from its members' vectors; read from the collection once per plan."""
        index = self._index(group)
        if index not in self._scores:
            self._read_vectors()
        return self._scores[index]

    def _read_vectors(self) -> None:
        if self.vector is None or self.distance is None:
            self.vector, distance = choose_vector(self.client, self.collection, self.vector)
            self.distance = self.distance or distance
        points = fetch(self.client, self.collection, self.scan.point_ids, fields=[], vector=self.vector)
        for g in self.scan.groups:
            self._scores[g.index] = group_scores([points[p][1] for p in g.point_ids], self.distance)


def _higher(distance: str | None) -> bool:
    from .metric import higher_is_better

    return higher_is_better(distance)


def _share(part: int, whole: int | None) -> str:
    if not whole:
        return "n/a"
    return f"{100.0 * part / whole:.1f}%"


def _check_field(scan: Scan, payloads: dict, field: str, missing: str, rule: tuple) -> None:
    """A rule's field must be on every member (unless ``missing="last"``) and of one type."""
    absent, kinds = [], {}
    for g in scan.groups:
        for p, s in zip(g.point_ids, g.sample_ids):
            v = payload_value(payloads.get(p), field)
            if v is None:
                absent.append((p, s))
            else:
                kinds.setdefault(_kind(v), (p, v))
    total = len(scan.point_ids)
    name = f"({rule[0]!r}, {field!r})"
    if absent and missing == "error":
        examples = ", ".join(f"point {p!r} (sample {s!r})" for p, s in absent[:3])
        raise ValueError(
            f"Rule {name}: {len(absent):,} of {total:,} members have no payload field {field!r}, for example "
            f"{examples}. Set it on them, choose another field, or pass missing='last' to rank them after "
            "the members that have it."
        )
    if not kinds:
        raise ValueError(f"Rule {name}: no member has a payload field {field!r}. Check its name (nested fields: 'a.b').")
    if len(kinds) > 1 or not ({"numbers", "strings"} >= set(kinds)):
        seen = "; ".join(f"{k} (e.g. point {p!r}: {v!r})" for k, (p, v) in kinds.items())
        raise ValueError(
            f"Rule {name}: the field {field!r} holds {seen}. A rule compares numbers with numbers or "
            "strings with strings: make the field one type on every point, or choose another field."
        )


def plan(
    groups: Any = None,
    *,
    keep: Any = None,
    prefer_split: list[str] | None = None,
    split_field: str | None = None,
    missing: str | None = None,
    vector: str | None = None,
    collection: str | None = None,
    client: Any = None,
) -> Plan:
    """A keep-one plan for the groups of a scan.

    With no groups and no rules (``nd.plan()``, or with only ``client=`` / ``vector=``) it is
    the panel's current plan: its rules, pinned keepers and groups marked "not duplicates",
    keeping what the panel shows, for ``nd.groups()`` (the panel sends its plan with "Send all
    groups" and again when it changes). Without a plan from the panel, the rule is ``"first"``.

    ``groups``: None for ``nd.groups()`` (the panel's "Send all groups"), or a list of its rows
    or of ``nd.Selection``. ``keep``: one rule or a list of rules, tie-breakers in order:
    ``"first"``, ``"central"``, ``("max", field)``, ``("min", field)``, ``("split", order)``
    (see the module's text). ``prefer_split=["test", "train"]`` puts ``("split", [...])``
    before the ``keep`` rules: keep the test copy and drop the train copies, so that the test
    set stays whole. ``split_field``: the payload field holding the split (the panel's
    ``splitField``). ``missing="last"`` ranks members without a rule's field last instead of
    raising. ``vector``: the vector the scan compared by, when the collection has several.
    ``client``: a ``QdrantClient`` (default ``nd.client()``).

    Payload values are read from the collection by point id, in batches.
    """
    panel = None
    if groups is None and keep is None and prefer_split is None:
        from .selection import panel_plan

        panel = panel_plan()
    if panel is not None:
        if panel["problem"]:
            raise ValueError(
                f"The panel has no keep-one plan for these groups: {panel['problem']} "
                "Change its rules in the panel, or pass keep=... here."
            )
        keep = [r if isinstance(r, str) else tuple(r) for r in panel["rules"]]
        split_field = split_field or panel["split_field"]
        missing = missing or "last"  # the panel ranks members without a rule's field last
    keep = "first" if keep is None else keep
    split_field = split_field or "split"
    missing = missing or "error"
    if missing not in MISSING_CHOICES:
        raise ValueError(f"missing must be one of {', '.join(map(repr, MISSING_CHOICES))}, not {missing!r}.")
    raw = list(keep) if isinstance(keep, list) else [keep]
    if prefer_split is not None:
        raw.insert(0, ("split", list(prefer_split)))
    rules = [_rule(r) for r in raw]
    rules = [r for r in rules if r[0] != "first"] + [("first",)]
    scan = read_scan(groups, collection)
    client = the_client(client)
    fields = [split_field] + [r[1] for r in rules if r[0] in ("max", "min")]
    payloads = {p: pl for p, (pl, _) in fetch(client, scan.collection, scan.point_ids, fields=fields).items()}
    for r in rules:
        if r[0] in ("max", "min"):
            _check_field(scan, payloads, r[1], missing, r)
    if any(r[0] == "split" for r in rules):
        no_split = sum(1 for p in scan.point_ids if payload_value(payloads.get(p), split_field) is None)
        if no_split:
            warnings.warn(
                f"{no_split:,} of {len(scan.point_ids):,} members have no payload field {split_field!r}: the split "
                "rule ranks them after the listed splits. Pass split_field=... if the split is under another name.",
                UserWarning,
                stacklevel=2,
            )
    result = Plan(scan, rules, split_field, client, vector, scan.distance, payloads, missing)
    if panel is not None:
        result._follow_panel(panel)
    if len(result.drop) == 0:
        warnings.warn("The plan drops nothing: " + result._why_nothing(), UserWarning, stacklevel=2)
    return result
