// The keep-one plan as the export and the inserted code read it: the rules in the kernel's
// words (`nd.plan(keep=...)`, planning.py), and per group on show its keeper, whether it was
// pinned, or that it is marked "not duplicates": a plan's rules and computePlan's decisions
// (src/plan.ts), put in these words by `exportPlan` (the panel's, through panelPlan.ts).
// DOM-free.
import {
  computePlan,
  DEFAULT_PLAN,
  describeRule,
  IGroupDecision,
  KeepRule,
  KernelRule,
  kernelRules,
  normalRules
} from '../plan';
import type { IDuplicateGroup, IScanPoints, PointId } from '../scan/types';

export type { KernelRule };

/** What the plan does to one group on show (the shape of computePlan's decisions). */
export interface IExportDecision {
  /** The kept member (an index into the scan's points); null when marked "not duplicates". */
  keeper: number | null;
  /** The user pinned the keeper (it is not the rules' choice). */
  pinned: boolean;
}

export interface IExportPlan {
  /** The rules, tie-breakers in order, "first" last (as planning.py normalises them). */
  rules: KernelRule[];
  /** Each rule in the kernel's words (planning.py's describe_rule): the manifest's `rules_text`. */
  rulesText: string[];
  /** The payload field holding the split (the setting `splitField`). */
  splitField: string;
  /** One per group on show, in list order. */
  decisions: IExportDecision[];
}

/** A plan's rules and computePlan's decisions (one per group on show) as the export reads them. */
export function exportPlan(
  rules: ReadonlyArray<KeepRule>,
  decisions: ReadonlyArray<IGroupDecision>,
  splitField: string
): IExportPlan {
  return {
    rules: kernelRules(rules),
    // In the kernel's words (describe_rule), untranslated: the manifest is read by tools.
    rulesText: normalRules(rules).map(r => describeRule(r)),
    splitField,
    decisions: decisions.map(d => ({
      keeper: d.notDuplicates ? null : d.keeper,
      pinned: d.pinned
    }))
  };
}

/** The kernel's default plan (`nd.plan()`): each group keeps its lowest point id. */
export function firstPointPlan(
  groups: readonly IDuplicateGroup[],
  points: IScanPoints,
  splitField: string
): IExportPlan {
  return exportPlan(
    DEFAULT_PLAN.rules,
    computePlan({ groups, points }, DEFAULT_PLAN).decisions,
    splitField
  );
}

/** Members kept and dropped (groups marked "not duplicates" count in neither). */
export function planCounts(
  plan: IExportPlan,
  groups: readonly IDuplicateGroup[]
): { keep: number; drop: number } {
  let keep = 0;
  let drop = 0;
  groups.forEach((g, i) => {
    if (plan.decisions[i]?.keeper === null) {
      return;
    }
    keep += 1;
    drop += g.members.length - 1;
  });
  return { keep, drop };
}

/** Pinned keepers: group number -> point id (the manifest's `pins`, `.pin()` in code). */
export function pinsOf(
  plan: IExportPlan,
  points: IScanPoints
): [number, PointId][] {
  const out: [number, PointId][] = [];
  plan.decisions.forEach((d, i) => {
    if (d.pinned && d.keeper !== null) {
      out.push([i, points.ids[d.keeper]]);
    }
  });
  return out;
}

/** Groups marked "not duplicates", by number (the manifest's `not_duplicates`). */
export function notDuplicatesOf(plan: IExportPlan): number[] {
  return plan.decisions.flatMap((d, i) => (d.keeper === null ? [i] : []));
}
