// Fractional-GPU "inference" on the local pool.
//
//   node examples/gpu-inference/main.mjs
//
// Small models take half a GPU (two share one device), the large model a whole one. Each task
// spawns a child process (the "inference runtime") that prints the CUDA_VISIBLE_DEVICES it
// inherited. On a machine without NVIDIA GPUs, two GPUs are simulated: the ledger, the ids and
// the environment variable are real, the devices are not.
import { detectNodeResources } from '@taskfit/core/node';
import { TaskPool } from '@taskfit/piscina-adapter';

const detected = await detectNodeResources();
const resources = { ...detected.resources };
if (!(resources.GPU > 0)) {
  const why = detected.sources.gpuNote ? ` (${detected.sources.gpuNote})` : '';
  console.log(`no GPU detected${why}: simulating 2 GPUs (ids 0 and 1; nothing runs on a real device)`);
  resources.GPU = 2;
} else {
  console.log(`detected ${resources.GPU} GPU(s)`);
}
// Inference tasks mostly wait on the device: give them a quarter CPU each so four can overlap.
const pool = new TaskPool({
  filename: new URL('./tasks.mjs', import.meta.url).href,
  resources,
  acceleratorType: detected.acceleratorType,
  visibleDevices: detected.visibleDevices, // a pre-set CUDA_VISIBLE_DEVICES maps the ids
  maxThreads: 6,
});

const infer = pool.remote('infer', { numGpus: 0.5, numCpus: 0.25, maxRetries: 1 });
const large = infer.options({ numGpus: 1, name: 'infer-large' });

const refs = [
  ...[1, 2, 3, 4].map((b) => infer.remote('small-encoder', b)),
  ...[5, 6].map((b) => large.remote('large-decoder', b)),
];
const results = await Promise.all(refs);

let mismatches = 0;
for (const r of results) {
  // The child sees exactly what the task was given: one id per assigned GPU (mapped through the
  // host's own CUDA_VISIBLE_DEVICES when one was set, so compare counts, not spellings).
  const ok =
    r.envInTask !== '' && r.childSaw === r.envInTask && r.childSaw.split(',').length === r.ledgerIds.split(',').length;
  if (!ok) mismatches++;
  console.log(
    `${r.model.padEnd(13)} batch ${r.batch}: ${String(r.gpu).padStart(3)} GPU, ledger ids [${r.ledgerIds}], ` +
      `child pid ${r.childPid} saw CUDA_VISIBLE_DEVICES=${r.childSaw} ${ok ? 'ok' : 'MISMATCH'} (${r.ms} ms)`,
  );
}

// Every fractional task shared a device with exactly one other; the whole-GPU tasks had theirs alone.
const perGpu = new Map();
for (const r of results.filter((x) => x.gpu < 1)) perGpu.set(r.ledgerIds, (perGpu.get(r.ledgerIds) ?? 0) + 1);
console.log(`half-GPU tasks per device: ${[...perGpu].map(([id, n]) => `GPU ${id}: ${n}`).join(', ')}`);

await pool.close();
if (mismatches > 0) {
  console.error(`${mismatches} task(s): the child process saw other GPU ids than the task was assigned`);
  process.exit(1);
}
console.log('every child process saw exactly the GPU ids its task was assigned');
