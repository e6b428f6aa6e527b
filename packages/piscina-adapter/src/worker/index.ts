// Public API for code running inside TaskPool worker threads: `@taskfit/piscina-adapter/worker`.
export { getTaskContext } from './context.js';
export type { TaskContext } from '../wire.js';
export { pool } from './pool.js';
export type { WorkerPool } from './pool.js';
export type { PoolRemoteFunction } from '../pool.js';
export type { WaitOptions, WaitResult } from '../wait.js';
export { ObjectRef, ObjectRefGenerator } from '../object-ref.js';
