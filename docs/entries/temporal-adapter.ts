/**
 * Run taskfit task options on Temporal activities: one task queue per resource class, a shared slot ledger, retry allow-lists.
 *
 * @module @taskfit/temporal-adapter
 */
export * from '../../packages/temporal-adapter/src/index.js';
