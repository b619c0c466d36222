/**
 * Update locks: an application on a device (or an operator) holds off updates for a while, saying who and why.
 * A lock has an expiry so a holder that dies never blocks a device forever; an expired lock no longer counts and
 * anyone may take the device's lock over.
 */
import { RegistryError } from './errors.ts';
import { text, time } from './fields.ts';
import type { RegistryStore } from './store.ts';

export interface UpdateLock {
  readonly device: string;
  readonly holder: string;
  readonly reason: string;
  readonly takenAt: number;
  readonly expiresAt: number;
}

interface Row {
  device: string;
  holder: string;
  reason: string;
  taken_at: number;
  expires_at: number;
}

const toLock = (r: Row): UpdateLock => ({
  device: r.device,
  holder: r.holder,
  reason: r.reason,
  takenAt: r.taken_at,
  expiresAt: r.expires_at,
});

export class LockTable {
  readonly #store: RegistryStore;

  constructor(store: RegistryStore) {
    this.#store = store;
  }

  /**
   * Takes (or, for its holder, renews) a device's lock until `expiresAt`. CONFLICT while another holder's lock is
   * active; NOT_FOUND for an unknown device.
   */
  lock(device: string, holder: string, reason: string, expiresAt: number, now: number): UpdateLock {
    const who = text('holder', holder, 128);
    const why = text('reason', reason, 512);
    const until = time('expiresAt', expiresAt);
    const at = time('now', now);
    if (until <= at) throw new RegistryError('BAD_INPUT', 'expiresAt must be later than now');
    return this.#store.run(
      `lock ${device}`,
      () => {
        const db = this.#store.db;
        if (db.prepare('SELECT 1 FROM devices WHERE id = ?').get(device) === undefined) {
          throw new RegistryError('NOT_FOUND', `no device ${device}`);
        }
        const current = this.activeLock(device, at);
        if (current !== undefined && current.holder !== who) {
          throw new RegistryError('CONFLICT', `device ${device} is locked by ${current.holder} until ${current.expiresAt}`);
        }
        db.prepare(
          `INSERT INTO update_locks (device, holder, reason, taken_at, expires_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (device) DO UPDATE SET holder = excluded.holder, reason = excluded.reason,
             taken_at = excluded.taken_at, expires_at = excluded.expires_at`,
        ).run(device, who, why, at, until);
        return { device, holder: who, reason: why, takenAt: at, expiresAt: until };
      },
      true,
    );
  }

  /**
   * Lets go of a device's lock. True if a lock was removed, false if there was none; CONFLICT while another
   * holder's lock is active (an expired one anyone may clear).
   */
  unlock(device: string, holder: string, now: number): boolean {
    const at = time('now', now);
    return this.#store.run(
      `unlock ${device}`,
      () => {
        const current = this.activeLock(device, at);
        if (current !== undefined && current.holder !== holder) {
          throw new RegistryError('CONFLICT', `device ${device} is locked by ${current.holder}, not ${holder}`);
        }
        return this.#store.db.prepare('DELETE FROM update_locks WHERE device = ?').run(device).changes > 0;
      },
      true,
    );
  }

  /** The device's lock if it is still active at `now` (expiresAt is exclusive); undefined otherwise. */
  activeLock(device: string, now: number): UpdateLock | undefined {
    return this.#store.run(`read the lock of ${device}`, () => {
      const row = this.#store.db
        .prepare<[string, number], Row>('SELECT * FROM update_locks WHERE device = ? AND expires_at > ?')
        .get(device, now);
      return row === undefined ? undefined : toLock(row);
    });
  }

  /** The rollout engine's lock check: `(deviceId, now) => boolean`. */
  readonly isLocked = (device: string, now: number): boolean => this.activeLock(device, now) !== undefined;

  /** Every lock active at `now`, by device. */
  active(now: number): UpdateLock[] {
    return this.#store.run('list locks', () =>
      this.#store.db.prepare<[number], Row>('SELECT * FROM update_locks WHERE expires_at > ? ORDER BY device').all(now).map(toLock),
    );
  }
}
