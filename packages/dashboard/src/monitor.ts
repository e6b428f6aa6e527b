/**
 * The dashboard's model of what runs: fed by the sources' task events, bounded in every
 * dimension (rows, attempts, samples, metric label values), and read by the page (snapshots and
 * batched deltas) and by the Prometheus collectors.
 */
import type { TaskState } from '@taskfit/core';
import type { DashboardTaskEvent, Source, SourceResources } from './sources.js';
import { LruMap, Ring } from './bounded.js';
import type { Limits } from './limits.js';

const TERMINAL = new Set<TaskState>(['FINISHED', 'FAILED']);

/** @internal A task row as the page shows it. */
export interface TaskRow {
  key: string;
  source: string;
  kind: 'pool' | 'workers';
  taskId: string;
  name: string;
  state: TaskState;
  attempt: number;
  parentTaskId?: string;
  nodeId: string;
  resources?: Readonly<Record<string, number>>;
  gpuIds?: readonly (number | string)[];
  threadId?: number;
  /** First event of the current attempt, when it started running, when it ended (ms since the epoch). */
  queuedAt: number;
  startedAt?: number;
  endedAt?: number;
  errorType?: string;
  errorMessage?: string;
  taskQueue?: string;
  activityType?: string;
  workflowId?: string;
  runId?: string;
  namespace?: string;
}

/** @internal An attempt as the timeline draws it. */
export interface AttemptBar {
  key: string;
  source: string;
  taskKey: string;
  taskId: string;
  name: string;
  attempt: number;
  state: TaskState;
  queuedAt: number;
  startedAt?: number;
  endedAt?: number;
  threadId?: number;
  gpuIds?: readonly (number | string)[];
  gpuShare?: number;
  lane?: string;
  errorType?: string;
}

/** @internal One resource sample of one source. */
export interface Sample {
  t: number;
  reserved: Readonly<Record<string, number>>;
}

/** @internal A GPU's current holders. */
export interface GpuHolding {
  source: string;
  gpu: string;
  holders: { taskKey: string; taskId: string; name: string; fraction: number }[];
}

/** @internal What the metrics observe, per attempt. */
export interface AttemptObservation {
  source: string;
  /** The metrics' `name` label (see {@link Monitor.metricName}). */
  name: string;
  kind: 'wait' | 'run';
  seconds: number;
}

/**
 * @internal Monotonic counts kept for the metrics, keyed by the metrics' `name` label (at most
 * `maxMetricNames` names and "other"), so per-task names cannot grow them.
 */
export interface Counts {
  /** source → name label → final state → tasks. */
  tasksEnded: Map<string, Map<string, Map<TaskState, number>>>;
  /** source → name label → outcome → attempts ended. */
  attemptsEnded: Map<string, Map<string, Map<TaskState, number>>>;
  /** source → name label → retries (attempts after the first). */
  retries: Map<string, Map<string, number>>;
  /** source → name label → error type → failed attempts. */
  failures: Map<string, Map<string, Map<string, number>>>;
}

function bump<K>(m: Map<K, number>, k: K, by = 1): void {
  m.set(k, (m.get(k) ?? 0) + by);
}
function sub<K, V>(m: Map<K, V>, k: K, make: () => V): V {
  let v = m.get(k);
  if (v === undefined) m.set(k, (v = make()));
  return v;
}
/** Adds one to `m[source][name][key]`. */
function count<K>(m: Map<string, Map<string, Map<K, number>>>, source: string, name: string, key: K): void {
  bump(
    sub(
      sub(m, source, () => new Map()),
      name,
      () => new Map<K, number>(),
    ),
    key,
  );
}

/** Display name of an event: the name, else the activity type. */
function displayName(e: DashboardTaskEvent): string {
  return e.name ?? e.activityType ?? 'task';
}

/** @internal */
export class Monitor {
  readonly limits: Limits;
  readonly sources: readonly Source[];
  /** Rows of pending/running tasks and of ended ones, each LRU-bounded at `maxTasks`. */
  readonly active: LruMap<string, TaskRow>;
  readonly done: LruMap<string, TaskRow>;
  readonly attempts: LruMap<string, AttemptBar>;
  /** Attempts holding GPUs now, per task key (bounded by what the nodes can run at once). */
  readonly #holding = new Map<string, AttemptBar>();
  readonly samples: Ring<Sample>[];
  /** Values of the metrics' `name` label: the first `maxMetricNames` task names seen, then "other". */
  readonly #metricNames = new Set<string>();
  readonly counts: Counts = {
    tasksEnded: new Map(),
    attemptsEnded: new Map(),
    retries: new Map(),
    failures: new Map(),
  };
  /** Pool tasks whose FAILED may still be followed by a retry: key → source, task and name label. */
  readonly #unsure = new LruMap<string, { source: Source; taskId: string; label: string }>(10_000, (_k, u) =>
    this.#ended(u.source.id, u.label, 'FAILED'),
  );
  readonly #dirtyRows = new Set<string>();
  readonly #dirtyAttempts = new Set<string>();
  readonly #removedRows = new Set<string>();
  readonly #observers = new Set<(o: AttemptObservation) => void>();
  readonly #unsubscribe: (() => void)[] = [];
  #sampler: ReturnType<typeof setInterval> | undefined;
  #version = 0;

  constructor(sources: readonly Source[], limits: Limits) {
    this.limits = limits;
    this.sources = sources;
    this.active = new LruMap(limits.maxTasks, (k) => this.#evicted(k));
    this.done = new LruMap(limits.maxTasks, (k) => this.#evicted(k));
    this.attempts = new LruMap(limits.maxTimelineAttempts);
    this.samples = sources.map(() => new Ring<Sample>(limits.maxSamples));
    for (const s of sources) {
      // Backfill what the source remembers, then follow its events.
      for (const t of s.tasks()) for (const e of t.events) this.#apply(s, e);
      this.#unsubscribe.push(s.subscribe((e) => this.#apply(s, e)));
    }
    this.sample();
    this.#sampler = setInterval(() => {
      this.sample();
      this.resolveFailures();
    }, limits.sampleIntervalMs);
    this.#sampler.unref();
  }

  close(): void {
    for (const u of this.#unsubscribe.splice(0)) u();
    if (this.#sampler !== undefined) clearInterval(this.#sampler);
    this.#sampler = undefined;
  }

  /** Called with every queue-wait and run time observed (the metrics' histograms). */
  observe(fn: (o: AttemptObservation) => void): () => void {
    this.#observers.add(fn);
    return () => this.#observers.delete(fn);
  }

  /** The metrics' `name` label for a task name: itself if it is among the first `maxMetricNames` seen, else "other". */
  metricName(name: string): string {
    if (this.#metricNames.has(name)) return name;
    if (this.#metricNames.size < this.limits.maxMetricNames) {
      this.#metricNames.add(name);
      return name;
    }
    return 'other';
  }

  /** Bumps on every change; the server pushes when it moved. */
  get version(): number {
    return this.#version;
  }

  #evicted(key: string): void {
    this.#removedRows.add(key);
    this.#dirtyRows.delete(key);
  }

  #apply(s: Source, e: DashboardTaskEvent): void {
    this.#version++;
    const key = `${s.index}:${e.taskId}`;
    const name = displayName(e);
    const label = this.metricName(name); // names get their label in the order tasks are first seen
    let row = this.active.get(key) ?? this.done.get(key);
    const fresh = row === undefined || e.attempt > row.attempt;
    if (row === undefined) {
      row = {
        key,
        source: s.id,
        kind: s.kind,
        taskId: e.taskId,
        name,
        state: e.state,
        attempt: e.attempt,
        nodeId: e.nodeId,
        queuedAt: e.timestamp,
      };
    } else if (e.attempt < row.attempt) {
      return; // a late event of an earlier attempt
    }
    if (fresh && row.attempt !== e.attempt) {
      row.attempt = e.attempt;
      row.queuedAt = e.timestamp;
      delete row.startedAt;
      delete row.endedAt;
      delete row.threadId;
      delete row.gpuIds;
    }
    if (fresh && e.attempt > 0)
      bump(
        sub(this.counts.retries, s.id, () => new Map()),
        label,
      );
    row.name = name;
    row.state = e.state;
    row.nodeId = e.nodeId;
    if (e.parentTaskId !== undefined) row.parentTaskId = e.parentTaskId;
    if (e.resources !== undefined) row.resources = e.resources;
    if (e.gpuIds !== undefined && e.gpuIds.length > 0) row.gpuIds = [...e.gpuIds];
    if (e.threadId !== undefined) row.threadId = e.threadId;
    if (e.taskQueue !== undefined) row.taskQueue = e.taskQueue;
    if (e.activityType !== undefined) row.activityType = e.activityType;
    if (e.workflowId !== undefined) row.workflowId = e.workflowId;
    if (e.runId !== undefined) row.runId = e.runId;
    if (e.namespace !== undefined) row.namespace = e.namespace;
    if (e.state === 'RUNNING') {
      row.startedAt = e.timestamp;
      this.#emit({ source: s.id, name: label, kind: 'wait', seconds: Math.max(0, e.timestamp - row.queuedAt) / 1000 });
    }
    const ended = TERMINAL.has(e.state);
    if (ended) {
      row.endedAt = e.timestamp;
      if (row.startedAt !== undefined)
        this.#emit({
          source: s.id,
          name: label,
          kind: 'run',
          seconds: Math.max(0, e.timestamp - row.startedAt) / 1000,
        });
      count(this.counts.attemptsEnded, s.id, label, e.state);
    }
    if (e.state === 'FAILED') {
      row.errorType = e.errorType ?? 'Error';
      if (e.errorMessage !== undefined) row.errorMessage = e.errorMessage;
      else delete row.errorMessage;
      count(this.counts.failures, s.id, label, row.errorType);
    }
    this.#countEnd(s, row, e, label);

    // Rows: active and ended tasks are bounded separately, so a burst of submissions never
    // pushes out the record of what just ran (and vice versa).
    if (ended) {
      this.active.delete(key);
      this.done.set(key, row);
    } else {
      this.done.delete(key);
      this.active.set(key, row);
    }
    this.#removedRows.delete(key);
    this.#dirtyRows.add(key);
    this.#attempt(s, row);
  }

  /** `taskfit_tasks_total`: once per task, by its final state. */
  #countEnd(s: Source, row: TaskRow, e: DashboardTaskEvent, label: string): void {
    const ukey = row.key;
    if (e.state !== 'FAILED') this.#unsure.delete(ukey);
    if (e.state === 'FINISHED') this.#ended(s.id, label, 'FINISHED');
    else if (e.state === 'FAILED') {
      if (s.kind === 'workers') {
        if (e.retrying !== true) this.#ended(s.id, label, 'FAILED');
      } else {
        // A pool's FAILED event does not say whether a retry follows (it may, after a backoff):
        // decided by resolveFailures(). A later event of the task (its retry) drops the entry.
        this.#unsure.set(ukey, { source: s, taskId: row.taskId, label });
      }
    }
  }

  #ended(source: string, label: string, state: TaskState): void {
    count(this.counts.tasksEnded, source, label, state);
  }

  /**
   * Decides which pool FAILED events were final: a task whose latest attempt failed has settled
   * (one waiting out a retry's backoff already counts its next attempt); one the pool no longer
   * remembers had settled too (only settled tasks are dropped). Runs on every sample and before
   * every scrape.
   */
  resolveFailures(): void {
    if (this.#unsure.size === 0) return;
    const failed = new Map<Source, Set<string>>();
    for (const [key, u] of [...this.#unsure]) {
      let now = failed.get(u.source);
      if (now === undefined) failed.set(u.source, (now = u.source.failedNow?.() ?? new Set()));
      if (now.has(u.taskId) || u.source.remembers?.(u.taskId) === false) {
        this.#unsure.delete(key);
        this.#ended(u.source.id, u.label, 'FAILED');
      }
    }
  }

  #attempt(s: Source, row: TaskRow): void {
    const akey = `${row.key}#${row.attempt}`;
    let bar = this.attempts.get(akey);
    const started = row.startedAt !== undefined;
    const ended = row.endedAt !== undefined;
    if (bar === undefined) {
      if (!started && !ended) return; // drawn once it starts (or ends without starting)
      bar = {
        key: akey,
        source: s.id,
        taskKey: row.key,
        taskId: row.taskId,
        name: row.name,
        attempt: row.attempt,
        state: row.state,
        queuedAt: row.queuedAt,
      };
    }
    bar.state = row.state;
    bar.name = row.name;
    if (row.startedAt !== undefined) bar.startedAt = row.startedAt;
    if (row.endedAt !== undefined) bar.endedAt = row.endedAt;
    if (row.threadId !== undefined) bar.threadId = row.threadId;
    if (row.gpuIds !== undefined) {
      bar.gpuIds = row.gpuIds;
      const g = row.resources?.['GPU'] ?? 1;
      bar.gpuShare = g > 0 && g < 1 ? g : 1;
    }
    if (row.taskQueue !== undefined) bar.lane = row.taskQueue;
    if (row.errorType !== undefined && row.state === 'FAILED') bar.errorType = row.errorType;
    this.attempts.set(akey, bar);
    this.#dirtyAttempts.add(akey);
    if (bar.gpuIds !== undefined && started && !ended) this.#holding.set(row.key, bar);
    else this.#holding.delete(row.key);
    if (this.#holding.size > 100_000) this.#holding.delete(this.#holding.keys().next().value!); // lost end events
  }

  #emit(o: AttemptObservation): void {
    for (const fn of this.#observers) fn(o);
  }

  /** Records one resource sample per source. */
  sample(): void {
    const t = Date.now();
    for (const s of this.sources) {
      this.samples[s.index]!.push({ t, reserved: s.resources().reserved });
    }
    this.#version++;
  }

  resources(): { source: string; kind: string; nodeId: string; now: SourceResources }[] {
    return this.sources.map((s) => ({ source: s.id, kind: s.kind, nodeId: s.nodeId, now: s.resources() }));
  }

  /** Per GPU of every source: which task holds which fraction now. */
  gpus(): GpuHolding[] {
    const out = new Map<string, GpuHolding>();
    for (const s of this.sources) {
      const n = s.resources().total['GPU'] ?? 0;
      for (let i = 0; i < n; i++) out.set(`${s.id}\u0000${i}`, { source: s.id, gpu: String(i), holders: [] });
    }
    for (const bar of this.#holding.values()) {
      for (const g of bar.gpuIds ?? []) {
        const k = `${bar.source}\u0000${String(g)}`;
        let h = out.get(k);
        if (h === undefined) out.set(k, (h = { source: bar.source, gpu: String(g), holders: [] }));
        h.holders.push({ taskKey: bar.taskKey, taskId: bar.taskId, name: bar.name, fraction: bar.gpuShare ?? 1 });
      }
    }
    return [...out.values()];
  }

  /** Counts by latest state per source (the sources' `summarizeTasks()`). */
  summaries(): { source: string; total: number; byState: Partial<Record<TaskState, number>> }[] {
    return this.sources.map((s) => {
      const sum = s.summarize();
      return { source: s.id, total: sum.total, byState: { ...sum.byState } };
    });
  }

  /** Rows, attempts and removals changed since the last call. */
  takeChanges(): { rows: TaskRow[]; removed: string[]; attempts: AttemptBar[] } {
    const rows: TaskRow[] = [];
    for (const k of this.#dirtyRows) {
      const r = this.active.get(k) ?? this.done.get(k);
      if (r !== undefined) rows.push(r);
    }
    const attempts: AttemptBar[] = [];
    for (const k of this.#dirtyAttempts) {
      const a = this.attempts.get(k);
      if (a !== undefined) attempts.push(a);
    }
    const removed = [...this.#removedRows];
    this.#dirtyRows.clear();
    this.#dirtyAttempts.clear();
    this.#removedRows.clear();
    return { rows, removed, attempts };
  }

  /** Every kept row, most recently changed last. */
  rows(): TaskRow[] {
    return [...this.done.values(), ...this.active.values()];
  }
}
