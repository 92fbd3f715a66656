/**
 * Sources of time and randomness, injected so that tests are deterministic (DESIGN.md: "Time,
 * randomness and ids come from injected sources").
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

/** Random material for ids and secrets. */
export interface Random {
  /** `n` uniformly random bytes. */
  bytes(n: number): Buffer;
  /** A random UUID v4; optional, for sources that have a faster one (node's entropy cache). */
  uuid?(): string;
}

/** The real clock. */
export const systemClock: Clock = { now: () => Date.now() };
