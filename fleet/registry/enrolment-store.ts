/**
 * The registry as fleet/enrol's EnrolmentStore: provisioning tokens (only the secret's hash) in
 * `provisioning_tokens`, devices in the registry's own `devices` table (so the broker's key lookup, groups and
 * revocation are the registry's), and which token each device used in `device_enrolments`.
 *
 * It works on its own connection to the registry file (the Registry keeps its store private); better-sqlite3 is
 * synchronous, so the two connections never hold transactions at once within the controller's process.
 */
import type { EnrolledDevice, EnrolmentStore, StoredToken } from '../enrol/index.ts';
import { DeviceTable } from './devices.ts';
import { RegistryError } from './errors.ts';
import { RegistryStore } from './store.ts';

interface TokenRow {
  id: string;
  secret_hash: Buffer;
  created_at: number;
  expires_at: number;
  max_uses: number;
  uses: number;
  groups: string;
  tags: string;
}

const toToken = (r: TokenRow): StoredToken => ({
  id: r.id,
  secretHash: new Uint8Array(r.secret_hash),
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  maxUses: r.max_uses,
  uses: r.uses,
  groups: JSON.parse(r.groups) as string[],
  tags: JSON.parse(r.tags) as string[],
});

export class RegistryEnrolmentStore implements EnrolmentStore {
  readonly #store: RegistryStore;
  readonly #devices: DeviceTable;

  private constructor(store: RegistryStore) {
    this.#store = store;
    this.#devices = new DeviceTable(store);
  }

  /** Opens the registry file at `path` (the one Registry.open uses) for enrolment. */
  static open(path: string): RegistryEnrolmentStore {
    return new RegistryEnrolmentStore(new RegistryStore(path));
  }

  publicKey(id: string): Uint8Array | undefined {
    return this.#devices.publicKey(id);
  }

  device(id: string): EnrolledDevice | undefined {
    const record = this.#devices.get(id);
    if (record === undefined) return undefined;
    const row = this.#store.run(`read the enrolment of ${id}`, () =>
      this.#store.db.prepare<[string], { token: string }>('SELECT token FROM device_enrolments WHERE device = ?').get(id),
    );
    return {
      id: record.id,
      publicKey: record.publicKey,
      enrolledAt: record.enrolledAt,
      // A device enrolled by hand (registry.enrol) used no token.
      tokenId: row?.token ?? '',
      groups: record.groups,
      tags: record.tags,
      ...(record.revokedAt === null ? {} : { revokedAt: record.revokedAt }),
    };
  }

  addToken(token: StoredToken): void {
    this.#store.run(
      `save token ${token.id}`,
      () => {
        this.#store.db
          .prepare('INSERT INTO provisioning_tokens (id, secret_hash, created_at, expires_at, max_uses, uses, groups, tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
          .run(token.id, Buffer.from(token.secretHash), token.createdAt, token.expiresAt, token.maxUses, token.uses, JSON.stringify(token.groups), JSON.stringify(token.tags));
      },
      true,
    );
  }

  token(id: string): StoredToken | undefined {
    return this.#store.run(`read token ${id}`, () => {
      const row = this.#store.db.prepare<[string], TokenRow>('SELECT * FROM provisioning_tokens WHERE id = ?').get(id);
      return row === undefined ? undefined : toToken(row);
    });
  }

  tokens(): StoredToken[] {
    return this.#store.run('list the provisioning tokens', () =>
      this.#store.db.prepare<[], TokenRow>('SELECT * FROM provisioning_tokens ORDER BY created_at, id').all().map(toToken),
    );
  }

  endToken(id: string, at: number): boolean {
    return this.#store.run(
      `end token ${id}`,
      () => this.#store.db.prepare('UPDATE provisioning_tokens SET expires_at = MIN(expires_at, ?) WHERE id = ?').run(at, id).changes > 0,
      true,
    );
  }

  /** The device, its token and the token's use count, in one transaction. */
  enrol(device: EnrolledDevice): void {
    this.#store.run(
      `enrol ${device.id}`,
      () => {
        const db = this.#store.db;
        const used = db.prepare('UPDATE provisioning_tokens SET uses = uses + 1 WHERE id = ?').run(device.tokenId);
        if (used.changes === 0) throw new RegistryError('NOT_FOUND', `no provisioning token ${device.tokenId}`);
        this.#devices.enrol({ id: device.id, publicKey: device.publicKey, groups: device.groups, tags: device.tags }, device.enrolledAt);
        db.prepare('INSERT INTO device_enrolments (device, token) VALUES (?, ?)').run(device.id, device.tokenId);
      },
      true,
    );
  }

  revoke(id: string, at: number): boolean {
    if (this.#devices.get(id) === undefined) return false;
    this.#devices.revoke(id, at);
    return true;
  }

  close(): void {
    this.#store.close();
  }
}
