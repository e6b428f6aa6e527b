// Runtime-env inheritance (Ray's OverrideRuntimeEnv) and `${VAR}` expansion.
import type { RuntimeEnv } from '../types.js';
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
    if (!Object.prototype.hasOwnProperty.call(env, name)) return match;
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
    if (k === 'envVars' && out.envVars !== undefined) {
      out.envVars = { ...out.envVars, ...(v as Record<string, string>) };
    } else {
      put(out, k, v);
    }
  }
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  if (out.envVars !== undefined) {
    const vars: Record<string, string> = {};
    for (const [k, v] of Object.entries(out.envVars)) put(vars, k, env === undefined ? v : expandEnvVars(v, env));
    out.envVars = vars;
  }
  return out;
}
