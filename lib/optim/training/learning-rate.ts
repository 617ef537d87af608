import { makeSchedule } from '../schedules/make-schedule.js';
import type { TrainConfig } from './train-config.js';
import type { TrainState } from './train-state.js';

/** The lr of the state's current round: schedule(round), or the plateau controller's lr. */
export function currentLearningRate(config: TrainConfig, state: TrainState): number {
  if (config.schedule.kind === 'plateau' && state.plateau !== null) return state.plateau.lr;
  return makeSchedule(config.schedule)(state.round);
}
