/** One accepted task, across its attempts: what the pool needs while the task is alive. */
import type { MessagePort, Transferable } from 'node:worker_threads';
import type { Holding } from './ledger.js';
import type { TaskRecord } from './history.js';
import type { ThreadState } from './threads.js';
import type { ObjectRefGenerator } from './object-ref.js';
import type { TaskSpec } from './spec.js';
import type { CallMode, Envelope } from './wire.js';

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
  offThread?: boolean;
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
  stream: ObjectRefGenerator | undefined;
  streamed = 0;
  port: MessagePort | undefined;
  deferred: (() => void) | undefined;
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
    record: (id: string, name: string) => TaskRecord | undefined;
    cancel: (t: Task, reason: string, cause?: unknown) => boolean;
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
    this.record = init.spec.visible ? init.record(this.id, this.name) : undefined;
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
