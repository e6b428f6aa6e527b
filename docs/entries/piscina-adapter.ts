/**
 * Run taskfit task options on a Piscina thread pool on one machine: admission against the node's resources, GPU pinning, retries, worker recycling, task events.
 *
 * @module @taskfit/piscina-adapter
 */
export * from '../../packages/piscina-adapter/src/index.js';
