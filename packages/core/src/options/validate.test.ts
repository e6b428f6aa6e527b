import { describe, expect, it } from 'vitest';
import { TaskOptionsError } from '../errors.js';
import type { TaskOptionsIssueCode } from '../errors.js';
import { Cluster } from '../resources/cluster.js';
import { NodeResources } from '../resources/node-resources.js';
import { validateTaskOptions } from './validate.js';

type Path = (string | number)[];

function issuesOf(input: unknown, inOptions = false) {
  try {
    validateTaskOptions(input, { inOptions });
  } catch (e) {
    expect(e).toBeInstanceOf(TaskOptionsError);
    return (e as TaskOptionsError).issues;
  }
  throw new Error(`expected ${String(input)} to be rejected`);
}

/** [description, input, code, path, message fragment] — each must yield exactly this one issue. */
const rejected: [string, unknown, TaskOptionsIssueCode, Path, string | RegExp][] = [
  // the options object itself
  ['non-object input (number)', 42, 'invalid_type', [], 'task options must be a plain object'],
  ['non-object input (null)', null, 'invalid_type', [], 'got null'],
  ['non-object input (array)', [], 'invalid_type', [], 'got an array'],
  ['non-object input (string)', 'numCpus', 'invalid_type', [], 'plain object'],
  ['non-object input (class instance)', new Date(0), 'invalid_type', [], 'got a Date'],
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
  // strings
  ['acceleratorType empty', { acceleratorType: '' }, 'invalid_value', ['acceleratorType'], 'non-empty string'],
  ['acceleratorType number', { acceleratorType: 100 }, 'invalid_type', ['acceleratorType'], 'got 100'],
  ['name number', { name: 1 }, 'invalid_type', ['name'], 'name must be a non-empty string'],
  ['name empty', { name: '' }, 'invalid_value', ['name'], 'non-empty'],
  // objectStoreMemory
  [
    'objectStoreMemory',
    { objectStoreMemory: 1 },
    'invalid_value',
    ['objectStoreMemory'],
    'Ray reserves object store memory for actors',
  ],
  ['objectStoreMemory 0', { objectStoreMemory: 0 }, 'invalid_value', ['objectStoreMemory'], 'not supported for tasks'],
  // integers
  ['maxCalls negative', { maxCalls: -1 }, 'invalid_value', ['maxCalls'], 'maxCalls must be an integer ≥ 0'],
  ['maxCalls fractional', { maxCalls: 1.5 }, 'invalid_value', ['maxCalls'], 'integer'],
  ['maxCalls string', { maxCalls: '1' }, 'invalid_type', ['maxCalls'], 'integer'],
  ['maxRetries -2', { maxRetries: -2 }, 'invalid_value', ['maxRetries'], 'maxRetries must be an integer ≥ -1'],
  ['maxRetries 0.5', { maxRetries: 0.5 }, 'invalid_value', ['maxRetries'], 'got 0.5'],
  ['maxRetries Infinity', { maxRetries: Infinity }, 'invalid_value', ['maxRetries'], 'Infinity'],
  ['maxRetries unsafe integer', { maxRetries: 2 ** 60 }, 'invalid_value', ['maxRetries'], 'integer'],
  ['maxRetries boolean', { maxRetries: false }, 'invalid_type', ['maxRetries'], 'got false'],
  ['numReturns negative', { numReturns: -1 }, 'invalid_value', ['numReturns'], "non-negative integer or 'streaming'"],
  ['numReturns fractional', { numReturns: 1.5 }, 'invalid_value', ['numReturns'], 'got 1.5'],
  ['numReturns dynamic', { numReturns: 'dynamic' }, 'invalid_value', ['numReturns'], "use 'streaming'"],
  ['numReturns other string', { numReturns: 'foo' }, 'invalid_value', ['numReturns'], 'got "foo"'],
  ['numReturns boolean', { numReturns: true }, 'invalid_type', ['numReturns'], 'got true'],
  // retryExceptions
  [
    'retryExceptions string',
    { retryExceptions: 'Error' },
    'invalid_type',
    ['retryExceptions'],
    'true, false, or an array',
  ],
  [
    'retryExceptions number item',
    { retryExceptions: [1] },
    'invalid_type',
    ['retryExceptions', 0],
    'error class or an error name',
  ],
  ['retryExceptions empty name', { retryExceptions: [''] }, 'invalid_value', ['retryExceptions', 0], 'non-empty'],
  [
    'retryExceptions non-error class',
    { retryExceptions: [class Foo {}] },
    'invalid_value',
    ['retryExceptions', 0],
    'reach Error',
  ],
  [
    'retryExceptions arrow fn',
    { retryExceptions: [TypeError, () => 1] },
    'invalid_value',
    ['retryExceptions', 1],
    'reach Error',
  ],
  [
    'retryExceptions error instance',
    { retryExceptions: [new Error('x')] },
    'invalid_type',
    ['retryExceptions', 0],
    'got a Error',
  ],
  // booleans
  [
    'enableTaskEvents null',
    { enableTaskEvents: null },
    'invalid_type',
    ['enableTaskEvents'],
    'enableTaskEvents must be a boolean',
  ],
  ['enableTaskEvents 1', { enableTaskEvents: 1 }, 'invalid_type', ['enableTaskEvents'], 'boolean'],
  // runtimeEnv
  ['runtimeEnv string', { runtimeEnv: 'x' }, 'invalid_type', ['runtimeEnv'], 'runtimeEnv must be an object'],
  [
    'runtimeEnv envVars array',
    { runtimeEnv: { envVars: [] } },
    'invalid_type',
    ['runtimeEnv', 'envVars'],
    'got an array',
  ],
  [
    'runtimeEnv envVars number value',
    { runtimeEnv: { envVars: { A: 1 } } },
    'invalid_type',
    ['runtimeEnv', 'envVars', 'A'],
    'runtimeEnv.envVars.A must be a string (got 1)',
  ],
  [
    'runtimeEnv envVars name with =',
    { runtimeEnv: { envVars: { 'A=B': 'x' } } },
    'invalid_value',
    ['runtimeEnv', 'envVars', 'A=B'],
    "'='",
  ],
  [
    'runtimeEnv envVars empty name',
    { runtimeEnv: { envVars: { '': 'x' } } },
    'invalid_value',
    ['runtimeEnv', 'envVars', ''],
    'non-empty',
  ],
  [
    'runtimeEnv envVars __proto__ (JSON)',
    JSON.parse('{"runtimeEnv":{"envVars":{"__proto__":"x"}}}'),
    'invalid_value',
    ['runtimeEnv', 'envVars', '__proto__'],
    'pollute',
  ],
  [
    'runtimeEnv workingDir number',
    { runtimeEnv: { workingDir: 1 } },
    'invalid_type',
    ['runtimeEnv', 'workingDir'],
    'non-empty string',
  ],
  [
    'runtimeEnv workingDir empty',
    { runtimeEnv: { workingDir: '' } },
    'invalid_value',
    ['runtimeEnv', 'workingDir'],
    'non-empty',
  ],
  [
    'runtimeEnv env_vars spelling',
    { runtimeEnv: { env_vars: {} } },
    'unknown_option',
    ['runtimeEnv', 'env_vars'],
    'did you mean runtimeEnv.envVars?',
  ],
  [
    'runtimeEnv working_dir spelling',
    { runtimeEnv: { working_dir: '/x' } },
    'unknown_option',
    ['runtimeEnv', 'working_dir'],
    'runtimeEnv.workingDir',
  ],
  ['runtimeEnv extra function', { runtimeEnv: { pip: () => 1 } }, 'invalid_type', ['runtimeEnv', 'pip'], 'JSON-like'],
  [
    'runtimeEnv extra NaN',
    { runtimeEnv: { config: { n: NaN } } },
    'invalid_value',
    ['runtimeEnv', 'config', 'n'],
    'finite',
  ],
  [
    'runtimeEnv extra Map',
    { runtimeEnv: { config: new Map() } },
    'invalid_type',
    ['runtimeEnv', 'config'],
    'got a Map',
  ],
  [
    'runtimeEnv extra array hole',
    { runtimeEnv: { pip: [undefined] } },
    'invalid_type',
    ['runtimeEnv', 'pip', 0],
    'got undefined',
  ],
  [
    'runtimeEnv nested __proto__',
    JSON.parse('{"runtimeEnv":{"config":{"a":{"__proto__":{"x":1}}}}}'),
    'invalid_value',
    ['runtimeEnv', 'config', 'a', '__proto__'],
    'pollute',
  ],
  [
    'runtimeEnv top-level constructor',
    { runtimeEnv: { constructor: {} } },
    'invalid_value',
    ['runtimeEnv', 'constructor'],
    'pollute',
  ],
  // labelSelector
  [
    'labelSelector not object',
    { labelSelector: 'a=b' },
    'invalid_type',
    ['labelSelector'],
    'labelSelector must be an object',
  ],
  [
    'labelSelector value number',
    { labelSelector: { region: 1 } },
    'invalid_type',
    ['labelSelector', 'region'],
    'must be a string',
  ],
  [
    'labelSelector bad key name',
    { labelSelector: { '-bad': 'x' } },
    'invalid_value',
    ['labelSelector', '-bad'],
    'invalid label key',
  ],
  [
    'labelSelector key name too long',
    { labelSelector: { ['a'.repeat(64)]: 'x' } },
    'invalid_value',
    ['labelSelector', 'a'.repeat(64)],
    '63 characters',
  ],
  [
    'labelSelector bad prefix',
    { labelSelector: { 'Bad_Prefix/name': 'x' } },
    'invalid_value',
    ['labelSelector', 'Bad_Prefix/name'],
    'DNS labels',
  ],
  [
    'labelSelector empty prefix',
    { labelSelector: { '/name': 'x' } },
    'invalid_value',
    ['labelSelector', '/name'],
    'prefix',
  ],
  [
    'labelSelector prefix too long',
    { labelSelector: { [`${'a.'.repeat(127)}a/n`]: 'x' } },
    'invalid_value',
    ['labelSelector', `${'a.'.repeat(127)}a/n`],
    '253',
  ],
  [
    'labelSelector two slashes',
    { labelSelector: { 'a/b/c': 'x' } },
    'invalid_value',
    ['labelSelector', 'a/b/c'],
    'invalid label key',
  ],
  [
    'labelSelector bad value',
    { labelSelector: { region: 'us west' } },
    'invalid_value',
    ['labelSelector', 'region'],
    'invalid label selector value',
  ],
  [
    'labelSelector empty in()',
    { labelSelector: { region: 'in()' } },
    'invalid_value',
    ['labelSelector', 'region'],
    'selector value',
  ],
  [
    'labelSelector bare set',
    { labelSelector: { region: '(a,b)' } },
    'invalid_value',
    ['labelSelector', 'region'],
    'selector value',
  ],
  [
    'labelSelector double negation',
    { labelSelector: { region: '!!a' } },
    'invalid_value',
    ['labelSelector', 'region'],
    'selector value',
  ],
  [
    'labelSelector value too long',
    { labelSelector: { region: 'a'.repeat(64) } },
    'invalid_value',
    ['labelSelector', 'region'],
    'selector value',
  ],
  [
    'labelSelector __proto__',
    JSON.parse('{"labelSelector":{"__proto__":"x"}}'),
    'invalid_value',
    ['labelSelector', '__proto__'],
    'pollute',
  ],
  // _metadata
  ['_metadata not object', { _metadata: 1 }, 'invalid_type', ['_metadata'], '_metadata must be an object'],
  ['_metadata namespace not object', { _metadata: { ns: 1 } }, 'invalid_type', ['_metadata', 'ns'], 'settings object'],
  ['_metadata namespace array', { _metadata: { ns: [] } }, 'invalid_type', ['_metadata', 'ns'], 'got an array'],
  ['_metadata empty namespace', { _metadata: { '': {} } }, 'invalid_value', ['_metadata', ''], 'non-empty'],
  [
    '_metadata __proto__ namespace',
    JSON.parse('{"_metadata":{"__proto__":{}}}'),
    'invalid_value',
    ['_metadata', '__proto__'],
    'pollute',
  ],
  [
    '_metadata nested __proto__',
    JSON.parse('{"_metadata":{"ns":{"a":{"__proto__":1}}}}'),
    'invalid_value',
    ['_metadata', 'ns', 'a', '__proto__'],
    'pollute',
  ],
  [
    '_metadata nested prototype',
    { _metadata: { ns: { prototype: 1 } } },
    'invalid_value',
    ['_metadata', 'ns', 'prototype'],
    'pollute',
  ],
  [
    '_metadata symbol value',
    { _metadata: { ns: { s: Symbol('x') } } },
    'invalid_type',
    ['_metadata', 'ns', 's'],
    'JSON-like',
  ],
  // schedulingStrategy
  [
    'strategy lowercase',
    { schedulingStrategy: 'spread' },
    'invalid_value',
    ['schedulingStrategy'],
    "did you mean 'SPREAD'?",
  ],
  [
    'strategy unknown string',
    { schedulingStrategy: 'XXX' },
    'invalid_value',
    ['schedulingStrategy'],
    "'DEFAULT', 'SPREAD', or an object",
  ],
  ['strategy number', { schedulingStrategy: 1 }, 'invalid_type', ['schedulingStrategy'], 'got 1'],
  [
    'strategy missing type',
    { schedulingStrategy: { nodeId: 'n' } },
    'invalid_type',
    ['schedulingStrategy', 'type'],
    'required',
  ],
  [
    'strategy unknown type',
    { schedulingStrategy: { type: 'pg' } },
    'invalid_value',
    ['schedulingStrategy', 'type'],
    "'nodeAffinity', 'placementGroup' or 'nodeLabel'",
  ],
  [
    'affinity missing nodeId',
    { schedulingStrategy: { type: 'nodeAffinity' } },
    'invalid_type',
    ['schedulingStrategy', 'nodeId'],
    'required',
  ],
  [
    'affinity empty nodeId',
    { schedulingStrategy: { type: 'nodeAffinity', nodeId: '' } },
    'invalid_value',
    ['schedulingStrategy', 'nodeId'],
    'non-empty',
  ],
  [
    'affinity soft not boolean',
    { schedulingStrategy: { type: 'nodeAffinity', nodeId: 'n', soft: 1 } },
    'invalid_type',
    ['schedulingStrategy', 'soft'],
    'boolean',
  ],
  [
    'affinity spill without soft',
    { schedulingStrategy: { type: 'nodeAffinity', nodeId: 'n', spillOnUnavailable: true } },
    'conflict',
    ['schedulingStrategy', 'spillOnUnavailable'],
    'requires schedulingStrategy.soft: true',
  ],
  [
    'affinity spill with soft false',
    { schedulingStrategy: { type: 'nodeAffinity', nodeId: 'n', soft: false, spillOnUnavailable: true } },
    'conflict',
    ['schedulingStrategy', 'spillOnUnavailable'],
    'soft',
  ],
  [
    'affinity fail with soft',
    { schedulingStrategy: { type: 'nodeAffinity', nodeId: 'n', soft: true, failOnUnavailable: true } },
    'conflict',
    ['schedulingStrategy', 'failOnUnavailable'],
    'cannot be combined with schedulingStrategy.soft',
  ],
  [
    'affinity unknown field',
    { schedulingStrategy: { type: 'nodeAffinity', nodeId: 'n', sfot: true } },
    'unknown_option',
    ['schedulingStrategy', 'sfot'],
    'did you mean soft?',
  ],
  [
    'pg missing group',
    { schedulingStrategy: { type: 'placementGroup' } },
    'invalid_type',
    ['schedulingStrategy', 'placementGroup'],
    'required',
  ],
  [
    'pg group string',
    { schedulingStrategy: { type: 'placementGroup', placementGroup: 'pg1' } },
    'invalid_type',
    ['schedulingStrategy', 'placementGroup'],
    'object with an id',
  ],
  [
    'pg id missing',
    { schedulingStrategy: { type: 'placementGroup', placementGroup: {} } },
    'invalid_type',
    ['schedulingStrategy', 'placementGroup', 'id'],
    'non-empty string',
  ],
  [
    'pg id empty',
    { schedulingStrategy: { type: 'placementGroup', placementGroup: { id: '' } } },
    'invalid_value',
    ['schedulingStrategy', 'placementGroup', 'id'],
    'non-empty',
  ],
  [
    'pg bundleIndex -2',
    { schedulingStrategy: { type: 'placementGroup', placementGroup: { id: 'p' }, bundleIndex: -2 } },
    'invalid_value',
    ['schedulingStrategy', 'bundleIndex'],
    'integer ≥ -1',
  ],
  [
    'pg bundleIndex fractional',
    { schedulingStrategy: { type: 'placementGroup', placementGroup: { id: 'p' }, bundleIndex: 0.5 } },
    'invalid_value',
    ['schedulingStrategy', 'bundleIndex'],
    'integer',
  ],
  [
    'pg captureChildTasks not boolean',
    { schedulingStrategy: { type: 'placementGroup', placementGroup: { id: 'p' }, captureChildTasks: 'yes' } },
    'invalid_type',
    ['schedulingStrategy', 'captureChildTasks'],
    'boolean',
  ],
  [
    'label missing hard',
    { schedulingStrategy: { type: 'nodeLabel' } },
    'invalid_type',
    ['schedulingStrategy', 'hard'],
    'required',
  ],
  [
    'label both empty',
    { schedulingStrategy: { type: 'nodeLabel', hard: {}, soft: {} } },
    'invalid_value',
    ['schedulingStrategy', 'hard'],
    'cannot both be empty',
  ],
  [
    'label bad operator',
    { schedulingStrategy: { type: 'nodeLabel', hard: { region: { operator: 'In', values: ['a'] } } } },
    'invalid_value',
    ['schedulingStrategy', 'hard', 'region', 'operator'],
    "'in', 'notIn', 'exists' or 'doesNotExist'",
  ],
  [
    'label expression not object',
    { schedulingStrategy: { type: 'nodeLabel', hard: { region: 'a' } } },
    'invalid_type',
    ['schedulingStrategy', 'hard', 'region'],
    'match expression',
  ],
  [
    'label in without values',
    { schedulingStrategy: { type: 'nodeLabel', hard: { region: { operator: 'in', values: [] } } } },
    'invalid_value',
    ['schedulingStrategy', 'hard', 'region', 'values'],
    'non-empty array',
  ],
  [
    'label in values missing',
    { schedulingStrategy: { type: 'nodeLabel', hard: { region: { operator: 'notIn' } } } },
    'invalid_type',
    ['schedulingStrategy', 'hard', 'region', 'values'],
    'non-empty array',
  ],
  [
    'label value not string',
    { schedulingStrategy: { type: 'nodeLabel', hard: { region: { operator: 'in', values: [1] } } } },
    'invalid_type',
    ['schedulingStrategy', 'hard', 'region', 'values', 0],
    'label value string',
  ],
  [
    'label value grammar',
    { schedulingStrategy: { type: 'nodeLabel', hard: { region: { operator: 'in', values: ['a b'] } } } },
    'invalid_value',
    ['schedulingStrategy', 'hard', 'region', 'values', 0],
    'invalid label value',
  ],
  [
    'label exists with values',
    { schedulingStrategy: { type: 'nodeLabel', hard: { region: { operator: 'exists', values: ['a'] } } } },
    'unknown_option',
    ['schedulingStrategy', 'hard', 'region', 'values'],
    'not a field',
  ],
  [
    'label bad key',
    { schedulingStrategy: { type: 'nodeLabel', hard: { 'bad key': { operator: 'exists' } } } },
    'invalid_value',
    ['schedulingStrategy', 'hard', 'bad key'],
    'invalid label key',
  ],
  [
    'label soft bad type',
    { schedulingStrategy: { type: 'nodeLabel', hard: { a: { operator: 'exists' } }, soft: [] } },
    'invalid_type',
    ['schedulingStrategy', 'soft'],
    'got an array',
  ],
  // unknown keys
  [
    'snake_case num_gpus',
    { num_gpus: 1 },
    'unknown_option',
    ['num_gpus'],
    '"num_gpus" is not a task option; did you mean numGpus?',
  ],
  ['snake_case max_retries', { max_retries: 1 }, 'unknown_option', ['max_retries'], 'did you mean maxRetries?'],
  ['snake_case runtime_env', { runtime_env: {} }, 'unknown_option', ['runtime_env'], 'did you mean runtimeEnv?'],
  ['typo numGpu', { numGpu: 1 }, 'unknown_option', ['numGpu'], 'did you mean numGpus?'],
  ['typo maxRetry', { maxRetry: 1 }, 'unknown_option', ['maxRetry'], 'did you mean maxRetries?'],
  ['case numCPUs', { numCPUs: 1 }, 'unknown_option', ['numCPUs'], 'did you mean numCpus?'],
  ['actor option max_restarts', { max_restarts: 1 }, 'unknown_option', ['max_restarts'], 'actor option'],
  ['actor option maxConcurrency', { maxConcurrency: 1 }, 'unknown_option', ['maxConcurrency'], 'actor option'],
  ['actor option lifetime', { lifetime: 'detached' }, 'unknown_option', ['lifetime'], 'actor option'],
  ['ray placement_group', { placement_group: 'x' }, 'unknown_option', ['placement_group'], 'schedulingStrategy'],
  ['far off key', { zzzzzzzz: 1 }, 'unknown_option', ['zzzzzzzz'], 'valid options are'],
  [
    'top-level __proto__ (JSON)',
    JSON.parse('{"__proto__":{"numCpus":1}}'),
    'unknown_option',
    ['__proto__'],
    'not a task option',
  ],
  ['symbol key', { [Symbol('k')]: 1 }, 'unknown_option', ['Symbol(k)'], 'symbol keys'],
];

describe('validateTaskOptions: every rule, with code and path', () => {
  it.each(rejected)('%s', (_name, input, code, path, message) => {
    const issues = issuesOf(input);
    expect(issues).toHaveLength(1);
    const [issue] = issues;
    expect(issue?.code).toBe(code);
    expect(issue?.path).toEqual(path);
    if (typeof message === 'string') expect(issue?.message).toContain(message);
    else expect(issue?.message).toMatch(message);
  });
});

describe('maxCalls in .options()', () => {
  it.each([[{ maxCalls: 1 }], [{ maxCalls: 0 }], [{ maxCalls: undefined }], [{ maxCalls: -1 }], [{ maxCalls: 'x' }]])(
    'rejects %o as not_overridable',
    (input) => {
      const issues = issuesOf(input, true);
      expect(issues).toHaveLength(1);
      expect(issues[0]?.code).toBe('not_overridable');
      expect(issues[0]?.path).toEqual(['maxCalls']);
      expect(issues[0]?.message).toContain('maxCalls cannot be set in .options()');
    },
  );
  it('allows maxCalls at definition', () => {
    expect(validateTaskOptions({ maxCalls: 0 })).toEqual({ maxCalls: 0 });
    expect(validateTaskOptions({ maxCalls: 5 }, { inOptions: false })).toEqual({ maxCalls: 5 });
  });
});

describe('validateTaskOptions: accepted values', () => {
  const accepted: [string, Record<string, unknown>][] = [
    ['empty', {}],
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
    ['accelerator', { acceleratorType: 'H100' }],
    ['maxRetries -1', { maxRetries: -1 }],
    ['numReturns 0', { numReturns: 0 }],
    ['numReturns streaming', { numReturns: 'streaming' }],
    ['retryExceptions true', { retryExceptions: true }],
    ['retryExceptions []', { retryExceptions: [] }],
    ['retryExceptions mixed', { retryExceptions: [TypeError, class HttpError extends Error {}, 'TimeoutError'] }],
    [
      'runtimeEnv',
      {
        runtimeEnv: { envVars: { A: '1', PATH: '${PATH}:/x' }, workingDir: '/w', pip: ['numpy'], config: { x: null } },
      },
    ],
    ['strategy SPREAD', { schedulingStrategy: 'SPREAD' }],
    ['strategy DEFAULT', { schedulingStrategy: 'DEFAULT' }],
    [
      'affinity soft spill',
      { schedulingStrategy: { type: 'nodeAffinity', nodeId: 'n1', soft: true, spillOnUnavailable: true } },
    ],
    [
      'affinity hard fail',
      { schedulingStrategy: { type: 'nodeAffinity', nodeId: 'n1', soft: false, failOnUnavailable: true } },
    ],
    [
      'pg',
      {
        schedulingStrategy: {
          type: 'placementGroup',
          placementGroup: { id: 'pg1' },
          bundleIndex: -1,
          captureChildTasks: true,
        },
      },
    ],
    [
      'node label',
      {
        schedulingStrategy: {
          type: 'nodeLabel',
          hard: { region: { operator: 'in', values: ['us-west1', 'us-east1'] }, 'ray.io/gpu': { operator: 'exists' } },
          soft: { spot: { operator: 'doesNotExist' }, tier: { operator: 'notIn', values: ['low'] } },
        },
      },
    ],
    [
      'node label soft only',
      { schedulingStrategy: { type: 'nodeLabel', hard: {}, soft: { a: { operator: 'exists' } } } },
    ],
    [
      'label selector grammar',
      {
        labelSelector: {
          region: 'us-west1',
          tier: '!spot',
          zone: 'in(a,b)',
          'example.com/zone': '!in(a, b,c)',
          'ray.io/accelerator-type': 'H100',
          empty: '',
        },
      },
    ],
    ['label key 63 chars', { labelSelector: { ['a'.repeat(63)]: 'x' } }],
    ['enableTaskEvents', { enableTaskEvents: false }],
    ['name', { name: 'embed' }],
    [
      '_metadata',
      { _metadata: { 'taskfit.io/retry': { backoffMs: 100 }, 'temporal.io/activity': { startToCloseTimeout: '1m' } } },
    ],
  ];
  it.each(accepted)('%s', (_name, input) => {
    expect(validateTaskOptions(input)).toEqual(input);
  });

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

  it('returns scheduling strategies frozen, label maps and values included', () => {
    const { schedulingStrategy: s } = validateTaskOptions({
      schedulingStrategy: {
        type: 'nodeLabel',
        hard: { zone: { operator: 'in', values: ['a'] } },
        soft: { tier: { operator: 'exists' } },
      },
    });
    const label = s as unknown as { hard: { zone: { values: string[] } }; soft: object };
    for (const part of [label, label.hard, label.hard.zone, label.hard.zone.values, label.soft]) {
      expect(Object.isFrozen(part)).toBe(true);
    }
    // Validating it again gives it back as it is.
    expect(validateTaskOptions({ schedulingStrategy: s }).schedulingStrategy).toBe(s);
  });

  it('drops undefined values and normalises -0', () => {
    expect(validateTaskOptions({ numCpus: -0, numGpus: undefined, name: 'x' })).toEqual({ numCpus: 0, name: 'x' });
    expect(Object.is(validateTaskOptions({ numCpus: -0 }).numCpus, 0)).toBe(true);
    expect(validateTaskOptions({ _metadata: { ns: { a: undefined, b: 1 } } })).toEqual({ _metadata: { ns: { b: 1 } } });
  });

  it('returns a copy: later changes to the input do not leak in', () => {
    const input = { resources: { a: 1 }, runtimeEnv: { envVars: { A: '1' } }, retryExceptions: ['X'] };
    const out = validateTaskOptions(input);
    input.resources.a = 2;
    input.runtimeEnv.envVars.A = '2';
    input.retryExceptions.push('Y');
    expect(out).toEqual({ resources: { a: 1 }, runtimeEnv: { envVars: { A: '1' } }, retryExceptions: ['X'] });
  });

  it("keeps a Cluster's placement group by identity; copies any other handle as { id }, read once", () => {
    const cluster = new Cluster().addNode(new NodeResources({ CPU: 2 }));
    const real = cluster.createPlacementGroup({ bundles: [{ CPU: 1 }] });
    const kept = validateTaskOptions({ schedulingStrategy: { type: 'placementGroup', placementGroup: real } });
    expect((kept.schedulingStrategy as { placementGroup: unknown }).placementGroup).toBe(real);

    class PG {
      constructor(readonly id: string) {}
      readonly state = 'CREATED';
    }
    let reads = 0;
    const handles: object[] = [
      new PG('pg7'),
      { id: 'pg7', state: 'CREATED' },
      {
        get id() {
          return reads++ === 0 ? 'pg7' : 'other'; // a second read would disagree
        },
      },
      new Proxy(real, {}), // looks like a PlacementGroup, but is not one
    ];
    for (const pg of handles) {
      const out = validateTaskOptions({ schedulingStrategy: { type: 'placementGroup', placementGroup: pg } });
      if (pg === handles[2]) expect(reads).toBe(1);
      const ref = (out.schedulingStrategy as { placementGroup: object }).placementGroup;
      expect(ref).not.toBe(pg);
      expect(ref).toEqual({ id: pg === handles[3] ? real.id : 'pg7' });
      expect(Object.isFrozen(ref)).toBe(true);
    }
  });

  it('accepts objects without a prototype and rejects cycles', () => {
    const o = Object.create(null) as Record<string, unknown>;
    o.numCpus = 2;
    expect(validateTaskOptions(o)).toEqual({ numCpus: 2 });
    const cyc: Record<string, unknown> = {};
    cyc.self = cyc;
    const issues = issuesOf({ runtimeEnv: { config: cyc } });
    expect(issues[0]?.code).toBe('invalid_value');
    expect(issues[0]?.path).toEqual(['runtimeEnv', 'config', 'self']);
  });

  it('turns a throwing getter into an issue', () => {
    const hostile = {
      get numCpus(): number {
        throw new Error('boom');
      },
    };
    const issues = issuesOf(hostile);
    expect(issues[0]?.path).toEqual(['numCpus']);
    expect(issues[0]?.code).toBe('invalid_type');
    expect(issues[0]?.message).toContain('getter threw');
  });

  it('tolerates a null or missing context', () => {
    expect(validateTaskOptions({ maxCalls: 1 }, null as never)).toEqual({ maxCalls: 1 });
    expect(validateTaskOptions({ maxCalls: 1 }, undefined)).toEqual({ maxCalls: 1 });
  });
});

describe('all issues at once', () => {
  it('reports every problem with its own path, in key order', () => {
    const issues = issuesOf({
      numGpus: NaN,
      num_cpus: 1,
      resources: { GPU: 1, x: -1 },
      maxRetries: -5,
      schedulingStrategy: { type: 'nodeAffinity', nodeId: '', spillOnUnavailable: true },
    });
    expect(issues.map((i) => [i.code, i.path])).toEqual([
      ['invalid_value', ['numGpus']],
      ['unknown_option', ['num_cpus']],
      ['invalid_value', ['resources', 'GPU']],
      ['invalid_value', ['resources', 'x']],
      ['invalid_value', ['maxRetries']],
      ['invalid_value', ['schedulingStrategy', 'nodeId']],
      ['conflict', ['schedulingStrategy', 'spillOnUnavailable']],
    ]);
  });

  it('error carries the first issue as code/path and lists all in the message', () => {
    try {
      validateTaskOptions({ numCpus: -1, numGpus: 1.5 });
      expect.unreachable();
    } catch (e) {
      const err = e as TaskOptionsError;
      expect(err.code).toBe('invalid_value');
      expect(err.path).toEqual(['numCpus']);
      expect(err.message).toContain('2 problems');
      expect(err.message).toContain('numGpus must be a whole number');
    }
  });

  it('a GPU value is rounded first, then checked: 1.00005 is 1.0001 GPUs, not whole', () => {
    const issues = issuesOf({ numGpus: 1.00005 });
    expect(issues.map((i) => i.message)).toEqual([
      'numGpus must be a whole number when greater than 1: only requests below 1 can share one instance (got 1.00005)',
    ]);
  });
});

describe('edge cases', () => {
  it('rejects symbol keys inside a map', () => {
    const issues = issuesOf({ resources: { [Symbol('s')]: 1, ok: 1 } });
    expect(issues.map((i) => [i.code, i.path])).toEqual([['invalid_value', ['resources']]]);
  });

  it('rejects NUL in environment variable values', () => {
    const issues = issuesOf({ runtimeEnv: { envVars: { A: 'x\0y' } } });
    expect(issues.map((i) => [i.code, i.path])).toEqual([['invalid_value', ['runtimeEnv', 'envVars', 'A']]]);
  });

  it('rejects holes in retryExceptions', () => {
    // eslint-disable-next-line no-sparse-arrays
    const issues = issuesOf({ retryExceptions: ['A', , 'B'] });
    expect(issues.map((i) => [i.code, i.path])).toEqual([['invalid_type', ['retryExceptions', 1]]]);
  });

  it('rejects runtimeEnv data nested deeper than 32 levels', () => {
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 40; i++) deep = { d: deep };
    const issues = issuesOf({ runtimeEnv: { config: deep } });
    expect(issues).toHaveLength(1);
    expect(issues[0]?.code).toBe('invalid_value');
    expect(issues[0]?.path.slice(0, 3)).toEqual(['runtimeEnv', 'config', 'd']);
    expect(issues[0]?.message).toContain('nested more than 32 levels');
  });

  it('drops undefined fields inside runtimeEnv and _metadata', () => {
    expect(validateTaskOptions({ runtimeEnv: { envVars: { A: '1' }, pip: undefined } })).toEqual({
      runtimeEnv: { envVars: { A: '1' } },
    });
  });

  it('a throwing getter inside a map becomes an issue', () => {
    const resources = {
      get licence(): number {
        throw new Error('boom');
      },
    };
    const issues = issuesOf({ resources });
    expect(issues.map((i) => [i.code, i.path])).toEqual([['invalid_type', ['resources', 'licence']]]);
  });

  it('a proxy whose ownKeys trap throws is reported, not thrown through', () => {
    const proxy = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('trap');
        },
      },
    );
    const top = issuesOf(proxy);
    expect(top.map((i) => [i.code, i.path])).toEqual([['invalid_value', []]]);
    expect(top[0]?.message).toContain('cannot be read');
    const nested = issuesOf({ resources: proxy, _metadata: { ns: proxy } });
    expect(nested.map((i) => [i.code, i.path])).toEqual([
      ['invalid_value', ['resources']],
      ['invalid_value', ['_metadata', 'ns']],
    ]);
  });

  it('does not pollute Object.prototype through JSON-parsed input', () => {
    const input = JSON.parse(
      '{"_metadata":{"__proto__":{"polluted":true}},"runtimeEnv":{"config":{"__proto__":{"polluted":true}}}}',
    );
    expect(() => validateTaskOptions(input)).toThrow(TaskOptionsError);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('values from another realm (vm context)', () => {
  it('accepts plain objects and Error classes from another realm', async () => {
    const vm = await import('node:vm');
    const ctx = vm.createContext({});
    const options = vm.runInContext(
      '({ numCpus: 2, resources: { licence: 1 }, retryExceptions: [class HttpError extends Error {}, RangeError] })',
      ctx,
    ) as Record<string, unknown>;
    const out = validateTaskOptions(options);
    expect(out.numCpus).toBe(2);
    expect(out.resources).toEqual({ licence: 1 });
    expect(out.retryExceptions).toHaveLength(2);
    const notError = vm.runInContext('[class Foo {}]', ctx) as unknown[];
    const issues = issuesOf({ retryExceptions: notError });
    expect(issues.map((i) => [i.code, i.path])).toEqual([['invalid_value', ['retryExceptions', 0]]]);
  });
});
