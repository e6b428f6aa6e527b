/**
 * Worker-side helpers for task modules run by `TaskPool` (e.g. `getTaskContext()`).
 *
 * @module @taskfit/piscina-adapter/worker
 */
export * from '../../packages/piscina-adapter/src/worker/index.js';
