// The panel's side of what it shares with the kernel after the groups
// (tests/fixtures/after_scan.json; tests/test_after_scan_rules.py checks the kernel's side):
// the tag plan.tag() writes, as a later scan reads it.
import { readFileSync } from 'fs';
import { join } from 'path';
import {
  csvCell,
  EXPORT_COLUMNS,
  EXPORT_FORMATS,
  exportManifest,
  exportRows,
  manifestName,
  toCsv
} from '../export/files';
import { firstPointPlan } from '../export/keepPlan';
import { regroup } from '../scan/groups';
import { readReview, REVIEW_FIELD } from '../scan/review';
import type { IScanResult } from '../scan/types';

const RULES = JSON.parse(
  readFileSync(
    join(__dirname, '..', '..', 'tests', 'fixtures', 'after_scan.json'),
    'utf-8'
  )
);

/** A scan (fake: built by hand) with groups {0, 1, 2} and {3, 4}. */
const scan: IScanResult = {
  collection: 'images',
  using: '',
  distance: 'Cosine',
  threshold: 0.9,
  points: {
    ids: [5, 3, 9, 'b1c0a1e2-0000-4000-8000-000000000001', 7, 1],
    sampleIds: ['a', '=cmd', 'c', 'd', 'e', 'f'],
    thumbnails: [null, null, null, null, null, null],
    splits: ['train', 'test', null, 'train', 'test', 'train']
  },
  pairs: {
    a: Uint32Array.from([0, 1, 3]),
    b: Uint32Array.from([1, 2, 4]),
    score: Float32Array.from([0.97, 0.95, 1])
  },
  groups: [],
  stats: { seconds: 1, queries: 6, requests: 1, retries: 0 }
};
scan.groups = regroup(scan, 0.9);

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

describe('the export (tests/fixtures/after_scan.json)', () => {
  const plan = firstPointPlan(scan.groups, scan.points, 'split');
  const source = {
    result: scan,
    groups: scan.groups,
    threshold: 0.9,
    scanId: 'scan-1'
  };

  it('has the formats and columns of the kernel’s nd.export', () => {
    expect([...EXPORT_FORMATS]).toEqual(RULES.export.formats);
    expect([...EXPORT_COLUMNS]).toEqual(RULES.export.columns);
    const rows = exportRows(source, plan);
    for (const row of rows) {
      expect(Object.keys(row)).toEqual(RULES.export.columns);
      expect(RULES.export.actions).toContain(row.action);
    }
    expect(toCsv(rows).split('\r\n')[0]).toBe(RULES.export.columns.join(','));
  });

  it('writes the manifest with the kernel’s keys, in its order', () => {
    const manifest = exportManifest(source, plan, 'x.csv', 'csv', 5, '0.1.0');
    expect(Object.keys(manifest)).toEqual(RULES.export.manifest_keys);
    expect(Object.keys(manifest.plan as object)).toEqual(
      RULES.export.manifest_plan_keys
    );
    expect(manifestName('images-duplicates.csv')).toBe(
      'images-duplicates' + RULES.export.manifest_suffix
    );
  });

  for (const c of RULES.export.csv_cells) {
    it(`writes the CSV cell ${JSON.stringify(c.value)} as the kernel does`, () => {
      expect(csvCell(c.value)).toBe(c.cell);
    });
  }
});
