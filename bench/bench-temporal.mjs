// remoteActivity (taskfit) vs plain proxyActivities on a real Temporal dev server, in one run:
// one workflow starts N no-op activities at once (Promise.all), on each side with DEFAULT
// options: a plain Worker with the SDK's defaults (10 pollers, 100 slots) and createTaskWorkers
// with its defaults (pollersPerClass 10, maxBypass 32, the default class `{}` = 1 CPU), given
// 200 CPUs so that the ledger never admits fewer activities at once than the plain Worker runs.
// The dev server keeps its defaults (long poll, partitions). Rounds alternate between the two
// sides; the table gives medians. Starts its own dev server with the `temporal` CLI (found or
// installed by scripts/temporal-cli.mjs). Imports the built packages.
// Usage: node bench-temporal.mjs [--activities 200] [--rounds 15] [--pollers <pollersPerClass>]
import { availableParallelism, loadavg } from 'node:os';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createTaskWorkers } from '@taskfit/temporal-adapter/worker';
import { startBenchServer } from './fixtures/temporal-server.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const N = arg('activities', 200);
const ROUNDS = arg('rounds', 15);
const POLLERS = arg('pollers', undefined);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const { env, workflowBundle } = await startBenchServer();
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

// taskfit: createTaskWorkers with its defaults on a machine of 200 CPUs.
await workflowWorker('bench-taskfit');
const tfConn = await NativeConnection.connect({ address: env.address });
const tf = await createTaskWorkers({
  connection: tfConn,
  taskQueue: 'bench-taskfit',
  activities,
  resources: { CPU: 200 },
  ...(POLLERS !== undefined ? { pollersPerClass: POLLERS } : {}),
});
const tfRun = tf.run();
stops.push(async () => {
  await tf.shutdown();
  await tfRun;
});

let seq = 0;
async function once(workflow, taskQueue, n = N) {
  const t0 = performance.now();
  await env.client.workflow.execute(workflow, { taskQueue, workflowId: `bench-${++seq}`, args: [n, true] });
  return performance.now() - t0;
}

console.log(
  `Node ${process.version}, ${availableParallelism()} CPUs, load average ${loadavg()[0].toFixed(2)}; ` +
    `${N} no-op activities at once per workflow, ${ROUNDS} interleaved rounds; ` +
    `createTaskWorkers pollersPerClass ${POLLERS ?? '10 (default)'}, plain Worker SDK defaults`,
);
await once('viaProxy', 'bench-plain', 50); // warm-up
await once('viaRemote', 'bench-taskfit', 50);
const r = { plain: [], taskfit: [] };
for (let k = 0; k < ROUNDS; k++) {
  // Alternate which side goes first, so that neither always follows the other.
  const order = k % 2 === 0 ? ['plain', 'taskfit'] : ['taskfit', 'plain'];
  for (const side of order) {
    r[side].push(side === 'plain' ? await once('viaProxy', 'bench-plain') : await once('viaRemote', 'bench-taskfit'));
  }
}
const a = median(r.plain);
const b = median(r.taskfit);
console.log('\n| path | workflow wall ms (median) | activities/s |');
console.log('|---|---:|---:|');
console.log(`| proxyActivities (plain Worker) | ${a.toFixed(0)} | ${((N / a) * 1000).toFixed(0)} |`);
console.log(`| remoteActivity (createTaskWorkers) | ${b.toFixed(0)} | ${((N / b) * 1000).toFixed(0)} |`);
console.log(
  `rounds plain ${r.plain.map((x) => x.toFixed(0)).join(' ')} / taskfit ${r.taskfit.map((x) => x.toFixed(0)).join(' ')}`,
);
const snap = tf.resources();
if (JSON.stringify(snap.available) !== JSON.stringify(snap.total)) throw new Error('ledger not full after the bench');
await Promise.all(stops.map((s) => s()));
await plainConn.close();
await tfConn.close();
await env.teardown();
console.log(
  `\nsummary: ratio remoteActivity / proxyActivities ${(b / a).toFixed(3)}× (target ≤ 1.10×, goal 1.05×); ` +
    `load average at the end ${loadavg()[0].toFixed(2)}`,
);
