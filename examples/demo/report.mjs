// Rendering for the demo: live progress lines, the per-task timeline table and the resource
// utilisation summary. Everything here is computed from TaskPool's task events alone.

const TERMINAL = new Set(['FINISHED', 'FAILED']);

/** `{ CPU: 1, GPU: 0.5 }` → `CPU 1 GPU 0.5` (memory in MiB/GiB; accelerator markers dropped). */
export function formatResources(resources) {
  if (!resources) return '';
  return Object.entries(resources)
    .filter(([k, v]) => v !== 0 && !k.startsWith('accelerator_type:') && !k.startsWith('node:'))
    .map(([k, v]) => (k === 'memory' ? `mem ${formatBytes(v)}` : `${k} ${round(v)}`))
    .join(' ');
}

function formatBytes(bytes) {
  if (bytes >= 2 ** 30) return `${round(bytes / 2 ** 30)}GiB`;
  return `${round(bytes / 2 ** 20)}MiB`;
}

function round(x, digits = 2) {
  return String(Math.round(x * 10 ** digits) / 10 ** digits);
}

const secs = (ms) => `${(ms / 1000).toFixed(2)}s`;

/**
 * Live progress. One line per task event (works in CI logs); on a terminal, a status line of
 * running/waiting/finished counts and free resources is redrawn below the event lines.
 */
export class Progress {
  #out;
  #tty;
  #t0;
  #pool;
  #latest = new Map();
  #statusShown = false;
  #lastStatusAt = 0;

  constructor(out, pool, t0) {
    this.#out = out;
    this.#tty = Boolean(out.isTTY);
    this.#pool = pool;
    this.#t0 = t0;
  }

  /** Handles one TaskPool `taskEvent`. */
  onEvent(e) {
    this.#latest.set(e.taskId, e);
    const parts = [
      `+${secs(e.timestamp - this.#t0).padStart(6)}`,
      e.state.padEnd(23),
      e.name.padEnd(18),
      `attempt ${e.attempt}`,
    ];
    if (e.state === 'SUBMITTED_TO_WORKER') {
      parts.push(formatResources(e.resources));
      if (e.gpuIds?.length) parts.push(`gpu ids [${e.gpuIds.join(',')}]`);
    }
    if (e.state === 'RUNNING' && e.threadId !== undefined) parts.push(`thread ${e.threadId}`);
    if (e.state === 'FAILED') parts.push(`${e.errorType}: ${truncate(e.errorMessage ?? '', 60)}`);
    this.#line(parts.join('  '));
    if (!this.#tty && e.timestamp - this.#lastStatusAt >= 1000) {
      this.#lastStatusAt = e.timestamp;
      this.#out.write(`         ${this.status()}\n`);
    }
  }

  /** `running 3 | waiting 2 | finished 7 | failed 1 | free CPU 0.5/2 GPU 1/2`. */
  status() {
    const counts = { running: 0, waiting: 0, finished: 0, failed: 0 };
    for (const e of this.#latest.values()) {
      if (e.state === 'RUNNING' || e.state === 'SUBMITTED_TO_WORKER') counts.running++;
      else if (e.state === 'FINISHED') counts.finished++;
      else if (e.state === 'FAILED') counts.failed++;
      else counts.waiting++;
    }
    const { total, available } = this.#pool.resources;
    const free = ['CPU', 'GPU']
      .filter((k) => (total[k] ?? 0) > 0)
      .map((k) => `${k} ${round(available[k] ?? 0)}/${round(total[k])}`)
      .join(' ');
    return `running ${counts.running} | waiting ${counts.waiting} | finished ${counts.finished} | failed ${counts.failed} | free ${free}`;
  }

  #line(text) {
    if (this.#tty) {
      if (this.#statusShown) this.#out.write('\r\x1b[2K');
      this.#out.write(`${text}\n\x1b[2m${this.status()}\x1b[0m`);
      this.#statusShown = true;
    } else {
      this.#out.write(`${text}\n`);
    }
  }

  /** Ends the live display (clears the status line on a terminal). */
  end() {
    if (this.#tty && this.#statusShown) this.#out.write('\r\x1b[2K');
    this.#statusShown = false;
  }
}

function truncate(s, n) {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

/** Per attempt of a task: when it was queued, reserved resources, started running, ended. */
export function attemptsOf(task) {
  const byAttempt = new Map();
  for (const e of task.events) {
    let a = byAttempt.get(e.attempt);
    if (!a) byAttempt.set(e.attempt, (a = { attempt: e.attempt, queued: e.timestamp }));
    if (e.state === 'SUBMITTED_TO_WORKER') {
      a.reserved = e.timestamp;
      a.resources = e.resources;
      a.gpuIds = e.gpuIds ?? [];
    }
    if (e.state === 'RUNNING') a.running = e.timestamp;
    if (TERMINAL.has(e.state)) {
      a.end = e.timestamp;
      a.state = e.state;
      a.errorType = e.errorType;
    }
  }
  return [...byAttempt.values()].sort((x, y) => x.attempt - y.attempt);
}

/** The span of all events: [first, last] timestamps. */
export function span(tasks) {
  let t0 = Infinity;
  let t1 = -Infinity;
  for (const t of tasks)
    for (const e of t.events) {
      t0 = Math.min(t0, e.timestamp);
      t1 = Math.max(t1, e.timestamp);
    }
  return [t0, t1];
}

/**
 * Tasks in tree order: each task (oldest first) followed by the tasks it submitted (nested tasks,
 * by `parentTaskId`), with their depth below the top-level task.
 */
export function treeOrder(tasks) {
  const byFirst = [...tasks].sort((a, b) => span([a])[0] - span([b])[0]);
  const ids = new Set(byFirst.map((t) => t.taskId));
  const isRoot = (t) => t.parentTaskId === undefined || !ids.has(t.parentTaskId);
  const kids = new Map();
  for (const t of byFirst) {
    if (isRoot(t)) continue;
    if (!kids.has(t.parentTaskId)) kids.set(t.parentTaskId, []);
    kids.get(t.parentTaskId).push(t);
  }
  const out = [];
  const visit = (t, depth) => {
    out.push({ task: t, depth });
    for (const c of kids.get(t.taskId) ?? []) visit(c, depth + 1);
  };
  for (const t of byFirst) if (isRoot(t)) visit(t, 0);
  return out;
}

/**
 * The per-task timeline: attempts, outcome, waiting and running time, resources, GPU ids, the
 * errors of failed attempts, and a bar over the whole run (`.` waiting, `#` running, `x` a
 * running attempt that failed). Nested tasks are listed under the task that submitted them
 * (`└` marks a child, indented by its depth).
 */
export function timelineTable(tasks, width = 40) {
  const [t0, t1] = span(tasks);
  const scale = width / Math.max(1, t1 - t0);
  const col = (t) => Math.min(width - 1, Math.max(0, Math.floor((t - t0) * scale)));
  const rows = [];
  for (const { task, depth } of treeOrder(tasks)) {
    const attempts = attemptsOf(task);
    const bar = Array.from({ length: width }, () => ' ');
    let waitMs = 0;
    let runMs = 0;
    for (const a of attempts) {
      const start = a.running ?? a.end ?? a.queued;
      waitMs += start - a.queued;
      if (a.running !== undefined && a.end !== undefined) runMs += a.end - a.running;
      for (let c = col(a.queued); c < col(start); c++) if (bar[c] === ' ') bar[c] = '.';
      if (a.running !== undefined) {
        const mark = a.state === 'FAILED' ? 'x' : '#';
        for (let c = col(a.running); c <= col(a.end ?? t1); c++) bar[c] = mark;
      }
    }
    const last = attempts[attempts.length - 1];
    const history = attempts
      .filter((a) => a.state === 'FAILED')
      .map((a) => a.errorType)
      .join(', ');
    rows.push([
      depth === 0 ? task.name : `${'  '.repeat(depth - 1)}└ ${task.name}`,
      String(attempts.length),
      task.state,
      secs(waitMs),
      secs(runMs),
      formatResources(last?.resources),
      last?.gpuIds?.length ? last.gpuIds.join(',') : '-',
      history || '-',
      `|${bar.join('')}|`,
    ]);
  }
  const header = ['task', 'att', 'state', 'wait', 'run', 'resources', 'gpu', 'failed attempts', `0 → ${secs(t1 - t0)}`];
  return table(header, rows);
}

/**
 * Resource utilisation from the events: for each resource the node has, the reserved
 * resource-seconds (demand × time from SUBMITTED_TO_WORKER to the attempt's end) over the
 * capacity-seconds of the run, and the peak amount reserved at once; plus per-GPU busy time.
 */
export function utilisationSummary(tasks, total) {
  const [t0, t1] = span(tasks);
  const makespan = Math.max(1, t1 - t0);
  const intervals = new Map();
  const perGpu = new Map();
  for (const task of tasks) {
    for (const a of attemptsOf(task)) {
      if (a.reserved === undefined || a.end === undefined || !a.resources) continue;
      for (const [k, v] of Object.entries(a.resources)) {
        if (!intervals.has(k)) intervals.set(k, []);
        intervals.get(k).push([a.reserved, a.end, v]);
      }
      const gpu = a.resources.GPU ?? 0;
      if (gpu > 0 && a.gpuIds.length > 0) {
        const each = gpu < 1 ? gpu : 1;
        for (const id of a.gpuIds) perGpu.set(id, (perGpu.get(id) ?? 0) + each * (a.end - a.reserved));
      }
    }
  }
  const rows = [];
  for (const [k, cap] of Object.entries(total)) {
    if (!(cap > 0) || k.startsWith('accelerator_type:') || k.startsWith('node:')) continue;
    const list = intervals.get(k) ?? [];
    const used = list.reduce((s, [a, b, v]) => s + v * (b - a), 0);
    const fmt = (v) => (k === 'memory' ? formatBytes(v) : round(v));
    rows.push([
      k,
      fmt(cap),
      `${fmt(used / 1000)}·s`,
      `${((100 * used) / (cap * makespan)).toFixed(1)}%`,
      fmt(peak(list)),
    ]);
  }
  const lines = [table(['resource', 'capacity', 'reserved (amount·s)', 'utilisation', 'peak reserved'], rows)];
  if (perGpu.size > 0) {
    const gpus = [...perGpu.entries()].sort((a, b) => a[0] - b[0]);
    lines.push(
      `per GPU busy (GPU-seconds over ${secs(makespan)}): ` +
        gpus
          .map(([id, ms]) => `GPU ${id} ${(ms / 1000).toFixed(2)} (${((100 * ms) / makespan).toFixed(0)}%)`)
          .join(', '),
    );
  }
  return lines.join('\n');
}

function peak(list) {
  const points = list.flatMap(([a, b, v]) => [
    [a, v],
    [b, -v],
  ]);
  points.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let cur = 0;
  let best = 0;
  for (const [, d] of points) {
    cur += d;
    best = Math.max(best, cur);
  }
  return Math.round(best * 10_000) / 10_000;
}

/** A plain-text table with a header rule. */
export function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r) =>
    r
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n');
}
