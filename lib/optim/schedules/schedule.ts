/** A learning-rate schedule: a pure function of the 0-based step (round) number. */
export type Schedule = (step: number) => number;
