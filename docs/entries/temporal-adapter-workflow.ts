/**
 * Workflow-sandbox-safe entry of the Temporal adapter (`remoteActivity(...)`).
 *
 * @module @taskfit/temporal-adapter/workflow
 */
export * from '../../packages/temporal-adapter/src/workflow/index.js';
