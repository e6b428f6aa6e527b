import type { TaskContext } from '../wire.js';

/** Shared across copies of this module in one thread (e.g. a bundled duplicate). */
const SLOT = Symbol.for('taskfit.piscina.taskContext');
type Slot = { current: TaskContext | undefined };
const g = globalThis as unknown as Record<symbol, Slot | undefined>;
export const slot: Slot = (g[SLOT] ??= { current: undefined });

/**
 * The context of the task running on this worker thread: task id, attempt, assigned resources,
 * GPU ids, accelerator type and runtime env. Throws when called outside a task run by a
 * `TaskPool` (for example at module load time).
 */
export function getTaskContext(): TaskContext {
  const c = slot.current;
  if (c === undefined) {
    throw new Error('getTaskContext() called outside a task: call it while a TaskPool task is running on this thread');
  }
  return c;
}
