// The panel's side of what it shares with the kernel after the groups
// (tests/fixtures/after_scan.json; tests/test_after_scan_rules.py checks the kernel's side):
// the tag plan.tag() writes, as a later scan reads it.
import { readFileSync } from 'fs';
import { join } from 'path';
import { readReview, REVIEW_FIELD } from '../scan/review';

const RULES = JSON.parse(
  readFileSync(
    join(__dirname, '..', '..', 'tests', 'fixtures', 'after_scan.json'),
    'utf-8'
  )
);

describe('the tag an earlier scan wrote (tests/fixtures/after_scan.json)', () => {
  it('is read from the field plan.tag() writes by default', () => {
    expect(REVIEW_FIELD).toBe(RULES.tag.field);
  });

  for (const c of RULES.tag.read) {
    it(`reads ${c.case}`, () => {
      expect(readReview(c.value)).toEqual(c.tag);
    });
  }
});
