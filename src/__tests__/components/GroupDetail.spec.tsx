// The group detail view (issue 15): members, the heat map of their pairwise scores with the
// weakest link outlined, the diameter, and Split; on a planted chain built from plain pairs.
import { fireEvent, render, screen, within } from '@testing-library/react';
import * as React from 'react';
import { chainedNote } from '../../components/chainWords';
import {
  cellScore,
  DETAIL_MAX_MEMBERS,
  GroupDetail,
  IGroupDetailProps
} from '../../components/GroupDetail';
import { GroupShaping } from '../../grouping';
import type { IScanOutcome } from '../../modelTypes';
import { regroup } from '../../scan/groups';
import { PairStore } from '../../scan/pairs';
import type { IScanResult } from '../../scan/types';

/** Two tight sets {0..3} and {4..7} joined by one link 3-4 (0.96); scanned at a floor of 0.80. */
function chainResult(): IScanResult {
  const store = new PairStore(true);
  const tight = (ids: number[], s: number) =>
    ids.forEach((a, i) => ids.slice(i + 1).forEach(b => store.add(a, b, s)));
  tight([0, 1, 2, 3], 0.99);
  tight([4, 5, 6, 7], 0.985);
  store.add(3, 4, 0.96);
  store.add(2, 4, 0.86);
  const n = 8;
  const result: IScanResult = {
    collection: 'c',
    using: '',
    distance: 'Cosine',
    threshold: 0.8,
    points: {
      ids: Array.from({ length: n }, (_, i) => i),
      sampleIds: Array.from({ length: n }, (_, i) => `p${i}`),
      thumbnails: Array.from({ length: n }, () => null),
      splits: Array.from({ length: n }, () => null)
    },
    pairs: store.toList(),
    groups: [],
    stats: { seconds: 0, queries: 0, requests: 0, retries: 0 }
  };
  result.groups = regroup(result, 0.8);
  return result;
}

function setup(patch: Partial<IGroupDetailProps> = {}) {
  const result = chainResult();
  const shaping = new GroupShaping();
  const outcome: IScanOutcome = {
    scanId: 's',
    result,
    finishedAt: 0,
    threshold: 0.95,
    groups: shaping.groupsAt(result, 0.95)
  };
  const [group] = outcome.groups;
  const onSplit = jest.fn();
  const onClose = jest.fn();
  render(
    <GroupDetail
      group={group}
      index={0}
      result={result}
      threshold={0.95}
      diameter={shaping.diameterOf(result, outcome.groups, group)}
      chained={chainedNote(outcome, shaping, group)}
      parts={shaping.partsOf(result, group)}
      thumbnails={{
        filesBaseUrl: '/files',
        remote: 'allowed',
        hosts: [],
        jupyterUrls: []
      }}
      onSplit={onSplit}
      onClose={onClose}
      {...patch}
    />
  );
  return { onSplit, onClose, group };
}

describe('GroupDetail', () => {
  it('shows the members, the weakest link and the least alike pair in words', () => {
    setup();
    expect(screen.getByText('Group 1: 8 samples')).toBeTruthy();
    const members = within(screen.getByRole('list', { name: 'Members' }));
    expect(members.getAllByRole('listitem')).toHaveLength(8);
    expect(screen.getByText('0.9600 (p3 and p4)')).toBeTruthy();
    // 16 pairs across the sets, 2 of them kept: 14 below the floor.
    expect(
      screen.getByText("at or below 0.80, the scan's floor (14 pairs)")
    ).toBeTruthy();
    expect(screen.getByText('chained').getAttribute('title')).toMatch(
      /^Chained: /
    );
  });

  it('draws the scores as a table: text for each pair, the weakest link outlined, – below the floor', () => {
    setup();
    const table = screen.getByRole('table');
    const weakest = within(table).getAllByLabelText(
      /: 0\.9600, the weakest link$/
    );
    expect(weakest).toHaveLength(2);
    for (const cell of weakest) {
      expect(cell.textContent).toBe('.96');
      expect(cell.className).toContain('jp-NearDuplicates-heatWeakest');
    }
    // Kept at the floor but below the threshold on show: said so, and not a heat colour.
    const fail = within(table).getAllByLabelText(
      'p2 and p4: 0.8600, does not pass the threshold'
    );
    expect(fail[0].className).toBe('jp-NearDuplicates-heatFail');
    expect(
      within(table).getAllByLabelText(
        'p0 and p7: at or below the scan’s floor'
      )[0].textContent
    ).toBe('–');
    // The tight sets stay together in the order: p0..p3, then p4..p7.
    const header = within(table).getAllByRole('columnheader');
    expect(header.map(h => h.getAttribute('aria-label'))).toEqual([
      'p0',
      'p1',
      'p2',
      'p3',
      'p4',
      'p5',
      'p6',
      'p7'
    ]);
    // Darker is more alike: 0.99 is a deeper step than 0.96.
    const step = (label: string) =>
      Number(
        /heat(\d)/.exec(within(table).getAllByLabelText(label)[0].className)![1]
      );
    expect(step('p0 and p1: 0.9900')).toBeGreaterThan(
      step('p3 and p4: 0.9600, the weakest link')
    );
  });

  it('says what Split will do, and does it on click', () => {
    const { onSplit } = setup();
    expect(
      screen.getByText('At the weakest link: into 4 + 4 samples.')
    ).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Split' }));
    expect(onSplit).toHaveBeenCalledTimes(1);
  });

  it('goes back to the groups on the back button and on Escape', () => {
    const { onClose } = setup();
    const back = screen.getByRole('button', { name: 'Back to the groups' });
    expect(document.activeElement).toBe(back);
    fireEvent.keyDown(back, { key: 'Escape' });
    fireEvent.click(back);
    expect(onClose).toHaveBeenCalledTimes(2);
  });

  it('offers no Split for a pair', () => {
    const result = chainResult();
    const pair = { ...regroup(result, 0.8)[0] };
    pair.members = [0, 1];
    setup({ group: pair, parts: [] });
    expect(
      (screen.getByRole('button', { name: 'Split' }) as HTMLButtonElement)
        .disabled
    ).toBe(true);
  });

  it('shows the first members of a very large group, and says so', () => {
    const n = 1200;
    const store = new PairStore(true);
    for (let i = 0; i + 1 < n; i++) {
      store.add(i, i + 1, 0.97);
    }
    const result: IScanResult = {
      ...chainResult(),
      points: {
        ids: Array.from({ length: n }, (_, i) => i),
        sampleIds: Array.from({ length: n }, (_, i) => `q${i}`),
        thumbnails: Array.from({ length: n }, () => null),
        splits: Array.from({ length: n }, () => null)
      },
      pairs: store.toList()
    };
    const [path] = regroup(result, 0.95);
    expect(path.members).toHaveLength(n);
    setup({ group: path, result, diameter: null, chained: null, parts: [] });
    expect(
      screen.getByText(
        `Showing the first ${DETAIL_MAX_MEMBERS} of 1,200 members.`
      )
    ).toBeTruthy();
    expect(screen.getAllByRole('columnheader')).toHaveLength(
      DETAIL_MAX_MEMBERS
    );
    expect(
      screen.getAllByLabelText(/^q(0 and q1|1 and q0): 0\.9700$/)
    ).toHaveLength(2);
  });

  it('writes short scores in cells', () => {
    expect(cellScore(0.9612, true)).toBe('.96');
    expect(cellScore(0.999, true)).toBe('1');
    expect(cellScore(-0.25, true)).toBe('-.25');
    expect(cellScore(1.5, true)).toBe('1.50');
    expect(cellScore(0.31234, false)).toBe('0.31');
    expect(DETAIL_MAX_MEMBERS).toBeGreaterThanOrEqual(8);
  });
});
