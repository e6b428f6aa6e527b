import { describe, expect, it } from 'vitest';
import { analyseTimeline, attemptsFromEvents } from './timeline.mjs';
import type { TimelineEvent } from './timeline.mjs';

const ev = (taskId: string, nodeId: string, state: string, timestamp: number, seenAt?: number): TimelineEvent => ({
  taskId,
  name: taskId,
  attempt: 0,
  state,
  timestamp,
  nodeId,
  ...(seenAt === undefined ? {} : { seenAt }),
});

describe('analyseTimeline', () => {
  // Machine a (1 GPU) runs `busy` from 0 to 2000; `late`, scheduled at 0, is delivered to a at
  // 100 and waits there for the GPU until 2000. Machine b (1 GPU) is free throughout.
  const events = (deliveredAt?: number): TimelineEvent[] => [
    ev('busy', 'a', 'PENDING_NODE_ASSIGNMENT', 0, 0),
    ev('busy', 'a', 'SUBMITTED_TO_WORKER', 0),
    ev('busy', 'a', 'FINISHED', 2000),
    ev('late', 'a', 'PENDING_NODE_ASSIGNMENT', 0, deliveredAt),
    ev('late', 'a', 'SUBMITTED_TO_WORKER', 2000),
    ev('late', 'a', 'FINISHED', 3000),
  ];

  it('a task waits for every machine until it is delivered, then only for the machine that holds it', () => {
    const t = analyseTimeline(
      attemptsFromEvents(events(100), () => 1),
      { a: 1, b: 1 },
    );
    expect(t.idleWithWork).toEqual([{ node: 'b', ms: 100, endedAt: 100 }]);
    expect(t.longestIdleWithWork).toBe(100);
  });

  it('without delivery times, a task waits for every machine until it starts', () => {
    const t = analyseTimeline(
      attemptsFromEvents(events(), () => 1),
      { a: 1, b: 1 },
    );
    expect(t.longestIdleWithWork).toBe(2000);
  });

  it('a task delivered to a machine that has room and does not start it counts for that machine', () => {
    const e = events(100).filter((x) => x.taskId === 'late');
    const t = analyseTimeline(
      attemptsFromEvents(e, () => 1),
      { a: 1, b: 1 },
    );
    expect(t.idleWithWork).toEqual([
      { node: 'b', ms: 100, endedAt: 100 },
      { node: 'a', ms: 2000, endedAt: 2000 },
    ]);
  });
});
