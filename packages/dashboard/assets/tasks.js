// The task table: the kept tasks, newest first, filtered; links to the Temporal Web UI and, when
// the server allows actions, a cancel button.
import { $, el, fmtMs, fmtResources } from './dom.js';
import { TERMINAL, now, state, trimStamps } from './store.js';

/** The table shows this many of the kept tasks (newest first); the filter searches all kept ones. */
const MAX_TABLE_ROWS = 200;

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

export function renderTable() {
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
