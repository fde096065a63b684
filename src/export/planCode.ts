// The panel's plan as Python the kernel runs: `nd.plan(keep=[...], split_field=...)` with
// planning.py's keyword arguments, then `.not_duplicates(group)` and `.pin(point_id)` for the
// user's marks and pins. Read by the cell Insert code adds and by the Parquet export, which
// the kernel writes. DOM-free.
import type { IScanPoints, PointId } from '../scan/types';
import { IExportPlan, notDuplicatesOf, pinsOf } from './keepPlan';

/** planning.py's default `split_field`. */
const DEFAULT_SPLIT_FIELD = 'split';

/**
 * A Python literal for a string, a number or a list of them. JSON's string syntax is a subset
 * of Python's, so any text (quotes, backslashes, newlines, non-ASCII) arrives as written.
 */
export function pythonLiteral(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map(pythonLiteral).join(', ')}]`;
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      throw new Error(`Cannot write ${value} as a Python literal.`);
    }
    return String(value);
  }
  if (typeof value === 'boolean') {
    return value ? 'True' : 'False';
  }
  if (value === null || value === undefined) {
    return 'None';
  }
  return JSON.stringify(String(value));
}

/** A point id as the kernel's `pin()` takes it: an int, or a UUID string. */
function pointLiteral(id: PointId): string {
  return typeof id === 'number' || /^\d+$/.test(id)
    ? String(id)
    : JSON.stringify(id);
}

/**
 * The expression that rebuilds the plan in the kernel, e.g.
 * `nd.plan(keep=[["max", "width"], "first"]).not_duplicates(4).pin(1032)`; the default
 * plan is `nd.plan(keep=["first"])`.
 * `module` is how the code names the package (`nd` after `import ... as nd`).
 */
export function planExpression(
  plan: IExportPlan,
  points: IScanPoints,
  module = 'nd'
): string {
  const args: string[] = [];
  // Always written out: the cell records how the keeper was chosen.
  args.push(`keep=${pythonLiteral(plan.rules)}`);
  if (plan.splitField && plan.splitField !== DEFAULT_SPLIT_FIELD) {
    args.push(`split_field=${pythonLiteral(plan.splitField)}`);
  }
  let code = `${module}.plan(${args.join(', ')})`;
  for (const group of notDuplicatesOf(plan)) {
    code += `.not_duplicates(${group})`;
  }
  for (const [, point] of pinsOf(plan, points)) {
    code += `.pin(${pointLiteral(point)})`;
  }
  return code;
}
