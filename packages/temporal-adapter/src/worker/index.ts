// Public API of @taskfit/temporal-adapter/worker (Node side: Temporal Workers, activity wrapper).
export { createTaskWorkers } from './workers.js';
export type { TaskWorkers, TaskWorkersOptions, ServedClass, ResourcesSnapshot } from './workers.js';
export { getTaskContext } from './context.js';
export type { TaskContext } from './context.js';
export type { TaskEvent } from './wrap.js';
export type { WorkerTaskFilter, WorkerTaskInfo, WorkerTaskSummary } from './history.js';
export { toTaskFailure } from '../shared/failures.js';
export { TaskTimeoutError } from '../shared/errors.js';
export type { TaskTimeoutType } from '../shared/errors.js';
