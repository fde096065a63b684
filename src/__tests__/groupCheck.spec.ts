// DOM-free: the group check's queries, made as the pass takes them, are the ones an eager
// list would hold, and their count (the progress's "to check") is right before any is made.
import { groupCheckQueries } from '../scan/check';
import { PairStore } from '../scan/pairs';
import { UnionFind } from '../scan/unionFind';

/** A deterministic generator (Park-Miller), so a failure repeats. */
function random(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

describe('groupCheckQueries', () => {
  it.each([1, 2, 3])(
    'asks each member about exactly the later members whose pair is unknown (seed %i)',
    seed => {
      const rand = random(seed);
      const n = 400;
      const ids = Array.from({ length: n }, (_, i) => 1000 + 2 * i);
      const components = new UnionFind(n);
      const pairs = new PairStore(true);
      // Groups of 2 to 12 members scattered over the indices, their pairs partly known.
      const order = Array.from({ length: n }, (_, i) => i).sort(
        () => rand() - 0.5
      );
      const groups: number[][] = [];
      for (let at = 0; at < n - 12;) {
        const size = 2 + Math.floor(rand() * 11);
        const members = order.slice(at, at + size).sort((a, b) => a - b);
        at += size;
        groups.push(members);
        for (let k = 1; k < members.length; k++) {
          components.union(members[0], members[k]);
        }
        for (let a = 0; a < members.length; a++) {
          for (let b = a + 1; b < members.length; b++) {
            if (rand() < 0.6) {
              pairs.add(members[a], members[b], 0.99);
            }
          }
        }
      }
      const maxGroup = 10;
      const expected: [number, number[]][] = [];
      for (const members of groups) {
        if (members.length < 3 || members.length > maxGroup) {
          continue;
        }
        for (let k = 0; k + 1 < members.length; k++) {
          const unknown = members
            .slice(k + 1)
            .filter(m => !pairs.has(members[k], m))
            .map(m => ids[m]);
          if (unknown.length) {
            expected.push([members[k], unknown]);
          }
        }
      }
      const source = groupCheckQueries(
        'unknown',
        components,
        pairs,
        ids,
        maxGroup
      );
      expect(source.count).toBe(expected.length);
      const made: [number, number[]][] = [];
      for (let q = source.queries.next(); !q.done; q = source.queries.next()) {
        expect(q.value.limit).toBe(q.value.members!.length + 1);
        made.push([q.value.index, q.value.members as number[]]);
      }
      const key = (q: [number, number[]]) => `${q[0]}:${q[1].join(',')}`;
      expect(made.map(key).sort()).toEqual(expected.map(key).sort());
      expect(expected.length).toBeGreaterThan(20);
    }
  );

  it("makes none under the 'none' policy", () => {
    const components = new UnionFind(3);
    components.union(0, 1);
    components.union(1, 2);
    const source = groupCheckQueries(
      'none',
      components,
      new PairStore(true),
      [1, 2, 3],
      10
    );
    expect(source.count).toBe(0);
    expect(source.queries.next().done).toBe(true);
  });
});
