// The keep-one plan in the panel: PlanView over a PlanModel (its counts per split follow the
// rules; a field of mixed types says why no plan is shown), the group detail's pin on a
// thumbnail and its "Not duplicates" mark, and the plan kept with the saved scan. Payload
// values come from a fake reader (the proxy's retrieve is exercised by the Galata spec).
import { act, fireEvent, render, screen, within } from '@testing-library/react';
import * as React from 'react';
import type { IPointPayload } from '../../api';
import { GroupDetail } from '../../components/GroupDetail';
import { PlanView, suggestedSplitOrder } from '../../components/PlanView';
import type { IScanOutcome } from '../../modelTypes';
import { restoreScan, saveScan } from '../../persistence';
import { planHeadline } from '../../plan';
import { PlanModel } from '../../planModel';
import { centralRanks, ICentralRanks, membersOf } from '../../scan/central';
import { regroup } from '../../scan/groups';
import { PairStore } from '../../scan/pairs';
import type { IScanResult, PointId } from '../../scan/types';

/** Groups {0..3} (train, train, test, val) and {4, 5} (test, train) of 8 points; 6, 7 alone. */
function outcome(): IScanOutcome {
  const store = new PairStore(true);
  [0, 1, 2, 3].forEach((a, i, all) =>
    all.slice(i + 1).forEach(b => store.add(a, b, 0.97))
  );
  store.add(4, 5, 0.99);
  const result: IScanResult = {
    collection: 'c',
    using: '',
    distance: 'Cosine',
    threshold: 0.9,
    points: {
      ids: [10, 11, 12, 13, 20, 21, 30, 31],
      sampleIds: ['s10', 's11', 's12', 's13', 's20', 's21', 's30', 's31'],
      thumbnails: Array.from({ length: 8 }, () => null),
      splits: [
        'train',
        'train',
        'test',
        'val',
        'test',
        'train',
        'train',
        'test'
      ]
    },
    pairs: store.toList(),
    groups: [],
    stats: { seconds: 0, queries: 0, requests: 0, retries: 0 }
  };
  result.groups = regroup(result, 0.9);
  return {
    scanId: 'scan-1',
    result,
    finishedAt: 0,
    threshold: 0.9,
    groups: result.groups
  };
}

const PAYLOADS: Record<number, Record<string, unknown>> = {
  10: { w: 1, res: 5 },
  11: { w: 4, res: 5 },
  12: { w: 2, res: '5px' },
  13: { w: 3 },
  20: { w: 9 },
  21: { w: 1 }
};

/** Answers as the proxy's retrieve would, for the points and fields asked (a fake). */
function fakeReader() {
  const calls: { ids: PointId[]; fields: string[] }[] = [];
  const read = async (
    _: string,
    ids: PointId[],
    fields: string[]
  ): Promise<IPointPayload[]> => {
    calls.push({ ids, fields });
    return ids.map(id => ({
      id,
      payload: Object.fromEntries(
        fields
          .filter(f => f in (PAYLOADS[id as number] ?? {}))
          .map(f => [f, PAYLOADS[id as number][f]])
      )
    }));
  };
  return { read, calls };
}

function Harness(props: { plan: PlanModel; outcome: IScanOutcome }) {
  const { plan, outcome } = props;
  const [, setTick] = React.useState(0);
  React.useEffect(() => {
    const update = () => setTick(t => t + 1);
    plan.changed.connect(update);
    return () => {
      plan.changed.disconnect(update);
    };
  }, [plan]);
  const view = plan.shown(outcome); // as the panel asks for it
  const group = outcome.groups[0];
  return (
    <>
      <PlanView
        view={view}
        rules={plan.rules}
        onRulesChange={rules => plan.setRules(rules)}
        splits={['test', 'train', 'val']}
        pinned={view.decisions.filter(d => d.pinned).length}
        open={true}
      />
      <GroupDetail
        group={group}
        index={0}
        result={outcome.result}
        threshold={outcome.threshold}
        diameter={null}
        chained={null}
        parts={[]}
        thumbnails={{
          filesBaseUrl: '/files',
          remote: 'allowed',
          hosts: [],
          jupyterUrls: []
        }}
        onSplit={() => undefined}
        onClose={() => undefined}
        decision={view.decisions[0] ?? null}
        onPin={member => plan.pin(outcome, group, member)}
        onNotDuplicates={marked => plan.setNotDuplicates(group, marked)}
      />
    </>
  );
}

/** The default plan of outcome() on show: the first point id (10, 20) kept in each group. */
function expectFirstKept(): void {
  expect(
    screen.getByText('Keep one per group: keep 2, drop 4 samples (50.0%)')
  ).toBeTruthy();
  expect(splitLines()).toEqual([
    'test: keep 1, drop 1 (33.3% of test)',
    'train: keep 1, drop 2 (50.0% of train)',
    'val: keep 0, drop 1 (100.0% of val)'
  ]);
}

function splitLines(): string[] {
  return within(screen.getByRole('list', { name: 'Per split' }))
    .getAllByRole('listitem')
    .map(li => li.textContent ?? '');
}

describe('PlanView and the group detail on a PlanModel (fake payload reader)', () => {
  it('shows what the default plan keeps and drops, overall and per split', () => {
    const o = outcome();
    const plan = new PlanModel(fakeReader().read);
    plan.attach(o);
    render(<Harness plan={plan} outcome={o} />);
    expectFirstKept();
  });

  it('past its groups limit the plan is worked out after the render, says so meanwhile, and tells only the panel', async () => {
    const o = outcome();
    // A limit of 1 group stands in for a million points' 18,419 groups (PLAN_IN_RENDER_GROUPS).
    const plan = new PlanModel(fakeReader().read, null, 1);
    plan.attach(o);
    const changes: string[] = [];
    plan.changed.connect((_, change) => changes.push(change));
    render(<Harness plan={plan} outcome={o} />);
    expect(
      screen.getByText('Keep one per group: working out the plan…')
    ).toBeTruthy();
    expect(screen.queryByRole('alert')).toBeNull();
    expect(screen.queryByRole('list', { name: 'Per split' })).toBeNull();
    await act(async () => {
      await new Promise(resolve => setTimeout(resolve, 0));
    });
    expectFirstKept();
    // Nothing the user decided changed: the kept scan and the kernel's plan are not touched.
    expect(changes).toEqual(['computed']);
    // The kernel and exports still get the plan at once; the panel then shows the same one.
    expect(plan.shown(o)).toBe(plan.view(o));

    // A changed rule: worked out again after the render, and its counts follow.
    fireEvent.change(screen.getByLabelText('Rule to add'), {
      target: { value: 'split' }
    });
    fireEvent.change(screen.getByLabelText('Split order, first kept first'), {
      target: { value: 'val, test, train' }
    });
    fireEvent.click(screen.getByRole('button', { name: 'Add rule' }));
    expect(
      screen.getByText('Keep one per group: working out the plan…')
    ).toBeTruthy();
    await act(async () => {
      await new Promise(resolve => setTimeout(resolve, 0));
    });
    // val kept in {0..3}, test in {4, 5}
    expect(splitLines()).toEqual([
      'test: keep 1, drop 1 (33.3% of test)',
      'train: keep 0, drop 3 (75.0% of train)',
      'val: keep 1, drop 0 (0.0% of val)'
    ]);
    expect(changes).toEqual(['computed', 'decisions', 'computed']);
  });

  it('"most central" from the scan worker (a fake ranker): says it is finding them, then the counts follow', async () => {
    const o = outcome();
    let answer: (ranks: ICentralRanks) => void = () => undefined;
    const asked: number[] = [];
    const plan = new PlanModel(fakeReader().read, (_, groups) => {
      asked.push(groups.length);
      return new Promise(resolve => (answer = resolve));
    });
    plan.attach(o);
    render(<Harness plan={plan} outcome={o} />);
    fireEvent.change(screen.getByLabelText('Rule to add'), {
      target: { value: 'central' }
    });
    fireEvent.click(screen.getByRole('button', { name: 'Add rule' }));
    expect(
      screen.getByText('Keep one per group: finding the most central members…')
    ).toBeTruthy();
    expect(screen.queryByRole('alert')).toBeNull();
    expect(asked).toEqual([2]);
    // The ranks the worker computes: the same code the page runs.
    await act(async () =>
      answer(
        centralRanks(membersOf(o.groups), {
          pairs: o.result.pairs,
          distance: 'Cosine',
          floor: 0.9
        })
      )
    );
    expectFirstKept();
    expect(asked).toEqual([2]);
  });

  it('a rule on a payload field reads it by point id, and the split counts follow', async () => {
    const o = outcome();
    const reader = fakeReader();
    const plan = new PlanModel(reader.read);
    plan.attach(o);
    render(<Harness plan={plan} outcome={o} />);
    fireEvent.change(screen.getByLabelText('Payload field'), {
      target: { value: 'w' }
    });
    fireEvent.click(screen.getByRole('button', { name: 'Add rule' }));
    // highest w: 11 (train) in group 1, 20 (test) in group 2
    expect(
      await screen.findByText('train: keep 1, drop 2 (50.0% of train)')
    ).toBeTruthy();
    expect(reader.calls).toEqual([
      { ids: [10, 11, 12, 13, 20, 21], fields: ['w'] }
    ]);
    fireEvent.change(screen.getByLabelText('Rule to add'), {
      target: { value: 'split' }
    });
    fireEvent.change(screen.getByLabelText('Split order, first kept first'), {
      target: { value: 'val, test' }
    });
    fireEvent.click(screen.getByRole('button', { name: 'Add rule' }));
    // the split rule second: w still decides (no ties); moved up, it decides: 13 (val) kept
    fireEvent.click(
      screen.getByRole('button', { name: 'Move up: split val > test' })
    );
    expect(splitLines()).toEqual([
      'test: keep 1, drop 1 (33.3% of test)',
      'train: keep 0, drop 3 (75.0% of train)',
      'val: keep 1, drop 0 (0.0% of val)'
    ]);
    expect(
      within(screen.getByRole('list', { name: 'Rules, tie-breakers in order' }))
        .getAllByRole('listitem')
        .map(li => li.firstChild?.textContent)
    ).toEqual(['split val > test', 'highest w', 'then the first point id']);
    fireEvent.click(
      screen.getByRole('button', { name: 'Remove rule: split val > test' })
    );
    expect(splitLines()[1]).toBe('train: keep 1, drop 2 (50.0% of train)');
  });

  it('says why there is no plan when a rule’s field holds mixed types', async () => {
    const o = outcome();
    const plan = new PlanModel(fakeReader().read);
    plan.attach(o);
    render(<Harness plan={plan} outcome={o} />);
    fireEvent.change(screen.getByLabelText('Rule to add'), {
      target: { value: 'min' }
    });
    fireEvent.change(screen.getByLabelText('Payload field'), {
      target: { value: 'res' }
    });
    fireEvent.click(screen.getByRole('button', { name: 'Add rule' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('holds numbers');
    expect(alert.textContent).toContain('strings (e.g. point 12: "5px")');
    expect(
      screen.getByText('Keep one per group: the plan cannot be made')
    ).toBeTruthy();
  });

  it('pins a keeper from its thumbnail, and a group marked not duplicates leaves the plan', () => {
    const o = outcome();
    const plan = new PlanModel(null);
    plan.attach(o);
    render(<Harness plan={plan} outcome={o} />);
    expect(
      screen.getByText(
        'Keeps s10 by the plan’s rules. Click a thumbnail to keep that one.'
      )
    ).toBeTruthy();
    const pin = screen.getByRole('button', {
      name: 'Keep s12 (pin it as the keeper)'
    });
    pin.focus();
    fireEvent.click(pin);
    const pinned = screen.getByRole('button', {
      name: 's12, pinned keeper: unpin'
    });
    expect(pinned.getAttribute('aria-pressed')).toBe('true');
    expect(screen.getByText('pinned')).toBeTruthy();
    expect(splitLines()[0]).toBe('test: keep 2, drop 0 (0.0% of test)');
    expect(screen.getByText('1 keeper pinned by hand.')).toBeTruthy();

    fireEvent.click(screen.getByRole('button', { name: 'Not duplicates' }));
    expect(
      screen.getByText('Keep one per group: keep 1, drop 1 samples (12.5%)')
    ).toBeTruthy();
    expect(
      screen.getByText('Left out: 1 group marked not duplicates (4 samples).')
    ).toBeTruthy();
    expect(
      screen
        .getByRole('button', { name: 'Not duplicates' })
        .getAttribute('aria-pressed')
    ).toBe('true');
    // a false group has no keeper, and its pin went with the mark (as in the kernel)
    expect(screen.queryByText('pinned')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Not duplicates' }));
    expect(
      screen.getByText(
        'Keeps s10 by the plan’s rules. Click a thumbnail to keep that one.'
      )
    ).toBeTruthy();
  });

  it('suggests held-out splits first in a split order', () => {
    expect(suggestedSplitOrder(['a', 'train', 'test', 'val'])).toEqual([
      'test',
      'val',
      'a',
      'train'
    ]);
  });
});

describe('the plan kept with the saved scan', () => {
  it('survives a save and a restore, pins and marks by the groups’ members', () => {
    const o = outcome();
    const plan = new PlanModel(null);
    plan.attach(o);
    plan.setRules([{ kind: 'split', order: ['test'] }, { kind: 'central' }]);
    plan.pin(o, o.groups[0], 1);
    plan.setNotDuplicates(o.groups[1], true);
    const saved = JSON.parse(
      JSON.stringify(saveScan(o.result, 0.9, 0, 'scan-1', [], plan.plan))
    );
    const restored = restoreScan(saved)!;
    expect(restored.plan).toEqual({
      rules: [
        { kind: 'split', order: ['test'] },
        { kind: 'central' },
        { kind: 'first' }
      ],
      pins: plan.plan.pins,
      notDuplicates: plan.plan.notDuplicates
    });
    const again = new PlanModel(null);
    const back: IScanOutcome = {
      ...o,
      result: restored.result,
      groups: restored.result.groups
    };
    again.attach(back, restored.plan);
    const view = again.view(back);
    // saved points are re-indexed: compare by sample id
    const kept = view.decisions.map(d =>
      d.keeper === null ? null : back.result.points.sampleIds[d.keeper]
    );
    expect(kept).toEqual(['s11', null]);
    expect(view.decisions[0].pinned).toBe(true);
    // the saved scan keeps only the 6 points in groups; the shares stay of all 8 (3 train)
    expect(back.result.points.ids).toHaveLength(6);
    expect(planHeadline(view)).toBe('keep 1, drop 3 samples (37.5%)');
    expect(view.splits.find(r => r.split === 'train')).toEqual({
      split: 'train',
      keep: 1,
      drop: 1,
      points: 4
    });
  });

  it('restores a scan saved before plans, with no plan', () => {
    const saved = JSON.parse(
      JSON.stringify(saveScan(outcome().result, 0.9, 0, 'scan-1'))
    );
    expect('plan' in saved).toBe(false);
    const restored = restoreScan(saved)!;
    expect(restored.result.groups).toHaveLength(2);
    expect(restored.plan).toBeNull();
    // a plan of another shape is dropped, not half read
    expect(
      restoreScan({ ...saved, plan: { rules: [['max', 3]] } })!.plan
    ).toBeNull();
  });
});
