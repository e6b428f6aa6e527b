/**
 * The pool's view of the local node's resources: a thin seam over `@taskfit/core`'s
 * accounting, so the pool's admission logic does not depend on the ledger's internals.
 * TEMPORARY local implementation until core's NodeResources/Cluster land; same contract.
 */
import type { SchedulingStrategy } from '@taskfit/core';

const U = 10_000;
const GPU_LIKE = new Set(['GPU', 'neuron_cores', 'TPU', 'NPU', 'HPU']);

export interface LedgerAllocation {
  readonly nodeId: string;
  readonly resources: Readonly<Record<string, number>>;
  readonly gpuIds: readonly number[];
  /** @internal */ readonly units: ReadonlyMap<string, number>;
  /** @internal */ readonly instances: readonly { index: number; units: number }[];
  /** @internal */ released: boolean;
}

export type ScheduleResult =
  | { status: 'scheduled'; allocation: LedgerAllocation }
  | { status: 'waiting' }
  | { status: 'infeasible'; reason: string };

export interface LedgerOptions {
  nodeId: string;
  labels: Record<string, string>;
}

const toU = (q: number, k: string): number => (k === 'memory' ? Math.floor(q) : Math.round(q * U));
const fromU = (u: number, k: string): number => (k === 'memory' ? u : u / U);

/** One node's resources. */
export class Ledger {
  readonly nodeId: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly #total = new Map<string, number>();
  readonly #avail = new Map<string, number>();
  /** Used units of each GPU instance. */
  readonly #gpu: number[];

  constructor(total: Record<string, number>, opts: LedgerOptions) {
    this.nodeId = opts.nodeId;
    this.labels = { ...opts.labels };
    for (const [k, v] of Object.entries(total)) {
      if (!Number.isFinite(v) || v < 0) throw new RangeError(`resources.${k} must be a finite number ≥ 0, got ${v}`);
      this.#total.set(k, toU(v, k));
      this.#avail.set(k, toU(v, k));
    }
    this.#gpu = Array.from({ length: Math.floor(total.GPU ?? 0) }, () => 0);
  }

  get total(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, u] of this.#total) out[k] = fromU(u, k);
    return out;
  }

  get available(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, u] of this.#avail) out[k] = fromU(u, k);
    return out;
  }

  /** Whether `demand` fits in what is left after `reserved` is set aside (aggregate check). */
  fitsBeyond(reserved: Readonly<Record<string, number>>, demand: Readonly<Record<string, number>>): boolean {
    for (const k in demand) {
      const need = toU(demand[k]!, k);
      if (need === 0) continue;
      const left = (this.#avail.get(k) ?? 0) - toU(reserved[k] ?? 0, k);
      if (need > left) return false;
    }
    return true;
  }

  schedule(demand: Readonly<Record<string, number>>, strategy: SchedulingStrategy): ScheduleResult {
    if (
      typeof strategy === 'object' &&
      strategy.type === 'nodeAffinity' &&
      strategy.nodeId !== this.nodeId &&
      !strategy.soft
    ) {
      return {
        status: 'infeasible',
        reason: `node affinity: node ${strategy.nodeId} does not exist (this pool is node ${this.nodeId})`,
      };
    }
    if (typeof strategy === 'object' && strategy.type === 'nodeLabel') {
      for (const [k, expr] of Object.entries(strategy.hard)) {
        const v = this.labels[k];
        const ok =
          expr.operator === 'in'
            ? v !== undefined && expr.values.includes(v)
            : expr.operator === 'notIn'
              ? v === undefined || !expr.values.includes(v)
              : expr.operator === 'exists'
                ? v !== undefined
                : v === undefined;
        if (!ok) return { status: 'infeasible', reason: `node label ${k} does not match (node ${this.nodeId})` };
      }
    }
    const units = new Map<string, number>();
    for (const k in demand) {
      const need = toU(demand[k]!, k);
      if (need === 0) continue;
      const total = this.#total.get(k) ?? 0;
      if (need > total) {
        return {
          status: 'infeasible',
          reason: `demand ${k}: ${demand[k]} exceeds node ${this.nodeId}'s total ${k}: ${fromU(total, k)}`,
        };
      }
      units.set(k, need);
    }
    for (const [k, need] of units) if (need > (this.#avail.get(k) ?? 0)) return { status: 'waiting' };
    let instances: { index: number; units: number }[] = [];
    const g = units.get('GPU') ?? 0;
    if (g > 0) {
      if (g >= U) {
        const n = g / U;
        for (let i = 0; i < this.#gpu.length && instances.length < n; i++)
          if (this.#gpu[i] === 0) instances.push({ index: i, units: U });
        if (instances.length < n) return { status: 'waiting' };
      } else {
        let best = -1;
        for (let i = 0; i < this.#gpu.length; i++) {
          const used = this.#gpu[i]!;
          if (used + g <= U && (best === -1 || used > this.#gpu[best]!)) best = i;
        }
        if (best === -1) return { status: 'waiting' };
        instances = [{ index: best, units: g }];
      }
    }
    for (const [k, need] of units) this.#avail.set(k, this.#avail.get(k)! - need);
    for (const inst of instances) this.#gpu[inst.index]! += inst.units;
    void GPU_LIKE;
    return {
      status: 'scheduled',
      allocation: {
        nodeId: this.nodeId,
        resources: demand,
        gpuIds: instances.map((i) => i.index),
        units,
        instances,
        released: false,
      },
    };
  }

  release(a: LedgerAllocation): void {
    if (a.released) throw new Error('allocation released twice');
    a.released = true;
    for (const [k, u] of a.units) this.#avail.set(k, this.#avail.get(k)! + u);
    for (const inst of a.instances) this.#gpu[inst.index]! -= inst.units;
  }
}
