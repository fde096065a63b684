// The browser half of bench/longtasks.py: drives a real JupyterLab in /usr/bin/chromium (playwright
// from ui-tests/node_modules), records every long task of the page's main thread while the panel
// scans a collection and while its group list scrolls, and the frame gaps of the scroll.
//
//   node bench/longtasks.mjs --url http://localhost:8915 --collection bench [--out file.json]
import { createRequire } from 'module';
import { writeFileSync } from 'fs';
import { dirname, join } from 'path';
import { fileURLToPath } from 'url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '..', 'ui-tests', 'package.json'));
const { chromium } = require('playwright');

const arg = (name, fallback) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : fallback;
};
const url = arg('--url', 'http://localhost:8915');
const collection = arg('--collection', 'bench');
const scanTimeout = Number(arg('--scan-timeout', 3_600_000));
const out = arg('--out');
const label = arg('--label', '');
const n = Number(arg('--n', 0));

/** Self time per function of a CPU profile (the last `tailMs` only, when given), most first. */
function topFunctions(profile, tailMs) {
  const nodes = new Map(profile.nodes.map(n => [n.id, n]));
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
    const file = f.url.split('/').pop();
    const name = `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}`;
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
      cpu_ms: Math.round((e.tdur ?? e.dur) / 1000)
    }));
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
  await page.waitForTimeout(1000);

  // A CPU profile of the page's main thread from Detect on: what the long tasks ran.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 1000 });
  await cdp.send('Profiler.start');
  // A trace of the renderer's tasks: wall and thread-CPU time of each (on a loaded machine a
  // task's wall time includes the time its thread waited for a core).
  await browser.startTracing(page, { categories: ['toplevel'] });
  log(`Detect on ${collection}`);
  const t0 = Date.now();
  await page.evaluate(() => window.__ndMark('scan'));
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
    }
    const error = await panel.locator('.jp-NearDuplicates-error').count();
    if (error) {
      throw new Error(
        `the scan failed: ${await panel.locator('.jp-NearDuplicates-error').first().textContent()}`
      );
    }
    // Polls rarely: playwright's own queries run on the page's thread too.
    await page.waitForTimeout(2000);
  }
  const scanSeconds = (Date.now() - t0) / 1000;
  await page.evaluate(() => window.__ndMark('result'));
  log(
    `scan done in ${scanSeconds.toFixed(0)} s: ${await summary.textContent()}`
  );
  await page.waitForTimeout(3000);
  const { profile: scanProfile } = await cdp.send('Profiler.stop');
  await cdp.send('Profiler.start');

  // Scroll the group list with the mouse wheel (as a user does), then jump to the end and
  // back with the keyboard; rAF gaps say how smooth it was.
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
  };
  console.log(
    `\nrenderer main-thread tasks from Detect to the end (trace): max ${cpu.max_cpu_ms} ms CPU` +
      ` (over 100 ms CPU: ${cpu.tasks_over_100ms_cpu}, over 50 ms: ${cpu.tasks_over_50ms_cpu}),` +
      ` max ${cpu.max_wall_ms} ms wall`
  );
  console.log(`  longest by CPU: ${JSON.stringify(cpu.longest_by_cpu)}`);
  const report = {
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
  await browser.close();
}
