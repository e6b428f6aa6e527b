// Public names of the options model, re-exported by src/index.ts. (owner: options work)
//
// Decisions where DESIGN.md / the issue left room (each is also in the TSDoc of its function):
// - Precision: a quantity q > 0 must be within float noise (1e-6 units) of a whole number ≥ 1
//   of 0.0001 units; 0.57 and 0.1 + 0.2 pass, 0.00015 and 0.00001 are rejected.
// - Whole-number rule above 1 for numGpus and Ray's unit-instance resources in `resources`
//   (neuron_cores, TPU, NPU, HPU, RBLN, FURIOSA, TTNPU, MBLT, MLU); `accelerator_type:*`
//   resource names are reserved (use acceleratorType).
// - `undefined` option values mean "not set" (dropped by validation, never erase in a merge);
//   `null` is invalid_type. `maxCalls` present in .options() is not_overridable even as undefined.
// - An empty runtimeEnv override ({} or { envVars: {} }) keeps the base's.
// - Ray spelling: snake_case everywhere, strategies as { type: 'node_affinity' | 'placement_group'
//   | 'node_label', ...Ray's field names }, label operators in/not_in/exists/does_not_exist;
//   fromRayOptions reports snake_case paths and messages; Python None (null) = not set, except
//   num_cpus: null = no CPU demand (numCpus: 0).
// - ${VAR} / $VAR expansion follows os.path.expandvars: unset variables are left untouched.
// - Retry matching uses class identity or any name in the prototype chain, or a serialized
//   { name, typeChain } (a TaskError's typeChain is the thrown error's, its own name is ignored).
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
