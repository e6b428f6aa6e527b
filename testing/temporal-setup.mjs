// vitest globalSetup of the projects that start a Temporal dev server: finds the Temporal CLI or
// installs it into the project-local cache (see scripts/temporal-cli.mjs), then hands its path to
// the test processes through TEMPORAL_CLI_PATH (forks inherit the environment).
import { ensureTemporalCli } from '../scripts/temporal-cli.mjs';

export default async function setup() {
  const cli = await ensureTemporalCli({ log: (line) => console.log(line) });
  if (cli.path !== undefined) process.env.TEMPORAL_CLI_PATH = cli.path;
}
