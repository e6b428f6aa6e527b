/**
 * A live dashboard (`serveDashboard`), Prometheus metrics (`registerMetrics`) and Chrome-trace timelines for `TaskPool`s and Temporal workers in the same process.
 *
 * @module @taskfit/dashboard
 */
export * from '../../packages/dashboard/src/index.js';
