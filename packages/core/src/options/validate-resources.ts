// Quantities (numCpus, numGpus, memory) and the resources map: finite, ≥ 0, rounded to the resource
// precision, within what the accounting holds, with Ray's unit-instance and accelerator rules and
// its reserved resource names.
import { hasOwn } from '../input.js';
import { UNIT_INSTANCE_RESOURCES } from '../resources/demand.js';
import { RESOURCE_UNIT_SCALING, maxQuantity, unitsOf } from '../resources/fixed-point.js';
import type { Issues, Namer, Path } from './internal.js';
import { describe, orList, read } from './internal.js';
import { mustBe, userMap } from './validate-common.js';

/** Keys of `resources` that taskfit reserves, with the option to use instead. */
const RESERVED_RESOURCES: Readonly<Record<string, (n: Namer) => string>> = {
  CPU: (n) => `use ${n.p(['numCpus'])} instead`,
  GPU: (n) => `use ${n.p(['numGpus'])} instead`,
  memory: (n) => `use ${n.p(['memory'])} instead`,
  object_store_memory: () => 'Ray reserves object_store_memory for actors; tasks cannot reserve it',
  bundle: () => 'it is reserved for placement-group bundles',
};
const ACCELERATOR_PREFIX = 'accelerator_type:';

/** Ray's TPU chip configurations (`TPU_VALID_CHIP_OPTIONS`). */
const TPU_CHIPS: readonly number[] = [1, 2, 4, 8];
/** Accelerators whose cores Ray never shares between tasks (their managers reject fractions). */
const WHOLE_ONLY: ReadonlySet<string> = new Set(['neuron_cores', 'HPU']);

/**
 * A resource quantity: finite, ≥ 0, at most what the accounting holds exactly, and rounded to the
 * resource precision (the nearest 0.0001, or whole bytes rounded down at `scale` 1; see
 * `unitsOf`), so `1 / 3` is kept as 0.3333. Only a non-zero value that rounds to 0 is rejected.
 * `resource` names a unit-instance resource (`GPU`, `TPU`, `neuron_cores`, …) whose rules apply
 * to the rounded value.
 */
export function quantity(path: Path, v: unknown, issues: Issues, scale: number, resource?: string): number | undefined {
  const rule = 'a finite number ≥ 0';
  const u = unitsOf(v, scale);
  switch (u) {
    case 'not_number':
      mustBe(issues, path, 'invalid_type', rule, v);
      return undefined;
    case 'not_finite':
    case 'negative':
      mustBe(issues, path, 'invalid_value', rule, v);
      return undefined;
    case 'too_large':
      issues.add(
        path,
        'invalid_value',
        (n) =>
          `${n.p(path)} must be at most ${maxQuantity(scale)}${scale === 1 ? ' bytes' : ''}, the largest quantity the accounting holds exactly (got ${describe(v)})`,
      );
      return undefined;
    case 'rounds_to_zero':
      issues.add(path, 'invalid_value', (n) =>
        scale === 1
          ? `${n.p(path)} must be 0 or at least 1 byte: memory is counted in whole bytes (got ${describe(v)})`
          : `${n.p(path)} must be 0 or at least 0.0001, the finest resource precision (got ${describe(v)})`,
      );
      return undefined;
  }
  const q = u / scale;
  if (resource === undefined || !UNIT_INSTANCE_RESOURCES.has(resource)) return q;
  const broken =
    resource === 'TPU' && q !== 0 && !TPU_CHIPS.includes(q)
      ? `must be ${orList(TPU_CHIPS.map(String))}: the TPU chip configurations Ray supports`
      : WHOLE_ONLY.has(resource) && !Number.isInteger(q)
        ? `must be a whole number: ${resource} cannot be shared between tasks`
        : q > 1 && !Number.isInteger(q)
          ? 'must be a whole number when greater than 1: only requests below 1 can share one instance'
          : undefined;
  if (broken === undefined) return q;
  issues.add(path, 'invalid_value', (n) => `${n.p(path)} ${broken} (got ${describe(v)})`);
  return undefined;
}

/** `resources`: custom resource name → quantity, reserved names rejected. */
export function resources(v: unknown, issues: Issues): Record<string, number> | undefined {
  return userMap(['resources'], v, issues, 'an object of resource name → quantity', 'resource names', (k, p, obj) => {
    const reserved = hasOwn(RESERVED_RESOURCES, k) ? RESERVED_RESOURCES[k] : undefined;
    if (reserved !== undefined) {
      issues.add(
        p,
        'invalid_value',
        (n) => `${n.p(p)}: ${JSON.stringify(k)} is a reserved resource name; ${reserved(n)}`,
      );
      return undefined;
    }
    if (k.startsWith(ACCELERATOR_PREFIX)) {
      issues.add(
        p,
        'invalid_value',
        (n) =>
          `${n.p(p)}: resource names starting with "${ACCELERATOR_PREFIX}" are reserved; use ${n.p(['acceleratorType'])} instead`,
      );
      return undefined;
    }
    return quantity(p, read(obj, k), issues, RESOURCE_UNIT_SCALING, k);
  });
}
