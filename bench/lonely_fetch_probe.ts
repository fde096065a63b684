// The lonely pass's vector fetch alone, in Node, against a running backend (issue 16: the
// worker under 300 MB at 1M): every point whose index is not a multiple of 5 (4/5 of them, as
// many as a 1M scan leaves in no group) has its vector fetched FETCH at a time, two requests in
// flight, and sketched by the lonely pass's own sketchPoints. Samples the process's V8 heap and
// ArrayBuffers every 100 ms (PhaseMemory, as the benchmark's scan does) and prints the peaks
// and the time.
//
//   node bench/.build/lonely_fetch_probe.cjs URL COLLECTION N FETCH [BALLAST_MB]
import { UNNAMED_VECTOR } from '../src/scan/collection';
import { IdIndex } from '../src/scan/list';
import { PhaseMemory } from './phase_memory';
import { sketchPoints } from '../src/scan/lonely';
import { runPool } from '../src/scan/pool';
import { RetryingCaller } from '../src/scan/retry';
import { createQdrantClient } from '../src/scan/scanService';
import { VectorFetcher } from '../src/scan/vectors';

const [url, collection, nText, fetchText] = process.argv.slice(2);
const n = Number(nText);
const FETCH = Number(fetchText);
// ND_PROBE_MODE: full (fetch, parse, sketch), parse (no sketch), raw (fetch the text only).
const MODE = process.env.ND_PROBE_MODE ?? 'full';
// Live JS heap held through the fetch, as the scan's own structures are (MB, about).
const BALLAST_MB = Number(process.argv[6] ?? 0);
const ballast: { a: number; b: string }[][] = [];

async function main(): Promise<void> {
  const client = createQdrantClient({ url, apiKey: process.env.ND_API_KEY });
  const queryIds: number[] = [];
  const index = new IdIndex();
  for (let i = 0; i < n; i++) {
    queryIds.push(i);
    index.add(i);
  }
  const calls = new RetryingCaller(
    { retries: 3, baseDelayMs: 100, maxDelayMs: 1000 },
    ms => new Promise(r => setTimeout(r, ms)),
    undefined,
    collection
  );
  const fetcher = new VectorFetcher(
    client,
    collection,
    { using: UNNAMED_VECTOR, distance: 'Cosine' },
    queryIds,
    calls,
    index
  );
  const lonely = new Uint32Array(n - Math.ceil(n / 5));
  for (let i = 0, k = 0; i < n; i++) {
    if (i % 5 !== 0) {
      lonely[k++] = i;
    }
  }
  // ND_PROBE_BALLAST=typed: the same live bytes in one Float64Array (outside the JS heap).
  const typedBallast =
    process.env.ND_PROBE_BALLAST === 'typed'
      ? new Float64Array(BALLAST_MB * 2 ** 17).fill(1)
      : null;
  for (let mb = 0; mb < (typedBallast ? 0 : BALLAST_MB); mb++) {
    // about 1 MB of small objects each
    const chunk: { a: number; b: string }[] = [];
    for (let k = 0; k < 20000; k++) {
      chunk.push({ a: k + mb, b: `${k}` });
    }
    ballast.push(chunk);
  }
  const memory = new PhaseMemory();
  memory.sample('fetching');
  const t0 = Date.now();
  let done = 0;
  if (MODE === 'full') {
    // The pass's own fetch-and-sketch.
    const { fetched } = await sketchPoints(
      fetcher,
      lonely,
      2,
      undefined,
      () => undefined,
      FETCH
    );
    done = fetched.reduce((sum, x) => sum + x, 0);
  } else {
    // Its requests without the sketches: the text only (raw) or the pages parsed (parse).
    let cursor = 0;
    await runPool(
      () => cursor < lonely.length,
      () => Array.from(lonely.subarray(cursor, (cursor += FETCH))),
      async indices => {
        if (MODE === 'raw') {
          const response = await fetch(
            `${url}/collections/${collection}/points/scroll`,
            {
              method: 'POST',
              headers: {
                'content-type': 'application/json',
                ...(process.env.ND_API_KEY
                  ? { 'api-key': process.env.ND_API_KEY }
                  : {})
              },
              body: JSON.stringify({
                limit: indices.length,
                filter: { must: [{ has_id: indices }] },
                with_payload: false,
                with_vector: true
              })
            }
          );
          const text = await response.text();
          done += text.length > 0 ? indices.length : 0;
        } else {
          // Read before adding: `done += await ...` would add to the value before the wait.
          const own = await fetcher.fetch(indices);
          done += own.size;
        }
      },
      2,
      undefined
    );
  }
  memory.sample();
  memory.stop();
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const afterGc = process.memoryUsage().heapUsed / 2 ** 20;
  const r = (x: number) => Math.round(x * 10) / 10;
  console.log(
    JSON.stringify({
      mode: MODE,
      fetch: FETCH,
      points: lonely.length,
      sketched: done,
      ballast_chunks: ballast.length,
      typed_ballast_mb: typedBallast ? typedBallast.byteLength / 2 ** 20 : 0,
      seconds: r((Date.now() - t0) / 1000),
      peak: memory.report().fetching,
      heap_used_after_gc_mb: gc ? r(afterGc) : null
    })
  );
}

void main();
