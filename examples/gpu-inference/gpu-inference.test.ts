// Smoke test: the example runs, and every child process saw the GPU ids its task was given.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const here = fileURLToPath(new URL('.', import.meta.url));

describe('gpu-inference example', () => {
  it('gives each fractional-GPU task ids that its child process sees in CUDA_VISIBLE_DEVICES', async () => {
    // Force the simulated path so the run is the same on every machine.
    const env = { ...process.env, TASKFIT_RESOURCES: JSON.stringify({ GPU: 0 }) };
    delete env.CUDA_VISIBLE_DEVICES;
    const { stdout } = await run(process.execPath, ['main.mjs'], { cwd: here, env, timeout: 120_000 });

    expect(stdout).toMatch(/^no GPU detected( \(.*\))?: simulating 2 GPUs/m);
    const lines = stdout.split('\n').filter((l) => / batch \d: /.test(l));
    expect(lines).toHaveLength(6);
    for (const line of lines) {
      const m = /ledger ids \[([\d,]+)\], child pid \d+ saw CUDA_VISIBLE_DEVICES=([\d,]+) ok/.exec(line);
      expect(m, line).not.toBeNull();
      expect(m![2]).toBe(m![1]);
    }
    expect(stdout).toMatch(/half-GPU tasks per device: GPU [01]: 2, GPU [01]: 2/);
    expect(stdout).toContain('every child process saw exactly the GPU ids its task was assigned');
  });
});
