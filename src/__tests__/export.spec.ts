// The panel's Export and the plan as kernel code, on a scan built by hand (a fake: no Qdrant):
// one row per member with the plan's keep or drop, its best score and its group's weakest
// link; CSV and JSON Lines as the kernel reads them; the manifest; nd.plan(...) in Python.
import {
  exportManifest,
  exportName,
  exportRows,
  toCsv,
  toJsonl
} from '../export/files';
import { firstPointPlan, IExportPlan } from '../export/keepPlan';
import { planCell } from '../export/planCell';
import { planExpression, pythonLiteral } from '../export/planCode';
import { regroup } from '../scan/groups';
import type { IScanResult } from '../scan/types';

function scan(): IScanResult {
  const result: IScanResult = {
    collection: 'images',
    using: '',
    distance: 'Cosine',
    threshold: 0.9,
    points: {
      ids: [5, 3, 9, 'b1c0a1e2-0000-4000-8000-000000000001', 7, 1],
      sampleIds: ['a', '=HYPERLINK("x")', 'c', 'd', 'e, f', 'lone'],
      thumbnails: [null, null, null, null, null, null],
      splits: ['train', 'test', null, 'train', 'test', 'train']
    },
    // {0, 1, 2}: a chain 0-1 (0.97), 1-2 (0.95); {3, 4}: an exact copy (1.0); 5 alone.
    pairs: {
      a: Uint32Array.from([0, 1, 3]),
      b: Uint32Array.from([1, 2, 4]),
      score: Float32Array.from([0.97, 0.95, 1])
    },
    groups: [],
    stats: { seconds: 1, queries: 6, requests: 1, retries: 0 },
    audit: {
      seed: 1,
      sampled: 6,
      pairs: 3,
      found: 3,
      missedPoints: 0,
      recall: 1,
      low: 0.4,
      high: 1,
      unreachable: 0,
      route: 'by-id',
      searchedExactly: 0,
      exactSecondsPerPoint: 0.001,
      cure: null
    }
  };
  result.groups = regroup(result, 0.9);
  return result;
}

function source(result = scan()) {
  return {
    result,
    groups: result.groups,
    threshold: 0.9,
    scanId: 'scan-1'
  };
}

describe('exportRows', () => {
  it('writes one row per member, keeping the lowest point id by default (nd.plan())', () => {
    const s = source();
    const rows = exportRows(
      s,
      firstPointPlan(s.groups, s.result.points, 'split')
    );
    expect(rows).toEqual([
      {
        group: 0,
        point_id: 5,
        sample_id: 'a',
        split: 'train',
        action: 'drop',
        best_score: 0.97,
        weakest_link: 0.95
      },
      {
        group: 0,
        point_id: 3,
        sample_id: '=HYPERLINK("x")',
        split: 'test',
        action: 'keep',
        best_score: 0.97,
        weakest_link: 0.95
      },
      {
        group: 0,
        point_id: 9,
        sample_id: 'c',
        split: null,
        action: 'drop',
        best_score: 0.95,
        weakest_link: 0.95
      },
      // integers before UUIDs: 7 is kept
      {
        group: 1,
        point_id: 'b1c0a1e2-0000-4000-8000-000000000001',
        sample_id: 'd',
        split: 'train',
        action: 'drop',
        best_score: 1,
        weakest_link: 1
      },
      {
        group: 1,
        point_id: 7,
        sample_id: 'e, f',
        split: 'test',
        action: 'keep',
        best_score: 1,
        weakest_link: 1
      }
    ]);
  });

  it('takes keep and drop from the plan given: a pin, and a group marked not duplicates', () => {
    const s = source();
    const plan: IExportPlan = {
      rules: [['max', 'width'], 'first'],
      rulesText: ['highest width', 'first point id'],
      splitField: 'split',
      decisions: [
        { keeper: 2, pinned: true },
        { keeper: null, pinned: false }
      ]
    };
    expect(exportRows(s, plan).map(r => r.action)).toEqual([
      'drop',
      'drop',
      'keep',
      'not_duplicates',
      'not_duplicates'
    ]);
    const manifest = exportManifest(
      s,
      plan,
      'images-duplicates.jsonl',
      'jsonl',
      5,
      '0.1.0',
      Date.UTC(2026, 11, 1, 12, 0, 5, 250)
    );
    expect(manifest).toEqual({
      file: 'images-duplicates.jsonl',
      format: 'jsonl',
      rows: 5,
      columns: [
        'group',
        'point_id',
        'sample_id',
        'split',
        'action',
        'best_score',
        'weakest_link'
      ],
      collection: 'images',
      vector: '',
      distance: 'Cosine',
      threshold: 0.9,
      scan_id: 'scan-1',
      points_scanned: 6,
      recall: { estimate: 1, low: 0.4, high: 1, sampled: 6, route: 'by-id' },
      groups: 2,
      time: '2026-12-01T12:00:05+00:00',
      extension_version: '0.1.0',
      plan: {
        rules: [['max', 'width'], ['first']],
        rules_text: ['highest width', 'first point id'],
        split_field: 'split',
        pins: { '0': 9 },
        not_duplicates: [1],
        keep: 1,
        drop: 2
      }
    });
  });
});

describe('CSV and JSON Lines', () => {
  const s = source();
  const rows = exportRows(
    s,
    firstPointPlan(s.groups, s.result.points, 'split')
  );

  it('writes CSV as Python’s csv module does, formulas escaped', () => {
    expect(toCsv(rows)).toBe(
      [
        'group,point_id,sample_id,split,action,best_score,weakest_link',
        '0,5,a,train,drop,0.97,0.95',
        `0,3,"'=HYPERLINK(""x"")",test,keep,0.97,0.95`,
        '0,9,c,,drop,0.95,0.95',
        '1,b1c0a1e2-0000-4000-8000-000000000001,d,train,drop,1,1',
        '1,7,"e, f",test,keep,1,1',
        ''
      ].join('\r\n')
    );
  });

  it('writes JSON Lines with the values as they are (no escaping needed)', () => {
    const lines = toJsonl(rows).trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    expect(JSON.parse(lines[1])).toEqual(rows[1]);
    expect(lines[1]).toBe(
      '{"group":0,"point_id":3,"sample_id":"=HYPERLINK(\\"x\\")","split":"test","action":"keep","best_score":0.97,"weakest_link":0.95}'
    );
  });

  it('names the file after the collection, safe as a file name', () => {
    expect(exportName('images', 'csv')).toBe('images-duplicates.csv');
    expect(exportName('a/b:c', 'parquet')).toBe('a_b_c-duplicates.parquet');
  });
});

describe('the plan as kernel code', () => {
  const s = source();

  it('writes the default rule out: nd.plan(keep=["first"])', () => {
    expect(
      planExpression(
        firstPointPlan(s.groups, s.result.points, 'split'),
        s.result.points
      )
    ).toBe('nd.plan(keep=["first"])');
  });

  it('carries rules, the split field, marks and pins as planning.py takes them', () => {
    const plan: IExportPlan = {
      rules: [['split', ['test', 'train']], ['max', 'width'], 'first'],
      rulesText: [],
      splitField: 'subset',
      decisions: [
        { keeper: 1, pinned: true },
        { keeper: null, pinned: false }
      ]
    };
    expect(planExpression(plan, s.result.points)).toBe(
      'nd.plan(keep=[["split", ["test", "train"]], ["max", "width"], "first"], split_field="subset")' +
        '.not_duplicates(1).pin(3)'
    );
  });

  it('writes any text as a Python string literal, and UUID pins as strings', () => {
    expect(pythonLiteral('a"b\\c\n')).toBe('"a\\"b\\\\c\\n"');
    const plan: IExportPlan = {
      rules: ['first'],
      rulesText: [],
      splitField: 'split',
      decisions: [
        { keeper: 0, pinned: false },
        { keeper: 3, pinned: true }
      ]
    };
    expect(planExpression(plan, s.result.points, 'm')).toBe(
      'm.plan(keep=["first"]).pin("b1c0a1e2-0000-4000-8000-000000000001")'
    );
  });
});

describe('the cell Insert code adds', () => {
  it('checks the kernel holds this scan, rebuilds the plan with nd.plan and tags with it', () => {
    const result = scan();
    const outcome = {
      scanId: 'scan-"7"',
      result,
      finishedAt: 0,
      threshold: 0.9,
      groups: result.groups
    };
    const plan: IExportPlan = {
      rules: [['split', ['test', 'train']], 'first'],
      rulesText: [],
      splitField: 'split',
      decisions: [
        { keeper: 0, pinned: true },
        { keeper: 3, pinned: false }
      ]
    };
    expect(planCell(outcome, plan)).toBe(
      [
        'import jupyterlab_near_duplicates as nd',
        '',
        '# Keep-one plan of the Near Duplicates panel: 2 groups (5 samples) at 0.90,',
        '# keep 2, drop 3, on the groups it sent to this kernel (nd.groups()).',
        'scan, collection = "scan-\\"7\\"", "images"',
        'assert {g["scan_id"] for g in nd.groups()} == {scan}, (',
        '    f"nd.groups() is not scan {scan} of {collection!r}: click Send all "',
        '    "groups in the Near Duplicates panel, then run this cell again."',
        ')',
        'plan = nd.plan(keep=[["split", ["test", "train"]], "first"]).pin(5)',
        'print(plan.summary())',
        '# print(plan.tag(dry_run=True))  # what tag() would write, writing nothing',
        'print(plan.tag())  # plan.untag() takes out exactly what this wrote'
      ].join('\n')
    );
  });
});
