// The CI-sized soak: thousands of tasks through a pool with the page open and small caps; every
// structure of the server and of the page stays within its cap, and the page keeps answering.
// (bench/soak-dashboard.mjs runs 100,000 tasks and records memory.)
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskPool } from '@taskfit/piscina-adapter';
import type { ObjectRef } from '@taskfit/piscina-adapter';
import { serveDashboard } from '@taskfit/dashboard';
import { launchBrowser, openDashboard, pageErrors } from './helpers/browser.js';

const TASKS = new URL('./fixtures/tasks.mjs', import.meta.url);
let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

interface Snapshot {
  rows: unknown[];
  attempts: unknown[];
  samples: { list: unknown[] }[];
}

describe('bounded memory (server and page)', () => {
  it('3,000 tasks with caps of 250 tasks, 30 attempts, 5 samples, 3 metric names: nothing grows past its cap', async () => {
    await using pool = new TaskPool({ filename: TASKS, resources: { CPU: 4 }, maxThreads: 4 });
    const caps = { maxTasks: 250, maxTimelineAttempts: 30, maxSamples: 5, sampleIntervalMs: 20, maxMetricNames: 3 };
    const dash = await serveDashboard({ pools: [pool], ...caps });
    try {
      const page = await openDashboard(browser, dash.url);
      const noop = pool.remote('noop');
      const named = Array.from({ length: 10 }, (_, i) => noop.options({ name: `n-${i}` }));
      let peak = { rows: 0, attempts: 0, samples: 0 };
      for (let batch = 0; batch < 6; batch++) {
        await Promise.all(Array.from({ length: 500 }, (_, i) => named[i % 10]!.remote(i) as ObjectRef));
        const snap = (await (await fetch(new URL('/api/snapshot', dash.url))).json()) as Snapshot;
        peak = {
          rows: Math.max(peak.rows, snap.rows.length),
          attempts: Math.max(peak.attempts, snap.attempts.length),
          samples: Math.max(peak.samples, ...snap.samples.map((s) => s.list.length)),
        };
      }
      expect(peak.rows).toBeLessThanOrEqual(2 * caps.maxTasks); // active + finished
      expect(peak.attempts).toBeLessThanOrEqual(caps.maxTimelineAttempts);
      expect(peak.samples).toBeLessThanOrEqual(caps.maxSamples);
      expect(peak.rows).toBeGreaterThan(0);

      // The page caught up (its counts are the pool's) and holds no more than the caps.
      const finished = String(pool.summarizeTasks().byState.FINISHED);
      expect(finished).toBe('3000');
      await page.waitForFunction(
        (n) => document.querySelector('.count[data-state="FINISHED"] b')?.textContent === n,
        finished,
        {
          timeout: 30_000,
        },
      );
      const sizes = await page.evaluate(() =>
        (window as unknown as { taskfitDashboard: { sizes(): Record<string, number> } }).taskfitDashboard.sizes(),
      );
      expect(sizes['rows']).toBeLessThanOrEqual(2 * caps.maxTasks);
      expect(sizes['attempts']).toBeLessThanOrEqual(caps.maxTimelineAttempts);
      expect(sizes['samples']).toBeLessThanOrEqual(caps.maxSamples);
      expect(sizes['firstSeen']).toBeLessThanOrEqual(4 * caps.maxTasks);
      expect(sizes['firstDrawn']).toBeLessThanOrEqual(2 * caps.maxTimelineAttempts);
      expect(sizes['domRows']).toBe(200); // the table shows the newest 200 of the kept tasks
      expect(sizes['bars']).toBeLessThanOrEqual(2 * caps.maxTimelineAttempts); // a GPU attempt is drawn in its GPU and thread lanes
      expect(pageErrors(page)).toEqual([]);

      // Metric label values are capped too.
      const metrics = await (await fetch(new URL('/metrics', dash.url))).text();
      const names = new Set([...metrics.matchAll(/^taskfit_tasks_total\{[^}]*name="([^"]+)"/gm)].map((m) => m[1]));
      expect([...names].sort()).toEqual(['n-0', 'n-1', 'n-2', 'other']);
      expect(metrics).toMatch(/^taskfit_tasks_total\{source="pool:local",name="other",state="FINISHED"\} 2100$/m);
    } finally {
      await dash.close();
    }
  });
});
