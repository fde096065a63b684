// The keep-one plan Export and Insert code carry: the panel's own (src/planModel.ts, its
// rules, pins and "not duplicates" marks, computed by plan.ts), read here, in one place.
import type { NearDuplicatesModel } from '../model';
import type { IScanOutcome } from '../modelTypes';
import { exportPlan, IExportPlan } from './keepPlan';

/** The panel's plan of the groups on show; raises, with the panel's words, when it has none. */
export function exportPlanOf(
  model: NearDuplicatesModel,
  outcome: IScanOutcome
): IExportPlan {
  const view = model.plan.view(outcome);
  if (view.reading.length > 0) {
    throw new Error(
      `The plan is still reading ${view.reading.join(', ')} from the collection: try again in a moment.`
    );
  }
  if (view.ranking) {
    throw new Error(
      'The plan is still finding the most central members: try again in a moment.'
    );
  }
  if (view.problem) {
    throw new Error(`The plan cannot be computed: ${view.problem}`);
  }
  return exportPlan(
    model.plan.rules,
    view.decisions,
    model.settings.splitField
  );
}
