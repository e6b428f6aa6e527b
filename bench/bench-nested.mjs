// A child task's round trip (submit → result, awaited) from inside a task, against a top-level
// task's round trip from the main thread, in the same run and the same pool (issue 11; goal ≤ 2×).
// Both are no-op `remote()` tasks, submitted one after the other (latency, not throughput). A child
// crosses two more thread hops than a top-level task (its parent's thread → the main thread, and
// its result back), and its parent is blocked (its CPU lent) while it waits.
// Usage: node bench-nested.mjs [--calls 2000] [--rounds 7]
import { availableParallelism, loadavg } from 'node:os';
import { TaskPool } from '@taskfit/piscina-adapter';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const CALLS = arg('calls', 2000);
const ROUNDS = arg('rounds', 7);

// Two threads kept warm: the parent's, and the one its children run on.
const pool = new TaskPool({
  filename: new URL('./fixtures/bench-nested.mjs', import.meta.url),
  resources: { CPU: 2 },
  minThreads: 2,
  maxThreads: 2,
  maxTaskHistory: 0,
});
const noop = pool.remote('noop');
const parent = pool.remote('childRoundTrips');

async function topLevel(n) {
  const out = new Array(n);
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await noop.remote(i);
    out[i] = performance.now() - s;
  }
  return out;
}

const pct = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * q))];
};
const median = (xs) => pct(xs, 0.5);

// Warm up both paths (threads started, modules loaded, JIT).
await topLevel(500);
await parent.remote(500);

const rounds = { top: [], child: [] };
for (let k = 0; k < ROUNDS; k++) {
  // Alternate which goes first, so neither always inherits the other's garbage.
  for (const who of k % 2 === 0 ? ['top', 'child'] : ['child', 'top']) {
    globalThis.gc?.();
    const lat = who === 'top' ? await topLevel(CALLS) : await parent.remote(CALLS);
    rounds[who].push({ p50: median(lat), p99: pct(lat, 0.99), mean: lat.reduce((a, b) => a + b, 0) / lat.length });
  }
}
await pool.close();

const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
console.log(`Node ${process.version}, ${availableParallelism()} CPUs, load average ${load()}`);
console.log(`\nround trip of a no-op remote() task, ${CALLS} sequential calls, median of ${ROUNDS} interleaved rounds`);
console.log('| submitted from | p50 ms | p99 ms | mean ms |');
console.log('|---|---:|---:|---:|');
const row = (label, rs) => {
  const r = {
    p50: median(rs.map((x) => x.p50)),
    p99: median(rs.map((x) => x.p99)),
    mean: median(rs.map((x) => x.mean)),
  };
  console.log(`| ${label} | ${r.p50.toFixed(3)} | ${r.p99.toFixed(3)} | ${r.mean.toFixed(3)} |`);
  return r;
};
const top = row('the main thread (top-level task)', rounds.top);
const child = row('inside a task (child task)', rounds.child);
console.log(
  `\nchild / top-level: p50 ${(child.p50 / top.p50).toFixed(2)}×, mean ${(child.mean / top.mean).toFixed(2)}× (goal ≤ 2×); load average at the end ${load()}`,
);
