// Tests of validate-resources.ts: quantities (numCpus, numGpus, memory) and the resources map.
import { describe, expect, it } from 'vitest';
import { validateTaskOptions } from './validate.js';
import { type Rejected, issuesOf, itAcceptsEach, itRejectsEach } from './__fixtures__/validate.js';

const rejected: Rejected[] = [
  // quantities
  ['numCpus NaN', { numCpus: NaN }, 'invalid_value', ['numCpus'], 'numCpus must be a finite number ≥ 0 (got NaN)'],
  ['numGpus NaN', { numGpus: NaN }, 'invalid_value', ['numGpus'], 'numGpus must be a finite number ≥ 0 (got NaN)'],
  ['numCpus Infinity', { numCpus: Infinity }, 'invalid_value', ['numCpus'], '(got Infinity)'],
  ['numCpus negative', { numCpus: -1 }, 'invalid_value', ['numCpus'], 'finite number ≥ 0 (got -1)'],
  ['numCpus string', { numCpus: '1' }, 'invalid_type', ['numCpus'], 'got "1"'],
  ['numCpus bigint', { numCpus: 1n }, 'invalid_type', ['numCpus'], 'bigint'],
  ['numCpus null', { numCpus: null }, 'invalid_type', ['numCpus'], 'got null'],
  [
    'numCpus rounds to 0 units',
    { numCpus: 0.00001 },
    'invalid_value',
    ['numCpus'],
    'numCpus must be 0 or at least 0.0001, the finest resource precision (got 0.00001)',
  ],
  ['numGpus rounds to 0 units', { numGpus: 4e-5 }, 'invalid_value', ['numGpus'], 'at least 0.0001'],
  [
    'numCpus beyond what accounting holds',
    { numCpus: 1e21 },
    'invalid_value',
    ['numCpus'],
    'numCpus must be at most 900719925474, the largest quantity the accounting holds exactly (got 1e+21)',
  ],
  [
    'memory beyond 2^53 - 1 bytes',
    { memory: 2 ** 53 + 2 },
    'invalid_value',
    ['memory'],
    'memory must be at most 9007199254740991 bytes',
  ],
  ['memory below one byte', { memory: 0.5 }, 'invalid_value', ['memory'], 'memory must be 0 or at least 1 byte'],
  ['numGpus rounds to 1.5', { numGpus: 1.49996 }, 'invalid_value', ['numGpus'], 'whole number when greater than 1'],
  ['numGpus fractional > 1', { numGpus: 1.5 }, 'invalid_value', ['numGpus'], 'whole number when greater than 1'],
  ['numGpus fractional > 1 (2.25)', { numGpus: 2.25 }, 'invalid_value', ['numGpus'], 'whole number'],
  ['memory negative', { memory: -5 }, 'invalid_value', ['memory'], 'memory must be a finite number ≥ 0'],
  ['memory -Infinity', { memory: -Infinity }, 'invalid_value', ['memory'], '-Infinity'],
  ['memory boolean', { memory: true }, 'invalid_type', ['memory'], 'got true'],
  // resources
  ['resources not an object', { resources: 3 }, 'invalid_type', ['resources'], 'resources must be an object'],
  ['resources array', { resources: [1] }, 'invalid_type', ['resources'], 'got an array'],
  ['resources CPU', { resources: { CPU: 1 } }, 'invalid_value', ['resources', 'CPU'], 'use numCpus instead'],
  ['resources GPU', { resources: { GPU: 1 } }, 'invalid_value', ['resources', 'GPU'], 'use numGpus instead'],
  ['resources memory', { resources: { memory: 1 } }, 'invalid_value', ['resources', 'memory'], 'use memory instead'],
  [
    'resources object_store_memory',
    { resources: { object_store_memory: 1 } },
    'invalid_value',
    ['resources', 'object_store_memory'],
    'actors',
  ],
  ['resources bundle', { resources: { bundle: 1 } }, 'invalid_value', ['resources', 'bundle'], 'reserved'],
  [
    'resources accelerator_type:*',
    { resources: { 'accelerator_type:A100': 1 } },
    'invalid_value',
    ['resources', 'accelerator_type:A100'],
    'use acceleratorType instead',
  ],
  ['resources empty name', { resources: { '': 1 } }, 'invalid_value', ['resources', ''], 'non-empty'],
  [
    'resources negative',
    { resources: { licence: -1 } },
    'invalid_value',
    ['resources', 'licence'],
    'resources.licence must be a finite number ≥ 0',
  ],
  ['resources NaN', { resources: { licence: NaN } }, 'invalid_value', ['resources', 'licence'], '(got NaN)'],
  ['resources string value', { resources: { licence: '1' } }, 'invalid_type', ['resources', 'licence'], 'got "1"'],
  ['resources rounds to 0', { resources: { licence: 0.00001 } }, 'invalid_value', ['resources', 'licence'], '0.0001'],
  [
    'resources beyond what accounting holds',
    { resources: { licence: 1e13 } },
    'invalid_value',
    ['resources', 'licence'],
    'resources.licence must be at most 900719925474',
  ],
  [
    'resources TPU fractional > 1',
    { resources: { TPU: 1.5 } },
    'invalid_value',
    ['resources', 'TPU'],
    'resources.TPU must be 1, 2, 4 or 8: the TPU chip configurations Ray supports (got 1.5)',
  ],
  [
    'resources TPU 3 (Ray: not a chip configuration)',
    { resources: { TPU: 3 } },
    'invalid_value',
    ['resources', 'TPU'],
    '1, 2, 4 or 8',
  ],
  ['resources TPU 0.5', { resources: { TPU: 0.5 } }, 'invalid_value', ['resources', 'TPU'], '1, 2, 4 or 8'],
  ['resources TPU 16', { resources: { TPU: 16 } }, 'invalid_value', ['resources', 'TPU'], '1, 2, 4 or 8'],
  [
    'resources neuron_cores fractional > 1',
    { resources: { neuron_cores: 2.5 } },
    'invalid_value',
    ['resources', 'neuron_cores'],
    'resources.neuron_cores must be a whole number: neuron_cores cannot be shared between tasks (got 2.5)',
  ],
  [
    'resources neuron_cores fractional < 1 (Ray: whole numbers only)',
    { resources: { neuron_cores: 0.5 } },
    'invalid_value',
    ['resources', 'neuron_cores'],
    'must be a whole number: neuron_cores cannot be shared',
  ],
  [
    'resources HPU fractional < 1 (Ray: whole numbers only)',
    { resources: { HPU: 0.25 } },
    'invalid_value',
    ['resources', 'HPU'],
    'resources.HPU must be a whole number: HPU cannot be shared between tasks (got 0.25)',
  ],
  ['resources HPU 1.5', { resources: { HPU: 1.5 } }, 'invalid_value', ['resources', 'HPU'], 'whole number'],
  [
    'resources NPU fractional > 1 (the generic unit-instance rule)',
    { resources: { NPU: 1.5 } },
    'invalid_value',
    ['resources', 'NPU'],
    'whole number when greater than 1',
  ],
  [
    'resources __proto__ (JSON)',
    JSON.parse('{"resources":{"__proto__":1}}'),
    'invalid_value',
    ['resources', '__proto__'],
    'pollute',
  ],
  [
    'resources constructor',
    { resources: { constructor: 1 } },
    'invalid_value',
    ['resources', 'constructor'],
    'pollute',
  ],
  ['resources prototype', { resources: { prototype: 1 } }, 'invalid_value', ['resources', 'prototype'], 'pollute'],
];

describe('quantities and resources: every rule, with code and path', () => {
  itRejectsEach(rejected);
});

describe('quantities and resources', () => {
  itAcceptsEach([
    ['fractional cpu', { numCpus: 0.5 }],
    ['zero cpu', { numCpus: 0 }],
    ['cpu 1.5 (not unit-instance)', { numCpus: 1.5 }],
    ['0.57 GPU (float noise)', { numGpus: 0.57 }],
    ['0.0001 exactly', { numCpus: 0.0001 }],
    ['1.0001 cpus', { numCpus: 1.0001 }],
    ['whole GPU count', { numGpus: 2 }],
    ['fractional GPU below 1', { numGpus: 0.25 }],
    ['huge memory', { memory: 2 * 2 ** 40 }],
    ['custom resources', { resources: { licence: 1, 'node:127.0.0.1': 0.01, Custom2: 2.5, TPU: 4 } }],
  ]);

  it('rounds computed quantities to the resource precision, as Ray accepts them (DESIGN.md)', () => {
    expect(validateTaskOptions({ numCpus: 1 / 3 })).toEqual({ numCpus: 0.3333 });
    expect(validateTaskOptions({ numCpus: 2 / 3, numGpus: 1 / 3 })).toEqual({ numCpus: 0.6667, numGpus: 0.3333 });
    expect(validateTaskOptions({ numCpus: 0.1 + 0.2 })).toEqual({ numCpus: 0.3 });
    expect(validateTaskOptions({ numGpus: 0.12345 })).toEqual({ numGpus: 0.1235 });
    expect(validateTaskOptions({ numCpus: 0.00005 })).toEqual({ numCpus: 0.0001 }); // the smallest that does not round to 0
    expect(validateTaskOptions({ resources: { licence: 1 / 3 } })).toEqual({ resources: { licence: 0.3333 } });
    // A whole number of GPUs after rounding is whole: 1.00001 is 1 GPU.
    expect(validateTaskOptions({ numGpus: 1.00001 })).toEqual({ numGpus: 1 });
    // memory: whole bytes, rounded down as Ray's int(memory) does (float noise aside).
    expect(validateTaskOptions({ memory: 2.5e9 / 3 })).toEqual({ memory: 833333333 });
    expect(validateTaskOptions({ memory: 2.9 })).toEqual({ memory: 2 });
    expect(validateTaskOptions({ memory: 0.57e10 })).toEqual({ memory: 5700000000 });
    expect(validateTaskOptions({ memory: 2 ** 53 - 1 })).toEqual({ memory: 2 ** 53 - 1 });
    expect(validateTaskOptions({ numCpus: 900719925474 })).toEqual({ numCpus: 900719925474 });
  });

  it('a GPU value is rounded first, then checked: 1.00005 is 1.0001 GPUs, not whole', () => {
    const issues = issuesOf({ numGpus: 1.00005 });
    expect(issues.map((i) => i.message)).toEqual([
      'numGpus must be a whole number when greater than 1: only requests below 1 can share one instance (got 1.00005)',
    ]);
  });
});
