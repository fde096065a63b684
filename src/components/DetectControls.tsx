// The threshold and the Detect / Cancel buttons. The threshold speaks the collection's own
// units: a similarity (slider, 0.80 to 0.99) for Cosine and Dot, a maximum distance for
// Euclid and Manhattan. It also says whether the shown results follow it without a rescan.
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { formatCount, formatThreshold, percentDone } from '../format';
import type { ICheckpointInfo } from '../scan/checkpoint';
import { higherIsBetter, isStricter, thresholdHelp } from '../scan/metric';
import type { DistanceKind } from '../scan/types';
import { untranslated } from '../translation';

export const SIMILARITY_MIN = 0.8;
export const SIMILARITY_MAX = 0.99;
export const SIMILARITY_STEP = 0.01;

export interface IDetectControlsProps {
  /** The chosen vector's distance; null (unknown yet) reads as a similarity. */
  distance: DistanceKind | null;
  /** The threshold in the collection's units: a similarity, or a maximum distance. */
  threshold: number;
  /** Called with every valid value the user sets (never NaN, never out of range). */
  onThresholdChange: (value: number) => void;
  /** The chosen collection, or null (Detect then asks for one). */
  collection: string | null;
  /** Whether Detect can run now (the detect command's isEnabled). */
  canDetect: boolean;
  /** A scan is running: Detect is disabled, Cancel is shown, the threshold is frozen. */
  scanning: boolean;
  onDetect: () => void;
  onCancel: () => void;
  /** The threshold of the scan whose groups are shown (same collection and vector), or null. */
  lastScanThreshold: number | null;
  /** The chosen collection's interrupted scan (issue 16), offered as Resume; null: none. */
  checkpoint?: ICheckpointInfo | null;
  /** The collection's point count now, to tell that it changed since the checkpoint. */
  pointsNow?: number | null;
  /** The chosen vector now ('' unnamed), to say that Resume takes the checkpoint's. */
  vector?: string | null;
  onResume?: () => void;
  onDiscard?: () => void;
  /**
   * The chosen collection's last finished scan, kept for Scan changes, when the collection
   * seems to have changed since; null: none (Scan changes stays in the command palette).
   */
  lastScanKept?: ICheckpointInfo | null;
  onScanChanges?: () => void;
  /**
   * The chosen collection's last finished scan when none is on show and the collection kept
   * its point count (model.lastScanToShow), offered as "Show last scan"; null: none.
   */
  lastScanToShow?: ICheckpointInfo | null;
  onShowLastScan?: () => void;
  trans?: TranslationBundle;
}

/** A similarity threshold rounded off float noise (0.95000000001 -> 0.95) and kept in range. */
export function clampSimilarity(value: number): number {
  const clamped = Math.min(SIMILARITY_MAX, Math.max(SIMILARITY_MIN, value));
  return Math.round(clamped * 10000) / 10000;
}

function validThreshold(value: number, similarity: boolean): boolean {
  if (!Number.isFinite(value)) {
    return false;
  }
  return similarity
    ? value >= SIMILARITY_MIN - 1e-9 && value <= SIMILARITY_MAX + 1e-9
    : value > 0;
}

export function DetectControls(props: IDetectControlsProps): JSX.Element {
  const {
    distance,
    threshold,
    onThresholdChange,
    collection,
    canDetect,
    scanning,
    onDetect,
    onCancel,
    lastScanThreshold,
    checkpoint = null,
    pointsNow = null,
    vector = null,
    onResume,
    onDiscard,
    lastScanKept = null,
    onScanChanges,
    lastScanToShow = null,
    onShowLastScan,
    trans = untranslated
  } = props;
  const similarity = higherIsBetter(distance);
  const sliderId = React.useId();
  const numberId = React.useId();
  const helpId = React.useId();

  // What the user is typing, until it is a valid value or the field loses focus; the
  // committed value always comes back through `threshold`.
  const [draft, setDraft] = React.useState<string | null>(null);
  const shown = draft ?? formatThreshold(threshold, distance);
  const draftValue = draft === null ? threshold : Number(draft);
  const draftInvalid =
    draft !== null &&
    (draft.trim() === '' || !validThreshold(draftValue, similarity));

  const commitTyped = (text: string): void => {
    setDraft(text);
    const value = Number(text);
    if (text.trim() !== '' && validThreshold(value, similarity)) {
      onThresholdChange(similarity ? clampSimilarity(value) : value);
    }
  };

  const finishTyping = (): void => {
    if (
      draft !== null &&
      similarity &&
      draft.trim() !== '' &&
      Number.isFinite(draftValue)
    ) {
      // An out-of-range similarity snaps to the nearest end of the range.
      const clamped = clampSimilarity(draftValue);
      if (clamped !== threshold) {
        onThresholdChange(clamped);
      }
    }
    setDraft(null);
  };

  const numberField = (
    <input
      id={numberId}
      className="jp-NearDuplicates-number"
      type="number"
      inputMode="decimal"
      min={similarity ? SIMILARITY_MIN : 0}
      max={similarity ? SIMILARITY_MAX : undefined}
      step={similarity ? SIMILARITY_STEP : 'any'}
      value={shown}
      disabled={scanning}
      aria-label={
        similarity ? trans.__('Similarity threshold value') : undefined
      }
      aria-describedby={helpId}
      aria-invalid={draftInvalid || undefined}
      onChange={event => commitTyped(event.target.value)}
      onBlur={finishTyping}
      onKeyDown={event => {
        if (event.key === 'Enter') {
          finishTyping();
        } else if (event.key === 'Escape') {
          setDraft(null);
        }
      }}
    />
  );

  let hint: JSX.Element | null = null;
  if (
    !scanning &&
    lastScanThreshold !== null &&
    Math.abs(threshold - lastScanThreshold) > 1e-9
  ) {
    const last = formatThreshold(lastScanThreshold, distance);
    hint = isStricter(threshold, lastScanThreshold, distance) ? (
      <div className="jp-NearDuplicates-hint" role="status">
        {trans.__(
          'Regrouped from the last scan at %1 — no new scan needed',
          last
        )}
      </div>
    ) : (
      <div
        className="jp-NearDuplicates-hint jp-NearDuplicates-hintLooser"
        role="status"
      >
        <span>
          {trans.__(
            'Looser than the last scan (%1): Detect again to include more pairs',
            last
          )}
        </span>
        <button
          type="button"
          className="jp-NearDuplicates-button"
          onClick={onDetect}
          disabled={!canDetect}
          aria-label={trans.__(
            'Rescan at %1',
            formatThreshold(threshold, distance)
          )}
        >
          {trans.__('Rescan')}
        </button>
      </div>
    );
  }

  const resume =
    checkpoint && !scanning ? (
      <ResumeOffer
        checkpoint={checkpoint}
        threshold={threshold}
        pointsNow={pointsNow}
        vector={vector}
        canResume={canDetect}
        onResume={onResume}
        onDiscard={onDiscard}
        trans={trans}
      />
    ) : null;

  return (
    <div className="jp-NearDuplicates-detect">
      {similarity ? (
        <div className="jp-NearDuplicates-field">
          <label className="jp-NearDuplicates-label" htmlFor={sliderId}>
            {distance
              ? trans.__('Similarity threshold (%1)', distance)
              : trans.__('Similarity threshold')}
          </label>
          <div className="jp-NearDuplicates-thresholdRow">
            <input
              id={sliderId}
              className="jp-NearDuplicates-slider"
              type="range"
              min={SIMILARITY_MIN}
              max={SIMILARITY_MAX}
              step={SIMILARITY_STEP}
              value={clampSimilarity(threshold)}
              disabled={scanning}
              aria-describedby={helpId}
              aria-valuetext={formatThreshold(threshold, distance)}
              onChange={event => {
                setDraft(null);
                onThresholdChange(clampSimilarity(Number(event.target.value)));
              }}
            />
            {numberField}
          </div>
        </div>
      ) : (
        <div className="jp-NearDuplicates-field">
          <label className="jp-NearDuplicates-label" htmlFor={numberId}>
            {trans.__('Maximum distance (%1)', distance)}
          </label>
          <div className="jp-NearDuplicates-thresholdRow">{numberField}</div>
        </div>
      )}
      {/* Once a scan is on show, the help only describes the slider to screen readers: the
          result and its calibration chart say what the threshold does, and the list below
          keeps the room. */}
      <div
        id={helpId}
        className={
          lastScanThreshold === null
            ? 'jp-NearDuplicates-help'
            : 'jp-NearDuplicates-help jp-NearDuplicates-visuallyHidden'
        }
      >
        {thresholdHelp(distance, formatThreshold(threshold, distance), trans)}
      </div>

      {resume}
      <div className="jp-NearDuplicates-buttons">
        <button
          type="button"
          className={
            resume
              ? 'jp-NearDuplicates-button'
              : 'jp-NearDuplicates-button jp-NearDuplicates-primary'
          }
          onClick={onDetect}
          disabled={scanning || !canDetect}
          title={
            !scanning && collection === null
              ? trans.__('Choose a collection first')
              : undefined
          }
        >
          {trans.__('Detect Duplicates')}
        </button>
        {scanning ? (
          <button
            type="button"
            className="jp-NearDuplicates-button"
            onClick={onCancel}
            aria-label={trans.__('Cancel the scan')}
          >
            {trans.__('Cancel')}
          </button>
        ) : null}
      </div>

      {hint}
      {lastScanKept &&
      !scanning &&
      !resume &&
      pointsNow !== null &&
      pointsNow !== lastScanKept.points ? (
        <KeptScanOffer
          text={trans.__(
            'The collection has %1 points now, %2 at its last scan (at %3): Scan changes asks only about the points added and drops the deleted ones.',
            formatCount(pointsNow),
            formatCount(lastScanKept.points),
            formatThreshold(lastScanKept.threshold, lastScanKept.distance)
          )}
          action={trans.__('Scan changes')}
          onAction={onScanChanges}
          disabled={!canDetect}
        />
      ) : null}
      {lastScanToShow && !scanning && !resume ? (
        <KeptScanOffer
          text={trans.__(
            'The last scan of this collection is kept: %1 points at %2, finished %3, with %4 pairs. Show last scan brings its groups back without scanning again: it lists the collection, reads the details of the points in groups and checks a sample of points exactly.',
            formatCount(lastScanToShow.points),
            formatThreshold(lastScanToShow.threshold, lastScanToShow.distance),
            new Date(lastScanToShow.savedAt).toLocaleString(),
            formatCount(lastScanToShow.pairs)
          )}
          action={trans.__('Show last scan')}
          onAction={onShowLastScan}
          disabled={!canDetect}
        />
      ) : null}
    </div>
  );
}

/** An offer about the collection's kept finished scan: what it is, and one button. */
function KeptScanOffer(props: {
  text: string;
  action: string;
  onAction?: () => void;
  disabled: boolean;
}): JSX.Element {
  return (
    <div className="jp-NearDuplicates-resume" role="status">
      <div className="jp-NearDuplicates-resumeText">{props.text}</div>
      <div className="jp-NearDuplicates-buttons">
        <button
          type="button"
          className="jp-NearDuplicates-button jp-NearDuplicates-primary"
          onClick={props.onAction}
          disabled={props.disabled}
        >
          {props.action}
        </button>
      </div>
    </div>
  );
}

/**
 * The offer to take up an interrupted scan: "Resume (62% done)", what it was (its threshold
 * and vector when they differ from the panel's: Resume takes the scan's own), and Discard.
 * A collection whose point count changed since is said to have changed (the count Qdrant
 * reports can be approximate, so the worker decides, from the ids it lists again).
 */
function ResumeOffer(props: {
  checkpoint: ICheckpointInfo;
  threshold: number;
  pointsNow: number | null;
  vector: string | null;
  canResume: boolean;
  onResume?: () => void;
  onDiscard?: () => void;
  trans: TranslationBundle;
}): JSX.Element {
  const { checkpoint, threshold, pointsNow, vector, canResume, trans } = props;
  const percent = percentDone(checkpoint.done, checkpoint.points);
  const at = formatThreshold(checkpoint.threshold, checkpoint.distance);
  const otherThreshold = Math.abs(checkpoint.threshold - threshold) > 1e-9;
  const changed = pointsNow !== null && pointsNow !== checkpoint.points;
  const label = otherThreshold
    ? trans.__('Resume at %1 (%2% done)', at, percent)
    : trans.__('Resume (%1% done)', percent);
  const notes: string[] = [
    checkpoint.phase === 'checking'
      ? trans.__(
          'An interrupted scan of this collection was kept: every point asked, %1 pairs found, the check inside groups to finish.',
          formatCount(checkpoint.pairs)
        )
      : trans.__(
          'An interrupted scan of this collection was kept: %1 of %2 points asked, %3 pairs found.',
          formatCount(checkpoint.done),
          formatCount(checkpoint.points),
          formatCount(checkpoint.pairs)
        )
  ];
  if (otherThreshold) {
    notes.push(
      trans.__(
        'It scanned at %1, not at the threshold set now; Resume finishes it at %1.',
        at
      )
    );
  }
  if (vector !== null && vector !== checkpoint.using) {
    notes.push(
      trans.__(
        'It compared the vector %1; Resume compares that one.',
        checkpoint.using === '' ? trans.__('(unnamed)') : checkpoint.using
      )
    );
  }
  if (changed) {
    notes.push(
      trans.__(
        'The collection seems to have changed since (%1 points then, %2 now): Resume lists its points again and resumes only if they are the same.',
        formatCount(checkpoint.points),
        formatCount(pointsNow)
      )
    );
  }
  return (
    <div className="jp-NearDuplicates-resume" role="status">
      <div className="jp-NearDuplicates-resumeText">{notes.join(' ')}</div>
      <div className="jp-NearDuplicates-buttons">
        <button
          type="button"
          className="jp-NearDuplicates-button jp-NearDuplicates-primary"
          onClick={props.onResume}
          disabled={!canResume}
        >
          {label}
        </button>
        <button
          type="button"
          className="jp-NearDuplicates-button"
          onClick={props.onDiscard}
          aria-label={trans.__('Discard the interrupted scan')}
        >
          {trans.__('Discard')}
        </button>
      </div>
    </div>
  );
}
