/**
 * Keeps the image repository's timestamp fresh: a device refuses an expired timestamp (a frozen mirror looks just
 * like that), so the store signs a new one once half of the current one's lifetime has passed. Checked every
 * `checkMs`; time comes from the injected clock, so a test moves the clock and fires the check itself.
 */
import { DEFAULT_IMAGE_LIFETIMES } from '../../node/update/index.ts';
import type { ReleaseStore } from './release-store.ts';
import { intervalScheduler, type Scheduler } from './schedule.ts';

export interface RefresherLogger {
  warn(obj: object, msg?: string): void;
}

export interface TimestampRefresherOptions {
  readonly store: Pick<ReleaseStore, 'refreshTimestamp' | 'signedAt'>;
  readonly now: () => number;
  /** The timestamp lifetime the store signs with (default node/update's, one day). */
  readonly lifetimeMs?: number;
  /** How often to check (default a minute). */
  readonly checkMs?: number;
  readonly schedule?: Scheduler;
  readonly logger?: RefresherLogger;
}

export interface TimestampRefresher {
  start(): void;
  stop(): void;
  /** One check now: refreshes when half the lifetime has passed; true when it signed. */
  check(): boolean;
}

export function createTimestampRefresher(o: TimestampRefresherOptions): TimestampRefresher {
  const lifetime = o.lifetimeMs ?? DEFAULT_IMAGE_LIFETIMES.timestamp;
  let cancel: (() => void) | undefined;
  const check = (): boolean => {
    if (o.now() < o.store.signedAt + lifetime / 2) return false;
    try {
      o.store.refreshTimestamp();
      return true;
    } catch (error) {
      // A full disk must not take the controller down; the next check tries again well before expiry.
      o.logger?.warn({ err: error }, 'timestamp refresh failed');
      return false;
    }
  };
  return {
    start() {
      cancel ??= (o.schedule ?? intervalScheduler)(o.checkMs ?? 60_000, check);
    },
    stop() {
      cancel?.();
      cancel = undefined;
    },
    check,
  };
}
