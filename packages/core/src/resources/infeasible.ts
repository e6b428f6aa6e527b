// Why a demand can never be placed: the reasons `infeasible` schedule results and INFEASIBLE
// placement groups carry, naming the resource or constraint no node can meet.
import type { LabelMatchExpression } from '../types.js';
import type { ResourceRequest } from './demand.js';
import { UNIT_INSTANCE_RESOURCES } from './demand.js';
import { RESOURCE_UNIT_SCALING, scaleOf } from './fixed-point.js';
import type { LabelTerm } from './labels.js';
import { fmt } from './ledger.js';
import type { NodeResources } from './node-resources.js';

const U = RESOURCE_UNIT_SCALING;

/** Names the first resource no node of `pool` can ever hold (slow path). */
export function infeasibleReason(
  req: ResourceRequest,
  pool: readonly NodeResources[],
  where: string,
  prefix = '',
): string {
  let group = pool;
  let suffix = '';
  let groupName = 'node';
  const acc = req.keys.find((k) => k.startsWith('accelerator_type:'));
  if (acc !== undefined) {
    const t = acc.slice('accelerator_type:'.length);
    group = pool.filter((n) => (n._slot.get(acc) ?? -1) >= 0 && n._total[n._slot.get(acc)!]! > 0);
    if (group.length === 0) {
      const known = [...new Set(pool.map((n) => n.acceleratorType).filter((x) => x !== undefined))];
      return `${prefix}needs ${acc}${where}; no node has it${known.length > 0 ? ` (accelerator types: ${known.join(', ')})` : ''}`;
    }
    suffix = ` with ${acc}`;
    groupName = `${t} node`;
  }
  for (let i = 0; i < req.keys.length; i++) {
    const k = req.keys[i]!;
    if (k === acc) continue;
    const u = req._units[i]!;
    const scale = scaleOf(k);
    let largest = 0;
    let fractional = false;
    for (const n of group) {
      const s = n._slot.get(k);
      if (s === undefined) continue;
      const cap = n._cap[s];
      if (cap !== null && cap !== undefined && UNIT_INSTANCE_RESOURCES.has(k)) {
        if (u < U) {
          fractional = true;
          for (let j = 0; j < cap.length; j++) largest = Math.max(largest, cap[j]!);
        } else {
          let whole = 0;
          for (let j = 0; j < cap.length; j++) if (cap[j]! >= U) whole++;
          largest = Math.max(largest, whole * U);
        }
      } else largest = Math.max(largest, n._total[s]!);
    }
    if (largest < u) {
      return fractional
        ? `${prefix}needs ${k} ${fmt(u / U)} on one device${suffix}${where}; no ${groupName} has a ${k} device`
        : `${prefix}needs ${k} ${fmt(u / scale)}${suffix}${where}; largest ${groupName} has ${largest === 0 ? `no ${k}` : `${k} ${fmt(largest / scale)}`}`;
    }
  }
  return `${prefix}needs ${describeDemand(req)}${where}; no single node has all of it`;
}

export function describeDemand(req: ResourceRequest): string {
  return `{${req.keys.map((k) => `${k}: ${req.resources[k]}`).join(', ')}}`;
}

export function describeTerms(terms: readonly LabelTerm[]): string {
  const term = (t: LabelTerm) => {
    const v = t.values.length === 1 ? t.values[0]! : `in(${t.values.join(',')})`;
    return `${t.key}: ${JSON.stringify(t.positive ? v : `!${v}`)}`;
  };
  return `{${terms.map(term).join(', ')}}`;
}

export function describeExpressions(exprs: Readonly<Record<string, LabelMatchExpression>>): string {
  return `{${Object.entries(exprs)
    .map(
      ([k, e]) =>
        `${k} ${e.operator}${e.operator === 'in' || e.operator === 'notIn' ? ` (${e.values.join(', ')})` : ''}`,
    )
    .join(', ')}}`;
}
