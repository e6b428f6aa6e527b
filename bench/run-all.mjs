// Runs every benchmark in this folder in sequence. Each bench-*.mjs prints its own table.
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv[2];
for (const file of readdirSync(here)
  .filter((f) => /^bench-.*\.mjs$/.test(f))
  .sort()) {
  if (only && !file.includes(only)) continue;
  console.log(`\n### ${file}`);
  const r = spawnSync(process.execPath, ['--expose-gc', file], { cwd: here, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
