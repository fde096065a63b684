// A running scan, as the worker reports it: a progress bar with counts, rate and time left.
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { formatCount, formatEta, formatRate, percentDone } from '../format';
import type { IScanProgress } from '../scan/types';
import { untranslated } from '../translation';

export interface IScanProgressViewProps {
  progress: IScanProgress;
  trans?: TranslationBundle;
}

interface IBar {
  /** null: indeterminate (no aria-valuenow). */
  value: number | null;
  max: number;
  text: string;
}

/** A phase counted in steps of its own (checking, details): done of all, and its words. */
function steps(
  done: number,
  all: number,
  text: (done: string, all: string) => string
): IBar {
  return {
    value: done,
    max: all,
    text: text(formatCount(done), formatCount(all))
  };
}

/** What the bar shows in each phase. */
export function describeProgress(
  progress: IScanProgress,
  trans: TranslationBundle = untranslated
): IBar {
  const { phase, listed, scanned, total, pairs } = progress;
  const of = (n: number): string => `${formatCount(n)}/${formatCount(total)}`;
  switch (phase) {
    case 'inspecting':
      return {
        value: null,
        max: total,
        text: trans.__("Reading the collection's configuration…")
      };
    case 'listing':
      return {
        value: listed,
        max: total,
        text: trans.__('Listing points %1', of(listed))
      };
    case 'scanning':
      return {
        value: scanned,
        max: total,
        text: trans.__('Scanning %1 points', of(scanned))
      };
    case 'checking':
      return steps(progress.checked ?? 0, progress.toCheck ?? 0, (d, a) =>
        trans.__('Checking the pairs in and around the groups %1/%2', d, a)
      );
    case 'details':
      return steps(progress.described ?? 0, progress.toDescribe ?? 0, (d, a) =>
        trans.__(
          'Reading the sample ids and thumbnails of the points in pairs %1/%2',
          d,
          a
        )
      );
    case 'grouping':
      return {
        value: null,
        max: total,
        text: trans._n(
          'Grouping %2 pair into duplicate groups…',
          'Grouping %2 pairs into duplicate groups…',
          pairs,
          formatCount(pairs)
        )
      };
    case 'complete':
      return {
        value: total,
        max: total,
        text: trans._n(
          'Scanned %2 point',
          'Scanned %2 points',
          total,
          formatCount(total)
        )
      };
    case 'cancelled':
      return {
        value: scanned,
        max: total,
        text: trans.__('Cancelled at %1 points', of(scanned))
      };
    case 'error':
      return {
        value: scanned,
        max: total,
        text: trans.__('Stopped at %1 points', of(scanned))
      };
  }
}

export function ScanProgressView(props: IScanProgressViewProps): JSX.Element {
  const { progress, trans = untranslated } = props;
  const bar = describeProgress(progress, trans);
  const max = Math.max(0, bar.max);
  const value =
    bar.value === null ? null : Math.max(0, Math.min(bar.value, max));
  const width = value === null ? null : percentDone(value, max);
  const counting =
    progress.phase === 'listing' || progress.phase === 'scanning';
  const rate = counting ? formatRate(progress.rate, trans) : '';
  const eta =
    progress.phase === 'scanning' || progress.phase === 'checking'
      ? formatEta(progress.etaSeconds, trans)
      : '';
  const found =
    progress.phase === 'scanning' ||
    progress.phase === 'checking' ||
    progress.phase === 'details' ||
    progress.phase === 'grouping'
      ? trans.__(
          '%1, %2 so far',
          trans._n(
            '%2 pair',
            '%2 pairs',
            progress.pairs,
            formatCount(progress.pairs)
          ),
          trans._n(
            '%2 group',
            '%2 groups',
            progress.groups,
            formatCount(progress.groups)
          )
        )
      : '';

  return (
    <div
      className={`jp-NearDuplicates-progress jp-NearDuplicates-progress-${progress.phase}`}
    >
      <div className="jp-NearDuplicates-progressText">{bar.text}</div>
      <div
        className={
          'jp-NearDuplicates-progressBar' +
          (value === null ? ' jp-NearDuplicates-progressBarIndeterminate' : '')
        }
        role="progressbar"
        aria-label={trans.__('Scan progress')}
        aria-valuemin={0}
        aria-valuemax={max}
        aria-valuenow={value === null ? undefined : value}
        aria-valuetext={bar.text}
      >
        <div
          className="jp-NearDuplicates-progressFill"
          style={width === null ? undefined : { width: `${width}%` }}
        />
      </div>
      {rate || eta ? (
        <div className="jp-NearDuplicates-progressStats">
          {rate ? (
            <span className="jp-NearDuplicates-progressRate">{rate}</span>
          ) : null}
          {eta ? (
            <span className="jp-NearDuplicates-progressEta">{eta}</span>
          ) : null}
        </div>
      ) : null}
      {found ? (
        <div className="jp-NearDuplicates-progressFound">{found}</div>
      ) : null}
    </div>
  );
}
