// Removes a package's build outputs whose TypeScript source is gone (a file renamed or split):
// `tsc -b` never deletes them, and `npm pack` would ship them. Run from a package directory
// before `tsc -b`.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';

const OUTPUT = /\.(?:d\.ts|js)(?:\.map)?$/;

function prune(dist, src) {
  if (!existsSync(dist)) return;
  for (const entry of readdirSync(dist, { withFileTypes: true })) {
    const out = path.join(dist, entry.name);
    if (entry.isDirectory()) {
      prune(out, path.join(src, entry.name));
      continue;
    }
    if (!OUTPUT.test(entry.name)) continue;
    const source = path.join(src, entry.name.replace(OUTPUT, '.ts'));
    if (!existsSync(source)) rmSync(out);
  }
}

prune(path.resolve('dist'), path.resolve('src'));
