/**
 * Slows down password guessing: after `maxFailures` failed logins for one username from one address within
 * `windowMs`, further attempts from there are refused without a password check until the oldest of those failures
 * leaves the window. Keyed by username and address together, so a stranger guessing cannot lock the real admin out
 * from their own machine. The map is bounded (`maxKeys`, the least recently failed key goes first).
 */
export interface LoginThrottleOptions {
  readonly now: () => number;
  /** Failures allowed in the window (default 5). */
  readonly maxFailures?: number;
  /** The window in ms (default 15 min). */
  readonly windowMs?: number;
  readonly maxKeys?: number;
}

export interface LoginThrottle {
  /** ms until `key` may try again; 0 when it may now. */
  waitMs(key: string): number;
  failed(key: string): void;
  /** A successful login forgets the key's failures. */
  succeeded(key: string): void;
}

export function createLoginThrottle(o: LoginThrottleOptions): LoginThrottle {
  const maxFailures = o.maxFailures ?? 5;
  const windowMs = o.windowMs ?? 15 * 60_000;
  const maxKeys = o.maxKeys ?? 10_000;
  const failures = new Map<string, number[]>();

  const recent = (key: string, at: number): number[] => {
    const times = (failures.get(key) ?? []).filter((t) => t > at - windowMs);
    if (times.length === 0) failures.delete(key);
    else failures.set(key, times);
    return times;
  };

  return {
    waitMs(key) {
      const at = o.now();
      const times = recent(key, at);
      return times.length < maxFailures ? 0 : times[times.length - maxFailures]! + windowMs - at;
    },
    failed(key) {
      const at = o.now();
      const times = [...recent(key, at), at];
      failures.delete(key); // re-inserted last: the map's order is the order of the latest failure
      failures.set(key, times.slice(-maxFailures));
      while (failures.size > maxKeys) failures.delete(failures.keys().next().value as string);
    },
    succeeded(key) {
      failures.delete(key);
    },
  };
}
