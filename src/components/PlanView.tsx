// The keep-one plan in the panel (issue 14): what the plan keeps and drops, overall and per
// split, before anything happens, and its rules (tie-breakers in order) to add, remove and
// reorder. The ranking is plan.ts's, the same as the kernel's nd.plan(). Pure React.
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { formatCount, formatQuantity } from '../format';
import { HELD_OUT, TRAINED_ON } from '../leakage';
import { describeRule, KeepRule, planHeadline, splitLine } from '../plan';
import type { IPlanView } from '../planModel';
import { untranslated } from '../translation';
import { useFold } from './useFold';

type RuleKind = 'max' | 'min' | 'split' | 'central';

export interface IPlanViewProps {
  view: IPlanView;
  /** The rules the user set ('first point id' always follows them). */
  rules: KeepRule[];
  onRulesChange: (rules: KeepRule[]) => void;
  /** The split values on the scan's points (a split order is written from these). */
  splits: string[];
  /** Pins in the plan (pins of groups the list no longer shows are not counted). */
  pinned: number;
  /** Whether the table of rules is unfolded; kept by the caller across re-renders. */
  open?: boolean;
  onToggle?: (open: boolean) => void;
  trans?: TranslationBundle;
}

/** The order a new split rule suggests: held-out splits first, trained-on ones last. */
export function suggestedSplitOrder(splits: string[]): string[] {
  const rank = (s: string): number => {
    const held = HELD_OUT.indexOf(s.toLowerCase());
    if (held >= 0) {
      return held;
    }
    return TRAINED_ON.includes(s.toLowerCase())
      ? HELD_OUT.length + 1
      : HELD_OUT.length;
  };
  return [...splits].sort((a, b) => rank(a) - rank(b));
}

/** A split order as the user writes it: "test, val, train". */
export function readSplitOrder(text: string): string[] {
  return text
    .split(',')
    .map(s => s.trim())
    .filter(s => s.length > 0);
}

export function PlanView(props: IPlanViewProps): JSX.Element {
  const {
    view,
    rules,
    onRulesChange,
    splits,
    pinned,
    trans = untranslated
  } = props;
  const fold = useFold(props.open, props.onToggle);
  const open = fold.open;
  const [kind, setKind] = React.useState<RuleKind>('max');
  const [field, setField] = React.useState('');
  const [order, setOrder] = React.useState(
    suggestedSplitOrder(splits).join(', ')
  );
  const fieldId = React.useId();
  const kindId = React.useId();

  const waiting = view.reading.length > 0 || view.ranking || !!view.working;
  const headline = view.working
    ? trans.__('Keep one per group: working out the plan…')
    : view.reading.length
      ? trans.__('Keep one per group: reading %1…', view.reading.join(', '))
      : view.ranking
        ? trans.__('Keep one per group: finding the most central members…')
        : view.problem
          ? trans.__('Keep one per group: the plan cannot be made')
          : trans.__('Keep one per group: %1', planHeadline(view, trans));

  const move = (i: number, by: number) => {
    const next = [...rules];
    const [rule] = next.splice(i, 1);
    next.splice(i + by, 0, rule);
    onRulesChange(next);
  };
  const newRule = (): KeepRule | null => {
    if (kind === 'central') {
      return { kind };
    }
    if (kind === 'split') {
      const names = readSplitOrder(order);
      return names.length ? { kind, order: names } : null;
    }
    const name = field.trim();
    return name ? { kind, field: name } : null;
  };
  const adding = newRule();

  return (
    <section
      className="jp-NearDuplicates-plan"
      aria-label={trans.__('Keep one per group')}
    >
      <details open={open} onToggle={fold.onToggle}>
        <summary
          className="jp-NearDuplicates-planHeadline"
          title={trans.__(
            'Show or hide the plan’s rules and its counts per split'
          )}
        >
          {headline}
        </summary>
        {view.problem && !waiting ? (
          <p className="jp-NearDuplicates-planProblem" role="alert">
            {view.problem}
          </p>
        ) : null}
        {!view.problem && view.splits.length ? (
          <ul
            className="jp-NearDuplicates-planSplits"
            aria-label={trans.__('Per split')}
          >
            {view.splits.map(row => (
              <li key={row.split}>{splitLine(row, trans)}</li>
            ))}
          </ul>
        ) : null}
        {!view.problem ? (
          <PlanNotes view={view} pinned={pinned} trans={trans} />
        ) : null}
        <div className="jp-NearDuplicates-planRulesLabel">
          {trans.__('Keep, in each group, the member with:')}
        </div>
        <ol
          className="jp-NearDuplicates-planRules"
          aria-label={trans.__('Rules, tie-breakers in order')}
        >
          {rules.map((rule, i) => {
            const words = describeRule(rule, trans);
            return (
              <li key={i} className="jp-NearDuplicates-planRule">
                <span className="jp-NearDuplicates-planRuleText">{words}</span>
                <button
                  type="button"
                  className="jp-NearDuplicates-iconButton"
                  disabled={i === 0}
                  onClick={() => move(i, -1)}
                  aria-label={trans.__('Move up: %1', words)}
                  title={trans.__('Move up')}
                >
                  ↑
                </button>
                <button
                  type="button"
                  className="jp-NearDuplicates-iconButton"
                  disabled={i === rules.length - 1}
                  onClick={() => move(i, 1)}
                  aria-label={trans.__('Move down: %1', words)}
                  title={trans.__('Move down')}
                >
                  ↓
                </button>
                <button
                  type="button"
                  className="jp-NearDuplicates-iconButton"
                  onClick={() => onRulesChange(rules.filter((_, k) => k !== i))}
                  aria-label={trans.__('Remove rule: %1', words)}
                  title={trans.__('Remove')}
                >
                  ✕
                </button>
              </li>
            );
          })}
          <li className="jp-NearDuplicates-planRule jp-NearDuplicates-planRuleLast">
            <span className="jp-NearDuplicates-planRuleText">
              {rules.length
                ? trans.__('then the first point id')
                : trans.__('the first point id')}
            </span>
          </li>
        </ol>
        <form
          className="jp-NearDuplicates-planAdd"
          onSubmit={event => {
            event.preventDefault();
            if (adding) {
              onRulesChange([...rules, adding]);
              setField('');
            }
          }}
        >
          <label htmlFor={kindId} className="jp-NearDuplicates-visuallyHidden">
            {trans.__('Rule to add')}
          </label>
          <select
            id={kindId}
            className="jp-NearDuplicates-select"
            value={kind}
            onChange={event => setKind(event.target.value as RuleKind)}
          >
            <option value="max">{trans.__('highest value of')}</option>
            <option value="min">{trans.__('lowest value of')}</option>
            <option value="split">{trans.__('split order')}</option>
            <option value="central">{trans.__('most central')}</option>
          </select>
          {kind === 'max' || kind === 'min' ? (
            <>
              <label
                htmlFor={fieldId}
                className="jp-NearDuplicates-visuallyHidden"
              >
                {trans.__('Payload field')}
              </label>
              <input
                id={fieldId}
                className="jp-NearDuplicates-planField"
                value={field}
                placeholder={trans.__('payload field')}
                onChange={event => setField(event.target.value)}
              />
            </>
          ) : null}
          {kind === 'split' ? (
            <>
              <label
                htmlFor={fieldId}
                className="jp-NearDuplicates-visuallyHidden"
              >
                {trans.__('Split order, first kept first')}
              </label>
              <input
                id={fieldId}
                className="jp-NearDuplicates-planField"
                value={order}
                placeholder={trans.__('test, val, train')}
                title={trans.__(
                  'Splits in the order to keep them, separated by commas'
                )}
                onChange={event => setOrder(event.target.value)}
              />
            </>
          ) : null}
          <button
            type="submit"
            className="jp-NearDuplicates-button"
            disabled={!adding}
          >
            {trans.__('Add rule')}
          </button>
        </form>
      </details>
    </section>
  );
}

/** What else the user should know about the plan: marks, pins, missing values, estimates. */
function PlanNotes(props: {
  view: IPlanView;
  pinned: number;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { view, pinned, trans } = props;
  const notes: string[] = [];
  if (view.leftOut.groups) {
    notes.push(
      trans._n(
        'Left out: %2 group marked not duplicates (%3).',
        'Left out: %2 groups marked not duplicates (%3).',
        view.leftOut.groups,
        formatCount(view.leftOut.groups),
        formatQuantity(
          view.leftOut.samples,
          trans.__('sample'),
          trans.__('samples')
        )
      )
    );
  }
  if (pinned) {
    notes.push(
      trans._n(
        '%2 keeper pinned by hand.',
        '%2 keepers pinned by hand.',
        pinned,
        formatCount(pinned)
      )
    );
  }
  for (const m of view.missing) {
    notes.push(
      trans.__(
        '%1 have no field “%2”: they rank after the members that have it.',
        formatQuantity(m.members, trans.__('member'), trans.__('members')),
        m.field
      )
    );
  }
  if (view.estimated.length) {
    notes.push(
      trans._n(
        'Most central: %2 group has pairs at or past the scan’s floor, counted at the floor (nd.plan computes them exactly).',
        'Most central: %2 groups have pairs at or past the scan’s floor, counted at the floor (nd.plan computes them exactly).',
        view.estimated.length,
        formatCount(view.estimated.length)
      )
    );
  }
  if (view.keep > 0 && view.drop === 0) {
    notes.push(trans.__('The plan drops nothing.'));
  }
  if (view.keep === 0 && !view.leftOut.groups) {
    notes.push(trans.__('No groups: the plan drops nothing.'));
  }
  return notes.length ? (
    <ul className="jp-NearDuplicates-planNotes">
      {notes.map(n => (
        <li key={n}>{n}</li>
      ))}
    </ul>
  ) : null;
}
