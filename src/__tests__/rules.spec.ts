// The shared rules (tests/fixtures/rules.json) against the TypeScript side: what a score
// means, which vector a scan uses, what an HTTP status means. The Python tests read the same
// file, so the two languages cannot drift apart without one of them failing.
import { readFileSync } from 'fs';
import { join } from 'path';
import {
  chooseVector,
  describeCollection,
  scanVector
} from '../scan/collection';
import { ScanError, statusKind } from '../scan/errors';
import { higherIsBetter, isStricter, passes } from '../scan/metric';
import type { DistanceKind } from '../scan/types';

interface Rules {
  metric: {
    distance: DistanceKind;
    higher_is_better: boolean;
    passes: [number, number, boolean][];
    is_stricter: [number, number, boolean][];
  }[];
  vector_choice: {
    case: string;
    info: Parameters<typeof describeCollection>[0];
    description: ReturnType<typeof describeCollection>;
    using: string | null;
    chosen: string | null;
    distance?: DistanceKind;
    error?: string;
  }[];
  status_kinds: {
    status: number;
    conflict?: 'busy' | 'backend-choice';
    kind: string;
    transient: boolean;
  }[];
}

const rules = JSON.parse(
  readFileSync(
    join(__dirname, '..', '..', 'tests', 'fixtures', 'rules.json'),
    'utf-8'
  )
) as Rules;

describe('shared rules: metric', () => {
  it.each(rules.metric.map(m => [m.distance, m] as const))('%s', (_, m) => {
    expect(higherIsBetter(m.distance)).toBe(m.higher_is_better);
    for (const [score, threshold, expected] of m.passes) {
      expect([score, threshold, passes(score, threshold, m.distance)]).toEqual([
        score,
        threshold,
        expected
      ]);
    }
    for (const [a, b, expected] of m.is_stricter) {
      expect([a, b, isStricter(a, b, m.distance)]).toEqual([a, b, expected]);
    }
  });
});

describe('shared rules: vector choice', () => {
  it.each(rules.vector_choice.map(c => [c.case, c] as const))('%s', (_, c) => {
    const description = describeCollection(c.info);
    expect(description).toEqual(c.description);
    let chosen: string | null = null;
    let error: string | undefined;
    try {
      const choice = chooseVector(description, 'c', c.using);
      chosen = choice.using;
      expect(choice.distance).toBe(c.distance);
    } catch (e) {
      expect(e).toBeInstanceOf(ScanError);
      error = (e as ScanError).kind;
    }
    expect({ chosen, error }).toEqual({ chosen: c.chosen, error: c.error });
    // What the panel shows before a scan agrees with what the scan picks.
    if (c.chosen !== null) {
      expect(scanVector(description, c.using)).toBe(c.chosen);
    }
  });
});

describe('shared rules: HTTP status to error kind', () => {
  it.each(
    rules.status_kinds.map(r => [r.status, r.conflict ?? 'busy', r] as const)
  )('%s (a 409 meaning %s)', (status, conflict, row) => {
    expect(statusKind(status, conflict)).toEqual({
      kind: row.kind,
      transient: row.transient
    });
  });
});
