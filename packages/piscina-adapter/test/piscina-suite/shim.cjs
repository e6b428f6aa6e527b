// The module Piscina's own tests load as `piscina` (`require('..')`, `import Piscina from '..'`,
// `require('../../dist')` in fixtures) when the harness runs them against TaskPool: TaskPool under
// Piscina's names. TaskPool carries every Piscina static itself (`TaskPool.Piscina`, `version`,
// `move`, `isWorkerThread`, `workerData`, `FixedQueue`, `ArrayTaskQueue`, the symbols), so the shim
// is the class and nothing else.
'use strict';
/* global module, require */
// eslint-disable-next-line @typescript-eslint/no-require-imports
module.exports = require('@taskfit/piscina-adapter').TaskPool;
