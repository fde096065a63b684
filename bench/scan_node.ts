// Runs one scan of a Qdrant collection in Node and writes what it found as JSON, for the
// integration test and the benchmark. Two algorithms, each in its own process:
//   ours - the worker's code as is: createQdrantClient + scanCollection (src/scan), the
//          official @qdrant/js-client-rest client, by-id query batches with paging;
//   seed - the seed plan, faithfully: scroll every point *with its vector*, then one
//          `query` per point with that vector, limit 10 and score_threshold, one request
//          at a time, union-find.
//
//   node bench/.build/scan_node.cjs <config.json> <out.json>
//
// config: {mode, url, prefix?, headers?, collection, threshold, using?, limit?, batchSize?, listPageSize?,
// inFlight?, exact?, hnswEf?, sampleIdField?, thumbnailField?, splitField?, reviewField?, seedLimit?,
// seedPageSize?}. The API key comes from the environment (ND_BENCH_API_KEY), never from the
// command line; through the Jupyter proxy there is none, as in the browser's worker.
import {
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync
} from 'fs';
import * as v8 from 'v8';
import { PhaseMemory } from './phase_memory';
import type { ICheckpointStore, IScanCheckpoint } from '../src/scan/checkpoint';
import { joinPairParts } from '../src/scan/checkpoint';
import type { IPairList } from '../src/scan/types';
import { QdrantClient } from '@qdrant/js-client-rest';
import { PairStore } from '../src/scan/pairs';
import { createQdrantClient } from '../src/scan/scanService';
import type { PolicyOverrides } from '../src/scan/policies';
import {
  IScanClient,
  NeighbourQuery,
  scanCollection
} from '../src/scan/scanner';
import type { NeighbourAnswer } from '../src/scan/client';
import type { PointId, IScanProgress, IScanRequest } from '../src/scan/types';
import { UnionFind } from '../src/scan/unionFind';
import { encodeBody, hasTextVector } from '../src/scan/vectorText';
import variantTable from './variants.json';

/** The scanner variant this bundle was built for (build.mjs --variant), or null. */
declare const SCAN_VARIANT: string | null;

interface Config {
  mode: 'ours' | 'seed';
  url: string;
  /**
   * A path before Qdrant's routes and extra request headers: how the browser's worker
   * reaches Qdrant through the Jupyter proxy (`proxyConnection` in src/api.ts).
   */
  prefix?: string;
  headers?: Record<string, string>;
  collection: string;
  threshold: number;
  using?: string;
  limit?: number;
  batchSize?: number;
  listPageSize?: number;
  inFlight?: number;
  exact?: boolean;
  hnswEf?: number;
  cure?: IScanRequest['cure'];
  sureExact?: IScanRequest['sureExact'];
  auditSeed?: number;
  auditPoints?: number;
  sampleIdField?: string;
  thumbnailField?: string | null;
  splitField?: string | null;
  /** ours: the payload field of an earlier scan's tags (src/scan/review.ts). */
  reviewField?: string | null;
  /** seed: neighbours per query (the seed plan's 10). */
  seedLimit?: number;
  /** seed: points per scroll page. */
  seedPageSize?: number;
  /**
   * ours: append every scroll and queryBatch body sent, one JSON line each, to this file,
   * so the benchmark's floor can replay exactly these requests in-process.
   */
  recordPath?: string;
  /** ours: time every call by kind and note request and answer sizes (`profile` in the output). */
  profile?: boolean;
  /**
   * ours: keep the scan's checkpoints in this file (as the worker keeps them in IndexedDB),
   * written at most every `checkpointEveryMs` (default: the worker's 5 s).
   */
  checkpointPath?: string;
  checkpointEveryMs?: number;
  /** ours: take up the checkpoint in `checkpointPath` instead of starting afresh. */
  resume?: boolean;
  /** ours: scan only the changes since the finished scan kept in `checkpointPath`. */
  changes?: boolean;
  /**
   * ours: end the process abruptly (exit 75, nothing flushed) when this many queryBatch
   * answers have arrived: a closed tab or a killed worker, for the resume test.
   */
  stopAfterBatches?: number;
}

/** The exit status of a scan ended on purpose by `stopAfterBatches`. */
const INTERRUPTED = 75;

/**
 * Checkpoints in files, kept as the worker keeps them in IndexedDB: a head, the ids once and
 * the pairs in parts, each append one more part file. Nothing of them stays in this process
 * (the worker's store lives in the browser, not in the worker), so the process's memory is
 * the scan's. Each whole save starts a new generation of files; the head, written last
 * (temporary file, then rename), names the generation and its parts, so a kill never leaves
 * a head that names a missing or half-written file.
 */
class FileCheckpointStore implements ICheckpointStore {
  constructor(private readonly path: string) {}
  async load(): Promise<IScanCheckpoint | null> {
    if (!existsSync(this.path)) {
      return null;
    }
    const head = v8.deserialize(readFileSync(this.path)) as IFileHead;
    this.head = { generation: head.generation, parts: head.parts };
    const parts: IPairList[] = [];
    for (let k = 0; k < head.parts; k++) {
      parts.push(v8.deserialize(readFileSync(this.file(head.generation, k))));
    }
    return {
      ...head.checkpoint,
      ids: v8.deserialize(readFileSync(this.file(head.generation, 'ids'))),
      pairs: joinPairParts(parts, head.checkpoint.distance)
    };
  }
  async save(
    _key: string,
    checkpoint: IScanCheckpoint,
    append = false
  ): Promise<void> {
    let head = this.head;
    if (append && !head) {
      throw new Error('No checkpoint is kept to add to.');
    }
    const old = head && !append ? head.generation : null;
    if (!head || !append) {
      head = { generation: (head?.generation ?? 0) + 1, parts: 0 };
      writeWhole(
        this.file(head.generation, 'ids'),
        v8.serialize(checkpoint.ids)
      );
    }
    writeWhole(
      this.file(head.generation, head.parts),
      v8.serialize(checkpoint.pairs)
    );
    head = { generation: head.generation, parts: head.parts + 1 };
    const { pairs: _pairs, ids: _ids, ...rest } = checkpoint;
    writeWhole(
      this.path,
      v8.serialize({ ...head, checkpoint: rest } satisfies IFileHead)
    );
    this.head = head;
    if (old !== null) {
      this.removeGeneration(old);
    }
  }
  async remove(): Promise<void> {
    rmSync(this.path, { force: true });
    if (this.head) {
      this.removeGeneration(this.head.generation);
    }
    this.head = null;
  }
  private file(generation: number, part: number | 'ids'): string {
    return `${this.path}.g${generation}.${part}`;
  }
  private removeGeneration(generation: number): void {
    for (let k = 0; existsSync(this.file(generation, k)); k++) {
      rmSync(this.file(generation, k), { force: true });
    }
    rmSync(this.file(generation, 'ids'), { force: true });
  }
  private head: { generation: number; parts: number } | null = null;
}

interface IFileHead {
  generation: number;
  parts: number;
  checkpoint: Omit<IScanCheckpoint, 'pairs' | 'ids'>;
}

/** A file written whole: a temporary file, then renamed over it. */
function writeWhole(path: string, bytes: Buffer): void {
  writeFileSync(path + '.tmp', bytes);
  renameSync(path + '.tmp', path);
}

/** The client, ending the process when `stop` queryBatch answers have arrived. */
function interrupting(
  client: IScanClient,
  stop: number | undefined
): IScanClient {
  if (stop === undefined) {
    return client;
  }
  let answers = 0;
  const counted = async <T>(answer: Promise<T>): Promise<T> => {
    const value = await answer;
    if (++answers >= stop) {
      process.exit(INTERRUPTED);
    }
    return value;
  };
  return {
    getCollection: name => client.getCollection(name),
    scroll: (name, body) => client.scroll(name, body),
    retrieve: (name, body) => client.retrieve(name, body),
    queryBatch: (name, body) => counted(client.queryBatch(name, body)),
    textVectors: client.textVectors && {
      scroll: (name, body, using) =>
        client.textVectors!.scroll(name, body, using),
      queryBatch: (name, body) =>
        counted(client.textVectors!.queryBatch(name, body))
    }
  };
}

/** The client, counting the searches it sends (every page, audit and check included). */
function counting(
  client: IScanClient,
  tally: { batches: number; searches: number }
): IScanClient {
  const note = (n: number) => {
    tally.batches++;
    tally.searches += n;
  };
  return {
    getCollection: name => client.getCollection(name),
    scroll: (name, body) => client.scroll(name, body),
    retrieve: (name, body) => client.retrieve(name, body),
    queryBatch: (name, body) => {
      note(body.searches.length);
      return client.queryBatch(name, body);
    },
    textVectors: client.textVectors && {
      scroll: (name, body, using) =>
        client.textVectors!.scroll(name, body, using),
      queryBatch: (name, body) => {
        note(body.searches.length);
        return client.textVectors!.queryBatch(name, body);
      }
    }
  };
}

/** What both algorithms hand back: point ids, pairs by point id, groups by point id. */
interface Found {
  ids: PointId[];
  pairs: { a: PointId[]; b: PointId[]; score: number[] };
  groups: PointId[][];
  extra: Record<string, unknown>;
}

const MB = 1024 * 1024;

async function main(): Promise<void> {
  const [configPath, outPath] = process.argv.slice(2);
  if (!configPath || !outPath) {
    throw new Error('usage: node scan_node.cjs <config.json> <out.json>');
  }
  const config = JSON.parse(readFileSync(configPath, 'utf-8')) as Config;
  const apiKey = process.env.ND_BENCH_API_KEY || undefined;
  // The memory the process holds before scanning: Node, the bundle, the client.
  const baselineRss = process.memoryUsage().rss;
  const baselinePrivate = privateRss();
  const started = performance.now();
  // Taken the moment the scan has its answer, before that answer is converted for output.
  let done: Done | null = null;
  const markDone = () => {
    const memory = process.memoryUsage();
    done = {
      seconds: (performance.now() - started) / 1000,
      peak: peakRss(),
      heapUsed: memory.heapUsed,
      heapTotal: memory.heapTotal,
      external: memory.external + memory.arrayBuffers
    };
    // Tells the benchmark's memory sampler (bench/scan_harness.py) that the scan is over.
    writeSync(1, 'SCAN_DONE\n');
  };
  const found =
    config.mode === 'seed'
      ? await seedScan(config, apiKey, markDone)
      : await oursScan(config, apiKey, markDone);
  if (!done) {
    throw new Error('the scan did not mark its end');
  }
  const end: Done = done;
  const cpu = process.cpuUsage();
  const out = {
    mode: config.mode,
    seconds: end.seconds,
    cpu_s: (cpu.user + cpu.system) / 1e6,
    heap_used_mb: end.heapUsed / MB,
    heap_total_mb: end.heapTotal / MB,
    external_mb: end.external / MB,
    peak_rss_mb: end.peak.bytes / MB,
    peak_rss_source: end.peak.source,
    baseline_rss_mb: baselineRss / MB,
    baseline_private_mb: baselinePrivate === null ? null : baselinePrivate / MB,
    n: found.ids.length,
    ids: found.ids,
    pairs: found.pairs,
    groups: found.groups,
    ...found.extra
  };
  writeFileSync(outPath, JSON.stringify(out));
}

interface Done {
  seconds: number;
  peak: { bytes: number; source: string };
  heapUsed: number;
  heapTotal: number;
  external: number;
}

/**
 * The process's private resident memory now (RssAnon + RssShmem of /proc/self/status): what
 * it holds itself, without the pages of the node binary and libraries it shares with every
 * other process (RssFile). null where /proc is missing.
 */
function privateRss(): number | null {
  try {
    const status = readFileSync('/proc/self/status', 'utf-8');
    const anon = /^RssAnon:\s+(\d+)\s+kB/m.exec(status);
    const shmem = /^RssShmem:\s+(\d+)\s+kB/m.exec(status);
    return anon ? (Number(anon[1]) + Number(shmem?.[1] ?? 0)) * 1024 : null;
  } catch {
    return null;
  }
}

/**
 * The process's peak resident memory. Linux: VmHWM of /proc/self/status, the high-water mark
 * of this process's own address space. Not getrusage's maxRSS (process.resourceUsage()):
 * Linux carries that over from the parent across fork + exec, so a Node process spawned by a
 * Python holding the data set would report Python's size.
 */
function peakRss(): { bytes: number; source: string } {
  try {
    const status = readFileSync('/proc/self/status', 'utf-8');
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
    if (m) {
      return { bytes: Number(m[1]) * 1024, source: 'VmHWM' };
    }
  } catch {
    // not Linux
  }
  return { bytes: process.resourceUsage().maxRSS * 1024, source: 'maxRSS' };
}

/** The worker's path: the same client factory and scan function, the same hooks. */
async function oursScan(
  config: Config,
  apiKey: string | undefined,
  markDone: () => void
): Promise<Found> {
  const connection = {
    url: config.url,
    prefix: config.prefix,
    headers: config.headers,
    apiKey
  };
  const calls: ICallNote[] = [];
  const tally = { batches: 0, searches: 0 };
  const client = interrupting(
    counting(
      profiling(
        recording(createQdrantClient(connection), config.recordPath),
        config.profile ? calls : null
      ),
      tally
    ),
    config.stopAfterBatches
  );
  const phaseStarts: { phase: string; at: number }[] = [];
  const request: IScanRequest = {
    collection: config.collection,
    threshold: config.threshold,
    using: config.using,
    limit: config.limit,
    batchSize: config.batchSize,
    listPageSize: config.listPageSize,
    inFlight: config.inFlight,
    exact: config.exact,
    hnswEf: config.hnswEf,
    cure: config.cure,
    sureExact: config.sureExact,
    auditSeed: config.auditSeed,
    auditPoints: config.auditPoints,
    sampleIdField: config.sampleIdField,
    thumbnailField: config.thumbnailField,
    splitField: config.splitField,
    reviewField: config.reviewField
  };
  const controller = new AbortController();
  const memory = new PhaseMemory();
  // Diagnostic (ND_BENCH_HEAP_SNAPSHOT=<path>, ND_BENCH_HEAP_AT=<phase>:<checked>): one heap
  // snapshot when the scan first reaches that phase with that many checks done.
  const snapshotPath = process.env.ND_BENCH_HEAP_SNAPSHOT;
  const [snapshotPhase, snapshotChecked] = (
    process.env.ND_BENCH_HEAP_AT ?? ''
  ).split(':');
  let snapshotTaken = !snapshotPath || !snapshotPhase;
  let events = 0;
  let last: IScanProgress | null = null;
  const phases: string[] = [];
  // Pairs the main pass found, before the exact check inside groups (null: no check ran).
  let pairsBeforeCheck: number | null = null;
  const checkpointStore = config.checkpointPath
    ? new FileCheckpointStore(config.checkpointPath)
    : null;
  const result = await scanCollection(client, request, {
    signal: controller.signal,
    policies: variantPolicies(),
    checkpoint: checkpointStore
      ? {
          store: checkpointStore,
          key: config.collection,
          resume: config.resume,
          changes: config.changes,
          everyMs: config.checkpointEveryMs
        }
      : undefined,
    onProgress: progress => {
      // Diagnostic (node --expose-gc, ND_BENCH_FORCE_GC=1): a full collection at every
      // report, so the peak shows the live set rather than the garbage V8 lets pile up.
      if (process.env.ND_BENCH_FORCE_GC && typeof global.gc === 'function') {
        global.gc();
      }
      events++;
      last = progress;
      memory.sample(progress.phase, progress.checked);
      if (
        !snapshotTaken &&
        progress.phase === snapshotPhase &&
        (progress.checked ?? 0) >= Number(snapshotChecked ?? 0)
      ) {
        snapshotTaken = true;
        v8.writeHeapSnapshot(snapshotPath);
      }
      if (phases[phases.length - 1] !== progress.phase) {
        phases.push(progress.phase);
        phaseStarts.push({ phase: progress.phase, at: performance.now() });
        if (progress.phase === 'checking') {
          pairsBeforeCheck = progress.pairs;
        }
      }
    }
  });
  memory.sample('complete');
  memory.stop();
  markDone();
  const { points, pairs, groups } = result;
  const m = pairs.score.length;
  const a: PointId[] = new Array(m);
  const b: PointId[] = new Array(m);
  const score: number[] = new Array(m);
  for (let k = 0; k < m; k++) {
    a[k] = points.ids[pairs.a[k]];
    b[k] = points.ids[pairs.b[k]];
    score[k] = pairs.score[k];
  }
  return {
    ids: points.ids,
    pairs: { a, b, score },
    groups: groups.map(g => g.pointIds),
    extra: {
      distance: result.distance,
      variant: SCAN_VARIANT,
      stats: result.stats,
      // Every search this run sent (audit, pages and checks included), and its batches.
      searches: tally.searches,
      batches: tally.batches,
      audit: result.audit ?? null,
      progress_events: events,
      phases,
      pairs_before_check: pairsBeforeCheck,
      phase_starts_ms: phaseStarts,
      v8_memory: memory.report(),
      v8_timeline: memory.timeline,
      profile: config.profile ? calls : null,
      last_progress: last,
      sample_ids: points.sampleIds,
      thumbnails: points.thumbnails,
      splits: points.splits,
      reviews: points.reviews ?? null,
      group_details: groups.map(g => ({
        size: g.members.length,
        links: g.links,
        bestScore: g.bestScore,
        worstScore: g.worstScore,
        weakestLink: {
          a: points.ids[g.weakestLink.a],
          b: points.ids[g.weakestLink.b],
          score: g.weakestLink.score
        },
        representative: points.ids[g.representative],
        sampleIds: g.sampleIds
      }))
    }
  };
}

/** The policies of the bundle's variant (bench/variants.json); none for the scanner as it is. */
function variantPolicies(): PolicyOverrides | undefined {
  if (SCAN_VARIANT === null) {
    return undefined;
  }
  const variants = variantTable.variants as Record<string, PolicyOverrides>;
  if (!Object.prototype.hasOwnProperty.call(variants, SCAN_VARIANT)) {
    throw new Error(`unknown scanner variant ${SCAN_VARIANT}`);
  }
  return variants[SCAN_VARIANT];
}

/** The client, writing each request body to `path` as it is sent (one small write each). */
function recording(client: IScanClient, path: string | undefined): IScanClient {
  if (!path) {
    return client;
  }
  const fd = openSync(path, 'w');
  process.on('exit', () => closeSync(fd));
  const note = (op: string, body: unknown) =>
    writeSync(fd, JSON.stringify({ op, body }) + '\n');
  return {
    getCollection: name => client.getCollection(name),
    scroll: (name, body) => {
      note('scroll', body);
      return client.scroll(name, body);
    },
    retrieve: (name, body) => {
      note('retrieve', body);
      return client.retrieve(name, body);
    },
    queryBatch: (name, body) => {
      note('queryBatch', body);
      return client.queryBatch(name, body);
    },
    textVectors: client.textVectors && {
      scroll: (name, body, using) => {
        note('scroll', body);
        return client.textVectors!.scroll(name, body, using);
      },
      queryBatch: (name, body) => {
        note('queryBatch', JSON.parse(encodeBody(body)));
        return client.textVectors!.queryBatch(name, body);
      }
    }
  };
}

/** One call the scan made, for the profile: what kind, how long in flight, how big. */
interface ICallNote {
  op: 'list' | 'vectors' | 'details' | 'queryBatch';
  /** queryBatch: searches by kind (by-id, by-vector, exact over the collection, has_id-filtered). */
  kinds?: Record<string, number>;
  /** queryBatch: the exact searches over the collection, as [point id, offset, limit]. */
  exact?: [unknown, number, number][];
  start: number;
  ms: number;
  requestChars: number;
  answerChars: number;
}

/** The client, noting each call into `notes` (null: the client as is). */
function profiling(
  client: IScanClient,
  notes: ICallNote[] | null
): IScanClient {
  if (!notes) {
    return client;
  }
  const timed = async <T>(
    note: Omit<ICallNote, 'start' | 'ms' | 'answerChars'>,
    call: () => Promise<T>,
    size: (answer: T) => number = answer =>
      JSON.stringify(answer, bigints).length
  ): Promise<T> => {
    const start = performance.now();
    const answer = await call();
    const ms = performance.now() - start;
    notes.push({ ...note, start, ms, answerChars: size(answer) });
    return answer;
  };
  const profiledBatch = (
    body: { searches: NeighbourQuery[] },
    call: () => Promise<NeighbourAnswer[]>
  ) => {
    const kinds: Record<string, number> = {};
    const exact: [unknown, number, number][] = [];
    for (const s of body.searches) {
      const kind = s.filter
        ? 'filtered'
        : Array.isArray(s.query) || hasTextVector(s)
          ? 'byVector'
          : s.params?.exact
            ? 'exact'
            : 'byId';
      kinds[kind] = (kinds[kind] ?? 0) + 1;
      if (kind === 'exact') {
        exact.push([s.query, s.offset ?? 0, s.limit ?? 10]);
      }
    }
    return timed(
      { op: 'queryBatch', kinds, exact, requestChars: encodeBody(body).length },
      call
    );
  };
  const text = client.textVectors;
  return {
    getCollection: name => client.getCollection(name),
    scroll: (name, body) =>
      timed(
        {
          op: body.with_vector ? 'vectors' : 'list',
          requestChars: JSON.stringify(body, bigints).length
        },
        () => client.scroll(name, body)
      ),
    retrieve: (name, body) =>
      timed(
        {
          op: 'details',
          requestChars: JSON.stringify(body, bigints).length
        },
        () => client.retrieve(name, body)
      ),
    queryBatch: (name, body) =>
      profiledBatch(body, () => client.queryBatch(name, body)),
    textVectors: text && {
      scroll: (name, body, using) =>
        timed(
          { op: 'vectors', requestChars: encodeBody(body).length },
          () => text.scroll(name, body, using),
          page =>
            page.points.reduce((n, p) => n + (p.vector?.text.length ?? 0), 0)
        ),
      queryBatch: (name, body) =>
        profiledBatch(body, () => text.queryBatch(name, body))
    }
  };
}

function bigints(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/**
 * The seed plan: every point with its vector in memory, one query per point with that
 * vector (limit 10; the point finds itself among them), sequential, union-find.
 */
async function seedScan(
  config: Config,
  apiKey: string | undefined,
  markDone: () => void
): Promise<Found> {
  const client = new QdrantClient({
    url: config.url,
    prefix: config.prefix,
    headers: config.headers,
    apiKey,
    timeout: 300_000,
    checkCompatibility: false
  });
  const limit = config.seedLimit ?? 10;
  const pageSize = config.seedPageSize ?? 1000;
  const info = await client.getCollection(config.collection);
  const vectors = info.config.params.vectors as Record<string, unknown>;
  const distance = (
    typeof vectors.distance === 'string'
      ? vectors.distance
      : (vectors[config.using ?? ''] as { distance: string }).distance
  ) as string;
  const higher = distance === 'Cosine' || distance === 'Dot';

  type Rec = Awaited<ReturnType<QdrantClient['scroll']>>['points'][number];
  const all: Rec[] = [];
  let offset: Rec['id'] | undefined = undefined;
  for (;;) {
    const page: Awaited<ReturnType<QdrantClient['scroll']>> =
      await client.scroll(config.collection, {
        limit: pageSize,
        offset,
        with_payload: true,
        with_vector: true
      });
    all.push(...page.points);
    const next = page.next_page_offset;
    if (next === null || next === undefined || page.points.length === 0) {
      break;
    }
    offset = next as Rec['id'];
  }
  const listedRss = process.memoryUsage().rss;
  const indexOf = new Map<unknown, number>();
  all.forEach((p, i) => indexOf.set(p.id, i));
  const uf = new UnionFind(all.length);
  const pairs = new PairStore(higher);
  let queries = 0;
  for (let i = 0; i < all.length; i++) {
    const p = all[i];
    const vector = config.using
      ? (p.vector as Record<string, number[]>)[config.using]
      : (p.vector as number[]);
    const res = await client.query(config.collection, {
      query: vector,
      using: config.using,
      limit,
      score_threshold: config.threshold,
      with_payload: false
    });
    queries++;
    for (const hit of res.points) {
      const j = indexOf.get(hit.id);
      if (j === undefined || j === i) {
        continue;
      }
      if (pairs.add(i, j, Math.fround(hit.score))) {
        uf.union(i, j);
      }
    }
  }
  const ids = all.map(p => p.id as PointId);
  const members = new Map<number, PointId[]>();
  for (let i = 0; i < ids.length; i++) {
    if (uf.sizeOf(uf.find(i)) < 2) {
      continue;
    }
    const root = uf.find(i);
    let list = members.get(root);
    if (!list) {
      members.set(root, (list = []));
    }
    list.push(ids[i]);
  }
  markDone();
  const list = pairs.toList();
  const m = list.score.length;
  return {
    ids,
    pairs: {
      a: Array.from(list.a, k => ids[k]),
      b: Array.from(list.b, k => ids[k]),
      score: Array.from(list.score)
    },
    groups: [...members.values()].sort((x, y) => y.length - x.length),
    extra: {
      distance,
      stats: { queries, pairs: m },
      listed_rss_mb: listedRss / MB
    }
  };
}

main().then(
  () => process.exit(0),
  error => {
    if (error && typeof error === 'object' && 'toJSON' in error) {
      // A ScanError, as JSON on its own line, so a test can read its kind and message.
      process.stderr.write(
        `SCAN_ERROR ${JSON.stringify((error as { toJSON(): unknown }).toJSON())}\n`
      );
    }
    const info =
      error && typeof error === 'object' && 'toJSON' in error
        ? JSON.stringify((error as { toJSON(): unknown }).toJSON())
        : String(error?.stack ?? error);
    process.stderr.write(`scan_node failed: ${info}\n`);
    process.exit(1);
  }
);
