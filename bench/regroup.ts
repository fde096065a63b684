// Times regrouping (src/scan/groups.ts) on a million kept pairs, the way the product does it:
//   worker - when a scan ends, the worker groups its pairs; that lays them out for regrouping
//            (a radix sort by score, then component by component) and caches the layout;
//   panel  - the result and the layout are posted to the page's thread (here: a fresh
//            worker_thread, so its code is as cold as a page's), which adopts the layout
//            (checks it fits the pairs) and regroups at stricter thresholds as the slider moves;
//   panel without the layout - what the first regroup would cost if the page laid the pairs
//            out itself (as it does for a scan restored after a reload).
// Prints one JSON object on stdout.
//
//   node bench/.build/regroup.cjs [pairs]
//
// The pairs: 200,000 points; cliques of 2 to 40 members (every pair inside a clique kept,
// scores spread over (0.95, 1]) until there are a million pairs.
import { isMainThread, parentPort, Worker, workerData } from 'worker_threads';
import {
  adoptLayout,
  layoutOf,
  IPairLayout,
  regroup
} from '../src/scan/groups';
import type { IPairList, IScanPoints } from '../src/scan/types';

const N = 200_000;
const SCAN_THRESHOLD = 0.95;
const SLIDER = [0.96, 0.97, 0.98, 0.99, 0.995, 0.97, 0.955];

function makePairs(target: number): IPairList {
  let seed = 12345;
  const rand = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  const a = new Uint32Array(target);
  const b = new Uint32Array(target);
  const score = new Float32Array(target);
  let m = 0;
  let next = 0;
  while (m < target && next < N) {
    const size = Math.min(2 + Math.floor(rand() * 39), N - next);
    for (let i = 0; i < size && m < target; i++) {
      for (let j = i + 1; j < size && m < target; j++) {
        a[m] = next + i;
        b[m] = next + j;
        score[m] = Math.fround(SCAN_THRESHOLD + 1e-6 + rand() * 0.05);
        m++;
      }
    }
    next += size;
  }
  return { a: a.slice(0, m), b: b.slice(0, m), score: score.slice(0, m) };
}

function pointsOf(n: number): IScanPoints {
  return {
    ids: Array.from({ length: n }, (_, i) => i),
    sampleIds: Array.from({ length: n }, (_, i) => `s${i}`),
    thumbnails: new Array(n).fill(null),
    splits: new Array(n).fill(null)
  };
}

function timed<T>(run: () => T): [number, T] {
  const t0 = performance.now();
  const value = run();
  return [performance.now() - t0, value];
}

interface PanelTimes {
  adopted: boolean;
  adopt_ms: number;
  first_ms: number;
  slider_ms: number[];
  groups: number[];
}

/** The page's side, in a fresh isolate: adopt the layout (or not), then follow the slider. */
function panel(pairs: IPairList, layout: IPairLayout | null): PanelTimes {
  const scan = {
    points: pointsOf(N),
    pairs,
    distance: 'Cosine' as const,
    threshold: SCAN_THRESHOLD
  };
  const [adoptMs, adopted] = timed(() =>
    layout ? adoptLayout(scan, layout) : false
  );
  const [firstMs, first] = timed(() => regroup(scan, SLIDER[0]));
  const slider: number[] = [];
  const groups = [first.length];
  for (const t of SLIDER.slice(1)) {
    const [ms, g] = timed(() => regroup(scan, t));
    slider.push(ms);
    groups.push(g.length);
  }
  return {
    adopted,
    adopt_ms: adoptMs,
    first_ms: firstMs,
    slider_ms: slider,
    groups
  };
}

function inFreshThread(
  pairs: IPairList,
  layout: IPairLayout | null
): Promise<PanelTimes> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(__filename, { workerData: { pairs, layout } });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

async function main(): Promise<void> {
  const target = Number(process.argv[2] ?? 1_000_000);
  const pairs = makePairs(target);
  const scan = {
    points: pointsOf(N),
    pairs,
    distance: 'Cosine' as const,
    threshold: SCAN_THRESHOLD
  };
  // The worker at the end of a scan: grouping at the scan's threshold lays the pairs out.
  const [workerMs, groupsAtScan] = timed(() => regroup(scan, SCAN_THRESHOLD));
  const layout = layoutOf(scan);
  const copy = (list: IPairList): IPairList => ({
    a: list.a.slice(),
    b: list.b.slice(),
    score: list.score.slice()
  });
  const withLayout = await inFreshThread(copy(pairs), layout);
  const withoutLayout = await inFreshThread(copy(pairs), null);
  const median = (xs: number[]) =>
    [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  process.stdout.write(
    JSON.stringify({
      pairs: pairs.score.length,
      points: N,
      groups_at_scan_threshold: groupsAtScan.length,
      worker_group_ms: workerMs,
      panel_adopt_ms: withLayout.adopt_ms,
      panel_first_ms: withLayout.first_ms,
      panel_slider_ms_median: median(withLayout.slider_ms),
      panel_slider_ms_max: Math.max(...withLayout.slider_ms),
      panel_without_layout_first_ms: withoutLayout.first_ms,
      panel_without_layout_slider_ms_median: median(withoutLayout.slider_ms),
      with_layout: withLayout,
      without_layout: withoutLayout
    }) + '\n'
  );
}

if (isMainThread) {
  main().catch(error => {
    process.stderr.write(String(error?.stack ?? error) + '\n');
    process.exit(1);
  });
} else {
  const { pairs, layout } = workerData as {
    pairs: IPairList;
    layout: IPairLayout | null;
  };
  parentPort!.postMessage(panel(pairs, layout));
}
