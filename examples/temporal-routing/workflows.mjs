// Workflow code (runs in Temporal's sandbox). Tasks are declared with Ray-style options; each
// call is routed to the task queue of its resource class, which only workers able to serve that
// class poll. The options are validated here, when declared.
import { remoteActivity } from '@taskfit/temporal-adapter/workflow';

const transcode = remoteActivity('transcode', { numCpus: 1, maxRetries: 2 });
const detectObjects = remoteActivity('detectObjects', { numGpus: 0.5, maxRetries: 2 });
const upscale = remoteActivity('upscale', { numGpus: 1, acceleratorType: 'T4' });

/** Transcodes every clip (CPU), runs detection on each (half a GPU), upscales the first (a T4). */
export async function mediaPipeline(clips) {
  const transcoded = await Promise.all(clips.map((c) => transcode.remote(c)));
  const detected = await Promise.all(clips.map((c) => detectObjects.remote(c)));
  // `.options()` changes this one call only: more retries for the long job.
  const upscaled = await upscale.options({ maxRetries: 5 }).remote(clips[0]);
  return [...transcoded, ...detected, upscaled];
}
