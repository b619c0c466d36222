/**
 * Reading devices back: one by id, or pages filtered by group, tag, online, version and a text search. Pages are
 * keyset pages by id (`after` = the last id of the previous page), so a device enrolled meanwhile never shifts a
 * page and none is shown twice.
 */
import { RegistryError } from './errors.ts';
import { limit as pageLimit, parseJson, text } from './fields.ts';
import type { RegistryStore } from './store.ts';

export interface DeviceRecord {
  readonly id: string;
  readonly publicKey: Uint8Array;
  readonly enrolledAt: number;
  readonly revokedAt: number | null;
  readonly online: boolean;
  readonly lastSeen: number | null;
  readonly version: string | null;
  readonly role: string | null;
  readonly earnings: unknown;
  readonly health: unknown;
  readonly groups: readonly string[];
  readonly tags: readonly string[];
}

export interface DeviceSummary {
  readonly online: number;
  readonly offline: number;
  readonly revoked: number;
  /** Active devices by the version they report running (null: none reported yet). */
  readonly versions: readonly { readonly version: string | null; readonly devices: number }[];
}

export interface DeviceFilter {
  readonly group?: string;
  readonly tag?: string;
  readonly online?: boolean;
  readonly version?: string;
  /** Case-insensitive substring of the id, version or role. */
  readonly search?: string;
  /** false (default): active devices only; true: revoked only; 'any': both. */
  readonly revoked?: boolean | 'any';
  readonly after?: string;
  readonly limit?: number;
}

export interface DevicePage {
  readonly devices: readonly DeviceRecord[];
  /** Pass as `after` for the next page; null on the last one. */
  readonly next: string | null;
}

interface Row {
  id: string;
  public_key: Buffer;
  enrolled_at: number;
  revoked_at: number | null;
  online: number;
  last_seen: number | null;
  version: string | null;
  role: string | null;
  earnings: string | null;
  health: string | null;
}

const COLUMNS = 'id, public_key, enrolled_at, revoked_at, online, last_seen, version, role, earnings, health';

export class DeviceQueries {
  readonly #store: RegistryStore;

  constructor(store: RegistryStore) {
    this.#store = store;
  }

  get(deviceId: string): DeviceRecord | undefined {
    return this.#store.run(`read device ${deviceId}`, () => {
      const row = this.#store.db.prepare<[string], Row>(`SELECT ${COLUMNS} FROM devices WHERE id = ?`).get(deviceId);
      return row === undefined ? undefined : this.#record(row);
    });
  }

  require(deviceId: string): DeviceRecord {
    const record = this.get(deviceId);
    if (record === undefined) throw new RegistryError('NOT_FOUND', `no device ${deviceId}`);
    return record;
  }

  query(filter: DeviceFilter = {}): DevicePage {
    const where: string[] = [];
    const params: (string | number)[] = [];
    const add = (clause: string, ...values: (string | number)[]) => {
      where.push(clause);
      params.push(...values);
    };
    const revoked = filter.revoked ?? false;
    if (revoked === true) add('revoked_at IS NOT NULL');
    else if (revoked === false) add('revoked_at IS NULL');
    else if (revoked !== 'any') throw new RegistryError('BAD_INPUT', "filter.revoked must be true, false or 'any'");
    if (filter.group !== undefined) add('id IN (SELECT device FROM device_groups WHERE name = ?)', text('filter.group', filter.group, 64));
    if (filter.tag !== undefined) add('id IN (SELECT device FROM device_tags WHERE tag = ?)', text('filter.tag', filter.tag, 64));
    if (filter.online !== undefined) {
      if (typeof filter.online !== 'boolean') throw new RegistryError('BAD_INPUT', 'filter.online must be a boolean');
      add('online = ?', filter.online ? 1 : 0);
    }
    if (filter.version !== undefined) add('version = ?', text('filter.version', filter.version, 64));
    if (filter.search !== undefined) {
      const needle = text('filter.search', filter.search, 64).toLowerCase();
      // instr, not LIKE: the needle's % and _ are plain characters here.
      add("(instr(lower(id), ?) > 0 OR instr(lower(coalesce(version, '')), ?) > 0 OR instr(lower(coalesce(role, '')), ?) > 0)", needle, needle, needle);
    }
    if (filter.after !== undefined) add('id > ?', text('filter.after', filter.after, 128));
    const limit = pageLimit(filter.limit);
    const sql = `SELECT ${COLUMNS} FROM devices ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT ?`;
    return this.#store.run('query devices', () => {
      const rows = this.#store.db.prepare<(string | number)[], Row>(sql).all(...params, limit + 1);
      const devices = rows.slice(0, limit).map((r) => this.#record(r));
      return { devices, next: rows.length > limit ? (devices.at(-1)?.id ?? null) : null };
    });
  }

  /** How many devices are online, offline (active ones) and revoked, and the active ones by version running. */
  summary(): DeviceSummary {
    return this.#store.run('summarise devices', () => {
      const db = this.#store.db;
      const states = db
        .prepare<[], { online: number; offline: number; revoked: number }>(
          'SELECT coalesce(sum(revoked_at IS NULL AND online = 1), 0) AS online, coalesce(sum(revoked_at IS NULL AND online = 0), 0) AS offline, coalesce(sum(revoked_at IS NOT NULL), 0) AS revoked FROM devices',
        )
        .get()!;
      const versions = db
        .prepare<[], { version: string | null; devices: number }>('SELECT version, count(*) AS devices FROM devices WHERE revoked_at IS NULL GROUP BY version ORDER BY version')
        .all();
      return { ...states, versions };
    });
  }

  /** Every group with its number of active devices. */
  groups(): { name: string; devices: number }[] {
    return this.#store.run('list groups', () =>
      this.#store.db
        .prepare<[], { name: string; devices: number }>(
          'SELECT g.name AS name, count(*) AS devices FROM device_groups g JOIN devices d ON d.id = g.device WHERE d.revoked_at IS NULL GROUP BY g.name ORDER BY g.name',
        )
        .all(),
    );
  }

  #record(r: Row): DeviceRecord {
    const db = this.#store.db;
    return {
      id: r.id,
      publicKey: new Uint8Array(r.public_key),
      enrolledAt: r.enrolled_at,
      revokedAt: r.revoked_at,
      online: r.online === 1,
      lastSeen: r.last_seen,
      version: r.version,
      role: r.role,
      earnings: parseJson(r.earnings),
      health: parseJson(r.health),
      groups: db.prepare<[string], { name: string }>('SELECT name FROM device_groups WHERE device = ? ORDER BY name').all(r.id).map((g) => g.name),
      tags: db.prepare<[string], { tag: string }>('SELECT tag FROM device_tags WHERE device = ? ORDER BY tag').all(r.id).map((t) => t.tag),
    };
  }
}
