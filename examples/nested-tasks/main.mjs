// Nested tasks on the local pool: tasks that submit tasks, as in Ray.
//
//   node examples/nested-tasks/main.mjs
//
// 1. A parallel merge sort: each task splits its input between two child tasks and merges their
//    results — a tree of tasks deeper than the machine's CPU count. A task that awaits its
//    children lends its CPU to the pool (Ray's rule), so the tree completes on any machine.
// 2. A map-reduce: each map task counts the words of a shard and fans out to quarter-GPU
//    "embedding" children; the main thread reduces. GPUs are simulated when the machine has none:
//    the ledger, the GPU ids and CUDA_VISIBLE_DEVICES are real, the devices are not. The children
//    inherit the runtime env of their parent (MODEL) and of the pool (STAGE).
import { detectNodeResources } from '@taskfit/core/node';
import { TaskPool } from '@taskfit/piscina-adapter';

const detected = await detectNodeResources();
const resources = { ...detected.resources };
if (!(resources.CPU >= 2)) resources.CPU = 2;
if (!(resources.GPU > 0)) {
  const why = detected.sources.gpuNote ? ` (${detected.sources.gpuNote})` : '';
  console.log(`no GPU detected${why}: simulating 2 GPUs (ids 0 and 1; nothing runs on a real device)`);
  resources.GPU = 2;
} else {
  console.log(`detected ${resources.GPU} GPU(s)`);
}

const pool = new TaskPool({
  filename: new URL('./tasks.mjs', import.meta.url).href,
  resources,
  acceleratorType: detected.acceleratorType,
  visibleDevices: detected.visibleDevices,
  // The job's runtime env: every task inherits it (Ray's ray.init(runtime_env=...)).
  runtimeEnv: { envVars: { STAGE: 'example' } },
});
let failed = 0;
const check = (what, ok, detail) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}: ${detail}`);
  if (!ok) failed++;
};

// ── 1. Parallel merge sort ───────────────────────────────────────────────────────────────────
const N = 200_000;
const CUTOFF = 12_500; // 16 leaves, 4 levels below the root
const input = Float64Array.from({ length: N }, (_, i) => ((i * 2654435761) % 1_000_003) / 7);
let t0 = performance.now();
const sorted = await pool.remote('sort', { name: 'sort' }).remote(input, CUTOFF);
const sortMs = performance.now() - t0;
let inOrder = sorted.length === N;
for (let i = 1; inOrder && i < sorted.length; i++) inOrder = sorted[i - 1] <= sorted[i];
// A child's id is its parent's plus `.n`: the depth of the tree shows in the ids.
const tree = pool.listTasks({ name: 'sort' });
const depth = Math.max(...tree.map((t) => t.taskId.split('.').length - 1));
check(
  'merge sort',
  inOrder,
  `${N} numbers sorted by a tree of ${tree.length} tasks, ${depth} levels below the root, on ${resources.CPU} CPUs in ${sortMs.toFixed(0)} ms`,
);
const root = tree.find((t) => t.parentTaskId === undefined);
const children = pool.listTasks({ parentTaskId: root.taskId }).map((t) => t.taskId);
check(
  'task tree',
  children.length === 2,
  `${root.taskId} submitted ${children.join(' and ')} (listTasks({ parentTaskId }))`,
);

// ── 2. Map-reduce with fractional-GPU children ───────────────────────────────────────────────
const shards = [
  ['the quick brown fox', 'jumps over the lazy dog', 'the dog sleeps'],
  ['a fox is quick', 'a dog is lazy', 'the end'],
  ['brown dogs and brown foxes', 'quick quick quick'],
  ['lazy afternoons', 'the fox and the dog are friends'],
];
const map = pool.remote('mapShard', { numCpus: 0.5, runtimeEnv: { envVars: { MODEL: 'mini-embed' } } });
t0 = performance.now();
const mapped = await Promise.all(shards.map((docs, i) => map.remote(i, docs)));
// Reduce, in the main thread.
const total = {};
for (const m of mapped) for (const [w, n] of Object.entries(m.counts)) total[w] = (total[w] ?? 0) + n;
const top = Object.entries(total)
  .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
  .slice(0, 5);
const embeddings = mapped.flatMap((m) => m.embeddings);
const expected = {};
for (const doc of shards.flat()) for (const w of doc.match(/[a-z]+/g)) expected[w] = (expected[w] ?? 0) + 1;
check(
  'map-reduce',
  JSON.stringify(Object.entries(total).sort()) === JSON.stringify(Object.entries(expected).sort()),
  `${shards.length} map tasks, ${embeddings.length} embedding children, top words ${top.map(([w, n]) => `${w}:${n}`).join(' ')} (${(performance.now() - t0).toFixed(0)} ms)`,
);
const perGpu = new Map();
for (const e of embeddings) perGpu.set(String(e.gpuIds), (perGpu.get(String(e.gpuIds)) ?? 0) + 1);
check(
  'fractional GPUs',
  embeddings.every((e) => e.gpuIds.length === 1 && e.cudaVisibleDevices === String(e.gpuIds[0])),
  `each embedding child had a quarter of one GPU, in its CUDA_VISIBLE_DEVICES: ${[...perGpu]
    .map(([id, n]) => `GPU ${id}: ${n} children`)
    .join(', ')}`,
);
check(
  'runtime env inheritance',
  embeddings.every((e) => e.model === 'mini-embed' && e.stage === 'example'),
  "every child saw MODEL=mini-embed (its parent map task's) and STAGE=example (the pool's)",
);
const mapIds = new Set(pool.listTasks({ name: 'mapShard' }).map((t) => t.taskId));
check(
  'parents',
  embeddings.every((e) => mapIds.has(e.parentTaskId)),
  'every embedding child names its map task as parentTaskId',
);

await pool.close();
const { total: tot, available } = pool.resources;
const leaked = Object.keys(tot).filter((k) => Math.abs((available[k] ?? 0) - tot[k]) > 1e-9);
check('ledger', leaked.length === 0, leaked.length === 0 ? 'every reserved unit released' : `NOT released: ${leaked}`);
if (failed > 0) process.exit(1);
