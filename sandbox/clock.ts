/** The sandbox's notion of time; tests inject a controllable clock, the standalone sandbox uses the wall clock. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
