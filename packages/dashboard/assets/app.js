// The dashboard page: one EventSource (server-sent events) carries a snapshot, then batched
// changes (store.js keeps them, capped); renders are batched to a few per second. No framework,
// no build step: ES modules served as they are — dom.js (helpers and formats), store.js (what
// the page keeps), panels.js (sources, counts, resources, GPUs, workers), tasks.js (the task
// table) and timeline.js (the Gantt timeline).
import { $ } from './dom.js';
import { applyDelta, applySnapshot, state } from './store.js';
import { renderCounts, renderGpus, renderResources, renderWorkers, setupChrome } from './panels.js';
import { renderTable } from './tasks.js';
import { renderTimeline } from './timeline.js';

/** At most this many renders per second-ish: a busy pool must not have the page eat its CPUs. */
const MIN_RENDER_MS = 250;

function markAll() {
  state.dirty = { table: true, timeline: true, top: true };
  schedule();
}

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
  es.addEventListener('snapshot', (m) => {
    applySnapshot(JSON.parse(m.data));
    setupChrome();
    markAll();
  });
  es.addEventListener('delta', (m) => {
    applyDelta(JSON.parse(m.data));
    schedule();
  });
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
