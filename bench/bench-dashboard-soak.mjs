// Soak of @taskfit/dashboard: a TaskPool runs 100,000 tasks (a mix of names, fractional-GPU tasks
// and failures) with the dashboard served and its page open in a real headless Chromium. Records,
// every 10,000 tasks: the server's heap and RSS (after a forced GC), the page's JS heap and DOM
// size, how long the page takes to answer (a round trip through its event loop) and how much the
// page keeps. Memory must stay flat: the dashboard's structures are capped (see its README).
// Usage: node --expose-gc bench-dashboard-soak.mjs [--tasks 100000] [--batch 2000] [--threads N]
/* global window, document -- used in functions that run in the page (page.evaluate) */
import { availableParallelism, loadavg } from 'node:os';
import { chromium } from 'playwright-core';
import { TaskPool } from '@taskfit/piscina-adapter';
import { serveDashboard } from '@taskfit/dashboard';
import { ensureChromium } from '../scripts/chromium.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const TASKS = arg('tasks', 100_000);
const BATCH = arg('batch', 2_000);
const THREADS = arg('threads', availableParallelism());
const EVERY = Math.max(BATCH, Math.floor(TASKS / 10));
const MB = 2 ** 20;

const gc = globalThis.gc ?? (() => {});
const { path: executablePath } = await ensureChromium();
console.log(
  `node ${process.version}, ${availableParallelism()} CPUs, load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
console.log(`${TASKS} tasks in batches of ${BATCH} on ${THREADS} threads, dashboard page open in ${executablePath}`);

const pool = new TaskPool({
  filename: new URL('./fixtures/bench-worker.mjs', import.meta.url),
  resources: { CPU: THREADS, GPU: 2 },
  maxThreads: THREADS,
});
const dash = await serveDashboard({ pools: [pool] });
const browser = await chromium.launch({
  executablePath,
  args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
});
const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
const cdp = await page.context().newCDPSession(page);
await cdp.send('Performance.enable');
await page.goto(dash.url);
await page.waitForSelector('#status[data-status="live"]');

const noop = pool.remote('default', { numCpus: 1 });
const names = Array.from({ length: 50 }, (_, i) => noop.options({ name: `task-${i}` }));
// maxCalls: 0 keeps GPU tasks from retiring their thread after each call (the GPU default is 1).
const gpu = pool.remote('default', { name: 'gpu-share', numGpus: 0.5, numCpus: 0.5, maxCalls: 0 });
const failing = pool.remote('missingExport', { name: 'fails' }); // no such export: fails at once

const rows = [];
async function measure(done) {
  gc();
  const mem = process.memoryUsage();
  const t0 = performance.now();
  const sizes = await page.evaluate(() => window.taskfitDashboard.sizes());
  const roundTrip = performance.now() - t0;
  const { metrics } = await cdp.send('Performance.getMetrics');
  const metric = (n) => metrics.find((m) => m.name === n)?.value ?? 0;
  rows.push({
    tasks: done,
    serverHeapMB: +(mem.heapUsed / MB).toFixed(1),
    serverRssMB: +(mem.rss / MB).toFixed(1),
    pageHeapMB: +(metric('JSHeapUsedSize') / MB).toFixed(1),
    pageNodes: metric('Nodes'),
    pageAnswerMs: +roundTrip.toFixed(1),
    pageRows: sizes.rows,
    pageAttempts: sizes.attempts,
    domRows: sizes.domRows,
    bars: sizes.bars,
  });
  console.log(JSON.stringify(rows.at(-1)));
}

const start = performance.now();
await measure(0);
let done = 0;
while (done < TASKS) {
  const n = Math.min(BATCH, TASKS - done);
  const refs = [];
  for (let i = 0; i < n; i++) {
    const k = done + i;
    if (k % 100 === 99) refs.push(Promise.resolve(failing.remote(k)).catch(() => {}));
    else if (k % 10 === 0) refs.push(gpu.remote(k));
    else refs.push(names[k % names.length].remote(k));
  }
  await Promise.all(refs);
  done += n;
  if (done % EVERY === 0 || done === TASKS) await measure(done);
}
const seconds = (performance.now() - start) / 1000;
// The page has caught up: its FINISHED count is the pool's (the last 10,000 tasks it remembers).
const finished = String(pool.summarizeTasks().byState.FINISHED ?? 0);
await page.waitForFunction(
  (n) => document.querySelector('.count[data-state="FINISHED"] b')?.textContent === n,
  finished,
  {
    timeout: 60_000,
  },
);
console.log('');
console.table(rows);
const first = rows[1] ?? rows[0];
const last = rows.at(-1);
console.log(
  `${TASKS} tasks in ${seconds.toFixed(1)} s (${Math.round(TASKS / seconds)} tasks/s with the dashboard open); ` +
    `server heap ${first.serverHeapMB} → ${last.serverHeapMB} MB, RSS ${first.serverRssMB} → ${last.serverRssMB} MB ` +
    `(from ${first.tasks} to ${last.tasks} tasks); page heap ${first.pageHeapMB} → ${last.pageHeapMB} MB, ` +
    `page answers in ${last.pageAnswerMs} ms; load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
);
await browser.close();
await dash.close();
await pool.close();
