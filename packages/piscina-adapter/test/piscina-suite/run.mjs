// Runs Piscina's own test suite (the one shipped in the installed `piscina` package, node:test
// through tsx, as its scripts/run-tests.js does) against a "variant" of the package:
//   raw      — Piscina itself;
//   taskpool — TaskPool under Piscina's names (shim.cjs).
// Each variant is a copy of the package's test/ folder in a directory where `..` (the tests'
// `import Piscina from '..'`, `require('../../dist')` in fixtures, `import('piscina')`) resolves to
// the variant; the test files and fixtures are copied byte for byte.
//
// As a script: `node packages/piscina-adapter/test/piscina-suite/run.mjs [raw|taskpool ...]`
// prints per-variant counts and the tests whose outcome differs (build the packages first).
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { differences } from './differences.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
/** The installed piscina package (its root). */
export const piscinaDir = resolve(dirname(require.resolve('piscina')), '..');
export const piscinaVersion = require(join(piscinaDir, 'package.json')).version;
const repoRoot = resolve(here, '../../../..');
const cacheDir = join(repoRoot, 'node_modules', '.cache', 'taskfit-piscina-suite');
const tsx = import.meta.resolve('tsx');

/** Builds the directory of one variant; returns it. */
export function prepare(variant) {
  const root = join(cacheDir, variant);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  cpSync(join(piscinaDir, 'test'), join(root, 'test'), { recursive: true });
  cpSync(join(piscinaDir, 'package.json'), join(root, 'package.json'));
  if (variant === 'raw') {
    symlinkSync(join(piscinaDir, 'dist'), join(root, 'dist'), 'dir');
  } else if (variant === 'taskpool') {
    const dist = join(root, 'dist');
    mkdirSync(join(dist, 'worker_pool'), { recursive: true });
    // The package's entry points are TaskPool; the internals the tests import directly
    // (`../dist/common`, `../dist/symbols`, the `PiscinaWorker` type) stay Piscina's.
    cpSync(join(here, 'shim.cjs'), join(dist, 'main.js'));
    cpSync(join(here, 'shim.cjs'), join(dist, 'index.js'));
    cpSync(join(piscinaDir, 'dist', 'esm-wrapper.mjs'), join(dist, 'esm-wrapper.mjs'));
    for (const internal of ['common.js', 'symbols.js', 'worker_pool/index.js']) {
      const target = join(piscinaDir, 'dist', internal);
      writeFileSync(join(dist, internal), `'use strict';\nmodule.exports = require(${JSON.stringify(target)});\n`);
    }
  } else throw new Error(`unknown variant ${variant}`);
  // `import('piscina')` from the tests resolves to the variant itself.
  mkdirSync(join(root, 'node_modules'), { recursive: true });
  symlinkSync(root, join(root, 'node_modules', 'piscina'), 'dir');
  return root;
}

/** The test files of a prepared variant (Piscina's pattern: test/**\/*test.ts), sorted. */
export function testFiles(root) {
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('test.ts')) out.push(p);
    }
  };
  walk(join(root, 'test'));
  return out.sort();
}

/**
 * Runs test files of a prepared variant with `node --test` (one child process per file, as
 * Piscina's runner does). Resolves with one record per finished test and suite: `{ key, file,
 * name, ok, skip, todo, suite, failureType, error }`; `key` is `file › name`, with `#n` for
 * the n-th repeat of a name in a file. A file that runs past `timeoutMs` is killed and reported
 * as one failed record named after the file. Files listed in `forceExit` (by their path under
 * test/) run with `--test-force-exit`: their runner exits once their tests are done even if a
 * failed test left a thread blocked forever.
 */
export async function runVariant(
  root,
  { files = testFiles(root), forceExit = [], concurrency = 1, timeoutMs = 60_000 } = {},
) {
  const forced = new Set(forceExit.map((f) => join(root, f)));
  const groups = [files.filter((f) => !forced.has(f)), files.filter((f) => forced.has(f))];
  const records = await Promise.all(
    groups.map((g, i) => (g.length === 0 ? [] : spawnTests(root, g, { concurrency, timeoutMs, forceExit: i === 1 }))),
  );
  // Keys in file order, whichever group ran the file.
  const seen = new Map();
  const out = [];
  for (const r of records.flat().sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.i - b.i))) {
    const base = `${r.file} › ${r.name}`;
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.push({ ...r, key: n === 0 ? base : `${base} #${n + 1}` });
  }
  return out;
}

function spawnTests(root, files, { concurrency, timeoutMs, forceExit }) {
  const env = { ...process.env };
  for (const k of Object.keys(env)) {
    if (k === 'NODE_OPTIONS' || k.startsWith('VITEST') || k.startsWith('PISCINA_') || k === 'TASKFIT_RESOURCES')
      delete env[k];
  }
  const args = [
    '--enable-source-maps',
    `--import=${tsx}`,
    '--test',
    `--test-concurrency=${concurrency}`,
    `--test-timeout=${timeoutMs}`,
    ...(forceExit ? ['--test-force-exit'] : []),
    `--test-reporter=${pathToFileURL(join(here, 'reporter.mjs')).href}`,
    '--test-reporter-destination=stdout',
    ...files,
  ];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (err += d.slice(0, 20_000)));
    child.on('error', reject);
    child.on('close', () => {
      const records = [];
      for (const line of out.split('\n')) {
        if (!line.startsWith('{')) continue;
        const r = JSON.parse(line);
        records.push({ ...r, file: r.file === null ? '?' : relative(root, r.file), i: records.length });
      }
      if (records.length === 0) reject(new Error(`no test results from ${root}: ${err}`));
      else resolvePromise(records);
    });
  });
}

/** Tests (not suites) that passed and were not skipped. */
export function passed(records) {
  return new Set(records.filter((r) => r.ok && !r.suite && !r.skip && !r.todo).map((r) => r.key));
}

/** Counts of a variant's records: tests run, passed, failed, skipped. */
export function counts(records) {
  const tests = records.filter((r) => !r.suite);
  return {
    tests: tests.length,
    passed: tests.filter((r) => r.ok && !r.skip && !r.todo).length,
    failed: tests.filter((r) => !r.ok).length,
    skipped: tests.filter((r) => r.skip || r.todo).length,
  };
}

/**
 * Runs the suite against raw Piscina and TaskPool (concurrently) and compares: `regressions` are
 * the tests that pass on Piscina and fail on TaskPool, other than the deliberate differences. A
 * regression must reproduce: the files involved are run again on both variants, and a test
 * counts only if it passes on Piscina and fails on TaskPool again. `taskpoolPassed`: the tests that
 * passed on TaskPool, those that passed when run again included.
 */
export async function compareVariants({ concurrency = 1, timeoutMs = 60_000 } = {}) {
  const forceExit = [...new Set(differences.map((d) => d.file))];
  const roots = { raw: prepare('raw'), taskpool: prepare('taskpool') };
  const run = (opts) =>
    Promise.all([
      runVariant(roots.raw, { concurrency, timeoutMs, forceExit, ...opts(roots.raw) }),
      runVariant(roots.taskpool, { concurrency, timeoutMs, forceExit, ...opts(roots.taskpool) }),
    ]);
  const [raw, taskpool] = await run(() => ({}));
  const allowed = new Set(differences.map((d) => `${d.file} › ${d.name}`));
  const tp = passed(taskpool);
  let regressions = [...passed(raw)].filter((k) => !tp.has(k) && !allowed.has(k));
  const rerun = [];
  if (regressions.length > 0) {
    const files = [...new Set(regressions.map((k) => k.slice(0, k.indexOf(' › '))))];
    const [raw2, tp2] = await run((root) => ({ files: files.map((f) => join(root, f)) }));
    const r2 = passed(raw2);
    const t2 = passed(tp2);
    rerun.push(...regressions);
    regressions = regressions.filter((k) => r2.has(k) && !t2.has(k));
    for (const k of rerun) if (t2.has(k)) tp.add(k);
  }
  return { raw, taskpool, taskpoolPassed: tp, regressions, rerun, differences };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const variants = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['raw', 'taskpool'];
  const results = {};
  for (const v of variants) {
    const t0 = Date.now();
    results[v] = await runVariant(prepare(v), {
      concurrency: 2,
      forceExit: [...new Set(differences.map((d) => d.file))],
    });
    console.log(v, counts(results[v]), `${((Date.now() - t0) / 1000).toFixed(1)} s`);
    for (const r of results[v]) if (!r.ok && !r.suite) console.log(`  ✗ ${r.key}: ${r.failureType}: ${r.error}`);
  }
  if (results.raw && results.taskpool) {
    const tp = passed(results.taskpool);
    for (const key of passed(results.raw)) {
      if (tp.has(key)) continue;
      const r = results.taskpool.find((x) => x.key === key);
      console.log(`- ${key}: ${r === undefined ? 'not run' : `${r.failureType}: ${r.error}`}`);
    }
  }
}
