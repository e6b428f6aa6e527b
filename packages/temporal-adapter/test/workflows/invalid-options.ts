// Workflows declaring invalid task options (test/workflow-code.test.ts). Each is its own bundle
// entry point, so that a throw at module level affects only its own test.
import { setWorkflowOptions } from '@temporalio/workflow';
import { TaskOptionsError } from '@taskfit/core';
import { remoteActivity } from '@taskfit/temporal-adapter/workflow';
import type * as activities from '../activities.js';

/** Declares a task with an invalid option inside the workflow function. */
export async function invalidInside(): Promise<unknown> {
  return await remoteActivity<typeof activities, 'where'>('where', { numGpus: 1.5 }).remote();
}

/** The same, with the workflow's own failureExceptionTypes: the TaskOptionsError fails the workflow. */
export async function invalidInsideFailing(): Promise<unknown> {
  return await remoteActivity<typeof activities, 'where'>('where', { numGpus: 1.5 }).remote();
}
setWorkflowOptions({ failureExceptionTypes: [TaskOptionsError] }, invalidInsideFailing);
