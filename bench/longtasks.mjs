// The browser half of bench/longtasks.py: drives a real JupyterLab in /usr/bin/chromium (playwright
// from ui-tests/node_modules), records every long task of the page's main thread while the panel
// scans a collection and while its group list scrolls, and the frame gaps of the scroll.
//
//   node bench/longtasks.mjs --url http://localhost:8915 --collection bench [--out file.json]
import { createRequire } from 'module';
import { writeFileSync } from 'fs';
import { dirname, join } from 'path';
import { fileURLToPath } from 'url';
import { arg, memoryOf, rendererPids } from './browser_common.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '..', 'ui-tests', 'package.json'));
const { chromium } = require('playwright');

const url = arg('--url', 'http://localhost:8915');
const collection = arg('--collection', 'bench');
const scanTimeout = Number(arg('--scan-timeout', 3_600_000));
const out = arg('--out');
const label = arg('--label', '');
const n = Number(arg('--n', 0));
// The CPU profile and the trace start at this scan phase (as the progress bar names it), not at
// Detect: a 1M scan's 80 minutes of trace would not fit in memory.
const traceFrom = arg('--trace-from', '');

/**
 * The renderers' private memory every 500 ms, by the phase this script is in: the tab's
 * renderer holds the page and the scan's worker (a dedicated worker runs in its page's process).
 */
const memory = { phase: 'load', byPid: {}, timeline: [] };
const memoryTimer = setInterval(() => {
  for (const pid of rendererPids(process.pid)) {
    const got = memoryOf(pid);
    if (got === null) {
      continue;
    }
    const mb = got.private;
    const entry = (memory.byPid[pid] ??= { peaks: {}, last: {} });
    entry.peaks[memory.phase] = Math.max(entry.peaks[memory.phase] ?? 0, mb);
    entry.last[memory.phase] = mb;
    if (memory.timeline.length < 20_000) {
      memory.timeline.push({
        t: Date.now(),
        pid,
        phase: memory.phase,
        mb: Math.round(mb),
        shmem_mb: Math.round(got.shmem)
      });
    }
  }
}, 500);

/** A profile's nodes by id and each node's parent, made once per profile. */
const indexes = new WeakMap();
function indexOf(profile) {
  let index = indexes.get(profile);
  if (!index) {
    const nodes = new Map(profile.nodes.map(n => [n.id, n]));
    const parent = new Map();
    for (const n of profile.nodes) {
      for (const c of n.children ?? []) {
        parent.set(c, n.id);
      }
    }
    index = { nodes, parent };
    indexes.set(profile, index);
  }
  return index;
}

/** A call frame as the printed tables name it: function, file and line. */
function frameName(f) {
  return `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber + 1}`;
}

/** Self time per function of a CPU profile (the last `tailMs` only, when given), most first. */
function topFunctions(profile, tailMs) {
  const { nodes } = indexOf(profile);
  const total = profile.timeDeltas.reduce((x, y) => x + y, 0);
  const self = new Map();
  let t = 0;
  profile.samples.forEach((id, i) => {
    t += profile.timeDeltas[i];
    if (tailMs !== undefined && total - t > tailMs * 1000) {
      return;
    }
    const f = nodes.get(id).callFrame;
    if (f.functionName === '(idle)') {
      return;
    }
    const name = frameName(f);
    self.set(name, (self.get(name) ?? 0) + profile.timeDeltas[i]);
  });
  return [...self]
    .map(([name, us]) => ({ name, self_ms: Math.round(us / 1000) }))
    .sort((x, y) => y.self_ms - x.self_ms)
    .slice(0, 30);
}

/** The renderer main thread's top-level tasks of a trace, with wall and CPU milliseconds. */
function mainThreadTasks(trace) {
  const events = trace.traceEvents ?? trace;
  const main = new Set(
    events
      .filter(
        e =>
          e.ph === 'M' &&
          e.name === 'thread_name' &&
          e.args?.name === 'CrRendererMain'
      )
      .map(e => `${e.pid}:${e.tid}`)
  );
  return events
    .filter(
      e =>
        e.ph === 'X' &&
        main.has(`${e.pid}:${e.tid}`) &&
        /RunTask/.test(e.name) &&
        typeof e.dur === 'number'
    )
    .map(e => ({
      wall_ms: Math.round(e.dur / 1000),
      cpu_ms: Math.round((e.tdur ?? e.dur) / 1000),
      ts: e.ts,
      dur: e.dur
    }));
}

/**
 * What ran during a task (trace `ts` and `dur`, microseconds, the CPU profile's clock): the
 * profile's samples in its window, by their innermost frames (up to four, innermost first),
 * most milliseconds first.
 */
function ranDuring(task, profiles) {
  const profile = profiles.find(
    p => p.startTime <= task.ts && task.ts <= p.endTime
  );
  if (!profile) {
    // Where it was instead, against each profile (ms): e.g. just after one stopped, when the
    // profiler serialises it on this thread.
    const where = profiles
      .map(
        (p, k) =>
          `profile ${k}: ${Math.round((task.ts - p.startTime) / 1000)} ms after its start, ` +
          `${Math.round((task.ts - p.endTime) / 1000)} ms after its end`
      )
      .join('; ');
    return [{ stack: `outside the CPU profiles (${where})`, ms: 0 }];
  }
  const { nodes, parent } = indexOf(profile);
  const spent = new Map();
  let t = profile.startTime;
  profile.samples.forEach((id, i) => {
    t += profile.timeDeltas[i];
    if (t < task.ts || t > task.ts + task.dur) {
      return;
    }
    const frames = [];
    for (
      let at = id;
      at !== undefined && frames.length < 4;
      at = parent.get(at)
    ) {
      const f = nodes.get(at).callFrame;
      if (f.functionName !== '(root)') {
        frames.push(frameName(f));
      }
    }
    const key = frames.join(' < ');
    spent.set(key, (spent.get(key) ?? 0) + profile.timeDeltas[i]);
  });
  return [...spent]
    .map(([stack, us]) => ({ stack, ms: Math.round(us / 1000) }))
    .filter(x => x.ms > 0)
    .sort((x, y) => y.ms - x.ms)
    .slice(0, 6);
}

const log = message =>
  console.log(
    `[longtasks ${new Date().toISOString().slice(11, 19)}] ${message}`
  );

// Installed before any page script: the observer sees every long task from the first load on;
// each is stamped with the phase the page was in when it started (from the marks below).
function observe() {
  window.__ndLong = [];
  window.__ndMarks = [{ t: 0, phase: 'load' }];
  window.__ndMark = phase => {
    window.__ndMarks.push({ t: performance.now(), phase });
  };
  new PerformanceObserver(list => {
    for (const e of list.getEntries()) {
      window.__ndLong.push({ start: e.startTime, duration: e.duration });
    }
  }).observe({ type: 'longtask', buffered: true });
  // The scan's own phases, as the progress bar shows them (checked between tasks).
  setInterval(() => {
    const bar = document.querySelector('.jp-NearDuplicates-progress');
    const phase = bar
      ? [...bar.classList]
          .find(c => c.startsWith('jp-NearDuplicates-progress-'))
          ?.slice('jp-NearDuplicates-progress-'.length)
      : null;
    const marks = window.__ndMarks;
    const last = marks[marks.length - 1].phase;
    if (phase && last.startsWith('scan') && last !== `scan:${phase}`) {
      window.__ndMark(`scan:${phase}`);
    }
  }, 250);
}

/**
 * The finished scan's pairs as the panel holds them (its model's outcome, reached through
 * `window.jupyterapp`, which Galata's server config exposes), written as point ids: all the
 * first ends, then all the second ends, little-endian uint32. bench/longtasks.py scores them
 * against the benchmark's exact truth. Read after the measured phases, in pieces.
 */
async function savePairs(page, file) {
  const count = await page.evaluate(() => {
    const panel = [...window.jupyterapp.shell.widgets('left')].find(
      w => w.id === 'jp-near-duplicates-panel'
    );
    window.__ndResult = panel.model.outcome.result;
    return window.__ndResult.pairs.a.length;
  });
  const a = new Uint32Array(count);
  const b = new Uint32Array(count);
  const piece = 500_000;
  for (let from = 0; from < count; from += piece) {
    const got = await page.evaluate(
      ([from, to]) => {
        const { pairs, points } = window.__ndResult;
        const ends = (list, out = []) => {
          for (let k = from; k < to; k++) {
            out.push(Number(points.ids[list[k]]));
          }
          return out;
        };
        return { a: ends(pairs.a), b: ends(pairs.b) };
      },
      [from, Math.min(count, from + piece)]
    );
    a.set(got.a, from);
    b.set(got.b, from);
  }
  await page.evaluate(() => delete window.__ndResult);
  const bytes = Buffer.concat([Buffer.from(a.buffer), Buffer.from(b.buffer)]);
  writeFileSync(file, bytes);
  log(`${count.toLocaleString('en')} pairs written to ${file}`);
  return { count, file };
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync'
  ]
});
try {
  const page = await browser.newPage({
    viewport: { width: 1280, height: 900 }
  });
  await page.addInitScript(observe);
  await page.goto(`${url}/lab`);
  const tab = page.locator(
    '.jp-SideBar.jp-mod-left [data-id="jp-near-duplicates-panel"]'
  );
  await tab.waitFor({ timeout: 120_000 });
  await tab.click();
  const panel = page.locator('#jp-near-duplicates-panel');
  const picker = panel.getByLabel('Collection', { exact: true });
  await picker.waitFor({ timeout: 180_000 });
  await page.waitForFunction(
    name =>
      [...document.querySelectorAll('#jp-near-duplicates-panel option')].some(
        o => o.value === name
      ),
    collection,
    { timeout: 60_000 }
  );
  await picker.selectOption(collection);
  await page.waitForTimeout(1000);
  await page.evaluate(() => window.__ndMark('idle'));
  memory.phase = 'idle';
  await page.waitForTimeout(2000);

  // A CPU profile of the page's main thread from Detect on: what the long tasks ran.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 1000 });
  // The workers' V8 heaps and ArrayBuffer backing stores, through the browser's DevTools
  // protocol (a dedicated worker has no performance.memory).
  const browserCdp = await browser.newBrowserCDPSession();
  const pending = new Map();
  let nextId = 1;
  browserCdp.on('Target.receivedMessageFromTarget', ({ message }) => {
    const reply = JSON.parse(message);
    pending.get(reply.id)?.(reply);
    pending.delete(reply.id);
  });
  const attached = new Map();
  // The largest of each the polls saw (committed heap, backing stores, their sum at one poll).
  const workerPeak = { heap_mb: 0, backing_mb: 0, sum_mb: 0, polls: 0 };
  const workerHeaps = async () => {
    const { targetInfos } = await browserCdp.send('Target.getTargets');
    const out = [];
    for (const t of targetInfos.filter(x => x.type === 'worker')) {
      if (!attached.has(t.targetId)) {
        const { sessionId } = await browserCdp.send('Target.attachToTarget', {
          targetId: t.targetId,
          flatten: false
        });
        attached.set(t.targetId, sessionId);
      }
      const id = nextId++;
      const reply = new Promise(resolve => pending.set(id, resolve));
      await browserCdp.send('Target.sendMessageToTarget', {
        sessionId: attached.get(t.targetId),
        message: JSON.stringify({ id, method: 'Runtime.getHeapUsage' })
      });
      const r = (
        await Promise.race([
          reply,
          new Promise(res => setTimeout(() => res(null), 5000))
        ])
      )?.result;
      const mb = x => (x === undefined ? '?' : Math.round(x / 1048576));
      if (r) {
        workerPeak.heap_mb = Math.max(workerPeak.heap_mb, mb(r.totalSize));
        workerPeak.backing_mb = Math.max(
          workerPeak.backing_mb,
          mb(r.backingStorageSize)
        );
        workerPeak.sum_mb = Math.max(
          workerPeak.sum_mb,
          mb(r.totalSize) + mb(r.backingStorageSize)
        );
        workerPeak.polls += 1;
      }
      out.push(
        r
          ? `${t.url.split('/').pop()}: heap ${mb(r.usedSize)}/${mb(r.totalSize)} MB, backing stores ${mb(r.backingStorageSize)} MB, embedder ${mb(r.embedderHeapUsedSize)} MB`
          : `${t.url.split('/').pop()}: no answer`
      );
    }
    return out.join('; ') || 'none';
  };
  let traced = false;
  const startTrace = async () => {
    traced = true;
    await cdp.send('Profiler.start');
    // A trace of the renderer's tasks: wall and thread-CPU time of each (on a loaded machine a
    // task's wall time includes the time its thread waited for a core).
    await browser.startTracing(page, { categories: ['toplevel'] });
  };
  if (!traceFrom) {
    await startTrace();
  }
  // The page's own JS heap (performance.memory, committed MB) before Detect and after the scroll.
  const pageHeapMb = () =>
    page.evaluate(() =>
      Math.round(performance.memory.totalJSHeapSize / 1048576)
    );
  const pageHeap = { idle_mb: await pageHeapMb() };
  log(`Detect on ${collection}`);
  const t0 = Date.now();
  await page.evaluate(() => window.__ndMark('scan'));
  memory.phase = 'scan';
  await panel.getByRole('button', { name: 'Detect Duplicates' }).click();
  let lastText = '';
  const summary = panel.locator('.jp-NearDuplicates-summary');
  for (;;) {
    if (await summary.count()) {
      break;
    }
    if (Date.now() - t0 > scanTimeout) {
      throw new Error(`the scan did not finish in ${scanTimeout / 1000} s`);
    }
    const text = await panel
      .locator('.jp-NearDuplicates-progressText')
      .first()
      .textContent({ timeout: 1000 })
      .catch(() => null);
    if (text && text !== lastText && Date.now() % 30_000 < 2_000) {
      log(text);
      lastText = text;
      // JS heaps (Chromium's performance.memory, where a context has it): the page's and the workers'.
      const heap = async target =>
        target
          .evaluate(() =>
            self.performance.memory
              ? `${Math.round(self.performance.memory.usedJSHeapSize / 1048576)}/${Math.round(self.performance.memory.totalJSHeapSize / 1048576)} MB`
              : 'n/a'
          )
          .catch(e => `error ${String(e).slice(0, 60)}`);
      log(
        `  JS heap used/total: page ${await heap(page)}; workers ${await workerHeaps()}`
      );
    }
    const error = await panel.locator('.jp-NearDuplicates-error').count();
    if (error) {
      throw new Error(
        `the scan failed: ${await panel.locator('.jp-NearDuplicates-error').first().textContent()}`
      );
    }
    if (!traced) {
      // At the phase named or any later one, or in the last 3% of the scanning before it
      // (a phase can pass between two polls).
      const order = [
        'listing',
        'scanning',
        'checking',
        'details',
        'grouping',
        'complete'
      ];
      const now = (
        await page.evaluate(
          () => window.__ndMarks[window.__ndMarks.length - 1].phase
        )
      ).replace('scan:', '');
      const counted = /([\d,]+)\/([\d,]+)/.exec(text ?? '');
      const share = counted
        ? Number(counted[1].replace(/,/g, '')) /
          Number(counted[2].replace(/,/g, ''))
        : 0;
      if (
        order.indexOf(now) >= order.indexOf(traceFrom) ||
        (now === 'scanning' && order.indexOf(traceFrom) > 1 && share >= 0.97)
      ) {
        log(`${now} (${text}): the CPU profile and the trace start`);
        await startTrace();
      }
    }
    // Polls rarely: playwright's own queries run on the page's thread too.
    await page.waitForTimeout(2000);
  }
  if (!traced) {
    log(
      `the scan ended before ${traceFrom} was seen: the trace covers only the scroll`
    );
    await startTrace();
  }
  const scanSeconds = (Date.now() - t0) / 1000;
  await page.evaluate(() => window.__ndMark('result'));
  memory.phase = 'result';
  log(
    `scan done in ${scanSeconds.toFixed(0)} s: ${await summary.textContent()}`
  );
  await page.waitForTimeout(3000);
  const { profile: scanProfile } = await cdp.send('Profiler.stop');
  await cdp.send('Profiler.start');

  // Scroll the group list with the mouse wheel (as a user does), then jump to the end and
  // back with the keyboard; rAF gaps say how smooth it was.
  memory.phase = 'scroll';
  await page.evaluate(() => {
    window.__ndMark('scroll');
    window.__ndFrames = [];
    let last = performance.now();
    const tick = now => {
      window.__ndFrames.push(now - last);
      last = now;
      if (!window.__ndStopFrames) {
        requestAnimationFrame(tick);
      }
    };
    requestAnimationFrame(tick);
  });
  const viewport = panel.locator('.jp-NearDuplicates-groupViewport');
  const box = await viewport.boundingBox();
  await page.mouse.move(
    box.x + box.width / 2,
    box.y + Math.min(100, box.height / 2)
  );
  for (let i = 0; i < 60; i++) {
    await page.mouse.wheel(0, 400);
    await page.waitForTimeout(30);
  }
  for (let i = 0; i < 20; i++) {
    await page.mouse.wheel(0, -800);
    await page.waitForTimeout(30);
  }
  const firstRow = panel.getByRole('option').first();
  await firstRow.focus();
  await page.keyboard.press('End');
  await page.waitForTimeout(300);
  for (let i = 0; i < 10; i++) {
    await page.keyboard.press('PageUp');
    await page.waitForTimeout(50);
  }
  await page.keyboard.press('Home');
  await page.waitForTimeout(500);
  await page.evaluate(() => {
    window.__ndStopFrames = true;
    window.__ndMark('end');
  });

  const { profile: scrollProfile } = await cdp.send('Profiler.stop');
  pageHeap.after_scroll_mb = await pageHeapMb();
  const cpuTasks = mainThreadTasks(
    JSON.parse(String(await browser.stopTracing()))
  );
  const { longTasks, marks, frames, groups } = await page.evaluate(() => ({
    longTasks: window.__ndLong,
    marks: window.__ndMarks,
    frames: window.__ndFrames,
    groups: document.querySelector('.jp-NearDuplicates-summary')?.textContent
  }));
  const phaseAt = t => {
    let phase = marks[0].phase;
    for (const m of marks) {
      if (m.t <= t) {
        phase = m.phase;
      }
    }
    return phase;
  };
  const tasks = longTasks.map(x => ({
    start_ms: Math.round(x.start),
    duration_ms: Math.round(x.duration),
    phase: phaseAt(x.start)
  }));
  const inScanOrAfter = tasks.filter(
    x =>
      x.phase.startsWith('scan') || x.phase === 'result' || x.phase === 'scroll'
  );
  const maxOf = xs => xs.reduce((m, x) => Math.max(m, x.duration_ms), 0);
  const byPhase = {};
  for (const x of tasks) {
    const p = (byPhase[x.phase] ??= { count: 0, max_ms: 0, total_ms: 0 });
    p.count++;
    p.max_ms = Math.max(p.max_ms, x.duration_ms);
    p.total_ms += x.duration_ms;
  }
  const sorted = [...frames].sort((a, b) => a - b);
  const scroll = {
    frames: frames.length,
    frame_ms_median: Math.round(sorted[Math.floor(sorted.length / 2)] ?? 0),
    frame_ms_p95: Math.round(sorted[Math.floor(sorted.length * 0.95)] ?? 0),
    frame_ms_max: Math.round(sorted[sorted.length - 1] ?? 0),
    frames_over_50ms: frames.filter(f => f > 50).length
  };
  console.log('\nlong tasks (start ms since page load, duration ms, phase):');
  for (const x of tasks) {
    console.log(
      `  ${String(x.start_ms).padStart(8)}  ${String(x.duration_ms).padStart(6)}  ${x.phase}`
    );
  }
  console.log('\nper phase:');
  for (const [p, v] of Object.entries(byPhase)) {
    console.log(
      `  ${p.padEnd(16)} ${String(v.count).padStart(4)} tasks, max ${v.max_ms} ms, total ${v.total_ms} ms`
    );
  }
  console.log(
    `\nmax long task from Detect to the end of scrolling: ${maxOf(inScanOrAfter)} ms` +
      ` (over 100 ms: ${inScanOrAfter.filter(x => x.duration_ms > 100).length})`
  );
  console.log(`scroll: ${JSON.stringify(scroll)}`);
  const profiles = {
    scan: topFunctions(scanProfile),
    'result (last 8 s of the scan profile)': topFunctions(scanProfile, 8000),
    scroll: topFunctions(scrollProfile)
  };
  for (const [name, top] of Object.entries(profiles)) {
    console.log(`\nmain-thread CPU by function, ${name} (self ms):`);
    for (const f of top.slice(0, 12)) {
      console.log(`  ${String(f.self_ms).padStart(7)}  ${f.name}`);
    }
  }
  const cpu = {
    tasks_over_50ms_cpu: cpuTasks.filter(x => x.cpu_ms > 50).length,
    tasks_over_100ms_cpu: cpuTasks.filter(x => x.cpu_ms > 100).length,
    max_cpu_ms: cpuTasks.reduce((m, x) => Math.max(m, x.cpu_ms), 0),
    max_wall_ms: cpuTasks.reduce((m, x) => Math.max(m, x.wall_ms), 0),
    longest_by_cpu: [...cpuTasks]
      .sort((x, y) => y.cpu_ms - x.cpu_ms)
      .slice(0, 10)
      .map(({ ts: _ts, dur: _dur, ...x }, k) =>
        k < 3
          ? {
              ...x,
              ran: ranDuring({ ts: _ts, dur: _dur }, [
                scanProfile,
                scrollProfile
              ])
            }
          : x
      )
  };
  for (const task of cpu.longest_by_cpu.slice(0, 3)) {
    console.log(
      `  a task of ${task.cpu_ms} ms CPU (${task.wall_ms} ms wall) ran:`
    );
    for (const r of task.ran ?? []) {
      console.log(`    ${String(r.ms).padStart(5)} ms  ${r.stack}`);
    }
  }
  console.log(
    `\nrenderer main-thread tasks from Detect to the end (trace): max ${cpu.max_cpu_ms} ms CPU` +
      ` (over 100 ms CPU: ${cpu.tasks_over_100ms_cpu}, over 50 ms: ${cpu.tasks_over_50ms_cpu}),` +
      ` max ${cpu.max_wall_ms} ms wall`
  );
  console.log(`  longest by CPU: ${JSON.stringify(cpu.longest_by_cpu)}`);
  clearInterval(memoryTimer);
  // The tab's renderer: the one that grew most from idle to the scan's peak.
  const renderers = Object.entries(memory.byPid).map(([pid, e]) => ({
    pid: Number(pid),
    idle_mb: Math.round(e.last.idle ?? 0),
    scan_peak_mb: Math.round(e.peaks.scan ?? 0),
    result_peak_mb: Math.round(e.peaks.result ?? 0),
    scroll_peak_mb: Math.round(e.peaks.scroll ?? 0)
  }));
  renderers.sort(
    (x, y) => y.scan_peak_mb - y.idle_mb - (x.scan_peak_mb - x.idle_mb)
  );
  const tabProcess = renderers[0];
  const memoryReport = tabProcess
    ? {
        ...tabProcess,
        scan_growth_mb: tabProcess.scan_peak_mb - tabProcess.idle_mb,
        note: "private memory (RssAnon + RssShmem) of the tab's renderer process, which holds the page and the scan's dedicated worker; idle = just before Detect, scan = from Detect until the result shows",
        renderers
      }
    : null;
  console.log(`\nrenderer memory: ${JSON.stringify(memoryReport)}`);
  const pairs = out
    ? await savePairs(page, `${out.replace(/\.json$/, '')}.pairs.u32`)
    : null;
  const report = {
    memory: memoryReport,
    worker_heap_peak: workerPeak,
    page_heap: pageHeap,
    pairs,
    memory_timeline: memory.timeline,
    cpu,
    profiles,
    label,
    n,
    when: new Date().toISOString(),
    scan_seconds: scanSeconds,
    summary: groups,
    max_long_task_ms_from_detect: maxOf(inScanOrAfter),
    over_100ms_from_detect: inScanOrAfter.filter(x => x.duration_ms > 100)
      .length,
    per_phase: byPhase,
    scroll,
    long_tasks: tasks,
    marks
  };
  if (out) {
    writeFileSync(out, JSON.stringify(report, null, 1) + '\n');
    log(`written ${out}`);
  }
} finally {
  clearInterval(memoryTimer);
  await browser.close();
}
