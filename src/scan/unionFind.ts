// Union-find (disjoint sets) over the integer indices 0..n-1 of a scan's points.
// Typed arrays keep it at 8 bytes a point, whatever the number of unions.

export class UnionFind {
  constructor(readonly length: number) {
    this._parent = new Int32Array(length);
    this._size = new Int32Array(length);
    for (let i = 0; i < length; i++) {
      this._parent[i] = i;
      this._size[i] = 1;
    }
  }

  /** Components with two or more members: the groups so far, kept up to date by union(). */
  get groupCount(): number {
    return this._groupCount;
  }

  /** The root of i's component. */
  find(i: number): number {
    const parent = this._parent;
    let root = i;
    while (parent[root] !== root) {
      root = parent[root];
    }
    // Path compression: every node on the way now points at the root, so later finds are O(1).
    while (parent[i] !== root) {
      const next = parent[i];
      parent[i] = root;
      i = next;
    }
    return root;
  }

  /** Joins the components of a and b; returns the new root, or -1 if they were already one. */
  union(a: number, b: number): number {
    let ra = this.find(a);
    let rb = this.find(b);
    if (ra === rb) {
      return -1;
    }
    const size = this._size;
    // Union by size keeps trees shallow even before compression kicks in.
    if (size[ra] < size[rb]) {
      const t = ra;
      ra = rb;
      rb = t;
    }
    this._groupCount += 1 - (size[ra] >= 2 ? 1 : 0) - (size[rb] >= 2 ? 1 : 0);
    this._parent[rb] = ra;
    size[ra] += size[rb];
    return ra;
  }

  /** The number of members in i's component. */
  sizeOf(i: number): number {
    return this._size[this.find(i)];
  }

  private readonly _parent: Int32Array;
  private readonly _size: Int32Array;
  private _groupCount = 0;
}
