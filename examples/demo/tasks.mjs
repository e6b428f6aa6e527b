// The demo's worker module: every export is a task. TaskPool loads it on its worker threads.
// Durations are short and fixed so the whole demo takes about ten seconds on two cores.
import { getTaskContext, pool } from '@taskfit/piscina-adapter/worker';

/** Busy CPU for `ms` milliseconds (stands in for real CPU work); returns the loop count. */
function burn(ms) {
  const end = performance.now() + ms;
  let n = 0;
  while (performance.now() < end) n++;
  return n;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** CPU work: counts primes below `limit` (a sieve), then keeps the core busy until `ms`. */
export function primes(limit, ms) {
  const started = performance.now();
  const sieve = new Uint8Array(limit + 1);
  let count = 0;
  for (let i = 2; i <= limit; i++) {
    if (sieve[i]) continue;
    count++;
    for (let j = i * i; j <= limit; j += i) sieve[j] = 1;
  }
  burn(ms - (performance.now() - started));
  return count;
}

/**
 * "GPU" work: waits `ms` as if on the device and reports which device it was given. The ids
 * come from the pool's ledger; CUDA_VISIBLE_DEVICES is what a child process (the real
 * inference runtime) would see.
 */
export async function embed(batch, ms) {
  const { gpuIds } = getTaskContext();
  await sleep(ms);
  return { batch, gpuIds, cudaVisibleDevices: process.env.CUDA_VISIBLE_DEVICES };
}

/** Crashes its worker thread on the first attempt (a system failure: retried), then succeeds. */
export function crashOnce(ms) {
  const { attempt } = getTaskContext();
  burn(ms);
  if (attempt === 0) process.exit(17);
  return `recovered on attempt ${attempt}`;
}

/** A transient error class that the caller allow-lists in `retryExceptions`. */
export class RateLimitError extends Error {
  constructor(message) {
    super(message);
    this.name = 'RateLimitError';
  }
}

/** A permanent error class: not allow-listed, so never retried. */
export class ValidationError extends Error {
  constructor(message) {
    super(message);
    this.name = 'ValidationError';
  }
}

/** Throws RateLimitError on its first two attempts, then returns the shard. */
export async function fetchShard(shard, ms) {
  const { attempt } = getTaskContext();
  await sleep(ms);
  if (attempt < 2) throw new RateLimitError(`shard ${shard}: 429 Too Many Requests (attempt ${attempt})`);
  return { shard, rows: 1000 + shard };
}

/** Rejects its input: an application error that is not allow-listed, so it fails at once. */
export function validateRecord(record) {
  throw new ValidationError(`record ${JSON.stringify(record)} has no id`);
}

/** `numReturns: 2`: returns a pair, which the caller receives as two ObjectRefs. */
export function splitDataset(n, ms) {
  burn(ms);
  const ids = Array.from({ length: n }, (_, i) => i);
  return [ids.filter((i) => i % 5 !== 0), ids.filter((i) => i % 5 === 0)];
}

/** A pipeline stage running inside a placement-group bundle. */
export async function stage(name, ms) {
  const { gpuIds, resources } = getTaskContext();
  if (gpuIds.length > 0) await sleep(ms);
  else burn(ms);
  return { name, gpuIds, resources };
}

/**
 * Nested tasks: an ingest stage that hands each of `n` shards to a child task, which has the shard
 * parsed and checksummed by two grandchild tasks. The stages only wait for their children, so they
 * take no CPU (`numCpus: 0`); a stage that did take one would lend it to the pool while it waits
 * (Ray's rule).
 */
export async function ingest(n, ms) {
  const shard = pool.remote('shard', { numCpus: 0 });
  const parts = await Promise.all(
    Array.from({ length: n }, (_, i) => shard.options({ name: `shard-${i + 1}` }).remote(i + 1, ms)),
  );
  return {
    shards: parts.length,
    rows: parts.reduce((sum, p) => sum + p.rows, 0),
    checksums: parts.map((p) => p.checksum),
  };
}

/** One shard: parsed and checksummed by two child tasks, at the same time. */
export async function shard(i, ms) {
  const [rows, checksum] = await Promise.all([
    pool.remote('parse', { numCpus: 0.5 }).remote(i, ms),
    pool.remote('checksum', { numCpus: 0.25 }).remote(i),
  ]);
  return { rows, checksum };
}

/** Parses shard `i` (CPU work). */
export function parse(i, ms) {
  burn(ms);
  return 100 * i;
}

/** A small CPU task: a shard's checksum. */
export function checksum(i) {
  burn(100);
  return (i * 2654435761) >>> 0;
}
