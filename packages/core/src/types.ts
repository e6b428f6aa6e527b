/**
 * The task-options model: what a task needs and how it behaves. Every field mirrors a
 * keyword of Ray's `@ray.remote(...)` / `f.options(...)` in camelCase; see DESIGN.md for
 * where taskfit deliberately differs.
 */

/** A resource map: resource name → quantity (at most 4 decimal places). */
export type ResourceMap = Record<string, number>;

/** An error class, or its name, that may be retried (see {@link TaskOptions.retryExceptions}). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ErrorMatcher = string | (abstract new (...args: any[]) => Error);

/** Runtime environment of a task. Only `envVars` is applied by the local executor. */
export interface RuntimeEnv {
  /** Environment variables set while the task runs. `${VAR}` expands against the parent's environment. Ray: `env_vars`. */
  envVars?: Record<string, string>;
  /** Working directory (Ray: `working_dir`). Not supported by every executor; those that cannot honour it reject it. */
  workingDir?: string;
  /** Extra keys are passed through to executors that understand them, and rejected by those that do not. */
  [key: string]: unknown;
}

/** Ray's default hybrid policy: pack until critical utilisation reaches 0.5, then spread. */
export type DefaultStrategy = 'DEFAULT';
/** Spread tasks over nodes, least-loaded first. */
export type SpreadStrategy = 'SPREAD';

/** Run on a given node. Ray: `NodeAffinitySchedulingStrategy`. */
export interface NodeAffinityStrategy {
  type: 'nodeAffinity';
  nodeId: string;
  /** If the node is dead or infeasible, run elsewhere. @default false */
  soft?: boolean;
  /** With `soft`, also go elsewhere when the node is merely busy. @default false */
  spillOnUnavailable?: boolean;
  /** Without `soft`, fail at once (rather than wait) when the node is busy. @default false */
  failOnUnavailable?: boolean;
}

/** A placement group handle, as returned by `Cluster.createPlacementGroup`. */
export interface PlacementGroupRef {
  readonly id: string;
}

/** Run inside a placement group's reserved bundles. Ray: `PlacementGroupSchedulingStrategy`. */
export interface PlacementGroupStrategy {
  type: 'placementGroup';
  placementGroup: PlacementGroupRef;
  /** Bundle to use; -1 (default) means any bundle that fits. */
  bundleIndex?: number;
  /**
   * Child tasks (and their descendants) that set no `schedulingStrategy` run in this placement
   * group too (any bundle that fits); a child with an explicit strategy, `'DEFAULT'` included,
   * escapes. Ray: `placement_group_capture_child_tasks`. @default false
   */
  captureChildTasks?: boolean;
}

/** Label match operators (Ray: `In`, `NotIn`, `Exists`, `DoesNotExist`). */
export type LabelMatchExpression =
  | { operator: 'in'; values: readonly string[] }
  | { operator: 'notIn'; values: readonly string[] }
  | { operator: 'exists' }
  | { operator: 'doesNotExist' };

/** Schedule by node labels. Ray: `NodeLabelSchedulingStrategy`. */
export interface NodeLabelStrategy {
  type: 'nodeLabel';
  hard: Record<string, LabelMatchExpression>;
  soft?: Record<string, LabelMatchExpression>;
}

export type SchedulingStrategy =
  DefaultStrategy | SpreadStrategy | NodeAffinityStrategy | PlacementGroupStrategy | NodeLabelStrategy;

/** Task options as written by a user (everything optional). */
export interface TaskOptions {
  /** Number of results. A non-negative integer or `'streaming'` (generator). @default 1 — Ray: `num_returns`. */
  numReturns?: number | 'streaming';
  /** Logical CPUs reserved while the task runs (fractions allowed, ≤ 4 decimals). @default 1 — Ray: `num_cpus`. */
  numCpus?: number;
  /** Logical GPUs. Fractions below 1 share a GPU; above 1 must be whole. @default 0 — Ray: `num_gpus`. */
  numGpus?: number;
  /** Custom resources, e.g. `{ licence: 1 }`. Reserved keys (`CPU`, `GPU`, `memory`, …) are rejected. Ray: `resources`. */
  resources?: ResourceMap;
  /** Require a node with this accelerator (e.g. `'H100'`); demands `accelerator_type:<T>` 0.001. Ray: `accelerator_type`. */
  acceleratorType?: string;
  /** Logical heap memory in bytes, for scheduling (floored). Ray: `memory`. */
  memory?: number;
  /** Rejected for tasks (Ray reserves it for actors). Present only so the error can say so. Ray: `object_store_memory`. */
  objectStoreMemory?: number;
  /** Retire the worker after this many calls; 0 = unlimited. Not settable in `.options()`. @default 0 (1 for GPU tasks) — Ray: `max_calls`. */
  maxCalls?: number;
  /** Retries on system failure (and allowed application errors); -1 = infinite. @default 3 — Ray: `max_retries`. */
  maxRetries?: number;
  /** `true` retries every application error; an array retries only those classes / names. @default false — Ray: `retry_exceptions`. */
  retryExceptions?: boolean | readonly ErrorMatcher[];
  /** Per-task runtime environment. Ray: `runtime_env`. */
  runtimeEnv?: RuntimeEnv;
  /**
   * Where the task may run. Unset means `'DEFAULT'`, except for a child task of a parent running
   * in a placement group with `captureChildTasks`: it then runs in that group (an explicit
   * `'DEFAULT'` escapes). Ray: `scheduling_strategy`.
   */
  schedulingStrategy?: SchedulingStrategy;
  /** Emit task events for this task. @default true — Ray: `enable_task_events`. */
  enableTaskEvents?: boolean;
  /** Required node labels: `{ 'region': 'us-west1', 'tier': '!spot', 'zone': 'in(a,b)' }`. Ray: `label_selector`. */
  labelSelector?: Record<string, string>;
  /** Display name of the task. Ray: `name`. */
  name?: string;
  /** Adapter settings, by namespace (e.g. `'taskfit.io/retry'`, `'temporal.io/activity'`). Merged per namespace by `.options()`. */
  _metadata?: Record<string, Record<string, unknown>>;
}

/** Task options with every default filled. */
export interface ResolvedTaskOptions {
  numReturns: number | 'streaming';
  numCpus: number;
  numGpus: number;
  resources: ResourceMap;
  acceleratorType: string | undefined;
  memory: number;
  maxCalls: number;
  maxRetries: number;
  retryExceptions: boolean | readonly ErrorMatcher[];
  runtimeEnv: RuntimeEnv | undefined;
  /** `undefined` when not set: `'DEFAULT'`, or the parent's placement group when the parent captures child tasks. */
  schedulingStrategy: SchedulingStrategy | undefined;
  enableTaskEvents: boolean;
  labelSelector: Record<string, string> | undefined;
  name: string | undefined;
  _metadata: Record<string, Record<string, unknown>>;
}

/** Context for {@link validateTaskOptions}. */
export interface ValidationContext {
  /** Validating `.options()` overrides (forbids `maxCalls`). @default false */
  inOptions?: boolean;
}

/** Task states, per attempt (Ray's `TaskStatus`). */
export type TaskState =
  'PENDING_ARGS_AVAIL' | 'PENDING_NODE_ASSIGNMENT' | 'SUBMITTED_TO_WORKER' | 'RUNNING' | 'FINISHED' | 'FAILED';
