// Smoke test of `npm run demo`'s script: it runs as a child process without a terminal (as in
// CI), prints progress lines, the timeline and the utilisation summary, and exits 0.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

function runDemo(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['examples/demo/demo.mjs'], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run demo', () => {
  it('prints progress, a per-task timeline and a utilisation summary, and exits 0', async () => {
    const { code, stdout, stderr } = await runDemo();
    expect(stderr).toBe('');
    expect(code, stdout).toBe(0);

    // GPUs: real ones are used when present; otherwise the demo says plainly that it simulates.
    expect(stdout).toMatch(/^(no GPU detected( \(.*\))?: simulating 2 GPUs|detected \d+ GPU)/m);
    // Live progress (no TTY here: one line per event, no escape codes).
    expect(stdout).toMatch(/^\+\s*\d+\.\d\ds {2}RUNNING\s+primes-1 /m);
    expect(stdout).toMatch(/FAILED\s+crash-once\s+attempt 0 {2}WorkerCrashedError/);
    expect(stdout).toMatch(/FAILED\s+fetch-shard\s+attempt 1 {2}RateLimitError/);
    expect(stdout).not.toContain('\x1b[');

    // The report.
    expect(stdout).toContain('Per-task timeline');
    expect(stdout).toMatch(/^crash-once\s+2\s+FINISHED\s/m);
    expect(stdout).toMatch(/^fetch-shard\s+3\s+FINISHED\s/m);
    expect(stdout).toMatch(/^validate-record\s+1\s+FAILED\s/m);
    expect(stdout).toContain('Resource utilisation (from task events)');
    expect(stdout).toMatch(/^CPU\s+[\d.]+\s+[\d.]+·s\s+[\d.]+%/m);
    expect(stdout).toMatch(/^GPU\s+\d+\s+[\d.]+·s\s+[\d.]+%/m);
    expect(stdout).toContain('ledger after the run: every reserved unit released');
    expect(stdout).toMatch(/^split-dataset\s+yes\s+train 800, test 200$/m);
    expect(stdout).not.toMatch(/^\S+\s+NO\s/m);
  });
});
