// Shared behaviour tasks: plain async functions with JSON arguments and JSON results, run by
// every executor under test (Piscina threads import this file as a worker module; the Temporal
// worker registers the exports as activities). Cross-attempt state (how often a task ran) lives
// in small files under a scratch folder, so it works across threads and processes alike.
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { pool } from '@taskfit/piscina-adapter/worker';

/** Folder holding the per-key counters. Override with TASKFIT_BEHAVIOUR_DIR. */
export function scratchDir() {
  const dir = process.env.TASKFIT_BEHAVIOUR_DIR ?? join(tmpdir(), 'taskfit-behaviour');
  mkdirSync(dir, { recursive: true });
  return dir;
}

function safeKey(key) {
  if (typeof key !== 'string' || !/^[\w.-]+$/.test(key)) throw new TypeError(`bad behaviour key ${String(key)}`);
  return key;
}

/** Increments the call counter of `key` and returns the new count (1 on the first call). */
function bump(key) {
  const file = join(scratchDir(), `${safeKey(key)}.count`);
  let n;
  try {
    n = Number(readFileSync(file, 'utf8')) || 0;
  } catch {
    n = 0;
  }
  n += 1;
  writeFileSync(file, String(n));
  return n;
}

/** Returns `value` unchanged. */
export async function echo(value) {
  return value;
}

/** Returns `a + b`. */
export async function add(a, b) {
  return a + b;
}

/** Returns `[a, b]` (for `numReturns: 2`). */
export async function pair(a, b) {
  return [a, b];
}

/** Counts a call of `key` and returns nothing (for `numReturns: 0`). */
export async function touch(key) {
  bump(key);
}

/**
 * Throws an error whose class is named `errorName` (prototype chain `[errorName, 'Error']`) on
 * the first `times` calls of `key`; afterwards returns the number of calls made.
 */
export async function failTimes(key, times, errorName) {
  const n = bump(key);
  if (n <= times) throw makeError(errorName, `${key}: failure ${n} of ${times}`);
  return n;
}

/** Always throws an error whose class is named `errorName`. */
export async function throwNamed(errorName, message) {
  throw makeError(errorName, message);
}

/**
 * Kills its worker (process.exit in a Piscina thread) on the first call of `key`; returns
 * `value` on later calls. Executors that cannot survive this declare the `crashWorker` skip.
 */
export async function crashOnce(key, value) {
  if (bump(key) === 1) process.exit(1);
  return value;
}

/** Sleeps `ms` then returns `value`. */
export async function sleep(ms, value) {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return value;
}

/** Sleeps `ms`; returns the wall-clock interval it ran in (ms since the epoch). */
export async function span(ms) {
  const start = Date.now();
  await new Promise((resolve) => setTimeout(resolve, ms));
  return { start, end: Date.now() };
}

/** Identity of the worker running the task: `"<pid>:<threadId>"`. */
export async function whereAmI() {
  return `${process.pid}:${threadId}`;
}

/**
 * Waits until `parties` tasks have arrived at `key` (each call is one party); returns true
 * when all arrived within `timeoutMs`, false otherwise. Proves that tasks ran at the same time
 * without timing assumptions.
 */
export async function rendezvous(key, parties, timeoutMs) {
  const dir = join(scratchDir(), `${safeKey(key)}.rdv`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${process.pid}-${threadId}-${Math.random().toString(36).slice(2)}`), '');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (readdirSync(dir).length >= parties) return true;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return readdirSync(dir).length >= parties;
}

// ── nested tasks (executors whose tasks run in a TaskPool: pool.remote inside a task) ──────────

/** fib(n) as a tree of tasks: each level submits fib(n - 1) and fib(n - 2) and awaits both. */
export async function fib(n) {
  if (n < 2) return n;
  const f = pool.remote('fib');
  const [a, b] = await Promise.all([f.remote(n - 1), f.remote(n - 2)]);
  return a + b;
}

/** Submits `n` children `span(ms)` with `childOptions` and returns their spans. */
export async function fanOutSpans(n, ms, childOptions) {
  const child = pool.remote('span', childOptions);
  return await Promise.all(Array.from({ length: n }, () => child.remote(ms)));
}

/** Marks `key` started (`<key>.started`), then waits until the test writes `<key>.release`. */
export async function holdUntil(key, timeoutMs = 60_000) {
  const dir = scratchDir();
  writeFileSync(join(dir, `${safeKey(key)}.started`), '');
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(join(dir, `${key}.release`))) {
    if (Date.now() > deadline) throw new Error(`${key} was not released within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}

/** Submits `holdUntil(key)` as a child with `childOptions` and awaits it. */
export async function parentOfHold(key, childOptions) {
  return await pool.remote('holdUntil', childOptions).remote(key);
}

/** Runs `failTimes(key, 1, errorName)` as a child (no retries of its own) and re-throws its failure. */
export async function failViaChild(key, errorName) {
  return await pool.remote('failTimes', { maxRetries: 0 }).remote(key, 1, errorName);
}

function makeError(errorName, message) {
  // A real subclass, so that the prototype chain is [errorName, 'Error'] wherever it is inspected.
  const Cls = { [errorName]: class extends Error {} }[errorName];
  Object.defineProperty(Cls.prototype, 'name', { value: errorName, configurable: true, writable: true });
  return new Cls(message);
}
