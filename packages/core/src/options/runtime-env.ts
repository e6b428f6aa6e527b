// Runtime-env inheritance (Ray's OverrideRuntimeEnv) and `${VAR}` expansion.
import type { RuntimeEnv } from '../types.js';
import { hasOwn, own } from '../input.js';
import { put } from './internal.js';

const VAR = /\$(\w+|\{[^}]*\})/g;

/**
 * Expands `$VAR` and `${VAR}` in `value` against `env`, like Python's
 * `os.path.expandvars` (which Ray uses): a variable that is unset (absent or `undefined`
 * in `env`) is left untouched, `$` not followed by a name stays as is, and a replacement
 * is never expanded again. Names are `[A-Za-z0-9_]+`.
 */
export function expandEnvVars(value: string, env: Readonly<Record<string, string | undefined>>): string {
  return value.replace(VAR, (match, raw: string) => {
    const name = raw.startsWith('{') ? raw.slice(1, -1) : raw;
    if (!hasOwn(env, name)) return match;
    const v = env[name];
    return v === undefined ? match : v;
  });
}

/**
 * Runtime-env inheritance: the child's `envVars` are merged over the parent's (the child
 * wins per variable); every other field is replaced whole (the child's value when it has
 * one, else the parent's). When `env` is given, `$VAR` / `${VAR}` in the resulting
 * `envVars` values are expanded against it (see {@link expandEnvVars}) — pass the
 * environment the task will start from, e.g. the parent process's. Inputs are not mutated.
 */
export function mergeRuntimeEnv(
  parent: RuntimeEnv | undefined,
  child: RuntimeEnv | undefined,
  env?: Readonly<Record<string, string | undefined>>,
): RuntimeEnv {
  const out: RuntimeEnv = { ...(parent ?? {}) };
  for (const [k, v] of Object.entries(child ?? {})) {
    if (v === undefined) continue;
    const inherited = own(out, 'envVars');
    if (k === 'envVars' && inherited !== undefined) {
      out.envVars = { ...inherited, ...(v as Record<string, string>) };
    } else {
      put(out, k, v);
    }
  }
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  const envVars = own(out, 'envVars');
  if (envVars !== undefined) {
    const vars: Record<string, string> = {};
    for (const [k, v] of Object.entries(envVars)) put(vars, k, env === undefined ? v : expandEnvVars(v, env));
    out.envVars = vars;
  }
  return out;
}

/** What {@link taskEnvVars} needs to know about one attempt of a task. */
export interface TaskEnvInput {
  /** The task's `runtimeEnv.envVars` as declared (values may reference `$VAR` / `${VAR}`). */
  readonly envVars?: Readonly<Record<string, string>> | undefined;
  /** The task's CPU count (`numCpus`, resolved). */
  readonly numCpus: number;
  /** Device ids for `CUDA_VISIBLE_DEVICES`: given for a task holding GPUs, absent otherwise. */
  readonly visibleDevices?: readonly string[] | undefined;
}

/**
 * The environment variables one attempt of a task sets over the environment it starts from
 * (`baseEnv`: the worker's). The one rule both executors apply:
 * - `envVars`, each value expanded against `baseEnv` ({@link expandEnvVars});
 * - `CUDA_VISIBLE_DEVICES` = the assigned device ids, joined by `,`, for a task holding GPUs
 *   (a task without GPUs leaves it as it is);
 * - `OMP_NUM_THREADS` = `max(floor(numCpus), 1)` when neither `baseEnv` nor `envVars` defines
 *   it (Ray's rule, so numeric libraries in a task's child processes do not oversubscribe the
 *   CPUs it was given; an explicit `envVars.OMP_NUM_THREADS` or a worker-wide value wins).
 */
export function taskEnvVars(
  input: TaskEnvInput,
  baseEnv: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  const vars = own(input, 'envVars');
  if (vars !== undefined) for (const [k, v] of Object.entries(vars)) put(out, k, expandEnvVars(v, baseEnv));
  const devices = own(input, 'visibleDevices');
  if (devices !== undefined) out.CUDA_VISIBLE_DEVICES = devices.join(',');
  if (!hasOwn(out, OMP) && !(hasOwn(baseEnv, OMP) && baseEnv[OMP] !== undefined))
    out[OMP] = String(Math.max(Math.floor(input.numCpus), 1));
  return out;
}

const OMP = 'OMP_NUM_THREADS';
