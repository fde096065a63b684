// Labelled pairs in the calibration section (issue 15): the two buttons that label a pair
// "duplicate" or "not a duplicate" (D / N on a focused pair), and what the labels say about the
// current threshold, with the threshold they suggest. Pure React; the numbers come from labels.ts.
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { formatCount, formatThreshold } from '../format';
import {
  countLabels,
  IScoredLabel,
  PairVerdict,
  suggestThreshold
} from '../labels';
import { isStricter } from '../scan/metric';
import type { DistanceKind } from '../scan/types';

/** Keys that label a focused pair; pressing the key of its label again takes it back. */
export const LABEL_KEYS: Record<string, PairVerdict> = {
  d: 'duplicate',
  n: 'not'
};

/** The label a key press asks for on a pair labelled `current`, or undefined for other keys. */
export function labelForKey(
  key: string,
  current: PairVerdict | null
): PairVerdict | null | undefined {
  const verdict = LABEL_KEYS[key.toLowerCase()];
  if (!verdict) {
    return undefined;
  }
  return verdict === current ? null : verdict;
}

/** The two label buttons of one pair; a pressed button takes its label back. */
export function LabelButtons(props: {
  label: PairVerdict | null;
  onLabel: (verdict: PairVerdict | null) => void;
  trans: TranslationBundle;
}): JSX.Element {
  const { label, onLabel, trans } = props;
  const button = (verdict: PairVerdict, text: string, title: string) => (
    <button
      type="button"
      className={
        'jp-NearDuplicates-labelButton' +
        (label === verdict ? ` jp-NearDuplicates-label-${verdict}` : '')
      }
      aria-pressed={label === verdict}
      title={title}
      onClick={() => onLabel(label === verdict ? null : verdict)}
    >
      {text}
    </button>
  );
  return (
    <span
      className="jp-NearDuplicates-labelButtons"
      role="group"
      aria-label={trans.__('Label')}
    >
      {button(
        'duplicate',
        trans.__('Duplicate'),
        trans.__('Mark as near-duplicates (D); again to take it back')
      )}
      {button(
        'not',
        trans.__('Not a duplicate'),
        trans.__('Mark as not near-duplicates (N); again to take it back')
      )}
    </span>
  );
}

export interface ILabelSummaryProps {
  scored: readonly IScoredLabel[];
  distance: DistanceKind;
  threshold: number;
  /** The thresholds the panel can show without a new scan: the scan's floor... */
  floor: number;
  /** ...to the strictest the threshold control takes. */
  end: number;
  onUseThreshold: (threshold: number) => void;
  /** False while a scan runs: the threshold is frozen then. */
  canUse: boolean;
  trans: TranslationBundle;
}

/** What the labels say about the current threshold, and the threshold they suggest. */
export function LabelSummary(props: ILabelSummaryProps): JSX.Element {
  const { scored, distance, threshold, floor, end, canUse, trans } = props;
  const counts = countLabels(scored, threshold, distance);
  const suggestion = suggestThreshold(scored, distance, floor, end);
  const t = formatThreshold(threshold, distance);
  const parts: string[] = [];
  if (counts.duplicates > 0) {
    parts.push(
      trans._n(
        'keeps %2 of %3 labelled duplicate',
        'keeps %2 of %3 labelled duplicates',
        counts.duplicates,
        formatCount(counts.keptDuplicates),
        formatCount(counts.duplicates)
      )
    );
  }
  if (counts.nots > 0) {
    parts.push(
      trans._n(
        'groups %2 of %3 labelled non-duplicate',
        'groups %2 of %3 labelled non-duplicates',
        counts.nots,
        formatCount(counts.groupedNots),
        formatCount(counts.nots)
      )
    );
  }
  const estimate =
    parts.length === 2
      ? trans.__('At %1: %2, %3.', t, parts[0], parts[1])
      : parts.length === 1
        ? trans.__('At %1: %2.', t, parts[0])
        : null;
  const suggested = suggestion
    ? formatThreshold(suggestion.threshold, distance)
    : null;
  const here =
    suggestion !== null &&
    !isStricter(suggestion.threshold, threshold, distance) &&
    !isStricter(threshold, suggestion.threshold, distance);
  return (
    <section
      className="jp-NearDuplicates-labels"
      aria-label={trans.__('Labelled pairs')}
    >
      <h3 className="jp-NearDuplicates-marginTitle">
        {trans.__('Labelled pairs')}
      </h3>
      {scored.length === 0 ? (
        <p className="jp-NearDuplicates-labelsHint">
          {trans.__(
            'Mark pairs below as Duplicate or Not a duplicate (keys D and N on a focused pair): the labels then show what this threshold keeps, and suggest one.'
          )}
        </p>
      ) : null}
      {estimate ? (
        <p className="jp-NearDuplicates-labelsEstimate" role="status">
          {estimate}
        </p>
      ) : null}
      {counts.unscored > 0 ? (
        <p className="jp-NearDuplicates-labelsHint">
          {trans._n(
            '%1 labelled pair has no score in this scan (it was labelled with another vector or distance).',
            '%1 labelled pairs have no score in this scan (they were labelled with another vector or distance).',
            counts.unscored
          )}
        </p>
      ) : null}
      {suggestion && suggested ? (
        <div className="jp-NearDuplicates-suggestion">
          <span className="jp-NearDuplicates-suggestionText">
            {suggestion.errors === 0
              ? trans.__(
                  'Suggested threshold %1: it separates every labelled pair.',
                  suggested
                )
              : trans._n(
                  'Suggested threshold %2: %1 labelled pair stays on the wrong side, the fewest any threshold leaves.',
                  'Suggested threshold %2: %1 labelled pairs stay on the wrong side, the fewest any threshold leaves.',
                  suggestion.errors,
                  suggested
                )}
          </span>
          <button
            type="button"
            className="jp-NearDuplicates-button"
            disabled={here || !canUse}
            onClick={() => props.onUseThreshold(suggestion.threshold)}
            title={
              here
                ? trans.__('The threshold is already %1', suggested)
                : trans.__('Move the threshold to %1', suggested)
            }
          >
            {trans.__('Use %1', suggested)}
          </button>
        </div>
      ) : scored.length > 0 && counts.duplicates + counts.nots > 0 ? (
        <p className="jp-NearDuplicates-labelsHint">
          {trans.__(
            'Label at least one pair of each kind for a suggested threshold.'
          )}
        </p>
      ) : null}
    </section>
  );
}
