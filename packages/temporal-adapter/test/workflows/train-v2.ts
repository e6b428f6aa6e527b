// Version 2, changed without patched(): a whole GPU per call (another task queue).
import { remoteActivity } from '@taskfit/temporal-adapter/workflow';
import type * as activities from '../activities.js';

export async function train(): Promise<unknown> {
  return await remoteActivity<typeof activities, 'where'>('where', { numGpus: 1 }).remote();
}
