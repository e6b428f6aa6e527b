import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Context } from '@temporalio/activity';
import { keepAlive } from './keep-alive.js';

function fakeContext(previous?: unknown): { actx: Context; sent: unknown[] } {
  const sent: unknown[] = [];
  const actx = { info: { heartbeatDetails: previous }, heartbeat: (d?: unknown) => sent.push(d) };
  return { actx: actx as unknown as Context, sent };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('keepAlive', () => {
  it('heartbeats every period with the details the activity last recorded, until stopped', () => {
    vi.useFakeTimers();
    const { actx, sent } = fakeContext({ progress: 1 });
    const stop = keepAlive(actx, 100);
    vi.advanceTimersByTime(100);
    expect(sent).toEqual([{ progress: 1 }]); // the previous attempt's details, not erased
    actx.heartbeat({ progress: 42 });
    vi.advanceTimersByTime(200);
    expect(sent).toEqual([{ progress: 1 }, { progress: 42 }, { progress: 42 }, { progress: 42 }]);
    stop();
    vi.advanceTimersByTime(1_000);
    expect(sent).toHaveLength(4);
  });

  it('activities with the same period share one timer, which stops once none is left', () => {
    vi.useFakeTimers();
    const a = fakeContext('a');
    const b = fakeContext('b');
    const stopA = keepAlive(a.actx, 100);
    const stopB = keepAlive(b.actx, 100);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(100);
    expect([a.sent, b.sent]).toEqual([['a'], ['b']]);
    stopA();
    vi.advanceTimersByTime(100);
    expect([a.sent, b.sent]).toEqual([['a'], ['b', 'b']]);
    stopB();
    vi.advanceTimersByTime(100); // the first tick with nobody left stops the timer
    expect(vi.getTimerCount()).toBe(0);
    const c = fakeContext('c');
    const stopC = keepAlive(c.actx, 100); // a later activity starts a new one
    vi.advanceTimersByTime(100);
    expect(c.sent).toEqual(['c']);
    stopC();
  });
});
