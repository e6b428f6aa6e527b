// The Gantt timeline of task attempts: a lane per GPU (sub-lanes when fractional shares overlap),
// then per thread, or per task-queue slot for executors without threads.
import { $, fmtMs, svg } from './dom.js';
import { now, state, trimStamps } from './store.js';

/** Greedy interval partitioning: the first sub-lane free at `start`. */
function place(ends, start, end) {
  let i = ends.findIndex((e) => e <= start);
  if (i < 0) i = ends.push(end) - 1;
  else ends[i] = end;
  return i;
}

export function renderTimeline() {
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
