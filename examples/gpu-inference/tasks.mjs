// Worker module: each task asks the ledger for a (fractional) GPU, then runs the "model" in a
// child process. The child inherits this task's process.env, in which TaskPool has set
// CUDA_VISIBLE_DEVICES to the GPU ids the ledger assigned.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { getTaskContext } from '@taskfit/piscina-adapter/worker';

const run = promisify(execFile);
const runtime = new URL('./runtime.mjs', import.meta.url).pathname;

/** Runs one batch through `model` in a child process; returns what the ledger and the child saw. */
export async function infer(model, batch) {
  const ctx = getTaskContext();
  const started = Date.now();
  const { stdout } = await run(process.execPath, [runtime, model, String(batch)]);
  const child = JSON.parse(stdout);
  return {
    model,
    batch,
    gpu: ctx.resources.GPU ?? 0,
    ledgerIds: ctx.gpuIds.join(','),
    envInTask: process.env.CUDA_VISIBLE_DEVICES ?? '',
    childSaw: child.visible,
    childPid: child.pid,
    ms: Date.now() - started,
  };
}
