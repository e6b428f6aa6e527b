import { describe, expect, it } from 'vitest';
import type { TaskState } from '../types.js';
import { chromeTrace, taskAttempts } from './timeline.js';
import type { ChromeTraceEvent, TimelineTaskEvent } from './timeline.js';

const ev = (e: TimelineTaskEvent): TimelineTaskEvent => ({ ...e, nodeId: e.nodeId ?? 'n1' });

/** Events of one attempt: queued at q, running at r (optional) on thread/GPUs, ended at end with state. */
function attemptEvents(
  taskId: string,
  name: string,
  attempt: number,
  q: number,
  r: number | undefined,
  end: number | undefined,
  extra: Partial<TimelineTaskEvent> & { final?: TaskState } = {},
): TimelineTaskEvent[] {
  const { final = 'FINISHED', ...rest } = extra;
  const out = [ev({ taskId, name, attempt, state: 'PENDING_NODE_ASSIGNMENT', timestamp: q })];
  if (r !== undefined) {
    out.push(ev({ taskId, name, attempt, state: 'SUBMITTED_TO_WORKER', timestamp: r, ...rest, threadId: undefined }));
    out.push(ev({ taskId, name, attempt, state: 'RUNNING', timestamp: r, ...rest }));
  }
  if (end !== undefined) out.push(ev({ taskId, name, attempt, state: final, timestamp: end, ...rest }));
  return out;
}

const laneNames = (events: readonly ChromeTraceEvent[]): Map<string, string> => {
  const m = new Map<string, string>();
  for (const e of events)
    if (e.ph === 'M' && e.name === 'thread_name') m.set(`${e.pid}/${e.tid}`, String(e.args?.['name']));
  return m;
};
const procNames = (events: readonly ChromeTraceEvent[]): Map<number, string> => {
  const m = new Map<number, string>();
  for (const e of events) if (e.ph === 'M' && e.name === 'process_name') m.set(e.pid, String(e.args?.['name']));
  return m;
};

describe('taskAttempts', () => {
  it('folds events (in any order) into one span per attempt with wait, start, end and facts', () => {
    const events = [
      ...attemptEvents('t1', 'crash', 0, 1000, 1010, 1050, {
        threadId: 3,
        final: 'FAILED',
        errorType: 'WorkerCrashedError',
      }),
      ...attemptEvents('t1', 'crash', 1, 1050, 1060, 1100, { threadId: 4 }),
    ].reverse();
    const spans = taskAttempts(events);
    expect(spans).toHaveLength(2);
    expect(spans[0]).toMatchObject({
      taskId: 't1',
      attempt: 0,
      state: 'FAILED',
      queuedAt: 1000,
      startedAt: 1010,
      endedAt: 1050,
      threadId: 3,
      errorType: 'WorkerCrashedError',
    });
    expect(spans[1]).toMatchObject({ attempt: 1, state: 'FINISHED', startedAt: 1060, endedAt: 1100, threadId: 4 });
  });
});

describe('chromeTrace', () => {
  it('one complete event per attempt, named after the task, in its thread lane; µs timestamps', () => {
    const events = [
      ...attemptEvents('a', 'primes-1', 0, 1000, 1001, 1201, { threadId: 7 }),
      ...attemptEvents('b', 'primes-2', 0, 1000, 1002, 1102, { threadId: 8 }),
      ...attemptEvents('c', 'crash', 0, 1000, 1003, 1010, {
        threadId: 9,
        final: 'FAILED',
        errorType: 'WorkerCrashedError',
      }),
      ...attemptEvents('c', 'crash', 1, 1010, 1020, 1030, { threadId: 10 }),
    ];
    const trace = chromeTrace(taskAttempts(events));
    const x = trace.traceEvents.filter((e) => e.ph === 'X');
    expect(x.map((e) => [e.name, e.args?.['attempt']])).toEqual([
      ['primes-1', 0],
      ['primes-2', 0],
      ['crash', 0],
      ['crash', 1],
    ]);
    const lanes = laneNames(trace.traceEvents);
    for (const e of x) {
      expect(e.tid).toBe(e.args?.['threadId']);
      expect(lanes.get(`${e.pid}/${e.tid}`)).toBe(`thread ${String(e.args?.['threadId'])}`);
    }
    expect(x[0]).toMatchObject({ ts: 1001 * 1000, dur: 200 * 1000 });
    expect(x[2]).toMatchObject({ cat: 'task,failed', args: { errorType: 'WorkerCrashedError', state: 'FAILED' } });
    expect(x[3]!.cat).toBe('task,retry');
    expect(procNames(trace.traceEvents).get(x[0]!.pid)).toBe('n1');
    // Valid JSON, the object format Perfetto and chrome://tracing load.
    expect(JSON.parse(JSON.stringify(trace))).toEqual(trace);
    expect(trace.displayTimeUnit).toBe('ms');
  });

  it('GPU attempts sit in their GPU lane; overlapping fractional shares get sub-lanes; counters per GPU', () => {
    const half = { GPU: 0.5, CPU: 0.25 };
    const events = [
      ...attemptEvents('g1', 'embed-1', 0, 0, 10, 110, { threadId: 1, gpuIds: [0], resources: half }),
      ...attemptEvents('g2', 'embed-2', 0, 0, 20, 120, { threadId: 2, gpuIds: [0], resources: half }),
      ...attemptEvents('g3', 'embed-3', 0, 0, 30, 130, { threadId: 3, gpuIds: [1], resources: half }),
      ...attemptEvents('g4', 'big', 0, 0, 200, 300, { threadId: 4, gpuIds: [0, 1], resources: { GPU: 2 } }),
      ...attemptEvents('c1', 'cpu', 0, 0, 5, 50, { threadId: 5 }),
    ];
    const trace = chromeTrace(taskAttempts(events));
    const lanes = laneNames(trace.traceEvents);
    const laneOf = (name: string): string => {
      const e = trace.traceEvents.find((t) => t.ph === 'X' && t.name === name)!;
      return lanes.get(`${e.pid}/${e.tid}`)!;
    };
    expect(laneOf('embed-1')).toBe('GPU 0');
    expect(laneOf('embed-2')).toBe('GPU 0 · 2');
    expect(laneOf('embed-3')).toBe('GPU 1');
    expect(laneOf('big')).toBe('GPU 0'); // the first GPU it held; GPU 0's lane is free again by then
    expect(laneOf('cpu')).toBe('thread 5');
    const gpuPid = trace.traceEvents.find((t) => t.ph === 'X' && t.name === 'big')!.pid;
    expect(procNames(trace.traceEvents).get(gpuPid)).toBe('n1 · GPUs');
    // No lane holds overlapping slices.
    const byLane = new Map<string, ChromeTraceEvent[]>();
    for (const e of trace.traceEvents.filter((t) => t.ph === 'X')) {
      const k = `${e.pid}/${e.tid}`;
      byLane.set(k, [...(byLane.get(k) ?? []), e]);
    }
    for (const list of byLane.values()) {
      list.sort((a, b) => a.ts! - b.ts!);
      for (let i = 1; i < list.length; i++)
        expect(list[i]!.ts!).toBeGreaterThanOrEqual(list[i - 1]!.ts! + list[i - 1]!.dur!);
    }
    // GPU counters: 0.5 + 0.5 on GPU 0 while embed-1 and embed-2 overlap, 1 on each GPU under `big`.
    const gpu0 = trace.traceEvents.filter((t) => t.ph === 'C' && t.name === 'GPU 0 reserved');
    expect(gpu0.map((c) => [c.ts! / 1000, c.args?.['fraction']])).toEqual([
      [10, 0.5],
      [20, 1],
      [110, 0.5],
      [120, 0],
      [200, 1],
      [300, 0],
    ]);
    expect(trace.traceEvents.filter((t) => t.ph === 'C' && t.name === 'GPU 1 reserved').at(-1)?.args).toEqual({
      fraction: 0,
    });
  });

  it('attempts without a thread use slot lanes of their lane key; never-started failures show their wait; waiting ones are left out', () => {
    const spans = taskAttempts(
      [
        ...attemptEvents('w1', 'detect', 0, 0, 10, 100, {}),
        ...attemptEvents('w2', 'detect', 0, 0, 20, 90, {}),
        ...attemptEvents('w3', 'detect', 0, 0, 100, 150, {}),
        ...attemptEvents('inf', 'huge', 0, 5, undefined, 6, { final: 'FAILED', errorType: 'InfeasibleTaskError' }),
        ...attemptEvents('wait', 'later', 0, 7, undefined, undefined),
        ...attemptEvents('run', 'still', 0, 7, 8, undefined, { threadId: 2 }),
      ],
      () => 'jobs',
    );
    const trace = chromeTrace(spans, { now: 1000 });
    const lanes = laneNames(trace.traceEvents);
    const x = trace.traceEvents.filter((e) => e.ph === 'X');
    expect(x.map((e) => e.name).sort()).toEqual(['detect', 'detect', 'detect', 'huge', 'still']);
    const laneOfTask = (id: string): string => {
      const e = x.find((t) => t.args?.['taskId'] === id)!;
      return lanes.get(`${e.pid}/${e.tid}`)!;
    };
    expect(laneOfTask('w1')).toBe('jobs · 1');
    expect(laneOfTask('w2')).toBe('jobs · 2');
    expect(laneOfTask('w3')).toBe('jobs · 1');
    expect(laneOfTask('inf')).toBe('not started · 1');
    expect(x.find((t) => t.args?.['taskId'] === 'inf')).toMatchObject({
      cat: 'task,failed,not-started',
      ts: 5000,
      dur: 1000,
    });
    expect(x.find((t) => t.name === 'still')).toMatchObject({ dur: (1000 - 8) * 1000, args: { running: true } });
  });
});
