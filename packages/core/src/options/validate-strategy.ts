// schedulingStrategy: 'DEFAULT', 'SPREAD', node affinity (with Ray's flag conflicts), placement
// groups, node labels. What validation returns is frozen and remembered, so Cluster.schedule takes it
// without a second check (validateSchedulingStrategy).
import type {
  NodeAffinityStrategy,
  NodeLabelStrategy,
  PlacementGroupRef,
  PlacementGroupStrategy,
  SchedulingStrategy,
} from '../types.js';
import { own } from '../input.js';
import { PlacementGroup } from '../resources/placement-group.js';
import type { Namer, Path } from './internal.js';
import { Issues, camelNamer, describe, isArray, isPlainObject, orList, read, throwIssues } from './internal.js';
import { STRATEGY_TYPE_TO_SNAKE } from './names.js';
import { bool, integer, mapKeys, mustBe, nonEmptyString, strategyFields } from './validate-common.js';
import { labelExpressions } from './validate-labels.js';

const STRATEGY_STRINGS = ['DEFAULT', 'SPREAD'] as const;

/** `'nodeAffinity', 'placementGroup' or 'nodeLabel'`, in the current spelling. */
const strategyTypes = (n: Namer): string =>
  orList(Object.entries(STRATEGY_TYPE_TO_SNAKE).map(([t, snake]) => `'${n.lit(t, snake)}'`));

/**
 * Strategy objects validation produced: frozen (deeply; a PlacementGroup handle aside, whose id
 * never changes), so they need no second check — `Cluster.schedule` takes them as they are.
 */
const VALIDATED_STRATEGIES = new WeakSet<object>();

export function schedulingStrategy(v: unknown, issues: Issues): SchedulingStrategy | undefined {
  if (typeof v === 'object' && v !== null && VALIDATED_STRATEGIES.has(v)) return v as SchedulingStrategy;
  const out = checkStrategy(v, issues);
  if (typeof out === 'object') {
    freezeStrategy(out);
    VALIDATED_STRATEGIES.add(out);
  }
  return out;
}

/**
 * Validates a scheduling strategy on its own (what `Cluster.schedule` receives): the clean copy.
 * @throws {@link TaskOptionsError} with paths under `['schedulingStrategy', …]`.
 * @internal
 */
export function validateSchedulingStrategy(v: unknown): SchedulingStrategy {
  if (v === 'DEFAULT' || v === 'SPREAD' || (typeof v === 'object' && v !== null && VALIDATED_STRATEGIES.has(v))) {
    return v as SchedulingStrategy;
  }
  const issues = new Issues();
  const out = schedulingStrategy(v, issues);
  if (out === undefined || !issues.empty) throwIssues(issues.list, camelNamer);
  return out;
}

function freezeStrategy(s: Exclude<SchedulingStrategy, string>): void {
  if (s.type === 'nodeLabel') {
    for (const side of [s.hard, own(s, 'soft')]) {
      if (side === undefined) continue;
      for (const e of Object.values(side)) {
        if (e.operator === 'in' || e.operator === 'notIn') Object.freeze(e.values);
        Object.freeze(e);
      }
      Object.freeze(side);
    }
  }
  Object.freeze(s);
}

function checkStrategy(v: unknown, issues: Issues): SchedulingStrategy | undefined {
  const path: Path = ['schedulingStrategy'];
  const valid = (n: Namer) => `'DEFAULT', 'SPREAD', or an object whose type is ${strategyTypes(n)}`;
  if (typeof v === 'string') {
    if ((STRATEGY_STRINGS as readonly string[]).includes(v)) return v as 'DEFAULT' | 'SPREAD';
    issues.add(path, 'invalid_value', (n) => {
      const upper = v.toUpperCase();
      const hint = (STRATEGY_STRINGS as readonly string[]).includes(upper) ? `; did you mean '${upper}'?` : '';
      return `${n.p(path)} must be ${valid(n)} (got ${describe(v)})${hint}`;
    });
    return undefined;
  }
  if (!isPlainObject(v)) {
    mustBe(issues, path, 'invalid_type', valid, v);
    return undefined;
  }
  const type = read(v, 'type');
  switch (type) {
    case 'nodeAffinity':
      return nodeAffinity(path, v, issues);
    case 'placementGroup':
      return placementGroup(path, v, issues);
    case 'nodeLabel':
      return nodeLabel(path, v, issues);
    default: {
      const p = [...path, 'type'];
      if (type === undefined) issues.add(p, 'invalid_type', (n) => `${n.p(p)} is required: ${strategyTypes(n)}`);
      else mustBe(issues, p, 'invalid_value', strategyTypes, type);
      return undefined;
    }
  }
}

function nodeAffinity(path: Path, v: Record<string, unknown>, issues: Issues): NodeAffinityStrategy | undefined {
  const before = issues.list.length;
  const f = strategyFields(path, v, ['type', 'nodeId', 'soft', 'spillOnUnavailable', 'failOnUnavailable'], issues);
  const nodeId = requiredString(path, 'nodeId', f, issues);
  const soft = optionalBool(path, 'soft', f, issues);
  const spill = optionalBool(path, 'spillOnUnavailable', f, issues);
  const fail = optionalBool(path, 'failOnUnavailable', f, issues);
  if (spill === true && soft !== true) {
    const p = [...path, 'spillOnUnavailable'];
    issues.add(
      p,
      'conflict',
      (n) => `${n.p(p)} requires ${n.p([...path, 'soft'])}: true (a hard affinity never runs elsewhere)`,
    );
  }
  if (fail === true && soft === true) {
    const p = [...path, 'failOnUnavailable'];
    issues.add(
      p,
      'conflict',
      (n) =>
        `${n.p(p)} cannot be combined with ${n.p([...path, 'soft'])}: true (a soft affinity runs elsewhere instead of failing)`,
    );
  }
  if (issues.list.length !== before || nodeId === undefined) return undefined;
  const out: NodeAffinityStrategy = { type: 'nodeAffinity', nodeId };
  if (soft !== undefined) out.soft = soft;
  if (spill !== undefined) out.spillOnUnavailable = spill;
  if (fail !== undefined) out.failOnUnavailable = fail;
  return out;
}

function placementGroup(path: Path, v: Record<string, unknown>, issues: Issues): PlacementGroupStrategy | undefined {
  const before = issues.list.length;
  const f = strategyFields(path, v, ['type', 'placementGroup', 'bundleIndex', 'captureChildTasks'], issues);
  const pgPath = [...path, 'placementGroup'];
  const pg = f.get('placementGroup');
  let ref: PlacementGroupRef | undefined;
  if (pg === undefined) {
    issues.add(pgPath, 'invalid_type', (n) => `${n.p(pgPath)} is required: a placement group (an object with an id)`);
  } else if (typeof pg !== 'object' || pg === null || isArray(pg)) {
    mustBe(issues, pgPath, 'invalid_type', 'a placement group (an object with an id)', pg);
  } else {
    const id = nonEmptyString([...pgPath, 'id'], read(pg, 'id'), issues);
    if (id !== undefined) {
      // A PlacementGroup from Cluster.createPlacementGroup is kept (its id never changes); any
      // other handle is copied as { id }, read once here.
      ref = PlacementGroup.isPlacementGroup(pg) ? pg : Object.freeze({ id });
      if (isPlainObject(pg)) mapKeys(pgPath, pg, issues, 'placement group fields');
    }
  }
  const idx = f.get('bundleIndex');
  const bundleIndex =
    idx === undefined
      ? undefined
      : integer([...path, 'bundleIndex'], idx, issues, -1, 'an integer ≥ -1 (-1 = any bundle)');
  const capture = optionalBool(path, 'captureChildTasks', f, issues);
  if (issues.list.length !== before || ref === undefined) return undefined;
  const out: PlacementGroupStrategy = { type: 'placementGroup', placementGroup: ref };
  if (bundleIndex !== undefined) out.bundleIndex = bundleIndex;
  if (capture !== undefined) out.captureChildTasks = capture;
  return out;
}

function nodeLabel(path: Path, v: Record<string, unknown>, issues: Issues): NodeLabelStrategy | undefined {
  const before = issues.list.length;
  const f = strategyFields(path, v, ['type', 'hard', 'soft'], issues);
  const hard = labelExpressions(path, 'hard', f, issues, true);
  const soft = labelExpressions(path, 'soft', f, issues, false);
  if (hard !== undefined && Object.keys(hard).length === 0 && (soft === undefined || Object.keys(soft).length === 0)) {
    const p = [...path, 'hard'];
    issues.add(p, 'invalid_value', (n) => `${n.p(p)} and ${n.p([...path, 'soft'])} cannot both be empty`);
  }
  if (issues.list.length !== before || hard === undefined) return undefined;
  const out: NodeLabelStrategy = { type: 'nodeLabel', hard };
  if (soft !== undefined) out.soft = soft;
  return out;
}

function requiredString(path: Path, key: string, f: Map<string, unknown>, issues: Issues): string | undefined {
  const p = [...path, key];
  const v = f.get(key);
  if (v === undefined) {
    issues.add(p, 'invalid_type', (n) => `${n.p(p)} is required: a non-empty string`);
    return undefined;
  }
  return nonEmptyString(p, v, issues);
}

function optionalBool(path: Path, key: string, f: Map<string, unknown>, issues: Issues): boolean | undefined {
  const v = f.get(key);
  return v === undefined ? undefined : bool([...path, key], v, issues);
}
