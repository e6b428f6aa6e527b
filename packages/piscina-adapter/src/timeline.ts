/** `pool.timeline()`: the pool's task history as a Chrome trace (core's pure builder over its task events). */
import { chromeTrace, taskAttempts } from '@taskfit/core';
import type { ChromeTrace } from '@taskfit/core';
import type { TaskInfo } from './events.js';

/** Chrome trace of `tasks` (from `listTasks()`): one complete event per attempt, in its GPU's or thread's lane. */
export function poolTimeline(tasks: readonly TaskInfo[]): ChromeTrace {
  return chromeTrace(taskAttempts(tasks.flatMap((t) => t.events)));
}
