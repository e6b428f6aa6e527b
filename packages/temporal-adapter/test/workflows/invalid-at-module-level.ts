// A workflow module whose task is declared at module level with an invalid option
// (test/workflow-code.test.ts): the throw happens when the module is loaded for a workflow.
import { remoteActivity } from '@taskfit/temporal-adapter/workflow';
import type * as activities from '../activities.js';

const broken = remoteActivity<typeof activities, 'where'>('where', { numGpus: 1.5 });

export async function invalidAtModuleLevel(): Promise<unknown> {
  return await broken.remote();
}
