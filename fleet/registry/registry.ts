/**
 * The fleet registry: one SQLite file holding devices, releases, rollouts, update locks, admin accounts with their
 * API tokens, the audit log (SPEC §10) and the devices' telemetry history. Each table group is its own module; this
 * class opens the file, hands them the store, and answers the broker's key lookup (DeviceKeyRegistry) itself.
 *
 * Every write commits before it returns. `transaction` groups several calls (an action and its audit entry) into
 * one commit.
 */
import { randomBytes } from 'node:crypto';
import type { RandomSource } from '../../node/crypto/index.ts';
import { AdminTable } from './admins.ts';
import { AuditLog } from './audit.ts';
import { DeviceTable, type DeviceEnrolment, type DeviceKeyRegistry } from './devices.ts';
import { DeviceHistory } from './history.ts';
import { LockTable } from './locks.ts';
import { DEFAULT_PASSWORD_COST } from './passwords.ts';
import { ReleaseTable } from './releases.ts';
import { RolloutTable } from './rollouts.ts';
import { RegistryStore } from './store.ts';

export interface RegistryOptions {
  /** Salts and API tokens (default: node:crypto randomBytes). */
  readonly random?: RandomSource;
  /** log2 of scrypt's N for new password hashes (default 15; tests use less). */
  readonly passwordCost?: number;
}

export class Registry implements DeviceKeyRegistry {
  readonly devices: DeviceTable;
  readonly releases: ReleaseTable;
  readonly rollouts: RolloutTable;
  readonly locks: LockTable;
  readonly admins: AdminTable;
  readonly audit: AuditLog;
  readonly history: DeviceHistory;
  readonly #store: RegistryStore;

  private constructor(store: RegistryStore, options: RegistryOptions) {
    this.#store = store;
    const random = options.random ?? ((n: number) => new Uint8Array(randomBytes(n)));
    this.devices = new DeviceTable(store);
    this.releases = new ReleaseTable(store);
    this.rollouts = new RolloutTable(store);
    this.locks = new LockTable(store);
    this.admins = new AdminTable(store, random, options.passwordCost ?? DEFAULT_PASSWORD_COST);
    this.audit = new AuditLog(store);
    this.history = new DeviceHistory(store);
  }

  /** Opens (or creates) the registry at `path`, migrating an older file; BAD_STORE if it is not one. */
  static open(path: string, options: RegistryOptions = {}): Registry {
    return new Registry(new RegistryStore(path), options);
  }

  publicKey(deviceId: string): Uint8Array | undefined {
    return this.devices.publicKey(deviceId);
  }

  enrol(device: DeviceEnrolment, now: number): void {
    this.devices.enrol(device, now);
  }

  revoke(deviceId: string, now: number): void {
    this.devices.revoke(deviceId, now);
  }

  isRevoked(deviceId: string): boolean {
    return this.devices.isRevoked(deviceId);
  }

  /** Runs `fn` as one commit: every write inside lands, or none (its error is rethrown). */
  transaction<T>(fn: () => T): T {
    return this.#store.run('run a transaction', fn, true);
  }

  /** The file's schema version (SQLite user_version). */
  get format(): number {
    return this.#store.run('read the format', () => Number(this.#store.db.pragma('user_version', { simple: true })));
  }

  close(): void {
    this.#store.close();
  }
}
