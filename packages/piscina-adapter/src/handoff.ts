/**
 * Early hand-off: a thread that has finished its task gets the next waiting task at once,
 * before Piscina settles the finished one.
 *
 * Piscina reads its task queue's size as soon as a thread has finished a task, before it settles
 * that task's promise (integration-points §1.4: `workers.taskDone()` runs before
 * `taskInfo.done()`); TaskPool's settlement runs a promise hop later, by which time the thread
 * has gone to sleep in `Atomics.wait`. So on that read, while tasks wait for resources, an
 * attempt whose thread no longer holds it (Piscina's `currentUsage` 0, one task per thread) has
 * ended there: the engine gives its resources back and admits and posts the waiting tasks then.
 *
 * Its outcome is recorded when Piscina settles it, and until then the history holds back every
 * other task's state changes (`TaskHistory.gate`): replayed in the order emitted, events never
 * hold more than the ledger has, and no task is shown holding what another gave back before that
 * one is shown ending. Nothing else runs in between (no user code runs inside Piscina's message
 * handler, and the task's promise is settled in the first microtasks after it).
 *
 * Watched: attempts of bare `run()` tasks (not abortable, not streaming, no child tasks, not
 * retiring their thread), with `concurrentTasksPerWorker` 1 and neither a caller's task queue nor
 * balancer. Not while an executor sharing the ledger listens (its listeners would run inside
 * Piscina's message handler). A `taskEvent` listener is no exception to the order: the changes
 * it causes while held-back ones are emitted are emitted after them.
 */
import type { PiscinaWorker } from './options.js';
import type { Attempt, Task } from './task.js';
import { CallMode } from './wire.js';

export class Handoff {
  /** Attempts on threads whose end there is watched for. */
  readonly #watched = new Set<Attempt>();
  /** Whether an ended attempt may be handed off now. */
  readonly #may: () => boolean;
  /** Hands off an attempt that ended on its thread. */
  readonly #end: (a: Attempt) => void;

  constructor(may: () => boolean, end: (a: Attempt) => void) {
    this.#may = may;
    this.#end = end;
  }

  /** `t`'s attempt `a` was given thread `w`: watched when its end there may be handed off. */
  watch(t: Task, a: Attempt, w: PiscinaWorker): void {
    if (t.abortable || t.retiresThread || t.mode === CallMode.Stream || t.nest !== undefined) return;
    a.view = w;
    this.#watched.add(a);
  }

  unwatch(a: Attempt): void {
    if (a.view === undefined) return;
    this.#watched.delete(a);
    a.view = undefined;
  }

  /** Piscina read its queue's size: hands off the watched attempts that have ended on their thread. */
  readonly poll = (): void => {
    // Most reads come from the engine's own hand-offs (then `may` is false): checked first.
    if (this.#watched.size === 0 || !this.#may()) return;
    for (const a of this.#watched) {
      const w = a.view!;
      if (w.currentUsage !== 0 || w.destroyed || w.terminating) continue;
      const s = a.thread!;
      if (a.nest !== undefined || s.control !== undefined || s.blocked !== 0) continue;
      this.unwatch(a);
      this.#end(a);
      if (!this.#may()) return;
    }
  };
}
