// Public API of @taskfit/temporal-adapter/workflow. Runs inside Temporal's workflow sandbox:
// imports only @temporalio/workflow, @temporalio/common and @taskfit/core's main entry.
export { remoteActivity, remoteActivities } from './remote-activity.js';
export type { AnyFunction, RemoteActivity, RemoteActivities, RemoteResult } from './remote-activity.js';
export { taskQueueName, resourceClassKey } from '../shared/naming.js';
export { TEMPORAL_METADATA_NAMESPACE } from '../shared/activity-settings.js';
export type { TemporalActivitySettings } from '../shared/activity-settings.js';
export { toTaskFailure } from '../shared/failures.js';
export { TaskTimeoutError } from '../shared/errors.js';
export type { TaskTimeoutType } from '../shared/errors.js';
