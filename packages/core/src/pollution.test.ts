// Issue 10 (core half): other code polluting Object.prototype (`Object.prototype.x = 1`,
// `Object.prototype.CPU = 5`, …) must not change what core computes. The same scenario runs
// clean and polluted; the answers must be the same.
import { describe, expect, it } from 'vitest';
import { TaskOptionsError } from './errors.js';
import { mergeRuntimeEnv, taskEnvVars } from './options/runtime-env.js';
import { mergeTaskOptions, resolveTaskOptions, resourceDemand } from './options/merge.js';
import { fromRayOptions, toRayOptions } from './options/ray.js';
import { remote } from './options/remote.js';
import { matchesRetryExceptions } from './options/retry.js';
import { validateTaskOptions } from './options/validate.js';
import { Cluster } from './resources/cluster.js';
import { compileDemand } from './resources/demand.js';
import { NodeResources } from './resources/node-resources.js';
import { parseResourcesEnv } from './node/detect.js';

/** Keys other code might set on Object.prototype: resource names, option names, and fields core reads. */
const POLLUTION: Record<string, unknown> = {
  x: 1,
  CPU: 5,
  GPU: 1,
  memory: 7,
  licence: 3,
  numCpus: 9,
  numGpus: 1,
  maxCalls: 4,
  maxRetries: 8,
  resources: { GPU: 2 },
  runtimeEnv: { envVars: { POLLUTED: '1' } },
  envVars: { POLLUTED: '1' },
  retryExceptions: true,
  schedulingStrategy: 'SPREAD',
  labelSelector: { zone: 'b' },
  acceleratorType: 'POLLUTED',
  _metadata: { ns: { polluted: true } },
  type: 'nodeAffinity',
  nodeId: 'polluted',
  soft: true,
  spillOnUnavailable: true,
  failOnUnavailable: true,
  bundleIndex: 3,
  hard: { zone: { operator: 'exists' } },
  operator: 'in',
  values: ['b'],
  placementGroup: { id: 'pg-1' },
  strategy: 'STRICT_SPREAD',
  bundles: [{ CPU: 1 }],
  labels: { zone: 'b' },
  visibleDevices: ['9'],
  preferredNodeId: 'b',
  inOptions: true,
  typeChain: ['Polluted'],
  tooLong: 1,
  items: [],
  timeoutMs: 1,
};

function polluted<T>(f: () => T, pollution: Record<string, unknown> = POLLUTION): T {
  const proto = Object.prototype as Record<string, unknown>;
  for (const [k, v] of Object.entries(pollution)) proto[k] = v;
  try {
    return f();
  } finally {
    for (const k of Object.keys(pollution)) delete proto[k];
  }
}

class HttpError extends Error {}

/** Runs one step; a thrown error becomes data (its class and message). */
function step(f: () => unknown): unknown {
  try {
    return JSON.parse(JSON.stringify(f() ?? null)) as unknown;
  } catch (e) {
    return { threw: e instanceof TaskOptionsError ? 'TaskOptionsError' : String(e), message: (e as Error).message };
  }
}

/** Everything core does, as plain data. */
function scenario(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const options = { numCpus: 0.5, resources: { licence: 1 }, runtimeEnv: { envVars: { A: '1' } } };
  out.validate = step(() => validateTaskOptions(options));
  out.validateEmpty = step(() => validateTaskOptions({}));
  out.validateInOptions = step(() => validateTaskOptions({ maxCalls: 1 }, {}));
  out.merge = step(() => mergeTaskOptions(validateTaskOptions(options), validateTaskOptions({ name: 'n' })));
  out.mergeMetadata = step(() => mergeTaskOptions({ _metadata: { a: { x: 1 } } }, { _metadata: { b: { y: 2 } } }));
  out.resolve = step(() => resolveTaskOptions({}));
  out.resolveGpu = step(() => resolveTaskOptions({ numGpus: 1 }));
  out.demand = step(() => resourceDemand({ numCpus: 0 }));
  out.demand2 = step(() => resourceDemand(options));
  out.ray = step(() => toRayOptions(fromRayOptions({ num_cpus: 2, scheduling_strategy: 'DEFAULT' })));
  out.rayStrategy = step(() =>
    toRayOptions({ schedulingStrategy: { type: 'nodeLabel', hard: { z: { operator: 'exists' } } } }),
  );
  const rf = remote(() => 1, { numGpus: 1 });
  out.remote = step(() => [rf.name, rf.resolvedOptions, rf.options({ numGpus: 0 }).resolvedOptions]);
  out.retry = step(() => [
    matchesRetryExceptions(resolveTaskOptions({ retryExceptions: [HttpError] }).retryExceptions, new TypeError('x')),
    matchesRetryExceptions(['HttpError'], { name: 'Other' }),
  ]);
  out.runtimeEnv = step(() => mergeRuntimeEnv({ workingDir: '/a' }, { workingDir: '/b' }));
  out.taskEnv = step(() => taskEnvVars({ numCpus: 2 }, {}));
  out.compile = step(() => compileDemand({ licence: 1 }).resources);
  out.envResources = step(() => parseResourcesEnv('{"licence": 2}'));

  const a = new NodeResources({ CPU: 4, GPU: 2 }, { nodeId: 'a', labels: { zone: 'a' } });
  const b = new NodeResources({ CPU: 4 }, { nodeId: 'b' });
  out.nodes = step(() => [a.total, a.labels, a.available, b.total, b.labels]);
  const c = new Cluster().addNode(a).addNode(b);
  const t1 = c.schedule({ CPU: 1 });
  const t2 = c.schedule({ GPU: 0.5 });
  out.schedule = step(() => [t1, t2].map((r) => (r.status === 'scheduled' ? [r.nodeId, r.allocation] : r)));
  out.spread = step(() => c.schedule({ CPU: 1 }, 'SPREAD'));
  out.affinity = step(() => c.schedule({ CPU: 1 }, { type: 'nodeAffinity', nodeId: 'b' }));
  out.nodeLabel = step(() =>
    c.schedule({ CPU: 1 }, { type: 'nodeLabel', hard: { zone: { operator: 'doesNotExist' } } }),
  );
  out.selector = step(() => c.schedule({ CPU: 1 }, 'DEFAULT', { labelSelector: { zone: 'a' } }));
  const pg = c.createPlacementGroup({ bundles: [{ CPU: 1 }, { GPU: 1 }] });
  out.pg = step(() => [pg.state, pg.strategy, pg.bundles]);
  out.inPg = step(() => c.schedule({ GPU: 0.5 }, { type: 'placementGroup', placementGroup: pg }));
  out.removePg = step(() => c.removePlacementGroup(pg));
  out.after = step(() => [a.available, b.available, c.placementGroupCount]);
  return out;
}

describe('Object.prototype pollution (issue 10, core half)', () => {
  it("the issue's examples: Object.prototype.x = 1, .CPU = 5, .GPU = 1", () => {
    const clean = scenario();
    expect(polluted(scenario, { x: 1, CPU: 5, GPU: 1 })).toEqual(clean);
  });

  it('validation, merge, resolve, demand, NodeResources, Cluster and placement groups answer as without it', () => {
    const clean = scenario();
    const dirty = polluted(scenario);
    expect(Object.prototype).not.toHaveProperty('CPU'); // restored
    expect(dirty).toEqual(clean);
    // Spot checks that the clean answers are the expected ones.
    expect(clean.validateEmpty).toEqual({});
    expect(clean.demand).toEqual({});
    expect(clean.resolve).toMatchObject({ numCpus: 1, numGpus: 0, maxCalls: 0, resources: {} });
    expect(clean.compile).toEqual({ licence: 1 });
    expect(clean.after).toEqual([{ CPU: 2, GPU: 1.5, 'node:a': 1 }, { CPU: 1, 'node:b': 1 }, 0]);
  });
});
