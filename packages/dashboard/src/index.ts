// Public API of @taskfit/dashboard. One explicit barrel: everything not listed here is internal.
export { serveDashboard } from './server.js';
export type { Dashboard, DashboardOptions, DashboardActions, DashboardTaskRef } from './server.js';
export { registerMetrics, METRIC_NAMES, TIME_BUCKETS } from './metrics.js';
export type { MetricsOptions, TaskfitMetrics } from './metrics.js';
export type { DashboardLimits } from './limits.js';
export type {
  DashboardPool,
  DashboardWorkers,
  DashboardTaskEvent,
  DashboardTaskInfo,
  DashboardTaskSummary,
  DashboardServedClass,
} from './sources.js';
