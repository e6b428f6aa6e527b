// Smoke test of `npm run demo`'s script: it runs as a child process without a terminal (as in
// CI), prints progress lines, the timeline and the utilisation summary, and exits 0.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
    // Nested tasks: each listed under the task that submitted it, as a tree.
    expect(stdout).toMatch(
      /^ingest\s+1\s+FINISHED\s.*\n└ shard-1\s+1\s+FINISHED\s.*\n {2}└ (parse|checksum)\s+1\s+FINISHED\s.*\n {2}└ (parse|checksum)\s+1\s+FINISHED\s/m,
    );
    expect(stdout).toMatch(/^└ shard-3\s+1\s+FINISHED\s/m);
    expect(stdout).toMatch(
      /^ingest\s+yes\s+3 shard child tasks, each parsed and checksummed by two grandchildren: 600 rows$/m,
    );
    expect(stdout).not.toMatch(/^\S+\s+NO\s/m);

    // The run as a Chrome trace, in a fresh temporary folder: one complete event per attempt.
    const path = /^timeline \(Chrome trace; .*\): (.+timeline\.json)$/m.exec(stdout)?.[1];
    expect(path, stdout).toBeDefined();
    expect(path!.startsWith(tmpdir())).toBe(true);
    const trace = JSON.parse(readFileSync(path!, 'utf8')) as {
      traceEvents: { ph: string; name: string; args?: { taskId?: string; parentTaskId?: string } }[];
    };
    rmSync(join(path!, '..'), { recursive: true, force: true });
    const complete = (name: string) => trace.traceEvents.filter((e) => e.ph === 'X' && e.name === name).length;
    expect(complete('crash-once')).toBe(2);
    expect(complete('fetch-shard')).toBe(3);
    for (let i = 1; i <= 6; i++) expect(complete(`primes-${i}`)).toBe(1);
    // The trace links each child to its parent.
    const slice = (name: string) => trace.traceEvents.find((e) => e.ph === 'X' && e.name === name)!;
    expect(slice('shard-1').args?.parentTaskId).toBe(slice('ingest').args?.taskId);
  });

  it('--dashboard serves the live dashboard, prints its URL and keeps the pool open until Ctrl-C', async () => {
    const out = mkdtempSync(join(tmpdir(), 'taskfit-demo-test-'));
    const child = spawn(process.execPath, ['examples/demo/demo.mjs', '--dashboard', '--port', '0', '--out', out], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      // Wait for the line saying it stays open (the workload is done by then).
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          stdout += d.toString();
          if (stdout.includes('press Ctrl-C to stop')) resolve();
        });
        void closed.then(() => reject(new Error(`the demo exited early:\n${stdout}\n${stderr}`)));
      });
      const url = /^dashboard: (http:\/\/127\.0\.0\.1:\d+\/)$/m.exec(stdout)?.[1];
      expect(url, stdout).toBeDefined();
      const snap = (await (await fetch(new URL('/api/snapshot', url))).json()) as {
        rows: { name: string; attempt: number; state: string }[];
      };
      expect(snap.rows.find((r) => r.name === 'crash-once')).toMatchObject({ attempt: 1, state: 'FINISHED' });
      expect(await (await fetch(new URL('/metrics', url))).text()).toMatch(
        /^taskfit_tasks_total\{source="pool:local",name="crash-once",state="FINISHED"\} 1$/m,
      );
      expect(readFileSync(join(out, 'timeline.json'), 'utf8')).toContain('"traceEvents"');
      child.kill('SIGINT');
      expect(await closed).toBe(0);
      expect(stderr).toBe('');
    } finally {
      child.kill('SIGKILL');
      rmSync(out, { recursive: true, force: true });
    }
  });
});
