// The job both versions run.
export const jobs = [
  { name: 'alpha', rounds: 20_000 },
  { name: 'beta', rounds: 40_000 },
  { name: 'gamma', rounds: 60_000 },
  { name: 'delta', rounds: 80_000 },
];

/** One line per result, identical for both versions (the smoke test compares them). */
export function report(results) {
  for (const r of results) console.log(`checksum ${r.name} ${r.rounds} ${r.sha256}`);
}
