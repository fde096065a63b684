// The keep-one plan (DOM-free): the shared cases of tests/fixtures/rules.json ('keep_plan',
// also run against the kernel's nd.plan by tests/test_plan_rules.py), and the keepers and
// counts against a brute force on random groups. Groups are fakes holding members and ids.
import { readFileSync } from 'fs';
import { join } from 'path';
import {
  computePlan,
  DEFAULT_PLAN,
  groupId,
  IKeepPlan,
  kernelRules,
  KeepRule,
  planHeadline,
  readRules,
  splitLine
} from '../plan';
import type { IDuplicateGroup, PointId } from '../scan/types';

interface IPlanCase {
  case: string;
  rules: unknown[];
  pins?: Record<string, PointId>;
  not_duplicates?: number[];
  keepers?: (PointId | null)[];
  missing?: { field: string; members: number }[];
  problem?: string[];
  counts?: {
    keep: number;
    drop: number;
    points: number;
    headline: string;
    splits: {
      split: string;
      keep: number;
      drop: number;
      points: number | null;
    }[];
    left_out: { groups: number; samples: number };
  };
}

const shared = JSON.parse(
  readFileSync(
    join(__dirname, '..', '..', 'tests', 'fixtures', 'rules.json'),
    'utf-8'
  )
).keep_plan as {
  distance: 'Cosine';
  floor: number;
  points: {
    id: PointId;
    split: string | null;
    payload: Record<string, unknown>;
  }[];
  groups: number[][];
  pairs: [number, number, number][];
  cases: IPlanCase[];
  group_ids: { point_ids: PointId[]; id: string }[];
};

function fakeGroup(members: number[], ids: PointId[]): IDuplicateGroup {
  return {
    key: Math.min(...members),
    members,
    pointIds: members.map(m => ids[m])
  } as IDuplicateGroup;
}

function pairList(pairs: [number, number, number][]) {
  return {
    a: Uint32Array.from(pairs.map(p => p[0])),
    b: Uint32Array.from(pairs.map(p => p[1])),
    score: Float32Array.from(pairs.map(p => p[2]))
  };
}

const ids = shared.points.map(p => p.id);
const sharedInput = {
  groups: shared.groups.map(g => fakeGroup(g, ids)),
  points: { ids, splits: shared.points.map(p => p.split) },
  pairs: {
    pairs: pairList(shared.pairs),
    distance: shared.distance,
    floor: shared.floor
  },
  fields: new Map(
    ['width', 'taken', 'res', 'height'].map(field => [
      field,
      new Map(shared.points.map((p, i) => [i, p.payload[field]]))
    ])
  )
};

function sharedPlan(c: IPlanCase): IKeepPlan {
  const rules = readRules(c.rules);
  expect(rules).not.toBeNull();
  const groupIds = sharedInput.groups.map(g => groupId(g.pointIds));
  return {
    rules: rules!,
    pins: Object.fromEntries(
      Object.entries(c.pins ?? {}).map(([g, p]) => [groupIds[Number(g)], p])
    ),
    notDuplicates: (c.not_duplicates ?? []).map(g => groupIds[g])
  };
}

describe('computePlan: the cases the kernel shares (tests/fixtures/rules.json)', () => {
  it.each(shared.cases.filter(c => c.keepers).map(c => [c.case, c] as const))(
    '%s',
    (_, c) => {
      const result = computePlan(sharedInput, sharedPlan(c));
      expect(result.problem).toBeNull();
      expect(
        result.decisions.map(d => (d.keeper === null ? null : ids[d.keeper]))
      ).toEqual(c.keepers);
      expect(result.missing).toEqual(c.missing ?? []);
      if (c.counts) {
        expect([result.keep, result.drop, result.points]).toEqual([
          c.counts.keep,
          c.counts.drop,
          c.counts.points
        ]);
        expect(result.splits).toEqual(c.counts.splits);
        expect(planHeadline(result)).toBe(c.counts.headline);
        expect(result.leftOut).toEqual(c.counts.left_out);
      }
    }
  );

  it.each(shared.cases.filter(c => c.problem).map(c => [c.case, c] as const))(
    '%s',
    (_, c) => {
      const result = computePlan(sharedInput, sharedPlan(c));
      for (const words of c.problem!) {
        expect(result.problem).toContain(words);
      }
      expect([result.keep, result.drop, result.decisions]).toEqual([0, 0, []]);
    }
  );

  it('says the split line as the kernel does', () => {
    const result = computePlan(sharedInput, DEFAULT_PLAN);
    expect(result.splits.map(r => splitLine(r))).toEqual([
      '(no split): keep 0, drop 1',
      'test: keep 1, drop 3 (60.0% of test)',
      'train: keep 3, drop 3 (37.5% of train)',
      'val: keep 0, drop 1 (100.0% of val)'
    ]);
  });
});

describe('computePlan: group names, pins and marks', () => {
  it('names groups as the kernel does (tests/fixtures/rules.json group_ids)', () => {
    for (const c of shared.group_ids) {
      expect([c.point_ids, groupId(c.point_ids)]).toEqual([c.point_ids, c.id]);
      expect(groupId([...c.point_ids].reverse())).toBe(c.id);
    }
  });

  it('names a group by its members, in any order, and not by its place in the list', () => {
    expect(groupId([3, 'b-uuid', 1])).toBe(groupId(['b-uuid', 1, 3]));
    expect(groupId([1, 3])).not.toBe(groupId([1, 3, 4]));
    expect(groupId([1, 3])).not.toBe(groupId(['1', '3x']));
    // the same pin applies whatever the order of the groups on show
    const plan = sharedPlan({ case: '', rules: ['first'], pins: { 1: 21 } });
    const reversed = computePlan(
      { ...sharedInput, groups: [...sharedInput.groups].reverse() },
      plan
    );
    expect(reversed.decisions.map(d => ids[d.keeper!])).toEqual([
      1000, 30, 21, 10
    ]);
    expect(reversed.decisions.map(d => d.pinned)).toEqual([
      false,
      false,
      true,
      false
    ]);
  });

  it('drops a pin and a mark when a regroup changed the group (a fake split of group 3)', () => {
    const plan = sharedPlan({
      case: '',
      rules: ['first'],
      pins: { 2: 33 },
      not_duplicates: [0]
    });
    const split = computePlan(
      {
        ...sharedInput,
        groups: [
          fakeGroup([0, 1], ids),
          sharedInput.groups[1],
          fakeGroup([5, 6], ids),
          fakeGroup([7, 8], ids)
        ]
      },
      plan
    );
    expect(split.decisions.map(d => ids[d.keeper!])).toEqual([10, 20, 30, 32]);
    expect(split.leftOut.groups).toBe(0);
  });

  it('ignores a pin on a point the group no longer holds', () => {
    const id = groupId(sharedInput.groups[0].pointIds);
    const result = computePlan(sharedInput, {
      ...DEFAULT_PLAN,
      pins: { [id]: 999 }
    });
    expect(result.decisions[0]).toMatchObject({ keeper: 0, pinned: false });
  });

  it('counts a pair that is not kept at the floor for central, and says so', () => {
    // group 0 without its 10-12 pair: 10 and 12 are estimated at (0.98 + 0.9) / 2
    const input = {
      ...sharedInput,
      pairs: {
        ...sharedInput.pairs,
        pairs: pairList(shared.pairs.filter(p => !(p[0] === 0 && p[1] === 2)))
      }
    };
    const result = computePlan(input, {
      ...DEFAULT_PLAN,
      rules: [{ kind: 'central' }]
    });
    expect(ids[result.decisions[0].keeper!]).toBe(11);
    expect(result.estimated).toEqual([groupId([10, 11, 12])]);
  });

  it('refuses a split rule when the scan read no split, and a field not read yet', () => {
    const noSplits = computePlan(
      { ...sharedInput, points: { ids, splits: ids.map(() => null) } },
      { ...DEFAULT_PLAN, rules: [{ kind: 'split', order: ['test'] }] }
    );
    expect(noSplits.problem).toContain('split field');
    const unread = computePlan(sharedInput, {
      ...DEFAULT_PLAN,
      rules: [{ kind: 'max', field: 'size' }]
    });
    expect(unread.problem).toContain('size');
  });

  it('reads back the rules it writes for the kernel', () => {
    const rules: KeepRule[] = [
      { kind: 'split', order: ['test', 'train'] },
      { kind: 'max', field: 'width' },
      { kind: 'central' },
      { kind: 'first' }
    ];
    expect(kernelRules(rules)).toEqual([
      ['split', ['test', 'train']],
      ['max', 'width'],
      'central',
      'first'
    ]);
    expect(readRules(kernelRules(rules))).toEqual(rules);
    expect(readRules([['max', '']])).toBeNull();
    expect(readRules('first')).toBeNull();
  });
});

/** A small seeded generator, so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('computePlan against a brute force (fake groups)', () => {
  it('keeps the member whose full key tuple sorts first, on random data', () => {
    for (let trial = 0; trial < 80; trial++) {
      const random = rng(trial + 7);
      const n = 10 + Math.floor(random() * 60);
      const ids: PointId[] = Array.from({ length: n }, (_, i) =>
        random() < 0.2 ? `u${Math.floor(random() * 1e6)}-${i}` : 3 * i + 1
      );
      const splitNames = ['test', 'train', 'val'];
      const splits = ids.map(() =>
        random() < 0.15 ? null : splitNames[Math.floor(random() * 3)]
      );
      const width = new Map(
        ids.map((_, i) => [
          i,
          random() < 0.1 ? undefined : Math.floor(random() * 4)
        ])
      );
      const order = Array.from({ length: n }, (_, i) => i).sort(
        () => random() - 0.5
      );
      const groups: IDuplicateGroup[] = [];
      for (let at = 0; at + 1 < n;) {
        const size = 2 + Math.floor(random() * 4);
        const members = order.slice(at, at + size).sort((a, b) => a - b);
        if (members.length >= 2) {
          groups.push(fakeGroup(members, ids));
        }
        at += size;
      }
      const pairs: [number, number, number][] = [];
      for (const g of groups) {
        for (let i = 0; i < g.members.length; i++) {
          for (let j = i + 1; j < g.members.length; j++) {
            pairs.push([
              g.members[i],
              g.members[j],
              0.9 + Math.floor(random() * 10) / 100
            ]);
          }
        }
      }
      const pool: KeepRule[] = [
        { kind: 'max', field: 'width' },
        { kind: 'min', field: 'width' },
        { kind: 'split', order: ['test', 'val'] },
        { kind: 'central' }
      ];
      const rules = pool
        .filter(() => random() < 0.5)
        .sort(() => random() - 0.5);
      const result = computePlan(
        {
          groups,
          points: { ids, splits },
          pairs: { pairs: pairList(pairs), distance: 'Cosine', floor: 0.9 },
          fields: new Map([['width', width]])
        },
        { rules, pins: {}, notDuplicates: [] }
      );
      expect(result.problem).toBeNull();

      // Brute force: each member's key is a tuple of raw values; sort the members by it.
      const mean = (m: number, g: IDuplicateGroup) =>
        pairs
          .filter(
            p =>
              (p[0] === m || p[1] === m) &&
              g.members.includes(p[0]) &&
              g.members.includes(p[1])
          )
          .reduce((s, p) => s + Math.fround(p[2]), 0) /
        (g.members.length - 1);
      const keyOf = (m: number, g: IDuplicateGroup): number[] =>
        rules.map(r => {
          if (r.kind === 'split') {
            const at = splits[m] === null ? -1 : r.order.indexOf(splits[m]!);
            return at < 0 ? r.order.length : at;
          }
          if (r.kind === 'central') {
            return -Math.round(mean(m, g) * 1e6);
          }
          const w = width.get(m);
          return w === undefined ? Infinity : r.kind === 'max' ? -w : w;
        });
      const idKey = (id: PointId): [number, number, string] =>
        typeof id === 'number' ? [0, id, ''] : [1, 0, id];
      const tuple = (m: number, g: IDuplicateGroup) => [
        ...keyOf(m, g),
        ...idKey(ids[m])
      ];
      const less = (x: (number | string)[], y: (number | string)[]) => {
        for (let k = 0; k < x.length; k++) {
          if (x[k] !== y[k]) {
            return x[k] < y[k];
          }
        }
        return false;
      };
      groups.forEach((g, i) => {
        const best = g.members.reduce((a, b) =>
          less(tuple(b, g), tuple(a, g)) ? b : a
        );
        expect([trial, i, result.decisions[i].keeper]).toEqual([
          trial,
          i,
          best
        ]);
      });
      const members = groups.reduce((s, g) => s + g.members.length, 0);
      expect([result.keep, result.drop]).toEqual([
        groups.length,
        members - groups.length
      ]);
      const dropped = (s: string | null) =>
        groups
          .flatMap(g => g.members)
          .filter(
            m => splits[m] === s && !result.decisions.some(d => d.keeper === m)
          ).length;
      for (const row of result.splits) {
        expect(row.drop).toBe(
          dropped(row.split === '(no split)' ? null : row.split)
        );
      }
    }
  });
});

describe('computePlan with more splits than it codes (65,535 distinct)', () => {
  it('ranks and counts the splits by their names, as with few', () => {
    const n = 65535;
    const ids: PointId[] = Array.from({ length: n }, (_, i) => i + 1);
    const splits = ids.map((_, i) => `s${i}`);
    const groups = [fakeGroup([0, 1], ids), fakeGroup([2, 3], ids)];
    const result = computePlan(
      { groups, points: { ids, splits } },
      {
        rules: [{ kind: 'split', order: ['s1', 's2'] }],
        pins: {},
        notDuplicates: []
      }
    );
    expect(result.problem).toBeNull();
    // s1 before s2 before any split not named (s0, s3).
    expect(result.decisions.map(d => d.keeper)).toEqual([1, 2]);
    expect(result.splits).toEqual([
      { split: 's0', keep: 0, drop: 1, points: 1 },
      { split: 's1', keep: 1, drop: 0, points: 1 },
      { split: 's2', keep: 1, drop: 0, points: 1 },
      { split: 's3', keep: 0, drop: 1, points: 1 }
    ]);
  });
});
