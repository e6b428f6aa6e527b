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
      const { raw, taskpool, regressions, rerun } = await compareVariants({ concurrency: 1 });
      const summary = { raw: counts(raw), taskpool: counts(taskpool), rerun };
      console.log(`Piscina suite: ${JSON.stringify(summary)}`);
      const failure = (k: string) => {
        const r = taskpool.find((x) => x.key === k);
        return `${k}: ${r === undefined ? 'not run' : `${r.failureType}: ${r.error}`}`;
      };
      expect(regressions.map(failure)).toEqual([]);
      // Sanity: the suite really ran (Piscina 5.3.2 has 153 passing tests on a quiet machine).
      expect(passed(raw).size).toBeGreaterThanOrEqual(145);
      expect(passed(taskpool).size).toBeGreaterThanOrEqual(145);
    },
    15 * 60_000,
  );

  it('each deliberate difference is named in the README, under "Coming from Piscina", with its reason', () => {
    const readme = readFileSync(README, 'utf8');
    const section = readme.slice(readme.indexOf('## Coming from Piscina'));
    for (const d of differences) expect(section).toContain(d.name);
  });
});
