/**
 * Rollouts as the controller stores them: the release, the release an abort returns to, a status for listing, and
 * the rollout engine's snapshot as JSON (fleet/rollout), written after every engine call so a restarted controller
 * continues where it stopped. The registry does not interpret the snapshot; the engine checks it when restoring.
 */
import { RegistryError } from './errors.ts';
import { jsonText, text, time } from './fields.ts';
import type { RegistryStore } from './store.ts';

export interface NewRollout {
  readonly id: string;
  readonly release: string;
  readonly previousRelease: string;
  readonly status: string;
  /** The engine's snapshot (JSON-safe). */
  readonly state: unknown;
}

export interface RolloutRecord extends NewRollout {
  readonly createdAt: number;
  readonly updatedAt: number;
}

interface Row {
  id: string;
  release: string;
  previous_release: string;
  status: string;
  state: string;
  created_at: number;
  updated_at: number;
}

/** Engine snapshots grow with the fleet (about 150 bytes a device); 64 MiB leaves room for ~400,000 devices. */
const MAX_STATE_BYTES = 64 * 1024 * 1024;

const toRecord = (r: Row): RolloutRecord => ({
  id: r.id,
  release: r.release,
  previousRelease: r.previous_release,
  status: r.status,
  state: JSON.parse(r.state) as unknown,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

function stateText(state: unknown): string {
  const encoded = jsonText('rollout.state', state, MAX_STATE_BYTES);
  if (encoded === null) throw new RegistryError('BAD_INPUT', 'rollout.state is missing');
  return encoded;
}

export class RolloutTable {
  readonly #store: RegistryStore;

  constructor(store: RegistryStore) {
    this.#store = store;
  }

  create(rollout: NewRollout, now: number): RolloutRecord {
    const id = text('rollout.id', rollout.id, 128);
    const release = text('rollout.release', rollout.release, 128);
    const previous = text('rollout.previousRelease', rollout.previousRelease, 128);
    const status = text('rollout.status', rollout.status, 32);
    const state = stateText(rollout.state);
    const at = time('now', now);
    return this.#store.run(
      `create rollout ${id}`,
      () => {
        const db = this.#store.db;
        if (db.prepare('SELECT 1 FROM releases WHERE id = ?').get(release) === undefined) {
          throw new RegistryError('NOT_FOUND', `no release ${release}`);
        }
        if (db.prepare('SELECT 1 FROM rollouts WHERE id = ?').get(id) !== undefined) {
          throw new RegistryError('CONFLICT', `rollout ${id} exists`);
        }
        db.prepare(
          'INSERT INTO rollouts (id, release, previous_release, status, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        ).run(id, release, previous, status, state, at, at);
        return toRecord(db.prepare<[string], Row>('SELECT * FROM rollouts WHERE id = ?').get(id)!);
      },
      true,
    );
  }

  /** Stores the engine's latest snapshot and status. */
  save(id: string, update: { readonly status: string; readonly state: unknown }, now: number): void {
    const status = text('rollout.status', update.status, 32);
    const state = stateText(update.state);
    const at = time('now', now);
    this.#store.run(
      `save rollout ${id}`,
      () => {
        const changed = this.#store.db.prepare('UPDATE rollouts SET status = ?, state = ?, updated_at = ? WHERE id = ?').run(status, state, at, id);
        if (changed.changes === 0) throw new RegistryError('NOT_FOUND', `no rollout ${id}`);
      },
      true,
    );
  }

  get(id: string): RolloutRecord | undefined {
    return this.#store.run(`read rollout ${id}`, () => {
      const row = this.#store.db.prepare<[string], Row>('SELECT * FROM rollouts WHERE id = ?').get(id);
      return row === undefined ? undefined : toRecord(row);
    });
  }

  /** Rollouts, optionally of one status (e.g. every `running` one to resume after a restart), oldest first. */
  list(status?: string): RolloutRecord[] {
    return this.#store.run('list rollouts', () => {
      const db = this.#store.db;
      const rows =
        status === undefined
          ? db.prepare<[], Row>('SELECT * FROM rollouts ORDER BY created_at, id').all()
          : db.prepare<[string], Row>('SELECT * FROM rollouts WHERE status = ? ORDER BY created_at, id').all(status);
      return rows.map(toRecord);
    });
  }
}
