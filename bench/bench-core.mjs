// Benchmarks of @taskfit/core accounting, scheduling and option validation (built package: run
// `npx tsc -b packages/core` first).
// Prints a markdown table. Numbers are machine-dependent; BENCHMARKS.md records them with the machine.
import { Cluster, NodeResources, compileDemand, remote, validateTaskOptions } from '@taskfit/core';
import os from 'node:os';

const quick = process.env.BENCH_QUICK === '1';
const now = () => process.hrtime.bigint();

/** mulberry32 */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function median(xs) {
  const s = Float64Array.from(xs).sort();
  return s[Math.floor(s.length / 2)];
}
function pct(xs, p) {
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.floor(s.length * p))];
}

/** Runs fn(n) for about `ms` milliseconds after a warm-up; returns operations per second. */
function rate(fn, ms = quick ? 200 : 1000) {
  let n = 1000;
  fn(n); // warm-up
  const end = Date.now() + 100;
  while (Date.now() < end) fn(n);
  let ops = 0;
  const t0 = now();
  const stop = Date.now() + ms;
  while (Date.now() < stop) {
    fn(n);
    ops += n;
  }
  return ops / (Number(now() - t0) / 1e9);
}

const rows = [];
const fmtRate = (r) => `${Math.round(r).toLocaleString('en-US')}/s`;
const fmtUs = (ns) => `${(ns / 1000).toFixed(2)} µs`;

// 1. allocate + release pairs on one node
{
  const node = new NodeResources({ CPU: 64, GPU: 8, memory: 256 * 2 ** 30 }, { nodeId: 'bench' });
  const demand = { CPU: 1 };
  rows.push([
    'allocate+release pair, one node, `{CPU: 1}` (plain object)',
    fmtRate(
      rate((n) => {
        for (let i = 0; i < n; i++) node.release(node.tryAllocate(demand));
      }),
    ),
    'target ≥ 1,000,000/s',
  ]);
  const req = compileDemand({ CPU: 1 });
  rows.push([
    'allocate+release pair, one node, `{CPU: 1}` (compiled once)',
    fmtRate(
      rate((n) => {
        for (let i = 0; i < n; i++) node.release(node.tryAllocate(req));
      }),
    ),
    '',
  ]);
  const gpu = { CPU: 1, GPU: 0.5, memory: 2 ** 30 };
  rows.push([
    'allocate+release pair, one node, `{CPU: 1, GPU: 0.5, memory: 1 GiB}`',
    fmtRate(
      rate((n) => {
        for (let i = 0; i < n; i++) node.release(node.tryAllocate(gpu));
      }),
    ),
    '',
  ]);
}

// 2. scheduling decisions on 1, 100, 10,000 nodes
function makeCluster(size) {
  const c = new Cluster();
  for (let i = 0; i < size; i++) {
    const total = { CPU: [16, 32, 64][i % 3], memory: [64, 128, 256][i % 3] * 2 ** 30 };
    if (i % 4 === 3) total.GPU = 8;
    if (i % 10 === 0) total.licence = 4;
    c.addNode(new NodeResources(total, { nodeId: `n${i}`, acceleratorType: i % 4 === 3 ? 'H100' : undefined }));
  }
  return c;
}
const DEMANDS = [
  { CPU: 1 },
  { CPU: 2, memory: 4 * 2 ** 30 },
  { CPU: 0.5 },
  { CPU: 1, GPU: 0.5 },
  { CPU: 4, GPU: 1, 'accelerator_type:H100': 0.001 },
  { CPU: 1, licence: 1 },
].map((d) => compileDemand(d));

/**
 * Schedules a stream of mixed demands, keeping the cluster loaded to `load` (fraction of
 * total CPU held): beyond that, the oldest-but-random held allocation is released first.
 * Every schedule() call is one decision; its latency is measured individually.
 */
function decisions(size, strategy, load, count) {
  const c = makeCluster(size);
  const totalCpu = c.nodes.reduce((s, n) => s + n.total.CPU, 0);
  const rnd = prng(42);
  const held = [];
  let heldCpu = 0;
  const lat = new Float64Array(count);
  const releaseOne = () => {
    const i = Math.floor(rnd() * held.length);
    const a = held[i];
    held[i] = held[held.length - 1];
    held.pop();
    heldCpu -= a.resources.CPU ?? 0;
    c.release(a);
  };
  // fill every node to about the target load directly (fast, not measured): mixed whole CPUs
  for (const node of c.nodes) {
    let want = Math.floor(node.total.CPU * load);
    while (want > 0) {
      const q = Math.min(want, 1 + Math.floor(rnd() * 4));
      const a = node.tryAllocate({ CPU: q, memory: q * 2 ** 30 });
      if (a === null) break;
      held.push(a);
      heldCpu += q;
      want -= q;
    }
  }
  let scheduled = 0;
  for (let k = 0; k < count; k++) {
    while (held.length > 0 && heldCpu >= load * totalCpu) releaseOne();
    const d = DEMANDS[k % DEMANDS.length];
    const t0 = now();
    const r = c.schedule(d, strategy);
    lat[k] = Number(now() - t0);
    if (r.status === 'scheduled') {
      scheduled++;
      held.push(r.allocation);
      heldCpu += r.allocation.resources.CPU ?? 0;
    }
  }
  for (const a of held) c.release(a);
  for (const n of c.nodes) {
    for (const k of Object.keys(n.total))
      if (n.available[k] !== n.total[k]) throw new Error(`drift on ${n.nodeId} ${k}`);
  }
  const totalNs = lat.reduce((s, x) => s + x, 0);
  return { perSec: count / (totalNs / 1e9), median: median(lat), p99: pct(lat, 0.99), scheduled };
}

const sizes = [1, 100, 10_000];
const results = [];
for (const size of sizes) {
  for (const [label, strategy, load] of [
    ['DEFAULT, idle (10% load)', 'DEFAULT', 0.1],
    ['DEFAULT, loaded (70% CPU held)', 'DEFAULT', 0.7],
    ['SPREAD, loaded (70% CPU held)', 'SPREAD', 0.7],
  ]) {
    const count = quick ? 2000 : size >= 10_000 ? 20_000 : 100_000;
    decisions(size, strategy, load, Math.min(2000, count)); // warm-up (JIT)
    const r = decisions(size, strategy, load, count);
    results.push({ size, label, ...r });
    rows.push([
      `schedule() decisions, ${size.toLocaleString('en-US')} node${size === 1 ? '' : 's'}, ${label}`,
      fmtRate(r.perSec),
      `median ${fmtUs(r.median)}, p99 ${fmtUs(r.p99)}${size === 10_000 && strategy === 'DEFAULT' ? ' (target median < 100 µs)' : ''}`,
    ]);
  }
}

// 3. placement group create + remove on 100 nodes
{
  const c = makeCluster(100);
  rows.push([
    'createPlacementGroup + removePlacementGroup, 100 nodes, 4 × {CPU: 2} SPREAD',
    fmtRate(
      rate(
        (n) => {
          for (let i = 0; i < n; i++) {
            const pg = c.createPlacementGroup({
              bundles: [{ CPU: 2 }, { CPU: 2 }, { CPU: 2 }, { CPU: 2 }],
              strategy: 'SPREAD',
            });
            c.removePlacementGroup(pg);
          }
        },
        quick ? 100 : 500,
      ),
    ),
    '',
  ]);
}

// 4. option validation: validateTaskOptions on definitions, and .options() (validate + merge + resolve)
{
  const typical = {
    numCpus: 1,
    numGpus: 0.5,
    memory: 2 ** 30,
    maxRetries: 3,
    retryExceptions: [TypeError, 'TimeoutError'],
    runtimeEnv: { envVars: { MODEL: 'small', PATH: '${PATH}:/opt/bin' }, config: { batch: 32, tags: ['a', 'b'] } },
    schedulingStrategy: 'SPREAD',
    _metadata: { 'taskfit.io/retry': { backoffMs: 100 } },
  };
  const placed = {
    numCpus: 2,
    resources: { licence: 1, TPU: 4 },
    labelSelector: { region: 'in(us-west1,us-east1)', tier: '!spot' },
    schedulingStrategy: {
      type: 'nodeLabel',
      hard: { 'ray.io/accelerator-type': { operator: 'in', values: ['H100', 'A100'] } },
      soft: { spot: { operator: 'doesNotExist' } },
    },
  };
  for (const [label, input] of [
    ['`{numCpus: 1}`', { numCpus: 1 }],
    ['typical definition (quantities, retries, runtimeEnv, _metadata)', typical],
    ['resources, labelSelector, nodeLabel strategy', placed],
  ]) {
    rows.push([
      `validateTaskOptions, ${label}`,
      fmtRate(
        rate((n) => {
          for (let i = 0; i < n; i++) validateTaskOptions(input);
        }),
      ),
      '',
    ]);
  }
  const fn = remote((x) => x, typical);
  const override = { numGpus: 1, maxRetries: 0 };
  rows.push([
    '`.options({numGpus: 1, maxRetries: 0})` on a typical definition',
    fmtRate(
      rate((n) => {
        for (let i = 0; i < n; i++) fn.options(override);
      }),
    ),
    '',
  ]);
}

console.log(`\n@taskfit/core — ${os.cpus().length}-core ${os.cpus()[0]?.model ?? ''}, Node ${process.version}\n`);
console.log('| benchmark | rate | notes |');
console.log('|---|---:|---|');
for (const [a, b, c] of rows) console.log(`| ${a} | ${b} | ${c} |`);
