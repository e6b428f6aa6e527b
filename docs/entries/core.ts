/**
 * Ray's task-options model for Node.js: validation, `.options()` merging, fixed-point resource accounting, scheduling and placement groups. Loads no Node built-ins, so it is safe inside Temporal's workflow sandbox.
 *
 * @module @taskfit/core
 */
export * from '../../packages/core/src/index.js';
