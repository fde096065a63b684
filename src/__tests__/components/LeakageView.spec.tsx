// The split leakage section: headline and table, a cell click filters the list shown beside it,
// the filter is visible and removable, and a new scan clears it. Groups are fakes holding only
// their members (the section reads nothing else).
import { nullTranslator } from '@jupyterlab/translation';
import { fireEvent, render, screen, within } from '@testing-library/react';
import * as React from 'react';
import { LeakageView, useLeakageFilter } from '../../components/LeakageView';
import type { IDuplicateGroup } from '../../scan/types';

const trans = nullTranslator.load('jupyterlab_near_duplicates');

function fakeGroup(members: number[]): IDuplicateGroup {
  return { key: members[0], members } as IDuplicateGroup;
}

// points 0-4 test, 5-9 train; one point with no split (10)
const SPLITS: (string | null)[] = [
  'test',
  'test',
  'test',
  'test',
  'test',
  'train',
  'train',
  'train',
  'train',
  'train',
  null
];
const GROUPS = [
  fakeGroup([0, 5]), // crosses
  fakeGroup([1, 2, 6]), // crosses, two test
  fakeGroup([7, 8]), // train only
  fakeGroup([3, 9, 10]) // crosses, and one without a split
];

/** The section with a stand-in for the group list: one item per group shown. */
function Harness(props: {
  splits: (string | null)[];
  scan: string;
}): JSX.Element {
  const leak = useLeakageFilter(GROUPS, props.splits, props.scan);
  return (
    <div>
      {leak.leakage ? (
        <LeakageView
          leakage={leak.leakage}
          cell={leak.cell}
          shown={leak.shown.length}
          onFilter={leak.setCell}
          trans={trans}
        />
      ) : null}
      <ul aria-label="groups">
        {leak.shown.map(g => (
          <li key={g.key}>{`group ${g.key}`}</li>
        ))}
      </ul>
    </div>
  );
}

const listed = () =>
  within(screen.getByRole('list', { name: 'groups' }))
    .queryAllByRole('listitem')
    .map(li => li.textContent);

describe('LeakageView', () => {
  it('shows the headline and the table, filters the list by a cell and removes the filter', () => {
    const { rerender } = render(<Harness splits={SPLITS} scan="a" />);
    expect(
      screen.getByText(
        '4 test samples (80.0% of test) have a near-duplicate in train'
      )
    ).toBeTruthy();
    expect(
      screen.getByText(
        '1 of 10 samples in the groups have no split: counted under (no split).'
      )
    ).toBeTruthy();
    expect(listed()).toEqual(['group 0', 'group 1', 'group 7', 'group 3']);

    const cross = screen.getByRole('button', {
      name: '3 groups hold test and train (4 test samples in them)'
    });
    fireEvent.click(cross);
    expect(listed()).toEqual(['group 0', 'group 1', 'group 3']);
    expect(cross.getAttribute('aria-pressed')).toBe('true');
    expect(screen.getByRole('status').textContent).toContain(
      'Showing 3 groups with test and train'
    );

    // The diagonal: groups with two or more samples of one split.
    fireEvent.click(
      screen.getByRole('button', {
        name: '1 group holds two or more train samples (2 train samples in all)'
      })
    );
    expect(listed()).toEqual(['group 7']);
    expect(screen.getByRole('status').textContent).toContain(
      'Showing 1 group with two or more train samples'
    );

    fireEvent.click(
      screen.getByRole('button', {
        name: 'Remove the split filter: show all groups'
      })
    );
    expect(listed()).toEqual(['group 0', 'group 1', 'group 7', 'group 3']);
    expect(screen.queryByRole('status')).toBeNull();

    // A new scan shows every group again.
    fireEvent.click(cross);
    expect(listed()).toHaveLength(3);
    rerender(<Harness splits={SPLITS} scan="b" />);
    expect(listed()).toHaveLength(4);
  });

  it('shows nothing when the collection has fewer than two split values', () => {
    render(<Harness splits={SPLITS.map(s => (s ? 'train' : null))} scan="a" />);
    expect(screen.queryByRole('region', { name: 'Split leakage' })).toBeNull();
    expect(listed()).toHaveLength(4);
  });

  it("counts each row split's samples, as nd.leakage() does, with (no split) last", () => {
    render(<Harness splits={SPLITS} scan="a" />);
    const header = screen.getAllByRole('columnheader').map(h => h.textContent);
    expect(header).toEqual([
      'Split',
      'with test',
      'with train',
      'with (no split)'
    ]);
    expect(
      screen.getByRole('button', {
        name: '3 groups hold train and test (3 train samples in them)'
      })
    ).toBeTruthy();
    fireEvent.click(
      screen.getByRole('button', {
        name: '1 group holds (no split) and train (1 (no split) samples in it)'
      })
    );
    expect(listed()).toEqual(['group 3']);
    expect(screen.getByRole('status').textContent).toContain(
      'Showing 1 group with (no split) and train'
    );
  });

  it('turns off cells that count no group', () => {
    render(<Harness splits={SPLITS} scan="a" />);
    const none = screen.getByRole('button', {
      name: '0 groups hold two or more (no split) samples (0 (no split) samples in all)'
    }) as HTMLButtonElement;
    expect(none.disabled).toBe(true);
  });
});
