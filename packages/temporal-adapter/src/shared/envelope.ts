/**
 * The task envelope: how a task's options travel from the workflow to the worker.
 *
 * `remoteActivity(...).remote(a, b)` schedules the activity with ONE argument,
 * `{ '@taskfit/task': <wire options>, args: [a, b] }`; the worker's activity wrapper unwraps it
 * before calling the activity function with `(a, b)`. The envelope rides in the activity input
 * (not in a header) because a header needs a workflow interceptor module registered in every
 * workflow worker (ignored with a prebuilt `workflowBundle`), and a missing one would silently drop
 * the options; the input always arrives. A call without an envelope (plain `proxyActivities`)
 * runs with the default options of the class its queue serves.
 */

/** Marker key of an envelope. */
export const ENVELOPE_KEY = '@taskfit/task';

/** The options a worker needs, in JSON form (classes in `retryExceptions` become their names). */
export interface TaskWireOptions {
  /** Wire version. */
  v: 1;
  /** Display name (`options.name`), if set. */
  name?: string;
  /** The task's resource demand (`resourceDemand(options)`), which also named its queue. */
  demand: Record<string, number>;
  numReturns: number;
  maxRetries: number;
  /** `true`, `false`, or the allow-listed error names. */
  retryExceptions: boolean | string[];
  /** `runtimeEnv.envVars`, unexpanded (the worker expands `${VAR}` against its own environment). */
  envVars?: Record<string, string>;
  enableTaskEvents: boolean;
  maxCalls: number;
  /** Hard node affinity target, if any. */
  nodeId?: string;
}

/** The single activity argument `remoteActivity` sends. */
export interface TaskEnvelope {
  [ENVELOPE_KEY]: TaskWireOptions;
  args: unknown[];
}

/** Wraps arguments and wire options into the activity's single input. */
export function encodeTaskEnvelope(options: TaskWireOptions, args: readonly unknown[]): TaskEnvelope {
  return { [ENVELOPE_KEY]: options, args: [...args] };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Unwraps an activity input: the envelope's options and arguments, or `undefined` when the input
 * is not an envelope (a plain call). Throws a `TypeError` for a malformed envelope.
 */
export function decodeTaskEnvelope(
  input: readonly unknown[],
): { options: TaskWireOptions; args: unknown[] } | undefined {
  if (input.length !== 1) return undefined;
  const env = input[0];
  if (!isRecord(env) || !(ENVELOPE_KEY in env)) return undefined;
  const o = env[ENVELOPE_KEY];
  const args = env['args'];
  if (!isRecord(o) || o['v'] !== 1 || !Array.isArray(args) || !isRecord(o['demand'])) {
    throw new TypeError(`malformed taskfit envelope (expected { '${ENVELOPE_KEY}': { v: 1, demand, ... }, args: [] })`);
  }
  return { options: o as unknown as TaskWireOptions, args };
}
