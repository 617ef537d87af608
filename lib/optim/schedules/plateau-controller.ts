/** JSON state of a {@link PlateauController}; `best` is null until the first observation. */
export interface PlateauState {
  readonly lr: number;
  readonly best: number | null;
  readonly badEpochs: number;
  readonly cooldownCounter: number;
}

/** Keras `ReduceLROnPlateau` options (mode 'min', absolute `threshold` = Keras `min_delta`). */
export interface PlateauOptions {
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly minLr: number;
  readonly cooldown: number;
}

/** Keras defaults: factor 0.1, patience 10, min_delta 1e-4, min_lr 0, cooldown 0. */
export const PLATEAU_DEFAULTS: PlateauOptions = {
  factor: 0.1,
  patience: 10,
  threshold: 1e-4,
  minLr: 0,
  cooldown: 0,
};

/** The starting state for initial learning rate `lr0`. */
export function initPlateauState(lr0: number): PlateauState {
  return { lr: lr0, best: null, badEpochs: 0, cooldownCounter: 0 };
}

/**
 * The one stateful schedule: watches the epoch loss and multiplies lr by `factor` after
 * `patience` epochs without an improvement larger than `threshold`, then waits `cooldown` epochs.
 * Follows Keras `ReduceLROnPlateau.on_epoch_end` line by line; the state is plain JSON.
 */
export class PlateauController {
  private state: PlateauState;

  public constructor(
    private readonly options: PlateauOptions,
    state: PlateauState,
  ) {
    this.state = state;
  }

  /** Feeds one epoch loss, returns the learning rate for the next epoch. */
  public observe(loss: number): number {
    const o = this.options;
    let { lr, best, badEpochs, cooldownCounter } = this.state;
    if (cooldownCounter > 0) {
      cooldownCounter -= 1;
      badEpochs = 0;
    }
    if (best === null || loss < best - o.threshold) {
      best = loss;
      badEpochs = 0;
    } else if (cooldownCounter <= 0) {
      badEpochs += 1;
      if (badEpochs >= o.patience) {
        if (lr > o.minLr) {
          lr = Math.max(lr * o.factor, o.minLr);
          cooldownCounter = o.cooldown;
        }
        badEpochs = 0;
      }
    }
    this.state = { lr, best, badEpochs, cooldownCounter };
    return lr;
  }

  public get lr(): number {
    return this.state.lr;
  }

  public getState(): PlateauState {
    return { ...this.state };
  }
}
