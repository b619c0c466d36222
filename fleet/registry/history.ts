/**
 * Telemetry history: samples of what each device reported (online, agent state, health, version, role, served
 * requests, earnings, balance, memory), so the console can chart a device over time while `devices` keeps only the
 * latest report. The table stays bounded by two rules applied at every write, whoever calls: a device gets no new
 * sample while it has one younger than the policy's interval, and samples older than its retention are deleted. With
 * a clock that does not run backwards a device therefore holds at most retention / interval + 1 samples.
 *
 * `record` takes a whole batch in one transaction, so a thousand devices reporting cost one commit, not a thousand.
 */
import { RegistryError } from './errors.ts';
import { time } from './fields.ts';
import type { RegistryStore } from './store.ts';

/** What one sample holds; null where the device never reported that figure. Amounts are decimal micro-units as text. */
export interface SampleFigures {
  readonly online: boolean | null;
  /** The agent's state name (serving, degraded, …). */
  readonly state: string | null;
  readonly healthy: boolean | null;
  readonly version: string | null;
  readonly role: string | null;
  readonly servedRequests: number | null;
  readonly settled: string | null;
  readonly unsettled: string | null;
  readonly balance: string | null;
  readonly rssBytes: number | null;
}

export interface DeviceSample extends SampleFigures {
  readonly time: number;
}

export const FIGURE_NAMES = ['online', 'state', 'healthy', 'version', 'role', 'servedRequests', 'settled', 'unsettled', 'balance', 'rssBytes'] as const;

// Control characters would let a reported name forge lines in logs and the console.
// eslint-disable-next-line no-control-regex
const SHORT_TEXT = /^[^\u0000-\u001f\u007f]{1,64}$/;
const AMOUNT = /^-?\d{1,40}$/;
const isText = (v: unknown) => typeof v === 'string' && SHORT_TEXT.test(v);
const isCount = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
const isAmount = (v: unknown) => typeof v === 'string' && AMOUNT.test(v);
const isBool = (v: unknown) => typeof v === 'boolean';

/** Whether `value` (not null) is one the named figure may hold: the device watch keeps only such values. */
export const FIGURE_CHECKS: Readonly<Record<keyof SampleFigures, (value: unknown) => boolean>> = {
  online: isBool,
  state: isText,
  healthy: isBool,
  version: isText,
  role: isText,
  servedRequests: isCount,
  settled: isAmount,
  unsettled: isAmount,
  balance: isAmount,
  rssBytes: isCount,
};

/** The bounds `record` enforces. */
export interface HistoryPolicy {
  /** Least time between two samples of one device (ms). */
  readonly intervalMs: number;
  /** Samples older than this (ms) are deleted. */
  readonly retentionMs: number;
}

export interface HistoryWrite {
  /** Devices that got a sample. */
  readonly written: readonly string[];
  /** Devices skipped because their last sample is younger than the interval: try again later. */
  readonly early: readonly string[];
  /** Devices the registry does not know: their samples are dropped. */
  readonly unknown: readonly string[];
  /** Samples deleted for their age. */
  readonly pruned: number;
}

export interface HistoryQuery {
  /** Samples at or after this time (ms; default 0). */
  readonly since?: number;
  /** 1–MAX_HISTORY_LIMIT (default DEFAULT_HISTORY_LIMIT). */
  readonly limit?: number;
}

export interface HistoryPage {
  /** Oldest first. */
  readonly samples: readonly DeviceSample[];
  /** Pass as `since` for the next page; null on the last one. */
  readonly next: number | null;
}

export const DEFAULT_HISTORY_LIMIT = 1_000;
/** A week of one sample a minute fits in one page. */
export const MAX_HISTORY_LIMIT = 10_080;

interface Row {
  time: number;
  online: number | null;
  state: string | null;
  healthy: number | null;
  version: string | null;
  role: string | null;
  served: number | null;
  settled: string | null;
  unsettled: string | null;
  balance: string | null;
  rss: number | null;
}

const bit = (v: boolean | null) => (v === null ? null : v ? 1 : 0);
const flag = (v: number | null) => (v === null ? null : v === 1);

function checked(deviceId: string, figures: SampleFigures): SampleFigures {
  if (typeof figures !== 'object' || figures === null) throw new RegistryError('BAD_INPUT', `the sample of ${deviceId} must be an object`);
  for (const name of FIGURE_NAMES) {
    const value = figures[name];
    if (value !== null && !FIGURE_CHECKS[name](value)) throw new RegistryError('BAD_INPUT', `sample.${name} of ${deviceId} is not a value that figure takes`);
  }
  return figures;
}

function policyOf(policy: HistoryPolicy): HistoryPolicy {
  for (const key of ['intervalMs', 'retentionMs'] as const) {
    if (!Number.isSafeInteger(policy[key]) || policy[key] < 1) throw new RegistryError('BAD_INPUT', `policy.${key} must be a positive integer (ms)`);
  }
  return policy;
}

export class DeviceHistory {
  readonly #store: RegistryStore;

  constructor(store: RegistryStore) {
    this.#store = store;
  }

  /** Records a batch of samples taken at `now`, and deletes those past the retention: one transaction. */
  record(samples: Iterable<readonly [string, SampleFigures]>, now: number, policy: HistoryPolicy): HistoryWrite {
    const at = time('now', now);
    const { intervalMs, retentionMs } = policyOf(policy);
    const batch = [...samples].map(([id, figures]) => [id, checked(id, figures)] as const);
    return this.#store.run(
      'record device samples',
      () => {
        const db = this.#store.db;
        const numbered = db.prepare<[string], { n: number }>('SELECT n FROM sample_devices WHERE device = ?');
        const number = db.prepare<[string], { n: number }>('INSERT INTO sample_devices (device) SELECT id FROM devices WHERE id = ? RETURNING n');
        const recent = db.prepare<[number, number], { n: number }>('SELECT 1 AS n FROM device_samples WHERE device = ? AND time > ? LIMIT 1');
        const insert = db.prepare(
          'INSERT INTO device_samples (device, time, online, state, healthy, version, role, served, settled, unsettled, balance, rss) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        );
        const written: string[] = [];
        const early: string[] = [];
        const unknown: string[] = [];
        for (const [id, f] of batch) {
          const n = (numbered.get(id) ?? number.get(id))?.n;
          if (n === undefined) unknown.push(id);
          else if (recent.get(n, at - intervalMs) !== undefined) early.push(id);
          else {
            insert.run(n, at, bit(f.online), f.state, bit(f.healthy), f.version, f.role, f.servedRequests, f.settled, f.unsettled, f.balance, f.rssBytes);
            written.push(id);
          }
        }
        const pruned = db.prepare('DELETE FROM device_samples WHERE time < ?').run(at - retentionMs).changes;
        return { written, early, unknown, pruned };
      },
      true,
    );
  }

  /** A device's samples in time order from `since`, one page at a time (an unknown device has none). */
  query(deviceId: string, q: HistoryQuery = {}): HistoryPage {
    const since = q.since === undefined ? 0 : time('since', q.since);
    const limit = q.limit ?? DEFAULT_HISTORY_LIMIT;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_HISTORY_LIMIT) throw new RegistryError('BAD_INPUT', `limit must be an integer in 1-${MAX_HISTORY_LIMIT}`);
    return this.#store.run(`read the history of ${deviceId}`, () => {
      const rows = this.#store.db
        .prepare<[string, number, number], Row>(
          'SELECT time, online, state, healthy, version, role, served, settled, unsettled, balance, rss FROM device_samples WHERE device = (SELECT n FROM sample_devices WHERE device = ?) AND time >= ? ORDER BY time LIMIT ?',
        )
        .all(deviceId, since, limit + 1);
      const samples = rows.slice(0, limit).map(
        (r): DeviceSample => ({
          time: r.time,
          online: flag(r.online),
          state: r.state,
          healthy: flag(r.healthy),
          version: r.version,
          role: r.role,
          servedRequests: r.served,
          settled: r.settled,
          unsettled: r.unsettled,
          balance: r.balance,
          rssBytes: r.rss,
        }),
      );
      return { samples, next: rows.length > limit ? samples.at(-1)!.time + 1 : null };
    });
  }

  /** How many samples a device holds (all devices when none is named). */
  count(deviceId?: string): number {
    return this.#store.run('count device samples', () => {
      const db = this.#store.db;
      const row =
        deviceId === undefined
          ? db.prepare<[], { n: number }>('SELECT count(*) AS n FROM device_samples').get()
          : db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM device_samples WHERE device = (SELECT n FROM sample_devices WHERE device = ?)').get(deviceId);
      return row!.n;
    });
  }
}
