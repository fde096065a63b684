// Split leakage (issue 14): which groups on show cross the dataset's splits, as a split x split
// table and the one line that matters most. DOM-free; the kernel's nd.leakage()
// (jupyterlab_near_duplicates/split_leakage.py) counts by the same rules, so both say the same numbers.
import type { TranslationBundle } from '@jupyterlab/translation';
import { formatCount } from './format';
import { onceFor } from './once';
import type { IDuplicateGroup, IScanPopulation } from './scan/types';

/** Where a member without a split value is counted (the kernel's NO_SPLIT). */
export const NO_SPLIT = '(no split)';
/** Names that usually mean "held out" and "trained on": the headline compares these. */
export const HELD_OUT = [
  'test',
  'testing',
  'val',
  'valid',
  'validation',
  'dev',
  'eval',
  'evaluation',
  'holdout',
  'heldout'
];
export const TRAINED_ON = ['train', 'training'];

/** One headline line: `samples` of split `held` are in groups that also hold split `ref`. */
export interface ILeakLine {
  held: string;
  ref: string;
  samples: number;
  /** Points of split `held` in the collection; 0 when not known. */
  heldSize: number;
}

export interface ISplitLeakage {
  /** Rows and columns: the splits on the groups' members, by name, then NO_SPLIT if any. */
  splits: string[];
  /**
   * groups[i][j]: groups that hold both splits[i] and splits[j] (symmetric); on the
   * diagonal, groups with two or more members of splits[i].
   */
  groups: number[][];
  /** samples[i][j]: the members of split splits[i] in the groups counted at groups[i][j]. */
  samples: number[][];
  /** Points per split in the collection (named splits only). */
  sizes: Map<string, number>;
  /** One line per (held-out, trained-on) pair, the most telling first. */
  lines: ILeakLine[];
  /** Groups whose members have more than one split (NO_SPLIT counts as one). */
  crossing: number;
  groupCount: number;
  /** Members of the groups without a split value, of all members. */
  missing: number;
  members: number;
}

/** A point's split as the kernel reads it: the value, or NO_SPLIT when there is none. */
function splitOf(splits: ReadonlyArray<string | null>, member: number): string {
  const value = splits[member];
  return value === null || value === undefined ? NO_SPLIT : value;
}

/** Python's string order (code points; the same as UTF-16 order outside astral planes). */
function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The split values present on the collection's points (the panel shows leakage when there are two or more). */
export function collectionSplits(
  splits: ReadonlyArray<string | null>
): string[] {
  const seen = new Set<string>();
  for (const s of splits) {
    if (s !== null && s !== undefined) {
      seen.add(s);
    }
  }
  return [...seen].sort(byName);
}

/** Split names adopted from the worker (resultExtras.ts) or counted once, by splits array. */
const knownSplitNames = new WeakMap<ReadonlyArray<string | null>, string[]>();

/**
 * collectionSplits of a scan's splits, once per splits array (the panel asks on every render,
 * and a million points took tens of milliseconds each time). The array must not change.
 */
export function splitNamesOf(splits: ReadonlyArray<string | null>): string[] {
  return onceFor(knownSplitNames, splits, () => collectionSplits(splits));
}

/** Keeps the split names computed elsewhere (the worker) for this splits array. */
export function adoptSplitNames(
  splits: ReadonlyArray<string | null>,
  names: string[]
): void {
  knownSplitNames.set(splits, names);
}

/**
 * Each point's split as a small number: 0 for none, k + 1 for `names[k]`. Per-member work
 * reads this instead of each point's own split string, which sits apart in the heap: at a
 * million points the string reads were half of a keep-one plan's time. Null past 65,534
 * distinct splits.
 */
export interface ISplitCodes {
  names: string[];
  codes: Uint16Array;
}

/** Distinct splits a code can name (0 is none); past this many, splits are not coded. */
export const MAX_SPLIT_NAMES = 0xfffe;

const knownSplitCodes = new WeakMap<
  ReadonlyArray<string | null>,
  ISplitCodes | null
>();

/** splitCodesOf a scan's splits, once per splits array (which must not change). */
export function splitCodesFor(
  splits: ReadonlyArray<string | null>
): ISplitCodes | null {
  return onceFor(knownSplitCodes, splits, () => splitCodesOf(splits));
}

/** Keeps split codes made elsewhere (the worker) for this splits array. */
export function adoptSplitCodes(
  splits: ReadonlyArray<string | null>,
  codes: ISplitCodes | null
): void {
  knownSplitCodes.set(splits, codes);
}

export function splitCodesOf(
  splits: ReadonlyArray<string | null>
): ISplitCodes | null {
  const names: string[] = [];
  const index = new Map<string, number>();
  const codes = new Uint16Array(splits.length);
  let lastName: string | null = null;
  let lastCode = 0;
  for (let i = 0; i < splits.length; i++) {
    const s = splits[i];
    if (s === null || s === undefined) {
      continue;
    }
    if (s !== lastName) {
      let code = index.get(s);
      if (code === undefined) {
        if (names.length === MAX_SPLIT_NAMES) {
          return null;
        }
        names.push(s);
        code = names.length;
        index.set(s, code);
      }
      lastName = s;
      lastCode = code;
    }
    codes[i] = lastCode;
  }
  return { names, codes };
}

const knownPopulations = new WeakMap<
  ReadonlyArray<string | null>,
  IScanPopulation
>();

/** populationOf a scan's splits, once per splits array (which must not change). */
export function populationFor(
  splits: ReadonlyArray<string | null>
): IScanPopulation {
  return onceFor(knownPopulations, splits, () => populationOf(splits));
}

/** Keeps the population computed elsewhere (the worker) for this splits array. */
export function adoptPopulation(
  splits: ReadonlyArray<string | null>,
  population: IScanPopulation
): void {
  knownPopulations.set(splits, population);
}

/** How many points, and how many per split value, `splits` (one per point) holds. */
export function populationOf(
  splits: ReadonlyArray<string | null>
): IScanPopulation {
  const counts: Record<string, number> = {};
  for (const s of splits) {
    if (s !== null && s !== undefined) {
      counts[s] = (counts[s] ?? 0) + 1;
    }
  }
  return { points: splits.length, splits: counts };
}

/**
 * The split x split table of `groups` (member indices into `splits`, the scan's split per
 * point). Split sizes are `sizes` (the scan's population: a restored scan keeps only the
 * points in pairs), or counted over all of `splits` when the scan lists every point.
 */
export function splitLeakage(
  groups: ReadonlyArray<IDuplicateGroup>,
  splits: ReadonlyArray<string | null>,
  sizes: Readonly<Record<string, number>> = populationOf(splits).splits
): ISplitLeakage {
  const present = new Set<string>();
  let missing = 0;
  let members = 0;
  for (const g of groups) {
    for (const m of g.members) {
      const s = splitOf(splits, m);
      present.add(s);
      members++;
      if (s === NO_SPLIT) {
        missing++;
      }
    }
  }
  const named = [...present].filter(s => s !== NO_SPLIT).sort(byName);
  const order = present.has(NO_SPLIT) ? [...named, NO_SPLIT] : named;
  const index = new Map(order.map((s, i) => [s, i]));
  const table = () => order.map(() => order.map(() => 0));
  const groupsWith = table();
  const samplesWith = table();
  let crossing = 0;
  for (const g of groups) {
    const count = new Map<number, number>();
    for (const m of g.members) {
      const i = index.get(splitOf(splits, m))!;
      count.set(i, (count.get(i) ?? 0) + 1);
    }
    if (count.size > 1) {
      crossing++;
    }
    for (const [a, n] of count) {
      for (const b of count.keys()) {
        if (a === b && n < 2) {
          continue;
        }
        // Each unordered pair once per group; the table is symmetric.
        if (a <= b) {
          groupsWith[a][b]++;
          if (a !== b) {
            groupsWith[b][a]++;
          }
        }
        samplesWith[a][b] += n;
      }
    }
  }
  const inTable = new Map<string, number>();
  for (const s of named) {
    inTable.set(s, sizes[s] ?? 0);
  }
  const leaking = (a: string, b: string) =>
    samplesWith[index.get(a)!][index.get(b)!];
  return {
    splits: order,
    groups: groupsWith,
    samples: samplesWith,
    sizes: inTable,
    lines: leakLines(leaking, inTable, named),
    crossing,
    groupCount: groups.length,
    missing,
    members
  };
}

/** Tables computed elsewhere (the worker, resultExtras.ts), by groups array. */
const knownLeakage = new WeakMap<
  ReadonlyArray<IDuplicateGroup>,
  { splits: ReadonlyArray<string | null>; leakage: ISplitLeakage }
>();

/** Keeps the table computed elsewhere for `groups` over `splits` with the collection's sizes. */
export function adoptLeakage(
  groups: ReadonlyArray<IDuplicateGroup>,
  splits: ReadonlyArray<string | null>,
  leakage: ISplitLeakage
): void {
  knownLeakage.set(groups, { splits, leakage });
}

/**
 * splitLeakage(groups, splits, sizes), or the table adopted for these groups and splits
 * (adopted tables count with the scan's population, as the panel does).
 */
export function leakageOf(
  groups: ReadonlyArray<IDuplicateGroup>,
  splits: ReadonlyArray<string | null>,
  sizes?: Readonly<Record<string, number>>
): ISplitLeakage {
  const known = knownLeakage.get(groups);
  return known && known.splits === splits
    ? known.leakage
    : splitLeakage(groups, splits, sizes);
}

/** The kernel's _lines: held-out splits against trained-on ones, or smallest against largest. */
function leakLines(
  leaking: (a: string, b: string) => number,
  sizes: ReadonlyMap<string, number>,
  named: string[]
): ILeakLine[] {
  let held = named.filter(s => HELD_OUT.includes(s.toLowerCase()));
  let ref = named.filter(s => TRAINED_ON.includes(s.toLowerCase()));
  if (!(held.length && ref.length) && named.length >= 2) {
    const bySize = [...named].sort(
      (a, b) => (sizes.get(a) ?? 0) - (sizes.get(b) ?? 0) || byName(a, b)
    );
    held = bySize.slice(0, -1);
    ref = bySize.slice(-1);
  }
  const rank = (s: string) => {
    const i = HELD_OUT.indexOf(s.toLowerCase());
    return i < 0 ? HELD_OUT.length : i;
  };
  const lines: ILeakLine[] = [];
  for (const a of [...held].sort((x, y) => rank(x) - rank(y))) {
    for (const b of ref) {
      if (a !== b) {
        lines.push({
          held: a,
          ref: b,
          samples: leaking(a, b),
          heldSize: sizes.get(a) ?? 0
        });
      }
    }
  }
  return lines;
}

/** Which groups a table cell counts: both splits, or (a === b) two or more of one. */
export interface ILeakCell {
  a: string;
  b: string;
}

/** Whether `group` is counted in cell `cell`, by the table's rule. */
export function holdsBoth(
  group: IDuplicateGroup,
  splits: ReadonlyArray<string | null>,
  cell: ILeakCell
): boolean {
  let a = 0;
  let b = 0;
  for (const m of group.members) {
    const s = splitOf(splits, m);
    a += s === cell.a ? 1 : 0;
    b += s === cell.b ? 1 : 0;
  }
  return cell.a === cell.b ? a >= 2 : a > 0 && b > 0;
}

/** The groups a cell counts, in their order. */
export function groupsInCell(
  groups: ReadonlyArray<IDuplicateGroup>,
  splits: ReadonlyArray<string | null>,
  cell: ILeakCell
): IDuplicateGroup[] {
  return groups.filter(g => holdsBoth(g, splits, cell));
}

/**
 * A percentage with one decimal as Python's `f"{x:.1f}"` writes it: exact ties round to even
 * (0.25 -> "0.2"), where JavaScript's toFixed rounds them up.
 */
export function formatPercent1(x: number): string {
  const quarters = x * 4; // exact: a tie at one decimal is an odd number of quarters
  if (Number.isInteger(quarters) && ((quarters % 4) + 4) % 4 === 1) {
    return (Math.floor(x * 10) / 10).toFixed(1);
  }
  return x.toFixed(1);
}

/** A headline line in the kernel's words: "312 test samples (3.1% of test) have a near-duplicate in train". */
export function leakLineText(
  line: ILeakLine,
  trans: TranslationBundle
): string {
  const share = line.heldSize
    ? trans.__(
        ' (%1% of %2)',
        formatPercent1((100 * line.samples) / line.heldSize),
        line.held
      )
    : '';
  // %1 is the raw count (gettext's plural argument); %2 the count as the panel writes it.
  return trans._n(
    '%2 %3 sample%4 has a near-duplicate in %5',
    '%2 %3 samples%4 have a near-duplicate in %5',
    line.samples,
    formatCount(line.samples),
    line.held,
    share,
    line.ref
  );
}

/** The line that matters most, as nd.leakage().headline says it. */
export function leakHeadline(
  leakage: ISplitLeakage,
  trans: TranslationBundle
): string {
  if (leakage.lines.length) {
    return leakLineText(leakage.lines[0], trans);
  }
  return trans.__(
    'No group holds two splits: %1 of %2 groups cross splits',
    String(leakage.crossing),
    formatCount(leakage.groupCount)
  );
}
