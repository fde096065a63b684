// The scan's memory at scale without an engine (issue 16: the worker under 300 MB at 1M):
// the worker's own scanCollection, in Node, against a synthetic stand-in of Qdrant (a FAKE,
// said so in every line it prints) whose answers are the exact neighbours of planted clusters
// with the benchmark's cluster sizes (bench/data.py: a fifth of the points in clusters of 2 to
// 200), sent through JSON text as the real client parses them. It measures what our code
// holds, not the engine's speed; bench/memory_probe.py runs it and samples the process's
// private memory from outside, as the benchmark samples ours.
//
//   node bench/.build/memory_probe.cjs <n>
import { scanCollection } from '../src/scan/scanner';
import type { IScanClient, NeighbourQuery } from '../src/scan/scanner';
import { xorshift } from '../src/scan/random';
import { clusterSizes, rng } from './synthetic';

const n = Number(process.argv[2] ?? 1_000_000);
const threshold = 0.95;

// Xorshift, seeded (src/scan/random.ts): the data the figures in bench/README.md were measured on.
// `--park-miller`: bench/synthetic.ts's generator instead (other clusters, same sizes' rule).
const random = process.argv.includes('--park-miller') ? rng(7) : xorshift(7);
// A fifth of the points in clusters, as bench/data.py plants them.
const sizes = clusterSizes(random, n / 5);
// Cluster members at random positions among the ids.
const order = new Uint32Array(n);
for (let i = 0; i < n; i++) {
  order[i] = i;
}
for (let i = n - 1; i > 0; i--) {
  const j = Math.floor(random() * (i + 1));
  const t = order[i];
  order[i] = order[j];
  order[j] = t;
}
const clusterOf = new Int32Array(n).fill(-1);
const members: Uint32Array[] = [];
let at = 0;
for (const size of sizes) {
  const m = order.slice(at, Math.min(n, at + size));
  at += size;
  for (const p of m) {
    clusterOf[p] = members.length;
  }
  members.push(m);
  if (at >= n) {
    break;
  }
}
let truePairs = 0;
for (const m of members) {
  truePairs += (m.length * (m.length - 1)) / 2;
}

function score(a: number, b: number): number {
  const h = Math.imul(a ^ Math.imul(b, 0x9e3779b1), 0x85ebca77) >>> 0;
  return 0.951 + (h / 2 ** 32) * 0.048;
}

const splits = ['train', 'test', 'val'];
const payloadOf = (i: number) => ({
  sample_id: `s${String(i).padStart(7, '0')}`,
  thumbnail: `images/${splits[i % 3]}/${String(i).padStart(7, '0')}.jpg`,
  split: splits[i % 3]
});
const pick = (payload: Record<string, unknown>, fields: unknown) =>
  Array.isArray(fields)
    ? Object.fromEntries(
        Object.entries(payload).filter(([k]) => fields.includes(k))
      )
    : {};
/** As the real client: the answer crosses as JSON text and is parsed. */
const wire = <T>(value: T): Promise<T> =>
  Promise.resolve(JSON.parse(JSON.stringify(value)) as T);

const fake: IScanClient = {
  getCollection: () =>
    wire({
      points_count: n,
      config: { params: { vectors: { size: 256, distance: 'Cosine' } } }
    }) as never,
  scroll: (_name, body) => {
    const from = typeof body.offset === 'number' ? body.offset : 0;
    const to = Math.min(n, from + (body.limit ?? 10));
    const points = [];
    for (let i = from; i < to; i++) {
      points.push({ id: i, payload: pick(payloadOf(i), body.with_payload) });
    }
    return wire({ points, next_page_offset: to < n ? to : null });
  },
  retrieve: (_name, body) =>
    wire(
      body.ids.map(id => ({
        id,
        payload: pick(payloadOf(Number(id)), body.with_payload)
      }))
    ),
  queryBatch: (_name, body) =>
    wire(
      body.searches.map((s: NeighbourQuery) => {
        const q = Number(s.query);
        const c = clusterOf[q];
        const must = (
          s.filter as { must?: { has_id?: number[] }[] } | undefined
        )?.must;
        const allowed = must?.[0]?.has_id
          ? new Set(must[0].has_id.map(Number))
          : null;
        const hits: { id: number; score: number }[] = [];
        if (c >= 0) {
          for (const m of members[c]) {
            if (m !== q && (!allowed || allowed.has(m))) {
              const sc = score(Math.min(q, m), Math.max(q, m));
              if (sc > (s.score_threshold ?? threshold)) {
                hits.push({ id: m, score: sc });
              }
            }
          }
        }
        hits.sort((x, y) => y.score - x.score || x.id - y.id);
        const offset = s.offset ?? 0;
        return { points: hits.slice(offset, offset + (s.limit ?? 10)) };
      })
    )
};

const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
let lastPhase = '';

async function main(): Promise<void> {
  const t0 = performance.now();
  const result = await scanCollection(
    fake,
    {
      collection: 'probe',
      threshold,
      sampleIdField: 'sample_id',
      thumbnailField: 'thumbnail',
      splitField: 'split'
    },
    {
      onProgress: p => {
        if (p.phase !== lastPhase) {
          lastPhase = p.phase;
          // Each phase as it starts, with the process's memory then (to stderr: not the output).
          const m = process.memoryUsage();
          console.error(
            `${((performance.now() - t0) / 1000).toFixed(1)} s ${p.phase}: rss ${mb(m.rss)} MB, heap ${mb(m.heapUsed)}/${mb(m.heapTotal)} MB, array buffers ${mb(m.arrayBuffers)} MB`
          );
        }
      }
    }
  );
  const seconds = (performance.now() - t0) / 1000;
  console.log('SCAN_DONE');
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    // With --expose-gc: what the result holds once the garbage is gone (to stderr).
    gc();
    const m = process.memoryUsage();
    console.error(
      `after a full collection: rss ${mb(m.rss)} MB, heap ${mb(m.heapUsed)}/${mb(m.heapTotal)} MB, array buffers ${mb(m.arrayBuffers)} MB (result held)`
    );
    void result;
  }
  console.log(
    JSON.stringify({
      fake_qdrant: true,
      n,
      clusters: members.length,
      true_pairs: truePairs,
      pairs_found: result.pairs.a.length,
      groups: result.groups.length,
      seconds: Math.round(seconds * 10) / 10
    })
  );
}

void main();
