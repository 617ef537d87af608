/**
 * lib/optim: models, gradient kernels, optimizers, learning-rate schedules, stopping rules and the
 * training state machine (planRound / computeTask / applyRound) shared by the in-process runner
 * and the distributed engine.
 */
export * from './backend.js';
export * from './kernels/gradient-kernel.js';
export * from './kernels/mlp-kernel.js';
export * from './kernels/tfjs-kernel.js';
export * from './kernels/typed-array-kernel.js';
export * from './kernels/wasm-simd-kernel.js';
export * from './models/batch.js';
export * from './models/link-functions.js';
export * from './models/mlp-init.js';
export * from './models/mlp-predict.js';
export * from './models/model-spec.js';
export * from './models/predict.js';
export * from './models/regularization.js';
export * from './optimizers/adam-optimizer.js';
export * from './optimizers/create-optimizer.js';
export * from './optimizers/momentum-optimizer.js';
export * from './optimizers/optimizer.js';
export * from './optimizers/sgd-optimizer.js';
export * from './schedules/constant.js';
export * from './schedules/cosine-restarts.js';
export * from './schedules/exponential-decay.js';
export * from './schedules/inverse-time-decay.js';
export * from './schedules/make-schedule.js';
export * from './schedules/plateau-controller.js';
export * from './schedules/schedule.js';
export * from './schedules/step-decay.js';
export * from './solvers/choose-solver.js';
export * from './solvers/solver-state.js';
export * from './solvers/solver-stopping.js';
export * from './stopping/stopping-rules.js';
export * from './training/apply-round.js';
export * from './training/compute-task.js';
export * from './training/fit.js';
export * from './training/learning-rate.js';
export * from './training/permutation.js';
export * from './training/plan-round.js';
export * from './training/round-grouping.js';
export * from './training/select-alpha.js';
export * from './training/train-config.js';
export * from './training/train-state.js';
