// DOM-free: the list phase's compact forms (ids, splits) give back exactly what was listed.
// listPoints is driven by a fake scroll (a hand-written page server), not a real engine.
import type { IScanClient } from '../scan/client';
import { MAX_SPLIT_NAMES, splitCodesFor, splitCodesOf } from '../leakage';
import { IdIndex, listedPoints, listPoints, SplitColumn } from '../scan/list';
import type { IResolvedRequest } from '../scan/policies';
import { ProgressReporter } from '../scan/progress';
import { RetryingCaller } from '../scan/retry';

type Record_ = { id: unknown; payload?: Record<string, unknown> };

/** A fake scroll over `records`, `page` at a time, as Qdrant pages by offset. */
function fakeScroll(records: Record_[], page = 7): IScanClient {
  return {
    scroll: async (_name: string, body: { offset?: unknown }) => {
      const from =
        body.offset === undefined
          ? 0
          : records.findIndex(r => r.id === body.offset);
      const points = records.slice(from, from + page);
      const next = records[from + page]?.id ?? null;
      return { points, next_page_offset: next };
    }
  } as unknown as IScanClient;
}

async function listed(records: Record_[], splitField = 'split') {
  const progress = new ProgressReporter(undefined, () => 0, 0);
  const calls = new RetryingCaller(
    { retries: 0, baseDelayMs: 1, maxDelayMs: 1 },
    async () => undefined,
    undefined,
    'c'
  );
  return listPoints(
    fakeScroll(records),
    { collection: 'c', threshold: 0.9, splitField },
    { listPageSize: 7 } as IResolvedRequest,
    calls,
    progress
  );
}

describe('the listing (fake scroll)', () => {
  it('keeps ascending integer ids in one typed array and gives every id and split back in order', async () => {
    const names = ['train', 'test', 'validation'];
    const records = Array.from({ length: 50 }, (_, i) => ({
      id: 10 + 3 * i,
      payload: i % 5 === 4 ? {} : { split: i % 7 === 0 ? i % 3 : names[i % 3] }
    }));
    const listing = await listed(records);
    expect(listing.queryIds).toBeInstanceOf(Float64Array);
    expect(Array.from(listing.queryIds)).toEqual(records.map(r => r.id));
    const points = listedPoints(listing);
    expect(Array.isArray(points.ids)).toBe(true);
    expect(points.ids).toEqual(records.map(r => r.id));
    expect(points.splits).toEqual(
      records.map(r =>
        r.payload.split === undefined ? null : String(r.payload.split)
      )
    );
    // The codes kept with the listing are the ones the plan would count from the splits.
    const codes = splitCodesFor(points.splits);
    expect(codes).toEqual(splitCodesOf(points.splits));
    expect(codes!.names).toEqual([
      ...new Set(points.splits.filter(x => x !== null))
    ]);
    // Each point is found again by the id Qdrant answers with.
    records.forEach((r, i) => expect(listing.indexOf.get(r.id)).toBe(i));
  });

  it('keeps ids out of order, UUIDs and u64 ids as Qdrant sent them, shown as text where they are no number', async () => {
    const big = BigInt('18446744073709551615');
    const uuid = 'a6e1a5a2-0000-4000-8000-000000000001';
    const records: Record_[] = [5, 2, uuid, big, 9].map(id => ({ id }));
    const listing = await listed(records, '');
    expect(Array.from(listing.queryIds)).toEqual([5, 2, uuid, big, 9]);
    const points = listedPoints(listing);
    expect(points.ids).toEqual([5, 2, uuid, '18446744073709551615', 9]);
    expect(points.splits).toEqual([null, null, null, null, null]);
  });
});

describe('SplitColumn', () => {
  it("gives back each point's split, none for a point without one", () => {
    const column = new SplitColumn();
    const values = [null, 'train', 'test', null, 'train', 'val'];
    values.forEach(v => column.push(v));
    expect(column.length).toBe(values.length);
    expect(values.map((_, i) => column.get(i))).toEqual(values);
    expect(column.toArray()).toEqual(values);
  });

  it('keeps a field with more distinct values than split names as read', () => {
    const column = new SplitColumn();
    const values: (string | null)[] = [];
    for (let i = 0; i < MAX_SPLIT_NAMES + 10; i++) {
      values.push(i % 11 === 0 ? null : `v${i}`);
    }
    values.forEach(v => column.push(v));
    expect(column.toArray()).toEqual(values);
    expect(column.get(MAX_SPLIT_NAMES + 9)).toBe(values[MAX_SPLIT_NAMES + 9]);
  });

  it('gives none for every point when no point names a split', () => {
    const column = new SplitColumn();
    for (let i = 0; i < 1000; i++) {
      column.push(null);
    }
    expect(column.toArray()).toEqual(new Array(1000).fill(null));
    expect(column.get(999)).toBeNull();
  });

  it('keeps splits named far apart, with none between them', () => {
    const column = new SplitColumn();
    const values: (string | null)[] = new Array(5000).fill(null);
    values[0] = 'train';
    values[3001] = 'test';
    values.forEach(v => column.push(v));
    expect(column.toArray()).toEqual(values);
    expect(column.get(4999)).toBeNull();
  });
});

describe('IdIndex.inOrder', () => {
  it('gives the ids in listing order, as a typed array while they ascend', () => {
    const index = new IdIndex();
    [1, 4, 9].forEach(id => index.add(id));
    const ids = index.inOrder();
    expect(ids).toBeInstanceOf(Float64Array);
    expect(Array.from(ids)).toEqual([1, 4, 9]);
  });
});
