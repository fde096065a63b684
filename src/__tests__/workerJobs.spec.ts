// Issue 16: complete linkage and the plan's "most central" rule run in the scan worker. On random
// scans built in the test, what the worker answers (the real ScanService behind a fake worker
// that copies messages as postMessage does, and answers later) equals what the page computes
// itself; the pairs cross once per scan; a newer request wins; a failed worker loses nothing.
import { computePlan, DEFAULT_PLAN, IKeepPlan } from '../plan';
import { PlanModel } from '../planModel';
import { centralRanks, membersOf, ranksFit } from '../scan/central';
import { groupsOfShapes, shapesOf } from '../scan/groupShapes';
import { regroup } from '../scan/groups';
import { groupScan, recordSplit, splitParts } from '../scan/linkage';
import type { PanelToWorker, WorkerToPanel } from '../scan/protocol';
import { ScanService } from '../scan/scanService';
import type { IScanResult, PointId } from '../scan/types';
import type { IScanOutcome } from '../modelTypes';
import type { WorkerStatus } from '../workerHost';
import { IJobWorker, JobError, WorkerJobs } from '../workerJobs';

function rng(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 48271) % 2147483647) / 2147483647;
}

/**
 * A random scan at 0.9: clusters of 2 to 14 points with some pairs missing, some clusters
 * chained to the next by one weak link, coarse scores (ties), mixed ids and splits.
 */
function randomScan(seed: number, n = 500): IScanResult {
  const rand = rng(seed);
  const a: number[] = [];
  const b: number[] = [];
  const score: number[] = [];
  let next = 0;
  let previous = -1;
  while (next < n * 0.7) {
    const size = 2 + Math.floor(rand() * 13);
    for (let i = 0; i < size; i++) {
      for (let j = i + 1; j < size; j++) {
        if (next + j < n && rand() < 0.75) {
          a.push(next + i);
          b.push(next + j);
          score.push(Math.fround(0.9 + Math.round(rand() * 10) / 100 + 1e-6));
        }
      }
    }
    if (previous >= 0 && rand() < 0.3 && next < n) {
      a.push(previous);
      b.push(next);
      score.push(Math.fround(0.905));
    }
    previous = Math.min(n - 1, next + size - 1);
    next += size + Math.floor(rand() * 4);
  }
  const ids: PointId[] = Array.from({ length: n }, (_, i) =>
    i % 7 === 3
      ? `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`
      : i * 3
  );
  const splits = Array.from({ length: n }, () => {
    const u = rand();
    return u < 0.6 ? 'train' : u < 0.8 ? 'test' : u < 0.9 ? 'val' : null;
  });
  const result: IScanResult = {
    collection: 'c',
    using: '',
    distance: 'Cosine',
    threshold: 0.9,
    points: {
      ids,
      sampleIds: ids.map(id => `s${id}`),
      thumbnails: ids.map(() => null),
      splits
    },
    pairs: {
      a: Uint32Array.from(a),
      b: Uint32Array.from(b),
      score: Float32Array.from(score)
    },
    groups: [],
    stats: { seconds: 1, queries: 1, requests: 1, retries: 0 }
  };
  result.groups = regroup(result, result.threshold);
  return result;
}

/** A deep copy as postMessage makes one (typed arrays, Maps, arrays, plain objects). */
function clone<T>(x: T): T {
  if (ArrayBuffer.isView(x)) {
    return (x as unknown as Uint32Array).slice() as unknown as T;
  }
  if (x instanceof Map) {
    return new Map([...x].map(([k, v]) => [clone(k), clone(v)])) as T;
  }
  if (Array.isArray(x)) {
    return x.map(clone) as T;
  }
  if (typeof x === 'object' && x !== null) {
    return Object.fromEntries(
      Object.entries(x).map(([k, v]) => [clone(k), clone(v)])
    ) as T;
  }
  return x;
}

/**
 * A fake worker: the real ScanService, messages copied both ways, answers delivered on a
 * later task (or held until `release`), and what was transferred recorded.
 */
class FakeWorker implements IJobWorker {
  status: WorkerStatus = { state: 'ready', protocol: 5, qdrantClient: true };
  started = true;
  posted: PanelToWorker[] = [];
  transferred: ArrayBufferLike[] = [];
  hold = false;
  private held: PanelToWorker[] = [];
  jobs: WorkerJobs | null = null;
  private service = new ScanService(
    (message: WorkerToPanel) =>
      setTimeout(() => this.jobs?.handle(clone(message)), 0),
    () => {
      throw new Error('no client needed');
    }
  );

  post(message: PanelToWorker, transfer: Transferable[] = []): boolean {
    this.posted.push(message);
    this.transferred.push(...(transfer as ArrayBuffer[]));
    if (this.hold && message.type !== 'pairs') {
      this.held.push(clone(message));
    } else {
      this.service.handle(clone(message));
    }
    return true;
  }

  release(order: 'oldest' | 'newest' = 'oldest'): void {
    const held = order === 'oldest' ? this.held : [...this.held].reverse();
    this.held = [];
    held.forEach(m => this.service.handle(m));
  }
}

function jobsWith(worker = new FakeWorker()) {
  const jobs = new WorkerJobs(worker);
  worker.jobs = jobs;
  return { jobs, worker };
}

/** Waits (polling, at most 5 s) until `check` holds: the fake worker answers on later tasks. */
async function until(check: () => boolean): Promise<void> {
  for (let waited = 0; !check(); waited += 5) {
    if (waited > 5000) {
      throw new Error('the worker did not answer in 5 s');
    }
    await new Promise(resolve => setTimeout(resolve, 5));
  }
}

const SEEDS = [1, 2, 3, 4, 5];

describe('complete linkage formed by the worker (fake worker, scans built in the test)', () => {
  it.each(SEEDS)(
    'seed %i: the same groups as the page forms, named from the panel’s points',
    async seed => {
      const result = randomScan(seed);
      const { jobs, worker } = jobsWith();
      let refined = 0;
      for (const t of [0.9, 0.93, 0.96]) {
        const page = groupScan(result, t, { linkage: 'complete' });
        const shaped = await jobs.shape(result, t, 'complete', []);
        expect(shaped).toEqual(page);
        refined += page.length - regroup(result, t).length;
      }
      // With the Splits made so far.
      const chain = regroup(result, 0.9)[0];
      const splits = [recordSplit(chain, splitParts(result, chain))];
      expect(await jobs.shape(result, 0.9, 'complete', splits)).toEqual(
        groupScan(result, 0.9, { linkage: 'complete', splits })
      );
      expect(refined).toBeGreaterThan(0);
      // The pairs crossed once, as a copy: the panel's own are whole.
      expect(worker.posted.filter(m => m.type === 'pairs')).toHaveLength(1);
      expect(worker.transferred).toHaveLength(3);
      expect(worker.transferred).not.toContain(result.pairs.a.buffer);
      expect(result.pairs.a.length).toBeGreaterThan(0);
    }
  );

  it('sends the pairs again for another scan, and only then', async () => {
    const { jobs, worker } = jobsWith();
    const first = randomScan(1);
    const second = randomScan(2);
    await jobs.shape(first, 0.95, 'complete', []);
    await jobs.shape(first, 0.96, 'complete', []);
    await jobs.shape(second, 0.95, 'complete', []);
    expect(await jobs.shape(first, 0.95, 'complete', [])).toEqual(
      groupScan(first, 0.95, { linkage: 'complete' })
    );
    expect(worker.posted.map(m => m.type)).toEqual([
      'pairs',
      'shape',
      'shape',
      'pairs',
      'shape',
      'pairs',
      'shape'
    ]);
  });

  it('of jobs asked in a row the worker runs the newest of each kind, and answers the others as superseded', async () => {
    const result = randomScan(2);
    const answers: WorkerToPanel[] = [];
    const service = new ScanService(
      message => answers.push(message),
      () => {
        throw new Error('no client needed');
      }
    );
    const { a, b, score } = result.pairs;
    service.handle({
      type: 'pairs',
      key: 'k',
      input: {
        pairs: { a: a.slice(), b: b.slice(), score: score.slice() },
        distance: 'Cosine',
        threshold: 0.9,
        points: result.points.ids.length
      }
    });
    const shape = (id: number, threshold: number) =>
      service.handle({
        type: 'shape',
        id,
        key: 'k',
        threshold,
        linkage: 'complete',
        splits: []
      });
    shape(1, 0.91);
    service.handle({
      type: 'central',
      id: 2,
      key: 'k',
      groups: membersOf(result.groups)
    });
    shape(3, 0.92);
    shape(4, 0.95);
    expect(answers.map(m => m.type)).toEqual(['job-failed', 'job-failed']);
    await until(() => answers.length === 4);
    expect(answers.map(m => [m.type, 'id' in m ? m.id : null])).toEqual([
      ['job-failed', 1],
      ['job-failed', 3],
      ['central-ranks', 2],
      ['shaped', 4]
    ]);
    expect(answers[0]).toMatchObject({
      message: 'superseded by a newer request'
    });
    const last = answers[3];
    expect(
      last.type === 'shaped' && groupsOfShapes(last.shapes, result.points)
    ).toEqual(groupScan(result, 0.95, { linkage: 'complete' }));
  });

  it('shapes that do not fit the panel’s points are refused', () => {
    const result = randomScan(3);
    const shapes = shapesOf(groupScan(result, 0.9, { linkage: 'complete' }));
    expect(groupsOfShapes(shapes, result.points)).not.toBeNull();
    expect(
      groupsOfShapes(shapes, { ids: [1, 2], sampleIds: ['a', 'b'] })
    ).toBeNull();
    const unordered = clone(shapes);
    unordered.members[0] = unordered.members[1] + 1;
    expect(groupsOfShapes(unordered, result.points)).toBeNull();
    expect(groupsOfShapes({ ...shapes, links: [] }, result.points)).toBeNull();
  });

  it('a job on pairs the worker does not hold fails with the worker’s reason; a gone worker fails every job as gone', async () => {
    const { jobs, worker } = jobsWith();
    const result = randomScan(4);
    worker.hold = true;
    const asked = jobs.shape(result, 0.95, 'complete', []);
    const central = jobs.central(result, result.groups);
    jobs.fail('The scan worker failed: out of memory');
    await expect(asked).rejects.toEqual(
      new JobError('The scan worker failed: out of memory', true)
    );
    await expect(central).rejects.toMatchObject({ workerGone: true });
    // The next job sends the pairs again.
    worker.hold = false;
    await jobs.shape(result, 0.95, 'complete', []);
    expect(worker.posted.filter(m => m.type === 'pairs')).toHaveLength(2);

    const service = new ScanService(
      message => answers.push(message),
      () => {
        throw new Error('no client needed');
      }
    );
    const answers: WorkerToPanel[] = [];
    service.handle({
      type: 'shape',
      id: 9,
      key: 'never sent',
      threshold: 0.95,
      linkage: 'complete',
      splits: []
    });
    await until(() => answers.length > 0);
    expect(answers).toEqual([
      {
        type: 'job-failed',
        id: 9,
        message: 'the scan worker does not hold the pairs of this scan'
      }
    ]);
    worker.status = { state: 'failed', message: 'gone' };
    await expect(
      jobs.shape(result, 0.95, 'complete', [])
    ).rejects.toMatchObject({ workerGone: true });
  });
});

describe('"most central" ranked by the worker (fake worker, scans built in the test)', () => {
  const central: IKeepPlan = {
    rules: [{ kind: 'central' }],
    pins: {},
    notDuplicates: []
  };
  const input = (result: IScanResult, groups = result.groups) => ({
    groups,
    points: result.points,
    pairs: {
      pairs: result.pairs,
      distance: result.distance,
      floor: result.threshold
    }
  });

  it.each(SEEDS)(
    'seed %i: the plan keeps the same members as the page’s own ranking',
    async seed => {
      const result = randomScan(seed);
      const { jobs } = jobsWith();
      for (const groups of [
        result.groups,
        groupScan(result, 0.95, { linkage: 'complete' })
      ]) {
        const ranks = await jobs.central(result, groups);
        expect(ranks).toEqual(
          centralRanks(membersOf(groups), input(result).pairs)
        );
        const page = computePlan(input(result, groups), central);
        const worker = computePlan(
          { ...input(result, groups), central: ranks },
          central
        );
        expect(worker).toEqual(page);
        // "Most central" chose otherwise than the first point id somewhere.
        const first = computePlan(input(result, groups), DEFAULT_PLAN);
        expect(worker.decisions).not.toEqual(first.decisions);
      }
    }
  );

  it('ranks that do not fit the groups are not used: the plan ranks on the page', () => {
    const result = randomScan(2);
    const ranks = centralRanks(membersOf(result.groups), input(result).pairs);
    expect(ranksFit(ranks, result.groups)).toBe(true);
    const fewer = result.groups.slice(1);
    expect(ranksFit(ranks, fewer)).toBe(false);
    // Wrong ranks with a fitting shape would change the plan; misfitting ones are ignored.
    expect(
      computePlan({ ...input(result, fewer), central: ranks }, central)
    ).toEqual(computePlan(input(result, fewer), central));
  });

  function planModelWith(worker: FakeWorker) {
    const { jobs } = jobsWith(worker);
    const model = new PlanModel(null, (result, groups) =>
      jobs.available ? jobs.central(result, groups) : null
    );
    return { model, jobs };
  }

  function outcomeOf(result: IScanResult): IScanOutcome {
    return {
      scanId: 's',
      result,
      finishedAt: 0,
      threshold: result.threshold,
      groups: result.groups
    };
  }

  it('the plan says it is finding the most central members, then shows them; newer groups win', async () => {
    const worker = new FakeWorker();
    const { model } = planModelWith(worker);
    const result = randomScan(5);
    const outcome = outcomeOf(result);
    model.attach(outcome);
    let changes = 0;
    model.changed.connect(() => changes++);
    model.setRules([{ kind: 'central' }]);
    worker.hold = true;
    const waiting = model.view(outcome);
    expect(waiting.ranking).toBe(true);
    expect(waiting.decisions).toEqual([]);
    // The groups change (a stricter threshold) before the worker answers.
    outcome.threshold = 0.95;
    outcome.groups = regroup(result, 0.95);
    expect(model.view(outcome).ranking).toBe(true);
    worker.release('newest');
    await until(() => !model.view(outcome).ranking);
    const shown = model.view(outcome);
    expect(shown.ranking).toBe(false);
    expect(shown).toEqual({
      ...computePlan(input(result, outcome.groups), model.plan),
      reading: [],
      ranking: false
    });
    expect(changes).toBeGreaterThan(1);
  });

  it('with no worker, or when it went away, the plan ranks on the page; when the worker fails a job it says why', async () => {
    const result = randomScan(1);
    const expected = {
      ...computePlan(input(result), central),
      reading: [],
      ranking: false
    };
    const none = new PlanModel(null, () => null);
    const outcome = outcomeOf(result);
    none.attach(outcome);
    none.setRules([{ kind: 'central' }]);
    expect(none.view(outcome)).toEqual(expected);

    const worker = new FakeWorker();
    const { model, jobs } = planModelWith(worker);
    model.attach(outcome);
    model.setRules([{ kind: 'central' }]);
    worker.hold = true;
    expect(model.view(outcome).ranking).toBe(true);
    jobs.fail('The scan worker failed: out of memory');
    await until(() => !model.view(outcome).ranking);
    expect(model.view(outcome)).toEqual(expected);

    const failing = new FakeWorker();
    failing.post = message => {
      if (message.type === 'central') {
        setTimeout(() =>
          failing.jobs?.handle({
            type: 'job-failed',
            id: message.id,
            message: 'Array buffer allocation failed'
          })
        );
      }
      return true;
    };
    const broken = planModelWith(failing).model;
    broken.attach(outcome);
    broken.setRules([{ kind: 'central' }]);
    broken.view(outcome);
    await until(() => !broken.view(outcome).ranking);
    const view = broken.view(outcome);
    expect(view.ranking).toBe(false);
    expect(view.problem).toBe(
      'The scan worker could not find the most central members: Array buffer allocation failed. ' +
        'Your rules, pins and marks are kept: reload the page to start the worker again, or remove the rule.'
    );
    expect(broken.rules).toEqual([{ kind: 'central' }]);
  });
});
