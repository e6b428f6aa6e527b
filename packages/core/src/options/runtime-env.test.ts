import { describe, expect, it } from 'vitest';
import type { RuntimeEnv } from '../types.js';
import { expandEnvVars, mergeRuntimeEnv, taskEnvVars } from './runtime-env.js';

describe('mergeRuntimeEnv (ray-task-options.md §9)', () => {
  const cases: [string, RuntimeEnv | undefined, RuntimeEnv | undefined, RuntimeEnv][] = [
    ['child only', undefined, { envVars: { a: 'b' } }, { envVars: { a: 'b' } }],
    ['parent only', { envVars: { a: 'b' } }, undefined, { envVars: { a: 'b' } }],
    ['empty child inherits', { envVars: { a: 'b' } }, {}, { envVars: { a: 'b' } }],
    ['child {a:b} parent {}', {}, { envVars: { a: 'b' } }, { envVars: { a: 'b' } }],
    ['child wins per variable', { envVars: { a: 'd' } }, { envVars: { a: 'b' } }, { envVars: { a: 'b' } }],
    [
      'job {foo1,foo2} + task {foo1:baz1}',
      { envVars: { foo1: 'bar1', foo2: 'bar2' } },
      { envVars: { foo1: 'baz1' } },
      { envVars: { foo1: 'baz1', foo2: 'bar2' } },
    ],
    [
      'nested actor: {a:b, c:e, d:dd, z:job_z}',
      { envVars: { a: 'b', c: 'd', z: 'job_z' } },
      { envVars: { c: 'e', d: 'dd' } },
      { envVars: { a: 'b', c: 'e', d: 'dd', z: 'job_z' } },
    ],
    ['workingDir replaced whole', { workingDir: '/p' }, { workingDir: '/c' }, { workingDir: '/c' }],
    [
      'workingDir inherited',
      { workingDir: '/p', pip: ['x'] },
      { envVars: { A: '1' } },
      { workingDir: '/p', pip: ['x'], envVars: { A: '1' } },
    ],
    ['pip replaced whole, not merged', { pip: ['a', 'b'] }, { pip: ['c'] }, { pip: ['c'] }],
    ['config replaced whole', { config: { x: 1, y: 2 } }, { config: { x: 3 } }, { config: { x: 3 } }],
  ];
  it.each(cases)('%s', (_name, parent, child, expected) => {
    expect(mergeRuntimeEnv(parent, child)).toEqual(expected);
  });

  it('keeps a JSON __proto__ variable as data', () => {
    const child = JSON.parse('{"envVars":{"__proto__":"x"}}') as RuntimeEnv;
    const merged = mergeRuntimeEnv({ envVars: { A: '1' } }, child, {});
    expect(Object.getPrototypeOf(merged.envVars)).toBe(Object.prototype);
    expect(Object.keys(merged.envVars ?? {})).toEqual(['A', '__proto__']);
  });

  it('does not mutate inputs', () => {
    const parent = { envVars: { a: '1' } };
    const child = { envVars: { b: '2' } };
    mergeRuntimeEnv(parent, child, { X: 'y' });
    expect(parent).toEqual({ envVars: { a: '1' } });
    expect(child).toEqual({ envVars: { b: '2' } });
  });

  it('expands ${VAR} in the merged envVars against the given environment', () => {
    expect(
      mergeRuntimeEnv(
        { envVars: { HOME: '/h' } },
        { envVars: { PATH: '${PATH}:/usr/local/bin', LOG: '$HOME/log' } },
        { PATH: '/bin' },
      ),
    ).toEqual({ envVars: { HOME: '/h', PATH: '/bin:/usr/local/bin', LOG: '$HOME/log' } });
  });

  it('leaves values alone when no environment is given', () => {
    expect(mergeRuntimeEnv(undefined, { envVars: { PATH: '${PATH}:/x' } })).toEqual({
      envVars: { PATH: '${PATH}:/x' },
    });
  });
});

describe('expandEnvVars (os.path.expandvars semantics)', () => {
  const env = { PATH: '/bin', A: 'x', EMPTY: '', DOLLAR: '$A', U: undefined };
  const cases: [string, string][] = [
    ['${PATH}:/usr/local/bin', '/bin:/usr/local/bin'],
    ['$PATH:/usr/local/bin', '/bin:/usr/local/bin'],
    ['$A$A', 'xx'],
    ['${A}b', 'xb'],
    ['$Ab', '$Ab'], // $Ab is the name "Ab", unset: untouched
    ['${NOPE}', '${NOPE}'],
    ['$NOPE/x', '$NOPE/x'],
    ['${U}', '${U}'], // undefined counts as unset
    ['$EMPTY-x', '-x'],
    ['$', '$'],
    ['$$', '$$'],
    ['${', '${'],
    ['${}', '${}'],
    ['cost: 5$', 'cost: 5$'],
    ['$DOLLAR', '$A'], // a replacement is not expanded again
    ['${toString}', '${toString}'], // no prototype lookups
  ];
  it.each(cases)('%s → %s', (input, expected) => {
    expect(expandEnvVars(input, env)).toBe(expected);
  });
});

describe('taskEnvVars (the env one attempt sets; Ray §3.15 for OMP_NUM_THREADS)', () => {
  it.each([
    [1, '1'],
    [2, '2'],
    [0.25, '1'],
    [0, '1'],
    [2.5, '2'],
  ])('numCpus %s → OMP_NUM_THREADS %s when the worker env has none', (numCpus, omp) => {
    expect(taskEnvVars({ numCpus }, {})).toEqual({ OMP_NUM_THREADS: omp });
  });

  it('an explicit envVars.OMP_NUM_THREADS wins, and so does a worker-wide one', () => {
    expect(taskEnvVars({ numCpus: 4, envVars: { OMP_NUM_THREADS: '2' } }, {})).toEqual({ OMP_NUM_THREADS: '2' });
    expect(taskEnvVars({ numCpus: 4 }, { OMP_NUM_THREADS: '8' })).toEqual({});
    // an inherited (polluted) property is not the worker's value
    expect(taskEnvVars({ numCpus: 3 }, Object.create({ OMP_NUM_THREADS: '8' }) as Record<string, string>)).toEqual({
      OMP_NUM_THREADS: '3',
    });
  });

  it('expands envVars against the base env and sets CUDA_VISIBLE_DEVICES only for GPU tasks', () => {
    expect(
      taskEnvVars({ numCpus: 1, envVars: { P: '${HOME}/x', Q: '$NOPE' }, visibleDevices: ['2', '3'] }, { HOME: '/h' }),
    ).toEqual({ P: '/h/x', Q: '$NOPE', CUDA_VISIBLE_DEVICES: '2,3', OMP_NUM_THREADS: '1' });
    expect(taskEnvVars({ numCpus: 1, visibleDevices: [] }, { OMP_NUM_THREADS: '1' })).toEqual({
      CUDA_VISIBLE_DEVICES: '',
    });
  });
});
