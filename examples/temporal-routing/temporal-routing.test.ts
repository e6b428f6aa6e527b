// Smoke test: the example starts its own Temporal dev server (the `temporal` CLI must be
// installed: see CONTRIBUTING.md), routes CPU tasks to the CPU box and GPU tasks to the GPU box,
// and exits 0.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const here = fileURLToPath(new URL('.', import.meta.url));

describe('temporal-routing example', () => {
  it('routes each task to a worker class that can serve it', async () => {
    const { stdout } = await run(process.execPath, ['main.mjs'], { cwd: here, timeout: 170_000 });
    expect(stdout).toContain('cpu-box: serves media\n');
    expect(stdout).toContain(
      'gpu-box: serves media@CPU=1,GPU=0.5, media@CPU=1,GPU=1, media@CPU=1,GPU=1,accelerator_type:T4=0.001\n',
    );

    const rows = stdout.split('\n').filter((l) => /^(transcode|detectObjects|upscale) /.test(l));
    expect(rows).toHaveLength(9);
    for (const row of rows.filter((r) => r.startsWith('transcode'))) expect(row).toMatch(/ cpu-box\s+media\s+-\s+-$/);
    for (const row of rows.filter((r) => r.startsWith('detectObjects')))
      expect(row).toMatch(/ gpu-box\s+media@CPU=1,GPU=0\.5\s+\[(\d)\]\s+\1$/);
    expect(rows.filter((r) => r.startsWith('upscale'))).toEqual([
      expect.stringMatching(/ gpu-box\s+media@CPU=1,GPU=1,accelerator_type:T4=0\.001\s+\[(\d)\]\s+\1$/),
    ]);
    expect(stdout).toContain('cpu-box ledger after the run: every reserved unit released');
    expect(stdout).toContain('gpu-box ledger after the run: every reserved unit released');
    expect(stdout).toContain('every CPU task ran on cpu-box and every GPU task on gpu-box');
  });
});
