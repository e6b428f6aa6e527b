// Public API for code running inside TaskPool worker threads: `@taskfit/piscina-adapter/worker`.
export { getTaskContext } from './context.js';
export type { TaskContext } from '../wire.js';
