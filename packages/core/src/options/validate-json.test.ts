// Tests of validate-json.ts: runtimeEnv and _metadata (JSON-like data).
import { describe, expect, it } from 'vitest';
import { TaskOptionsError } from '../errors.js';
import { validateTaskOptions } from './validate.js';
import { type Rejected, issuesOf, itAcceptsEach, itRejectsEach } from './__fixtures__/validate.js';

const rejected: Rejected[] = [
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
];

describe('runtimeEnv and _metadata: every rule, with code and path', () => {
  itRejectsEach(rejected);
});

describe('runtimeEnv and _metadata', () => {
  itAcceptsEach([
    [
      'runtimeEnv',
      {
        runtimeEnv: { envVars: { A: '1', PATH: '${PATH}:/x' }, workingDir: '/w', pip: ['numpy'], config: { x: null } },
      },
    ],
    [
      '_metadata',
      { _metadata: { 'taskfit.io/retry': { backoffMs: 100 }, 'temporal.io/activity': { startToCloseTimeout: '1m' } } },
    ],
  ]);

  it('rejects NUL in environment variable values', () => {
    const issues = issuesOf({ runtimeEnv: { envVars: { A: 'x\0y' } } });
    expect(issues.map((i) => [i.code, i.path])).toEqual([['invalid_value', ['runtimeEnv', 'envVars', 'A']]]);
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

  it('does not pollute Object.prototype through JSON-parsed input', () => {
    const input = JSON.parse(
      '{"_metadata":{"__proto__":{"polluted":true}},"runtimeEnv":{"config":{"__proto__":{"polluted":true}}}}',
    );
    expect(() => validateTaskOptions(input)).toThrow(TaskOptionsError);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
