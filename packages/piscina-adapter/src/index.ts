// Public API of @taskfit/piscina-adapter. One explicit barrel: everything not listed here is internal.
export { TaskPool } from './pool.js';
export type {
  TaskPoolOptions,
  TaskRunOptions,
  ResourceSnapshot,
  PoolRemoteFunction,
  FilledOptions,
  AbortSignalLike,
  PoolHistogram,
  HistogramSummary,
  TaskPoolEmitterEvents,
  SharedLedger,
} from './pool.js';
export { ObjectRef, ObjectRefGenerator } from './object-ref.js';
export { wait } from './wait.js';
export type { WaitOptions, WaitResult } from './wait.js';
export { RETRY_METADATA_KEY } from './retry.js';
export type { RetryBackoff } from './retry.js';
export type { TaskEvent, TaskInfo, TaskFilter, TaskSummary, TaskPoolEvents } from './events.js';
export type { TaskContext } from './wire.js';
export {
  TaskError,
  WorkerCrashedError,
  TaskCancelledError,
  InfeasibleTaskError,
  TaskOptionsError,
} from '@taskfit/core';
