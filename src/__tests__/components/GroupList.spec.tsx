// The results: summary, empty state, rows, selection, keyboard, and windowing of many groups.
import { act, fireEvent, render, screen, within } from '@testing-library/react';
import * as React from 'react';
import {
  GroupList,
  IGroupListProps,
  thumbnailsShown,
  visibleRows
} from '../../components/GroupList';
import type { IDuplicateGroup, IScanPoints } from '../../scan/types';

const HOSTILE = '<img src=x onerror=alert(1)>';

/** Points 0..n-1 named s0..; thumbnails as paths, splits alternating train/test when asked. */
function makePoints(n: number, patch: Partial<IScanPoints> = {}): IScanPoints {
  return {
    ids: Array.from({ length: n }, (_, i) => i),
    sampleIds: Array.from({ length: n }, (_, i) => `s${i}`),
    thumbnails: Array.from({ length: n }, (_, i) => `thumbs/${i}.png`),
    splits: Array.from({ length: n }, () => 'train'),
    ...patch
  };
}

function makeGroup(
  members: number[],
  best = 0.99,
  worst = 0.96,
  weakest = 0.965
): IDuplicateGroup {
  return {
    key: members[0],
    members,
    pointIds: members,
    sampleIds: members.map(m => `s${m}`),
    links: members.length,
    bestScore: best,
    worstScore: worst,
    weakestLink: {
      a: members[0],
      b: members[members.length - 1],
      score: weakest
    },
    representative: members[members.length - 1]
  };
}

function setup(overrides: Partial<IGroupListProps> = {}) {
  const points = makePoints(20);
  points.splits[9] = 'test';
  const props: IGroupListProps = {
    groups: [
      makeGroup([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
      makeGroup([10, 11, 12]),
      { ...makeGroup([13, 14], 0.9712, 0.9712, 0.9712), links: 1 }
    ],
    points,
    distance: 'Cosine',
    threshold: 0.95,
    thumbnails: {
      filesBaseUrl: '/files',
      remote: 'allowed',
      hosts: [],
      jupyterUrls: []
    },
    selectedKey: null,
    onSelect: jest.fn(),
    ...overrides
  };
  const view = render(<GroupList {...props} />);
  return { props, ...view };
}

const options = () => screen.getAllByRole('option');

describe('GroupList, complete', () => {
  it('sums up the groups', () => {
    setup();
    expect(
      screen.getByText('3 duplicate groups (15 samples) at 0.95')
    ).toBeTruthy();
  });

  it('shows each group with its size, scores and weakest link', () => {
    setup();
    const rows = options();
    expect(rows).toHaveLength(3);
    expect(within(rows[0]).getByText('Group 1: 10 samples')).toBeTruthy();
    expect(within(rows[0]).getByText('Scores 0.9600–0.9900')).toBeTruthy();
    expect(within(rows[0]).getByText('Weakest link 0.9650')).toBeTruthy();
    expect(rows[0].getAttribute('aria-label')).toBe(
      'Group 1: 10 samples, best score 0.9900, worst 0.9600, weakest link 0.9650, crosses splits train + test'
    );
    expect(within(rows[1]).getByText('Group 2: 3 samples')).toBeTruthy();
    // A pair has one score.
    expect(within(rows[2]).getByText('Score 0.9712')).toBeTruthy();
  });

  it('marks a group that crosses splits', () => {
    setup();
    const [first, second] = options();
    expect(within(first).getByText('train + test')).toBeTruthy();
    expect(first.getAttribute('aria-label')).toContain(
      'crosses splits train + test'
    );
    expect(within(second).queryByText(/\+ test/)).toBeNull();
  });

  it('previews up to six samples, the best connected first', () => {
    setup();
    const [first, second] = options();
    const images = within(first).getAllByRole('img') as HTMLImageElement[];
    expect(images).toHaveLength(6);
    expect(images[0].getAttribute('src')).toBe('/files/thumbs/9.png');
    expect(images[0].alt).toBe('s9');
    expect(within(first).getByText('+4')).toBeTruthy();
    expect(within(second).getAllByRole('img')).toHaveLength(3);
  });

  it('shows sample ids as text when there are no thumbnails', () => {
    setup({ points: makePoints(20, { thumbnails: Array(20).fill(null) }) });
    const second = options()[1];
    expect(within(second).queryByRole('img')).toBeNull();
    expect(within(second).getByText('s12')).toBeTruthy();
  });

  it('shows hostile sample ids and thumbnails as text, not markup', () => {
    const points = makePoints(20, {
      sampleIds: Array(20).fill(HOSTILE),
      thumbnails: Array(20).fill(HOSTILE)
    });
    const { container } = setup({ points });
    expect(container.querySelector('img[src="x"]')).toBeNull();
    expect(container.querySelectorAll('img')).toHaveLength(0);
    expect(screen.getAllByText(HOSTILE).length).toBeGreaterThan(0);
  });

  it('marks a group whose members an earlier scan tagged "reviewed", and each tagged member, in words', () => {
    const points = makePoints(20);
    points.reviews = points.ids.map(() => null);
    const tag = (keep: boolean) => ({
      scan: HOSTILE,
      group: 4,
      keep,
      threshold: 0.95,
      weakestLink: 0.97
    });
    // Group 2 (10, 11, 12) wholly tagged; group 1 partly; group 3 not at all.
    points.reviews[10] = tag(true);
    points.reviews[11] = tag(false);
    points.reviews[12] = tag(false);
    points.reviews[9] = tag(true);
    const { container } = setup({ points });
    const [first, second, third] = options();
    const badge = within(second).getByText('reviewed');
    expect(badge.getAttribute('title')).toBe(
      'Reviewed: 3 of 3 members carry a tag from an earlier scan (1 kept, 2 dropped). ' +
        `Tagged by scan ${HOSTILE} at threshold 0.95.`
    );
    expect(within(first).getByText('reviewed 1/10')).toBeTruthy();
    expect(within(third).queryByText(/reviewed/)).toBeNull();
    const kept = within(second).getByRole('img', {
      name: `s10: tagged by scan ${HOSTILE} at threshold 0.95: kept`
    });
    expect(kept.className).toContain('jp-NearDuplicates-reviewedKeep');
    expect(
      within(second).getByRole('img', {
        name: `s11: tagged by scan ${HOSTILE} at threshold 0.95: dropped`
      })
    ).toBeTruthy();
    // The scan id from the payload is text: no element made of it.
    expect(container.querySelector('img[src="x"]')).toBeNull();
  });

  it('speaks in distances for Euclid, nearest pair first in the range', () => {
    setup({
      distance: 'Euclid',
      threshold: 0.5,
      groups: [makeGroup([0, 1, 2], 0.01, 0.4, 0.3)]
    });
    expect(
      screen.getByText('1 duplicate group (3 samples) within distance 0.5')
    ).toBeTruthy();
    expect(screen.getByText('Scores 0.01–0.4')).toBeTruthy();
    expect(screen.getByText('Weakest link 0.3')).toBeTruthy();
  });
});

describe('GroupList, empty', () => {
  it('says nothing was found and what to try', () => {
    setup({ groups: [] });
    expect(
      screen.getByText(
        'No near-duplicates found at threshold 0.95. Try lowering the threshold.'
      )
    ).toBeTruthy();
    expect(screen.queryByRole('listbox')).toBeNull();
  });

  it('says what to try for distances', () => {
    setup({ groups: [], distance: 'Manhattan', threshold: 2 });
    expect(screen.getByText(/Try raising the maximum distance/)).toBeTruthy();
  });
});

describe('GroupList, selection and keyboard', () => {
  it('selects a group on click', () => {
    const { props } = setup();
    fireEvent.click(options()[1]);
    expect(props.onSelect).toHaveBeenCalledWith(props.groups[1]);
  });

  it('shows the selected group', () => {
    setup({ selectedKey: 10 });
    expect(options().map(o => o.getAttribute('aria-selected'))).toEqual([
      'false',
      'true',
      'false'
    ]);
  });

  it('is reachable by Tab on one row, and arrows move between groups', () => {
    const { props } = setup();
    const rows = options();
    expect(rows.map(r => r.tabIndex)).toEqual([0, -1, -1]);
    rows[0].focus();
    fireEvent.keyDown(rows[0], { key: 'ArrowDown' });
    expect(document.activeElement).toBe(options()[1]);
    expect(options().map(r => r.tabIndex)).toEqual([-1, 0, -1]);
    fireEvent.keyDown(document.activeElement!, { key: 'Enter' });
    expect(props.onSelect).toHaveBeenLastCalledWith(props.groups[1]);
    fireEvent.keyDown(document.activeElement!, { key: 'End' });
    expect(document.activeElement).toBe(options()[2]);
    fireEvent.keyDown(document.activeElement!, { key: 'ArrowDown' });
    expect(document.activeElement).toBe(options()[2]);
    fireEvent.keyDown(document.activeElement!, { key: 'Home' });
    expect(document.activeElement).toBe(options()[0]);
    fireEvent.keyDown(document.activeElement!, { key: 'ArrowUp' });
    expect(document.activeElement).toBe(options()[0]);
    fireEvent.keyDown(document.activeElement!, { key: ' ' });
    expect(props.onSelect).toHaveBeenLastCalledWith(props.groups[0]);
  });
});

describe('GroupList with 10,000 groups', () => {
  const N = 10000;
  const points = makePoints(2 * N);
  const groups = Array.from({ length: N }, (_, g) =>
    makeGroup([2 * g, 2 * g + 1])
  );

  function renderMany(overrides: Partial<IGroupListProps> = {}) {
    return setup({ groups, points, viewportHeight: 480, ...overrides });
  }

  it('renders only a window of rows', () => {
    renderMany();
    expect(
      screen.getByText('10,000 duplicate groups (20,000 samples) at 0.95')
    ).toBeTruthy();
    const rows = options();
    expect(rows.length).toBeGreaterThan(4);
    expect(rows.length).toBeLessThan(20);
    expect(rows[0].getAttribute('aria-setsize')).toBe('10000');
    expect(screen.getByRole('listbox').style.height).toBe(`${N * 96}px`);
  });

  it('follows the scroll', () => {
    const { container } = renderMany();
    const viewport = container.querySelector(
      '.jp-NearDuplicates-groupViewport'
    )!;
    fireEvent.scroll(viewport, { target: { scrollTop: 5000 * 96 } });
    expect(screen.getByText('Group 5,001: 2 samples')).toBeTruthy();
    expect(screen.queryByText('Group 2: 2 samples')).toBeNull();
    expect(options().length).toBeLessThan(22);
  });

  it('moves the window with the keyboard', () => {
    const { props, container } = renderMany();
    const viewport = container.querySelector(
      '.jp-NearDuplicates-groupViewport'
    )!;
    options()[0].focus();
    fireEvent.keyDown(document.activeElement!, { key: 'End' });
    expect(document.activeElement!.textContent).toContain(
      'Group 10,000: 2 samples'
    );
    expect(viewport.scrollTop).toBe(N * 96 - 480);
    expect(screen.queryByText('Group 1: 2 samples')).toBeNull();
    fireEvent.keyDown(document.activeElement!, { key: 'ArrowUp' });
    expect(document.activeElement!.textContent).toContain(
      'Group 9,999: 2 samples'
    );
    fireEvent.keyDown(document.activeElement!, { key: 'Enter' });
    expect(props.onSelect).toHaveBeenLastCalledWith(groups[N - 2]);
    fireEvent.keyDown(document.activeElement!, { key: 'Home' });
    expect(viewport.scrollTop).toBe(0);
    expect(document.activeElement!.textContent).toContain('Group 1: 2 samples');
    fireEvent.keyDown(document.activeElement!, { key: 'PageDown' });
    expect(document.activeElement!.textContent).toContain('Group 5: 2 samples');
  });

  it('keeps the active row rendered when scrolled away, so focus is not lost', () => {
    const { container } = renderMany();
    const viewport = container.querySelector(
      '.jp-NearDuplicates-groupViewport'
    )!;
    const first = options()[0];
    first.focus();
    fireEvent.scroll(viewport, { target: { scrollTop: 9000 * 96 } });
    expect(document.activeElement).toBe(first);
    fireEvent.keyDown(first, { key: 'ArrowDown' });
    expect(document.activeElement!.textContent).toContain('Group 2: 2 samples');
    expect(viewport.scrollTop).toBe(96);
  });

  it('starts with a restored selection in view', () => {
    renderMany({ selectedKey: 2 * 7000 });
    const selected = screen.getByRole('option', { selected: true });
    expect(selected.textContent).toContain('Group 7,001: 2 samples');
  });

  it('keeps the rendered rows bounded through a long scroll', () => {
    const { container } = renderMany();
    const viewport = container.querySelector(
      '.jp-NearDuplicates-groupViewport'
    )!;
    act(() => {
      for (let k = 1; k <= 200; k++) {
        fireEvent.scroll(viewport, { target: { scrollTop: k * 4000 } });
      }
    });
    expect(options().length).toBeLessThan(22);
  });
});

describe('visibleRows', () => {
  it('covers the view plus overscan, within bounds', () => {
    expect(visibleRows(10000, 0, 480, 96, 4)).toEqual({ start: 0, end: 10 });
    expect(visibleRows(10000, 96 * 100 + 10, 480, 96, 4)).toEqual({
      start: 96,
      end: 110
    });
    expect(visibleRows(3, 0, 480, 96, 4)).toEqual({ start: 0, end: 3 });
    expect(visibleRows(10000, 96 * 20000, 480, 96, 4)).toEqual({
      start: 9996,
      end: 10000
    });
  });
});

describe('thumbnailsShown', () => {
  it('fits as many 40px previews as the width holds, and room for "+n"', () => {
    // 16px of padding, then 40px previews 4px apart, and about 8px a character of "+n".
    expect(thumbnailsShown(3, 236)).toBe(3);
    expect(thumbnailsShown(5, 236)).toBe(5);
    expect(thumbnailsShown(7, 236)).toBe(4);
    expect(thumbnailsShown(7, 500)).toBe(7);
    expect(thumbnailsShown(40, 500)).toBe(10);
    // However wide, at most 24 previews; however narrow, one and its "+n".
    expect(thumbnailsShown(24, 5000)).toBe(24);
    expect(thumbnailsShown(100, 5000)).toBe(23);
    expect(thumbnailsShown(9, 50)).toBe(1);
  });

  it('shows six and a "+n" while the width is unknown', () => {
    expect(thumbnailsShown(10, 0)).toBe(6);
    expect(thumbnailsShown(4, 0)).toBe(4);
  });
});
