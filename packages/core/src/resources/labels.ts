import { TaskOptionsError, type TaskOptionsIssue } from '../errors.js';
import { entriesOf, hasOwn } from '../input.js';
import type { LabelMatchExpression } from '../types.js';

/** A label selector as users write it (Ray's `label_selector`): key → `'v'`, `'!v'`, `'in(a,b)'`, `'!in(a,b)'`. */
export type LabelSelector = Readonly<Record<string, string>>;

/** One parsed selector term. @internal */
export interface LabelTerm {
  readonly key: string;
  /** true: label must be in `values`; false: label must be absent or not in `values`. */
  readonly positive: boolean;
  readonly values: readonly string[];
}

const SET_RE = /^(!?)in\((.*)\)$/;

/**
 * Parses a label selector. `'v'` → label equals v; `'!v'` → label absent or not v;
 * `'in(a,b)'` → label present and one of a, b; `'!in(a,b)'` → label absent or none of them;
 * `''` → label absent or empty.
 * @throws TaskOptionsError (`invalid_value`, path `['labelSelector', key]`) for a value that
 *   is not a string or an empty `in()` / `!` term.
 */
export function parseLabelSelector(selector: LabelSelector, root: string = 'labelSelector'): LabelTerm[] {
  const entries = entriesOf(selector, [root], 'an object of label selector strings');
  const terms: LabelTerm[] = [];
  const issues: TaskOptionsIssue[] = [];
  for (const [key, raw] of entries) {
    if (typeof raw !== 'string') {
      issues.push({ path: [root, key], code: 'invalid_type', message: `${root}.${key} must be a string` });
      continue;
    }
    const v = raw.trim();
    const m = SET_RE.exec(v);
    let positive: boolean;
    let values: string[];
    if (m !== null) {
      positive = m[1] === '';
      values = m[2]!.split(',').map((s) => s.trim());
    } else if (v.startsWith('!')) {
      positive = false;
      values = [v.slice(1)];
    } else if (v === '') {
      terms.push({ key, positive: true, values: [''] }); // absent or empty, see matchesTerms
      continue;
    } else {
      positive = true;
      values = [v];
    }
    if (values.some((s) => s === '')) {
      issues.push({
        path: [root, key],
        code: 'invalid_value',
        message: `${root}.${key} must be 'value', '!value', 'in(a,b)' or '!in(a,b)' with non-empty values, got ${JSON.stringify(raw)}`,
      });
      continue;
    }
    terms.push({ key, positive, values });
  }
  if (issues.length > 0) throw new TaskOptionsError(issues);
  return terms;
}

/** Whether node `labels` satisfy every term. @internal */
export function matchesTerms(terms: readonly LabelTerm[], labels: Readonly<Record<string, string>>): boolean {
  for (let i = 0; i < terms.length; i++) {
    const t = terms[i]!;
    const has = hasOwn(labels, t.key);
    const v = has ? labels[t.key]! : undefined;
    if (t.positive) {
      if (t.values.length === 1 && t.values[0] === '') {
        if (has && v !== '') return false;
      } else if (v === undefined || !t.values.includes(v)) return false;
    } else if (v !== undefined && t.values.includes(v)) return false;
  }
  return true;
}

/** Whether node `labels` satisfy every expression of a `nodeLabel` strategy (Ray's In/NotIn/Exists/DoesNotExist). @internal */
export function matchesExpressions(
  exprs: Readonly<Record<string, LabelMatchExpression>>,
  labels: Readonly<Record<string, string>>,
): boolean {
  for (const key of Object.keys(exprs)) {
    const e = exprs[key]!;
    const has = hasOwn(labels, key);
    switch (e.operator) {
      case 'in':
        if (!has || !e.values.includes(labels[key]!)) return false;
        break;
      case 'notIn':
        if (has && e.values.includes(labels[key]!)) return false;
        break;
      case 'exists':
        if (!has) return false;
        break;
      case 'doesNotExist':
        if (has) return false;
        break;
      default:
        throw new TaskOptionsError([
          {
            path: ['schedulingStrategy', 'hard', key],
            code: 'invalid_value',
            message: `schedulingStrategy label expression for ${key} must have operator 'in', 'notIn', 'exists' or 'doesNotExist'`,
          },
        ]);
    }
  }
  return true;
}
