/**
 * The ONE naming rule that turns a task's resource demand (and hard node affinity) into a
 * Temporal task queue. Workflows use it to route an activity; workers use it to decide which
 * queues to poll. Both sides must agree, so nothing else in the package builds queue names.
 *
 * Rule (collision-free):
 * - `base` alone for the default class, a demand of exactly `{ CPU: 1 }`;
 * - otherwise `base@<class>` where `<class>` is the demand's entries sorted by name (code
 *   units), each `name=quantity`, joined with `,`; quantities are decimal with at most 4
 *   fraction digits (`0.5`, `1`, `0.001`), names are escaped (every character outside
 *   `A-Z a-z 0-9 _ . : -` becomes `%XX` of its UTF-8 bytes), and the empty demand is `-`;
 * - hard node affinity appends `@node:<escaped node id>`.
 *
 * Examples: `jobs`, `jobs@CPU=2`, `jobs@CPU=1,GPU=0.5`, `jobs@CPU=1,GPU=1,accelerator_type:H100=0.001`,
 * `jobs@CPU=1,GPU=1@node:gpu-box-3`, `jobs@node:gpu-box-3`.
 * `base` must not contain `@` (that keeps the suffix unambiguous).
 */

const SAFE = /^[A-Za-z0-9_.:-]$/;

function escapeName(name: string): string {
  let out = '';
  for (const ch of name) {
    if (SAFE.test(ch)) {
      out += ch;
    } else {
      for (const byte of new TextEncoder().encode(ch)) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  return out;
}

function formatQuantity(q: number): string {
  const units = Math.round(q * 10_000);
  const whole = Math.trunc(units / 10_000);
  const frac = units % 10_000;
  if (frac === 0) return String(whole);
  return `${whole}.${String(frac).padStart(4, '0').replace(/0+$/, '')}`;
}

/**
 * The canonical key of a resource class: `''` for the default `{ CPU: 1 }`, `'-'` for an empty
 * demand, else `name=quantity` pairs sorted and joined by `,` (see the module comment).
 */
export function resourceClassKey(demand: Readonly<Record<string, number>>): string {
  const entries = Object.entries(demand)
    .filter(([, q]) => q !== 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (entries.length === 0) return '-';
  if (entries.length === 1 && entries[0]?.[0] === 'CPU' && entries[0][1] === 1) return '';
  return entries.map(([name, q]) => `${escapeName(name)}=${formatQuantity(q)}`).join(',');
}

/**
 * The task queue serving `demand` under `base`; with `nodeId`, the worker-specific queue of
 * that node (hard node affinity). Throws a `TypeError` for a base that is empty or contains `@`.
 */
export function taskQueueName(base: string, demand: Readonly<Record<string, number>>, nodeId?: string): string {
  if (typeof base !== 'string' || base === '' || base.includes('@')) {
    throw new TypeError(`task queue base must be a non-empty string without '@' (got ${JSON.stringify(base)})`);
  }
  const key = resourceClassKey(demand);
  let queue = key === '' ? base : `${base}@${key}`;
  if (nodeId !== undefined) {
    if (nodeId === '') throw new TypeError('nodeId must be a non-empty string');
    queue += `@node:${escapeName(nodeId)}`;
  }
  return queue;
}
