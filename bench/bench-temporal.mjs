// remoteActivity (taskfit) vs plain proxyActivities on a real Temporal dev server, in one run:
// a workflow running N no-op activities, sequentially and all at once, median wall time of
// interleaved rounds. Starts its own dev server with the `temporal` CLI (found or installed by
// scripts/temporal-cli.mjs). Imports the built packages.
// Usage: node bench-temporal.mjs [--activities 500] [--rounds 3] [--only sequential|parallel]
// The all-at-once case runs 3× the rounds (it is short and, on 2 shared cores, noisier).
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { createTaskWorkers } from '@taskfit/temporal-adapter/worker';
import { ensureTemporalCli } from '../scripts/temporal-cli.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const N = arg('activities', 500);
const ROUNDS = arg('rounds', 3);
const onlyIdx = process.argv.indexOf('--only');
const ONLY = onlyIdx === -1 ? undefined : process.argv[onlyIdx + 1];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const cli = await ensureTemporalCli();

Runtime.install({ logger: new DefaultLogger('ERROR') });
const env = await TestWorkflowEnvironment.createLocal({
  server: {
    ...(cli.path !== undefined ? { executable: { type: 'existing-path', path: cli.path } } : {}),
    log: { format: 'pretty', level: 'error' },
    // One partition per task queue: no forwarding between partitions on this single-node server.
    extraArgs: [
      '--dynamic-config-value',
      'matching.numTaskqueueReadPartitions=1',
      '--dynamic-config-value',
      'matching.numTaskqueueWritePartitions=1',
    ],
  },
});
const workflowBundle = await bundleWorkflowCode({
  workflowsPath: fileURLToPath(new URL('./fixtures/temporal-workflows.mjs', import.meta.url)),
  logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error },
});
const activities = {
  async noop(i) {
    return i;
  },
};
const stops = [];
async function workflowWorker(taskQueue) {
  const w = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle });
  const p = w.run();
  stops.push(async () => {
    w.shutdown();
    await p;
  });
}

// Plain: a Worker with the SDK's defaults runs the activities.
await workflowWorker('bench-plain');
const plainConn = await NativeConnection.connect({ address: env.address });
const plain = await Worker.create({ connection: plainConn, taskQueue: 'bench-plain', activities });
const plainRun = plain.run();
stops.push(async () => {
  plain.shutdown();
  await plainRun;
});

// taskfit: createTaskWorkers serving the default class, enough CPU that the ledger never limits
// below the plain Worker's concurrency, and as many pollers as the SDK's default (10).
await workflowWorker('bench-taskfit');
const tfConn = await NativeConnection.connect({ address: env.address });
const tf = await createTaskWorkers({
  connection: tfConn,
  taskQueue: 'bench-taskfit',
  activities,
  resources: { CPU: 200 },
  pollersPerClass: 10,
});
const tfRun = tf.run();
stops.push(async () => {
  await tf.shutdown();
  await tfRun;
});

let seq = 0;
async function once(workflow, taskQueue, parallel, n = N) {
  const t0 = performance.now();
  await env.client.workflow.execute(workflow, { taskQueue, workflowId: `bench-${++seq}`, args: [n, parallel] });
  return performance.now() - t0;
}

console.log(
  `Node ${process.version}, ${availableParallelism()} CPUs, ${N} no-op activities per workflow, median of interleaved rounds (${ROUNDS} sequential, ${ROUNDS * 3} all at once)`,
);
const ratios = {};
for (const parallel of [false, true]) {
  if (ONLY !== undefined && ONLY !== (parallel ? 'parallel' : 'sequential')) continue;
  const rounds = parallel ? ROUNDS * 3 : ROUNDS;
  const label = parallel ? 'all at once (Promise.all)' : 'sequential (await each)';
  await once('viaProxy', 'bench-plain', parallel, 50); // warm-up
  await once('viaRemote', 'bench-taskfit', parallel, 50);
  const r = { plain: [], taskfit: [] };
  for (let k = 0; k < rounds; k++) {
    r.plain.push(await once('viaProxy', 'bench-plain', parallel));
    r.taskfit.push(await once('viaRemote', 'bench-taskfit', parallel));
  }
  const a = median(r.plain);
  const b = median(r.taskfit);
  console.log(`\n${label}`);
  console.log('| path | workflow wall ms | activities/s |');
  console.log('|---|---:|---:|');
  console.log(`| proxyActivities (plain Worker) | ${a.toFixed(0)} | ${((N / a) * 1000).toFixed(0)} |`);
  console.log(`| remoteActivity (createTaskWorkers) | ${b.toFixed(0)} | ${((N / b) * 1000).toFixed(0)} |`);
  console.log(
    `rounds plain ${r.plain.map((x) => x.toFixed(0)).join(' ')} / taskfit ${r.taskfit.map((x) => x.toFixed(0)).join(' ')}`,
  );
  ratios[parallel ? 'parallel' : 'sequential'] = b / a;
  console.log(`ratio remoteActivity / proxyActivities: ${(b / a).toFixed(3)}×`);
}
const snap = tf.resources();
if (JSON.stringify(snap.available) !== JSON.stringify(snap.total)) throw new Error('ledger not full after the bench');
await Promise.all(stops.map((s) => s()));
await plainConn.close();
await tfConn.close();
await env.teardown();
const fmt = (r) => (r === undefined ? 'n/a' : `${r.toFixed(3)}×`);
console.log(
  `\nsummary: sequential ratio ${fmt(ratios.sequential)}, all-at-once ratio ${fmt(ratios.parallel)} (target ≤ 1.05×)`,
);
