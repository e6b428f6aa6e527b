// Activities: ordinary async functions. The worker side runs them through taskfit's wrapper,
// which holds the task's resources in this machine's ledger while they run and hands them the
// task context (GPU ids, CUDA_VISIBLE_DEVICES for child processes, env vars).
import { getTaskContext } from '@taskfit/temporal-adapter/worker';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function where(task, detail) {
  const ctx = getTaskContext();
  return {
    task,
    detail,
    nodeId: ctx.nodeId,
    taskQueue: ctx.taskQueue,
    resources: ctx.resources,
    gpuIds: ctx.gpuIds,
    cudaVisibleDevices: ctx.envVars.CUDA_VISIBLE_DEVICES ?? null,
    attempt: ctx.attempt,
  };
}

/** CPU work: decode and re-encode a clip. */
export async function transcode(clip) {
  await sleep(150);
  return where('transcode', clip);
}

/** Fractional-GPU work: object detection on a clip (two share one GPU). */
export async function detectObjects(clip) {
  await sleep(300);
  return where('detectObjects', clip);
}

/** Whole-GPU work on a specific accelerator type: super-resolution. */
export async function upscale(clip) {
  await sleep(300);
  return where('upscale', clip);
}
