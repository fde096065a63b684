// Groups as typed arrays, to cross from the scan worker to the panel without a copy: the worker
// forms complete-linkage groups off the page's thread (linkage.ts's groupScan, 0.6 to 2.9 s at
// 50k to 1M points there, issue 16) knowing the points by index only, and the panel names
// them (point ids, sample ids) from its own points. DOM-free.
import type { IDuplicateGroup, IScanPoints, PointId } from './types';

/** Every field of a list of groups but the names, group after group. */
export interface IGroupShapes {
  /** Group g's members are members[start[g]] to members[start[g + 1] - 1], ascending. */
  start: Uint32Array;
  members: Uint32Array;
  links: Uint32Array;
  bestScore: Float32Array;
  worstScore: Float32Array;
  weakA: Uint32Array;
  weakB: Uint32Array;
  weakScore: Float32Array;
  representative: Int32Array;
}

/**
 * The shapes of `groups` (scores are float32 values of the scan's pairs, so Float32Array
 * keeps them exactly).
 */
export function shapesOf(groups: ReadonlyArray<IDuplicateGroup>): IGroupShapes {
  const count = groups.length;
  const start = new Uint32Array(count + 1);
  groups.forEach((g, i) => (start[i + 1] = start[i] + g.members.length));
  const shapes: IGroupShapes = {
    start,
    members: new Uint32Array(start[count]),
    links: new Uint32Array(count),
    bestScore: new Float32Array(count),
    worstScore: new Float32Array(count),
    weakA: new Uint32Array(count),
    weakB: new Uint32Array(count),
    weakScore: new Float32Array(count),
    representative: new Int32Array(count)
  };
  groups.forEach((g, i) => {
    shapes.members.set(g.members, start[i]);
    shapes.links[i] = g.links;
    shapes.bestScore[i] = g.bestScore;
    shapes.worstScore[i] = g.worstScore;
    shapes.weakA[i] = g.weakestLink.a;
    shapes.weakB[i] = g.weakestLink.b;
    shapes.weakScore[i] = g.weakestLink.score;
    shapes.representative[i] = g.representative;
  });
  return shapes;
}

/** The buffers of shapes, to transfer with them. */
export function shapesTransferables(shapes: IGroupShapes): ArrayBuffer[] {
  return Object.values(shapes).map(
    (x: Uint32Array | Float32Array | Int32Array) => x.buffer as ArrayBuffer
  );
}

/**
 * The groups the shapes describe, named from `points`; null when the shapes do not fit these
 * points (arrays of another length, a member out of range or out of order).
 */
export function groupsOfShapes(
  shapes: unknown,
  points: Pick<IScanPoints, 'ids' | 'sampleIds'>
): IDuplicateGroup[] | null {
  if (!fits(shapes, points.ids.length)) {
    return null;
  }
  const { start, members } = shapes;
  const count = start.length - 1;
  const groups: IDuplicateGroup[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const size = start[i + 1] - start[i];
    const own = new Array<number>(size);
    const pointIds = new Array<PointId>(size);
    const sampleIds = new Array<string>(size);
    for (let k = 0; k < size; k++) {
      const m = members[start[i] + k];
      own[k] = m;
      pointIds[k] = points.ids[m];
      sampleIds[k] = points.sampleIds[m];
    }
    groups[i] = {
      key: own[0],
      members: own,
      pointIds,
      sampleIds,
      links: shapes.links[i],
      bestScore: shapes.bestScore[i],
      worstScore: shapes.worstScore[i],
      weakestLink: {
        a: shapes.weakA[i],
        b: shapes.weakB[i],
        score: shapes.weakScore[i]
      },
      representative: shapes.representative[i]
    };
  }
  return groups;
}

function fits(value: unknown, n: number): value is IGroupShapes {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const s = value as Partial<IGroupShapes>;
  const u32 = (x: unknown): x is Uint32Array => x instanceof Uint32Array;
  const f32 = (x: unknown): x is Float32Array => x instanceof Float32Array;
  if (!u32(s.start) || s.start.length < 1 || !u32(s.members)) {
    return false;
  }
  const count = s.start.length - 1;
  const perGroup = [
    s.links,
    s.bestScore,
    s.worstScore,
    s.weakA,
    s.weakB,
    s.weakScore,
    s.representative
  ];
  if (
    !u32(s.links) ||
    !f32(s.bestScore) ||
    !f32(s.worstScore) ||
    !u32(s.weakA) ||
    !u32(s.weakB) ||
    !f32(s.weakScore) ||
    !(s.representative instanceof Int32Array) ||
    perGroup.some(x => x!.length !== count) ||
    s.start[0] !== 0 ||
    s.start[count] !== s.members.length
  ) {
    return false;
  }
  for (let i = 0; i < count; i++) {
    const from = s.start[i];
    const to = s.start[i + 1];
    if (to < from + 2 || s.weakA[i] >= n || s.weakB[i] >= n) {
      return false;
    }
    for (let k = from; k < to; k++) {
      if (s.members[k] >= n || (k > from && s.members[k] <= s.members[k - 1])) {
        return false;
      }
    }
  }
  return true;
}
