// vitest globalSetup of the projects that drive a real headless Chromium: finds it or installs
// Debian's package (see scripts/chromium.mjs), then hands its path to the test processes through
// CHROMIUM_PATH (forks inherit the environment). Fails the run, saying what is missing, otherwise.
import { ensureChromium } from '../scripts/chromium.mjs';

export default async function setup() {
  const { path } = await ensureChromium({ log: (line) => console.log(line) });
  process.env.CHROMIUM_PATH = path;
}
