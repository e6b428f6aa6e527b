/**
 * Which resource classes a machine serves: the declared (or default) classes as demands, the
 * untyped variant of each typed GPU class, and the classes this node can never fit (skipped).
 */
import { TaskOptionsError, resourceDemand, validateTaskOptions } from '@taskfit/core';
import type { NodeResources, TaskOptions } from '@taskfit/core';
import { resourceClassKey } from '../shared/naming.js';

type Demand = Readonly<Record<string, number>>;

/** The classes a machine serves, by `resourceClassKey`, in order; and those it skips. */
export interface ClassSelection {
  readonly demands: ReadonlyMap<string, Demand>;
  readonly skipped: readonly { demand: Demand; reason: string }[];
}

const ACCELERATOR_PREFIX = 'accelerator_type:';

/**
 * The default classes: 1 CPU (`{}`), and on a machine with a whole GPU also `{ numGpus: 1 }`
 * typed with the machine's accelerator type when it has one.
 */
export function defaultClasses(node: NodeResources): TaskOptions[] {
  if ((node.total['GPU'] ?? 0) < 1) return [{}];
  return [
    {},
    node.acceleratorType !== undefined ? { numGpus: 1, acceleratorType: node.acceleratorType } : { numGpus: 1 },
  ];
}

/** `demand` without its accelerator-type entries, or `undefined` when it has none or no GPU. */
function untypedVariant(demand: Demand): Demand | undefined {
  const keys = Object.keys(demand);
  if ((demand['GPU'] ?? 0) <= 0 || !keys.some((k) => k.startsWith(ACCELERATOR_PREFIX))) return undefined;
  const out: Record<string, number> = {};
  for (const k of keys) if (!k.startsWith(ACCELERATOR_PREFIX)) out[k] = demand[k]!;
  return out;
}

/**
 * Resolves the classes to serve. Each class is validated as task options; an invalid one throws
 * the `TaskOptionsError` with every issue's path under `['classes', i]`. With `untyped`, a typed
 * GPU class (`{ numGpus: 1, acceleratorType: 'H100' }`) brings its untyped variant
 * (`{ numGpus: 1 }`) just before it, as Ray runs an untyped GPU task on any GPU node.
 */
export function selectClasses(declared: readonly TaskOptions[], node: NodeResources, untyped: boolean): ClassSelection {
  const demands = new Map<string, Demand>();
  const skipped: { demand: Demand; reason: string }[] = [];
  const serve = (demand: Demand): void => {
    const reason = node.canEverFit(demand);
    if (reason !== null) skipped.push({ demand, reason });
    else demands.set(resourceClassKey(demand), demand);
  };
  const issues: TaskOptionsError['issues'][number][] = [];
  const valid: Demand[] = [];
  for (const [i, c] of declared.entries()) {
    try {
      valid.push(resourceDemand(validateTaskOptions(c)));
    } catch (err) {
      if (!(err instanceof TaskOptionsError)) throw err;
      for (const issue of err.issues)
        issues.push({ ...issue, path: ['classes', i, ...issue.path], message: `classes[${i}]: ${issue.message}` });
    }
  }
  if (issues.length > 0) throw new TaskOptionsError(issues);
  const declaredKeys = new Set(valid.map((d) => resourceClassKey(d)));
  for (const demand of valid) {
    const plain = untyped ? untypedVariant(demand) : undefined;
    if (plain !== undefined && !declaredKeys.has(resourceClassKey(plain)) && node.canEverFit(demand) === null)
      serve(plain);
    serve(demand);
  }
  return { demands, skipped };
}
