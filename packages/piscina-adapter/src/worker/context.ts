import type { AsyncLocalStorage } from 'node:async_hooks';
import type { Envelope, StaticContext, TaskContext } from '../wire.js';

/** Shared across copies of this module in one thread (e.g. a bundled duplicate). */
const SLOT = Symbol.for('taskfit.piscina.taskContext');
type Slot = {
  /** The task running now (tasks that run alone on the thread). */
  current: Envelope | undefined;
  specs: Map<number, StaticContext>;
  /** `current`'s context, built on first use. */
  ctx: TaskContext | undefined;
  /** The context of tasks that share the thread, per task (set up on the first such task). */
  shared?: AsyncLocalStorage<Envelope>;
  /** Called when a task settles, once a task on this thread submitted a child (worker/pool.ts). */
  ended?: (m: Envelope) => void;
};
const g = globalThis as unknown as Record<symbol, Slot | undefined>;
export const slot: Slot = (g[SLOT] ??= { current: undefined, specs: new Map(), ctx: undefined });

const NONE: readonly number[] = Object.freeze([]);

/**
 * The context of the task running on this worker thread: task id, attempt, assigned resources,
 * GPU ids, accelerator type and runtime env. Throws when called outside a task run by a
 * `TaskPool` (for example at module load time).
 */
export function getTaskContext(): TaskContext {
  const own = slot.shared?.getStore();
  const m = own ?? slot.current;
  if (m === undefined) {
    throw new Error('getTaskContext() called outside a task: call it while a TaskPool task is running on this thread');
  }
  if (own === undefined && slot.ctx !== undefined) return slot.ctx;
  const st = slot.specs.get(m.s)!;
  const ctx = Object.freeze({
    taskId: m.I ?? `${st.idPrefix}${m.i}`,
    attempt: m.t,
    name: st.name ?? m.n,
    nodeId: st.nodeId,
    resources: st.resources,
    gpuIds: m.g ?? NONE,
    acceleratorType: st.acceleratorType,
    runtimeEnv: m.r ?? st.runtimeEnv,
    parentTaskId: m.q,
  });
  if (own === undefined) slot.ctx = ctx;
  return ctx;
}
