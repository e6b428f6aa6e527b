// The example's worker module: tasks that submit tasks. `pool` (from
// @taskfit/piscina-adapter/worker) is TaskPool.remote inside a task: children run in the same
// pool, against the same ledger, and inherit their parent's runtime env.
import { getTaskContext, pool } from '@taskfit/piscina-adapter/worker';

// ── 1. Parallel merge sort: every level splits its input between two children ─────────────────

const sortTask = pool.remote('sort');

/**
 * Sorts `values`: a slice of at most `cutoff` numbers is sorted here; a longer one is split in
 * halves, each sorted by a child task, and the two sorted halves are merged. While it awaits its
 * children this task holds no CPU (Ray's rule), so the tree never deadlocks however deep it is.
 */
export async function sort(values, cutoff) {
  if (values.length <= cutoff) return Float64Array.from(values).sort();
  const mid = values.length >> 1;
  const [left, right] = await Promise.all([
    sortTask.remote(values.subarray(0, mid), cutoff),
    sortTask.remote(values.subarray(mid), cutoff),
  ]);
  return merge(left, right);
}

function merge(a, b) {
  const out = new Float64Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) out[k++] = a[i] <= b[j] ? a[i++] : b[j++];
  while (i < a.length) out[k++] = a[i++];
  while (j < b.length) out[k++] = b[j++];
  return out;
}

// ── 2. Map-reduce: each map task fans out to quarter-GPU "embedding" children ──────────────────

const embedTask = pool.remote('embed', { numGpus: 0.25, numCpus: 0.25 });

/**
 * Map: counts the words of one shard of documents and has every document "embedded" by a child
 * task on a quarter of a GPU (a stand-in for a model call), then returns the counts and what the
 * children reported. The children inherit this task's runtime env (MODEL) and the pool's (STAGE).
 */
export async function mapShard(shard, docs) {
  const counts = {};
  for (const doc of docs) for (const w of doc.toLowerCase().match(/[a-z]+/g) ?? []) counts[w] = (counts[w] ?? 0) + 1;
  const embeddings = await Promise.all(docs.map((doc) => embedTask.remote(doc)));
  return { shard, counts, embeddings };
}

/** A fake embedding of `doc` on the GPU share the ledger gave it (the device id is real; the model is not). */
export async function embed(doc) {
  const { gpuIds, taskId, parentTaskId } = getTaskContext();
  await new Promise((r) => setTimeout(r, 40)); // "on the device"
  let h = 0;
  for (let i = 0; i < doc.length; i++) h = (h * 31 + doc.charCodeAt(i)) >>> 0;
  return {
    taskId,
    parentTaskId,
    gpuIds,
    cudaVisibleDevices: process.env.CUDA_VISIBLE_DEVICES,
    model: process.env.MODEL,
    stage: process.env.STAGE,
    vector: [h % 97, h % 89, h % 83],
  };
}
