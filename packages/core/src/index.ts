// Public API of @taskfit/core. One explicit barrel: everything not listed here is internal.
export { TaskOptionsError, formatPath } from './errors.js';
export { INPUT_LIMITS } from './limits.js';
export type { TaskOptionsIssue, TaskOptionsIssueCode } from './errors.js';
export type {
  DefaultStrategy,
  ErrorMatcher,
  LabelMatchExpression,
  NodeAffinityStrategy,
  NodeLabelStrategy,
  PlacementGroupRef,
  PlacementGroupStrategy,
  ResolvedTaskOptions,
  ResourceMap,
  RuntimeEnv,
  SchedulingStrategy,
  SpreadStrategy,
  TaskOptions,
  TaskState,
  ValidationContext,
} from './types.js';
export {
  TaskError,
  TaskFailure,
  WorkerCrashedError,
  TaskCancelledError,
  InfeasibleTaskError,
  TaskTimeoutError,
} from './task-errors.js';
export type { SystemFailureKind, TaskTimeoutType } from './task-errors.js';

// Options model: validation, merge, defaults, demand, Ray spelling, remote().
export { validateTaskOptions } from './options/validate.js';
export { mergeTaskOptions, resolveTaskOptions, resourceDemand } from './options/merge.js';
export { fromRayOptions, toRayOptions } from './options/ray.js';
export type { RayTaskOptions } from './options/ray.js';
export { mergeRuntimeEnv, expandEnvVars, taskEnvVars } from './options/runtime-env.js';
export type { TaskEnvInput } from './options/runtime-env.js';
export { matchesRetryExceptions, errorTypeChain, retryExceptionNames } from './options/retry.js';
export type { SerializedErrorLike } from './options/retry.js';
export { remote, isRemoteFunction } from './options/remote.js';
export type {
  NumReturns,
  NumReturnsOf,
  RemoteArgs,
  RemoteFunction,
  RemoteNumReturns,
  RemoteResult,
  RemoteReturn,
  Returns,
  TaskOptionsOverrides,
  Yielded,
} from './options/remote.js';

// Resource accounting and scheduling.
export { RESOURCE_UNIT_SCALING, toUnits, fromUnits } from './resources/fixed-point.js';
export { UNIT_INSTANCE_RESOURCES, ResourceRequest, compileDemand } from './resources/demand.js';
export type { ResourceDemand } from './resources/demand.js';
export { AllocationError } from './resources/errors.js';
export type { AllocationErrorCode } from './resources/errors.js';
export { Allocation } from './resources/allocation.js';
export type { AllocationData, InstanceShare } from './resources/allocation.js';
export { NodeResources } from './resources/node-resources.js';
export type { NodeResourcesOptions } from './resources/node-resources.js';
export { Cluster, ClusterError } from './resources/cluster.js';
export type { ScheduleOptions, ScheduleResult } from './resources/cluster.js';
export { PlacementGroup } from './resources/placement-group.js';
export type {
  Bundle,
  PlacementGroupOptions,
  PlacementGroupState,
  PlacementStrategy,
} from './resources/placement-group.js';
export { parseLabelSelector } from './resources/labels.js';
export type { LabelSelector } from './resources/labels.js';

// Observability: task timelines as Chrome trace events (pure, shared by every executor).
export { chromeTrace, taskAttempts } from './observability/timeline.js';
export type {
  ChromeTrace,
  ChromeTraceEvent,
  ChromeTraceOptions,
  TaskAttemptSpan,
  TimelineTaskEvent,
} from './observability/timeline.js';
