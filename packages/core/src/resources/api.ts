// Public names of resource accounting and scheduling, re-exported by src/index.ts. (owner: resources work)
export { RESOURCE_UNIT_SCALING, toUnits, fromUnits } from './fixed-point.js';
export { UNIT_INSTANCE_RESOURCES, ResourceRequest, compileDemand } from './demand.js';
export type { ResourceDemand } from './demand.js';
export { AllocationError } from './errors.js';
export type { AllocationErrorCode } from './errors.js';
export { Allocation, NodeResources } from './node-resources.js';
export type { AllocationData, InstanceShare, NodeResourcesOptions } from './node-resources.js';
export { Cluster, ClusterError } from './cluster.js';
export type { ScheduleOptions, ScheduleResult } from './cluster.js';
export { PlacementGroup } from './placement-group.js';
export type { Bundle, PlacementGroupOptions, PlacementGroupState, PlacementStrategy } from './placement-group.js';
export { parseLabelSelector } from './labels.js';
export type { LabelSelector } from './labels.js';
