// Version 2, changed with patched(): executions started before the change keep half a GPU.
import { patched } from '@temporalio/workflow';
import { remoteActivity } from '@taskfit/temporal-adapter/workflow';
import type * as activities from '../activities.js';

export async function train(): Promise<unknown> {
  const numGpus = patched('train-on-a-whole-gpu') ? 1 : 0.5;
  return await remoteActivity<typeof activities, 'where'>('where', { numGpus }).remote();
}
