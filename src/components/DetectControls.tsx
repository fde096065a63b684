// The threshold and the Detect / Cancel buttons. The threshold speaks the collection's own
// units: a similarity (slider, 0.80 to 0.99) for Cosine and Dot, a maximum distance for
// Euclid and Manhattan. It also says whether the shown results follow it without a rescan.
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { formatThreshold } from '../format';
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
      <div id={helpId} className="jp-NearDuplicates-help">
        {thresholdHelp(distance, formatThreshold(threshold, distance), trans)}
      </div>

      <div className="jp-NearDuplicates-buttons">
        <button
          type="button"
          className="jp-NearDuplicates-button jp-NearDuplicates-primary"
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
    </div>
  );
}
