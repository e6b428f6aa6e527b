/**
 * The two hooks TaskPool gives Piscina: the task queue its tasks wait in for a thread, and the
 * balancer that picks the thread.
 *
 * Piscina queues its own task objects (TaskInfo, carrying TaskPool's envelope); a custom
 * `taskQueue` is shown each task as the caller submitted it — `task`, `filename`, `name`, the
 * caller's `[Piscina.queueOptionsSymbol]` — and so is a custom `loadBalancer`.
 */
import { MessageChannel } from 'node:worker_threads';
import type { Transferable } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { Holding } from './ledger.js';
import type { PiscinaLoadBalancer, PiscinaTask, PiscinaWorker, PoolConfig, TaskQueue } from './options.js';
import { attemptEnv } from './spec.js';
import { Phase } from './task.js';
import type { Task } from './task.js';
import { CallMode } from './wire.js';
import type { Envelope, StreamMessage } from './wire.js';

const QUEUE_OPTIONS: symbol = Piscina.queueOptionsSymbol;
const NO_DEVICES: readonly string[] = Object.freeze([]);

/**
 * The message an attempt is posted as, and its transfer list. The Task rides along under
 * Piscina's queue-options symbol (for the queue and balancer); structured clone drops symbol
 * keys, so the thread never sees it. A streaming task gets the port its items travel on.
 */
export function envelopeOf(
  t: Task,
  holding: Holding,
  config: Pick<PoolConfig, 'filename' | 'concurrentTasksPerWorker' | 'baseEnv'>,
): { envelope: Envelope; transferList: readonly Transferable[] | undefined } {
  const spec = t.spec;
  // One object shape for every envelope.
  const envelope: Envelope = {
    n: t.exportName,
    a: t.args,
    m: t.mode,
    i: t.seq,
    t: t.attempt,
    s: spec.id,
    [QUEUE_OPTIONS]: t,
  };
  if (t.file !== config.filename) envelope.f = t.file;
  const parent = t.nest?.parent;
  if (parent !== undefined) {
    envelope.I = t.id;
    envelope.q = parent.id;
  }
  if (!t.abortable && config.concurrentTasksPerWorker > 1) envelope.x = 1;
  if (spec.gpu) envelope.g = holding.gpuIds;
  const env = attemptEnv(spec, spec.gpu ? holding.visibleDevices : NO_DEVICES, config.baseEnv);
  if (env !== undefined) {
    envelope.e = env;
    if (spec.envVars !== undefined) {
      const vars: Record<string, string> = {};
      for (const k of Object.keys(spec.envVars)) vars[k] = env[k]!;
      envelope.r = { envVars: vars };
    }
  }
  let transferList = t.transferList;
  if (t.mode === CallMode.Stream) {
    const ch = new MessageChannel();
    t.port = ch.port1;
    envelope.p = ch.port2;
    transferList = [ch.port2];
    ch.port1.on('message', (m: StreamMessage) => {
      if ('v' in m) {
        t.streamed++;
        t.stream!.push({ value: m.v });
      } else {
        ch.port1.close();
        if (t.port === ch.port1) t.port = undefined;
        const d = t.deferred;
        t.deferred = undefined;
        d?.();
      }
    });
  }
  return { envelope, transferList };
}

/** The TaskPool task a Piscina task object (TaskInfo, or its balancer view) carries, if any. */
export function taskOf(piscinaTask: object): Task | undefined {
  return ((piscinaTask as Record<symbol, unknown>)[QUEUE_OPTIONS] as Task | null | undefined) ?? undefined;
}

/** A task as a custom task queue or load balancer sees it. */
function viewOf(t: Task, info: { taskId: number; created: number }): PiscinaTask & { task: unknown } {
  return {
    taskId: info.taskId,
    filename: t.file,
    name: t.exportName,
    created: info.created,
    isAbortable: t.abortable,
    task: t.args,
    [QUEUE_OPTIONS]: t.queueOptions,
  } as unknown as PiscinaTask & { task: unknown };
}

/** The queue Piscina uses: the caller's (with caller's-eye views) or Piscina's FixedQueue. */
export class PiscinaQueue implements TaskQueue {
  readonly inner: TaskQueue;
  readonly #custom: boolean;
  /** Piscina task object ↔ the view the custom queue holds. */
  readonly #views = new Map<object, object>();
  readonly #infos = new Map<object, object>();
  /** TaskPool task → its queued Piscina task object. */
  readonly #byTask = new WeakMap<Task, object>();
  /** Piscina task objects without a TaskPool task (empty envelopes that start a thread): never shown to a custom queue. */
  readonly #kicks: object[] = [];

  constructor(custom: TaskQueue | undefined) {
    this.#custom = custom !== undefined;
    this.inner = custom ?? new Piscina.FixedQueue();
  }

  /**
   * Called whenever Piscina reads the queue's size — which it does, among others, as soon as a
   * thread has finished a task, before it settles the task's promise (integration-points §1.4).
   */
  onSize: (() => void) | undefined = undefined;

  get size(): number {
    this.onSize?.();
    return this.waiting;
  }

  /** Tasks waiting for a thread (what `size` says, without calling `onSize`). */
  get waiting(): number {
    return this.inner.size + this.#kicks.length;
  }

  #wrap(info: object): object {
    const t = taskOf(info);
    if (t !== undefined) this.#byTask.set(t, info);
    if (!this.#custom || t === undefined) return info;
    const v = viewOf(t, info as { taskId: number; created: number });
    this.#views.set(info, v);
    this.#infos.set(v, info);
    return v;
  }

  #unwrap(x: object): object {
    if (!this.#custom) return x;
    const info = this.#infos.get(x);
    if (info === undefined) return x;
    this.#infos.delete(x);
    this.#views.delete(info);
    return info;
  }

  push(info: never): void {
    if (this.#custom && taskOf(info) === undefined) this.#kicks.push(info);
    else this.inner.push(this.#wrap(info) as never);
  }

  unshift(info: never): void {
    if (this.#custom && taskOf(info) === undefined) return void this.#kicks.unshift(info);
    const x = this.#wrap(info) as never;
    if (this.inner.unshift !== undefined) this.inner.unshift(x);
    else this.inner.push(x);
  }

  shift(): never {
    for (;;) {
      const x = (this.inner.size > 0 ? this.inner.shift() : this.#kicks.shift()) as object | null | undefined;
      if (x == null) return null as never;
      const info = this.#unwrap(x);
      const t = taskOf(info);
      // Settled while it waited (e.g. rejected by maxQueue, or force-closed): never posted.
      if (t !== undefined && t.phase !== Phase.Handed) continue;
      return info as never;
    }
  }

  remove(info: never): void {
    const k = this.#kicks.indexOf(info);
    if (k !== -1) return void this.#kicks.splice(k, 1);
    const x = (this.#custom ? this.#views.get(info) : info) as never;
    if (x === undefined) return;
    this.inner.remove(x);
    this.#unwrap(x);
  }

  /** Takes `t` out of the queue, if it is there (a bare task cancelled while waiting for a thread). */
  removeTask(t: Task): void {
    const info = this.#byTask.get(t);
    if (info !== undefined) {
      this.#byTask.delete(t);
      this.remove(info as never);
    }
  }
}

/**
 * Piscina's LeastBusyBalancer (worker_pool/balancer): an idle thread first; else, for a task
 * that may share, the least busy thread below `maximumUsage` that runs no abortable task. Skips
 * threads that are going away.
 */
export function leastBusy(
  task: PiscinaTask,
  workers: readonly PiscinaWorker[],
  maximumUsage: number,
): PiscinaWorker | null {
  let candidate: PiscinaWorker | null = null;
  let checkpoint = maximumUsage;
  for (const w of workers) {
    if (w.terminating || w.destroyed) continue;
    if (w.currentUsage === 0) return w;
    if (w.isRunningAbortableTask) continue;
    if (!task.isAbortable && w.currentUsage < checkpoint) {
      candidate = w;
      checkpoint = w.currentUsage;
    }
  }
  return candidate;
}

/**
 * The balancer handed to Piscina: picks with the caller's balancer (shown caller's-eye task
 * views, and never a retiring thread) or {@link leastBusy}, refuses a pick that would break a
 * task's isolation, and reports the pick.
 */
export function makeBalancer(opts: {
  user: PiscinaLoadBalancer | undefined;
  maximumUsage: number;
  retiring: ReadonlySet<number>;
  /** Whether `t` may not go to `w` (isolation), checked on the caller's balancer's picks. */
  refuses: (t: Task, w: PiscinaWorker) => boolean;
  /** Reports the thread a task was given. */
  onDispatch: (t: Task, w: PiscinaWorker) => void;
}): PiscinaLoadBalancer {
  const { user, maximumUsage, retiring, refuses, onDispatch } = opts;
  return (task, workers) => {
    const t = taskOf(task);
    const candidates = retiring.size === 0 ? workers : workers.filter((w) => !retiring.has(w.id));
    let chosen: PiscinaWorker | null;
    if (user === undefined || t === undefined) chosen = leastBusy(task, candidates, maximumUsage);
    else {
      chosen = user(viewOf(t, task), candidates) ?? null;
      if (chosen !== null && (retiring.has(chosen.id) || refuses(t, chosen))) chosen = null;
    }
    if (chosen !== null && t !== undefined) onDispatch(t, chosen);
    return chosen;
  };
}
