import type { ResourceRequest } from './demand.js';
import { RESOURCE_UNIT_SCALING } from './fixed-point.js';
import type { NodeResources, ResourceLedger } from './node-resources.js';

const U = RESOURCE_UNIT_SCALING;

/** Field offsets within a row of {@link Columns.d}. @internal */
export const CPU_FREE = 0;
export const MEM_FREE = 1;
export const OSM_FREE = 2;
/** GPU devices completely free */
export const GPU_FULL = 3;
/** largest free share of one GPU device (units) */
export const GPU_MAX = 4;
/** 1 / total (0 when the total is 0): scores multiply instead of dividing */
export const CPU_INV = 5;
export const MEM_INV = 6;
export const OSM_INV = 7;
export const CPU_TOT = 8;
export const MEM_TOT = 9;
export const OSM_TOT = 10;
/** GPU devices in total */
export const GPU_TOT = 11;
/** Row width. */
export const STRIDE = 12;

/**
 * Row-major store of the predefined resources of every node of a cluster (row = node, in the
 * order added), kept in sync by the nodes on every allocation and release. The scheduler scans
 * this one Float64Array instead of chasing node objects, so a 10,000-node scan stays within
 * tens of µs.
 * @internal
 */
export class Columns {
  n = 0;
  d = new Float64Array(16 * STRIDE);

  /** Appends a row for `node` and wires the node to keep it in sync. */
  add(node: NodeResources): void {
    if ((this.n + 1) * STRIDE > this.d.length) {
      const b = new Float64Array(this.d.length * 2);
      b.set(this.d);
      this.d = b;
    }
    const i = this.n++;
    node._sink = this;
    node._sinkIndex = i;
    const t = node._total;
    const d = this.d;
    const o = i * STRIDE;
    d[o + CPU_TOT] = t[0]!;
    d[o + MEM_TOT] = t[2]!;
    d[o + OSM_TOT] = t[3]!;
    d[o + GPU_TOT] = node._inst[1]!.length;
    d[o + CPU_INV] = t[0]! > 0 ? 1 / t[0]! : 0;
    d[o + MEM_INV] = t[2]! > 0 ? 1 / t[2]! : 0;
    d[o + OSM_INV] = t[3]! > 0 ? 1 / t[3]! : 0;
    this.sync(i, node);
  }

  /** Rebuilds every row (after a node was removed). */
  rebuild(nodes: readonly NodeResources[]): void {
    this.n = 0;
    for (const node of nodes) this.add(node);
  }

  sync(i: number, l: ResourceLedger): void {
    const a = l._avail;
    const d = this.d;
    const o = i * STRIDE;
    d[o + CPU_FREE] = a[0]!;
    d[o + MEM_FREE] = a[2]!;
    d[o + OSM_FREE] = a[3]!;
    const g = l._inst[1]!;
    let full = 0;
    let max = 0;
    for (let j = 0; j < g.length; j++) {
      const v = g[j]!;
      if (v === U) full++;
      if (v > max) max = v;
    }
    d[o + GPU_FULL] = full;
    d[o + GPU_MAX] = max;
  }

  /** Whether the predefined part of req fits row i now. */
  fits(i: number, req: ResourceRequest): boolean {
    const d = this.d;
    const o = i * STRIDE;
    if (d[o + CPU_FREE]! < req._cpu || d[o + MEM_FREE]! < req._mem || d[o + OSM_FREE]! < req._osm) return false;
    const g = req._gpu;
    if (g === 0) return true;
    return g >= U ? d[o + GPU_FULL]! * U >= g : d[o + GPU_MAX]! >= g;
  }

  /** Whether the predefined part of req could ever fit row i (idle node). */
  feasible(i: number, req: ResourceRequest): boolean {
    const d = this.d;
    const o = i * STRIDE;
    if (d[o + CPU_TOT]! < req._cpu || d[o + MEM_TOT]! < req._mem || d[o + OSM_TOT]! < req._osm) return false;
    const g = req._gpu;
    if (g === 0) return true;
    return g >= U ? d[o + GPU_TOT]! * U >= g : d[o + GPU_TOT]! > 0;
  }

  /** Whether row i has GPUs. */
  isGpu(i: number): boolean {
    return this.d[i * STRIDE + GPU_TOT]! > 0;
  }

  /**
   * Ray's hybrid score after placing req on row i: critical utilisation (used / total) over CPU,
   * memory and object store; resources with total 0 are ignored (their inverse is 0).
   */
  utilisationAfter(i: number, req: ResourceRequest): number {
    const d = this.d;
    const o = i * STRIDE;
    let s = (d[o + CPU_TOT]! - d[o + CPU_FREE]! + req._cpu) * d[o + CPU_INV]!;
    const m = (d[o + MEM_TOT]! - d[o + MEM_FREE]! + req._mem) * d[o + MEM_INV]!;
    if (m > s) s = m;
    const x = (d[o + OSM_TOT]! - d[o + OSM_FREE]! + req._osm) * d[o + OSM_INV]!;
    if (x > s) s = x;
    return s;
  }
}
