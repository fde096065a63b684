// The keep-one plan Export and Insert code carry, from the panel's model: the kernel's
// default (`nd.plan()`, the first point id of each group) until the panel's own plan
// (src/plan.ts, computePlan) is wired in here, the one place that chooses it.
import type { NearDuplicatesModel } from '../model';
import type { IScanOutcome } from '../modelTypes';
import { firstPointPlan, IExportPlan } from './keepPlan';

export function exportPlanOf(
  model: NearDuplicatesModel,
  outcome: IScanOutcome
): IExportPlan {
  return firstPointPlan(
    outcome.groups,
    outcome.result.points,
    model.settings.splitField
  );
}
