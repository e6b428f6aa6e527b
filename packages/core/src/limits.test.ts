// INPUT_LIMITS: each cap is a clear TaskOptionsError naming the limit, and past a cap nothing more
// is read (proxies count the reads), so a hostile size costs neither minutes nor gigabytes.
import { describe, expect, it } from 'vitest';
import { TaskOptionsError } from './errors.js';
import { INPUT_LIMITS } from './limits.js';
import { Cluster } from './resources/cluster.js';
import { compileDemand } from './resources/demand.js';
import { NodeResources } from './resources/node-resources.js';
import { fromRayOptions } from './options/ray.js';
import { validateTaskOptions } from './options/validate.js';

function rejection(f: () => unknown): TaskOptionsError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TaskOptionsError);
    return e as TaskOptionsError;
  }
  throw new Error('expected a TaskOptionsError');
}

/** An array-like proxy of `length` items that counts how many items are read. */
function countingArray(length: number, item: unknown): { array: unknown[]; reads: () => number } {
  let reads = 0;
  const array = new Proxy([] as unknown[], {
    get(target, key, receiver) {
      if (key === 'length') return length;
      if (typeof key === 'string' && /^\d+$/.test(key)) {
        reads++;
        return item;
      }
      return Reflect.get(target, key, receiver) as unknown;
    },
    getOwnPropertyDescriptor(target, key) {
      if (typeof key === 'string' && /^\d+$/.test(key) && Number(key) < length) {
        return { value: item, writable: true, enumerable: true, configurable: true };
      }
      return Reflect.getOwnPropertyDescriptor(target, key);
    },
  });
  return { array, reads: () => reads };
}

describe('INPUT_LIMITS', () => {
  it('are the documented values', () => {
    expect(INPUT_LIMITS).toEqual({
      maxKeys: 10_000,
      maxListItems: 1_000,
      maxJsonValues: 100_000,
      maxJsonDepth: 32,
      maxBundles: 10_000,
      maxDevices: 1_024,
      maxIssues: 100,
    });
    expect(Object.isFrozen(INPUT_LIMITS)).toBe(true);
  });
});

describe('retryExceptions length', () => {
  it('new Array(1e7) is rejected at once, with the limit', () => {
    const e = rejection(() => validateTaskOptions({ retryExceptions: new Array(1e7) }));
    expect(e.issues).toEqual([
      {
        path: ['retryExceptions'],
        code: 'invalid_value',
        message: 'retryExceptions lists 10000000 entries; at most 1000 are allowed',
      },
    ]);
    const { array, reads } = countingArray(1e7, 'Error');
    rejection(() => validateTaskOptions({ retryExceptions: array }));
    expect(reads()).toBe(0);
  });

  it('1000 entries are fine', () => {
    expect(validateTaskOptions({ retryExceptions: new Array(1000).fill('E') }).retryExceptions).toHaveLength(1000);
  });
});

describe('JSON-like values (runtimeEnv extra fields, _metadata)', () => {
  const tenMbOfNulls = () => JSON.parse(`[${'null,'.repeat(2_000_000)}null]`) as unknown;

  it('a 10 MB JSON of nulls is rejected with the limit, not copied', () => {
    for (const [input, root] of [
      [{ _metadata: { ns: { big: tenMbOfNulls() } } }, '_metadata'],
      [{ runtimeEnv: { config: tenMbOfNulls() } }, 'runtimeEnv'],
    ] as const) {
      const e = rejection(() => validateTaskOptions(input));
      expect(e.issues).toEqual([
        {
          path: [root],
          code: 'invalid_value',
          message: `${root} is too large: more than 100000 values (every key, item and leaf counts)`,
        },
      ]);
    }
    const { array, reads } = countingArray(2_000_001, null);
    rejection(() => validateTaskOptions({ _metadata: { ns: { big: array } } }));
    expect(reads()).toBe(0);
  });

  it('the budget is per option, shared by its fields and nested values', () => {
    const half = () => new Array(50_000).fill(1);
    expect(() => validateTaskOptions({ _metadata: { a: { x: half() } }, runtimeEnv: { y: half() } })).not.toThrow();
    const e = rejection(() => validateTaskOptions({ _metadata: { a: { x: half() }, b: { y: half() } } }));
    expect(e.issues.map((i) => i.path)).toEqual([['_metadata']]);
  });

  it('nesting deeper than 32 levels is rejected', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = [deep];
    const e = rejection(() => validateTaskOptions({ _metadata: { ns: { deep } } }));
    expect(e.issues[0]!.message).toContain('nested more than 32 levels deep');
  });
});

describe('keys of one object', () => {
  const manyKeys = (n: number, value: unknown = 1) => {
    const o: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) o[`k${i}`] = value;
    return o;
  };

  it('200,000 unknown keys are rejected at once (no did-you-mean per key)', () => {
    const e = rejection(() => validateTaskOptions(manyKeys(200_000)));
    expect(e.issues).toEqual([
      { path: [], code: 'invalid_value', message: '(options) has 200000 keys; at most 10000 are allowed' },
    ]);
    expect(rejection(() => fromRayOptions(manyKeys(200_000))).issues).toHaveLength(1);
  });

  it('5,000 unknown keys: the first 100 are listed (with suggestions), then a count', () => {
    const input = { numCpu: 1, ...manyKeys(4_999) };
    const e = rejection(() => validateTaskOptions(input));
    expect(e.issues).toHaveLength(101);
    expect(e.issues[0]).toMatchObject({ path: ['numCpu'], code: 'unknown_option' });
    expect(e.issues[0]!.message).toContain('did you mean numCpus?');
    expect(e.issues[100]).toEqual({
      path: [],
      code: 'invalid_value',
      message: '... and 4900 more problems (only the first 100 are listed)',
    });
    expect(e.code).toBe('unknown_option');
  });

  it('every user map is capped: resources, envVars, labelSelector, node-label maps, _metadata', () => {
    const big = manyKeys(10_001);
    const cases: [unknown, (string | number)[]][] = [
      [{ resources: big }, ['resources']],
      [{ runtimeEnv: { envVars: manyKeys(10_001, 'v') } }, ['runtimeEnv', 'envVars']],
      [{ labelSelector: manyKeys(10_001, 'v') }, ['labelSelector']],
      [{ _metadata: big }, ['_metadata']],
      [
        { schedulingStrategy: { type: 'nodeLabel', hard: manyKeys(10_001, { operator: 'exists' }) } },
        ['schedulingStrategy', 'hard'],
      ],
    ];
    for (const [input, path] of cases) {
      const e = rejection(() => validateTaskOptions(input));
      expect(e.issues[0]).toMatchObject({ path, code: 'invalid_value' });
      expect(e.issues[0]!.message).toContain('has 10001 keys; at most 10000 are allowed');
    }
    // ... and accounting inputs too.
    expect(rejection(() => compileDemand(big as Record<string, number>)).issues[0]!.message).toBe(
      'demand has 10001 keys; at most 10000 are allowed',
    );
    expect(rejection(() => new NodeResources(big as Record<string, number>)).issues[0]!.path).toEqual(['total']);
    expect(
      rejection(() => new NodeResources({ CPU: 1 }, { labels: manyKeys(10_001, 'v') as Record<string, string> }))
        .issues[0]!.path,
    ).toEqual(['options', 'labels']);
  });

  it('label expression values are capped', () => {
    const values = new Array(1001).fill('a');
    const e = rejection(() =>
      validateTaskOptions({ schedulingStrategy: { type: 'nodeLabel', hard: { zone: { operator: 'in', values } } } }),
    );
    expect(e.issues[0]).toEqual({
      path: ['schedulingStrategy', 'hard', 'zone', 'values'],
      code: 'invalid_value',
      message: 'schedulingStrategy.hard.zone.values lists 1001 values; at most 1000 are allowed',
    });
  });

  it('issues are listed up to 100 whatever their source', () => {
    const e = rejection(() => validateTaskOptions({ resources: manyKeys(5_000, -1) }));
    expect(e.issues).toHaveLength(101);
    expect(e.issues[100]!.message).toBe('... and 4900 more problems (only the first 100 are listed)');
  });
});

describe('devices per node', () => {
  it('NodeResources({ GPU: 1e9 }) is rejected with the limit (no object per device)', () => {
    expect(rejection(() => new NodeResources({ GPU: 1e9 })).issues).toEqual([
      {
        path: ['total', 'GPU'],
        code: 'invalid_value',
        message: 'total.GPU must be at most 1024: a node holds at most 1024 GPU devices, got 1000000000',
      },
    ]);
    expect(rejection(() => new NodeResources({ TPU: 1025 })).issues[0]!.path).toEqual(['total', 'TPU']);
    expect(new NodeResources({ GPU: 1024 }).total.GPU).toBe(1024);
    // Other resources are pools, not devices: large totals are fine.
    expect(new NodeResources({ CPU: 1e9, licence: 1e9 }).total.CPU).toBe(1e9);
  });
});

describe('placement-group bundles', () => {
  it('bundles: new Array(2**32 - 1) is rejected at once, with the limit', () => {
    const c = new Cluster().addNode(new NodeResources({ CPU: 1 }));
    expect(rejection(() => c.createPlacementGroup({ bundles: new Array(2 ** 32 - 1) })).issues).toEqual([
      {
        path: ['bundles'],
        code: 'invalid_value',
        message: 'bundles lists 4294967295 bundles; at most 10000 are allowed',
      },
    ]);
    const { array, reads } = countingArray(10_001, { CPU: 1 });
    rejection(() => c.createPlacementGroup({ bundles: array as { CPU: number }[] }));
    expect(reads()).toBe(0);
  });
});
