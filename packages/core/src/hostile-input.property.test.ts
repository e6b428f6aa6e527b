// Issue 9 item 14: revoked proxies and throwing traps, at the top level and nested in every
// option (arrays included), come out of every entry point as a TaskOptionsError or not at all —
// never as a raw TypeError.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TaskOptionsError } from './errors.js';
import { mergeTaskOptions, resolveTaskOptions, resourceDemand } from './options/merge.js';
import { fromRayOptions, toRayOptions } from './options/ray.js';
import { remote } from './options/remote.js';
import { matchesRetryExceptions } from './options/retry.js';
import { validateTaskOptions } from './options/validate.js';
import { Cluster } from './resources/cluster.js';
import { compileDemand } from './resources/demand.js';
import { NodeResources } from './resources/node-resources.js';

class HttpError extends Error {}

type Trap = 'get' | 'ownKeys' | 'getOwnPropertyDescriptor' | 'getPrototypeOf' | 'has' | 'revoked';
const TRAPS: readonly Trap[] = ['get', 'ownKeys', 'getOwnPropertyDescriptor', 'getPrototypeOf', 'has', 'revoked'];

/** A proxy of `target` whose `trap` throws from its `after`-th call on (0 = always), or a revoked one. */
function hostile(target: object, trap: Trap, after = 0): object {
  if (trap === 'revoked') {
    const r = Proxy.revocable(target, {});
    r.revoke();
    return r.proxy;
  }
  let calls = 0;
  const handler: ProxyHandler<object> = {
    [trap]: (...args: unknown[]) => {
      if (calls++ >= after) throw new TypeError(`hostile ${trap} trap`);
      return (Reflect[trap] as (...a: unknown[]) => unknown)(...args);
    },
  };
  return new Proxy(target, handler);
}

/** A valid options object exercising every option, with arrays and nested maps. */
function validOptions(strategy: 'nodeLabel' | 'placementGroup' | 'nodeAffinity'): Record<string, unknown> {
  const strategies = {
    nodeLabel: {
      type: 'nodeLabel',
      hard: { zone: { operator: 'in', values: ['a', 'b'] } },
      soft: { tier: { operator: 'exists' } },
    },
    placementGroup: { type: 'placementGroup', placementGroup: { id: 'pg-1' }, bundleIndex: 0 },
    nodeAffinity: { type: 'nodeAffinity', nodeId: 'n', soft: true },
  };
  return {
    numCpus: 0.5,
    numGpus: 0.25,
    memory: 1024,
    resources: { licence: 1 },
    acceleratorType: 'H100',
    maxRetries: 2,
    retryExceptions: [HttpError, 'TimeoutError'],
    runtimeEnv: { envVars: { A: '1' }, workingDir: '/w', pip: ['numpy'], config: { nested: [1, { x: null }] } },
    schedulingStrategy: strategies[strategy],
    labelSelector: { zone: 'in(a,b)' },
    name: 'task',
    _metadata: { ns: { list: [1, 2], obj: { a: true } } },
    numReturns: 1,
    enableTaskEvents: true,
  };
}

/** Paths of every object, array and class in {@link validOptions} (the root is []). */
function slots(o: unknown, path: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [path];
  if (Array.isArray(o)) o.forEach((v, i) => typeof v === 'object' && v !== null && out.push(...slots(v, [...path, i])));
  else if (typeof o === 'object' && o !== null) {
    for (const [k, v] of Object.entries(o)) {
      if ((typeof v === 'object' && v !== null) || typeof v === 'function') out.push(...slots(v, [...path, k]));
    }
  }
  return out;
}

/** `root` with the value at `path` replaced by a hostile proxy of it (a fresh copy each time). */
function poisoned(strategy: Parameters<typeof validOptions>[0], path: (string | number)[], trap: Trap, after: number) {
  const root = validOptions(strategy);
  if (path.length === 0) return hostile(root, trap, after);
  let parent: Record<string | number, unknown> = root;
  for (const seg of path.slice(0, -1)) parent = parent[seg] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  parent[last] = hostile(parent[last] as object, trap, after);
  return root;
}

/** Every entry point that validates task options or accounting input. */
const ENTRY_POINTS: [string, (input: unknown) => unknown][] = [
  ['validateTaskOptions', (x) => validateTaskOptions(x)],
  ['validateTaskOptions(.options())', (x) => validateTaskOptions(x, { inOptions: true })],
  ['fromRayOptions', (x) => fromRayOptions(x)],
  ['toRayOptions', (x) => toRayOptions(x as never)],
  ['resolveTaskOptions', (x) => resolveTaskOptions(x as never)],
  ['resourceDemand', (x) => resourceDemand(x as never)],
  ['remote', (x) => remote(() => 1, x as never)],
  ['rf.options', (x) => remote(() => 1).options(x as never)],
  ['merge then validate', (x) => validateTaskOptions(mergeTaskOptions({}, validateTaskOptions(x)))],
  ['validation context', (x) => validateTaskOptions({ numCpus: 1 }, x as never)],
];

function outcome(f: () => unknown): 'ok' | 'rejected' {
  try {
    const out = f();
    JSON.stringify(out); // what was accepted holds no hostile proxy
    return 'ok';
  } catch (e) {
    if (!(e instanceof TaskOptionsError)) throw e; // the test fails on anything else
    expect(e.issues.length).toBeGreaterThan(0);
    return 'rejected';
  }
}

describe('hostile proxies in task options (exhaustive over slots × traps × entry points)', () => {
  for (const strategy of ['nodeLabel', 'placementGroup', 'nodeAffinity'] as const) {
    it(`strategy ${strategy}: every slot, every trap`, () => {
      let rejected = 0;
      for (const path of slots(validOptions(strategy))) {
        for (const trap of TRAPS) {
          for (const [name, entry] of ENTRY_POINTS) {
            const input = poisoned(strategy, path, trap, 0);
            const got = (() => {
              try {
                return outcome(() => entry(input));
              } catch (e) {
                throw new Error(`${name} threw a raw ${String(e)} for a ${trap} proxy at ${JSON.stringify(path)}`, {
                  cause: e,
                });
              }
            })();
            if (got === 'rejected') rejected++;
          }
        }
      }
      expect(rejected).toBeGreaterThan(100); // the proxies are noticed, not silently skipped
    });
  }

  it('a revoked proxy or throwing array anywhere is an issue at its own path', () => {
    const e = (() => {
      try {
        validateTaskOptions(poisoned('nodeLabel', ['schedulingStrategy', 'hard', 'zone', 'values'], 'get', 0));
      } catch (err) {
        return err as TaskOptionsError;
      }
      throw new Error('expected a rejection');
    })();
    expect(e).toBeInstanceOf(TaskOptionsError);
    expect(e.issues[0]!.path).toEqual(['schedulingStrategy', 'hard', 'zone', 'values']);
    const r = (() => {
      try {
        validateTaskOptions({ retryExceptions: hostile([HttpError], 'revoked') });
      } catch (err) {
        return err as TaskOptionsError;
      }
      throw new Error('expected a rejection');
    })();
    expect(r.issues[0]).toMatchObject({ path: ['retryExceptions'], code: 'invalid_type' });
    expect(r.issues[0]!.message).toContain('revoked proxy');
  });
});

describe('hostile proxies whose traps throw late (fast-check)', { timeout: 120_000 }, () => {
  const strategies = fc.constantFrom('nodeLabel', 'placementGroup', 'nodeAffinity' as const);
  it('only TaskOptionsError escapes, whichever call of a trap throws', () => {
    fc.assert(
      fc.property(
        strategies,
        fc.nat(200),
        fc.constantFrom(...TRAPS),
        fc.nat(6),
        fc.nat(ENTRY_POINTS.length - 1),
        (strategy, slot, trap, after, entry) => {
          const all = slots(validOptions(strategy));
          const path = all[slot % all.length]!;
          outcome(() => ENTRY_POINTS[entry]![1](poisoned(strategy, path, trap, after)));
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('hostile proxies in accounting input', () => {
  const node = () => new Cluster().addNode(new NodeResources({ CPU: 4, GPU: 2 }, { nodeId: 'n', labels: { z: 'a' } }));
  const cases: [string, (p: (t: object) => object) => unknown][] = [
    ['NodeResources total', (p) => new NodeResources(p({ CPU: 1 }) as never)],
    ['NodeResources options', (p) => new NodeResources({ CPU: 1 }, p({ nodeId: 'x' }))],
    ['NodeResources labels', (p) => new NodeResources({ CPU: 1 }, { labels: p({ a: 'b' }) as never })],
    ['NodeResources visibleDevices', (p) => new NodeResources({ GPU: 1 }, { visibleDevices: p(['0']) as never })],
    ['compileDemand', (p) => compileDemand(p({ CPU: 1 }) as never)],
    ['createPlacementGroup options', (p) => node().createPlacementGroup(p({ bundles: [{ CPU: 1 }] }) as never)],
    ['createPlacementGroup bundles', (p) => node().createPlacementGroup({ bundles: p([{ CPU: 1 }]) as never })],
    ['createPlacementGroup bundle', (p) => node().createPlacementGroup({ bundles: [p({ CPU: 1 }) as never] })],
    ['schedule demand', (p) => node().schedule(p({ CPU: 1 }) as never)],
    ['schedule strategy', (p) => node().schedule({ CPU: 1 }, p({ type: 'nodeAffinity', nodeId: 'n' }) as never)],
    [
      'schedule nodeLabel values',
      (p) =>
        node().schedule({ CPU: 1 }, { type: 'nodeLabel', hard: { z: { operator: 'in', values: p(['a']) } } } as never),
    ],
    ['schedule options', (p) => node().schedule({ CPU: 1 }, 'DEFAULT', p({ labelSelector: { z: 'a' } }))],
    [
      'schedule labelSelector',
      (p) => node().schedule({ CPU: 1 }, 'DEFAULT', { labelSelector: p({ z: 'a' }) as never }),
    ],
    ['removePlacementGroup', (p) => node().removePlacementGroup(p({ id: 'pg-1' }) as never)],
  ];
  it.each(cases)('%s', (_name, run) => {
    for (const trap of TRAPS) {
      for (const after of [0, 1, 2, 3]) {
        try {
          run((t) => hostile(t, trap, after));
        } catch (e) {
          // removePlacementGroup of an unknown group is a ClusterError by contract.
          if (_name === 'removePlacementGroup' && (e as Error).name === 'ClusterError') continue;
          if (!(e instanceof TaskOptionsError))
            throw new Error(`${trap} (after ${after}): raw ${String(e)}`, { cause: e });
        }
      }
    }
  });

  it('retry matching stays total with hostile errors', () => {
    for (const trap of TRAPS)
      expect(matchesRetryExceptions([HttpError], hostile(new HttpError(), trap))).toBeTypeOf('boolean');
  });
});
