/**
 * Node-only helpers of `@taskfit/core`, such as hardware detection (`detectNodeResources`).
 *
 * @module @taskfit/core/node
 */
export * from '../../packages/core/src/node/index.js';
