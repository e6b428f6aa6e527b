import { describe, expect, it } from 'vitest';
import { TaskOptionsError } from '../errors.js';
import type { ResolvedTaskOptions, TaskOptions } from '../types.js';
import { mergeTaskOptions, resolveTaskOptions, resourceDemand } from './merge.js';

describe('mergeTaskOptions (the .options() rule, ray-task-options.md §5)', () => {
  const cases: [string, TaskOptions, TaskOptions, TaskOptions][] = [
    ['override a scalar', { numCpus: 1 }, { numCpus: 2 }, { numCpus: 2 }],
    ['add a key', { numCpus: 1 }, { maxRetries: 0 }, { numCpus: 1, maxRetries: 0 }],
    ['nested maps are replaced whole', { resources: { a: 1 } }, { resources: { b: 1 } }, { resources: { b: 1 } }],
    [
      'runtimeEnv is replaced whole (envVars too)',
      { runtimeEnv: { envVars: { A: '1' }, workingDir: '/w' } },
      { runtimeEnv: { envVars: { B: '2' } } },
      { runtimeEnv: { envVars: { B: '2' } } },
    ],
    [
      'empty runtimeEnv keeps the base',
      { runtimeEnv: { envVars: { A: '1' } } },
      { runtimeEnv: {} },
      { runtimeEnv: { envVars: { A: '1' } } },
    ],
    [
      'runtimeEnv with empty envVars keeps the base',
      { runtimeEnv: { envVars: { A: '1' } } },
      { runtimeEnv: { envVars: {} } },
      { runtimeEnv: { envVars: { A: '1' } } },
    ],
    [
      'undefined runtimeEnv keeps the base',
      { runtimeEnv: { envVars: { A: '1' } } },
      { runtimeEnv: undefined } as unknown as TaskOptions,
      { runtimeEnv: { envVars: { A: '1' } } },
    ],
    [
      'undefined value does not erase',
      { numGpus: 1 },
      { numGpus: undefined } as unknown as TaskOptions,
      { numGpus: 1 },
    ],
    [
      'numGpus override leaves the rest',
      { numGpus: 1, acceleratorType: 'A100', resources: { x: 1 } },
      { numGpus: 0.5 },
      { numGpus: 0.5, acceleratorType: 'A100', resources: { x: 1 } },
    ],
    ['_metadata only in base', { _metadata: { ns: { a: 1 } } }, {}, { _metadata: { ns: { a: 1 } } }],
    ['_metadata only in overrides', {}, { _metadata: { ns: { a: 1 } } }, { _metadata: { ns: { a: 1 } } }],
    [
      'strategy replaced whole',
      { schedulingStrategy: { type: 'nodeAffinity', nodeId: 'a', soft: true } },
      { schedulingStrategy: 'SPREAD' },
      { schedulingStrategy: 'SPREAD' },
    ],
  ];
  it.each(cases)('%s', (_name, base, over, expected) => {
    expect(mergeTaskOptions(base, over)).toEqual(expected);
  });

  it("merges _metadata per namespace (Ray's test_options canonical example)", () => {
    const base = {
      _metadata: { ns1: { a1: 1, b1: 2, c1: 3 }, ns2: { a2: 1 } },
      numCpus: 1,
      xxx: { x: 2 },
      zzz: 42,
    } as unknown as TaskOptions;
    const over = {
      _metadata: { ns1: { b1: 22 }, ns3: { b3: 2 } },
      numCpus: 2,
      xxx: { y: 2 },
      yyy: 3,
    } as unknown as TaskOptions;
    expect(mergeTaskOptions(base, over)).toEqual({
      _metadata: { ns1: { a1: 1, b1: 22, c1: 3 }, ns2: { a2: 1 }, ns3: { b3: 2 } },
      numCpus: 2,
      xxx: { y: 2 },
      yyy: 3,
      zzz: 42,
    });
  });

  it('copies a JSON __proto__ key as data, never as a prototype', () => {
    const over = JSON.parse('{"__proto__":{"numCpus":9}}') as TaskOptions;
    const merged = mergeTaskOptions({}, over);
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect((merged as { numCpus?: number }).numCpus).toBeUndefined();
  });

  it('does not mutate its inputs', () => {
    const base: TaskOptions = { _metadata: { ns: { a: 1 } }, numCpus: 1 };
    const over: TaskOptions = { _metadata: { ns: { b: 2 } } };
    const snapshot = structuredClone({ base, over });
    mergeTaskOptions(base, over);
    expect({ base, over }).toEqual(snapshot);
  });
});

describe('resolveTaskOptions (defaults)', () => {
  const defaults: ResolvedTaskOptions = {
    numReturns: 1,
    numCpus: 1,
    numGpus: 0,
    resources: {},
    acceleratorType: undefined,
    memory: 0,
    maxCalls: 0,
    maxRetries: 3,
    retryExceptions: false,
    runtimeEnv: undefined,
    schedulingStrategy: undefined,
    enableTaskEvents: true,
    labelSelector: undefined,
    name: undefined,
    _metadata: {},
  };
  const cases: [string, TaskOptions, Partial<ResolvedTaskOptions>][] = [
    ['nothing set', {}, {}],
    ['GPU task gets maxCalls 1', { numGpus: 1 }, { numGpus: 1, maxCalls: 1 }],
    ['fractional GPU task gets maxCalls 1', { numGpus: 0.5 }, { numGpus: 0.5, maxCalls: 1 }],
    ['explicit maxCalls 0 keeps reuse for GPU tasks', { numGpus: 1, maxCalls: 0 }, { numGpus: 1, maxCalls: 0 }],
    ['explicit maxCalls wins', { numGpus: 1, maxCalls: 7 }, { numGpus: 1, maxCalls: 7 }],
    ['numGpus 0 stays unlimited', { numGpus: 0 }, { numGpus: 0, maxCalls: 0 }],
    ['numCpus 0 stays 0', { numCpus: 0 }, { numCpus: 0 }],
    ['maxRetries -1', { maxRetries: -1 }, { maxRetries: -1 }],
    ['streaming', { numReturns: 'streaming' }, { numReturns: 'streaming' }],
    ['accelerator & name', { acceleratorType: 'H100', name: 'x' }, { acceleratorType: 'H100', name: 'x' }],
  ];
  it.each(cases)('%s', (_name, input, changed) => {
    expect(resolveTaskOptions(input)).toEqual({ ...defaults, ...changed });
  });

  it('validates its input', () => {
    expect(() => resolveTaskOptions({ numCpus: -1 })).toThrow(TaskOptionsError);
  });

  it("keeps an unset schedulingStrategy unset, distinct from an explicit 'DEFAULT' (placement-group capture needs it)", () => {
    expect(resolveTaskOptions({}).schedulingStrategy).toBeUndefined();
    expect(resolveTaskOptions({ schedulingStrategy: 'DEFAULT' }).schedulingStrategy).toBe('DEFAULT');
    expect(resolveTaskOptions(mergeTaskOptions({ schedulingStrategy: 'SPREAD' }, {})).schedulingStrategy).toBe(
      'SPREAD',
    );
  });
});

describe('resourceDemand (ray-task-options.md §6.1 examples)', () => {
  const cases: [string, TaskOptions, Record<string, number>][] = [
    ['@ray.remote', {}, { CPU: 1 }],
    ['num_cpus=0', { numCpus: 0 }, {}],
    ['num_gpus=0.5', { numGpus: 0.5 }, { CPU: 1, GPU: 0.5 }],
    ['memory=150*2**20', { memory: 150 * 2 ** 20 }, { CPU: 1, memory: 157286400 }],
    ['memory=2.9 floors to 2', { memory: 2.9 }, { CPU: 1, memory: 2 }],
    ['memory=2.5e9/3 (computed) floors to whole bytes', { memory: 2.5e9 / 3 }, { CPU: 1, memory: 833333333 }],
    ['numCpus=1/3 (computed) rounds to 0.3333', { numCpus: 1 / 3 }, { CPU: 0.3333 }],
    ['accelerator_type="V100"', { acceleratorType: 'V100' }, { CPU: 1, 'accelerator_type:V100': 0.001 }],
    ['custom resource without CPU', { resources: { Custom: 0.7 }, numCpus: 0 }, { Custom: 0.7 }],
    ['zero custom resource dropped', { resources: { Custom: 0, other: 2 } }, { CPU: 1, other: 2 }],
    ['numGpus 0 dropped', { numGpus: 0, numCpus: 2 }, { CPU: 2 }],
    [
      'everything',
      { numCpus: 0.25, numGpus: 2, memory: 1024, acceleratorType: 'H200', resources: { licence: 1 } },
      { CPU: 0.25, GPU: 2, memory: 1024, 'accelerator_type:H200': 0.001, licence: 1 },
    ],
  ];
  it.each(cases)('%s', (_name, input, expected) => {
    expect(resourceDemand(input)).toEqual(expected);
  });

  it('accepts resolved options', () => {
    expect(resourceDemand(resolveTaskOptions({ numGpus: 1, acceleratorType: 'H100' }))).toEqual({
      CPU: 1,
      GPU: 1,
      'accelerator_type:H100': 0.001,
    });
  });

  it('validates its input', () => {
    expect(() => resourceDemand({ numGpus: 1.5 })).toThrow(TaskOptionsError);
  });
});
