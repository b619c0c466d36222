/**
 * Devices: enrolment and revocation (the broker's key lookup), the status their `state` reports carry, and their
 * groups and tags. A device id is the PeerId of its node key, so enrolment checks that the key given is the one
 * the id names: a key registered under someone else's id could never log in anyway, but would confuse an admin.
 */
import { bytesEqual, ed25519KeyFromPeerId } from '../../node/crypto/index.ts';
import { isDeviceId } from '../../node/fleetproto/index.ts';
import { DeviceQueries } from './device-query.ts';
import { RegistryError } from './errors.ts';
import { jsonText, names, optionalText, time } from './fields.ts';
import type { RegistryStore } from './store.ts';

/** What the broker needs of the registry (fleet/broker's KeyRegistry, plus enrolment and revocation). */
export interface DeviceKeyRegistry {
  /** The enrolled key; undefined when the device is unknown or revoked. */
  publicKey(deviceId: string): Uint8Array | undefined;
  enrol(device: DeviceEnrolment, now: number): void;
  revoke(deviceId: string, now: number): void;
  isRevoked(deviceId: string): boolean;
}

export interface DeviceEnrolment {
  readonly id: string;
  readonly publicKey: Uint8Array;
  readonly groups?: readonly string[];
  readonly tags?: readonly string[];
}

/** Fields of a device's `state` report the registry keeps; absent fields stay as they were. */
export interface DeviceReport {
  readonly online?: boolean;
  readonly version?: string | null;
  readonly role?: string | null;
  readonly earnings?: unknown;
  readonly health?: unknown;
}

/** Devices: the reads of DeviceQueries plus enrolment, revocation, reports, groups and tags. */
export class DeviceTable extends DeviceQueries implements DeviceKeyRegistry {
  readonly #store: RegistryStore;

  constructor(store: RegistryStore) {
    super(store);
    this.#store = store;
  }

  publicKey(deviceId: string): Uint8Array | undefined {
    return this.#store.run('look up a device key', () => {
      const row = this.#store.db
        .prepare<[string], { public_key: Buffer }>('SELECT public_key FROM devices WHERE id = ? AND revoked_at IS NULL')
        .get(deviceId);
      return row === undefined ? undefined : new Uint8Array(row.public_key);
    });
  }

  /**
   * Records a device. An id already recorded is a CONFLICT, revoked or not: a revoked key stays out for good (a
   * factory-reset box comes back with a new node key, so a new id).
   */
  enrol(device: DeviceEnrolment, now: number): void {
    if (typeof device !== 'object' || device === null) throw new RegistryError('BAD_INPUT', 'device must be an object');
    if (!isDeviceId(device.id)) throw new RegistryError('BAD_INPUT', 'device.id must be the PeerId of an Ed25519 node key');
    if (!(device.publicKey instanceof Uint8Array) || !bytesEqual(device.publicKey, ed25519KeyFromPeerId(device.id))) {
      throw new RegistryError('BAD_INPUT', `device.publicKey is not the key device ${device.id} names`);
    }
    const groups = names('device.groups', device.groups);
    const tags = names('device.tags', device.tags);
    const at = time('now', now);
    this.#store.run(
      `enrol ${device.id}`,
      () => {
        const db = this.#store.db;
        const row = db.prepare<[string], { revoked_at: number | null }>('SELECT revoked_at FROM devices WHERE id = ?').get(device.id);
        if (row !== undefined) {
          const why = row.revoked_at === null ? 'is already enrolled' : `was revoked at ${row.revoked_at} and cannot enrol again`;
          throw new RegistryError('CONFLICT', `device ${device.id} ${why}`);
        }
        db.prepare('INSERT INTO devices (id, public_key, enrolled_at) VALUES (?, ?, ?)').run(device.id, Buffer.from(device.publicKey), at);
        this.#replace('device_groups', 'name', device.id, groups);
        this.#replace('device_tags', 'tag', device.id, tags);
      },
      true,
    );
  }

  /** The key stops logging in at once (the broker must also drop its live connection). Revoking twice keeps the first time. */
  revoke(deviceId: string, now: number): void {
    const at = time('now', now);
    this.#store.run(
      `revoke ${deviceId}`,
      () => {
        const db = this.#store.db;
        const changed = db.prepare('UPDATE devices SET revoked_at = coalesce(revoked_at, ?), online = 0 WHERE id = ?').run(at, deviceId);
        if (changed.changes === 0) throw new RegistryError('NOT_FOUND', `no device ${deviceId}`);
      },
      true,
    );
  }

  isRevoked(deviceId: string): boolean {
    return this.#store.run('check a revocation', () => {
      const row = this.#store.db.prepare<[string], { r: number }>('SELECT revoked_at IS NOT NULL AS r FROM devices WHERE id = ?').get(deviceId);
      return row?.r === 1;
    });
  }

  /** Stores what a device reported; `now` becomes its last-seen time. */
  report(deviceId: string, report: DeviceReport, now: number): void {
    const at = time('now', now);
    const sets: string[] = [];
    const values: (string | number | null)[] = [];
    const set = (column: string, value: string | number | null) => {
      sets.push(`${column} = ?`);
      values.push(value);
    };
    set('last_seen', at);
    if (report.online !== undefined) {
      if (typeof report.online !== 'boolean') throw new RegistryError('BAD_INPUT', 'report.online must be a boolean');
      set('online', report.online ? 1 : 0);
    }
    if (report.version !== undefined) set('version', optionalText('report.version', report.version, 64));
    if (report.role !== undefined) set('role', optionalText('report.role', report.role, 64));
    if (report.earnings !== undefined) set('earnings', jsonText('report.earnings', report.earnings));
    if (report.health !== undefined) set('health', jsonText('report.health', report.health));
    this.#store.run(
      `record the report of ${deviceId}`,
      () => {
        const changed = this.#store.db.prepare(`UPDATE devices SET ${sets.join(', ')} WHERE id = ?`).run(...values, deviceId);
        if (changed.changes === 0) throw new RegistryError('NOT_FOUND', `no device ${deviceId}`);
      },
      true,
    );
  }

  setGroups(deviceId: string, groups: readonly string[]): void {
    const checked = names('groups', groups);
    this.#store.run(`set the groups of ${deviceId}`, () => this.#replace('device_groups', 'name', this.#known(deviceId), checked), true);
  }

  setTags(deviceId: string, tags: readonly string[]): void {
    const checked = names('tags', tags);
    this.#store.run(`set the tags of ${deviceId}`, () => this.#replace('device_tags', 'tag', this.#known(deviceId), checked), true);
  }

  #known(deviceId: string): string {
    const row = this.#store.db.prepare<[string], { id: string }>('SELECT id FROM devices WHERE id = ?').get(deviceId);
    if (row === undefined) throw new RegistryError('NOT_FOUND', `no device ${deviceId}`);
    return deviceId;
  }

  #replace(table: 'device_groups' | 'device_tags', column: 'name' | 'tag', deviceId: string, values: readonly string[]): void {
    const db = this.#store.db;
    db.prepare(`DELETE FROM ${table} WHERE device = ?`).run(deviceId);
    const insert = db.prepare(`INSERT INTO ${table} (device, ${column}) VALUES (?, ?)`);
    for (const value of values) insert.run(deviceId, value);
  }
}
