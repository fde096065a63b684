// A group's name in the keep-one plan's pins and marks (issue 14), and the kernel's order of
// point ids. DOM-free, so the worker names a finished scan's groups (issue 16) by the same rule.
import type { IDuplicateGroup, PointId } from './types';

/**
 * A group's name in pins and marks: its size and a 53-bit hash of its point ids in the
 * kernel's id order (integers as digits, UUIDs quoted in lower case, joined by commas). The
 * same members give the same name in any order, after a reload and in the kernel
 * (planning.group_id); a group that a regroup split or merged gets a new one.
 */
export function groupId(pointIds: ReadonlyArray<PointId>): string {
  const text = [...pointIds]
    .sort(compareIds)
    .map(p => (isIntegerId(p) ? `${p}` : `"${String(p).toLowerCase()}"`))
    .join(',');
  return `${pointIds.length}-${hash53(text).toString(16)}`;
}

/** Names adopted from the worker (resultExtras.ts) or computed once, by group object. */
const knownIds = new WeakMap<IDuplicateGroup, string>();

/**
 * groupId of a group's point ids, once per group object (a group never changes; naming a
 * million points' groups took a few hundred milliseconds on every plan).
 */
export function groupIdOf(
  group: IDuplicateGroup,
  ids: ReadonlyArray<PointId>
): string {
  let id = knownIds.get(group);
  if (id === undefined) {
    id = groupId(group.members.map(m => ids[m]));
    knownIds.set(group, id);
  }
  return id;
}

/** Keeps names computed elsewhere (the worker) for `groups`, one per group in their order. */
export function adoptGroupIds(
  groups: ReadonlyArray<IDuplicateGroup>,
  names: ReadonlyArray<string>
): void {
  if (names.length === groups.length) {
    groups.forEach((g, i) => knownIds.set(g, names[i]));
  }
}

/**
 * The kernel's point-id order: integers before UUIDs, integers by value (ids beyond 2^53,
 * which the panel holds as digit strings, too), UUIDs by text.
 */
export function compareIds(a: PointId, b: PointId): number {
  // Integer ids, the common case, without BigInt (the same order; issue 16: a plan of 200k
  // members spent most of its time making BigInts).
  if (
    typeof a === 'number' &&
    typeof b === 'number' &&
    Number.isInteger(a) &&
    Number.isInteger(b)
  ) {
    return a < b ? -1 : a > b ? 1 : 0;
  }
  const x = asInteger(a);
  const y = asInteger(b);
  if (x !== null && y !== null) {
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (x !== null) {
    return -1;
  }
  if (y !== null) {
    return 1;
  }
  return byName(String(a).toLowerCase(), String(b).toLowerCase());
}

/** Whether asInteger(id) is not null, without making a BigInt. */
function isIntegerId(id: PointId): boolean {
  return typeof id === 'number' ? Number.isInteger(id) : /^\d+$/.test(id);
}

function asInteger(id: PointId): bigint | null {
  if (typeof id === 'number') {
    return Number.isInteger(id) ? BigInt(id) : null;
  }
  return /^\d+$/.test(id) ? BigInt(id) : null;
}

/** Whether two point ids name one point (a number and its digits, a UUID in any case). */
export function sameId(a: PointId, b: PointId): boolean {
  return compareIds(a, b) === 0;
}

/** cyrb53: a fast 53-bit string hash, enough to tell the groups of one scan apart. */
function hash53(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** Python's string order (code points; the same as UTF-16 order outside astral planes). */
function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
