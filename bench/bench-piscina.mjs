// TaskPool vs raw Piscina on the same machine, in one run: 10,000 no-op tasks and 10,000 1 ms
// tasks, throughput and per-task latency (submit → settle). Imports the built packages.
// Usage: node bench-piscina.mjs [--tasks 10000] [--rounds 5] [--threads N]
import { availableParallelism, loadavg } from 'node:os';
import { Piscina } from 'piscina';
import { TaskPool } from '@taskfit/piscina-adapter';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const TASKS = arg('tasks', 10_000);
const ROUNDS = arg('rounds', 7);
const THREADS = arg('threads', availableParallelism());
const HISTORY = arg('history', undefined);
const filename = new URL('./fixtures/bench-worker.mjs', import.meta.url);

function makeRaw() {
  return new Piscina({ filename: filename.href, minThreads: THREADS, maxThreads: THREADS });
}
function makePool() {
  // Enough CPU in the ledger that admission never limits below the thread count.
  return new TaskPool({
    filename,
    minThreads: THREADS,
    maxThreads: THREADS,
    resources: { CPU: THREADS },
    ...(HISTORY === undefined ? {} : { maxTaskHistory: HISTORY }),
  });
}

async function measure(pool, name) {
  const lat = new Float64Array(TASKS);
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  const all = new Array(TASKS);
  for (let i = 0; i < TASKS; i++) {
    const s = performance.now();
    all[i] = pool.run(i, name === undefined ? undefined : { name }).then(() => {
      lat[i] = performance.now() - s;
    });
  }
  await Promise.all(all);
  const wall = performance.now() - t0;
  // Main-thread busy time: the dispatch cost each executor adds, less sensitive to worker scheduling.
  const main = performance.eventLoopUtilization(elu0).active;
  lat.sort();
  return { wall, main, p50: lat[Math.floor(TASKS * 0.5)], p99: lat[Math.floor(TASKS * 0.99)] };
}

async function warm(pool, name) {
  await Promise.all(Array.from({ length: 2000 }, (_, i) => pool.run(i, name === undefined ? undefined : { name })));
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function scenario(label, name) {
  const raw = makeRaw();
  const tp = makePool();
  await warm(raw, name);
  await warm(tp, name);
  const r = { raw: [], tp: [] };
  // Interleave rounds so drift (thermal, GC, other load) hits both equally.
  // Alternate which goes first, so neither always inherits the other's garbage.
  for (let k = 0; k < ROUNDS; k++) {
    for (const who of k % 2 === 0 ? ['raw', 'tp'] : ['tp', 'raw']) {
      globalThis.gc?.();
      r[who].push(await measure(who === 'raw' ? raw : tp, name));
    }
  }
  await raw.close();
  await tp.close();
  const row = (who, runs) => {
    const wall = median(runs.map((x) => x.wall));
    return {
      who,
      wall,
      best: Math.min(...runs.map((x) => x.wall)),
      main: median(runs.map((x) => x.main)),
      throughput: (TASKS / wall) * 1000,
      p50: median(runs.map((x) => x.p50)),
      p99: median(runs.map((x) => x.p99)),
    };
  };
  const a = row('raw Piscina', r.raw);
  const b = row('TaskPool', r.tp);
  console.log(`\n${label}: ${TASKS} tasks, ${THREADS} threads, median of ${ROUNDS} interleaved rounds`);
  console.log('| executor | wall ms (median) | wall ms (best) | tasks/s | p50 ms | p99 ms | main-thread busy ms |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const x of [a, b]) {
    const cells = [
      x.wall.toFixed(1),
      x.best.toFixed(1),
      x.throughput.toFixed(0),
      x.p50.toFixed(2),
      x.p99.toFixed(2),
      x.main.toFixed(1),
    ];
    console.log(`| ${x.who} | ${cells.join(' | ')} |`);
  }
  // On a shared machine the best round is the least disturbed: report both.
  const ratio = b.wall / a.wall;
  const bestRatio = b.best / a.best;
  console.log(`wall-time ratio TaskPool / raw Piscina: median ${ratio.toFixed(3)}×, best ${bestRatio.toFixed(3)}×`);
  return { ratio, bestRatio };
}

const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
// Other work on the machine skews wall times: the load average tells how quiet the run was.
console.log(`Node ${process.version}, ${availableParallelism()} CPUs, load average ${load()}`);
const noop = await scenario('no-op tasks', undefined);
const ms1 = await scenario('1 ms tasks (setTimeout 1 ms)', 'sleep1');
const f = (x) => x.toFixed(3);
console.log(
  `\nsummary (median / best round): no-op ${f(noop.ratio)}× / ${f(noop.bestRatio)}× (target ≤ 1.10×), ` +
    `1 ms ${f(ms1.ratio)}× / ${f(ms1.bestRatio)}× (target ≤ 1.03×); load average at the end ${load()}`,
);
