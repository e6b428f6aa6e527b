import { describe, expect, it } from 'vitest';
import { TaskOptionsError } from '../errors.js';
import type { TaskOptionsIssueCode } from '../errors.js';
import type { TaskOptions } from '../types.js';
import { fromRayOptions, toRayOptions } from './ray.js';

class CountError extends Error {}

/** [Ray spelling, taskfit spelling]: each converts to the other, both ways. */
const pairs: [string, Record<string, unknown>, TaskOptions][] = [
  ['empty', {}, {}],
  ['num_returns=2', { num_returns: 2 }, { numReturns: 2 }],
  ['num_returns=0', { num_returns: 0 }, { numReturns: 0 }],
  ['num_returns streaming', { num_returns: 'streaming' }, { numReturns: 'streaming' }],
  ['num_cpus=0', { num_cpus: 0 }, { numCpus: 0 }],
  ['num_gpus=0.5', { num_gpus: 0.5 }, { numGpus: 0.5 }],
  ['num_gpus=2', { num_gpus: 2 }, { numGpus: 2 }],
  ['memory=150MiB', { memory: 150 * 2 ** 20 }, { memory: 150 * 2 ** 20 }],
  ['accelerator_type', { accelerator_type: 'V100' }, { acceleratorType: 'V100' }],
  [
    'resources',
    { resources: { Custom: 0.7, 'node:127.0.0.1': 1 } },
    { resources: { Custom: 0.7, 'node:127.0.0.1': 1 } },
  ],
  ['max_calls', { max_calls: 1 }, { maxCalls: 1 }],
  ['max_retries=-1', { max_retries: -1 }, { maxRetries: -1 }],
  ['retry_exceptions=True', { retry_exceptions: true }, { retryExceptions: true }],
  ['retry_exceptions=[]', { retry_exceptions: [] }, { retryExceptions: [] }],
  [
    'retry_exceptions=[CountError]',
    { retry_exceptions: [CountError, 'ValueError'] },
    { retryExceptions: [CountError, 'ValueError'] },
  ],
  [
    'runtime_env env_vars & working_dir & extras',
    {
      runtime_env: {
        env_vars: { PATH: '${PATH}:/usr/local/bin', foo1: 'baz1' },
        working_dir: '/src',
        pip: ['requests'],
        conda: null,
      },
    },
    {
      runtimeEnv: {
        envVars: { PATH: '${PATH}:/usr/local/bin', foo1: 'baz1' },
        workingDir: '/src',
        pip: ['requests'],
        conda: null,
      },
    },
  ],
  ['scheduling_strategy SPREAD', { scheduling_strategy: 'SPREAD' }, { schedulingStrategy: 'SPREAD' }],
  ['scheduling_strategy DEFAULT', { scheduling_strategy: 'DEFAULT' }, { schedulingStrategy: 'DEFAULT' }],
  [
    'NodeAffinitySchedulingStrategy soft + spill',
    { scheduling_strategy: { type: 'node_affinity', node_id: 'abc', soft: true, _spill_on_unavailable: true } },
    { schedulingStrategy: { type: 'nodeAffinity', nodeId: 'abc', soft: true, spillOnUnavailable: true } },
  ],
  [
    'NodeAffinitySchedulingStrategy hard + fail',
    { scheduling_strategy: { type: 'node_affinity', node_id: 'abc', soft: false, _fail_on_unavailable: true } },
    { schedulingStrategy: { type: 'nodeAffinity', nodeId: 'abc', soft: false, failOnUnavailable: true } },
  ],
  [
    'PlacementGroupSchedulingStrategy',
    {
      scheduling_strategy: {
        type: 'placement_group',
        placement_group: { id: 'pg1' },
        placement_group_bundle_index: 0,
        placement_group_capture_child_tasks: true,
      },
    },
    {
      schedulingStrategy: {
        type: 'placementGroup',
        placementGroup: { id: 'pg1' },
        bundleIndex: 0,
        captureChildTasks: true,
      },
    },
  ],
  [
    'NodeLabelSchedulingStrategy',
    {
      scheduling_strategy: {
        type: 'node_label',
        hard: { region: { operator: 'in', values: ['us-west1'] }, gpu: { operator: 'exists' } },
        soft: { spot: { operator: 'does_not_exist' }, tier: { operator: 'not_in', values: ['low', 'mid'] } },
      },
    },
    {
      schedulingStrategy: {
        type: 'nodeLabel',
        hard: { region: { operator: 'in', values: ['us-west1'] }, gpu: { operator: 'exists' } },
        soft: { spot: { operator: 'doesNotExist' }, tier: { operator: 'notIn', values: ['low', 'mid'] } },
      },
    },
  ],
  ['enable_task_events=False', { enable_task_events: false }, { enableTaskEvents: false }],
  [
    'label_selector',
    { label_selector: { region: 'in(us-west1,us-east1)', 'ray.io/tier': '!spot' } },
    { labelSelector: { region: 'in(us-west1,us-east1)', 'ray.io/tier': '!spot' } },
  ],
  ['name', { name: 'f' }, { name: 'f' }],
  [
    '_metadata kept as-is',
    { _metadata: { 'temporal.io/activity': { start_to_close: '1m' } } },
    { _metadata: { 'temporal.io/activity': { start_to_close: '1m' } } },
  ],
];

describe('fromRayOptions / toRayOptions', () => {
  it.each(pairs)('%s', (_name, ray, camel) => {
    expect(fromRayOptions(ray)).toEqual(camel);
    expect(toRayOptions(camel)).toEqual(ray);
    expect(toRayOptions(fromRayOptions(ray))).toEqual(ray);
    expect(fromRayOptions(toRayOptions(camel))).toEqual(camel);
  });

  it('keeps error classes by identity', () => {
    expect((fromRayOptions({ retry_exceptions: [CountError] }).retryExceptions as unknown[])[0]).toBe(CountError);
  });

  it("treats Python's None as not set, except num_cpus=None (no CPU demand)", () => {
    expect(fromRayOptions({ num_gpus: null, max_retries: null, num_returns: null })).toEqual({});
    expect(fromRayOptions({ num_cpus: null })).toEqual({ numCpus: 0 });
    expect(
      fromRayOptions({
        scheduling_strategy: { type: 'node_affinity', node_id: 'n', soft: null, _spill_on_unavailable: null },
      }),
    ).toEqual({ schedulingStrategy: { type: 'nodeAffinity', nodeId: 'n' } });
  });
});

describe('fromRayOptions errors use Ray spelling', () => {
  const rejected: [string, unknown, TaskOptionsIssueCode, (string | number)[], string][] = [
    ['not an object', 'x', 'invalid_type', [], 'Ray task options must be a plain object'],
    [
      'negative num_gpus',
      { num_gpus: -1 },
      'invalid_value',
      ['num_gpus'],
      'num_gpus must be a finite number ≥ 0 (got -1)',
    ],
    ['fractional num_gpus > 1', { num_gpus: 1.5 }, 'invalid_value', ['num_gpus'], 'num_gpus must be a whole number'],
    ['camelCase key', { numGpus: 1 }, 'unknown_option', ['numGpus'], 'did you mean num_gpus?'],
    ['typo', { num_gpu: 1 }, 'unknown_option', ['num_gpu'], 'did you mean num_gpus?'],
    ['actor option', { max_restarts: 3 }, 'unknown_option', ['max_restarts'], 'actor option'],
    [
      'deprecated placement_group',
      { placement_group: 'pg' },
      'unknown_option',
      ['placement_group'],
      'scheduling_strategy',
    ],
    ['fallback_strategy', { fallback_strategy: [] }, 'unknown_option', ['fallback_strategy'], 'not supported'],
    [
      'object_store_memory',
      { object_store_memory: 1 },
      'invalid_value',
      ['object_store_memory'],
      'object_store_memory is not supported for tasks',
    ],
    ['max_calls bad', { max_calls: -1 }, 'invalid_value', ['max_calls'], 'max_calls must be an integer ≥ 0'],
    ['reserved resource', { resources: { GPU: 1 } }, 'invalid_value', ['resources', 'GPU'], 'use num_gpus instead'],
    [
      'env_vars value',
      { runtime_env: { env_vars: { A: 1 } } },
      'invalid_type',
      ['runtime_env', 'env_vars', 'A'],
      'runtime_env.env_vars.A must be a string',
    ],
    [
      'camelCase envVars inside runtime_env',
      { runtime_env: { envVars: {} } },
      'unknown_option',
      ['runtime_env', 'envVars'],
      'did you mean env_vars?',
    ],
    [
      'spill without soft',
      { scheduling_strategy: { type: 'node_affinity', node_id: 'n', _spill_on_unavailable: true } },
      'conflict',
      ['scheduling_strategy', '_spill_on_unavailable'],
      'requires scheduling_strategy.soft: true',
    ],
    [
      'missing node_id',
      { scheduling_strategy: { type: 'node_affinity' } },
      'invalid_type',
      ['scheduling_strategy', 'node_id'],
      'scheduling_strategy.node_id is required',
    ],
    [
      'camelCase strategy type',
      { scheduling_strategy: { type: 'nodeAffinity', node_id: 'n' } },
      'invalid_value',
      ['scheduling_strategy', 'type'],
      '"node_affinity"',
    ],
    [
      'unknown strategy type lists Ray spellings',
      { scheduling_strategy: { type: 'pg' } },
      'invalid_value',
      ['scheduling_strategy', 'type'],
      "'node_affinity', 'placement_group' or 'node_label'",
    ],
    [
      'camelCase strategy field',
      { scheduling_strategy: { type: 'node_affinity', nodeId: 'n' } },
      'unknown_option',
      ['scheduling_strategy', 'nodeId'],
      'did you mean node_id?',
    ],
    [
      'camelCase label operator',
      { scheduling_strategy: { type: 'node_label', hard: { a: { operator: 'notIn', values: ['x'] } } } },
      'invalid_value',
      ['scheduling_strategy', 'hard', 'a', 'operator'],
      '"not_in"',
    ],
    [
      'bad bundle index',
      {
        scheduling_strategy: {
          type: 'placement_group',
          placement_group: { id: 'p' },
          placement_group_bundle_index: -3,
        },
      },
      'invalid_value',
      ['scheduling_strategy', 'placement_group_bundle_index'],
      'scheduling_strategy.placement_group_bundle_index must be an integer ≥ -1',
    ],
  ];
  it.each(rejected)('%s', (_name, input, code, path, message) => {
    let err: unknown;
    try {
      fromRayOptions(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TaskOptionsError);
    const issues = (err as TaskOptionsError).issues;
    expect(issues).toHaveLength(1);
    expect(issues[0]?.code).toBe(code);
    expect(issues[0]?.path).toEqual(path);
    expect(issues[0]?.message).toContain(message);
  });

  it.each([
    ['{"runtime_env":{"__proto__":{"env_vars":{"A":"1"}}}}', ['runtime_env', '__proto__']],
    ['{"runtime_env":{"env_vars":{"__proto__":"x"}}}', ['runtime_env', 'env_vars', '__proto__']],
    ['{"resources":{"__proto__":1}}', ['resources', '__proto__']],
    [
      '{"scheduling_strategy":{"type":"node_label","hard":{"__proto__":{"operator":"exists"}}}}',
      ['scheduling_strategy', 'hard', '__proto__'],
    ],
    ['{"_metadata":{"ns":{"__proto__":{"x":1}}}}', ['_metadata', 'ns', '__proto__']],
  ])('rejects JSON __proto__ keys: %s', (json, path) => {
    try {
      fromRayOptions(JSON.parse(json));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(TaskOptionsError);
      expect((e as TaskOptionsError).issues.map((i) => [i.code, i.path])).toEqual([['invalid_value', path]]);
    }
    expect(({} as Record<string, unknown>).env_vars).toBeUndefined();
  });

  it('toRayOptions validates its input', () => {
    expect(() => toRayOptions({ numCpus: -1 })).toThrow(TaskOptionsError);
  });
});
