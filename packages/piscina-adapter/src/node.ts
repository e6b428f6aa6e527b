/**
 * The local node's resources for a pool. Given explicitly, they are the ledger. Otherwise the
 * pool starts at once with a provisional ledger of CPUs only — `TASKFIT_RESOURCES`' `CPU`, else
 * `os.availableParallelism()` — so CPU tasks dispatch from the first `run()`, and
 * `detectNodeResources()` (cgroup limits, memory, GPUs, overrides) replaces it when it ends;
 * tasks that need anything else wait for that.
 */
import { availableParallelism } from 'node:os';
import { RESOURCES_ENV_VAR, detectNodeResources, parseResourcesEnv } from '@taskfit/core/node';
import { Ledger } from './ledger.js';
import type { PoolConfig } from './options.js';

export interface NodeSetup {
  /** The ledger to start with (undefined when the resources cannot be known). */
  readonly ledger: Ledger | undefined;
  /** Why the resources cannot be known: every task fails with it. */
  readonly error?: unknown;
  /** The detected ledger (only when the first one is provisional). */
  readonly detection?: Promise<Ledger>;
}

/**
 * @throws TaskOptionsError when `resources` was given and is not a valid node total.
 */
export function openNode(config: PoolConfig): NodeSetup {
  const base = {
    nodeId: config.nodeId,
    labels: config.labels ?? {},
    acceleratorType: config.acceleratorType,
    visibleDevices: config.visibleDevices,
  };
  if (config.resources !== undefined) return { ledger: new Ledger(config.resources, base) };
  let ledger: Ledger;
  try {
    const cpu = parseResourcesEnv(process.env[RESOURCES_ENV_VAR]).CPU ?? availableParallelism();
    ledger = new Ledger({ CPU: cpu }, { ...base, provisional: true });
  } catch (error) {
    return { ledger: undefined, error };
  }
  const detection = detectNodeResources({
    nodeId: config.nodeId,
    ...(config.labels !== undefined ? { labels: config.labels } : {}),
    ...(config.acceleratorType !== undefined ? { acceleratorType: config.acceleratorType } : {}),
  }).then(
    (d) =>
      new Ledger(d.resources, {
        nodeId: config.nodeId,
        labels: d.labels,
        acceleratorType: d.acceleratorType,
        visibleDevices: config.visibleDevices ?? d.nodeOptions.visibleDevices,
      }),
  );
  return { ledger, detection };
}
