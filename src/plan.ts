// The keep-one plan (issue 14): which member of each group the user keeps, by rules that break
// ties in order, with pinned keepers and groups marked "not duplicates" left out, and what the
// plan keeps and drops overall and per split. DOM-free. The kernel's nd.plan()
// (jupyterlab_near_duplicates/planning.py) ranks by the same rules: the 'keep_plan' cases of
// tests/fixtures/rules.json are checked on both sides (src/__tests__/plan.spec.ts, tests/test_plan_rules.py).
import type { TranslationBundle } from '@jupyterlab/translation';
import { formatCount } from './format';
import {
  formatPercent1,
  NO_SPLIT,
  populationFor,
  populationOf,
  splitCodesFor
} from './leakage';

// Counted with the leakage table's rule; re-exported for the plan's callers.
export { populationOf };
import {
  centralRanks,
  denseRanks,
  ICentralRanks,
  membersOf,
  ranksFit
} from './scan/central';
import type {
  DistanceKind,
  IDuplicateGroup,
  IPairList,
  IScanPoints,
  IScanPopulation,
  PointId
} from './scan/types';
import { onceFor } from './once';
import { untranslated } from './translation';
import { compareIds, groupIdOf, sameId } from './scan/groupId';

// Group names and the point-id order live in scan/groupId.ts (the worker names groups too).
export { compareIds, groupId, groupIdOf, sameId } from './scan/groupId';

/**
 * One way to choose a keeper, as in the kernel's ``keep=`` (planning.py):
 * - 'first': the lowest point id (integers before UUIDs);
 * - 'max' / 'min': the highest / lowest value of a payload field (numbers, or strings such as
 *   ISO dates; one type per field; members without it rank after those with it);
 * - 'split': the member whose split comes first in `order` (splits not listed, and members
 *   without a split, after the listed ones);
 * - 'central': the best mean score to the other members of the group.
 */
export type KeepRule =
  | { kind: 'first' }
  | { kind: 'central' }
  | { kind: 'max'; field: string }
  | { kind: 'min'; field: string }
  | { kind: 'split'; order: string[] };

/**
 * The user's plan: rules (tie-breakers in order; 'first' always ends them, wherever it is
 * written), pinned keepers and groups marked "not duplicates". Groups are named by `groupId`
 * (their members' point ids), never by their place in the list, which changes on a regroup:
 * a pin or mark on a group that a regroup changed no longer applies to its parts.
 */
export interface IKeepPlan {
  rules: KeepRule[];
  /** groupId -> the point id kept in that group, whatever the rules say. */
  pins: Record<string, PointId>;
  /** groupIds of groups marked "not duplicates": they keep all their members. */
  notDuplicates: string[];
}

/** The plan of a new scan: keep the first point id of every group. */
export const DEFAULT_PLAN: IKeepPlan = Object.freeze({
  rules: [{ kind: 'first' }],
  pins: {},
  notDuplicates: []
}) as IKeepPlan;

/** What the plan is computed over. */
export interface IPlanInput {
  /** The groups on show (members are indices into `points`). */
  groups: ReadonlyArray<IDuplicateGroup>;
  /** The scan's points: ids, and splits by the scan's split field (for 'split' and the counts). */
  points: Pick<IScanPoints, 'ids' | 'splits'>;
  /**
   * The scan's kept pairs, its distance and its floor (the scan's threshold): needed by
   * 'central' only. Every pair inside a group that scores past the floor is kept after the
   * scan's check; a pair of members that is not kept is counted at the floor (an estimate:
   * the true score is at or past it), and its group is listed in `estimated`.
   */
  pairs?: { pairs: IPairList; distance: DistanceKind; floor: number };
  /**
   * 'central' computed elsewhere (the scan worker: centralRanks of these groups' members and
   * `pairs`), in the groups' order; used instead of computing it here when its shape fits.
   */
  central?: ICentralRanks;
  /**
   * The payload values of the 'max' / 'min' rules' fields: field -> point index -> value
   * (absent or null: the point has no such field). Only the groups' members are read.
   */
  fields?: ReadonlyMap<string, ReadonlyMap<number, unknown>>;
  /**
   * The scan's points in all and per split, when `points` holds only some of them (a
   * restored scan); by default counted from `points`.
   */
  population?: IScanPopulation;
}

/** A rule as `nd.plan(keep=[...])` takes it: "first", "central", ["max", field], ["split", [order]]. */
export type KernelRule = string | [string, string | string[]];

/** What the plan does to one group. */
export interface IGroupDecision {
  /** groupId(group): how pins and marks name it. */
  id: string;
  /** The member (index into the points) kept; null when the group is marked "not duplicates". */
  keeper: number | null;
  pinned: boolean;
  notDuplicates: boolean;
}

/** Keep and drop counts of one split (NO_SPLIT for members without one). */
export interface ISplitCounts {
  split: string;
  keep: number;
  drop: number;
  /** Points of the split in the scan; null for NO_SPLIT. */
  points: number | null;
}

/** What computePlan answers. */
export interface IPlanResult {
  /**
   * Why the plan cannot be computed (a rule's field of mixed types, a split rule without a
   * split field...), in words for the panel; null when it can. With a problem, the decisions
   * and counts are empty: nothing is planned on input the rules cannot rank.
   */
  problem: string | null;
  /** One decision per input group, in the input's order. */
  decisions: IGroupDecision[];
  /** Members kept (one per group in the plan) and dropped (all others in those groups). */
  keep: number;
  drop: number;
  /** Points in the scan (the share dropped is of these). */
  points: number;
  /** Counts per split of the members in the plan, by split name (the kernel's order). */
  splits: ISplitCounts[];
  /** Groups marked "not duplicates" and their members: outside the plan. */
  leftOut: { groups: number; samples: number };
  /** Per 'max' / 'min' field: members of the groups without a value (ranked last). */
  missing: { field: string; members: number }[];
  /** groupIds of groups whose 'central' member was ranked with a pair counted at the floor. */
  estimated: string[];
}

/**
 * The plan of `input.groups`, keep and drop per group and the counts overall and per split.
 * The signature is stable (the panel's export and Insert code build on it):
 * `computePlan(input: IPlanInput, plan: IKeepPlan): IPlanResult`.
 */
export function computePlan(input: IPlanInput, plan: IKeepPlan): IPlanResult {
  const rules = normalRules(plan.rules);
  const { groups, points } = input;
  const empty = (problem: string) =>
    unplanned(problem, input.population?.points ?? points.ids.length);

  // Rule keys, per rule, per point index of a member: smaller ranks first.
  const missing: { field: string; members: number }[] = [];
  const keyed: ((
    group: IDuplicateGroup,
    index: number
  ) => ArrayLike<number>)[] = [];
  let central: ICentralRanks | null = null;
  for (const rule of rules) {
    if (rule.kind === 'first') {
      continue;
    }
    if (rule.kind === 'split') {
      if (!points.splits.some(s => s !== null && s !== undefined)) {
        return empty(
          'The split rule needs the split of each point: no point of this scan has one. ' +
            'Set the split field (setting splitField) and run Detect again.'
        );
      }
      const order = rule.order;
      const rankOf = (s: string | null | undefined) => {
        const at = s === null || s === undefined ? -1 : order.indexOf(s);
        return at < 0 ? order.length : at;
      };
      const coded = splitCodesFor(points.splits);
      if (coded) {
        // Each split's rank once, then by each point's split code.
        const byCode = [rankOf(null), ...coded.names.map(rankOf)];
        keyed.push(g => g.members.map(m => byCode[coded.codes[m]]));
      } else {
        keyed.push(g => g.members.map(m => rankOf(points.splits[m])));
      }
      continue;
    }
    if (rule.kind === 'central') {
      if (!central) {
        if (ranksFit(input.central, groups)) {
          central = input.central;
        } else if (input.pairs) {
          central = centralRanks(membersOf(groups), input.pairs);
        } else {
          return empty('The most central member needs the scan’s pairs.');
        }
      }
      const { start, rank } = central;
      keyed.push((_, i) => rank.subarray(start[i], start[i + 1]));
      continue;
    }
    const values = input.fields?.get(rule.field);
    if (!values) {
      return empty(`The payload field “${rule.field}” is not read yet.`);
    }
    const highest = rule.kind === 'max';
    const numeric = numericField(values, points.ids.length);
    const seen = numeric && membersWith(groups, numeric.has);
    if (numeric && seen && seen.with > 0) {
      // Every value a number, read once into typed arrays: a member's key is its value
      // (negated for the highest first; an absent value last), no ranks made per group.
      if (seen.without > 0) {
        missing.push({ field: rule.field, members: seen.without });
      }
      const { numbers, has } = numeric;
      keyed.push(g =>
        g.members.map(m =>
          has[m] ? (highest ? -numbers[m] : numbers[m]) : Infinity
        )
      );
      continue;
    }
    const checked = checkField(groups, points, values, rule);
    if (typeof checked === 'string') {
      return empty(checked);
    }
    if (checked > 0) {
      missing.push({ field: rule.field, members: checked });
    }
    keyed.push(g =>
      denseRanks(
        g.members.map(m => present(values.get(m))),
        highest
      )
    );
  }

  const marked = new Set(plan.notDuplicates);
  // Looked up only when there are any: a group id as a property key is interned first, which
  // cost about 2 us a group (45 ms at 1M points' 17,734 groups, on every plan).
  const pinned = Object.keys(plan.pins).length > 0;
  // Counted once per splits array (a million points took ~100 ms on every plan).
  const population = input.population ?? populationFor(points.splits);
  const sizes = new Map(Object.entries(population.splits));
  const splits = new Map<string, ISplitCounts>();
  const rowOf = (name: string): ISplitCounts => {
    let row = splits.get(name);
    if (!row) {
      row = {
        split: name,
        keep: 0,
        drop: 0,
        points: name === NO_SPLIT ? null : (sizes.get(name) ?? 0)
      };
      splits.set(name, row);
    }
    return row;
  };
  // By each point's split code (leakage.ts splitCodesFor), not its own split string: kept
  // and dropped members counted per code in a tight loop (the page's first plan runs cold).
  const coded = splitCodesFor(points.splits);
  const tally = coded && {
    codes: coded.codes,
    kept: new Int32Array(coded.names.length + 1),
    dropped: new Int32Array(coded.names.length + 1)
  };
  const countGroup = (members: ReadonlyArray<number>, keeper: number) => {
    if (tally) {
      const { codes, kept, dropped } = tally;
      for (let k = 0; k < members.length; k++) {
        const m = members[k];
        if (m === keeper) {
          kept[codes[m]]++;
        } else {
          dropped[codes[m]]++;
        }
      }
      return;
    }
    for (const m of members) {
      const s = points.splits[m];
      const row = rowOf(s === null || s === undefined ? NO_SPLIT : s);
      if (m === keeper) {
        row.keep++;
      } else {
        row.drop++;
      }
    }
  };

  let keep = 0;
  let drop = 0;
  const leftOut = { groups: 0, samples: 0 };
  const estimated: string[] = [];
  const decisions = groups.map((g, index): IGroupDecision => {
    const id = groupIdOf(g, points.ids);
    if (marked.size > 0 && marked.has(id)) {
      leftOut.groups++;
      leftOut.samples += g.members.length;
      return { id, keeper: null, pinned: false, notDuplicates: true };
    }
    const pin =
      pinned && Object.prototype.hasOwnProperty.call(plan.pins, id)
        ? g.members.find(m => sameId(points.ids[m], plan.pins[id]))
        : undefined;
    const keeper = pin ?? best(g, index, keyed, points.ids);
    if (pin === undefined && central?.estimated[index]) {
      estimated.push(id);
    }
    countGroup(g.members, keeper);
    keep++;
    drop += g.members.length - 1;
    return { id, keeper, pinned: pin !== undefined, notDuplicates: false };
  });
  if (coded && tally) {
    const { kept, dropped } = tally;
    for (let code = 0; code < kept.length; code++) {
      if (kept[code] + dropped[code] > 0) {
        const row = rowOf(code === 0 ? NO_SPLIT : coded.names[code - 1]);
        row.keep = kept[code];
        row.drop = dropped[code];
      }
    }
  }
  return {
    problem: null,
    decisions,
    keep,
    drop,
    points: population.points,
    splits: [...splits.values()].sort((a, b) => byName(a.split, b.split)),
    leftOut,
    missing,
    estimated
  };
}

/** A plan that decides nothing, and why (it cannot be made, or waits for something). */
export function unplanned(problem: string, points: number): IPlanResult {
  return {
    problem,
    decisions: [],
    keep: 0,
    drop: 0,
    points,
    splits: [],
    leftOut: { groups: 0, samples: 0 },
    missing: [],
    estimated: []
  };
}

/** The rules as the kernel normalises them: every 'first' taken out and one put at the end. */
export function normalRules(rules: ReadonlyArray<KeepRule>): KeepRule[] {
  return [...rules.filter(r => r.kind !== 'first'), { kind: 'first' }];
}

/** The kernel's describe_rule: "first point id", "highest width", "split test > train", "most central". */
export function describeRule(
  rule: KeepRule,
  trans: TranslationBundle = untranslated
): string {
  switch (rule.kind) {
    case 'first':
      return trans.__('first point id');
    case 'central':
      return trans.__('most central');
    case 'split':
      return trans.__('split %1', rule.order.join(' > '));
    case 'max':
      return trans.__('highest %1', rule.field);
    case 'min':
      return trans.__('lowest %1', rule.field);
  }
}

/** The first line of the kernel's summary: "keep 937, drop 9,063 samples (18.1%)". */
export function planHeadline(
  result: IPlanResult,
  trans: TranslationBundle = untranslated
): string {
  return trans.__(
    'keep %1, drop %2 samples (%3)',
    formatCount(result.keep),
    formatCount(result.drop),
    share(result.drop, result.points)
  );
}

/** A split's line as the kernel's summary writes it: "test: keep 1, drop 2 (0.4% of test)". */
export function splitLine(
  row: ISplitCounts,
  trans: TranslationBundle = untranslated
): string {
  const of = row.points
    ? trans.__(' (%1 of %2)', share(row.drop, row.points), row.split)
    : '';
  return (
    trans.__(
      '%1: keep %2, drop %3',
      row.split,
      formatCount(row.keep),
      formatCount(row.drop)
    ) + of
  );
}

/** The rules in the kernel's words for nd.plan(keep=...): "first", ["max", "width"], ["split", [...]]. */
export function kernelRules(rules: ReadonlyArray<KeepRule>): KernelRule[] {
  return normalRules(rules).map(r =>
    r.kind === 'first' || r.kind === 'central'
      ? r.kind
      : r.kind === 'split'
        ? ['split', [...r.order]]
        : [r.kind, r.field]
  );
}

/** The same rules read back (from a saved scan or the kernel); null when one cannot be read. */
export function readRules(raw: unknown): KeepRule[] | null {
  if (!Array.isArray(raw)) {
    return null;
  }
  const out: KeepRule[] = [];
  for (const r of raw) {
    if (r === 'first' || r === 'central') {
      out.push({ kind: r });
    } else if (Array.isArray(r) && r.length === 2) {
      const [kind, arg] = r;
      if (
        (kind === 'max' || kind === 'min') &&
        typeof arg === 'string' &&
        arg
      ) {
        out.push({ kind, field: arg });
      } else if (
        kind === 'split' &&
        Array.isArray(arg) &&
        arg.length > 0 &&
        arg.every(s => typeof s === 'string')
      ) {
        out.push({ kind, order: [...arg] });
      } else {
        return null;
      }
    } else {
      return null;
    }
  }
  return normalRules(out);
}

/** The share dropped, in the kernel's words: one decimal and %, "n/a" of nothing. */
function share(part: number, whole: number): string {
  return whole ? `${formatPercent1((100 * part) / whole)}%` : 'n/a';
}

/** The member that ranks first by the rule keys, then by the point id (the kernel's _rank). */
function best(
  g: IDuplicateGroup,
  index: number,
  keyed: ((group: IDuplicateGroup, index: number) => ArrayLike<number>)[],
  ids: ReadonlyArray<PointId>
): number {
  const keys = keyed.map(k => k(g, index));
  let top = 0;
  for (let k = 1; k < g.members.length; k++) {
    let c = 0;
    for (const key of keys) {
      // Not a difference: two absent values (Infinity) are a tie.
      c = key[k] === key[top] ? 0 : key[k] < key[top] ? -1 : 1;
      if (c !== 0) {
        break;
      }
    }
    if (
      c < 0 ||
      (c === 0 && compareIds(ids[g.members[k]], ids[g.members[top]]) < 0)
    ) {
      top = k;
    }
  }
  return g.members[top];
}

/** A payload field whose every present value is a number, by point index. */
interface INumericField {
  numbers: Float64Array;
  /** 1 where the point has a value. */
  has: Uint8Array;
}

const numericFields = new WeakMap<
  ReadonlyMap<number, unknown>,
  INumericField | null
>();

/**
 * A field's values as typed arrays, once per values map (which must not change; the plan's
 * model makes a new one per read); null when a present value is not a number. At a million
 * points a rule on a field looked each member up in the map twice per plan.
 */
function numericField(
  values: ReadonlyMap<number, unknown>,
  points: number
): INumericField | null {
  return onceFor(numericFields, values, () => {
    const numbers = new Float64Array(points);
    const has = new Uint8Array(points);
    let numeric = true;
    values.forEach((v, m) => {
      if (v === null || v === undefined || !numeric) {
        return;
      }
      if (typeof v !== 'number' || !(m >= 0 && m < points)) {
        numeric = false;
        return;
      }
      numbers[m] = v;
      has[m] = 1;
    });
    return numeric ? { numbers, has } : null;
  });
}

/** How many members of `groups` have a value in `has`, and how many not. */
function membersWith(
  groups: ReadonlyArray<IDuplicateGroup>,
  has: Uint8Array
): { with: number; without: number } {
  let count = 0;
  let without = 0;
  for (const g of groups) {
    count += g.members.length;
    for (let k = 0; k < g.members.length; k++) {
      if (!has[g.members[k]]) {
        without++;
      }
    }
  }
  return { with: count - without, without };
}

/** Python's string order (code points; the same as UTF-16 order outside astral planes). */
function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A payload value as a rule compares it; null when absent. */
function present(value: unknown): number | string | null {
  return typeof value === 'number' || typeof value === 'string' ? value : null;
}

/** The kernel's _kind: what a payload value is, in the words of the mixed-types message. */
function kindOf(value: unknown): string {
  if (typeof value === 'boolean') {
    return 'booleans';
  }
  if (typeof value === 'number') {
    return 'numbers';
  }
  if (typeof value === 'string') {
    return 'strings';
  }
  if (Array.isArray(value)) {
    return 'lists';
  }
  return 'objects';
}

/**
 * The kernel's _check_field with missing='last': a message when the field is on no member or
 * holds mixed types (or anything but numbers or strings); else how many members lack it.
 */
function checkField(
  groups: ReadonlyArray<IDuplicateGroup>,
  points: Pick<IScanPoints, 'ids'>,
  values: ReadonlyMap<number, unknown>,
  rule: { kind: 'max' | 'min'; field: string }
): string | number {
  let absent = 0;
  const kinds = new Map<string, [PointId, unknown]>();
  for (const g of groups) {
    for (const m of g.members) {
      const v = values.get(m);
      if (v === null || v === undefined) {
        absent++;
      } else if (!kinds.has(kindOf(v))) {
        kinds.set(kindOf(v), [points.ids[m], v]);
      }
    }
  }
  const name = `${rule.kind === 'max' ? 'highest' : 'lowest'} ${rule.field}`;
  if (kinds.size === 0) {
    return `Rule “${name}”: no member of the groups has a payload field “${rule.field}”. Check its name (nested fields: a.b).`;
  }
  const kinds1 = [...kinds.keys()];
  if (kinds.size > 1 || !(kinds1[0] === 'numbers' || kinds1[0] === 'strings')) {
    const seen = [...kinds.entries()]
      .map(
        ([kind, [p, v]]) =>
          `${kind} (e.g. point ${String(p)}: ${JSON.stringify(v)})`
      )
      .join('; ');
    return (
      `Rule “${name}”: the field “${rule.field}” holds ${seen}. A rule compares numbers with ` +
      'numbers or strings with strings: make the field one type on every point, or choose another field.'
    );
  }
  return absent;
}
