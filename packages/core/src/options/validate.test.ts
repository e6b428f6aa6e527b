// Tests of validate.ts: the options object itself, the scalar options (strings, integers, booleans,
// objectStoreMemory), unknown keys and what holds across options (all issues at once, a copy).
import { describe, expect, it } from 'vitest';
import type { TaskOptionsError } from '../errors.js';
import { validateTaskOptions } from './validate.js';
import { type Rejected, issuesOf, itAcceptsEach, itRejectsEach } from './__fixtures__/validate.js';

const rejected: Rejected[] = [
  // the options object itself
  ['non-object input (number)', 42, 'invalid_type', [], 'task options must be a plain object'],
  ['non-object input (null)', null, 'invalid_type', [], 'got null'],
  ['non-object input (array)', [], 'invalid_type', [], 'got an array'],
  ['non-object input (string)', 'numCpus', 'invalid_type', [], 'plain object'],
  ['non-object input (class instance)', new Date(0), 'invalid_type', [], 'got a Date'],
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
  // booleans
  [
    'enableTaskEvents null',
    { enableTaskEvents: null },
    'invalid_type',
    ['enableTaskEvents'],
    'enableTaskEvents must be a boolean',
  ],
  ['enableTaskEvents 1', { enableTaskEvents: 1 }, 'invalid_type', ['enableTaskEvents'], 'boolean'],
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

describe('validateTaskOptions: the options object, scalar options and unknown keys: every rule, with code and path', () => {
  itRejectsEach(rejected);
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

describe('validateTaskOptions: the options object, scalar options and unknown keys', () => {
  itAcceptsEach([
    ['empty', {}],
    ['accelerator', { acceleratorType: 'H100' }],
    ['maxRetries -1', { maxRetries: -1 }],
    ['numReturns 0', { numReturns: 0 }],
    ['numReturns streaming', { numReturns: 'streaming' }],
    ['enableTaskEvents', { enableTaskEvents: false }],
    ['name', { name: 'embed' }],
  ]);

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
});
