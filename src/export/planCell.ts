// The cell Insert code adds to the notebook (issue 14, section 3): it checks that the kernel
// holds this scan's groups, rebuilds the panel's plan with nd.plan(...) and applies it with
// plan.tag(), so what was written to the collection is recorded where the research is. The
// cell is only inserted: the user reads it and runs it. DOM-free.
import { formatThreshold } from '../format';
import type { IScanOutcome } from '../modelTypes';
import { IExportPlan, planCounts } from './keepPlan';
import { planExpression, pythonLiteral } from './planCode';

/** The cell's source. */
export function planCell(outcome: IScanOutcome, plan: IExportPlan): string {
  const { result, groups, threshold, scanId } = outcome;
  const samples = groups.reduce((n, g) => n + g.members.length, 0);
  const { keep, drop } = planCounts(plan, groups);
  const t = formatThreshold(threshold, result.distance);
  // Names are user text: each value is a Python literal; comments hold numbers and fixed words.
  return [
    'import jupyterlab_near_duplicates as nd',
    '',
    `# Keep-one plan of the Near Duplicates panel: ${groups.length} groups (${samples} samples) at ${t},`,
    `# keep ${keep}, drop ${drop}, on the groups it sent to this kernel (nd.groups()).`,
    `scan, collection = ${pythonLiteral(scanId)}, ${pythonLiteral(result.collection)}`,
    'assert {g["scan_id"] for g in nd.groups()} == {scan}, (',
    '    f"nd.groups() is not scan {scan} of {collection!r}: click Send all "',
    '    "groups in the Near Duplicates panel, then run this cell again."',
    ')',
    `plan = ${planExpression(plan, result.points)}`,
    'print(plan.summary())',
    '# print(plan.tag(dry_run=True))  # what tag() would write, writing nothing',
    'print(plan.tag())  # plan.untag() takes out exactly what this wrote'
  ].join('\n');
}
