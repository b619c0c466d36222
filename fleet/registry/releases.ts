/**
 * Releases: one row per published bundle, named by the bundle's sha256 so the same bytes are one release however
 * often they are published. Publishing the same release again is a no-op; the same id with other fields is a
 * CONFLICT (the metadata of a content-addressed bundle cannot change).
 */
import { RegistryError } from './errors.ts';
import { limit as pageLimit, text, time } from './fields.ts';
import type { RegistryStore } from './store.ts';

export interface NewRelease {
  /** The bundle's sha256, 64 lowercase hex digits. */
  readonly id: string;
  /** Target name in the image repository's metadata. */
  readonly target: string;
  readonly version: string;
  readonly arch: string;
  /** Bundle size in bytes. */
  readonly length: number;
}

export interface Release extends NewRelease {
  readonly createdAt: number;
}

interface Row {
  id: string;
  target: string;
  version: string;
  arch: string;
  length: number;
  created_at: number;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

const toRelease = (r: Row): Release => ({
  id: r.id,
  target: r.target,
  version: r.version,
  arch: r.arch,
  length: r.length,
  createdAt: r.created_at,
});

export class ReleaseTable {
  readonly #store: RegistryStore;

  constructor(store: RegistryStore) {
    this.#store = store;
  }

  add(release: NewRelease, now: number): Release {
    if (typeof release !== 'object' || release === null) throw new RegistryError('BAD_INPUT', 'release must be an object');
    if (typeof release.id !== 'string' || !SHA256_HEX.test(release.id)) {
      throw new RegistryError('BAD_INPUT', 'release.id must be the bundle sha256 as 64 lowercase hex digits');
    }
    const fields = {
      target: text('release.target', release.target, 255),
      version: text('release.version', release.version, 64),
      arch: text('release.arch', release.arch, 32),
    };
    if (!Number.isSafeInteger(release.length) || release.length < 1) {
      throw new RegistryError('BAD_INPUT', 'release.length must be a positive integer (bytes)');
    }
    const at = time('now', now);
    return this.#store.run(
      `add release ${release.id}`,
      () => {
        const existing = this.get(release.id);
        if (existing !== undefined) {
          const same = existing.target === fields.target && existing.version === fields.version;
          if (same && existing.arch === fields.arch && existing.length === release.length) return existing;
          throw new RegistryError('CONFLICT', `release ${release.id} exists with other metadata`);
        }
        this.#store.db
          .prepare('INSERT INTO releases (id, target, version, arch, length, created_at) VALUES (?, ?, ?, ?, ?, ?)')
          .run(release.id, fields.target, fields.version, fields.arch, release.length, at);
        return { id: release.id, ...fields, length: release.length, createdAt: at };
      },
      true,
    );
  }

  get(id: string): Release | undefined {
    return this.#store.run(`read release ${id}`, () => {
      const row = this.#store.db.prepare<[string], Row>('SELECT * FROM releases WHERE id = ?').get(id);
      return row === undefined ? undefined : toRelease(row);
    });
  }

  /** Newest first. */
  list(options: { readonly limit?: number; readonly offset?: number } = {}): Release[] {
    const limit = pageLimit(options.limit);
    const offset = options.offset ?? 0;
    if (!Number.isSafeInteger(offset) || offset < 0) throw new RegistryError('BAD_INPUT', 'offset must be an integer ≥ 0');
    return this.#store.run('list releases', () =>
      this.#store.db
        .prepare<[number, number], Row>('SELECT * FROM releases ORDER BY created_at DESC, id LIMIT ? OFFSET ?')
        .all(limit, offset)
        .map(toRelease),
    );
  }
}
