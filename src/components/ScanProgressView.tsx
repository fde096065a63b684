// A running scan, as the worker reports it: a progress bar with counts, rate and time left.
import * as React from 'react';
import {
  formatCount,
  formatEta,
  formatQuantity,
  formatRate,
  percentDone
} from '../format';
import type { IScanProgress } from '../scan/types';

export interface IScanProgressViewProps {
  progress: IScanProgress;
}

interface IBar {
  /** null: indeterminate (no aria-valuenow). */
  value: number | null;
  max: number;
  text: string;
}

/** What the bar shows in each phase. */
export function describeProgress(progress: IScanProgress): IBar {
  const { phase, listed, scanned, total, pairs } = progress;
  const of = (n: number): string => `${formatCount(n)}/${formatCount(total)}`;
  switch (phase) {
    case 'inspecting':
      return {
        value: null,
        max: total,
        text: "Reading the collection's configuration…"
      };
    case 'listing':
      return {
        value: listed,
        max: total,
        text: `Listing points ${of(listed)}`
      };
    case 'scanning':
      return {
        value: scanned,
        max: total,
        text: `Scanning ${of(scanned)} points`
      };
    case 'checking': {
      const done = progress.checked ?? 0;
      const all = progress.toCheck ?? 0;
      return {
        value: done,
        max: all,
        text: `Checking every pair inside the groups ${formatCount(done)}/${formatCount(all)}`
      };
    }
    case 'grouping':
      return {
        value: null,
        max: total,
        text: `Grouping ${formatQuantity(pairs, 'pair')} into duplicate groups…`
      };
    case 'complete':
      return {
        value: total,
        max: total,
        text: `Scanned ${formatQuantity(total, 'point')}`
      };
    case 'cancelled':
      return {
        value: scanned,
        max: total,
        text: `Cancelled at ${of(scanned)} points`
      };
    case 'error':
      return {
        value: scanned,
        max: total,
        text: `Stopped at ${of(scanned)} points`
      };
  }
}

export function ScanProgressView(props: IScanProgressViewProps): JSX.Element {
  const { progress } = props;
  const bar = describeProgress(progress);
  const max = Math.max(0, bar.max);
  const value =
    bar.value === null ? null : Math.max(0, Math.min(bar.value, max));
  const width = value === null ? null : percentDone(value, max);
  const counting =
    progress.phase === 'listing' || progress.phase === 'scanning';
  const rate = counting ? formatRate(progress.rate) : '';
  const eta =
    progress.phase === 'scanning' || progress.phase === 'checking'
      ? formatEta(progress.etaSeconds)
      : '';
  const found =
    progress.phase === 'scanning' ||
    progress.phase === 'checking' ||
    progress.phase === 'grouping'
      ? `${formatQuantity(progress.pairs, 'pair')}, ${formatQuantity(progress.groups, 'group')} so far`
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
        aria-label="Scan progress"
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
