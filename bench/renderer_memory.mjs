// The browser half of bench/renderer_memory.py: the tab's renderer process (the page and the
// scan's dedicated worker) while the panel scans, with no automation agent in the page.
//
// Playwright (bench/longtasks.mjs) enables the DevTools Network domain in every page and worker
// it drives, and the DevTools network agent keeps response bodies for the inspector: about 200
// MB of a scan's query answers stay in the renderer's buffer partition that a user's tab does
// not hold (measured with memory-infra dumps, 2026-12-02). Here Chromium is started by hand and
// driven over the DevTools protocol with Runtime.evaluate and Tracing only (no Network, no
// Page or Runtime agents), so the renderer holds what it would hold for a user.
//
//   node --experimental-websocket bench/renderer_memory.mjs --url http://localhost:8915 \
//     --collection bench [--scan-timeout ms] [--out file.json]
//
// Private memory (RssAnon + RssShmem from /proc, as the other benchmarks count it) of every
// renderer every 500 ms; a memory-infra dump (what V8's heaps, Blink's partitions and malloc
// hold in each process) before Detect and every --dump-every seconds until the result shows.
import { spawn } from 'child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { arg, memoryOf, rendererPids } from './browser_common.mjs';

const url = arg('--url', 'http://localhost:8915');
const collection = arg('--collection', 'bench');
const scanTimeout = Number(arg('--scan-timeout', 3_600_000));
const dumpEvery = Number(arg('--dump-every', 30)) * 1000;
const out = arg('--out');
const port = Number(arg('--debug-port', 9339));

const log = message =>
  console.log(
    `[renderer_memory ${new Date().toISOString().slice(11, 19)}] ${message}`
  );
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

const profile = mkdtempSync(join(tmpdir(), 'nd-renderer-memory-'));
const chrome = spawn(
  process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    `--remote-debugging-port=${port}`,
    `--user-data-dir=${profile}`,
    '--window-size=1280,900',
    'about:blank'
  ],
  { stdio: 'ignore' }
);

const phase = { now: 'load' };
const samples = [];
const sampler = setInterval(() => {
  for (const pid of rendererPids(chrome.pid)) {
    const mb = memoryOf(pid)?.private ?? null;
    if (mb !== null && samples.length < 50_000) {
      samples.push({
        t: Date.now(),
        pid,
        phase: phase.now,
        mb: Math.round(mb)
      });
    }
  }
}, 500);

let socket;
try {
  let version = null;
  for (let i = 0; i < 100 && !version; i++) {
    await sleep(300);
    version = await fetch(`http://127.0.0.1:${port}/json/version`)
      .then(r => r.json())
      .catch(() => null);
  }
  if (!version) {
    throw new Error(`Chromium did not open its DevTools port ${port}`);
  }
  socket = new WebSocket(version.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    socket.addEventListener('open', resolve);
    socket.addEventListener('error', reject);
  });
  let nextId = 0;
  const pending = new Map();
  const traceEvents = [];
  let traced = null;
  socket.addEventListener('message', message => {
    const msg = JSON.parse(message.data);
    if (msg.id && pending.has(msg.id)) {
      pending.get(msg.id)(msg);
      pending.delete(msg.id);
    } else if (msg.method === 'Tracing.dataCollected') {
      traceEvents.push(...msg.params.value);
    } else if (msg.method === 'Tracing.tracingComplete') {
      traced?.();
    }
  });
  const send = (method, params = {}, sessionId = undefined) =>
    new Promise((resolve, reject) => {
      const id = ++nextId;
      pending.set(id, reply =>
        reply.error
          ? reject(new Error(`${method}: ${JSON.stringify(reply.error)}`))
          : resolve(reply.result)
      );
      socket.send(JSON.stringify({ id, method, params, sessionId }));
    });

  const { targetId } = await send('Target.createTarget', { url: `${url}/lab` });
  const { sessionId } = await send('Target.attachToTarget', {
    targetId,
    flatten: true
  });
  const evaluate = async expression => {
    const { result, exceptionDetails } = await send(
      'Runtime.evaluate',
      { expression, returnByValue: true, awaitPromise: true },
      sessionId
    );
    if (exceptionDetails) {
      throw new Error(`${expression}: ${exceptionDetails.text}`);
    }
    return result.value;
  };
  const until = async (what, expression, timeout = 180_000) => {
    const end = Date.now() + timeout;
    while (Date.now() < end) {
      if (await evaluate(expression)) {
        return;
      }
      await sleep(500);
    }
    throw new Error(`timed out waiting for ${what}`);
  };

  const tab = `document.querySelector('.jp-SideBar.jp-mod-left [data-id="jp-near-duplicates-panel"]')`;
  const picker = `[...document.querySelectorAll('#jp-near-duplicates-panel select')].find(s => [...s.options].some(o => o.value === ${JSON.stringify(collection)}))`;
  await until('the panel tab', `!!${tab}`);
  await sleep(2000);
  // The workspace may have restored the panel open already: open it only if it is not shown.
  if (
    !(await evaluate(
      `!!document.querySelector('#jp-near-duplicates-panel select')?.offsetParent`
    ))
  ) {
    await evaluate(`${tab}.click()`);
  }
  await until(`collection ${collection} in the picker`, `!!${picker}`);
  await evaluate(`(() => {
    const select = ${picker};
    Object.getOwnPropertyDescriptor(HTMLSelectElement.prototype, 'value').set.call(select, ${JSON.stringify(collection)});
    select.dispatchEvent(new Event('change', { bubbles: true }));
  })()`);
  await sleep(3000);

  await send('Tracing.start', {
    transferMode: 'ReportEvents',
    traceConfig: {
      includedCategories: ['disabled-by-default-memory-infra'],
      excludedCategories: ['*'],
      memoryDumpConfig: { triggers: [] }
    }
  });
  const dumps = [];
  const dump = async label => {
    const { success } = await send('Tracing.requestMemoryDump', {
      deterministic: true,
      levelOfDetail: 'detailed'
    });
    dumps.push({ label, t: Date.now(), success });
  };
  const progressText = () =>
    evaluate(
      `document.querySelector('#jp-near-duplicates-panel .jp-NearDuplicates-progressText')?.textContent ?? ''`
    );

  phase.now = 'idle';
  await sleep(2000);
  await dump('idle');
  const detect = `[...document.querySelectorAll('#jp-near-duplicates-panel button')].find(b => b.textContent.includes('Detect Duplicates'))`;
  await until('the Detect button', `!!${detect}`);
  phase.now = 'scan';
  const t0 = Date.now();
  await evaluate(`${detect}.click()`);
  log(`Detect on ${collection}`);
  let lastDump = Date.now();
  for (;;) {
    if (
      await evaluate(
        `!!document.querySelector('#jp-near-duplicates-panel .jp-NearDuplicates-summary')`
      )
    ) {
      break;
    }
    const error = await evaluate(
      `document.querySelector('#jp-near-duplicates-panel .jp-NearDuplicates-error')?.textContent ?? ''`
    );
    if (error) {
      throw new Error(`the scan failed: ${error}`);
    }
    if (Date.now() - t0 > scanTimeout) {
      throw new Error(`the scan did not finish in ${scanTimeout / 1000} s`);
    }
    if (Date.now() - lastDump >= dumpEvery) {
      lastDump = Date.now();
      const text = await progressText();
      await dump(`scan ${Math.round((Date.now() - t0) / 1000)} s: ${text}`);
      log(text);
    }
    await sleep(2000);
  }
  const scanSeconds = (Date.now() - t0) / 1000;
  phase.now = 'result';
  const summary = await evaluate(
    `document.querySelector('#jp-near-duplicates-panel .jp-NearDuplicates-summary').textContent`
  );
  log(`scan done in ${scanSeconds.toFixed(0)} s: ${summary}`);
  await sleep(5000);
  await dump('result');
  const complete = new Promise(resolve => {
    traced = resolve;
  });
  await send('Tracing.end');
  await complete;
  clearInterval(sampler);

  // The tab's renderer: the one that grew most from idle to the scan's end.
  const byPid = new Map();
  for (const s of samples) {
    const e = byPid.get(s.pid) ?? {
      pid: s.pid,
      idle_mb: 0,
      scan_peak_mb: 0,
      result_mb: 0
    };
    if (s.phase === 'idle') {
      e.idle_mb = s.mb;
    } else if (s.phase === 'scan') {
      e.scan_peak_mb = Math.max(e.scan_peak_mb, s.mb);
    } else if (s.phase === 'result') {
      e.result_mb = s.mb;
    }
    byPid.set(s.pid, e);
  }
  const all = [...byPid.values()].sort(
    (x, y) => y.scan_peak_mb - y.idle_mb - (x.scan_peak_mb - x.idle_mb)
  );
  const tabRenderer = all[0];
  tabRenderer.scan_growth_mb = tabRenderer.scan_peak_mb - tabRenderer.idle_mb;

  // Each dump of the tab's renderer: what its allocators hold (MB).
  const mb = attrs =>
    attrs?.size ? Math.round(parseInt(attrs.size.value, 16) / 1048576) : 0;
  const byDump = new Map();
  for (const e of traceEvents) {
    if (e.ph === 'v' && e.pid === tabRenderer.pid) {
      const got = byDump.get(e.id) ?? {};
      Object.assign(got, e.args.dumps);
      byDump.set(e.id, got);
    }
  }
  const parts = [...byDump.entries()]
    .sort(([x], [y]) => parseInt(x, 16) - parseInt(y, 16))
    .map(([, { allocators = {}, process_totals: totals }], i) => {
      const size = name => mb(allocators[name]?.attrs);
      return {
        label: dumps[i]?.label ?? `dump ${i}`,
        private_footprint_mb: totals?.private_footprint_bytes
          ? Math.round(parseInt(totals.private_footprint_bytes, 16) / 1048576)
          : null,
        v8_page_mb: size('v8/main'),
        v8_worker_mb: size('v8/workers'),
        partition_buffer_mb: size('partition_alloc/partitions/buffer'),
        partition_array_buffer_mb: size(
          'partition_alloc/partitions/array_buffer'
        ),
        partition_other_mb:
          size('partition_alloc') -
          size('partition_alloc/partitions/buffer') -
          size('partition_alloc/partitions/array_buffer'),
        malloc_mb: size('malloc'),
        blink_gc_mb: size('blink_gc')
      };
    });
  console.table(parts);
  log(`the tab's renderer: ${JSON.stringify(tabRenderer)}`);
  const report = {
    when: new Date().toISOString(),
    collection,
    scan_seconds: scanSeconds,
    summary,
    renderer: tabRenderer,
    renderers: all,
    note: "private memory (RssAnon + RssShmem) of the tab's renderer process (the page and the scan's dedicated worker; Chromium gives a dedicated worker no process of its own), with no DevTools agent but tracing attached; idle = just before Detect",
    dumps: parts,
    timeline: samples.filter(s => s.pid === tabRenderer.pid)
  };
  if (out) {
    writeFileSync(out, JSON.stringify(report, null, 1) + '\n');
    log(`written ${out}`);
  }
} finally {
  clearInterval(sampler);
  socket?.close();
  chrome.kill();
  await sleep(500);
  rmSync(profile, { recursive: true, force: true });
}
