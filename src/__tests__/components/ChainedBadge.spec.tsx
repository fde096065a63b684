// The chained mark in the group list (issue 15): shown with its text alternative on the groups
// the panel calls chained, and on no other.
import { render, screen, within } from '@testing-library/react';
import * as React from 'react';
import { GroupList } from '../../components/GroupList';
import type { IDuplicateGroup, IScanPoints } from '../../scan/types';

const points: IScanPoints = {
  ids: [0, 1, 2, 3, 4],
  sampleIds: ['a', 'b', 'c', 'd', 'e'],
  thumbnails: [null, null, null, null, null],
  splits: [null, null, null, null, null]
};

function group(members: number[]): IDuplicateGroup {
  return {
    key: members[0],
    members,
    pointIds: members,
    sampleIds: members.map(m => points.sampleIds[m]),
    links: members.length - 1,
    bestScore: 0.99,
    worstScore: 0.96,
    weakestLink: { a: members[0], b: members[1], score: 0.96 },
    representative: members[0]
  };
}

describe('the chained mark', () => {
  it('marks only the groups it is given a note for, with the note as its title and in the row’s label', () => {
    const note = 'Chained: its least alike members score 0.7190 (a and c)';
    render(
      <GroupList
        groups={[group([0, 1, 2]), group([3, 4])]}
        points={points}
        distance="Cosine"
        threshold={0.95}
        thumbnails={{
          filesBaseUrl: '/files',
          remote: 'allowed',
          hosts: [],
          jupyterUrls: []
        }}
        selectedKey={null}
        onSelect={() => undefined}
        chainedTitle={g => (g.key === 0 ? note : null)}
        viewportHeight={400}
      />
    );
    const [chained, tight] = screen.getAllByRole('option');
    expect(within(chained).getByText('chained').getAttribute('title')).toBe(
      note
    );
    expect(chained.getAttribute('aria-label')).toContain(note);
    expect(within(tight).queryByText('chained')).toBeNull();
    expect(tight.getAttribute('aria-label')).not.toContain('Chained');
  });
});
