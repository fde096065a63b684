// How the panel writes numbers: counts, scores, thresholds, rates and time left.
// DOM-free and locale-fixed (the panel's text is English), so views and tests agree.
import type { TranslationBundle } from '@jupyterlab/translation';
import { asWritten } from './scan/asWritten';
import { higherIsBetter } from './scan/metric';
import type { DistanceKind } from './scan/types';

const COUNT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** A whole count with thousands separators: 12345 -> "12,345". */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) {
    return '?';
  }
  return COUNT.format(Math.round(n));
}

/** A count with its noun, singular for one: (1, 'point') -> "1 point", (2, 'group') -> "2 groups". */
export function formatQuantity(
  n: number,
  singular: string,
  plural = `${singular}s`
): string {
  return `${formatCount(n)} ${Math.round(n) === 1 ? singular : plural}`;
}

/** A number with at most `digits` decimals, trailing zeros dropped: 0.5000 -> "0.5". */
export function formatDecimal(x: number, digits = 4): string {
  if (!Number.isFinite(x)) {
    return '?';
  }
  const fixed = x.toFixed(digits);
  const trimmed = fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
  return trimmed === '-0' ? '0' : trimmed;
}

/**
 * A threshold as the user set it. Similarities keep two decimals (the slider's step), with
 * more only when the value has them (0.95 -> "0.95", 0.9 -> "0.90", 0.955 -> "0.955");
 * distances are free numbers (1.5 -> "1.5").
 */
export function formatThreshold(
  t: number,
  distance?: DistanceKind | null
): string {
  if (!Number.isFinite(t)) {
    return '?';
  }
  if (!higherIsBetter(distance)) {
    return formatDecimal(t, 4);
  }
  const two = t.toFixed(2);
  return Math.abs(Number(two) - t) < 1e-9 ? two : formatDecimal(t, 4);
}

/**
 * A pair's score. Near-duplicate similarities crowd just below 1, so they get four decimals
 * (0.99871 -> "0.9987"); distances get four significant digits (0.012345 -> "0.01235").
 */
export function formatScore(
  score: number,
  distance?: DistanceKind | null
): string {
  if (!Number.isFinite(score)) {
    return '?';
  }
  if (higherIsBetter(distance)) {
    return score.toFixed(4);
  }
  if (score === 0) {
    return '0';
  }
  if (Math.abs(score) >= 1000) {
    return formatCount(score);
  }
  return formatDecimal(Number(score.toPrecision(4)), 8);
}

/** A scan's speed: "1,234 points/s"; one decimal below 10; empty when not known yet. */
export function formatRate(
  pointsPerSecond: number,
  trans: Pick<TranslationBundle, '__'> = asWritten
): string {
  if (!Number.isFinite(pointsPerSecond) || pointsPerSecond <= 0) {
    return '';
  }
  const value =
    pointsPerSecond < 10
      ? formatDecimal(pointsPerSecond, 1)
      : formatCount(pointsPerSecond);
  return trans.__('%1 points/s', value);
}

/**
 * A duration, rounded the way a person would say it: "a few seconds", "about 40 s",
 * "about 2 min", "about 1 h 5 min". Empty when unknown.
 */
export function formatDuration(
  seconds: number | null | undefined,
  trans: Pick<TranslationBundle, '__'> = asWritten
): string {
  if (
    seconds === null ||
    seconds === undefined ||
    !Number.isFinite(seconds) ||
    seconds < 0
  ) {
    return '';
  }
  if (seconds < 10) {
    return trans.__('a few seconds');
  }
  if (seconds < 60) {
    return trans.__('about %1 s', Math.round(seconds / 5) * 5);
  }
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) {
    return trans.__('about %1 min', minutes);
  }
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest
    ? trans.__('about %1 h %2 min', hours, rest)
    : trans.__('about %1 h', hours);
}

/** Time left: "about 2 min left". Empty when unknown. */
export function formatEta(
  seconds: number | null | undefined,
  trans: Pick<TranslationBundle, '__'> = asWritten
): string {
  const duration = formatDuration(seconds, trans);
  return duration ? trans.__('%1 left', duration) : '';
}

/** A fraction done as a whole percentage in [0, 100]; 0 when the total is not known. */
export function percentDone(done: number, total: number): number {
  if (!(total > 0) || !Number.isFinite(done)) {
    return 0;
  }
  return Math.max(0, Math.min(100, Math.floor((done / total) * 100)));
}

// Conventional splits first, in the order a dataset goes; anything else alphabetically after.
const SPLIT_ORDER = [
  'train',
  'training',
  'val',
  'valid',
  'validation',
  'dev',
  'test',
  'testing'
];

/**
 * The distinct splits among a group's samples, in a stable order (train, validation, test,
 * then others alphabetically), or an empty list when the values name fewer than two splits.
 */
export function crossedSplits(
  values: ReadonlyArray<string | null | undefined>
): string[] {
  const seen = new Set<string>();
  for (const value of values) {
    if (typeof value === 'string' && value.trim() !== '') {
      seen.add(value.trim());
    }
  }
  if (seen.size < 2) {
    return [];
  }
  const rank = (s: string): number => {
    const i = SPLIT_ORDER.indexOf(s.toLowerCase());
    return i < 0 ? SPLIT_ORDER.length : i;
  };
  return [...seen].sort(
    (x, y) => rank(x) - rank(y) || (x < y ? -1 : x > y ? 1 : 0)
  );
}
