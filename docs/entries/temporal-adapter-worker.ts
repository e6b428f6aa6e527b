/**
 * Worker-side entry of the Temporal adapter (`createTaskWorkers(...)`).
 *
 * @module @taskfit/temporal-adapter/worker
 */
export * from '../../packages/temporal-adapter/src/worker/index.js';
