/** One accepted task, across its attempts: what the pool needs while the task is alive. */
import type { MessagePort, Transferable } from 'node:worker_threads';
import type { Holding } from './ledger.js';
import type { TaskRecord } from './history.js';
import type { ThreadState } from './threads.js';
import type { TaskSpec } from './spec.js';
import type { CallMode, Envelope } from './wire.js';
import type { DownMessage } from './control-wire.js';
import type { PiscinaWorker } from './options.js';

/** Where a task is. */
export const Phase = {
  /** `remote()` arguments that are ObjectRefs are being awaited. */
  Args: 0,
  /** In the admission queue, waiting for resources. */
  Queued: 1,
  /** Waiting out a retry's backoff. */
  Backoff: 2,
  /** Resources held; handed to Piscina, waiting for a thread. */
  Handed: 3,
  /** On a thread. */
  Running: 4,
  /** Finished, failed or cancelled. */
  Settled: 5,
} as const;
export type Phase = (typeof Phase)[keyof typeof Phase];

/** Which API submitted the task: `run()` reports Piscina's messages, `remote()` core's. */
export const Api = { Run: 0, Remote: 1 } as const;
export type Api = (typeof Api)[keyof typeof Api];

/** One attempt handed to Piscina: what it holds and where it runs. */
export interface Attempt {
  readonly task: Task;
  holding: Holding | null;
  thread: ThreadState | undefined;
  /** Piscina has settled it (or TaskPool withdrew it from Piscina's queue). */
  over: boolean;
  /** It finished on its thread (the thread took another task) and Piscina is settling it. */
  offThread: boolean;
  /** Set on the attempt of a task that submitted child tasks (children.ts). */
  nest: AttemptNest | undefined;
  /** Its thread as the balancer saw it, while the engine watches for its end there (early hand-off). */
  view: PiscinaWorker | undefined;
}

/** Where a stream's items go: an ObjectRefGenerator, or the parent thread of a streaming child. */
export interface StreamSink {
  push(item: { value: unknown } | { error: unknown } | { done: true }): void;
}

/** A task's place in a tree of nested tasks (set on child tasks and on tasks that submitted children). */
export interface TaskNest {
  /** The task that submitted this one. */
  readonly parent: Task | undefined;
  /** The parent's attempt that submitted it (results are sent to it while it runs). */
  readonly parentAttempt: Attempt | undefined;
  /** 0 for a top-level task. */
  readonly depth: number;
  /** Children submitted by any attempt of this task that have not settled yet. */
  live: Set<Task> | undefined;
}

/** What the main thread keeps of one running attempt that submitted child tasks. */
export interface AttemptNest {
  /** Its children by id, settled ones included (their refs may still be passed as arguments or waited on). */
  readonly refs: Map<string, Task>;
  /** Outstanding blocking operations (awaited refs, waits): the attempt is blocked while this is above 0. */
  blockers: number;
  /** Its CPUs are given back while it is blocked. */
  cpuOut: boolean;
  /** Messages held back until it has its CPUs again (it resumes with them). */
  held: DownMessage[] | undefined;
  /** Children it awaits (their results, or their streams' next items). */
  readonly awaited: Set<string>;
  /** Children whose result (or end) has been sent to its thread. */
  readonly sent: Set<string>;
  /** Its pending waits by id: `check` re-evaluates one when a child settles. */
  readonly waits: Map<number, { check(): void; cancel(): void }>;
  /** Order in which it last blocked (the newest blocked task is failed first when threads run out). */
  blockedSeq: number;
}

export class Task {
  readonly seq: number;
  readonly #idPrefix: string;
  #id: string | undefined;
  readonly spec: TaskSpec;
  readonly api: Api;
  /** Module path of the export. */
  readonly file: string;
  readonly exportName: string;
  readonly mode: CallMode;
  /** The task (Single) or the argument list (Spread/Stream), as sent to each attempt. */
  args: unknown;
  /** Whether `args` is a private copy (made at submission) rather than the caller's object. */
  snapshot = false;
  transferList: readonly Transferable[] | undefined;
  /** The caller's `task[Piscina.queueOptionsSymbol]`, for a custom task queue or balancer. */
  readonly queueOptions: object | null;
  /** Runs alone on its thread (Piscina's "abortable"): isolated options, or a caller's signal. */
  readonly abortable: boolean;
  readonly record: TaskRecord | undefined;

  phase: Phase = Phase.Queued;
  /** In the admission queue. */
  queued = false;
  attempt = 0;
  /** The current attempt, while Piscina holds it. */
  live: Attempt | undefined;
  /** Thread the current attempt runs on, -1 before. */
  threadId = -1;
  /** This attempt reached its function's `maxCalls` on its thread: the thread retires after it. */
  retiresThread = false;
  /** Aborts the current attempt inside Piscina (abortable tasks only). */
  abort: AbortController | undefined;
  /** Set by a cancel: the task settles as cancelled whatever its attempt returns. */
  cancelled: { reason: string; cause: unknown } | undefined;
  /** Stops listening to the caller's signal. */
  unlisten: (() => void) | undefined;
  envelope: Envelope | null = null;
  /** performance.now() when the current attempt was submitted, and when a thread took it. */
  submittedAt = 0;
  startedAt = 0;
  bypassed = 0;
  feasibilityChecked = false;
  timer: ReturnType<typeof setTimeout> | undefined;
  stream: StreamSink | undefined;
  streamed = 0;
  port: MessagePort | undefined;
  deferred: (() => void) | undefined;
  /** Its place in a tree of nested tasks; undefined for a top-level task that submitted none. */
  nest: TaskNest | undefined;
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: unknown) => void;
  readonly promise: Promise<unknown>;
  readonly #cancel: (t: Task, reason: string, cause?: unknown) => boolean;

  constructor(init: {
    seq: number;
    idPrefix: string;
    spec: TaskSpec;
    api: Api;
    file: string;
    exportName: string;
    mode: CallMode;
    args: unknown;
    transferList: readonly Transferable[] | undefined;
    queueOptions: object | null;
    abortable: boolean;
    /** Makes the task's history record: `id` is a child task's id (a top-level task's is `<idPrefix><seq>`). */
    record: (
      idPrefix: string,
      seq: number,
      id: string | undefined,
      name: string,
      parentTaskId: string | undefined,
    ) => TaskRecord | undefined;
    cancel: (t: Task, reason: string, cause?: unknown) => boolean;
    /** A child task: its id (`<parent id>.<n>`) and place in the tree; undefined for a top-level task. */
    nest: { id: string; nest: TaskNest } | undefined;
  }) {
    this.seq = init.seq;
    this.#idPrefix = init.idPrefix;
    this.spec = init.spec;
    this.api = init.api;
    this.file = init.file;
    this.exportName = init.exportName;
    this.mode = init.mode;
    this.args = init.args;
    this.transferList = init.transferList;
    this.queueOptions = init.queueOptions;
    this.abortable = init.abortable;
    this.#cancel = init.cancel;
    let res!: (v: unknown) => void;
    let rej!: (e: unknown) => void;
    this.promise = new Promise((a, b) => {
      res = a;
      rej = b;
    });
    this.resolve = res;
    this.reject = rej;
    const nest = init.nest;
    if (nest === undefined) {
      this.nest = undefined;
      this.record = init.spec.visible
        ? init.record(init.idPrefix, init.seq, undefined, this.name, undefined)
        : undefined;
    } else {
      this.#id = nest.id;
      this.nest = nest.nest;
      this.record = init.spec.visible
        ? init.record(init.idPrefix, init.seq, nest.id, this.name, nest.nest.parent?.id)
        : undefined;
    }
  }

  /** The pool's id of the task (`<pool>-<seq>`), built on first use. */
  get id(): string {
    return (this.#id ??= `${this.#idPrefix}${this.seq}`);
  }

  get taskId(): string {
    return this.id;
  }

  /** The `name` option, else the export name. */
  get name(): string {
    return this.spec.name ?? this.exportName;
  }

  get settled(): boolean {
    return this.phase === Phase.Settled;
  }

  /** Cancels the task (ObjectRef.cancel). */
  cancel(reason?: string): boolean {
    return this.#cancel(this, reason ?? 'cancelled');
  }
}

/**
 * Copies a task's arguments (structured clone; primitives as they are) so that the task no longer
 * sees the caller's changes. Arguments that cannot be cloned are kept as they are: posting them
 * fails the attempt with a DataCloneError, as in Piscina.
 */
export function snapshotArgs(t: Task): void {
  if (t.snapshot || t.transferList !== undefined) return;
  const args = t.args;
  if (args !== null && typeof args === 'object') {
    try {
      t.args = structuredClone(args);
    } catch {
      return;
    }
  }
  t.snapshot = true;
}
