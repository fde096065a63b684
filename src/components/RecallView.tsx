// How complete a finished scan is, in words a researcher can quote, and the cure when the
// scan's own audit found that it missed pairs.
import * as React from 'react';
import { formatCount, formatEta, formatQuantity } from '../format';
import type { IRecallEstimate } from '../scan/types';

export interface IRecallViewProps {
  audit: IRecallEstimate | undefined;
  /** Detect again with the cure the audit names. */
  onCure: (route: 'sure' | 'exact') => void;
  disabled?: boolean;
}

/** A share as a percentage that never rounds up to 100 unless it is 100. */
export function formatPercent(
  x: number,
  round: 'floor' | 'ceil' | 'nearest' = 'nearest'
): string {
  if (x >= 1) {
    return '100';
  }
  for (const digits of [1, 2, 3]) {
    const scale = 10 ** digits;
    const f =
      round === 'floor'
        ? Math.floor
        : round === 'ceil'
          ? Math.ceil
          : Math.round;
    const value = f(x * 100 * scale) / scale;
    if (value < 100 || round === 'ceil') {
      return value.toFixed(digits).replace(/\.?0+$/, '') || '0';
    }
  }
  return '99.999';
}

/** The audit's sentence: the estimate and what it rests on. */
export function describeRecall(audit: IRecallEstimate): string {
  const checked = `an exact check of ${formatQuantity(audit.sampled, 'point')}`;
  if (audit.recall === null || audit.low === null || audit.high === null) {
    return (
      `Pair recall not estimated: ${checked} found no duplicate pairs among them ` +
      '(too few duplicates to sample; a larger collection or a lower threshold gives some).'
    );
  }
  return (
    `Estimated pair recall ${formatPercent(audit.recall)}% (95% interval ` +
    `${formatPercent(audit.low, 'floor')} to ${formatPercent(audit.high, 'ceil')}%), from ${checked}.`
  );
}

/** What the audit found wrong, plainly, or null when it found nothing. */
export function describeMisses(audit: IRecallEstimate): string | null {
  const parts: string[] = [];
  if (audit.missedPoints > 0) {
    parts.push(
      `${formatQuantity(audit.missedPoints, 'checked point')} had duplicate pairs this scan did not find ` +
        `(${formatCount(audit.pairs - audit.found)} of ${formatCount(audit.pairs)} pairs)`
    );
  }
  if (audit.route === 'by-id' && audit.unreachable > 0) {
    parts.push(
      `${formatQuantity(audit.unreachable, 'checked point')} cannot be reached through the collection's index, ` +
        'so their duplicates are missing from the groups'
    );
  }
  return parts.length
    ? `This result is incomplete: ${parts.join('; ')}.`
    : null;
}

export function RecallView(props: IRecallViewProps): JSX.Element | null {
  const { audit, onCure, disabled } = props;
  if (!audit) {
    return null;
  }
  const misses = describeMisses(audit);
  const cure = audit.cure;
  return (
    <div
      className={`jp-NearDuplicates-recall${misses ? ' jp-NearDuplicates-recall-incomplete' : ''}`}
    >
      <p className="jp-NearDuplicates-recallEstimate">
        {describeRecall(audit)}
      </p>
      {audit.route === 'sure' && audit.searchedExactly > 0 ? (
        <p className="jp-NearDuplicates-recallNote">
          {`${formatQuantity(audit.searchedExactly, 'point')} the index cannot reach ${
            audit.searchedExactly === 1 ? 'was' : 'were'
          } searched exactly.`}
        </p>
      ) : null}
      {misses ? (
        <p className="jp-NearDuplicates-recallWarning" role="alert">
          {misses}
        </p>
      ) : null}
      {misses && cure ? (
        <button
          className="jp-mod-styled jp-mod-accept jp-NearDuplicates-cure"
          disabled={disabled}
          onClick={() => onCure(cure.route)}
        >
          {`${cure.route === 'sure' ? 'Detect again, finding every pair' : 'Detect again with exact search'} (${formatEta(cure.seconds).replace(/ left$/, '')})`}
        </button>
      ) : null}
    </div>
  );
}
