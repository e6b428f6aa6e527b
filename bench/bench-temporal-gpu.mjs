// GPU sharing on Temporal (issue 12, point 1): how close to the ideal a fleet of simulated GPU
// machines (createTaskWorkers in this process, each with its own connection and resources; no
// device is used, tasks hold their resources for a fixed time) runs mixed GPU work, against a
// dev server with its DEFAULT settings (a minute's long poll). Per scenario, the median over
// rounds of: makespan (first schedule to last end) against the ideal, GPU utilisation, and the
// longest stretch in which a machine had room for a task that was waiting for it ("GPU idle
// while work waits"). Timelines come from the task events (SUBMITTED_TO_WORKER → FINISHED).
// Usage: node bench-temporal-gpu.mjs [--rounds 5] [--only mix|fleet|many|fairness]
import { availableParallelism, loadavg } from 'node:os';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createTaskWorkers, getTaskContext } from '@taskfit/temporal-adapter/worker';
import { startBenchServer } from './fixtures/temporal-server.mjs';
import { analyseTimeline, attemptsFromEvents } from '../packages/temporal-adapter/test/helpers/timeline.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : process.argv[i + 1];
};
const ROUNDS = Number(arg('rounds', 5));
const ONLY = arg('only', undefined);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const { env, workflowBundle } = await startBenchServer();
const activities = {
  async hold(ms) {
    const ctx = getTaskContext();
    await new Promise((r) => setTimeout(r, ms));
    return ctx.nodeId;
  },
};

let seq = 0;
/** Runs `calls` once on fresh machines; returns the timeline analysis and the attempts. */
async function runOnce(machines, calls, amountOf, serves) {
  const taskQueue = `gpu-bench-${++seq}`;
  const stops = [];
  const wf = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle });
  const wfRun = wf.run();
  stops.push(async () => {
    wf.shutdown();
    await wfRun;
  });
  const events = [];
  const capacity = {};
  for (const m of machines) {
    const connection = await NativeConnection.connect({ address: env.address });
    const workers = await createTaskWorkers({ connection, taskQueue, activities, ...m });
    workers.events.on('task', (e) => events.push(e));
    capacity[m.nodeId] = m.resources.GPU;
    const running = workers.run();
    stops.push(async () => {
      await workers.shutdown();
      await running;
      await connection.close();
      const { total, available } = workers.resources();
      if (JSON.stringify(total) !== JSON.stringify(available)) throw new Error(`${m.nodeId}: ledger not full`);
    });
  }
  // Let every machine's first polls open (as on a fleet that was already up).
  await new Promise((r) => setTimeout(r, 500));
  await env.client.workflow.execute('runAll', { taskQueue, workflowId: `${taskQueue}-wf`, args: [calls] });
  await Promise.all(stops.map((s) => s()));
  const tasks = attemptsFromEvents(events, amountOf);
  const t = analyseTimeline(tasks, capacity, serves);
  for (const [n, p] of Object.entries(t.peak)) if (p > capacity[n] + 1e-9) throw new Error(`${n} over-committed: ${p}`);
  return { t, tasks };
}

const hold = (name, ms, options) => ({ activity: 'hold', args: [ms], options: { name, ...options } });
const kind = (name) => name.split('-')[0];
const GPU = { half: 0.5, whole: 1, h100: 1, double: 2 };
const amountOf = (name) => GPU[kind(name)] ?? 0;

async function scenario(title, idealMs, machines, calls, serves, extra) {
  const rows = [];
  for (let r = 0; r < ROUNDS; r++) rows.push(await runOnce(machines, calls, amountOf, serves));
  const ms = rows.map((x) => x.t.makespan);
  console.log(`\n${title}`);
  console.log(
    `  makespan median ${median(ms)} ms (rounds ${ms.join(' ')}), ideal ${idealMs} ms → ${(median(ms) / idealMs).toFixed(3)}×`,
  );
  console.log(
    `  GPU utilisation median ${median(rows.map((x) => x.t.utilisation)).toFixed(3)}; ` +
      `longest "GPU idle while a task it serves waits": median ${median(rows.map((x) => x.t.longestIdleWithWork))} ms, ` +
      `max ${Math.max(...rows.map((x) => x.t.longestIdleWithWork))} ms`,
  );
  extra?.(rows);
}

console.log(
  `Node ${process.version}, ${availableParallelism()} CPUs, load average ${loadavg()[0].toFixed(2)}; dev server defaults; ` +
    `createTaskWorkers defaults (pollersPerClass 10, maxBypass 32) unless said; ${ROUNDS} rounds per scenario`,
);

const mixClasses = [{}, { numGpus: 0.5 }, { numGpus: 1 }];
if (ONLY === undefined || ONLY === 'mix') {
  // The scenario: one machine with 1 GPU serving {}, 0.5 GPU and 1 GPU; four 1.5 s
  // half-GPU tasks and two 1 s whole-GPU tasks at once. Ideal: 2 × 1.5 s + 2 × 1 s = 5 s.
  await scenario(
    'mix — one 1-GPU machine, classes {}, 0.5 GPU, 1 GPU; 4 × half (1.5 s) + 2 × whole (1 s)',
    5000,
    [{ nodeId: 'gpu-1', resources: { CPU: 4, GPU: 1 }, classes: mixClasses }],
    [
      ...[1, 2, 3, 4].map((i) => hold(`half-${i}`, 1500, { numGpus: 0.5 })),
      ...[1, 2].map((i) => hold(`whole-${i}`, 1000, { numGpus: 1 })),
    ],
  );
}
if (ONLY === undefined || ONLY === 'fleet') {
  // Two machines of different shapes (as in test/gpu-sharing.test.ts). Lower bound:
  // 10.5 GPU-seconds on 3 GPUs = 3.5 s.
  const servedBy = { 'gpu-a': ['half', 'whole'], 'gpu-b': ['half', 'whole', 'h100', 'double'] };
  // With maxBypass 1 and 32 (the default): the 2-GPU task needs all of gpu-b, so how long smaller
  // tasks may go ahead of it once it arrived decides whether gpu-b drains for it.
  for (const maxBypass of [1, 32]) {
    await scenario(
      `fleet — gpu-a (1 GPU: {}, 0.5, 1) + gpu-b (2 × H100: 0.5, 1 H100 (+ untyped 1), 2), maxBypass ${maxBypass}; 6 half (1.5 s), 3 whole, 1 H100, 1 double (1 s)`,
      3500,
      [
        { nodeId: 'gpu-a', resources: { CPU: 4, GPU: 1 }, classes: mixClasses, maxBypass },
        {
          nodeId: 'gpu-b',
          resources: { CPU: 4, GPU: 2 },
          acceleratorType: 'H100',
          classes: [{ numGpus: 0.5 }, { numGpus: 1, acceleratorType: 'H100' }, { numGpus: 2 }],
          maxBypass,
        },
      ],
      [
        ...[1, 2, 3, 4, 5, 6].map((i) => hold(`half-${i}`, 1500, { numGpus: 0.5 })),
        ...[1, 2, 3].map((i) => hold(`whole-${i}`, 1000, { numGpus: 1 })),
        hold('h100-1', 1000, { numGpus: 1, acceleratorType: 'H100' }),
        hold('double-1', 1000, { numGpus: 2 }),
      ],
      (node, task) => servedBy[node].includes(kind(task.name)),
    );
  }
}
if (ONLY === undefined || ONLY === 'many') {
  // Many machines: 4 × 1 GPU, each serving {}, 0.5 and 1; 24 half + 8 whole tasks of 1 s.
  // Ideal: 20 GPU-seconds on 4 GPUs = 5 s. Run with maxBypass 0, 1 and 32 (the default).
  const calls = [
    ...Array.from({ length: 24 }, (_, i) => hold(`half-${i}`, 1000, { numGpus: 0.5 })),
    ...Array.from({ length: 8 }, (_, i) => hold(`whole-${i}`, 1000, { numGpus: 1 })),
  ];
  for (const maxBypass of [0, 1, 32]) {
    await scenario(
      `many — 4 machines × 1 GPU ({}, 0.5, 1), maxBypass ${maxBypass}; 24 half + 8 whole (1 s)`,
      5000,
      [1, 2, 3, 4].map((i) => ({ nodeId: `m${i}`, resources: { CPU: 4, GPU: 1 }, classes: mixClasses, maxBypass })),
      calls,
      undefined,
      (rows) => {
        const waits = rows.flatMap((x) =>
          x.tasks.filter((t) => kind(t.name) === 'whole').map((t) => t.start - t.scheduled),
        );
        const halves = rows.flatMap((x) =>
          x.tasks.filter((t) => kind(t.name) === 'half').map((t) => t.start - t.scheduled),
        );
        console.log(
          `  wait from schedule to start: whole median ${median(waits)} ms (max ${Math.max(...waits)}), half median ${median(halves)} ms (max ${Math.max(...halves)})`,
        );
      },
    );
  }
}
if (ONLY === undefined || ONLY === 'fairness') {
  // Fairness between big and small tasks on one machine: 16 half-GPU tasks and 2 whole-GPU tasks
  // (1 s each) at once. Whatever the order, the ideal is 10 s; what differs is when the whole-GPU
  // tasks start (a class that does not fit does not poll, so it runs when the GPU is free).
  await scenario(
    'fairness — one 1-GPU machine; 16 half + 2 whole (1 s) at once',
    10000,
    [{ nodeId: 'gpu-1', resources: { CPU: 4, GPU: 1 }, classes: mixClasses }],
    [
      ...Array.from({ length: 16 }, (_, i) => hold(`half-${i}`, 1000, { numGpus: 0.5 })),
      ...[1, 2].map((i) => hold(`whole-${i}`, 1000, { numGpus: 1 })),
    ],
    undefined,
    (rows) => {
      const starts = rows.map((x) => {
        const first = Math.min(...x.tasks.map((t) => t.scheduled));
        return x.tasks
          .filter((t) => kind(t.name) === 'whole')
          .map((t) => t.start - first)
          .sort((a, b) => a - b)
          .join('/');
      });
      console.log(`  whole-GPU tasks started at (ms after submission, per round): ${starts.join('  ')}`);
    },
  );
}
await env.teardown();
console.log(`\nload average at the end ${loadavg()[0].toFixed(2)}`);
