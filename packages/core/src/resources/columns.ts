import type { ResourceRequest } from './demand.js';
import { RESOURCE_UNIT_SCALING } from './fixed-point.js';
import type { ResourceLedger } from './ledger.js';
import type { NodeResources } from './node-resources.js';

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
/** Utilisation buckets of the DEFAULT index (bucket b holds rows with b/NB ≤ u0 < (b+1)/NB). */
const NB = 64;

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
  /** Current critical utilisation (before placement) per row. */
  u0 = new Float64Array(16);
  /** Per row: its utilisation bucket, floor(u0 × NB) (-1 before the first sync). */
  bucketOf = new Int32Array(16).fill(-1);
  /** Per class (0 = no GPU, 1 = GPU) and bucket: bitset of the rows in it, and how many. */
  bucketBits: Uint32Array[][] = [
    Array.from({ length: NB }, () => new Uint32Array(1)),
    Array.from({ length: NB }, () => new Uint32Array(1)),
  ];
  bucketCount: Int32Array[] = [new Int32Array(NB), new Int32Array(NB)];
  /** Per class: bitset of rows with u0 < 0.5 (only these can score 0 after placement). */
  low: Uint32Array[] = [new Uint32Array(1), new Uint32Array(1)];
  /** Custom resource name → bitset of the rows whose node has it. */
  masks = new Map<string, Uint32Array>();
  /** The nodes, by row. */
  nodes: NodeResources[] = [];

  /** Appends a row for `node` and wires the node to keep it in sync. */
  add(node: NodeResources): void {
    if ((this.n + 1) * STRIDE > this.d.length) this.#grow(this.u0.length * 2);
    const i = this.n++;
    this.nodes[i] = node;
    for (let s = 4; s < node._names.length; s++) {
      if (node._total[s] === 0) continue;
      const name = node._names[s]!;
      let m = this.masks.get(name);
      if (m === undefined) this.masks.set(name, (m = new Uint32Array(this.low[0]!.length)));
      m[i >>> 5]! |= 1 << (i & 31);
    }
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
    this.bucketOf[i] = -1;
    this.sync(i, node);
  }

  /** Rebuilds every row (after a node was removed). */
  rebuild(nodes: readonly NodeResources[]): void {
    this.n = 0;
    this.nodes.length = 0;
    this.masks.clear();
    for (const cls of this.bucketBits) for (const b of cls) b.fill(0);
    for (const c of this.bucketCount) c.fill(0);
    for (const l of this.low) l.fill(0);
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
    // index: current critical utilisation → low bitset and bucket
    let u = (d[o + CPU_TOT]! - a[0]!) * d[o + CPU_INV]!;
    const um = (d[o + MEM_TOT]! - a[2]!) * d[o + MEM_INV]!;
    if (um > u) u = um;
    const uo = (d[o + OSM_TOT]! - a[3]!) * d[o + OSM_INV]!;
    if (uo > u) u = uo;
    this.u0[i] = u;
    const cls = d[o + GPU_TOT]! > 0 ? 1 : 0;
    const low = this.low[cls]!;
    if (u < 0.5) low[i >>> 5]! |= 1 << (i & 31);
    else low[i >>> 5]! &= ~(1 << (i & 31));
    let b = Math.floor(u * NB);
    if (b >= NB) b = NB - 1;
    else if (b < 0) b = 0;
    const cur = this.bucketOf[i]!;
    if (cur !== b) {
      const bits = this.bucketBits[cls]!;
      const count = this.bucketCount[cls]!;
      if (cur >= 0) {
        bits[cur]![i >>> 5]! &= ~(1 << (i & 31));
        count[cur]!--;
      }
      bits[b]![i >>> 5]! |= 1 << (i & 31);
      count[b]!++;
      this.bucketOf[i] = b;
    }
  }

  /**
   * DEFAULT (hybrid) choice among the rows of one class (0 = no GPU, 1 = GPU) for a request made
   * only of predefined resources. Pack: the lowest-index row where the task fits and utilisation
   * after placement stays below 0.5 (rank -1). Else spread: among rows where it fits, the lowest
   * utilisation bucket (rank = floor(u0 × 64), u0 = current critical utilisation), ties to the
   * lowest index. Sets {@link lastRank}; returns the row, or -1 when no row of the class fits now.
   * Cost: a walk over bitsets, independent of the number of rows in the common case.
   */
  bestHybrid(cls: number, req: ResourceRequest): number {
    // Custom resources: only rows whose node has every one of them (bitset masks), checked in full.
    const ck = req._customKeys;
    let mask: Uint32Array | null = null;
    if (ck.length > 0) {
      for (const k of ck) {
        const m = this.masks.get(k);
        if (m === undefined) return -1;
        if (mask === null) mask = m;
        else {
          const x: Uint32Array = new Uint32Array(mask.length);
          for (let w = 0; w < x.length; w++) x[w] = mask[w]! & m[w]!;
          mask = x;
        }
      }
    }
    const nodes = this.nodes;
    const d = this.d;
    const rc = req._cpu;
    const rm = req._mem;
    const ro = req._osm;
    const rg = req._gpu;
    const whole = rg >= U;
    const words = (this.n + 31) >>> 5;
    const low = this.low[cls]!;
    for (let w = 0; w < words; w++) {
      let bits = mask === null ? low[w]! : low[w]! & mask[w]!;
      while (bits !== 0) {
        const t = bits & -bits;
        const i = (w << 5) + 31 - Math.clz32(t);
        bits ^= t;
        const o = i * 12; // STRIDE; offsets as in the field constants above
        const cf = d[o]!;
        const mf = d[o + 1]!;
        const of = d[o + 2]!;
        if (cf < rc || mf < rm || of < ro) continue;
        if (rg > 0 && (whole ? d[o + 3]! * U < rg : d[o + 4]! < rg)) continue;
        if (mask !== null && !nodes[i]!._fits(req)) continue;
        let s = (d[o + 8]! - cf + rc) * d[o + 5]!;
        const sm = (d[o + 9]! - mf + rm) * d[o + 6]!;
        if (sm > s) s = sm;
        const so = (d[o + 10]! - of + ro) * d[o + 7]!;
        if (so > s) s = so;
        if (s < 0.5) {
          this.lastRank = -1;
          return i;
        }
      }
    }
    const count = this.bucketCount[cls]!;
    const all = this.bucketBits[cls]!;
    for (let b = 0; b < NB; b++) {
      if (count[b] === 0) continue;
      const bucket = all[b]!;
      for (let w = 0; w < words; w++) {
        let bits = mask === null ? bucket[w]! : bucket[w]! & mask[w]!;
        while (bits !== 0) {
          const t = bits & -bits;
          const i = (w << 5) + 31 - Math.clz32(t);
          bits ^= t;
          const o = i * 12;
          if (d[o]! < rc || d[o + 1]! < rm || d[o + 2]! < ro) continue;
          if (rg > 0 && (whole ? d[o + 3]! * U < rg : d[o + 4]! < rg)) continue;
          if (mask !== null && !nodes[i]!._fits(req)) continue;
          this.lastRank = b;
          return i;
        }
      }
    }
    return -1;
  }

  /** Rank of the row returned by the last {@link bestHybrid}: -1 (packs, score 0) or its utilisation bucket. */
  lastRank = 0;

  /** Rank of row i for a request (as {@link bestHybrid} ranks rows): -1 when it packs below 0.5, else its bucket. */
  rank(i: number, req: ResourceRequest): number {
    return this.utilisationAfter(i, req) < 0.5 ? -1 : this.bucketOf[i]!;
  }

  #grow(rows: number): void {
    const d = new Float64Array(rows * STRIDE);
    d.set(this.d);
    this.d = d;
    const u0 = new Float64Array(rows);
    u0.set(this.u0);
    this.u0 = u0;
    const bo = new Int32Array(rows).fill(-1);
    bo.set(this.bucketOf);
    this.bucketOf = bo;
    const words = (rows + 31) >>> 5;
    const widen = (l: Uint32Array) => {
      const x = new Uint32Array(words);
      x.set(l);
      return x;
    };
    this.low = this.low.map(widen);
    this.bucketBits = this.bucketBits.map((cls) => cls.map(widen));
    for (const [k, m] of this.masks) this.masks.set(k, widen(m));
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
