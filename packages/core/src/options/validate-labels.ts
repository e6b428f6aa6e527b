// Labels: the labelSelector option and the match expressions of a nodeLabel scheduling strategy,
// checked against Ray's label grammar (labels.ts).
import type { LabelMatchExpression } from '../types.js';
import type { Issues, Namer, Path } from './internal.js';
import { describe, isArray, isPlainObject, orList, read } from './internal.js';
import { hasOwn } from '../input.js';
import { isLabelSelectorValue, isLabelValue, labelKeyProblem } from './labels.js';
import { OPERATOR_TO_SNAKE } from './names.js';
import { listItems, mustBe, stringMap, strategyFields, userMap } from './validate-common.js';

/** `labelSelector`: label key → selector value (`"v"`, `"!v"`, `"in(a,b)"`, `"!in(a,b)"`). */
export function labelSelector(v: unknown, issues: Issues): Record<string, string> | undefined {
  return stringMap(
    ['labelSelector'],
    v,
    issues,
    'label key → selector value',
    (k, p) => labelKey(k, p, issues),
    (val, p) => {
      if (isLabelSelectorValue(val)) return true;
      issues.add(
        p,
        'invalid_value',
        (n) =>
          `${n.p(p)}: invalid label selector value ${describe(val)}; use "value", "!value", "in(a,b)" or "!in(a,b)", where each value is 63 characters or less, begins and ends with an alphanumeric character, with '-', '_', '.' and alphanumerics between`,
      );
      return false;
    },
  );
}

function labelKey(k: string, p: Path, issues: Issues): boolean {
  const problem = labelKeyProblem(k);
  if (problem === undefined) return true;
  issues.add(p, 'invalid_value', (n) => `${n.p(p)}: invalid label key ${JSON.stringify(k)}: ${problem}`);
  return false;
}

/** The `hard` or `soft` side of a nodeLabel strategy: label key → match expression. */
export function labelExpressions(
  path: Path,
  key: 'hard' | 'soft',
  f: Map<string, unknown>,
  issues: Issues,
  required: boolean,
): Record<string, LabelMatchExpression> | undefined {
  const p = [...path, key];
  const v = f.get(key);
  if (v === undefined) {
    if (required) {
      issues.add(p, 'invalid_type', (n) => `${n.p(p)} is required: an object of label key → match expression`);
    }
    return undefined;
  }
  return userMap(p, v, issues, 'an object of label key → match expression', 'label keys', (label, lp, obj) =>
    labelKey(label, lp, issues) ? labelExpression(lp, read(obj, label), issues) : undefined,
  );
}

function labelExpression(path: Path, v: unknown, issues: Issues): LabelMatchExpression | undefined {
  const ops = (n: Namer) => orList(Object.entries(OPERATOR_TO_SNAKE).map(([o, snake]) => `'${n.lit(o, snake)}'`));
  if (!isPlainObject(v)) {
    mustBe(issues, path, 'invalid_type', (n) => `a match expression { operator: ${ops(n)}, values? }`, v);
    return undefined;
  }
  const op = read(v, 'operator');
  const opPath = [...path, 'operator'];
  if (typeof op !== 'string' || !hasOwn(OPERATOR_TO_SNAKE, op)) {
    mustBe(issues, opPath, typeof op === 'string' ? 'invalid_value' : 'invalid_type', ops, op);
    return undefined;
  }
  const withValues = op === 'in' || op === 'notIn';
  const before = issues.list.length;
  const f = strategyFields(path, v, withValues ? ['operator', 'values'] : ['operator'], issues);
  if (!withValues) return issues.list.length === before ? { operator: op as 'exists' | 'doesNotExist' } : undefined;
  const vp = [...path, 'values'];
  const values = f.get('values');
  if (!isArray(values)) {
    mustBe(issues, vp, 'invalid_type', 'a non-empty array of label values', values);
    return undefined;
  }
  const list = listItems(vp, values, issues, 'values');
  if (list === undefined) return undefined;
  if (list.length === 0) {
    issues.add(vp, 'invalid_value', (n) => `${n.p(vp)} must be a non-empty array of label values (got [])`);
    return undefined;
  }
  const out: string[] = [];
  let ok = true;
  for (let i = 0; i < list.length; i++) {
    const ip = [...vp, i];
    const item = list[i];
    if (typeof item !== 'string') {
      mustBe(issues, ip, 'invalid_type', 'a label value string', item);
      ok = false;
    } else if (!isLabelValue(item)) {
      issues.add(
        ip,
        'invalid_value',
        (n) =>
          `${n.p(ip)}: invalid label value ${describe(item)}; it must be 63 characters or less, begin and end with an alphanumeric character, with '-', '_', '.' and alphanumerics between`,
      );
      ok = false;
    } else {
      out.push(item);
    }
  }
  return ok ? { operator: op as 'in' | 'notIn', values: out } : undefined;
}
