/**
 * Caps on the size of user input. Each bounds the work (time and memory) one call can be made
 * to do, far above any real use; going over one is a `TaskOptionsError` whose message names the
 * limit. The reasons are in docs/decisions.md ("Limits").
 */
export const INPUT_LIMITS = Object.freeze({
  /**
   * Keys of one object: a task-options object, `resources`, `envVars`, `labelSelector`, a
   * node-label map, `_metadata`, a node's totals or labels, a demand, a bundle.
   */
  maxKeys: 10_000,
  /** Entries of `retryExceptions` and of a label expression's `values`. */
  maxListItems: 1_000,
  /** Values (every key, item and leaf counted) of one JSON-like option: `runtimeEnv`'s extra fields, `_metadata`. */
  maxJsonValues: 100_000,
  /** Nesting depth of a JSON-like option value. */
  maxJsonDepth: 32,
  /** Bundles of one placement group. */
  maxBundles: 10_000,
  /** Devices of one unit-instance resource (`GPU`, `TPU`, `neuron_cores`, …) on one node. */
  maxDevices: 1_024,
  /** Issues listed in one `TaskOptionsError`; the rest are counted in a last issue. */
  maxIssues: 100,
});
