// The comm messages a finished scan's groups become: what `nd.selection` and `nd.groups()`
// hold in the kernel. DOM-free, so the wire shape is unit tested without a kernel.
import { compareAlike, passes } from '../scan/metric';
import type { IDuplicateGroup, IScanResult } from '../scan/types';
import { groupId, IKeepPlan, IPlanResult, kernelRules } from '../plan';
import type {
  GroupMessage,
  GroupsMessage,
  PlanMessage,
  SelectMessage
} from './protocol';

/** The `select` message for one group: what `nd.selection` will hold. */
export function selectMessage(
  result: IScanResult,
  group: IDuplicateGroup,
  index: number,
  threshold: number,
  scanId: string
): SelectMessage {
  return {
    type: 'select',
    group: groupMessage(result, group, index, threshold, scanId)
  };
}

/** One group in the protocol's shape (snake_case); scores are rounded to 6 decimals. */
export function groupMessage(
  result: IScanResult,
  group: IDuplicateGroup,
  index: number,
  threshold: number,
  scanId: string,
  best = closestLinks(result, threshold, [group])
): GroupMessage {
  const name = (m: number): string =>
    result.points.sampleIds[m] ?? String(result.points.ids[m]);
  return {
    sample_ids: group.members.map(name),
    point_ids: group.members.map(m => result.points.ids[m]),
    scores: group.members.map(m => roundScore(best[m])),
    representative:
      group.representative >= 0 ? name(group.representative) : null,
    size: group.members.length,
    group_index: index,
    threshold,
    distance: result.distance,
    collection: result.collection,
    scan_id: scanId
  };
}

/** The `groups` message: every group at the threshold, in the panel's order. */
export function groupsMessage(
  result: IScanResult,
  groups: IDuplicateGroup[],
  threshold: number,
  scanId: string
): GroupsMessage {
  const best = closestLinks(result, threshold, groups);
  return {
    type: 'groups',
    scan_id: scanId,
    collection: result.collection,
    threshold,
    distance: result.distance,
    groups: groups.map((g, i) =>
      groupMessage(result, g, i, threshold, scanId, best)
    ),
    recall: recallMessage(result)
  };
}

/** The `plan` message: the panel's plan of `groups` (the list on show) as `nd.plan()` reads it. */
export function planMessage(
  result: IScanResult,
  groups: IDuplicateGroup[],
  plan: IKeepPlan,
  planned: IPlanResult,
  splitField: string | null,
  scanId: string
): PlanMessage {
  return {
    type: 'plan',
    scan_id: scanId,
    collection: result.collection,
    rules: kernelRules(plan.rules),
    split_field: splitField,
    problem: planned.problem,
    groups: planned.problem
      ? []
      : groups.map((g, i) => {
          const d = planned.decisions[i];
          return {
            id: d?.id ?? groupId(g.pointIds),
            keeper: d && d.keeper !== null ? result.points.ids[d.keeper] : null,
            pinned: !!d?.pinned
          };
        })
  };
}

/** The scan's recall estimate as the kernel keeps it (`recall` of nd.groups() rows, and of an export's manifest). */
export function recallMessage(result: IScanResult): GroupsMessage['recall'] {
  return result.audit
    ? {
        estimate: result.audit.recall,
        low: result.audit.low,
        high: result.audit.high,
        sampled: result.audit.sampled,
        route: result.audit.route
      }
    : null;
}

/** A score as it crosses to the kernel: rounded to 6 decimals (a float32 read as 0.97). */
export function roundScore(score: number): number {
  return Number.isFinite(score) ? Math.round(score * 1e6) / 1e6 : score;
}

// Per point, the closest passing link inside its group: one pass over the pairs, so sending
// all groups costs O(points + pairs), not O(groups x pairs). Inside the group, as a Split or
// complete linkage can leave a point's closest link in another group. NaN outside the groups.
export function closestLinks(
  result: IScanResult,
  threshold: number,
  groups: IDuplicateGroup[]
): Float64Array {
  const { a, b, score } = result.pairs;
  const groupOf = new Int32Array(result.points.ids.length).fill(-1);
  groups.forEach((g, i) => g.members.forEach(m => (groupOf[m] = i)));
  const best = new Float64Array(result.points.ids.length).fill(NaN);
  const better = (s: number, than: number): boolean =>
    Number.isNaN(than) || compareAlike(s, than, result.distance) < 0;
  for (let k = 0; k < score.length; k++) {
    const s = score[k];
    if (
      groupOf[a[k]] < 0 ||
      groupOf[a[k]] !== groupOf[b[k]] ||
      !passes(s, threshold, result.distance)
    ) {
      continue;
    }
    if (better(s, best[a[k]])) {
      best[a[k]] = s;
    }
    if (better(s, best[b[k]])) {
      best[b[k]] = s;
    }
  }
  return best;
}
