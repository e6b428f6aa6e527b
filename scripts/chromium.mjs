// Finds a Chromium for the dashboard's browser tests (driven by playwright-core, whose own browser
// download needs the internet), and installs Debian's `chromium` package when none is found, so
// that `npm test` alone works on a fresh machine.
//
// Order (the first that works wins):
//   1. CHROMIUM_PATH (must be an executable file, else an error says so);
//   2. `chromium`, `chromium-browser`, `google-chrome`, `google-chrome-stable` on PATH;
//   3. `apt-get install -y chromium` (as root, with `apt-get update` first when the package lists
//      do not know it), then 2. again.
// If all fail, the error names what is missing and how to install it by hand.
import { execFile } from 'node:child_process';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { isExecutable } from './temporal-cli.mjs';

const run = promisify(execFile);
const NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

export const CHROMIUM_HINT =
  'Install Chromium (Debian/Ubuntu: `sudo apt-get install -y chromium`), or point CHROMIUM_PATH at a Chromium or Chrome executable.';

/**
 * The browser from CHROMIUM_PATH or PATH; `undefined` when there is none.
 * @returns {string | undefined}
 */
export function findChromium() {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv !== undefined && fromEnv !== '') {
    if (!isExecutable(fromEnv)) throw new Error(`CHROMIUM_PATH=${fromEnv} is not an executable file. ${CHROMIUM_HINT}`);
    return fromEnv;
  }
  const dirs = (process.env.PATH ?? '').split(delimiter).filter((d) => d !== '');
  for (const dir of [...dirs, '/usr/bin', '/usr/local/bin'])
    for (const name of NAMES) if (isExecutable(join(dir, name))) return join(dir, name);
  return undefined;
}

async function aptInstall(log) {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () =>
    run('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { env, maxBuffer: 64 << 20 });
  try {
    await install();
  } catch {
    log('apt-get install chromium failed: updating the package lists and trying again');
    await run('apt-get', ['update'], { env, maxBuffer: 64 << 20 });
    await install();
  }
}

/**
 * Finds Chromium or installs Debian's package. Resolves with its path and how long the
 * bootstrap took; rejects (loudly) with what is missing.
 * @param {{ log?: (line: string) => void }} [options]
 * @returns {Promise<{ path: string, installed: boolean, ms: number }>}
 */
export async function ensureChromium(options = {}) {
  const log = options.log ?? (() => {});
  const t0 = Date.now();
  let path = findChromium();
  let installed = false;
  if (path === undefined) {
    const errors = [];
    const root = typeof process.getuid === 'function' && process.getuid() === 0;
    if (!root) errors.push('not root, so `apt-get install chromium` was not tried');
    else {
      log('Chromium not found: installing Debian’s chromium package (apt-get install -y chromium)');
      try {
        await aptInstall(log);
        installed = true;
      } catch (err) {
        errors.push(`apt-get install -y chromium failed: ${String(err?.stderr || err?.message || err).slice(0, 2000)}`);
      }
      path = findChromium();
    }
    if (path === undefined)
      throw new Error(
        `No Chromium for the dashboard's browser tests (looked at CHROMIUM_PATH and ${NAMES.join(', ')} on PATH; ${errors.join('; ')}). ${CHROMIUM_HINT}`,
      );
  }
  const { stdout } = await run(path, ['--version'], { timeout: 60_000 });
  const ms = Date.now() - t0;
  log(`Chromium: ${path} (${stdout.trim()})${installed ? `, installed in ${(ms / 1000).toFixed(1)} s` : ''}`);
  return { path, installed, ms };
}
