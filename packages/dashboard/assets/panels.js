// The top of the page: the sources and limits, counts per state, each source's resources with
// their load, the GPUs with the tasks sharing them, and the Temporal workers' task queues.
import { $, colorOf, el, fmtQty, fmtResources, plural, svg } from './dom.js';
import { STATES, TERMINAL, state } from './store.js';

export function setupChrome() {
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

export function renderCounts() {
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

export function renderResources() {
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

export function renderGpus() {
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

export function renderWorkers() {
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
