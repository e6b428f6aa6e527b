// /metrics scraped over HTTP, parsed with a Prometheus text-format parser, checked against the
// pool's own summarizeTasks() and task events.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskPool } from '@taskfit/piscina-adapter';
import type { ObjectRef } from '@taskfit/piscina-adapter';
import { registerMetrics, serveDashboard } from '@taskfit/dashboard';

const TASKS = new URL('./fixtures/tasks.mjs', import.meta.url);

interface Family {
  name: string;
  type: string;
  metrics: {
    labels?: Record<string, string>;
    value?: string;
    count?: string;
    sum?: string;
    buckets?: Record<string, string>;
  }[];
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'taskfit-metrics-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Scrapes and parses. The parser flattens labelled histograms into one series (it follows
 * prom2json's unlabelled shape), so histogram families are parsed a second time without their
 * `# TYPE` line: their `_bucket`, `_sum` and `_count` samples then come back as plain labelled series.
 */
async function scrape(url: string): Promise<Map<string, Family>> {
  const res = await fetch(new URL('/metrics', url));
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  const families = parsePrometheusTextFormat(text) as Family[];
  const untyped = parsePrometheusTextFormat(text.replace(/^# TYPE \S+ histogram$/gm, '')) as Family[];
  // Untyped, each run of same-named lines is a family of its own: merge them by name.
  const out = new Map<string, Family>();
  for (const f of untyped) {
    const seen = out.get(f.name);
    if (seen === undefined) out.set(f.name, { ...f, metrics: [...f.metrics] });
    else seen.metrics.push(...f.metrics);
  }
  for (const f of families) out.set(f.name, f);
  return out;
}

/** `{ name: count }` of a histogram family, from its `_count` series. */
function histogramCounts(m: Map<string, Family>, name: string): Record<string, number> {
  expect(m.get(name)?.type).toBe('HISTOGRAM');
  return Object.fromEntries(m.get(`${name}_count`)!.metrics.map((x) => [x.labels!['name'], Number(x.value)]));
}

/** `{ name: { state: n } }` of a family with name and state labels (source pool:local). */
function byNameState(f: Family | undefined): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const m of f?.metrics ?? []) {
    expect(m.labels?.['source']).toBe('pool:local');
    (out[m.labels!['name']!] ??= {})[m.labels!['state']!] = Number(m.value);
  }
  return out;
}

describe('/metrics', () => {
  it('matches summarizeTasks(): tasks by state and name, attempts, retries, failures by type, resources, GPUs, histograms', async () => {
    await using pool = new TaskPool({ filename: TASKS, resources: { CPU: 4, GPU: 2 }, maxThreads: 4 });
    const dash = await serveDashboard({ pools: [pool], port: 0 });
    const release = join(dir, 'release');
    try {
      const noop = pool.remote('noop', { name: 'ok' });
      await Promise.all(Array.from({ length: 5 }, (_, i) => noop.remote(i) as ObjectRef));
      const fatal = pool.remote('fail', { name: 'fatal' });
      await Promise.allSettled([fatal.remote('a') as ObjectRef, fatal.remote('b') as ObjectRef]);
      expect(await (pool.remote('crashFirst', { name: 'crash', maxRetries: 2 }).remote(1) as ObjectRef)).toBe(1);
      // An allow-listed error retried after a backoff: its FAILED attempts are not final.
      const limited = pool.remote('limitedUntil', {
        name: 'limited',
        maxRetries: 3,
        retryExceptions: ['RateLimitError'],
        _metadata: { 'taskfit.io/retry': { initialDelayMs: 30 } },
      });
      expect(await (limited.remote(2) as ObjectRef)).toBe(2);
      // One task holds half a GPU while we scrape.
      const held = pool.remote('hold', { name: 'held', numGpus: 0.5, numCpus: 1 }).remote(release) as ObjectRef;
      const heldId = held.taskId;
      while (!pool.listTasks({ taskId: heldId }).some((t) => t.state === 'RUNNING'))
        await new Promise((r) => setTimeout(r, 10));
      // And one that needs both GPUs waits in the pool's queue meanwhile.
      const big = pool.remote('hold', { name: 'big', numGpus: 2, numCpus: 1 }).remote(release) as ObjectRef;
      expect(pool.queueSize).toBe(1);

      const threadsBefore = pool.threads.length;
      const m = await scrape(dash.url);
      const threadsAfter = pool.threads.length;
      const summary = pool.summarizeTasks();
      // Tasks by latest state and name: exactly summarizeTasks().
      expect(m.get('taskfit_tasks')?.type).toBe('GAUGE');
      expect(byNameState(m.get('taskfit_tasks'))).toEqual(summary.byName);
      // Tasks that ended, once each, by final state: the terminal part of summarizeTasks().
      expect(m.get('taskfit_tasks_total')?.type).toBe('COUNTER');
      const ended: Record<string, Record<string, number>> = {};
      for (const [name, states] of Object.entries(summary.byName))
        for (const [state, n] of Object.entries(states))
          if (state === 'FINISHED' || state === 'FAILED') (ended[name] ??= {})[state] = n;
      expect(byNameState(m.get('taskfit_tasks_total'))).toEqual(ended);
      expect(ended).toEqual({
        ok: { FINISHED: 5 },
        fatal: { FAILED: 2 },
        crash: { FINISHED: 1 },
        limited: { FINISHED: 1 },
      });

      expect(byNameState(m.get('taskfit_task_attempts_total'))).toEqual({
        ok: { FINISHED: 5 },
        fatal: { FAILED: 2 },
        crash: { FAILED: 1, FINISHED: 1 },
        limited: { FAILED: 2, FINISHED: 1 },
      });
      const retries = Object.fromEntries(
        m.get('taskfit_task_retries_total')!.metrics.map((x) => [x.labels!['name'], Number(x.value)]),
      );
      expect(retries).toEqual({ crash: 1, limited: 2 });
      const failures = m
        .get('taskfit_task_failures_total')!
        .metrics.map((x) => [x.labels!['name'], x.labels!['error_type'], Number(x.value)]);
      expect(failures.sort()).toEqual([
        ['crash', 'WorkerCrashedError', 1],
        ['fatal', 'FatalError', 2],
        ['limited', 'RateLimitError', 2],
      ]);

      const gauge = (name: string, key: string) =>
        Object.fromEntries(m.get(name)!.metrics.map((x) => [x.labels![key], Number(x.value)]));
      expect(gauge('taskfit_resource_capacity', 'resource')).toMatchObject({ CPU: 4, GPU: 2 });
      expect(gauge('taskfit_resource_reserved', 'resource')).toMatchObject({ CPU: 1, GPU: 0.5 });
      const gpuId = String(
        pool.listTasks({ taskId: heldId })[0]!.events.find((e) => e.state === 'RUNNING')!.gpuIds![0],
      );
      const other = gpuId === '0' ? '1' : '0';
      expect(gauge('taskfit_gpu_reserved', 'gpu')).toEqual({ [gpuId]: 0.5, [other]: 0 });
      expect(gauge('taskfit_gpu_tasks', 'gpu')).toEqual({ [gpuId]: 1, [other]: 0 });
      // The pool's load: its queue (the waiting task) and its threads (Piscina's members).
      expect(m.get('taskfit_pool_queue_size')?.type).toBe('GAUGE');
      expect(gauge('taskfit_pool_queue_size', 'source')).toEqual({ 'pool:local': 1 });
      const threads = gauge('taskfit_pool_threads', 'source')['pool:local']!;
      expect(Math.min(threadsBefore, threadsAfter)).toBeGreaterThanOrEqual(1); // the held task's
      expect(threads).toBeGreaterThanOrEqual(Math.min(threadsBefore, threadsAfter));
      expect(threads).toBeLessThanOrEqual(Math.max(threadsBefore, threadsAfter));
      // Temporal-only series are absent for a pool.
      expect(m.has('taskfit_worker_open_polls') ? m.get('taskfit_worker_open_polls')!.metrics : []).toEqual([]);

      // Histograms: one run-time observation per attempt that ran, one wait per attempt that started.
      expect(histogramCounts(m, 'taskfit_task_run_seconds')).toEqual({ ok: 5, fatal: 2, crash: 2, limited: 3 });
      expect(histogramCounts(m, 'taskfit_task_queue_wait_seconds')).toEqual({
        ok: 5,
        fatal: 2,
        crash: 2,
        limited: 3,
        held: 1,
      });
      const inf = m.get('taskfit_task_run_seconds_bucket')!.metrics.filter((x) => x.labels!['le'] === '+Inf');
      expect(Object.fromEntries(inf.map((x) => [x.labels!['name'], Number(x.value)]))).toEqual({
        ok: 5,
        fatal: 2,
        crash: 2,
        limited: 3,
      });

      writeFileSync(release, '');
      await Promise.all([held, big]);
      const after = await scrape(dash.url);
      expect(byNameState(after.get('taskfit_tasks_total'))['held']).toEqual({ FINISHED: 1 });
      expect(byNameState(after.get('taskfit_tasks_total'))['big']).toEqual({ FINISHED: 1 });
      expect(byNameState(after.get('taskfit_tasks'))).toEqual(pool.summarizeTasks().byName);
    } finally {
      writeFileSync(release, ''); // never leave the held task (and the pool's close) hanging
      await dash.close();
    }
  });

  it('registerMetrics puts the collectors in your own registry, counting tasks that ran before it, and close() removes them', async () => {
    await using pool = new TaskPool({ filename: TASKS, resources: { CPU: 2 } });
    await (pool.remote('noop', { name: 'early' }).remote(1) as ObjectRef);
    const registry = new Registry();
    registry.setDefaultLabels({ app: 'mine' });
    const metrics = registerMetrics({ pools: [pool], registry, maxMetricNames: 2 });
    expect(metrics.registry).toBe(registry);
    const noop = pool.remote('noop');
    await Promise.all(['a', 'b', 'c'].map((n) => noop.options({ name: n }).remote(0) as ObjectRef));
    const families = new Map((parsePrometheusTextFormat(await registry.metrics()) as Family[]).map((f) => [f.name, f]));
    const total = families.get('taskfit_tasks_total')!.metrics;
    expect(total.every((x) => x.labels!['app'] === 'mine')).toBe(true);
    // At most maxMetricNames names; the rest are counted as "other".
    expect(Object.fromEntries(total.map((x) => [x.labels!['name'], Number(x.value)]))).toEqual({
      early: 1,
      a: 1,
      other: 2,
    });
    metrics.close();
    expect(registry.getSingleMetric('taskfit_tasks_total')).toBeUndefined();
    // Two sources on one node get distinct labels.
    await using second = new TaskPool({ filename: TASKS, resources: { CPU: 1 } });
    const both = registerMetrics({ pools: [pool, second], registry });
    const sources = new Set(
      [...(await registry.metrics()).matchAll(/^taskfit_resource_capacity\{source="([^"]+)"/gm)].map((x) => x[1]),
    );
    expect([...sources]).toEqual(['pool:local', 'pool:local#2']);
    both.close();
    expect(await registry.metrics()).not.toContain('taskfit_');
  });
});
