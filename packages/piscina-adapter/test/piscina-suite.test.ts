// Piscina's own test suite (shipped in the installed piscina package, node:test through tsx) run
// against raw Piscina and against TaskPool under Piscina's names, in the same run: every test
// that passes on Piscina must pass on TaskPool, except the deliberate differences listed in
// piscina-suite/differences.mjs, each named with its reason in the README.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compareVariants, counts, passed, piscinaVersion } from './piscina-suite/run.mjs';
import { differences } from './piscina-suite/differences.mjs';

const README = new URL('../README.md', import.meta.url);

describe("Piscina's test suite", () => {
  it('is the one of Piscina 5.3.2 (the version TaskPool wraps)', () => {
    expect(piscinaVersion).toBe('5.3.2');
  });

  it(
    'every test that passes on raw Piscina passes on TaskPool, but the deliberate differences',
    async () => {
      const { raw, taskpool, taskpoolPassed, regressions, rerun } = await compareVariants({ concurrency: 1 });
      const failedOn = (records: typeof raw) => records.filter((r) => !r.ok && !r.suite).map((r) => r.key);
      const summary = {
        raw: { ...counts(raw), failed: failedOn(raw) },
        taskpool: { ...counts(taskpool), failed: failedOn(taskpool) },
        rerun,
      };
      console.log(`Piscina suite: ${JSON.stringify(summary, null, 1)}`);
      const failure = (k: string) => {
        const r = taskpool.find((x) => x.key === k);
        return `${k}: ${r === undefined ? 'not run' : `${r.failureType}: ${r.error}`}`;
      };
      expect(regressions.map(failure)).toEqual([]);
      // The suite really ran (Piscina 5.3.2 passes 153 tests on a quiet machine; a loaded one
      // fails a few timing-sensitive ones on both variants), and TaskPool lost at most the
      // deliberate differences (a test that failed once and passed when run again counts as passed,
      // as it does for the regressions above).
      expect(passed(raw).size).toBeGreaterThanOrEqual(120);
      expect(taskpoolPassed.size).toBeGreaterThanOrEqual(passed(raw).size - differences.length);
    },
    15 * 60_000,
  );

  it('each deliberate difference is named in the README, under "Coming from Piscina", with its reason', () => {
    // Markdown reflows text: compare with runs of whitespace collapsed.
    const readme = readFileSync(README, 'utf8').replace(/\s+/g, ' ');
    const section = readme.slice(readme.indexOf('## Coming from Piscina'), readme.indexOf('## API'));
    expect(section).toContain('### What changes');
    for (const d of differences) expect(section).toContain(d.name);
  });
});
