// The worker module, unchanged by the migration: plain named exports, loaded by Piscina
// (before.mjs) and by TaskPool (after.mjs) alike.
import { createHash } from 'node:crypto';

/** A deterministic CPU-bound job: hash `rounds` times a buffer derived from `name`. */
export function checksum({ name, rounds }) {
  let digest = Buffer.from(name);
  for (let i = 0; i < rounds; i++) digest = createHash('sha256').update(digest).digest();
  return { name, rounds, sha256: digest.toString('hex').slice(0, 16) };
}

/** A domain error class: raw Piscina flattens it to `Error`; TaskPool keeps its name. */
export class ValidationError extends Error {
  constructor(message) {
    super(message);
    this.name = 'ValidationError';
  }
}

/** Rejects bad input with a ValidationError. */
export function validate({ name }) {
  if (!/^[a-z-]+$/.test(name)) throw new ValidationError(`bad name: ${JSON.stringify(name)}`);
  return { name, ok: true };
}
