// Option names in both spellings, and the did-you-mean messages for unknown keys.
import type { Namer } from './internal.js';
import { hasOwn } from '../input.js';
import { closest } from './internal.js';

/** taskfit option → Ray keyword, in Ray's table order. */
export const CAMEL_TO_SNAKE = {
  labelSelector: 'label_selector',
  acceleratorType: 'accelerator_type',
  memory: 'memory',
  name: 'name',
  numCpus: 'num_cpus',
  numGpus: 'num_gpus',
  objectStoreMemory: 'object_store_memory',
  resources: 'resources',
  runtimeEnv: 'runtime_env',
  schedulingStrategy: 'scheduling_strategy',
  _metadata: '_metadata',
  enableTaskEvents: 'enable_task_events',
  maxCalls: 'max_calls',
  maxRetries: 'max_retries',
  numReturns: 'num_returns',
  retryExceptions: 'retry_exceptions',
} as const;

export type OptionName = keyof typeof CAMEL_TO_SNAKE;

/** Scheduling-strategy types, taskfit's spelling → Ray's. */
export const STRATEGY_TYPE_TO_SNAKE: Readonly<Record<string, string>> = {
  nodeAffinity: 'node_affinity',
  placementGroup: 'placement_group',
  nodeLabel: 'node_label',
};

/** Operators of a node-label match expression, taskfit's spelling → Ray's. */
export const OPERATOR_TO_SNAKE: Readonly<Record<string, string>> = {
  in: 'in',
  notIn: 'not_in',
  exists: 'exists',
  doesNotExist: 'does_not_exist',
};

/** The `runtimeEnv` fields Ray spells differently: taskfit's spelling → Ray's, and back. */
export const RUNTIME_ENV_TO_SNAKE: Readonly<Record<string, string>> = {
  envVars: 'env_vars',
  workingDir: 'working_dir',
};
export const RUNTIME_ENV_TO_CAMEL: Readonly<Record<string, string>> = {
  env_vars: 'envVars',
  working_dir: 'workingDir',
};

export const OPTION_NAMES = Object.keys(CAMEL_TO_SNAKE) as OptionName[];

export const SNAKE_TO_CAMEL: Readonly<Record<string, OptionName>> = Object.fromEntries(
  OPTION_NAMES.map((k) => [CAMEL_TO_SNAKE[k], k]),
);

export function isOptionName(k: string): k is OptionName {
  return hasOwn(CAMEL_TO_SNAKE, k);
}

/** Ray keywords that exist only for actors. */
const ACTOR_ONLY = [
  'concurrency_groups',
  'enable_tensor_transport',
  'lifetime',
  'max_concurrency',
  'max_restarts',
  'max_task_retries',
  'max_pending_calls',
  'namespace',
  'get_if_exists',
  'allow_out_of_order_execution',
];
const ACTOR_ONLY_SET = new Set([...ACTOR_ONLY, ...ACTOR_ONLY.map(snakeToCamel)]);

/** Ray task keywords taskfit does not support, with what to use instead. */
const UNSUPPORTED_RAY: Readonly<Record<string, (n: Namer) => string>> = {
  placement_group: (n) =>
    `Ray's deprecated placement_group keyword is not supported; use ${n.p(['schedulingStrategy'])}: { type: ${q(n.lit('placementGroup', 'placement_group'))}, ... }`,
  placement_group_bundle_index: (n) =>
    `Ray's deprecated placement_group_bundle_index keyword is not supported; set the bundle index inside ${n.p(['schedulingStrategy'])}`,
  placement_group_capture_child_tasks: (n) =>
    `Ray's deprecated placement_group_capture_child_tasks keyword is not supported; set it inside ${n.p(['schedulingStrategy'])}`,
  fallback_strategy: () => 'fallback_strategy is not supported by taskfit',
  _labels: () => '_labels is not supported by taskfit',
  _generator_backpressure_num_objects: () => '_generator_backpressure_num_objects is not supported by taskfit',
};

function q(s: string): string {
  return `'${s}'`;
}

export function snakeToCamel(s: string): string {
  return s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/**
 * The message for an unknown top-level key. `k` is the key as the user wrote it; `display`
 * its formatted path.
 */
export function unknownOptionMessage(k: string, n: Namer): string {
  const valid = n.ray ? OPTION_NAMES.map((o) => CAMEL_TO_SNAKE[o]) : OPTION_NAMES;
  const display = JSON.stringify(k);
  const head = `${display} is not a task option`;
  if (ACTOR_ONLY_SET.has(k)) return `${head}: it is a Ray actor option, and taskfit runs tasks only`;
  const snakeK = hasOwn(UNSUPPORTED_RAY, k) ? k : camelToSnake(k);
  const unsupported = hasOwn(UNSUPPORTED_RAY, snakeK) ? UNSUPPORTED_RAY[snakeK] : undefined;
  if (unsupported !== undefined) return `${head}: ${unsupported(n)}`;
  // snake_case spelling given to the camelCase API (or the reverse).
  const translated = n.ray
    ? isOptionName(k)
      ? CAMEL_TO_SNAKE[k]
      : undefined
    : hasOwn(SNAKE_TO_CAMEL, k)
      ? SNAKE_TO_CAMEL[k]
      : undefined;
  const guess = translated ?? closest(k, valid);
  if (guess !== undefined) return `${head}; did you mean ${guess}?`;
  return `${head}; valid options are ${valid.join(', ')}`;
}

export function camelToSnake(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
