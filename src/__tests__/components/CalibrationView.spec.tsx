// The calibration section (issue 15): folded until opened, then the numbers at the current
// threshold in words, a marker that follows the threshold, and the pairs either side of it.
// A hand-made scan of five points stands in for a real one (a component test, fake data).
import { fireEvent, render, screen, within } from '@testing-library/react';
import * as React from 'react';
import { CalibrationView } from '../../components/CalibrationView';
import { PairStore } from '../../scan/pairs';
import type { IScanResult } from '../../scan/types';

function scan(): IScanResult {
  const pairs = new PairStore(true);
  // a-b 0.99 and b-c 0.93 chain into one group at 0.90; d-e 0.96 is a pair of its own.
  pairs.add(0, 1, 0.99);
  pairs.add(1, 2, 0.93);
  pairs.add(3, 4, 0.96);
  return {
    collection: 'c',
    using: '',
    distance: 'Cosine',
    threshold: 0.9,
    points: {
      ids: [0, 1, 2, 3, 4],
      sampleIds: ['a', 'b', 'c', 'd', '<img src=x onerror=alert(1)>'],
      thumbnails: [null, null, null, null, '<b>bold</b>'],
      splits: [null, null, null, null, null]
    },
    pairs: pairs.toList(),
    groups: [],
    stats: {} as IScanResult['stats']
  };
}

const policy = {
  filesBaseUrl: '/files',
  remote: 'allowed' as const,
  hosts: [],
  jupyterUrls: ['http://localhost']
};

function open(container: HTMLElement) {
  const details = container.querySelector('details')!;
  details.open = true;
  fireEvent(details, new Event('toggle'));
}

describe('the calibration section (component, fake scan)', () => {
  it('is folded at first, and unfolded says the counts at the threshold on show', () => {
    const result = scan();
    const { container, rerender } = render(
      <CalibrationView result={result} threshold={0.9} thumbnails={policy} />
    );
    expect(screen.queryByRole('status')).toBeNull();
    open(container);
    expect(screen.getByRole('status').textContent).toBe(
      'At 0.90: 2 duplicate groups (5 samples), 3 dropped when one is kept per group.'
    );
    expect(
      screen.getByRole('img', { name: /^At 0\.90: 2 duplicate groups/ })
    ).toBeTruthy();
    const marker = () =>
      container.querySelector('.jp-NearDuplicates-chartMarker')!;
    const at90 = marker().getAttribute('x1');

    rerender(
      <CalibrationView result={result} threshold={0.95} thumbnails={policy} />
    );
    expect(screen.getByRole('status').textContent).toBe(
      'At 0.95: 2 duplicate groups (4 samples), 2 dropped when one is kept per group.'
    );
    expect(Number(marker().getAttribute('x1'))).toBeGreaterThan(Number(at90));

    rerender(
      <CalibrationView result={result} threshold={0.97} thumbnails={policy} />
    );
    expect(screen.getByRole('status').textContent).toBe(
      'At 0.97: 1 duplicate group (2 samples), 1 dropped when one is kept per group.'
    );
  });

  it('shows the pairs just above and below the threshold with their scores, payloads as text', () => {
    const { container } = render(
      <CalibrationView result={scan()} threshold={0.95} thumbnails={policy} />
    );
    open(container);
    const above = screen.getByRole('list', {
      name: 'Just above 0.95: grouped'
    });
    const below = screen.getByRole('list', {
      name: 'Just below 0.95: not grouped'
    });
    expect(
      within(above)
        .getAllByRole('listitem')
        .map(li => li.getAttribute('aria-label'))
    ).toEqual([
      'd and <img src=x onerror=alert(1)>: 0.9600',
      'a and b: 0.9900'
    ]);
    expect(
      within(below)
        .getAllByRole('listitem')
        .map(li => li.getAttribute('aria-label'))
    ).toEqual(['b and c: 0.9300']);
    // Payload strings stay text: no element was made from them.
    expect(container.querySelector('b')).toBeNull();
    expect(container.querySelector('img[src="x"]')).toBeNull();
    expect(container.textContent).toContain('<b>bold</b>');
  });

  it('says that no pair below the scan’s floor was kept', () => {
    const { container } = render(
      <CalibrationView result={scan()} threshold={0.9} thumbnails={policy} />
    );
    open(container);
    expect(container.textContent).toContain(
      'None kept: the scan found pairs above 0.90 only.'
    );
  });
  it('stays unfolded across a remount when its owner keeps the state (as the panel does)', () => {
    const toggled: boolean[] = [];
    const first = render(
      <CalibrationView
        result={scan()}
        threshold={0.95}
        thumbnails={policy}
        open={false}
        onToggle={o => toggled.push(o)}
      />
    );
    open(first.container);
    expect(toggled).toEqual([true]);
    first.unmount();
    render(
      <CalibrationView
        result={scan()}
        threshold={0.95}
        thumbnails={policy}
        open={true}
        onToggle={o => toggled.push(o)}
      />
    );
    expect(screen.getByRole('status').textContent).toMatch(/^At 0\.95: /);
  });
});
