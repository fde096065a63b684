// DOM-free: the listing's id -> index lookup, in both of its forms.
import { IdIndex } from '../scan/list';

function listed(ids: unknown[]): IdIndex {
  const index = new IdIndex();
  for (const id of ids) {
    index.add(id);
  }
  return index;
}

describe('IdIndex', () => {
  it('finds every ascending integer id at its listing position, and no other', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => i * 7 + 3);
    const index = listed(ids);
    expect(index.size).toBe(5000);
    ids.forEach((id, i) => expect(index.get(id)).toBe(i));
    expect(index.get(4)).toBeUndefined();
    expect(index.get(-1)).toBeUndefined();
    expect(index.get(1e9)).toBeUndefined();
    expect(index.get('3')).toBeUndefined();
    expect(index.has(10)).toBe(true);
  });

  it('keeps every position when ids come out of order or are not numbers', () => {
    const ids: unknown[] = [
      1,
      5,
      9,
      2,
      'a6e1a5a2-0000-4000-8000-000000000001',
      BigInt('18446744073709551615'),
      100
    ];
    const index = listed(ids);
    ids.forEach((id, i) => expect(index.get(id)).toBe(i));
    expect(index.get(3)).toBeUndefined();
    expect(index.size).toBe(ids.length);
  });
});
