/**
 * `TaskTimeoutError` is one of core's executor errors (`@taskfit/core`); the adapter re-exports it
 * (and its `TaskTimeoutType`) from each of its entry points, as it did when the class lived here.
 * The adapter raises it for Temporal's `START_TO_CLOSE`, `SCHEDULE_TO_CLOSE` and
 * `SCHEDULE_TO_START` activity timeouts (`toTaskFailure`); a `HEARTBEAT` timeout is a lost worker
 * (`WorkerCrashedError`). `attempts` is exact after `START_TO_CLOSE` (the retries ran out) and for a
 * `SCHEDULE_TO_START` of the first attempt (0), a lower bound otherwise.
 */
export { TaskTimeoutError } from '@taskfit/core';
export type { TaskTimeoutType } from '@taskfit/core';
