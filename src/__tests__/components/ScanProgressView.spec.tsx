// A running scan: the bar, the counts, the rate and the time left, phase by phase.
import { render, screen } from '@testing-library/react';
import * as React from 'react';
import { ScanProgressView } from '../../components/ScanProgressView';
import type { IScanProgress } from '../../scan/types';

const base: IScanProgress = {
  phase: 'scanning',
  listed: 10000,
  scanned: 1234,
  total: 10000,
  pairs: 321,
  groups: 45,
  rate: 617.3,
  etaSeconds: 142
};

describe('ScanProgressView', () => {
  it('shows scanned points on a progress bar, with rate and time left', () => {
    render(<ScanProgressView progress={base} />);
    expect(screen.getByText('Scanning 1,234/10,000 points')).toBeTruthy();
    const bar = screen.getByRole('progressbar', { name: 'Scan progress' });
    expect(bar.getAttribute('aria-valuenow')).toBe('1234');
    expect(bar.getAttribute('aria-valuemin')).toBe('0');
    expect(bar.getAttribute('aria-valuemax')).toBe('10000');
    expect((bar.firstChild as HTMLElement).style.width).toBe('12%');
    expect(screen.getByText('617 points/s')).toBeTruthy();
    expect(screen.getByText('about 2 min left')).toBeTruthy();
    expect(screen.getByText('321 pairs, 45 groups so far')).toBeTruthy();
  });

  it('leaves out a rate and time left that are not known yet', () => {
    render(
      <ScanProgressView progress={{ ...base, rate: 0, etaSeconds: null }} />
    );
    expect(screen.queryByText(/points\/s/)).toBeNull();
    expect(screen.queryByText(/left/)).toBeNull();
  });

  it('shows listing progress', () => {
    render(
      <ScanProgressView
        progress={{
          ...base,
          phase: 'listing',
          listed: 2000,
          scanned: 0,
          etaSeconds: null,
          rate: 5000
        }}
      />
    );
    expect(screen.getByText('Listing points 2,000/10,000')).toBeTruthy();
    expect(screen.getByRole('progressbar').getAttribute('aria-valuenow')).toBe(
      '2000'
    );
    expect(screen.getByText('5,000 points/s')).toBeTruthy();
  });

  it('shows an indeterminate bar while reading the collection config', () => {
    render(
      <ScanProgressView
        progress={{ ...base, phase: 'inspecting', scanned: 0, listed: 0 }}
      />
    );
    expect(
      screen.getByText("Reading the collection's configuration…")
    ).toBeTruthy();
    expect(screen.getByRole('progressbar').hasAttribute('aria-valuenow')).toBe(
      false
    );
  });

  it('shows the check of pairs inside groups on its own bar, with time left but no point rate', () => {
    render(
      <ScanProgressView
        progress={{
          ...base,
          phase: 'checking',
          scanned: 10000,
          checked: 300,
          toCheck: 1200,
          rate: 900,
          etaSeconds: 1
        }}
      />
    );
    expect(
      screen.getByText('Checking the pairs in and around the groups 300/1,200')
    ).toBeTruthy();
    const bar = screen.getByRole('progressbar', { name: 'Scan progress' });
    expect(bar.getAttribute('aria-valuenow')).toBe('300');
    expect(bar.getAttribute('aria-valuemax')).toBe('1200');
    expect(screen.queryByText(/points\/s/)).toBeNull();
    expect(screen.getByText('321 pairs, 45 groups so far')).toBeTruthy();
  });

  it("shows the reading of the paired points' sample ids and thumbnails on its own bar", () => {
    render(
      <ScanProgressView
        progress={{
          ...base,
          phase: 'details',
          scanned: 10000,
          described: 2000,
          toDescribe: 3512,
          rate: 5000,
          etaSeconds: 1
        }}
      />
    );
    expect(
      screen.getByText(
        'Reading the sample ids and thumbnails of the points in pairs 2,000/3,512'
      )
    ).toBeTruthy();
    const bar = screen.getByRole('progressbar', { name: 'Scan progress' });
    expect(bar.getAttribute('aria-valuenow')).toBe('2000');
    expect(bar.getAttribute('aria-valuemax')).toBe('3512');
    expect(screen.getByText('321 pairs, 45 groups so far')).toBeTruthy();
  });

  it('shows grouping', () => {
    render(
      <ScanProgressView
        progress={{ ...base, phase: 'grouping', scanned: 10000 }}
      />
    );
    expect(
      screen.getByText('Grouping 321 pairs into duplicate groups…')
    ).toBeTruthy();
    expect(screen.queryByText(/points\/s/)).toBeNull();
  });

  it('shows where a cancelled scan stopped', () => {
    render(<ScanProgressView progress={{ ...base, phase: 'cancelled' }} />);
    expect(screen.getByText('Cancelled at 1,234/10,000 points')).toBeTruthy();
  });

  it('keeps the bar within its range when counts overshoot an estimate', () => {
    render(<ScanProgressView progress={{ ...base, scanned: 10500 }} />);
    expect(screen.getByRole('progressbar').getAttribute('aria-valuenow')).toBe(
      '10000'
    );
  });
});
