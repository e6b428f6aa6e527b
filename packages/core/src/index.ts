// Public API of @taskfit/core. One explicit barrel: everything not listed here is internal.
export { TaskOptionsError, formatPath } from './errors.js';
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
export { TaskError, TaskFailure, WorkerCrashedError, TaskCancelledError, InfeasibleTaskError } from './task-errors.js';
export type { SystemFailureKind } from './task-errors.js';
export * from './options/api.js';
export * from './resources/api.js';
