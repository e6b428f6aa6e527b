// What the page keeps: the snapshot, then the batched changes the server sends, each capped by
// the limits the server sends (config.limits), so a page left open for hours stays the same size.
// Rendering is the caller's (app.js): these functions only update `state`.

export const STATES = [
  'PENDING_ARGS_AVAIL',
  'PENDING_NODE_ASSIGNMENT',
  'SUBMITTED_TO_WORKER',
  'RUNNING',
  'FINISHED',
  'FAILED',
];

export const TERMINAL = new Set(['FINISHED', 'FAILED']);

export const state = {
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

export const now = () => Date.now() + state.skew;

function capMap(map, max) {
  while (map.size > max) map.delete(map.keys().next().value);
}

function putRow(r) {
  state.rows.delete(r.key); // most recently changed last
  state.rows.set(r.key, r);
}

export function applySnapshot(s) {
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
  trim();
}

export function applyDelta(d) {
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
export function trimStamps() {
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
