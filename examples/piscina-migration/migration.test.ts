// Smoke test: both versions run, print the same results, and the TaskPool version adds
// preserved error names and per-task options.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const here = fileURLToPath(new URL('.', import.meta.url));

async function node(script: string): Promise<string> {
  const { stdout } = await run(process.execPath, [script], { cwd: here, timeout: 120_000 });
  return stdout;
}

const checksums = (out: string) => out.split('\n').filter((l) => l.startsWith('checksum '));

describe('piscina-migration example', () => {
  it('before (raw Piscina) and after (TaskPool) compute the same results', async () => {
    const [before, after] = await Promise.all([node('before.mjs'), node('after.mjs')]);
    expect(checksums(before)).toHaveLength(4);
    expect(checksums(after)).toEqual(checksums(before));

    expect(before).toContain('error Error: bad name: "Not Valid"');
    expect(after).toContain('error ValidationError: bad name: "Not Valid" (TaskError, errorType ValidationError)');
    expect(after).toMatch(/^remote omega 100000 [0-9a-f]{16} \(numCpus 2\)$/m);
    expect(after).toMatch(/^rejected TaskOptionsError unknown_option: .*numCpus/m);
  });
});
