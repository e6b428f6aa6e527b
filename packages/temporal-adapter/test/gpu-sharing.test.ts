// No idle GPU while a task it could run is waiting (issue 12, point 1), against a dev server
// with the DEFAULT long poll (a minute): one machine serving `{}`, `{ numGpus: 0.5 }` and
// `{ numGpus: 1 }` given four 3 s half-GPU and two 2 s whole-GPU tasks (twice the
// issue's lengths, so that a missed hand-off — a gap of a whole task — stands clear of the bound). Timing bounds here are
// generous (the machine running the tests is shared and loaded); the precise makespan against
// the ideal is measured by bench/bench-temporal-gpu.mjs. With two machines, a task one machine
// has received waits for that machine only (helpers/timeline.mjs): under heavy load a machine
// sometimes receives a task whose room another class's task then takes, and holds it for a whole
// task while the other machine has room — the fleet cost docs/decisions.md states (a poll cannot
// be taken back), not a missed hand-off; the bench counts such a task as waiting for every
// machine, so its fleet figures include that cost.
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import * as activities from './activities.js';
import { TemporalTestbed } from './helpers/harness.js';
import type { Call } from './workflows.js';
import { HAND_OFF_BOUND_MS, analyseTimeline, attemptsFromEvents, overlapped } from './helpers/timeline.mjs';

const bed = new TemporalTestbed();
beforeAll(() => bed.start());
afterEach(() => bed.stopAll());
afterAll(() => bed.teardown());

const gpuOf = (name: string): number => (name.startsWith('half') ? 0.5 : name.startsWith('whole') ? 1 : 0);
const mix = (): Call[] => [
  ...[1, 2, 3, 4].map((i) => ({ activity: 'hold', args: [3000], options: { name: `half-${i}`, numGpus: 0.5 } })),
  ...[1, 2].map((i) => ({ activity: 'hold', args: [2000], options: { name: `whole-${i}`, numGpus: 1 } })),
];

it('one 1-GPU machine serving {}, 0.5 GPU and 1 GPU keeps its GPU busy while work waits; halves share it', async () => {
  const q = await bed.queue('gpu-mix');
  const m = await bed.machine(q, {
    nodeId: 'gpu-1',
    resources: { CPU: 4, GPU: 1 },
    classes: [{}, { numGpus: 0.5 }, { numGpus: 1 }],
    activities,
  });
  const results = await bed.run<{ nodeId: string; gpuIds: number[] }[]>('runAll', q, [mix()]);
  expect(results.map((r) => r.gpuIds)).toEqual([[0], [0], [0], [0], [0], [0]]);

  const tasks = attemptsFromEvents(m.events, gpuOf);
  expect(tasks).toHaveLength(6);
  const t = analyseTimeline(tasks, { 'gpu-1': 1 });
  console.log(
    `gpu mix, one machine: makespan ${t.makespan} ms (ideal 10000), utilisation ${t.utilisation.toFixed(2)}, ` +
      `longest GPU room while a fitting task waited ${t.longestIdleWithWork} ms`,
  );
  expect(t.peak['gpu-1']).toBeLessThanOrEqual(1); // the ledger never over-commits
  expect(overlapped(tasks, (n) => n.startsWith('half'))).toBe(true);
  expect(t.longestIdleWithWork).toBeLessThanOrEqual(HAND_OFF_BOUND_MS);
  const snap = m.workers.resources();
  expect(snap.available).toEqual(snap.total);
  expect(snap.waitingTasks).toBe(0);
  expect(snap.openPolls).toBeGreaterThanOrEqual(1); // idle again: its classes poll, holding nothing
});

it('two machines of different shapes, each its own process: no GPU idles while a task it serves waits', async () => {
  const q = await bed.queue('gpu-fleet');
  const a = await bed.processMachine(q, {
    nodeId: 'gpu-a',
    resources: { CPU: 4, GPU: 1 },
    classes: [{}, { numGpus: 0.5 }, { numGpus: 1 }],
  });
  const b = await bed.processMachine(q, {
    nodeId: 'gpu-b',
    resources: { CPU: 4, GPU: 2 },
    acceleratorType: 'H100',
    classes: [{ numGpus: 0.5 }, { numGpus: 1, acceleratorType: 'H100' }, { numGpus: 2 }],
  });
  // The H100 machine also serves untyped whole-GPU tasks (point 5).
  expect(b.classes).toEqual([
    `${q}@CPU=1,GPU=0.5`,
    `${q}@CPU=1,GPU=1`,
    `${q}@CPU=1,GPU=1,accelerator_type:H100=0.001`,
    `${q}@CPU=1,GPU=2`,
  ]);
  const amount: Record<string, number> = { half: 0.5, whole: 1, h100: 1, double: 2 };
  const gpuOfName = (name: string): number => amount[name.split('-')[0]!] ?? 0;
  const calls: Call[] = [
    ...[1, 2, 3, 4, 5, 6].map((i) => ({
      activity: 'hold',
      args: [3000],
      options: { name: `half-${i}`, numGpus: 0.5 },
    })),
    ...[1, 2, 3].map((i) => ({ activity: 'hold', args: [2000], options: { name: `whole-${i}`, numGpus: 1 } })),
    { activity: 'hold', args: [2000], options: { name: 'h100-1', numGpus: 1, acceleratorType: 'H100' } },
    { activity: 'hold', args: [2000], options: { name: 'double-1', numGpus: 2 } },
  ];
  const results = await bed.run<{ nodeId: string }[]>('runAll', q, [calls]);
  expect(results.slice(-2).map((r) => r.nodeId)).toEqual(['gpu-b', 'gpu-b']);

  const tasks = attemptsFromEvents([...a.events, ...b.events], gpuOfName);
  expect(tasks).toHaveLength(calls.length);
  const servedBy: Record<string, string[]> = {
    'gpu-a': ['half', 'whole'],
    'gpu-b': ['half', 'whole', 'h100', 'double'],
  };
  const t = analyseTimeline(tasks, { 'gpu-a': 1, 'gpu-b': 2 }, (node, task) =>
    servedBy[node]!.includes(task.name.split('-')[0]!),
  );
  console.log(
    `gpu mix, two machines: makespan ${t.makespan} ms (ideal 7000), utilisation ${t.utilisation.toFixed(2)}, ` +
      `idle with fitting work: ${JSON.stringify(t.idleWithWork)}`,
  );
  expect(t.peak).toEqual({ 'gpu-a': 1, 'gpu-b': 2 });
  expect(overlapped(tasks, (n) => n.startsWith('half'))).toBe(true);
  expect(t.longestIdleWithWork).toBeLessThanOrEqual(HAND_OFF_BOUND_MS);
  for (const m of [a, b]) {
    const snap = await m.stop();
    expect(snap.available).toEqual(snap.total);
  }
});
