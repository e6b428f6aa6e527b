import { execFileSync } from 'node:child_process';
import { getTaskContext } from '@taskfit/piscina-adapter/worker';

/** What the task was given, and what a child process sees through the CUDA driver. */
export async function probe(holdMs = 0) {
  const ctx = getTaskContext();
  const started = Date.now();
  const child = JSON.parse(
    execFileSync('python3', [new URL('./cuda_probe.py', import.meta.url).pathname], { encoding: 'utf8' }),
  );
  if (holdMs > 0) await new Promise((r) => setTimeout(r, holdMs));
  return {
    gpuIds: ctx.gpuIds,
    resources: ctx.resources,
    env: process.env.CUDA_VISIBLE_DEVICES ?? null,
    child,
    started,
    ended: Date.now(),
  };
}
