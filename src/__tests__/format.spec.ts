// How numbers read in the panel: counts, thresholds, scores, rates, time left, split badges.
import {
  crossedSplits,
  formatCount,
  formatDecimal,
  formatEta,
  formatQuantity,
  formatRate,
  formatScore,
  formatThreshold,
  percentDone
} from '../format';

describe('formatCount and formatQuantity', () => {
  it('groups thousands and rounds', () => {
    expect(formatCount(0)).toBe('0');
    expect(formatCount(12345)).toBe('12,345');
    expect(formatCount(1234567.6)).toBe('1,234,568');
    expect(formatCount(NaN)).toBe('?');
  });

  it('says one point, two points', () => {
    expect(formatQuantity(1, 'point')).toBe('1 point');
    expect(formatQuantity(2, 'point')).toBe('2 points');
    expect(formatQuantity(12345, 'duplicate group')).toBe(
      '12,345 duplicate groups'
    );
    expect(formatQuantity(0, 'sample')).toBe('0 samples');
  });
});

describe('formatThreshold', () => {
  it('keeps two decimals for slider similarities', () => {
    expect(formatThreshold(0.95, 'Cosine')).toBe('0.95');
    expect(formatThreshold(0.9, 'Dot')).toBe('0.90');
    expect(formatThreshold(0.8 + 0.1, 'Cosine')).toBe('0.90');
    expect(formatThreshold(0.955, 'Cosine')).toBe('0.955');
  });

  it('writes distances as plain numbers', () => {
    expect(formatThreshold(1.5, 'Euclid')).toBe('1.5');
    expect(formatThreshold(12, 'Manhattan')).toBe('12');
    expect(formatThreshold(0.12345678, 'Euclid')).toBe('0.1235');
  });

  it('treats an unknown distance as a similarity', () => {
    expect(formatThreshold(0.95, null)).toBe('0.95');
    expect(formatScore(0.98765, null)).toBe('0.9877');
  });
});

describe('formatScore', () => {
  it('gives similarities four decimals, since duplicates crowd below 1', () => {
    expect(formatScore(0.99871, 'Cosine')).toBe('0.9987');
    expect(formatScore(1, 'Cosine')).toBe('1.0000');
  });

  it('gives distances four significant digits', () => {
    expect(formatScore(0.012345, 'Euclid')).toBe('0.01235');
    expect(formatScore(12.3456, 'Manhattan')).toBe('12.35');
    expect(formatScore(0, 'Euclid')).toBe('0');
    expect(formatScore(123456.7, 'Euclid')).toBe('123,457');
  });

  it('never prints NaN', () => {
    expect(formatScore(NaN, 'Cosine')).toBe('?');
    expect(formatDecimal(Infinity)).toBe('?');
    expect(formatDecimal(-0.00001, 2)).toBe('0');
  });
});

describe('formatRate', () => {
  it('writes points per second', () => {
    expect(formatRate(1234.4)).toBe('1,234 points/s');
    expect(formatRate(3.46)).toBe('3.5 points/s');
  });

  it('is empty before there is a rate', () => {
    expect(formatRate(0)).toBe('');
    expect(formatRate(NaN)).toBe('');
  });
});

describe('formatEta', () => {
  it('rounds the way a person says it', () => {
    expect(formatEta(3)).toBe('a few seconds left');
    expect(formatEta(42)).toBe('about 40 s left');
    expect(formatEta(125)).toBe('about 2 min left');
    expect(formatEta(3600)).toBe('about 1 h left');
    expect(formatEta(3900)).toBe('about 1 h 5 min left');
  });

  it('is empty when the time left cannot be told', () => {
    expect(formatEta(null)).toBe('');
    expect(formatEta(undefined)).toBe('');
    expect(formatEta(-1)).toBe('');
    expect(formatEta(Infinity)).toBe('');
  });
});

describe('percentDone', () => {
  it('is a whole percentage within 0..100', () => {
    expect(percentDone(1, 3)).toBe(33);
    expect(percentDone(5, 0)).toBe(0);
    expect(percentDone(12, 10)).toBe(100);
  });
});

describe('crossedSplits', () => {
  it('lists the splits a group crosses, train before test', () => {
    expect(crossedSplits(['test', 'train', 'test'])).toEqual(['train', 'test']);
    expect(
      crossedSplits(['test', 'zeta', 'validation', 'alpha', 'train'])
    ).toEqual(['train', 'validation', 'test', 'alpha', 'zeta']);
  });

  it('is empty within one split or with no splits', () => {
    expect(crossedSplits(['train', 'train'])).toEqual([]);
    expect(crossedSplits([null, 'train', undefined, ''])).toEqual([]);
    expect(crossedSplits([])).toEqual([]);
  });
});
