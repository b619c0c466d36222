/**
 * The audit log: append-only, one row per admin action, numbered by a sequence that only grows (AUTOINCREMENT never
 * reuses a number). SQL triggers refuse UPDATE and DELETE, so not even code of ours with the file open can rewrite
 * history; only someone editing the file outside the registry can.
 */
import { RegistryError } from './errors.ts';
import { jsonText, limit as pageLimit, optionalText, parseJson, text, time } from './fields.ts';
import type { RegistryStore } from './store.ts';

export interface AuditEntry {
  readonly seq: number;
  readonly time: number;
  readonly actor: string;
  readonly action: string;
  readonly target: string | null;
  readonly detail: unknown;
}

export interface AuditQuery {
  /** Entries at or after this time (ms). */
  readonly since?: number;
  /** Entries before this time (ms). */
  readonly until?: number;
  readonly actor?: string;
  readonly action?: string;
  /** Entries after this seq: the `next` of the previous page. */
  readonly after?: number;
  readonly limit?: number;
}

export interface AuditPage {
  readonly entries: readonly AuditEntry[];
  readonly next: number | null;
}

interface Row {
  seq: number;
  time: number;
  actor: string;
  action: string;
  target: string | null;
  detail: string | null;
}

export class AuditLog {
  readonly #store: RegistryStore;

  constructor(store: RegistryStore) {
    this.#store = store;
  }

  append(actor: string, action: string, target: string | null, detail: unknown, at: number): AuditEntry {
    const entry = {
      time: time('time', at),
      actor: text('actor', actor, 128),
      action: text('action', action, 64),
      target: optionalText('target', target, 256),
    };
    const encoded = jsonText('detail', detail);
    return this.#store.run(
      'append to the audit log',
      () => {
        const seq = Number(
          this.#store.db
            .prepare('INSERT INTO audit (time, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)')
            .run(entry.time, entry.actor, entry.action, entry.target, encoded).lastInsertRowid,
        );
        return { seq, ...entry, detail: parseJson(encoded) };
      },
      true,
    );
  }

  /** Entries in seq order, filtered, one page at a time. */
  query(q: AuditQuery = {}): AuditPage {
    const where: string[] = [];
    const params: (string | number)[] = [];
    const add = (clause: string, value: string | number) => {
      where.push(clause);
      params.push(value);
    };
    if (q.since !== undefined) add('time >= ?', time('since', q.since));
    if (q.until !== undefined) add('time < ?', time('until', q.until));
    if (q.actor !== undefined) add('actor = ?', text('actor', q.actor, 128));
    if (q.action !== undefined) add('action = ?', text('action', q.action, 64));
    if (q.after !== undefined) {
      if (!Number.isSafeInteger(q.after)) throw new RegistryError('BAD_INPUT', 'after must be a seq (an integer)');
      add('seq > ?', q.after);
    }
    const limit = pageLimit(q.limit);
    const sql = `SELECT * FROM audit ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq LIMIT ?`;
    return this.#store.run('query the audit log', () => {
      const rows = this.#store.db.prepare<(string | number)[], Row>(sql).all(...params, limit + 1);
      const entries = rows.slice(0, limit).map((r) => ({ ...r, detail: parseJson(r.detail) }));
      return { entries, next: rows.length > limit ? (entries.at(-1)?.seq ?? null) : null };
    });
  }
}
