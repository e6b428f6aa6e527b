// Public API of @taskfit/temporal-adapter (shared by workflow and worker code). Sandbox-safe.
export { taskQueueName, resourceClassKey } from './shared/naming.js';
export {
  resolveActivitySettings,
  TEMPORAL_METADATA_NAMESPACE,
  ACTIVITY_SETTING_DEFAULTS,
} from './shared/activity-settings.js';
export type { TemporalActivitySettings, ResolvedActivitySettings, DurationInput } from './shared/activity-settings.js';
export { encodeTaskEnvelope, decodeTaskEnvelope, ENVELOPE_KEY } from './shared/envelope.js';
export type { TaskEnvelope, TaskWireOptions } from './shared/envelope.js';
export { toActivityPlan } from './shared/plan.js';
export type { ActivityPlan } from './shared/plan.js';
export { toTaskFailure, NUM_RETURNS_MISMATCH } from './shared/failures.js';
export { TaskTimeoutError } from './shared/errors.js';
export type { TaskTimeoutType } from './shared/errors.js';
export type { TaskFailureDetails } from './shared/failures.js';
export { maximumAttemptsFor } from './shared/plan.js';
