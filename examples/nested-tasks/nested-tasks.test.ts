// Smoke test: the example runs — a merge sort tree and a map-reduce fanning out to fractional-GPU
// children — and every check it prints passes.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const here = fileURLToPath(new URL('.', import.meta.url));

describe('nested-tasks example', () => {
  it('sorts with a tree of tasks and map-reduces with fractional-GPU children', async () => {
    // Force the simulated GPUs so the run is the same on every machine.
    const env = { ...process.env, TASKFIT_RESOURCES: JSON.stringify({ GPU: 0 }) };
    delete env.CUDA_VISIBLE_DEVICES;
    const { stdout } = await run(process.execPath, ['main.mjs'], { cwd: here, env, timeout: 170_000 });
    expect(stdout).toMatch(/^no GPU detected( \(.*\))?: simulating 2 GPUs/m);
    expect(stdout).toMatch(/^ok {3}merge sort: 200000 numbers sorted by a tree of 31 tasks, 4 levels below the root/m);
    expect(stdout).toMatch(/^ok {3}task tree: (\S+) submitted \1\.1 and \1\.2/m);
    expect(stdout).toMatch(/^ok {3}map-reduce: 4 map tasks, 10 embedding children, top words the:6 /m);
    expect(stdout).toMatch(/^ok {3}fractional GPUs: each embedding child had a quarter of one GPU/m);
    expect(stdout).toMatch(/^ok {3}runtime env inheritance: /m);
    expect(stdout).toMatch(/^ok {3}parents: /m);
    expect(stdout).toMatch(/^ok {3}ledger: every reserved unit released$/m);
    expect(stdout).not.toMatch(/^FAIL/m);
  });
});
