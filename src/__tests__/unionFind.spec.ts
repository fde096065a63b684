// Union-find: the structure every pair of a scan goes through.
import { UnionFind } from '../scan/unionFind';

describe('UnionFind', () => {
  it('starts with every point on its own and no groups', () => {
    const uf = new UnionFind(4);
    expect([0, 1, 2, 3].map(i => uf.find(i))).toEqual([0, 1, 2, 3]);
    expect(uf.groupCount).toBe(0);
    expect(uf.sizeOf(2)).toBe(1);
  });

  it('joins components and reports a repeated union as a no-op', () => {
    const uf = new UnionFind(5);
    expect(uf.union(0, 1)).toBeGreaterThanOrEqual(0);
    expect(uf.union(1, 2)).toBeGreaterThanOrEqual(0);
    expect(uf.union(2, 0)).toBe(-1);
    expect(uf.find(0) === uf.find(2)).toBe(true);
    expect(uf.find(0) === uf.find(3)).toBe(false);
    expect(uf.sizeOf(1)).toBe(3);
    expect(uf.sizeOf(4)).toBe(1);
  });

  it('counts components of two or more as groups while they merge', () => {
    const uf = new UnionFind(6);
    uf.union(0, 1);
    expect(uf.groupCount).toBe(1);
    uf.union(2, 3);
    expect(uf.groupCount).toBe(2);
    uf.union(3, 4);
    expect(uf.groupCount).toBe(2);
    uf.union(1, 4);
    expect(uf.groupCount).toBe(1);
    uf.union(0, 4);
    expect(uf.groupCount).toBe(1);
  });

  it('handles a long chain without deep recursion', () => {
    const n = 200000;
    const uf = new UnionFind(n);
    for (let i = 1; i < n; i++) {
      uf.union(i - 1, i);
    }
    expect(uf.sizeOf(0)).toBe(n);
    expect(uf.find(0) === uf.find(n - 1)).toBe(true);
    expect(uf.groupCount).toBe(1);
  });

  it('agrees with a naive labelling on random unions', () => {
    const n = 300;
    const uf = new UnionFind(n);
    const label = Array.from({ length: n }, (_, i) => i);
    let seed = 7;
    const rand = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    for (let k = 0; k < 250; k++) {
      const a = Math.floor(rand() * n);
      const b = Math.floor(rand() * n);
      uf.union(a, b);
      const from = label[b];
      const to = label[a];
      for (let i = 0; i < n; i++) {
        if (label[i] === from) {
          label[i] = to;
        }
      }
    }
    for (let k = 0; k < 1000; k++) {
      const a = Math.floor(rand() * n);
      const b = Math.floor(rand() * n);
      expect(uf.find(a) === uf.find(b)).toBe(label[a] === label[b]);
    }
    const sizes = new Map<number, number>();
    label.forEach(l => sizes.set(l, (sizes.get(l) ?? 0) + 1));
    expect(uf.groupCount).toBe([...sizes.values()].filter(s => s >= 2).length);
  });
});
