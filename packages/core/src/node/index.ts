// @taskfit/core/node: Node-only helpers (hardware detection). The main entry stays free of Node built-ins.
export {
  detectNodeResources,
  createLocalNode,
  parseResourcesEnv,
  RESOURCES_ENV_VAR,
  NVIDIA_SMI_ARGS,
} from './detect.js';
export type { CommandRunner, DetectOptions, DetectedNodeResources, DetectionSources } from './detect.js';
export {
  parseNvidiaSmiCsv,
  acceleratorTypeFromName,
  applyCudaVisibleDevices,
  parseCgroupV2CpuMax,
  parseCgroupV1CpuQuota,
  parseCgroupMemoryLimit,
} from './parsers.js';
export type { DetectedGpu, VisibleGpus } from './parsers.js';
