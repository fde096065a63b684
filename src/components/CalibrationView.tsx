// "Which threshold?" answered from the scan on show: a folded section with a chart of the
// duplicate groups and dropped samples at every threshold from the scan's floor to the strict
// end (the pair-score histogram behind, a marker at the current threshold), its numbers in
// words for screen readers, and the pairs just either side of the threshold with thumbnails,
// each of which the user can label, with what the labels say (PairLabels.tsx, labels.ts).
// Everything comes from the kept pairs (scan/calibration.ts): no request.
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { formatCount, formatScore, formatThreshold } from '../format';
import {
  calibrationOf,
  countsAt,
  ICalibration,
  IThresholdCounts,
  marginPairs
} from '../scan/calibration';
import {
  IScoredLabel,
  NO_LABELS,
  pairKey,
  PairLabels,
  PairVerdict,
  scoreLabels
} from '../labels';
import { higherIsBetter } from '../scan/metric';
import type { IPairLink, IScanResult } from '../scan/types';
import type { IThumbnailPolicy } from '../thumbnails';
import { untranslated } from '../translation';
import { SIMILARITY_MAX } from './DetectControls';
import { LabelButtons, labelForKey, LabelSummary } from './PairLabels';
import { Thumbnail } from './Thumbnail';
import { useFold } from './useFold';

/** The chart's drawing box (viewBox units; it scales to the section's width). */
const WIDTH = 200;
const HEIGHT = 110;
const PAD = { left: 26, right: 6, top: 8, bottom: 18 };
/** Pairs shown either side of the threshold. */
export const MARGIN_PAIRS = 3;

export interface ICalibrationViewProps {
  result: IScanResult;
  /** The threshold the groups on show were formed at: the marker. */
  threshold: number;
  thumbnails: IThumbnailPolicy;
  /** Why the list may count otherwise than the chart (complete linkage, splits), or null. */
  note?: string | null;
  /**
   * The calibration when computed elsewhere (the worker): null while it is on its way. Left
   * out, the view computes it (calibrationOf) when unfolded.
   */
  calibration?: ICalibration | null;
  /** Whether the section is unfolded, when its owner keeps that (it then survives a remount). */
  open?: boolean;
  onToggle?: (open: boolean) => void;
  /** The labelled pairs of the scan's collection; labelling is off without `onLabel`. */
  labels?: PairLabels;
  /** Labels points `a` and `b` (indices into the scan's points); null takes the label back. */
  onLabel?: (
    a: number,
    b: number,
    score: number,
    verdict: PairVerdict | null
  ) => void;
  /** Moves the threshold (the suggestion's button); left out while it cannot move. */
  onUseThreshold?: (threshold: number) => void;
  trans?: TranslationBundle;
}

/** The counts at a threshold in one sentence: the chart's text alternative. */
export function describeCounts(
  counts: IThresholdCounts,
  distance: IScanResult['distance'],
  trans: TranslationBundle = untranslated
): string {
  const t = formatThreshold(counts.threshold, distance);
  const groups = trans._n(
    '%2 duplicate group',
    '%2 duplicate groups',
    counts.groups,
    formatCount(counts.groups)
  );
  const samples = trans._n(
    '%2 sample',
    '%2 samples',
    counts.samples,
    formatCount(counts.samples)
  );
  return higherIsBetter(distance)
    ? trans.__(
        'At %1: %2 (%3), %4 dropped when one is kept per group.',
        t,
        groups,
        samples,
        formatCount(counts.dropped)
      )
    : trans.__(
        'Within distance %1: %2 (%3), %4 dropped when one is kept per group.',
        t,
        groups,
        samples,
        formatCount(counts.dropped)
      );
}

export function CalibrationView(props: ICalibrationViewProps): JSX.Element {
  const trans = props.trans ?? untranslated;
  // Computed on first unfold only: a million pairs cost a sort and a pass on this thread.
  const fold = useFold(props.open, props.onToggle);
  const open = fold.open;
  return (
    <details
      className="jp-NearDuplicates-calibration"
      open={open}
      onToggle={fold.onToggle}
    >
      <summary className="jp-NearDuplicates-calibrationTitle">
        {trans.__('Threshold calibration')}
      </summary>
      {!open ? null : props.calibration === null ? (
        <p className="jp-NearDuplicates-calibrationNow" role="status">
          {trans.__(
            'Computing the chart from %1 pairs…',
            formatCount(props.result.pairs.score.length)
          )}
        </p>
      ) : (
        <CalibrationBody {...props} trans={trans} />
      )}
    </details>
  );
}

function CalibrationBody(
  props: ICalibrationViewProps & { trans: TranslationBundle }
): JSX.Element {
  const { result, threshold, thumbnails, note, trans } = props;
  const { distance } = result;
  const calibration = props.calibration ?? calibrationOf(result);
  const now = countsAt(calibration, threshold);
  const sentence = describeCounts(now, distance, trans);
  const captionId = React.useId();
  const margin = marginPairs(
    calibration,
    result.pairs,
    threshold,
    MARGIN_PAIRS
  );
  const t = formatThreshold(threshold, distance);
  const floor = formatThreshold(calibration.floor, distance);
  const labels = props.labels ?? NO_LABELS;
  // Judged again only when the labels or the scan change, not at every threshold.
  const scored = React.useMemo(
    () => scoreLabels(labels, result),
    [labels, result]
  );
  const label: IMarginLabelling | null = props.onLabel
    ? {
        of: (a, b) => {
          const ids = result.points.ids;
          return labelOfIds(labels, ids[a], ids[b]);
        },
        set: props.onLabel
      }
    : null;
  return (
    <div className="jp-NearDuplicates-calibrationBody">
      <div className="jp-NearDuplicates-calibrationFigure">
        <p
          id={captionId}
          className="jp-NearDuplicates-calibrationNow"
          role="status"
        >
          {sentence}
        </p>
        <CalibrationChart
          calibration={calibration}
          threshold={threshold}
          labelledBy={captionId}
          labels={label ? scored : []}
          trans={trans}
        />
        <ul className="jp-NearDuplicates-calibrationLegend" aria-hidden="true">
          <li className="jp-NearDuplicates-legendGroups">
            {trans.__('groups')}
          </li>
          <li className="jp-NearDuplicates-legendDropped">
            {trans.__('dropped samples')}
          </li>
          <li className="jp-NearDuplicates-legendPairs">
            {trans.__('pairs by score')}
          </li>
          {label && scored.length > 0 ? (
            <li className="jp-NearDuplicates-legendLabels">
              {trans.__('labelled pairs')}
            </li>
          ) : null}
        </ul>
      </div>
      {note ? (
        <p className="jp-NearDuplicates-calibrationNote">{note}</p>
      ) : null}
      <StepsTable calibration={calibration} trans={trans} />
      {label ? (
        <LabelSummary
          scored={scored}
          distance={distance}
          threshold={threshold}
          floor={calibration.floor}
          // The strictest the threshold control takes: a similarity stops at its slider's end.
          end={
            higherIsBetter(distance)
              ? Math.min(calibration.end, SIMILARITY_MAX)
              : calibration.end
          }
          onUseThreshold={value => props.onUseThreshold?.(value)}
          canUse={props.onUseThreshold !== undefined}
          trans={trans}
        />
      ) : null}
      <section
        className="jp-NearDuplicates-margin"
        aria-label={trans.__('Pairs at the margin')}
      >
        <h3 className="jp-NearDuplicates-marginTitle">
          {trans.__('Pairs at the margin')}
        </h3>
        <MarginList
          title={
            higherIsBetter(distance)
              ? trans.__('Just above %1: grouped', t)
              : trans.__('Just within %1: grouped', t)
          }
          pairs={margin.above}
          result={result}
          thumbnails={thumbnails}
          empty={trans.__('No pair passes this threshold.')}
          label={label}
          trans={trans}
        />
        <MarginList
          title={
            higherIsBetter(distance)
              ? trans.__('Just below %1: not grouped', t)
              : trans.__('Just beyond %1: not grouped', t)
          }
          pairs={margin.below}
          result={result}
          thumbnails={thumbnails}
          empty={
            threshold === calibration.floor
              ? trans.__(
                  'None kept: the scan found pairs %1 only. Detect at a looser threshold to see pairs below it.',
                  higherIsBetter(distance)
                    ? trans.__('above %1', floor)
                    : trans.__('within %1', floor)
                )
              : trans.__('No pair between %1 and %2.', floor, t)
          }
          label={label}
          trans={trans}
        />
      </section>
    </div>
  );
}

/** The chart: loosest threshold on the left, strictest on the right, whatever the distance. */
function CalibrationChart(props: {
  calibration: ICalibration;
  threshold: number;
  labelledBy: string;
  /** Labelled pairs: a tick under the axis at each one's score (the section says them in words). */
  labels: readonly IScoredLabel[];
  trans: TranslationBundle;
}): JSX.Element {
  const { calibration, threshold, labelledBy, labels, trans } = props;
  const { steps, histogram, floor, end, distance } = calibration;
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const span = end - floor || 1;
  const x = (t: number) =>
    PAD.left + Math.max(0, Math.min(1, (t - floor) / span)) * plotW;
  const top = Math.max(1, ...steps.map(s => Math.max(s.groups, s.dropped)));
  const y = (v: number) => PAD.top + plotH - (v / top) * plotH;
  const binTop = Math.max(1, ...histogram.map(b => b.pairs));
  const line = (value: (s: IThresholdCounts) => number) =>
    steps
      .map(
        (s, i) =>
          `${i ? 'L' : 'M'}${x(s.threshold).toFixed(1)},${y(value(s)).toFixed(1)}`
      )
      .join(' ');
  const markerX = x(threshold);
  const mid = floor + span / 2;
  return (
    <svg
      className="jp-NearDuplicates-calibrationChart"
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      role="img"
      aria-labelledby={labelledBy}
    >
      <g className="jp-NearDuplicates-chartBins">
        {histogram.map((bin, i) => {
          const h = (bin.pairs / binTop) * plotH;
          const x0 = x(bin.from);
          const x1 = x(bin.to);
          return bin.pairs > 0 ? (
            <rect
              key={i}
              x={Math.min(x0, x1) + 0.5}
              y={PAD.top + plotH - h}
              width={Math.max(0.5, Math.abs(x1 - x0) - 1)}
              height={h}
            />
          ) : null;
        })}
      </g>
      <line
        className="jp-NearDuplicates-chartAxis"
        x1={PAD.left}
        y1={PAD.top + plotH}
        x2={PAD.left + plotW}
        y2={PAD.top + plotH}
      />
      <line
        className="jp-NearDuplicates-chartAxis"
        x1={PAD.left}
        y1={PAD.top}
        x2={PAD.left}
        y2={PAD.top + plotH}
      />
      <text
        className="jp-NearDuplicates-chartTick"
        x={PAD.left - 3}
        y={PAD.top + 8}
        textAnchor="end"
      >
        {formatCount(top)}
      </text>
      <text
        className="jp-NearDuplicates-chartTick"
        x={PAD.left - 3}
        y={PAD.top + plotH}
        textAnchor="end"
      >
        0
      </text>
      {[floor, mid, end].map((t, i) => (
        <text
          key={i}
          className="jp-NearDuplicates-chartTick"
          x={x(t)}
          y={HEIGHT - 4}
          textAnchor={i === 0 ? 'start' : i === 2 ? 'end' : 'middle'}
        >
          {formatThreshold(Number(t.toFixed(4)), distance)}
        </text>
      ))}
      <path
        className="jp-NearDuplicates-chartDropped"
        d={line(s => s.dropped)}
      />
      <path className="jp-NearDuplicates-chartGroups" d={line(s => s.groups)} />
      <g className="jp-NearDuplicates-chartLabels" aria-hidden="true">
        {labels.map(({ label, score }, i) =>
          score !== null &&
          Math.min(floor, end) <= score &&
          score <= Math.max(floor, end) ? (
            <line
              key={i}
              className={`jp-NearDuplicates-chartLabel-${label.label}`}
              x1={x(score)}
              y1={PAD.top + plotH + 1}
              x2={x(score)}
              y2={PAD.top + plotH + 6}
            />
          ) : null
        )}
      </g>
      <line
        className="jp-NearDuplicates-chartMarker"
        x1={markerX}
        y1={PAD.top}
        x2={markerX}
        y2={PAD.top + plotH}
      >
        <title>{trans.__('Current threshold')}</title>
      </line>
    </svg>
  );
}

/** Every step of the chart as a table, for screen readers (visually hidden). */
function StepsTable(props: {
  calibration: ICalibration;
  trans: TranslationBundle;
}): JSX.Element {
  const { calibration, trans } = props;
  return (
    <table className="jp-NearDuplicates-visuallyHidden">
      <caption>{trans.__('Groups and dropped samples by threshold')}</caption>
      <thead>
        <tr>
          <th scope="col">{trans.__('Threshold')}</th>
          <th scope="col">{trans.__('Groups')}</th>
          <th scope="col">{trans.__('Samples')}</th>
          <th scope="col">{trans.__('Dropped')}</th>
          <th scope="col">{trans.__('Pairs')}</th>
        </tr>
      </thead>
      <tbody>
        {calibration.steps.map((s, i) => (
          <tr key={i}>
            <th scope="row">
              {formatThreshold(
                Number(s.threshold.toFixed(4)),
                calibration.distance
              )}
            </th>
            <td>{formatCount(s.groups)}</td>
            <td>{formatCount(s.samples)}</td>
            <td>{formatCount(s.dropped)}</td>
            <td>{formatCount(s.pairs)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** How the margin pairs read and set labels; null when labelling is off. */
interface IMarginLabelling {
  of: (a: number, b: number) => PairVerdict | null;
  set: (
    a: number,
    b: number,
    score: number,
    verdict: PairVerdict | null
  ) => void;
}

function labelOfIds(
  labels: PairLabels,
  a: IScanResult['points']['ids'][number],
  b: IScanResult['points']['ids'][number]
): PairVerdict | null {
  return labels.get(pairKey(a, b))?.label ?? null;
}

function MarginList(props: {
  title: string;
  pairs: IPairLink[];
  result: IScanResult;
  thumbnails: IThumbnailPolicy;
  empty: string;
  label: IMarginLabelling | null;
  trans: TranslationBundle;
}): JSX.Element {
  const { title, pairs, result, thumbnails, empty, label, trans } = props;
  const { points, distance } = result;
  return (
    <div className="jp-NearDuplicates-marginSide">
      <div className="jp-NearDuplicates-marginSideTitle">{title}</div>
      {pairs.length === 0 ? (
        <p className="jp-NearDuplicates-marginEmpty">{empty}</p>
      ) : (
        <ul className="jp-NearDuplicates-marginPairs" aria-label={title}>
          {pairs.map(p => {
            const a = points.sampleIds[p.a];
            const b = points.sampleIds[p.b];
            const score = formatScore(p.score, distance);
            const current = label ? label.of(p.a, p.b) : null;
            return (
              <li
                key={`${p.a}-${p.b}`}
                className={
                  'jp-NearDuplicates-marginPair' +
                  (current ? ` jp-NearDuplicates-labelled-${current}` : '')
                }
                aria-label={trans.__('%1 and %2: %3', a, b, score)}
                {...(label
                  ? {
                      tabIndex: 0,
                      'aria-keyshortcuts': 'D N',
                      onKeyDown: (event: React.KeyboardEvent) => {
                        if (
                          event.target !== event.currentTarget ||
                          event.altKey ||
                          event.ctrlKey ||
                          event.metaKey
                        ) {
                          return;
                        }
                        const next = labelForKey(event.key, current);
                        if (next !== undefined) {
                          event.preventDefault();
                          event.stopPropagation();
                          label.set(p.a, p.b, p.score, next);
                        }
                      }
                    }
                  : {})}
              >
                <Thumbnail
                  value={points.thumbnails[p.a]}
                  policy={thumbnails}
                  label={a}
                />
                <Thumbnail
                  value={points.thumbnails[p.b]}
                  policy={thumbnails}
                  label={b}
                />
                <span className="jp-NearDuplicates-marginScore">{score}</span>
                {label ? (
                  <LabelButtons
                    label={current}
                    onLabel={verdict => label.set(p.a, p.b, p.score, verdict)}
                    trans={trans}
                  />
                ) : null}
                <span className="jp-NearDuplicates-marginNames">
                  {`${a} · ${b}`}
                </span>
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}
