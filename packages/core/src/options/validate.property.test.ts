import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TaskOptionsError, formatPath } from '../errors.js';
import { mergeTaskOptions, resolveTaskOptions, resourceDemand } from './merge.js';
import { fromRayOptions, toRayOptions } from './ray.js';
import { validateTaskOptions } from './validate.js';

const CODES = new Set(['invalid_type', 'invalid_value', 'unknown_option', 'not_overridable', 'conflict']);

class HttpError extends Error {}

// ---- arbitraries biased toward valid options --------------------------------------------

const units = (max: number) => fc.integer({ min: 0, max }).map((u) => u / 10_000);
// Computed quantities (Ray accepts them; validation rounds them to the resource precision).
const computed = fc.constantFrom(1 / 3, 2 / 3, 0.00015, 0.12345, 0.1 + 0.2, 7 / 9);
const quantity = fc.oneof(
  { weight: 3, arbitrary: units(1_000_000) },
  { weight: 2, arbitrary: fc.constantFrom(0, 0.5, 1, 2, 0.57, 0.1 + 0.2, 1.0001) },
  { weight: 1, arbitrary: computed },
  // up to what the accounting holds exactly (900719925474 for 1/10000 units)
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 ** 39 }) },
);
// memory is whole bytes: a fraction is rounded down, and a non-zero value below one byte is rejected
const bytes = fc.oneof(fc.integer({ min: 0, max: 2 ** 50 }), fc.constantFrom(2.5e9 / 3, 1.5, 0.57e10, 2 ** 53 - 1));
const gpus = fc.oneof(units(10_000), fc.integer({ min: 0, max: 16 }), computed);
const resourceName = fc.oneof(
  fc.constantFrom('licence', 'custom', 'node:10.0.0.1', 'TPU', 'neuron_cores', 'fpga'),
  fc.string({ minLength: 1, maxLength: 12 }),
);
const labelName = fc.stringMatching(/^[a-z0-9]([a-z0-9_.-]{0,10}[a-z0-9])?$/);
const labelKey = fc.oneof(
  labelName,
  fc.tuple(labelName, labelName).map(([p, n]) => `example.com/${p}${n}`.slice(0, 60)),
);
const labelValue = fc.oneof(
  labelName,
  labelName.map((v) => `!${v}`),
  fc.array(labelName, { minLength: 1, maxLength: 3 }).map((vs) => `in(${vs.join(',')})`),
  fc.array(labelName, { minLength: 1, maxLength: 3 }).map((vs) => `!in(${vs.join(', ')})`),
  fc.constant(''),
);
const json: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 3 });
const envName = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,8}$/);
const expression = fc.oneof(
  fc.record({ operator: fc.constantFrom('in', 'notIn'), values: fc.array(labelName, { minLength: 1, maxLength: 3 }) }),
  fc.record({ operator: fc.constantFrom('exists', 'doesNotExist') }),
);
const strategy = fc.oneof(
  fc.constantFrom('DEFAULT', 'SPREAD'),
  fc
    .record(
      { nodeId: fc.string({ minLength: 1, maxLength: 8 }), spillOnUnavailable: fc.boolean() },
      { requiredKeys: ['nodeId'] },
    )
    .map((s) => ({ type: 'nodeAffinity', soft: true, ...s })),
  fc
    .record(
      { nodeId: fc.string({ minLength: 1, maxLength: 8 }), soft: fc.constant(false), failOnUnavailable: fc.boolean() },
      { requiredKeys: ['nodeId'] },
    )
    .map((s) => ({ type: 'nodeAffinity', ...s })),
  fc
    .record(
      {
        placementGroup: fc.string({ minLength: 1, maxLength: 8 }).map((id) => ({ id })),
        bundleIndex: fc.integer({ min: -1, max: 8 }),
        captureChildTasks: fc.boolean(),
      },
      { requiredKeys: ['placementGroup'] },
    )
    .map((s) => ({ type: 'placementGroup', ...s })),
  fc
    .record(
      {
        hard: fc.dictionary(labelKey, expression, { minKeys: 1, maxKeys: 3 }),
        soft: fc.dictionary(labelKey, expression, { maxKeys: 3 }),
      },
      { requiredKeys: ['hard'] },
    )
    .map((s) => ({ type: 'nodeLabel', ...s })),
);

const validish = {
  numReturns: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.constant('streaming')),
  numCpus: quantity,
  numGpus: gpus,
  resources: fc.dictionary(resourceName, quantity, { maxKeys: 4 }).map((r) =>
    Object.fromEntries(
      Object.entries(r).map(([k, v]) => [
        k,
        // Ray's accelerator rules: TPU chip configurations 1, 2, 4, 8; whole neuron_cores
        k === 'TPU' ? [0, 1, 2, 4, 8][Math.ceil(v) % 5] : k === 'neuron_cores' ? Math.ceil(v) : v,
      ]),
    ),
  ),
  acceleratorType: fc.constantFrom('H100', 'H200', 'A100-80G', 'V100'),
  memory: bytes,
  maxCalls: fc.integer({ min: 0, max: 10 }),
  maxRetries: fc.integer({ min: -1, max: 10 }),
  retryExceptions: fc.oneof(
    fc.boolean(),
    fc.array(fc.constantFrom<unknown>(HttpError, TypeError, 'TimeoutError', 'Error'), { maxLength: 3 }),
  ),
  runtimeEnv: fc.oneof(
    fc.constant({}),
    fc.constant({ envVars: {} }),
    fc.record(
      {
        envVars: fc.dictionary(envName, fc.string({ maxLength: 10 }), { maxKeys: 3 }),
        workingDir: fc.string({ minLength: 1, maxLength: 10 }),
        pip: fc.array(fc.string({ maxLength: 6 }), { maxLength: 2 }),
        config: fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), json, { maxKeys: 2 }),
      },
      { requiredKeys: [] },
    ),
  ),
  schedulingStrategy: strategy,
  enableTaskEvents: fc.boolean(),
  labelSelector: fc.dictionary(labelKey, labelValue, { maxKeys: 3 }),
  name: fc.string({ minLength: 1, maxLength: 10 }),
  _metadata: fc.dictionary(
    fc.constantFrom('taskfit.io/retry', 'temporal.io/activity', 'x'),
    fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), json, { maxKeys: 3 }),
    { maxKeys: 2 },
  ),
};

// ---- hostile values ---------------------------------------------------------------------

const weirdNumber = fc.constantFrom(
  NaN,
  Infinity,
  -Infinity,
  -0,
  -1,
  1e308,
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  0.00015,
  1.5,
  2 ** 53 + 2,
  -1e-300,
);
const protoJson = fc.constantFrom(
  '{"__proto__":{"polluted":1}}',
  '{"constructor":{"prototype":{"polluted":1}}}',
  '{"a":{"__proto__":1}}',
  '{"prototype":1}',
);
const hostile: fc.Arbitrary<unknown> = fc.oneof(
  weirdNumber,
  fc.anything({
    maxDepth: 3,
    withBigInt: true,
    withBoxedValues: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withNullPrototype: true,
    withObjectString: true,
    withSparseArray: true,
    withTypedArray: true,
  }),
  fc.string().map((s) => Symbol(s)),
  protoJson.map((s) => JSON.parse(s) as unknown),
  fc.constant(() => 1),
  fc.constant(HttpError),
);

/** A value for one option key: usually valid, sometimes hostile, sometimes hostile inside. */
function mixed<T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 18, arbitrary: valid },
    { weight: 1, arbitrary: hostile },
    {
      weight: 1,
      arbitrary: fc
        .tuple(valid, fc.string({ maxLength: 10 }), hostile)
        .map(([v, k, h]) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? { ...v, [k]: h } : h)),
    },
  );
}

const validOptions = fc.record(validish, { requiredKeys: [] });
const hostileOptions = fc.oneof(
  { weight: 3, arbitrary: validOptions },
  {
    weight: 4,
    arbitrary: fc.record(
      Object.fromEntries(Object.entries(validish).map(([k, a]) => [k, mixed(a as fc.Arbitrary<unknown>)])),
      { requiredKeys: [] },
    ),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(validOptions, fc.dictionary(fc.string({ maxLength: 12 }), hostile, { maxKeys: 2 }))
      .map(([o, extra]) => ({ ...o, ...extra })),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(validOptions, protoJson).map(([o, j]) => ({ ...o, ...(JSON.parse(j) as object) })),
  },
  { weight: 1, arbitrary: hostile },
);

function isObject(v: unknown): v is object {
  return typeof v === 'object' && v !== null;
}

function attempt<T>(f: () => T): { ok: true; value: T } | { ok: false; error: unknown } {
  try {
    return { ok: true, value: f() };
  } catch (error) {
    return { ok: false, error };
  }
}

function checkError(error: unknown): void {
  expect(error).toBeInstanceOf(TaskOptionsError);
  const err = error as TaskOptionsError;
  expect(err.issues.length).toBeGreaterThan(0);
  for (const issue of err.issues) {
    expect(CODES.has(issue.code)).toBe(true);
    expect(Array.isArray(issue.path)).toBe(true);
    expect(issue.message.length).toBeGreaterThan(0);
    // Every message names the option it is about.
    const head = issue.path[0];
    if (head !== undefined && issue.code !== 'unknown_option') expect(issue.message).toContain(formatPath([head]));
  }
}

// Generous per-test timeout: the runs are CPU-bound and CI shares 2 cores.
describe('validateTaskOptions under random and hostile input (fast-check)', { timeout: 60_000 }, () => {
  it('throws nothing but TaskOptionsError; what it accepts round-trips through Ray spelling', () => {
    let accepted = 0;
    let rejected = 0;
    fc.assert(
      fc.property(hostileOptions, fc.boolean(), (input, overrides) => {
        // As .options() overrides, maxCalls is rejected whatever its value: only test inputs without it.
        const inOptions = overrides && !(isObject(input) && Object.prototype.hasOwnProperty.call(input, 'maxCalls'));
        const r = attempt(() => validateTaskOptions(input, { inOptions }));
        if (!r.ok) {
          rejected++;
          checkError(r.error);
          return;
        }
        accepted++;
        const o = r.value;
        expect(validateTaskOptions(o, { inOptions })).toEqual(o); // idempotent
        const ray = toRayOptions(o);
        expect(fromRayOptions(ray)).toEqual(o);
        expect(toRayOptions(fromRayOptions(ray))).toEqual(ray);
        // Nothing accepted breaks the rest of the model.
        const resolved = resolveTaskOptions(o);
        expect(resolved.numCpus).toBeGreaterThanOrEqual(0);
        for (const v of Object.values(resourceDemand(o))) expect(v > 0 && Number.isFinite(v)).toBe(true);
        expect(() => validateTaskOptions(mergeTaskOptions(o, o))).not.toThrow();
      }),
      { numRuns: 600 },
    );
    // The generator must exercise both sides, or this test proves nothing.
    expect(accepted).toBeGreaterThan(200);
    expect(rejected).toBeGreaterThan(150);
  });

  it('valid options are always accepted (apart from the cross-field rules) and round-trip', () => {
    fc.assert(
      fc.property(validOptions, (input) => {
        const r = attempt(() => validateTaskOptions(input));
        if (!r.ok) {
          // The generator can produce combinations the rules reject; those must be exactly these.
          checkError(r.error);
          for (const issue of (r.error as TaskOptionsError).issues) {
            expect(issue.message).toMatch(/must not contain|is not allowed in|reserved/);
          }
          return;
        }
        expect(fromRayOptions(toRayOptions(r.value))).toEqual(r.value);
      }),
      { numRuns: 300 },
    );
  });

  it('fromRayOptions throws nothing but TaskOptionsError on hostile snake_case input', () => {
    fc.assert(
      fc.property(hostileOptions, (input) => {
        const snake = attempt(() => toRayOptions(validateTaskOptions(input)));
        const candidate = snake.ok ? snake.value : input;
        const r = attempt(() => fromRayOptions(candidate));
        if (!r.ok) checkError(r.error);
        else expect(toRayOptions(r.value)).toEqual(toRayOptions(fromRayOptions(toRayOptions(r.value))));
      }),
      { numRuns: 300 },
    );
  });

  it('never pollutes Object.prototype', () => {
    fc.assert(
      fc.property(hostileOptions, (input) => {
        attempt(() => validateTaskOptions(input));
        attempt(() => fromRayOptions(input));
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      { numRuns: 200 },
    );
  });
});

describe('mergeTaskOptions laws (fast-check)', { timeout: 60_000 }, () => {
  const valid = validOptions.filter((o) => attempt(() => validateTaskOptions(o)).ok).map((o) => validateTaskOptions(o));

  it('overrides win key by key, base fills the rest, _metadata merges per namespace', () => {
    fc.assert(
      fc.property(valid, valid, (base, over) => {
        const { maxCalls: _ignored, ...overrides } = over;
        const merged = mergeTaskOptions(base, overrides);
        expect(validateTaskOptions(merged)).toEqual(merged);
        for (const [k, v] of Object.entries(merged)) {
          const key = k as keyof typeof merged;
          if (key === '_metadata') {
            for (const [ns, cfg] of Object.entries(v as Record<string, object>)) {
              expect(cfg).toEqual({ ...base._metadata?.[ns], ...overrides._metadata?.[ns] });
            }
          } else if (key === 'runtimeEnv') {
            // An empty runtimeEnv override ({} or { envVars: {} }) keeps the base's.
            const env = overrides.runtimeEnv;
            const empty =
              env === undefined ||
              Object.entries(env).every(([ek, ev]) => ek === 'envVars' && Object.keys(ev as object).length === 0);
            expect(v).toBe(empty ? base.runtimeEnv : env);
          } else if (key in overrides) {
            expect(v).toBe(overrides[key as keyof typeof overrides]);
          } else {
            expect(v).toBe(base[key]);
          }
        }
        const expectedKeys = new Set([...Object.keys(base), ...Object.keys(overrides)]);
        if (base.runtimeEnv === undefined && !('runtimeEnv' in merged)) {
          // only possible when the override was an empty env
          expect(Object.values(overrides.runtimeEnv ?? {}).every((ev) => Object.keys(ev as object).length === 0)).toBe(
            true,
          );
          expectedKeys.delete('runtimeEnv');
        }
        expect(new Set(Object.keys(merged))).toEqual(expectedKeys);
        expect(mergeTaskOptions(base, {})).toEqual(base);
      }),
      { numRuns: 200 },
    );
  });
});
