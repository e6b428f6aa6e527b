import { describe, expect, it } from 'vitest';
import type { TaskState } from '@taskfit/core';
import { TaskHistory } from './history.js';
import type { TaskEvent } from './wrap.js';

function ev(
  taskId: string,
  attempt: number,
  state: TaskState,
  timestamp: number,
  more: Partial<TaskEvent> = {},
): TaskEvent {
  return {
    taskId,
    name: undefined,
    activityType: 'detect',
    attempt,
    state,
    timestamp,
    nodeId: 'gpu-box',
    taskQueue: 'media@CPU=1,GPU=0.5',
    ...more,
  };
}

function run(
  h: TaskHistory,
  id: string,
  attempt: number,
  t0: number,
  end: TaskState,
  more: Partial<TaskEvent> = {},
): void {
  h.add(ev(id, attempt, 'PENDING_NODE_ASSIGNMENT', t0));
  h.add(ev(id, attempt, 'SUBMITTED_TO_WORKER', t0 + 1, more));
  h.add(ev(id, attempt, 'RUNNING', t0 + 1, more));
  h.add(ev(id, attempt, end, t0 + 10, end === 'FAILED' ? { ...more, errorType: 'FlakyError' } : more));
}

describe('TaskHistory (workers.listTasks / summarizeTasks / timeline)', () => {
  it('keeps the latest state per task, summarises by display name, and lists with filters', () => {
    const h = new TaskHistory(100);
    run(h, 'wf/r/1', 0, 0, 'FAILED');
    run(h, 'wf/r/1', 1, 20, 'FINISHED');
    run(h, 'wf/r/2', 0, 0, 'FINISHED', { name: 'detect-large' });
    h.add(ev('wf/r/3', 0, 'RUNNING', 5));
    expect(h.summarize()).toEqual({
      total: 3,
      byState: { FINISHED: 2, RUNNING: 1 },
      byName: { detect: { FINISHED: 1, RUNNING: 1 }, 'detect-large': { FINISHED: 1 } },
    });
    const [t1] = h.list({ taskId: 'wf/r/1' });
    expect(t1).toMatchObject({ state: 'FINISHED', attempt: 1, name: 'detect', errorType: undefined });
    expect(t1!.events).toHaveLength(8);
    expect(h.list({ state: 'RUNNING' }).map((t) => t.taskId)).toEqual(['wf/r/3']);
    expect(h.list({ name: 'detect-large' }).map((t) => t.taskId)).toEqual(['wf/r/2']);
  });

  it('is bounded: the oldest finished tasks go first, running ones stay', () => {
    const h = new TaskHistory(3);
    h.add(ev('running', 0, 'RUNNING', 0));
    for (let i = 0; i < 10; i++) run(h, `t${i}`, 0, i * 20, 'FINISHED');
    expect(h.list().map((t) => t.taskId)).toEqual(['running', 't7', 't8', 't9']);
    expect(() => new TaskHistory(-1)).toThrow('maxTaskHistory must be an integer ≥ 0 (got -1)');
  });

  it('timeline: one complete event per attempt; GPU attempts in their GPU lane, others in task-queue slot lanes', () => {
    const h = new TaskHistory(100);
    const gpu = { gpuIds: [0], resources: { CPU: 1, GPU: 0.5 } };
    run(h, 'a', 0, 0, 'FAILED', gpu);
    run(h, 'a', 1, 20, 'FINISHED', gpu);
    h.add(ev('c', 0, 'PENDING_NODE_ASSIGNMENT', 0, { taskQueue: 'media' }));
    h.add(ev('c', 0, 'RUNNING', 2, { taskQueue: 'media' }));
    h.add(ev('c', 0, 'FINISHED', 9, { taskQueue: 'media' }));
    const trace = h.timeline();
    const names = new Map<string, string>();
    for (const e of trace.traceEvents)
      if (e.ph === 'M' && e.name === 'thread_name') names.set(`${e.pid}/${e.tid}`, String(e.args?.['name']));
    const x = trace.traceEvents.filter((e) => e.ph === 'X');
    expect(x.map((e) => [e.name, e.args?.['attempt'], names.get(`${e.pid}/${e.tid}`)])).toEqual([
      ['detect', 0, 'GPU 0'],
      ['detect', 0, 'media · 1'],
      ['detect', 1, 'GPU 0'],
    ]);
  });
});
