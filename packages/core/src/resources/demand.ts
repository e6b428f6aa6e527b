import { TaskOptionsError, formatPath, type TaskOptionsIssue } from '../errors.js';
import { readMap, type Path } from '../input.js';
import { RESOURCE_UNIT_SCALING, quantityToUnits, scaleOf } from './fixed-point.js';

/**
 * Resources modelled as a set of devices of capacity 1 each (Ray's unit-instance resources):
 * a node with `GPU: 4` has GPUs 0–3; whole requests take distinct free devices, fractional
 * requests (< 1) share one device.
 */
export const UNIT_INSTANCE_RESOURCES: ReadonlySet<string> = new Set([
  'GPU',
  'neuron_cores',
  'TPU',
  'NPU',
  'HPU',
  'RBLN',
  'FURIOSA',
  'TTNPU',
  'MBLT',
]);

/** Keys rejected in every resource map and label map (prototype pollution). @internal */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** A resource demand: resource name → quantity (zero entries are ignored). */
export type ResourceDemand = Readonly<Record<string, number>>;

const U = RESOURCE_UNIT_SCALING;

/**
 * A validated demand in integer units, ready to be allocated many times without re-parsing.
 * Build one with {@link compileDemand}; every `tryAllocate`/`schedule` accepts it in place
 * of a plain demand.
 */
export class ResourceRequest {
  readonly #brand = true;
  /** Non-zero resource names, in the order written. */
  readonly keys: readonly string[];
  /** Units per key (bytes for `memory`/`object_store_memory`, 1/10000 otherwise). @internal */
  readonly _units: readonly number[];
  /** @internal fast fields for the predefined resources (units; 0 when absent) */
  readonly _cpu: number;
  /** @internal */ readonly _gpu: number;
  /** @internal */ readonly _mem: number;
  /** @internal */ readonly _osm: number;
  /** @internal names other than CPU/GPU/memory/object_store_memory */
  readonly _customKeys: readonly string[];
  /** @internal */ readonly _customUnits: readonly number[];
  /** The demand as plain quantities (zero entries dropped). */
  readonly resources: Readonly<Record<string, number>>;

  /** @internal Whether `v` was built by this class (a proxy or look-alike is not; never throws). */
  static _is(v: unknown): v is ResourceRequest {
    try {
      return v instanceof ResourceRequest && #brand in v; // instanceof first: cheap for plain objects
    } catch {
      return false; // a proxy whose getPrototypeOf trap throws
    }
  }

  /** @internal use {@link compileDemand} */
  constructor(keys: string[], units: number[], resources: Record<string, number>) {
    this.keys = keys;
    this._units = units;
    let cpu = 0;
    let gpu = 0;
    let mem = 0;
    let osm = 0;
    const ck: string[] = [];
    const cu: number[] = [];
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      const u = units[i]!;
      if (k === 'CPU') cpu = u;
      else if (k === 'GPU') gpu = u;
      else if (k === 'memory') mem = u;
      else if (k === 'object_store_memory') osm = u;
      else {
        ck.push(k);
        cu.push(u);
      }
    }
    this._cpu = cpu;
    this._gpu = gpu;
    this._mem = mem;
    this._osm = osm;
    this._customKeys = ck;
    this._customUnits = cu;
    this.resources = Object.freeze(resources);
    Object.freeze(this);
  }
}

/** A request from keys and their units (non-zero), with its plain quantities. @internal */
export function requestFromUnits(keys: string[], units: number[]): ResourceRequest {
  const resources: Record<string, number> = {};
  for (let i = 0; i < keys.length; i++) resources[keys[i]!] = units[i]! / scaleOf(keys[i]!);
  return new ResourceRequest(keys, units, resources);
}

/**
 * Validates a demand and converts it to integer units once. Each quantity is read once (own
 * keys only) and rounded to the resource precision (`toUnits`'s rule): the request's
 * `resources` hold the rounded quantities.
 * @param root path prefix used in error paths (default `'demand'`).
 * @throws TaskOptionsError (`invalid_type` / `invalid_value`, path `[root, key]`) for a
 *   non-object demand, more than `INPUT_LIMITS.maxKeys` keys, a non-number, non-finite,
 *   negative or too large quantity, one that rounds to 0, a forbidden key, or a fractional
 *   quantity above 1 of a unit-instance resource (e.g. `GPU: 1.5`).
 */
export function compileDemand(demand: ResourceDemand | ResourceRequest, root: string = 'demand'): ResourceRequest {
  if (ResourceRequest._is(demand)) return demand;
  const path = [root];
  return compileMap(readMap(demand, path, 'an object of resource quantities'), path);
}

/** {@link compileDemand} of a map already read from user input (`readMap`); errors at `[...path, key]`. @internal */
export function compileMap(
  map: { readonly keys: readonly string[]; readonly values: readonly unknown[] },
  path: Path,
): ResourceRequest {
  const keys: string[] = [];
  const units: number[] = [];
  const resources: Record<string, number> = {};
  let issues: TaskOptionsIssue[] | undefined;
  for (let i = 0; i < map.keys.length; i++) {
    const k = map.keys[i]!;
    const q = map.values[i];
    if (q === 0) continue;
    const scale = scaleOf(k);
    const u = quantityToUnits(q, scale);
    let problem: string | undefined;
    let code: 'invalid_type' | 'invalid_value' = 'invalid_value';
    if (FORBIDDEN_KEYS.has(k)) problem = 'is a forbidden resource name';
    else if (typeof u === 'string') {
      problem = u;
      if (typeof q !== 'number') code = 'invalid_type';
    } else if (u > U && u % U !== 0 && UNIT_INSTANCE_RESOURCES.has(k)) {
      problem = `must be below 1 or a whole number (${k} is a unit-instance resource: fractions share one device), got ${String(q)}`;
    }
    if (problem !== undefined) {
      (issues ??= []).push({ path: [...path, k], code, message: `${formatPath([...path, k])} ${problem}` });
      continue;
    }
    if (u === 0) continue;
    keys.push(k);
    units.push(u as number);
    resources[k] = (u as number) / scale;
  }
  if (issues !== undefined) throw new TaskOptionsError(issues);
  return new ResourceRequest(keys, units, resources);
}
