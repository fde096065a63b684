// What the panel shows first of a finished scan and would otherwise compute on the page's
// thread (issue 16: no main-thread task over 100 ms): the chain marks' diameters of the
// scan's groups, the split leakage table, the split names and counts, and the groups' names
// and every point's split code in the keep-one plan (the codes took 71 ms of the page's
// thread as a 1M result arrived). The worker computes them with
// the result (it is idle then) by the same functions, and the panel adopts them into the
// caches those functions answer from. DOM-free.
import { adoptDiameters, diameters } from './chain';
import { adoptGroupIds, groupId } from './groupId';
import {
  adoptLeakage,
  adoptPopulation,
  adoptSplitCodes,
  adoptSplitNames,
  collectionSplits,
  ISplitCodes,
  ISplitLeakage,
  populationOf,
  splitCodesFor,
  splitLeakage
} from '../leakage';
import type { IScanPopulation, IScanResult } from './types';

/** The diameters of the groups as parallel arrays (one entry per group), to transfer. */
export interface IDiameterArrays {
  a: Uint32Array;
  b: Uint32Array;
  score: Float32Array;
  missing: Float64Array;
}

export interface IResultExtras {
  /** diameters(result, result.groups), group by group (chain.ts). */
  diameters: IDiameterArrays;
  /** splitLeakage(result.groups, splits, the population's splits); null without groups. */
  leakage: ISplitLeakage | null;
  /** collectionSplits(result.points.splits). */
  splitNames: string[];
  /** populationOf(result.points.splits). */
  population: IScanPopulation;
  /** groupId of each group's point ids (the keep-one plan's names), in the groups' order. */
  groupIds: string[];
  /** splitCodesOf(result.points.splits): each point's split as a small number. */
  splitCodes: ISplitCodes | null;
}

/** The extras of a finished scan (its groups at its own threshold), in the worker. */
export function workerExtras(result: IScanResult): IResultExtras {
  const values = diameters(result, result.groups);
  const g = values.length;
  const arrays: IDiameterArrays = {
    a: new Uint32Array(g),
    b: new Uint32Array(g),
    score: new Float32Array(g),
    missing: new Float64Array(g)
  };
  values.forEach((d, i) => {
    arrays.a[i] = d.link.a;
    arrays.b[i] = d.link.b;
    arrays.score[i] = d.link.score;
    arrays.missing[i] = d.missing;
  });
  const splits = result.points.splits;
  const population = populationOf(splits);
  return {
    diameters: arrays,
    leakage:
      result.groups.length > 0
        ? splitLeakage(
            result.groups,
            splits,
            (result.population ?? population).splits
          )
        : null,
    splitNames: collectionSplits(splits),
    population,
    groupIds: result.groups.map(g => groupId(g.pointIds)),
    // Made with the listing (list.ts listedPoints) and kept for this array: not counted again.
    splitCodes: splitCodesFor(splits)
  };
}

/** The buffers of the extras, to transfer with them. */
export function extrasTransferables(extras: IResultExtras): ArrayBuffer[] {
  const { a, b, score, missing } = extras.diameters;
  return [
    ...[a, b, score, missing].map(x => x.buffer as ArrayBuffer),
    ...(extras.splitCodes
      ? [extras.splitCodes.codes.buffer as ArrayBuffer]
      : [])
  ];
}

/**
 * Takes the worker's extras for `result` (its points and groups as they arrived) into the
 * caches of chain.ts and leakage.ts, after checking that they fit; false (nothing taken) when
 * they do not, and the panel then computes them itself when first asked.
 */
export function adoptExtras(result: IScanResult, extras: unknown): boolean {
  if (!fits(result, extras)) {
    return false;
  }
  const { a, b, score, missing } = extras.diameters;
  adoptDiameters(
    result.groups,
    result.groups.map((_, i) => ({
      link: { a: a[i], b: b[i], score: score[i] },
      missing: missing[i]
    }))
  );
  if (extras.leakage) {
    adoptLeakage(result.groups, result.points.splits, extras.leakage);
  }
  adoptSplitNames(result.points.splits, extras.splitNames);
  adoptPopulation(result.points.splits, extras.population);
  adoptGroupIds(result.groups, extras.groupIds);
  adoptSplitCodes(result.points.splits, extras.splitCodes);
  return true;
}

function fits(result: IScanResult, extras: unknown): extras is IResultExtras {
  if (typeof extras !== 'object' || extras === null) {
    return false;
  }
  const e = extras as Partial<IResultExtras>;
  const d = e.diameters;
  const g = result.groups.length;
  const n = result.points.ids.length;
  if (
    !d ||
    !(d.a instanceof Uint32Array) ||
    !(d.b instanceof Uint32Array) ||
    !(d.score instanceof Float32Array) ||
    !(d.missing instanceof Float64Array) ||
    [d.a, d.b, d.score, d.missing].some(x => x.length !== g) ||
    !Array.isArray(e.splitNames) ||
    !e.splitNames.every(s => typeof s === 'string') ||
    !Array.isArray(e.groupIds) ||
    e.groupIds.length !== g ||
    !e.groupIds.every(s => typeof s === 'string') ||
    typeof e.population !== 'object' ||
    e.population === null ||
    e.population.points !== n ||
    typeof e.population.splits !== 'object' ||
    !Object.values(e.population.splits).every(
      x => Number.isInteger(x) && x >= 0
    ) ||
    !(e.leakage === null || isLeakage(e.leakage, g)) ||
    !(e.splitCodes === null || isSplitCodes(e.splitCodes, n))
  ) {
    return false;
  }
  for (let i = 0; i < g; i++) {
    if (d.a[i] >= n || d.b[i] >= n) {
      return false;
    }
  }
  return true;
}

function isSplitCodes(value: unknown, n: number): value is ISplitCodes {
  const v = value as ISplitCodes;
  if (
    typeof v !== 'object' ||
    v === null ||
    !(v.codes instanceof Uint16Array) ||
    v.codes.length !== n ||
    !Array.isArray(v.names) ||
    !v.names.every(s => typeof s === 'string')
  ) {
    return false;
  }
  const most = v.names.length;
  for (let i = 0; i < n; i++) {
    if (v.codes[i] > most) {
      return false;
    }
  }
  return true;
}

function isLeakage(value: unknown, groups: number): value is ISplitLeakage {
  const v = value as ISplitLeakage;
  return (
    typeof v === 'object' &&
    v !== null &&
    Array.isArray(v.splits) &&
    Array.isArray(v.groups) &&
    Array.isArray(v.samples) &&
    v.sizes instanceof Map &&
    Array.isArray(v.lines) &&
    v.groupCount === groups
  );
}
