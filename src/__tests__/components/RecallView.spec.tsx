// What the recall line says of the points the index cannot reach: searched exactly, or left
// to the group cover and the lonely pass (sureExact 'deferred', the default).
import { render } from '@testing-library/react';
import * as React from 'react';
import { RecallView } from '../../components/RecallView';
import type { IRecallEstimate } from '../../scan/types';

const sure: IRecallEstimate = {
  seed: 1,
  sampled: 500,
  pairs: 6000,
  found: 6000,
  missedPoints: 0,
  recall: 1,
  low: 0.9994,
  high: 1,
  unreachable: 9,
  route: 'sure',
  searchedExactly: 0,
  exactSecondsPerPoint: 0.003,
  cure: null
};

const noteOf = (audit: IRecallEstimate): string[] => {
  const { container } = render(
    <RecallView audit={audit} onCure={() => undefined} disabled={false} />
  );
  return [...container.querySelectorAll('.jp-NearDuplicates-recallNote')].map(
    p => p.textContent ?? ''
  );
};

describe('RecallView, the points the index cannot reach', () => {
  it('says how many were left to the cover and the lonely pass', () => {
    expect(noteOf({ ...sure, deferred: 1234 })).toEqual([
      '1,234 points the index cannot reach had their pairs found by exact searches around the groups and among the points in no group.'
    ]);
  });

  it('says how many were searched exactly when they were', () => {
    expect(noteOf({ ...sure, searchedExactly: 2 })).toEqual([
      '2 points the index cannot reach were searched exactly.'
    ]);
  });

  it('says nothing of them on the by-id route', () => {
    expect(noteOf({ ...sure, route: 'by-id', deferred: 5 })).toEqual([]);
  });
});
