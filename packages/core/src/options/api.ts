// Public names of the options model, re-exported by src/index.ts. (owner: options work)
export { validateTaskOptions } from './validate.js';
export { mergeTaskOptions, resolveTaskOptions, resourceDemand } from './merge.js';
export { fromRayOptions, toRayOptions } from './ray.js';
export type { RayTaskOptions } from './ray.js';
export { mergeRuntimeEnv, expandEnvVars } from './runtime-env.js';
export { matchesRetryExceptions, errorTypeChain } from './retry.js';
export type { SerializedErrorLike } from './retry.js';
export { remote, isRemoteFunction } from './remote.js';
export type {
  NumReturns,
  NumReturnsOf,
  RemoteArgs,
  RemoteFunction,
  RemoteNumReturns,
  RemoteResult,
  RemoteReturn,
  Returns,
  TaskOptionsOverrides,
  Yielded,
} from './remote.js';
