import type { Envelope, StaticContext, TaskContext } from '../wire.js';

/** Shared across copies of this module in one thread (e.g. a bundled duplicate). */
const SLOT = Symbol.for('taskfit.piscina.taskContext');
type Slot = { current: Envelope | undefined; specs: Map<number, StaticContext>; ctx: TaskContext | undefined };
const g = globalThis as unknown as Record<symbol, Slot | undefined>;
export const slot: Slot = (g[SLOT] ??= { current: undefined, specs: new Map(), ctx: undefined });

const NONE: readonly number[] = Object.freeze([]);

/**
 * The context of the task running on this worker thread: task id, attempt, assigned resources,
 * GPU ids, accelerator type and runtime env. Throws when called outside a task run by a
 * `TaskPool` (for example at module load time).
 */
export function getTaskContext(): TaskContext {
  const m = slot.current;
  if (m === undefined) {
    throw new Error('getTaskContext() called outside a task: call it while a TaskPool task is running on this thread');
  }
  if (slot.ctx !== undefined) return slot.ctx;
  const st = slot.specs.get(m.s)!;
  return (slot.ctx = Object.freeze({
    taskId: `${st.idPrefix}${m.i}`,
    attempt: m.t,
    name: st.name ?? m.n,
    nodeId: st.nodeId,
    resources: st.resources,
    gpuIds: m.g ?? NONE,
    acceleratorType: st.acceleratorType,
    runtimeEnv: m.r,
  }));
}
