// The lonely pass's sketches and buckets at scale without a server (bench/README.md, 7f): the
// pass's own Sketcher and sketchCandidates over the raw float32 vectors bench/lonely_offline.py
// wrote, printing the plan, the time of each part, the sketch pairs compared, the candidates an
// exact search would be asked about, and how many of the given pairs are among them.
//
//   node bench/.build/lonely_offline.cjs VECTORS.f32 INFO.json
import { openSync, readFileSync, readSync } from 'fs';
import {
  lonelyPlan,
  Sketcher,
  sketchCandidates,
  SKETCH_BITS
} from '../src/scan/lonely';

const [vectorsPath, infoPath] = process.argv.slice(2);
const info = JSON.parse(readFileSync(infoPath, 'utf8')) as {
  count: number;
  d: number;
  threshold: number;
  want: [number, number, number][];
};
const { count, d } = info;
const words = SKETCH_BITS / 32;
const fd = openSync(vectorsPath, 'r');
const sketches = new Uint32Array(count * words);
const sketcher = new Sketcher(d);
const page = 10000;
const buf = Buffer.alloc(page * d * 4);
const t0 = Date.now();
for (let s = 0; s < count; s += page) {
  const m = Math.min(page, count - s);
  readSync(fd, buf, 0, m * d * 4, s * d * 4);
  const f = new Float32Array(buf.buffer, buf.byteOffset, m * d);
  for (let k = 0; k < m; k++) {
    sketcher.sketch(f.subarray(k * d, (k + 1) * d), sketches, (s + k) * words);
  }
}
const t1 = Date.now();
const plan = lonelyPlan(count, info.threshold);
if (plan === null) {
  throw new Error(`no plan at threshold ${info.threshold}`);
}
const want = new Set(info.want.map(([i, j]) => `${i}-${j}`));
let candidates = 0;
let held = 0;
let compared = 0;
const perPoint = new Map<number, number>();
for (const c of sketchCandidates(sketches, count, plan, (i, j) => {
  candidates++;
  perPoint.set(i, (perPoint.get(i) ?? 0) + 1);
  held += want.has(`${i}-${j}`) ? 1 : 0;
})) {
  compared = c;
}
const t2 = Date.now();
console.log(
  JSON.stringify({
    count,
    plan,
    sketch_s: (t1 - t0) / 1000,
    buckets_s: (t2 - t1) / 1000,
    compared,
    candidates,
    exact_searches: perPoint.size,
    most_per_point: Math.max(0, ...perPoint.values()),
    pairs_held: held,
    pairs_given: want.size
  })
);
