// How complete a finished scan is, in words a researcher can quote, and the cure when the
// scan's own audit found that it missed pairs.
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { formatCount, formatDuration } from '../format';
import type { IRecallEstimate } from '../scan/types';
import { untranslated } from '../translation';

export interface IRecallViewProps {
  audit: IRecallEstimate | undefined;
  /** Detect again with the cure the audit names. */
  onCure: (route: 'sure' | 'exact') => void;
  disabled?: boolean;
  trans?: TranslationBundle;
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
export function describeRecall(
  audit: IRecallEstimate,
  trans: TranslationBundle = untranslated
): string {
  const checked = trans._n(
    'an exact check of %2 point',
    'an exact check of %2 points',
    audit.sampled,
    formatCount(audit.sampled)
  );
  if (audit.recall === null || audit.low === null || audit.high === null) {
    return trans.__(
      'Pair recall not estimated: %1 found no duplicate pairs among them (too few duplicates to sample; a larger collection or a lower threshold gives some).',
      checked
    );
  }
  return trans.__(
    'Estimated pair recall %1% (95% interval %2 to %3%), from %4.',
    formatPercent(audit.recall),
    formatPercent(audit.low, 'floor'),
    formatPercent(audit.high, 'ceil'),
    checked
  );
}

/** What the audit found wrong, plainly, or null when it found nothing. */
export function describeMisses(
  audit: IRecallEstimate,
  trans: TranslationBundle = untranslated
): string | null {
  const parts: string[] = [];
  if (audit.missedPoints > 0) {
    parts.push(
      trans._n(
        '%2 checked point had duplicate pairs this scan did not find (%3 of %4 pairs)',
        '%2 checked points had duplicate pairs this scan did not find (%3 of %4 pairs)',
        audit.missedPoints,
        formatCount(audit.missedPoints),
        formatCount(audit.pairs - audit.found),
        formatCount(audit.pairs)
      )
    );
  }
  if (audit.route === 'by-id' && audit.unreachable > 0) {
    parts.push(
      trans._n(
        "%2 checked point cannot be reached through the collection's index, so their duplicates are missing from the groups",
        "%2 checked points cannot be reached through the collection's index, so their duplicates are missing from the groups",
        audit.unreachable,
        formatCount(audit.unreachable)
      )
    );
  }
  return parts.length
    ? trans.__('This result is incomplete: %1.', parts.join('; '))
    : null;
}

export function RecallView(props: IRecallViewProps): JSX.Element | null {
  const { audit, onCure, disabled, trans = untranslated } = props;
  if (!audit) {
    return null;
  }
  const misses = describeMisses(audit, trans);
  const cure = audit.cure;
  const cureTime = cure ? formatDuration(cure.seconds, trans) : '';
  return (
    <div
      className={`jp-NearDuplicates-recall${misses ? ' jp-NearDuplicates-recall-incomplete' : ''}`}
    >
      <p className="jp-NearDuplicates-recallEstimate">
        {describeRecall(audit, trans)}
      </p>
      {audit.route === 'sure' && audit.searchedExactly > 0 ? (
        <p className="jp-NearDuplicates-recallNote">
          {trans._n(
            '%2 point the index cannot reach was searched exactly.',
            '%2 points the index cannot reach were searched exactly.',
            audit.searchedExactly,
            formatCount(audit.searchedExactly)
          )}
        </p>
      ) : null}
      {audit.route === 'sure' && (audit.deferred ?? 0) > 0 ? (
        <p className="jp-NearDuplicates-recallNote">
          {trans._n(
            '%2 point the index cannot reach had its pairs found by exact searches around the groups and among the points in no group.',
            '%2 points the index cannot reach had their pairs found by exact searches around the groups and among the points in no group.',
            audit.deferred!,
            formatCount(audit.deferred!)
          )}
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
          {cure.route === 'sure'
            ? trans.__('Detect again, finding every pair (%1)', cureTime)
            : trans.__('Detect again with exact search (%1)', cureTime)}
        </button>
      ) : null}
    </div>
  );
}
