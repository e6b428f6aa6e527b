// The dashboard page: one EventSource (server-sent events) carries a snapshot, then batched
// changes. Everything kept here is capped by the limits the server sends (config.limits), so a
// page left open for hours stays the same size. No framework, no build step; the DOM is built
// with textContent only (task names and errors are data, never markup).

const STATES = [
  'PENDING_ARGS_AVAIL',
  'PENDING_NODE_ASSIGNMENT',
  'SUBMITTED_TO_WORKER',
  'RUNNING',
  'FINISHED',
  'FAILED',
];
const TERMINAL = new Set(['FINISHED', 'FAILED']);
const PALETTE = ['#4c8dff', '#3fb27f', '#d29922', '#b083f0', '#e5534b', '#39c5cf', '#f778ba', '#8ddb8c', '#f0883e'];
const SVG = 'http://www.w3.org/2000/svg';
/** At most this many renders per second-ish: a busy pool must not have the page eat its CPUs. */
const MIN_RENDER_MS = 250;
/** The table shows this many of the kept tasks (newest first); the filter searches all kept ones. */
const MAX_TABLE_ROWS = 200;

const state = {
  config: null,
  /** Server clock minus ours (same machine usually; kept for a remote page). */
  skew: 0,
  rows: new Map(),
  attempts: new Map(),
  samples: new Map(),
  resources: [],
  gpus: [],
  summaries: [],
  lifetime: {},
  /** Task key → when this page first showed it (ms, page clock). */
  firstSeen: new Map(),
  /** Attempt key → when the timeline first drew it (ms, page clock). */
  firstDrawn: new Map(),
  dirty: { table: true, timeline: true, top: true },
};

const $ = (sel) => document.querySelector(sel);
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k === 'style')
      Object.assign(e.style, v); // CSSOM, allowed by the page's CSP (style attributes are not)
    else e.setAttribute(k, String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}
function svg(tag, attrs = {}) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) e.setAttribute(k, String(v));
  return e;
}
const now = () => Date.now() + state.skew;
function fmtMs(ms) {
  if (ms === undefined || ms === null || Number.isNaN(ms)) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return `${Math.floor(ms / 60_000)} m ${Math.round((ms % 60_000) / 1000)} s`;
}
function fmtQty(resource, v) {
  if (resource === 'memory' || resource === 'object_store_memory') {
    if (v >= 2 ** 30) return `${(v / 2 ** 30).toFixed(1)} GiB`;
    if (v >= 2 ** 20) return `${(v / 2 ** 20).toFixed(0)} MiB`;
    return `${v} B`;
  }
  return String(Math.round(v * 10_000) / 10_000);
}
function fmtResources(r) {
  if (!r) return '';
  return Object.entries(r)
    .filter(([k]) => !k.startsWith('node:') && !k.startsWith('accelerator_type:'))
    .map(([k, v]) => `${k} ${fmtQty(k, v)}`)
    .join(', ');
}
const colorOf = (name) => {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) | 0;
  return PALETTE[Math.abs(h) % PALETTE.length];
};

// ---- state updates ----------------------------------------------------------------------------

function capMap(map, max) {
  while (map.size > max) map.delete(map.keys().next().value);
}

function putRow(r) {
  state.rows.delete(r.key); // most recently changed last
  state.rows.set(r.key, r);
}

function applySnapshot(s) {
  state.config = s.config;
  state.skew = s.now - Date.now();
  state.rows.clear();
  state.attempts.clear();
  for (const r of s.rows) putRow(r);
  for (const a of s.attempts) state.attempts.set(a.key, a);
  state.samples = new Map(s.samples.map((x) => [x.source, x.list]));
  state.resources = s.resources;
  state.gpus = s.gpus;
  state.summaries = s.summaries;
  state.lifetime = s.lifetime;
  setupChrome();
  trim();
  markAll();
}

function applyDelta(d) {
  state.skew = d.now - Date.now();
  for (const k of d.removed) state.rows.delete(k);
  for (const r of d.rows) putRow(r);
  for (const a of d.attempts) {
    state.attempts.delete(a.key);
    state.attempts.set(a.key, a);
  }
  for (const { source, last } of d.samples) {
    if (!last) continue;
    const list = state.samples.get(source) ?? [];
    if (list.length === 0 || list[list.length - 1].t < last.t) list.push(last);
    state.samples.set(source, list);
  }
  state.resources = d.resources;
  state.gpus = d.gpus;
  state.summaries = d.summaries;
  state.lifetime = d.lifetime;
  trim();
  if (d.rows.length > 0 || d.removed.length > 0) state.dirty.table = true;
  if (d.attempts.length > 0) state.dirty.timeline = true;
  state.dirty.top = true;
  schedule();
}

/** Caps of the page: the server's limits. */
function trim() {
  const l = state.config.limits;
  capMap(state.rows, l.maxTasks * 2);
  capMap(state.attempts, l.maxTimelineAttempts);
  for (const list of state.samples.values()) if (list.length > l.maxSamples) list.splice(0, list.length - l.maxSamples);
  trimStamps();
}

/** When rows and bars were first shown: kept for what is kept, within twice the caps. */
function trimStamps() {
  const l = state.config.limits;
  trimStamp(state.firstSeen, state.rows, l.maxTasks * 4);
  trimStamp(state.firstDrawn, state.attempts, l.maxTimelineAttempts * 2);
}
function trimStamp(stamps, kept, max) {
  for (const k of stamps.keys()) {
    if (stamps.size <= max) break;
    if (!kept.has(k)) stamps.delete(k);
  }
}

function markAll() {
  state.dirty = { table: true, timeline: true, top: true };
  schedule();
}

// ---- rendering --------------------------------------------------------------------------------

let timer = 0;
let lastRender = -Infinity;
function schedule() {
  if (timer) return;
  const wait = Math.max(0, lastRender + MIN_RENDER_MS - performance.now());
  timer = setTimeout(() => {
    const run = () => {
      timer = 0;
      lastRender = performance.now();
      render();
    };
    // In the next frame when visible; at once for a hidden tab (its frames do not come).
    if (document.visibilityState === 'visible') requestAnimationFrame(run);
    else run();
  }, wait);
}

function render() {
  if (!state.config) return;
  if (state.dirty.top) {
    renderCounts();
    renderResources();
    renderGpus();
    renderWorkers();
  }
  if (state.dirty.table) renderTable();
  if (state.dirty.timeline) renderTimeline();
  state.dirty = { table: false, timeline: false, top: false };
}

function setupChrome() {
  const c = state.config;
  $('#sources').textContent = c.sources.map((s) => s.id).join(' · ');
  const sel = $('#source-filter');
  const current = sel.value;
  sel.replaceChildren(
    el('option', { value: '', text: 'every source' }),
    ...c.sources.map((s) => el('option', { value: s.id, text: s.id })),
  );
  sel.value = current;
  const l = c.limits;
  $('#limits').textContent =
    `Kept (page and server): ${l.maxTasks} active + ${l.maxTasks} finished tasks, ${l.maxTimelineAttempts} attempts on the timeline, ` +
    `${l.maxSamples} resource samples every ${l.sampleIntervalMs} ms. Counts come from each source's task history.`;
}

function renderCounts() {
  const byState = {};
  for (const s of state.summaries) for (const [k, n] of Object.entries(s.byState)) byState[k] = (byState[k] ?? 0) + n;
  const life = { FINISHED: 0, FAILED: 0 };
  for (const per of Object.values(state.lifetime))
    for (const [k, n] of Object.entries(per)) life[k] = (life[k] ?? 0) + n;
  const cards = STATES.map((s) =>
    el('div', { class: 'count', 'data-state': s }, el('b', { text: String(byState[s] ?? 0) }), el('span', { text: s })),
  );
  cards.push(
    el(
      'div',
      { class: 'count', 'data-count': 'ended' },
      el('b', { text: `${life.FINISHED} / ${life.FAILED}` }),
      el('span', { text: 'ended since start: finished / failed' }),
    ),
  );
  $('#counts').replaceChildren(...cards);
}

function spark(list, resource, total) {
  const s = svg('svg', { class: 'spark', viewBox: '0 0 150 22', preserveAspectRatio: 'none' });
  if (!list || list.length < 2 || !total) return s;
  const t0 = list[0].t;
  const t1 = list[list.length - 1].t || t0 + 1;
  const pts = list.map((x) => {
    const u = Math.min(1, (x.reserved[resource] ?? 0) / total);
    return `${(((x.t - t0) / Math.max(1, t1 - t0)) * 150).toFixed(1)},${(21 - u * 20).toFixed(1)}`;
  });
  s.append(svg('polyline', { points: pts.join(' ') }));
  return s;
}

const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
/** What the executor reports about its load: a pool's threads and queue, a Temporal machine's open polls and waiting tasks. */
const LOAD = [
  ['threads', (n) => plural(n, 'thread'), "the pool's threads now"],
  ['queueSize', (n) => `${n} queued`, 'tasks waiting for resources or for a thread (queueSize)'],
  [
    'openPolls',
    (n) => plural(n, 'open poll'),
    'activity polls open now, over all task queues; an open poll reserves nothing',
  ],
  [
    'waitingTasks',
    (n) => `${plural(n, 'task')} waiting for resources`,
    'activities that arrived on this machine and wait for resources, holding nothing',
  ],
];
function loadSpans(now) {
  const out = [];
  for (const [key, text, title] of LOAD) {
    const v = now?.[key];
    if (v === undefined) continue;
    out.push(' · ', el('span', { class: 'load', 'data-load': key, 'data-value': v, title, text: text(v) }));
  }
  return out;
}

function renderResources() {
  const out = [];
  for (const r of state.resources) {
    out.push(
      el(
        'div',
        { class: 'src-title', 'data-source': r.source },
        `${r.source} (${r.kind === 'pool' ? 'TaskPool' : 'Temporal workers'}, node ${r.nodeId})`,
        ...loadSpans(r.now),
      ),
    );
    for (const [k, total] of Object.entries(r.now.total)) {
      if (k.startsWith('node:')) continue;
      const used = r.now.reserved[k] ?? 0;
      const pct = total > 0 ? (used / total) * 100 : 0;
      const bar = el(
        'div',
        { class: 'bar', title: `${fmtQty(k, used)} reserved by tasks of ${fmtQty(k, total)}` },
        el('span', { class: 'used', style: { width: `${pct.toFixed(2)}%` } }),
      );
      const text = `${fmtQty(k, used)} / ${fmtQty(k, total)} · ${pct.toFixed(0)}%`;
      out.push(
        el(
          'div',
          { class: 'res', 'data-source': r.source, 'data-resource': k },
          el('span', { text: k }),
          bar,
          el('span', { class: 'muted', text }),
          spark(state.samples.get(r.source), k, total),
        ),
      );
    }
  }
  $('#resource-list').replaceChildren(...out);
}

function renderGpus() {
  const out = [];
  for (const g of state.gpus) {
    const used = g.holders.reduce((n, h) => n + h.fraction, 0);
    const bar = el('div', { class: 'bar' });
    for (const h of g.holders) {
      bar.append(
        el('span', {
          class: 'share',
          'data-task-id': h.taskId,
          'data-fraction': h.fraction,
          style: { width: `${(h.fraction * 100).toFixed(2)}%`, background: colorOf(h.name) },
          title: `${h.name} (${h.taskId}) holds ${h.fraction}`,
          text: `${h.name} ${h.fraction}`,
        }),
      );
    }
    out.push(
      el(
        'div',
        { class: 'gpu', 'data-source': g.source, 'data-gpu': g.gpu },
        el('span', { text: `${g.source} · GPU ${g.gpu}` }),
        bar,
        el('span', { class: 'muted', text: `${Math.round(used * 100)}%` }),
      ),
    );
  }
  if (out.length === 0) out.push(el('div', { class: 'muted', text: 'no GPUs on these nodes' }));
  $('#gpu-list').replaceChildren(...out);
}

/** Whether `demand` fits what running tasks leave free (a class that does not fit does not poll). */
function fitsFree(demand, now) {
  if (!now) return undefined;
  return Object.entries(demand).every(([k, v]) => v <= 0 || (now.total[k] ?? 0) - (now.reserved[k] ?? 0) >= v - 1e-6);
}

function renderWorkers() {
  const ws = state.config.sources.filter((s) => s.kind === 'workers');
  $('#workers').hidden = ws.length === 0;
  if (ws.length === 0) return;
  // Per task queue, from the kept rows: arrived and waiting for resources here (pending), and running.
  const per = new Map();
  for (const r of state.rows.values()) {
    if (!r.taskQueue || TERMINAL.has(r.state)) continue;
    const k = `${r.source}\u0000${r.taskQueue}`;
    const n = per.get(k) ?? { waiting: 0, running: 0 };
    if (r.state.startsWith('PENDING')) n.waiting++;
    else n.running++;
    per.set(k, n);
  }
  const out = [];
  for (const w of ws) {
    const res = state.resources.find((r) => r.source === w.id);
    out.push(
      el(
        'div',
        { class: 'src-title', 'data-source': w.id },
        `${w.id}: reserved by tasks ${fmtResources(res?.now.reserved) || '–'}`,
        ...loadSpans(res?.now),
      ),
    );
    const t = el(
      'table',
      { 'data-source': w.id },
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          el('th', { text: 'task queue' }),
          el('th', { text: 'queue' }),
          el('th', { text: 'demand' }),
          el('th', {
            text: 'fits now',
            title:
              "whether the class's demand fits what running tasks leave free: a class that does not fit does not poll",
          }),
          el('th', { text: 'waiting here', title: 'arrived on this machine, waiting for resources' }),
          el('th', { text: 'running here' }),
        ),
      ),
    );
    const body = el('tbody');
    for (const c of w.classes) {
      const n = per.get(`${w.id}\u0000${c.taskQueue}`) ?? { waiting: 0, running: 0 };
      const fits = fitsFree(c.demand, res?.now);
      body.append(
        el(
          'tr',
          {
            'data-task-queue': c.taskQueue,
            'data-node-queue': String(c.nodeQueue === true),
            class: c.nodeQueue ? 'node-queue' : undefined,
          },
          el('td', { class: 'queue', text: c.taskQueue }),
          el(
            'td',
            { class: 'kind' },
            c.nodeQueue
              ? el('span', {
                  class: 'badge node',
                  text: `node ${w.nodeId}`,
                  title: 'node queue: tasks with hard node affinity to this machine',
                })
              : el('span', {
                  class: 'badge',
                  text: 'shared',
                  title: "the class's queue, shared by every machine serving it",
                }),
          ),
          el('td', { class: 'demand', text: fmtResources(c.demand) || 'CPU 1' }),
          el('td', {
            class: 'fits',
            'data-fits': fits === undefined ? undefined : String(fits),
            text: fits === undefined ? '' : fits ? 'yes' : 'no',
          }),
          el('td', { class: 'waiting', text: String(n.waiting) }),
          el('td', { class: 'running', text: String(n.running) }),
        ),
      );
    }
    t.append(body);
    out.push(t);
  }
  $('#worker-list').replaceChildren(...out);
}

function workflowLink(r) {
  const base = state.config.temporalWebUrl;
  if (!base || !r.workflowId) return null;
  const ns = encodeURIComponent(r.namespace ?? 'default');
  const run = r.runId ? `/${encodeURIComponent(r.runId)}` : '';
  return el('a', {
    href: `${base}/namespaces/${ns}/workflows/${encodeURIComponent(r.workflowId)}${run}/history`,
    target: '_blank',
    rel: 'noopener noreferrer',
    class: 'wf',
    text: 'workflow ↗',
  });
}

async function cancel(r) {
  let token = sessionStorage.getItem('taskfit-token');
  if (!token) {
    token = prompt('Dashboard action token');
    if (!token) return;
    sessionStorage.setItem('taskfit-token', token);
  }
  const res = await fetch('/api/tasks/cancel', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ source: r.source, taskId: r.taskId }),
  });
  if (res.status === 401) sessionStorage.removeItem('taskfit-token');
}

function renderTable() {
  const text = $('#filter').value.trim().toLowerCase();
  const st = $('#state-filter').value;
  const src = $('#source-filter').value;
  const t = now();
  const list = [...state.rows.values()].reverse().filter((r) => {
    if (st && r.state !== st) return false;
    if (src && r.source !== src) return false;
    if (!text) return true;
    return [r.name, r.taskId, r.errorType, r.errorMessage, r.parentTaskId, r.taskQueue].some(
      (v) => v && v.toLowerCase().includes(text),
    );
  });
  const shown = list.slice(0, MAX_TABLE_ROWS);
  // The parent column appears once a kept task has a parent (nested tasks).
  let parents = false;
  for (const r of state.rows.values()) if (r.parentTaskId) parents = true;
  $('#task-table').classList.toggle('no-parent', !parents);
  $('#task-count').textContent =
    `${shown.length} shown (newest first) of ${list.length} matching, ${state.rows.size} kept`;
  const tbody = $('#task-table tbody');
  const frag = document.createDocumentFragment();
  for (const r of shown) {
    if (!state.firstSeen.has(r.key)) state.firstSeen.set(r.key, Date.now());
    const wait =
      r.startedAt !== undefined ? r.startedAt - r.queuedAt : TERMINAL.has(r.state) ? undefined : t - r.queuedAt;
    const run = r.startedAt !== undefined ? (r.endedAt ?? t) - r.startedAt : undefined;
    const actions = el('td');
    const link = workflowLink(r);
    if (link) actions.append(link);
    if (state.config.actions && !TERMINAL.has(r.state)) {
      const b = el('button', { type: 'button', text: 'cancel' });
      b.addEventListener('click', () => void cancel(r));
      actions.append(' ', b);
    }
    const tr = el(
      'tr',
      {
        'data-key': r.key,
        'data-task-id': r.taskId,
        'data-source': r.source,
        'data-state': r.state,
        'data-attempt': r.attempt,
        'data-first-seen': state.firstSeen.get(r.key),
      },
      el('td', { class: 'name', text: r.name }),
      el('td', { class: 'state', text: r.state }),
      el('td', { class: 'attempt', text: String(r.attempt + 1) }),
      el('td', { class: 'parent', text: r.parentTaskId ?? '' }),
      el('td', { class: 'resources', text: fmtResources(r.resources) }),
      el('td', { class: 'gpus', text: r.gpuIds ? r.gpuIds.join(',') : '' }),
      el('td', { class: 'node', text: r.nodeId }),
      el('td', { class: 'wait', text: fmtMs(wait) }),
      el('td', { class: 'run', text: fmtMs(run) }),
      el('td', { class: 'etype', text: r.errorType ?? '' }),
      el('td', { class: 'msg', text: r.errorMessage ?? '' }),
      actions,
    );
    frag.append(tr);
  }
  tbody.replaceChildren(frag);
  trimStamps();
}

/** Greedy interval partitioning: the first sub-lane free at `start`. */
function place(ends, start, end) {
  let i = ends.findIndex((e) => e <= start);
  if (i < 0) i = ends.push(end) - 1;
  else ends[i] = end;
  return i;
}

function renderTimeline() {
  const host = $('#gantt');
  const width = Math.max(400, host.clientWidth || 1000);
  const windowMs = Number($('#window').value);
  const t1 = now();
  const t0 = t1 - windowMs;
  const labelW = 170;
  const laneH = 16;
  const bars = [...state.attempts.values()]
    .filter((a) => (a.endedAt ?? t1) >= t0 && (a.startedAt ?? a.queuedAt) <= t1)
    .sort((a, b) => (a.startedAt ?? a.queuedAt) - (b.startedAt ?? b.queuedAt));
  // Lanes: each GPU (sub-lanes when fractional shares overlap), then each thread, or for
  // executors without threads (Temporal), slots of each task queue.
  const gpuLanes = new Map();
  const threadLanes = new Map();
  const ends = new Map();
  const sub = (key, a, s, e) => {
    let list = ends.get(key);
    if (!list) ends.set(key, (list = []));
    return place(list, s, e);
  };
  for (const a of bars) {
    const s = a.startedAt ?? a.queuedAt;
    const e = a.endedAt ?? t1;
    if (a.startedAt !== undefined) {
      for (const g of a.gpuIds ?? []) {
        const k = `${a.source}\u0000${g}`;
        const i = sub(`gpu\u0000${k}`, a, s, e);
        const lane = `${k}\u0000${i}`;
        if (!gpuLanes.has(lane))
          gpuLanes.set(lane, {
            label: `${a.source} GPU ${g}${i ? ` · ${i + 1}` : ''}`,
            sort: `${k}\u0000${String(i).padStart(4, '0')}`,
            gpu: String(g),
            bars: [],
          });
        gpuLanes.get(lane).bars.push(a);
      }
    }
    let lane;
    let label;
    if (a.threadId !== undefined) {
      lane = `${a.source}\u0000t${a.threadId}`;
      label = `${a.source} thread ${a.threadId}`;
    } else {
      const group = a.startedAt === undefined ? 'not started' : (a.lane ?? 'tasks');
      const i = sub(`lane\u0000${a.source}\u0000${group}`, a, s, e);
      lane = `${a.source}\u0000${group}\u0000${i}`;
      label = `${a.source} ${group} · ${i + 1}`;
    }
    if (!threadLanes.has(lane)) threadLanes.set(lane, { label, sort: lane, bars: [] });
    threadLanes.get(lane).bars.push(a);
  }
  const groups = [
    ['GPUs', [...gpuLanes.values()].sort((x, y) => (x.sort < y.sort ? -1 : 1)), 'gpu'],
    ['threads / slots', [...threadLanes.values()].sort((x, y) => (x.sort < y.sort ? -1 : 1)), 'thread'],
  ].filter(([, lanes]) => lanes.length > 0);
  let y = 14;
  const root = svg('svg', { role: 'img', 'aria-label': 'Gantt timeline of task attempts' });
  const x = (t) => labelW + ((t - t0) / windowMs) * (width - labelW - 4);
  // Axis: a tick every tenth of the window.
  for (let i = 0; i <= 10; i++) {
    const t = t0 + (windowMs * i) / 10;
    root.append(svg('line', { x1: x(t), x2: x(t), y1: 0, y2: 10000, stroke: '#222a33' }));
    const label = svg('text', { x: x(t) + 2, y: 10 });
    label.textContent = `-${fmtMs(t1 - t)}`;
    if (i < 10) root.append(label);
  }
  for (const [title, lanes, kind] of groups) {
    y += 6;
    const g = svg('text', { x: 0, y: y + 10, class: 'group' });
    g.textContent = title;
    root.append(g);
    y += 14;
    for (const lane of lanes) {
      root.append(svg('rect', { class: 'lane-bg', x: labelW, y, width: width - labelW, height: laneH - 2 }));
      const lt = svg('text', { x: 0, y: y + 11 });
      // Long labels (Temporal queue names) are cut to the label column; the full one is the tooltip.
      lt.textContent = lane.label.length > 30 ? `…${lane.label.slice(-29)}` : lane.label;
      const full = svg('title');
      full.textContent = lane.label;
      lt.append(full);
      root.append(lt);
      for (const a of lane.bars) {
        const s = Math.max(t0, a.startedAt ?? a.queuedAt);
        const e = Math.min(t1, a.endedAt ?? t1);
        if (!state.firstDrawn.has(a.key)) state.firstDrawn.set(a.key, Date.now());
        const classes = [
          'att',
          a.endedAt === undefined ? 'running' : '',
          a.state === 'FAILED' ? 'failed' : '',
          a.attempt > 0 ? 'retry' : '',
        ];
        const r = svg('rect', {
          class: classes.filter(Boolean).join(' '),
          x: x(s).toFixed(1),
          y: y + 1,
          width: Math.max(2, x(e) - x(s)).toFixed(1),
          height: laneH - 4,
          'data-task-id': a.taskId,
          'data-attempt': a.attempt,
          'data-state': a.state,
          'data-first-seen': state.firstDrawn.get(a.key),
          'data-lane': kind,
          'data-gpu': kind === 'gpu' ? lane.gpu : undefined,
          'data-fraction': kind === 'gpu' ? a.gpuShare : undefined,
        });
        const tip = svg('title');
        tip.textContent = `${a.name} · attempt ${a.attempt + 1} · ${a.state}${a.errorType ? ` (${a.errorType})` : ''} · ${fmtMs((a.endedAt ?? t1) - (a.startedAt ?? a.queuedAt))}${a.gpuShare ? ` · GPU share ${a.gpuShare}` : ''}`;
        r.append(tip);
        root.append(r);
      }
      y += laneH;
    }
  }
  if (groups.length === 0) {
    const t = svg('text', { x: labelW, y: 30 });
    t.textContent = 'no attempts in this window';
    root.append(t);
    y = 40;
  }
  root.setAttribute('width', width);
  root.setAttribute('height', y + 4);
  root.setAttribute('viewBox', `0 0 ${width} ${y + 4}`);
  host.replaceChildren(root);
  trimStamps();
}

// ---- wiring -----------------------------------------------------------------------------------

function connect() {
  const es = new EventSource('/events');
  const status = $('#status');
  es.addEventListener('open', () => {
    status.dataset.status = 'live';
    status.textContent = 'live';
  });
  es.addEventListener('error', () => {
    status.dataset.status = 'offline';
    status.textContent = 'reconnecting…';
  });
  es.addEventListener('snapshot', (m) => applySnapshot(JSON.parse(m.data)));
  es.addEventListener('delta', (m) => applyDelta(JSON.parse(m.data)));
}

for (const id of ['#filter', '#state-filter', '#source-filter'])
  $(id).addEventListener('input', () => {
    state.dirty.table = true;
    schedule();
  });
$('#window').addEventListener('input', () => {
  state.dirty.timeline = true;
  schedule();
});
document.addEventListener('visibilitychange', markAll);
// Running bars and wait/run times move with the clock even without events.
setInterval(() => {
  if (!state.config) return;
  state.dirty.timeline = true;
  state.dirty.table = true;
  schedule();
}, 1000);
// For tests and the curious: how much the page keeps.
window.taskfitDashboard = {
  sizes: () => ({
    rows: state.rows.size,
    attempts: state.attempts.size,
    samples: Math.max(0, ...[...state.samples.values()].map((l) => l.length)),
    firstSeen: state.firstSeen.size,
    firstDrawn: state.firstDrawn.size,
    domRows: document.querySelectorAll('#task-table tbody tr').length,
    bars: document.querySelectorAll('#gantt rect.att').length,
  }),
  limits: () => state.config?.limits,
};
connect();
