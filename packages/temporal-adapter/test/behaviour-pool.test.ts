// The shared behaviour suite (testing/) against the Temporal executor with activity bodies in a
// TaskPool (Piscina threads): maxCalls and thread crashes apply here, so nothing is skipped.
import { TaskPool } from '@taskfit/piscina-adapter';
import { defineBehaviourSuite } from '../../../testing/behaviour-suite.js';
import { temporalHarness } from './helpers/behaviour-harness.js';

defineBehaviourSuite('Temporal activities in a TaskPool', (spec) =>
  temporalHarness(
    spec,
    (s) =>
      new TaskPool({
        filename: new URL('../../../testing/tasks.mjs', import.meta.url),
        resources: s.resources,
        maxThreads: 4,
      }),
  ),
);
