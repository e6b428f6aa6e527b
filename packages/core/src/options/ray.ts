// Ray spelling interop: snake_case options ↔ taskfit's camelCase.
import type { TaskOptions } from '../types.js';
import { formatPath } from '../errors.js';
import { hasOwn, own } from '../input.js';
import type { Namer, Path, PendingIssue } from './internal.js';
import { Issues, describe, isPlainObject, listKeys, optionKeys, ownKeys, put, read, throwIssues } from './internal.js';
import {
  CAMEL_TO_SNAKE,
  OPERATOR_TO_SNAKE,
  RUNTIME_ENV_TO_CAMEL,
  RUNTIME_ENV_TO_SNAKE,
  SNAKE_TO_CAMEL,
  STRATEGY_TYPE_TO_SNAKE,
  isOptionName,
  unknownOptionMessage,
} from './names.js';
import { checkTaskOptions, validateTaskOptions } from './validate.js';

/** Ray's spelling of a task-options object, as plain JSON-like data (see {@link toRayOptions}). */
export type RayTaskOptions = Record<string, unknown>;

const STRATEGY_TYPE_TO_CAMEL: Readonly<Record<string, string>> = invert(STRATEGY_TYPE_TO_SNAKE);

const STRATEGY_FIELD_TO_SNAKE: Readonly<Record<string, string>> = {
  type: 'type',
  nodeId: 'node_id',
  soft: 'soft',
  spillOnUnavailable: '_spill_on_unavailable',
  failOnUnavailable: '_fail_on_unavailable',
  placementGroup: 'placement_group',
  bundleIndex: 'placement_group_bundle_index',
  captureChildTasks: 'placement_group_capture_child_tasks',
  hard: 'hard',
};
const STRATEGY_FIELD_TO_CAMEL: Readonly<Record<string, string>> = invert(STRATEGY_FIELD_TO_SNAKE);

const OPERATOR_TO_CAMEL: Readonly<Record<string, string>> = invert(OPERATOR_TO_SNAKE);

function invert(m: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [v, k]));
}

const has = hasOwn;

/** Maps a camelCase options path to Ray's spelling. */
function toSnakePath(path: readonly (string | number)[]): Path {
  const [head, second, ...rest] = path;
  if (head === undefined || typeof head !== 'string' || !isOptionName(head)) return [...path];
  const out: Path = [CAMEL_TO_SNAKE[head]];
  if (second === undefined) return out;
  if (head === 'runtimeEnv' && typeof second === 'string' && has(RUNTIME_ENV_TO_SNAKE, second)) {
    out.push(RUNTIME_ENV_TO_SNAKE[second] as string);
  } else if (head === 'schedulingStrategy' && typeof second === 'string' && has(STRATEGY_FIELD_TO_SNAKE, second)) {
    out.push(STRATEGY_FIELD_TO_SNAKE[second] as string);
  } else {
    out.push(second);
  }
  return [...out, ...rest];
}

const rayNamer: Namer = {
  ray: true,
  p: (path) => formatPath(toSnakePath(path)),
  lit: (_camel, snake) => snake,
};

function renameKeys(
  obj: Record<string, unknown>,
  map: Readonly<Record<string, string>>,
  reverse: Readonly<Record<string, string>>,
  path: Path,
  issues: Issues,
  what: string,
  dropNull: boolean,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const { keys } = listKeys(obj, issues, path);
  for (const k of keys) {
    const v = read(obj, k);
    if (v === undefined || (dropNull && v === null)) continue; // Python's None: not set
    if (has(reverse, k) && !has(map, k)) {
      // The other spelling, e.g. `envVars` inside Ray's `runtime_env`.
      const p = [...path, k];
      issues.add(p, 'unknown_option', () => `${formatPath(p)} is not a ${what} field; did you mean ${reverse[k]}?`);
      continue;
    }
    put(out, has(map, k) ? (map[k] as string) : k, v);
  }
  return out;
}

function strategyFromRay(v: unknown, issues: Issues): unknown {
  if (!isPlainObject(v)) return v;
  const path: Path = ['scheduling_strategy'];
  const before = issues.list.length;
  const out = renameKeys(
    v,
    STRATEGY_FIELD_TO_CAMEL,
    STRATEGY_FIELD_TO_SNAKE,
    path,
    issues,
    'scheduling_strategy',
    true,
  );
  const type = own(out, 'type');
  if (typeof type === 'string') {
    if (has(STRATEGY_TYPE_TO_CAMEL, type)) out.type = STRATEGY_TYPE_TO_CAMEL[type];
    else if (has(STRATEGY_TYPE_TO_SNAKE, type)) {
      const p = [...path, 'type'];
      issues.add(
        p,
        'invalid_value',
        () =>
          `${formatPath(p)} is ${JSON.stringify(type)}, taskfit's spelling; Ray's is ${JSON.stringify(STRATEGY_TYPE_TO_SNAKE[type])}`,
      );
    }
  }
  if (own(out, 'type') === 'nodeLabel') {
    for (const side of ['hard', 'soft'] as const) {
      const m = own(out, side);
      if (!isPlainObject(m)) continue;
      const listed = ownKeys(m);
      if (listed.failed) continue; // left as is: validation reports it
      const converted: Record<string, unknown> = {};
      for (const label of listed.keys) {
        const expr = read(m, label);
        const exprKeys = isPlainObject(expr) ? ownKeys(expr) : undefined;
        if (isPlainObject(expr) && exprKeys !== undefined && !exprKeys.failed) {
          const e: Record<string, unknown> = {};
          for (const ek of exprKeys.keys) put(e, ek, read(expr, ek));
          const op = own(e, 'operator');
          if (typeof op === 'string') {
            if (has(OPERATOR_TO_CAMEL, op)) e.operator = OPERATOR_TO_CAMEL[op];
            else if (has(OPERATOR_TO_SNAKE, op)) {
              const p = [...path, side, label, 'operator'];
              issues.add(
                p,
                'invalid_value',
                () =>
                  `${formatPath(p)} is ${JSON.stringify(op)}, taskfit's spelling; Ray's is ${JSON.stringify(OPERATOR_TO_SNAKE[op])}`,
              );
            }
          }
          put(converted, label, e);
        } else {
          put(converted, label, expr);
        }
      }
      out[side] = converted;
    }
  }
  return issues.list.length === before ? out : undefined;
}

function strategyToRay(v: unknown): unknown {
  if (!isPlainObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(v))
    out[has(STRATEGY_FIELD_TO_SNAKE, k) ? (STRATEGY_FIELD_TO_SNAKE[k] as string) : k] = val;
  const type = own(out, 'type');
  if (typeof type === 'string' && has(STRATEGY_TYPE_TO_SNAKE, type)) out.type = STRATEGY_TYPE_TO_SNAKE[type];
  if (type === 'nodeLabel') {
    for (const side of ['hard', 'soft'] as const) {
      const m = own(out, side);
      if (!isPlainObject(m)) continue;
      const converted: Record<string, unknown> = {};
      for (const [label, expr] of Object.entries(m)) {
        const e = { ...(expr as Record<string, unknown>) };
        const op = own(e, 'operator');
        if (typeof op === 'string' && has(OPERATOR_TO_SNAKE, op)) e.operator = OPERATOR_TO_SNAKE[op];
        const values = own(e, 'values');
        if (Array.isArray(values)) e.values = [...(values as unknown[])];
        converted[label] = e;
      }
      out[side] = converted;
    }
  }
  return out;
}

/**
 * Converts Ray's snake_case options (`{ num_gpus: 0.5, runtime_env: { env_vars: {...} } }`)
 * to taskfit's and validates them. Spellings:
 *
 * - top-level keywords as in Ray (`num_cpus`, `max_retries`, …, `_metadata`);
 * - `runtime_env`: `env_vars` and `working_dir` become `envVars` / `workingDir`; other
 *   fields are kept as written (adapters reject what they cannot do);
 * - `scheduling_strategy`: `'DEFAULT'`, `'SPREAD'`, or plain JSON forms
 *   `{ type: 'node_affinity', node_id, soft?, _spill_on_unavailable?, _fail_on_unavailable? }`,
 *   `{ type: 'placement_group', placement_group: { id }, placement_group_bundle_index?, placement_group_capture_child_tasks? }`,
 *   `{ type: 'node_label', hard: { key: { operator: 'in' | 'not_in' | 'exists' | 'does_not_exist', values? } }, soft? }`;
 * - `label_selector`, `resources`, `_metadata`, env var names and label keys: kept as-is.
 *
 * Python's `None` (`null`) means "not set" and the key is dropped — except
 * `num_cpus: null`, which in Ray means no CPU demand and becomes `numCpus: 0`.
 * `toRayOptions(fromRayOptions(x))` equals `x` for any valid `x` without `null`s whose
 * quantities are already at the resource precision (others come back rounded: `num_cpus: 1 / 3`
 * is 0.3333).
 *
 * @throws {@link TaskOptionsError} whose issue paths and messages use Ray's spelling
 *   (e.g. path `['num_gpus']`, "num_gpus must be a finite number ≥ 0").
 */
export function fromRayOptions(snake: unknown): TaskOptions {
  const issues = new Issues();
  if (!isPlainObject(snake)) {
    issues.add([], 'invalid_type', () => `Ray task options must be a plain object (got ${describe(snake)})`);
    throwIssues(issues.list, rayNamer);
  }
  const camel: Record<string, unknown> = {};
  const keys = optionKeys(snake, issues);
  for (const k of keys) {
    const v = read(snake, k);
    if (!has(SNAKE_TO_CAMEL, k)) {
      issues.add([k], 'unknown_option', () => unknownOptionMessage(k, rayNamer));
      continue;
    }
    const ck = SNAKE_TO_CAMEL[k] as string;
    if (v === null || v === undefined) {
      if (k === 'num_cpus' && v === null) camel.numCpus = 0;
      continue;
    }
    if (ck === 'runtimeEnv' && isPlainObject(v)) {
      camel[ck] = renameKeys(v, RUNTIME_ENV_TO_CAMEL, RUNTIME_ENV_TO_SNAKE, [k], issues, 'runtime_env', false);
    } else if (ck === 'schedulingStrategy') {
      const st = strategyFromRay(v, issues);
      if (st !== undefined) camel[ck] = st;
    } else {
      camel[ck] = v;
    }
  }
  const { value, issues: found } = checkTaskOptions(camel);
  const all: PendingIssue[] = [...issues.list, ...found.map((i) => ({ ...i, path: toSnakePath(i.path) }))];
  // Conversion issues carry snake_case paths already; validation's were mapped above. The
  // Ray namer renders the camelCase paths captured in validation messages.
  if (all.length > 0) throwIssues(all, rayNamer);
  return value;
}

/**
 * Converts taskfit options to Ray's snake_case spelling (the inverse of
 * {@link fromRayOptions}; see it for the forms). Validates first.
 * `fromRayOptions(toRayOptions(o))` equals `validateTaskOptions(o)`.
 *
 * @throws {@link TaskOptionsError} when `options` are invalid.
 */
export function toRayOptions(options: TaskOptions): RayTaskOptions {
  const o = validateTaskOptions(options);
  const out: RayTaskOptions = {};
  for (const [k, v] of Object.entries(o) as [keyof TaskOptions, unknown][]) {
    const sk = CAMEL_TO_SNAKE[k];
    if (k === 'runtimeEnv') {
      const env: Record<string, unknown> = {};
      for (const [ek, ev] of Object.entries(v as Record<string, unknown>)) {
        env[has(RUNTIME_ENV_TO_SNAKE, ek) ? (RUNTIME_ENV_TO_SNAKE[ek] as string) : ek] = ev;
      }
      out[sk] = env;
    } else if (k === 'schedulingStrategy') {
      out[sk] = strategyToRay(v);
    } else {
      out[sk] = v;
    }
  }
  return out;
}
