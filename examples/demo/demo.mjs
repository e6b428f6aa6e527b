// `npm run demo`: a realistic mixed workload on taskfit's local pool (TaskPool on Piscina
// threads), sized from this machine's detected resources.
//
//   CPU tasks · fractional-GPU tasks (simulated GPUs when there are none) · a task that crashes
//   its worker and is retried · an allow-listed exception that is retried (and one that is not)
//   · numReturns: 2 · a placement group · nested tasks (a task that fans out to child tasks, each
//   with two grandchildren, shown as a tree in the timeline)
//
// It prints one line per task event while it runs, then a per-task timeline and a resource
// utilisation summary computed from the task events, and writes the run as a Chrome trace
// (timeline.json, for Perfetto or chrome://tracing) into a fresh temporary folder (or --out DIR).
// Exits 0 when every task ended as expected.
//
//   npm run demo -- --dashboard [--port 8265]   also serves the live dashboard while it runs, and
//                                              keeps the pool and the dashboard open afterwards
//                                              (Ctrl-C to stop)
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { detectNodeResources } from '@taskfit/core/node';
import { TaskPool } from '@taskfit/piscina-adapter';
import { Progress, formatResources, table, timelineTable, utilisationSummary } from './report.mjs';

const argv = process.argv.slice(2);
const option = (name) => {
  const i = argv.indexOf(`--${name}`);
  return i === -1 ? undefined : argv[i + 1];
};
const withDashboard = argv.includes('--dashboard');
const out = process.stdout;
// `npm run demo | head` closes the pipe early: stop quietly instead of crashing on EPIPE.
out.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
const t0 = Date.now();

// ---- 1. The node: detected resources, plus simulated GPUs when there are none -------------
const detected = await detectNodeResources();
const resources = { ...detected.resources };
// CPU-bound demo tasks need at least two CPUs' worth of slots to show any overlap.
if (!(resources.CPU >= 2)) resources.CPU = 2;
let gpuNote;
if (!(resources.GPU > 0)) {
  resources.GPU = 2;
  const why = detected.sources.gpuNote ? ` (${detected.sources.gpuNote})` : '';
  gpuNote = `no GPU detected${why}: simulating 2 GPUs. The ledger, GPU ids and CUDA_VISIBLE_DEVICES are real; the devices are not.`;
} else {
  gpuNote = `detected ${resources.GPU} GPU(s)${detected.acceleratorType ? ` (${detected.acceleratorType})` : ''}`;
}
console.log('taskfit demo: a mixed workload on the local pool');
console.log(`node: ${formatResources(resources)}`);
console.log(gpuNote);
console.log('');

// Threads: up to 6, enough for the fractional tasks that fit at once (Piscina's default is 1.5 per CPU).
const pool = new TaskPool({
  filename: new URL('./tasks.mjs', import.meta.url).href,
  resources,
  labels: detected.labels,
  acceleratorType: detected.acceleratorType, // e.g. 'H100', from the GPU name
  visibleDevices: detected.visibleDevices, // a pre-set CUDA_VISIBLE_DEVICES is honoured
  maxThreads: 6,
});
let dashboard;
if (withDashboard) {
  const { serveDashboard } = await import('@taskfit/dashboard');
  const port = Number(option('port') ?? 8265);
  try {
    dashboard = await serveDashboard({ pools: [pool], port, title: 'taskfit demo' });
  } catch (err) {
    if (err.code !== 'EADDRINUSE') throw err;
    dashboard = await serveDashboard({ pools: [pool], port: 0, title: 'taskfit demo' }); // taken: any free port
  }
  console.log(`dashboard: ${dashboard.url}`);
  console.log('');
}
const progress = new Progress(out, pool, t0);
pool.events.on('taskEvent', (e) => progress.onEvent(e));

// ---- 2. Declare the tasks once; vary per call with .options() -------------------------------
const primes = pool.remote('primes', { numCpus: 1, memory: 256 * 2 ** 20 });
const embed = pool.remote('embed', { numGpus: 0.5, numCpus: 0.25 }); // GPU tasks: maxCalls 1 by default
const crashOnce = pool.remote('crashOnce', { numCpus: 1, maxRetries: 2, name: 'crash-once' });
const fetchShard = pool.remote('fetchShard', {
  numCpus: 0.5,
  maxRetries: 3,
  retryExceptions: ['RateLimitError'],
  name: 'fetch-shard',
  _metadata: { 'taskfit.io/retry': { initialDelayMs: 100 } },
});
const validateRecord = pool.remote('validateRecord', { numCpus: 0.5, retryExceptions: ['RateLimitError'] });
const split = pool.remote('splitDataset', { numReturns: 2, numCpus: 1, name: 'split-dataset' });
const stage = pool.remote('stage');
const ingest = pool.remote('ingest', { numCpus: 0, name: 'ingest' });

const expectations = [];
const expect = (what, ok, detail) => expectations.push({ what, ok, detail });

// Placement group: reserve a CPU bundle and a half-GPU bundle atomically, as a gang.
const pg = pool.createPlacementGroup({
  name: 'pipeline',
  strategy: 'PACK',
  bundles: [{ CPU: 0.5 }, { CPU: 0.25, GPU: 0.5 }],
});
console.log(
  `placement group '${pg.name ?? 'pipeline'}': ${pg.state}, bundles ${pg.bundles
    .map((b) => `[${formatResources(b.resources)}]`)
    .join(' ')} reserved atomically`,
);
const inBundle = (bundleIndex) => ({
  schedulingStrategy: { type: 'placementGroup', placementGroup: pg, bundleIndex },
});

const work = [];
// CPU tasks (six of them on the CPUs the node has).
for (let i = 1; i <= 6; i++) {
  work.push(
    primes
      .options({ name: `primes-${i}` })
      .remote(200_000 * i, 600)
      .then((n) => expect(`primes-${i}`, n > 0, `${n} primes`)),
  );
}
// Fractional GPU tasks: two share each device.
for (let i = 1; i <= 4; i++) {
  work.push(
    embed
      .options({ name: `embed-${i}` })
      .remote(i, 1200)
      .then((r) =>
        expect(`embed-${i}`, r.gpuIds.length === 1, `gpu ${r.gpuIds} CUDA_VISIBLE_DEVICES=${r.cudaVisibleDevices}`),
      ),
  );
}
// A whole-GPU task.
work.push(
  embed
    .options({ numGpus: 1, name: 'embed-large' })
    .remote(99, 1000)
    .then((r) => expect('embed-large', r.gpuIds.length === 1, `gpu ${r.gpuIds}`)),
);
// A worker crash (process.exit in the thread) → WorkerCrashedError → retried.
work.push(crashOnce.remote(300).then((r) => expect('crash-once', /attempt 1/.test(r), r)));
// An allow-listed exception: RateLimitError twice, then success on the third attempt.
work.push(fetchShard.remote(7, 200).then((r) => expect('fetch-shard', r.rows === 1007, `${r.rows} rows`)));
// A non-allow-listed exception fails at once, without retries.
work.push(
  validateRecord
    .options({ name: 'validate-record' })
    .remote({ name: 'x' })
    .then(
      () => expect('validate-record', false, 'unexpectedly succeeded'),
      (err) =>
        expect(
          'validate-record',
          err.name === 'TaskError' && err.errorType === 'ValidationError' && err.attempts === 1,
          `${err.errorType} after ${err.attempts} attempt(s), not retried`,
        ),
    ),
);
// numReturns: 2 → two ObjectRefs.
const [trainRef, testRef] = split.remote(1000, 400);
work.push(
  Promise.all([trainRef, testRef]).then(([train, test]) =>
    expect('split-dataset', train.length === 800 && test.length === 200, `train ${train.length}, test ${test.length}`),
  ),
);
// Tasks inside the placement group's bundles; the group is removed (its reservation returned)
// as soon as the pipeline is done.
work.push(
  Promise.all([
    stage
      .options({ name: 'pg-preprocess', numCpus: 0.5, ...inBundle(0) })
      .remote('preprocess', 800)
      .then((r) => expect('pg-preprocess', true, `bundle 0: ${formatResources(r.resources)}`)),
    stage
      .options({ name: 'pg-infer', numCpus: 0.25, numGpus: 0.5, ...inBundle(1) })
      .remote('infer', 800)
      .then((r) => expect('pg-infer', r.gpuIds.length === 1, `bundle 1: gpu ${r.gpuIds}`)),
  ]).finally(() => {
    pool.removePlacementGroup(pg);
    console.log(`placement group 'pipeline': ${pg.state}, its reservation returned to the node`);
  }),
);

// Nested tasks: ingest fans out to three shard children, each with a parse and a checksum grandchild.
work.push(
  ingest
    .remote(3, 400)
    .then((r) =>
      expect(
        'ingest',
        r.shards === 3 && r.rows === 600 && r.checksums.every((c) => c > 0),
        `${r.shards} shard child tasks, each parsed and checksummed by two grandchildren: ${r.rows} rows`,
      ),
    ),
);

await Promise.all(work);
progress.end();

// ---- 3. Report, from task events only --------------------------------------------------------
const tasks = pool.listTasks();
const summary = pool.summarizeTasks();
const { total, available } = pool.resources;
const outDir = option('out') !== undefined ? resolve(option('out')) : mkdtempSync(join(tmpdir(), 'taskfit-demo-'));
mkdirSync(outDir, { recursive: true });
const timelinePath = join(outDir, 'timeline.json');
writeFileSync(timelinePath, JSON.stringify(pool.timeline()));
if (!withDashboard) await pool.close();

console.log('');
console.log('Per-task timeline');
console.log(timelineTable(tasks));
console.log('');
console.log('Resource utilisation (from task events)');
console.log(utilisationSummary(tasks, total));
const retried = tasks.filter((t) => t.attempt > 0).map((t) => `${t.name} (${t.attempt + 1} attempts)`);
console.log(
  `tasks: ${summary.total} | ${Object.entries(summary.byState)
    .map(([s, n]) => `${s} ${n}`)
    .join(' | ')} | retried: ${retried.join(', ') || 'none'}`,
);
const leaked = Object.keys(total).filter((k) => Math.abs((available[k] ?? 0) - total[k]) > 1e-9);
console.log(
  `ledger after the run: ${leaked.length === 0 ? 'every reserved unit released' : `NOT released: ${leaked}`}`,
);
console.log('');
console.log('Outcomes');
console.log(
  table(
    ['task', 'ok', 'detail'],
    expectations.map((x) => [x.what, x.ok ? 'yes' : 'NO', String(x.detail)]),
  ),
);
const failed = expectations.filter((x) => !x.ok);
console.log('');
console.log(`timeline (Chrome trace; open it in https://ui.perfetto.dev or chrome://tracing): ${timelinePath}`);
console.log(`demo finished in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
if (dashboard !== undefined) {
  console.log(`dashboard: ${dashboard.url} — the pool stays open; press Ctrl-C to stop`);
  await new Promise((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  await dashboard.close();
  await pool.close();
}
if (failed.length > 0 || leaked.length > 0) {
  console.error(`unexpected outcome: ${failed.map((x) => x.what).join(', ')}`);
  process.exit(1);
}
