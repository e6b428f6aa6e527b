// The file Piscina loads in each worker thread. Piscina loads its handler file with require()
// first; on Node ≥ 20.19 that makes require() load an ES module synchronously (require(esm)),
// which can abort the process under load (a V8 fatal error, "IsGraphAsync must be used on an
// instantiated module", when a require(esm) meets a module graph that an import() is still
// loading). This CommonJS shim keeps require() on CommonJS: it imports the ESM wrapper
// (entry.js) asynchronously once, then calls it directly, with no extra promise per task.
import type { Envelope } from '../wire.js' with { 'resolution-mode': 'import' };

let runAttempt: ((envelope: Envelope) => unknown) | undefined;

function handler(envelope: Envelope): unknown {
  if (runAttempt !== undefined) return runAttempt(envelope);
  return import('./entry.js').then((m) => {
    runAttempt = m.default;
    return runAttempt(envelope);
  });
}

export = handler;
