/**
 * Task timelines as Chrome trace-event JSON (what `ray timeline` writes), loadable in Perfetto and
 * chrome://tracing. Pure functions over task events: every executor folds its events into
 * attempts with {@link taskAttempts} and renders them with {@link chromeTrace}.
 *
 * Lanes. Each attempt is drawn once, as one complete (`ph: 'X'`) event named after the task's
 * display name, in the lane of the scarcest thing it held: its GPU (the first one, when it held
 * several) if it held any, else the thread it ran on, else (executors without threads, e.g.
 * Temporal activities) a slot lane of its `lane` key (e.g. the task queue). Attempts that ended
 * before they started (infeasible, cancelled while waiting) are drawn over their wait in
 * "not started" lanes. Overlapping attempts on one GPU (fractional shares) get sub-lanes
 * (`GPU 0`, `GPU 0 · 2`, …) so no lane holds overlapping slices. Each GPU also gets a counter
 * track of the fraction reserved on it, so multi-GPU attempts show on every device they held.
 */
import type { TaskState } from '../types.js';

/** The fields of a task event a timeline needs (both executors' `TaskEvent`s have them). */
export interface TimelineTaskEvent {
  readonly taskId: string;
  /** Display name (the `name` option, else the function's). */
  readonly name: string;
  /** 0-based attempt number. */
  readonly attempt: number;
  readonly state: TaskState;
  /** Milliseconds since the epoch. */
  readonly timestamp: number;
  readonly nodeId?: string | undefined;
  readonly threadId?: number | undefined;
  readonly gpuIds?: readonly number[] | readonly string[] | undefined;
  readonly resources?: Readonly<Record<string, number>> | undefined;
  readonly errorType?: string | undefined;
  readonly errorMessage?: string | undefined;
  /** The task that submitted this one (nested tasks), when known. */
  readonly parentTaskId?: string | undefined;
}

/** One attempt of one task, folded from its events (the latest value of each event field). */
export interface TaskAttemptSpan extends Omit<TimelineTaskEvent, 'timestamp' | 'nodeId'> {
  /** The attempt's latest state. */
  readonly state: TaskState;
  /** The node it ran on; `''` when no event named one. */
  readonly nodeId: string;
  /** First event of the attempt (it entered a pending state), ms since the epoch. */
  readonly queuedAt: number;
  /** RUNNING, ms since the epoch; absent while it has not started. */
  readonly startedAt?: number | undefined;
  /** FINISHED or FAILED, ms since the epoch; absent while it runs or waits. */
  readonly endedAt?: number | undefined;
  /** Lane group for attempts without a thread (e.g. a Temporal task queue). */
  readonly lane?: string | undefined;
}

/** One Chrome trace event (the subset of the format this module writes). */
export interface ChromeTraceEvent {
  readonly name: string;
  /** `X` complete, `C` counter, `M` metadata. */
  readonly ph: 'X' | 'C' | 'M';
  /** Microseconds since the epoch (absent on metadata events). */
  readonly ts?: number;
  /** Microseconds (complete events). */
  readonly dur?: number;
  readonly pid: number;
  readonly tid?: number;
  readonly cat?: string;
  readonly args?: Readonly<Record<string, unknown>>;
}

/** A Chrome trace (JSON object format). */
export interface ChromeTrace {
  readonly traceEvents: readonly ChromeTraceEvent[];
  readonly displayTimeUnit: 'ms';
  readonly otherData: Readonly<Record<string, string>>;
}

/** Options of {@link chromeTrace}. */
export interface ChromeTraceOptions {
  /** End of attempts still running, ms since the epoch. @default Date.now() */
  readonly now?: number;
}

const TERMINAL = new Set<TaskState>(['FINISHED', 'FAILED']);

/**
 * Folds task events (any order, any mix of tasks) into one span per attempt, ordered by the
 * time the attempt was queued. `lane` names the lane group of an attempt without a thread.
 */
export function taskAttempts(
  events: Iterable<TimelineTaskEvent>,
  lane?: (event: TimelineTaskEvent) => string | undefined,
): TaskAttemptSpan[] {
  const spans = new Map<string, { -readonly [K in keyof TaskAttemptSpan]: TaskAttemptSpan[K] }>();
  const sorted = [...events].sort((a, b) => a.timestamp - b.timestamp);
  for (const e of sorted) {
    const key = `${e.attempt}\u0000${e.taskId}`;
    let s = spans.get(key);
    if (s === undefined) {
      s = {
        taskId: e.taskId,
        name: e.name,
        attempt: e.attempt,
        state: e.state,
        nodeId: e.nodeId ?? '',
        queuedAt: e.timestamp,
      };
      spans.set(key, s);
    }
    s.state = e.state;
    if (e.state === 'RUNNING') s.startedAt = e.timestamp;
    if (TERMINAL.has(e.state)) s.endedAt = e.timestamp;
    if (e.threadId !== undefined) s.threadId = e.threadId;
    if (e.gpuIds !== undefined && e.gpuIds.length > 0) s.gpuIds = e.gpuIds;
    if (e.resources !== undefined) s.resources = e.resources;
    if (e.errorType !== undefined) s.errorType = e.errorType;
    if (e.errorMessage !== undefined) s.errorMessage = e.errorMessage;
    if (e.parentTaskId !== undefined) s.parentTaskId = e.parentTaskId;
    if (lane !== undefined && s.lane === undefined) {
      const l = lane(e);
      if (l !== undefined) s.lane = l;
    }
  }
  return [...spans.values()].sort((a, b) => a.queuedAt - b.queuedAt || a.attempt - b.attempt);
}

/** Assigns intervals to the first sub-lane free at their start (greedy interval partitioning). */
class SubLanes {
  readonly #ends: number[] = [];
  place(start: number, end: number): number {
    let i = this.#ends.findIndex((e) => e <= start);
    if (i < 0) i = this.#ends.push(end) - 1;
    else this.#ends[i] = end;
    return i;
  }
}

const US = 1000;

/** The fraction of GPU `index` an attempt holds (whole GPUs: 1 each; a fraction: that fraction). */
function gpuShare(span: TaskAttemptSpan): number {
  const g = span.resources?.['GPU'] ?? 0;
  const n = span.gpuIds?.length ?? 0;
  if (n === 0) return 0;
  return g > 0 && g < 1 ? g : 1;
}

/**
 * Renders attempts as a Chrome trace: one complete event per attempt that started or ended (see
 * the module comment for lanes), metadata naming every process and lane, and a counter of the
 * fraction reserved per GPU. Attempts still waiting are left out. Timestamps are microseconds
 * since the epoch.
 */
export function chromeTrace(attempts: Iterable<TaskAttemptSpan>, options: ChromeTraceOptions = {}): ChromeTrace {
  const now = options.now ?? Date.now();
  const meta: ChromeTraceEvent[] = [];
  const slices: ChromeTraceEvent[] = [];
  const counters: { ts: number; pid: number; gpu: string; delta: number }[] = [];
  const pids = new Map<string, number>();
  const lanes = new Map<string, { pid: number; tid: number }>();
  const subLanes = new Map<string, SubLanes>();

  const pidOf = (process: string, sort: number): number => {
    let pid = pids.get(process);
    if (pid === undefined) {
      pid = pids.size + 1;
      pids.set(process, pid);
      meta.push({ name: 'process_name', ph: 'M', pid, args: { name: process } });
      meta.push({ name: 'process_sort_index', ph: 'M', pid, args: { sort_index: sort * 1000 + pid } });
    }
    return pid;
  };
  const laneOf = (pid: number, key: string, label: string, tid?: number): number => {
    const k = `${pid}\u0000${key}`;
    let l = lanes.get(k);
    if (l === undefined) {
      l = { pid, tid: tid ?? 1_000_000 + lanes.size };
      lanes.set(k, l);
      meta.push({ name: 'thread_name', ph: 'M', pid, tid: l.tid, args: { name: label } });
      meta.push({ name: 'thread_sort_index', ph: 'M', pid, tid: l.tid, args: { sort_index: l.tid } });
    }
    return l.tid;
  };
  const partitioned = (group: string, start: number, end: number): number => {
    let s = subLanes.get(group);
    if (s === undefined) subLanes.set(group, (s = new SubLanes()));
    return s.place(start, end);
  };

  const list = [...attempts].sort((a, b) => (a.startedAt ?? a.queuedAt) - (b.startedAt ?? b.queuedAt));
  for (const a of list) {
    if (a.startedAt === undefined && a.endedAt === undefined) continue; // still waiting: no lane yet
    const node = a.nodeId === '' ? 'node' : a.nodeId;
    const started = a.startedAt !== undefined;
    const start = a.startedAt ?? a.queuedAt;
    const end = Math.max(start, a.endedAt ?? now);
    let pid: number;
    let tid: number;
    const gpus = a.gpuIds ?? [];
    if (started && gpus.length > 0) {
      pid = pidOf(`${node} · GPUs`, 1);
      const gpu = String(gpus[0]);
      const sub = partitioned(`${node}\u0000gpu\u0000${gpu}`, start, end);
      tid = laneOf(pid, `gpu:${gpu}:${sub}`, sub === 0 ? `GPU ${gpu}` : `GPU ${gpu} · ${sub + 1}`);
    } else {
      pid = pidOf(node, 0);
      if (started && a.threadId !== undefined)
        tid = laneOf(pid, `thread:${a.threadId}`, `thread ${a.threadId}`, a.threadId);
      else {
        const group = started ? (a.lane ?? 'tasks') : 'not started';
        const sub = partitioned(`${node}\u0000lane\u0000${group}`, start, end);
        tid = laneOf(pid, `lane:${group}:${sub}`, `${group} · ${sub + 1}`);
      }
    }
    const args: Record<string, unknown> = {
      taskId: a.taskId,
      attempt: a.attempt,
      state: a.state,
      nodeId: a.nodeId,
      queuedMs: Math.max(0, start - a.queuedAt),
    };
    if (a.threadId !== undefined) args['threadId'] = a.threadId;
    if (gpus.length > 0) args['gpuIds'] = [...gpus];
    if (a.resources !== undefined) args['resources'] = { ...a.resources };
    if (a.errorType !== undefined) args['errorType'] = a.errorType;
    if (a.errorMessage !== undefined) args['errorMessage'] = a.errorMessage;
    if (a.parentTaskId !== undefined) args['parentTaskId'] = a.parentTaskId;
    if (a.lane !== undefined) args['lane'] = a.lane;
    if (a.endedAt === undefined) args['running'] = true;
    const cat = [
      'task',
      a.attempt > 0 ? 'retry' : '',
      a.state === 'FAILED' ? 'failed' : '',
      started ? '' : 'not-started',
    ]
      .filter((c) => c !== '')
      .join(',');
    slices.push({ name: a.name, cat, ph: 'X', ts: start * US, dur: (end - start) * US, pid, tid, args });
    if (started) {
      const share = gpuShare(a);
      for (const g of gpus) {
        const gpid = pidOf(`${node} · GPUs`, 1);
        counters.push({ ts: start, pid: gpid, gpu: String(g), delta: share });
        if (a.endedAt !== undefined) counters.push({ ts: end, pid: gpid, gpu: String(g), delta: -share });
      }
    }
  }

  // Counter tracks: the fraction reserved on each GPU, after every change.
  counters.sort((x, y) => x.ts - y.ts);
  const level = new Map<string, number>();
  const out: ChromeTraceEvent[] = [];
  for (const c of counters) {
    const k = `${c.pid}\u0000${c.gpu}`;
    const v = Math.round(((level.get(k) ?? 0) + c.delta) * 10_000) / 10_000;
    level.set(k, v);
    out.push({ name: `GPU ${c.gpu} reserved`, ph: 'C', ts: c.ts * US, pid: c.pid, args: { fraction: v } });
  }
  return {
    traceEvents: [...meta, ...slices, ...out],
    displayTimeUnit: 'ms',
    otherData: { generator: 'taskfit', version: '1' },
  };
}
