// Ray's label grammar (ray-task-options.md §3.11), ported.

const NAME = '[a-zA-Z0-9](?:[a-zA-Z0-9_.-]{0,61}[a-zA-Z0-9])?';
const NAME_RE = new RegExp(`^${NAME}$`);
const DNS_LABEL = '[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?';
const PREFIX_RE = new RegExp(`^${DNS_LABEL}(?:\\.${DNS_LABEL})*$`);
const PLAIN_VALUE_RE = new RegExp(`^!?${NAME}$`);
const SET_VALUE_RE = new RegExp(`^!?in\\(${NAME}(?:, ?${NAME})*\\)$`);

/** Whether `v` is a label value (`[a-zA-Z0-9]`, then `[-_.a-zA-Z0-9]`, ending alphanumeric, ≤ 63 chars). */
export function isLabelValue(v: string): boolean {
  return NAME_RE.test(v);
}

/**
 * Checks a label key: an optional DNS-subdomain prefix (≤ 253 chars) and `/`, then a name
 * (≤ 63 chars, alphanumeric at both ends, `-`, `_`, `.` and alphanumerics between).
 * Returns the rule broken, or undefined when valid.
 */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.indexOf('/');
  let name = key;
  if (slash >= 0) {
    const prefix = key.slice(0, slash);
    name = key.slice(slash + 1);
    if (prefix.length === 0 || prefix.length > 253 || !PREFIX_RE.test(prefix)) {
      return `the prefix ${JSON.stringify(prefix)} must be a series of DNS labels (lowercase alphanumerics and '-') separated by dots, at most 253 characters`;
    }
  }
  if (!NAME_RE.test(name)) {
    return `the name ${JSON.stringify(name.length > 70 ? `${name.slice(0, 67)}...` : name)} must be 63 characters or less, begin and end with an alphanumeric character, with '-', '_', '.' and alphanumerics between`;
  }
  return undefined;
}

/**
 * Checks a label-selector value: `""`, `value`, `!value`, `in(a,b)` or `!in(a,b)` (each
 * value a label value). Returns true when valid. Unlike Ray, a bare `(a,b)` without `in`
 * is rejected.
 */
export function isLabelSelectorValue(v: string): boolean {
  return v === '' || PLAIN_VALUE_RE.test(v) || SET_VALUE_RE.test(v);
}
