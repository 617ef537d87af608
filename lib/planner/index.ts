/**
 * Placement planner: pure cost/time model that picks in-process, Lambda fan-out or Batch GPU.
 * No I/O; prices and throughputs live in {@link CostModel}.
 */

export * from './calibration.js';
export * from './candidates.js';
export * from './cost-model.js';
export * from './estimate-cost.js';
export * from './estimate-time.js';
export * from './lambda-calibration.js';
export * from './local-placement.js';
export * from './placement.js';
export * from './plan-job-placement.js';
export * from './published-figures.js';
export * from './round-latency.js';
export * from './solver-rounds.js';
export * from './workload.js';
