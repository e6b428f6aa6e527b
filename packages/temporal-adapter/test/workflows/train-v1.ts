// Version 1 of a deployed workflow (test/workflow-code.test.ts, replay): half a GPU per call.
import { remoteActivity } from '@taskfit/temporal-adapter/workflow';
import type * as activities from '../activities.js';

export async function train(): Promise<unknown> {
  return await remoteActivity<typeof activities, 'where'>('where', { numGpus: 0.5 }).remote();
}
