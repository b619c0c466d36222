/** The registry's telemetry history on a real SQLite file: bounding by interval, retention, paging, migration. */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS, Registry, RegistryError, REGISTRY_FORMAT, type SampleFigures } from '../../../../fleet/registry/index.ts';
import { codeOf } from '../../../support/error-code.ts';
import { device, registryPerTest, TEST_PASSWORD_COST } from './temp.ts';

const s = registryPerTest();
const MINUTE = 60_000;
const POLICY = { intervalMs: MINUTE, retentionMs: 60 * MINUTE };

const figures = (served: number, extra: Partial<SampleFigures> = {}): SampleFigures => ({
  online: true,
  state: 'serving',
  healthy: true,
  version: '1.0.0',
  role: 'temporary',
  servedRequests: served,
  settled: String(served * 10),
  unsettled: '5',
  balance: '1000000000000000000000',
  rssBytes: 50_000_000,
  ...extra,
});

describe('device history', () => {
  it('keeps at most one sample per device per interval, and reads them back in time order', () => {
    const a = device('history a');
    const b = device('history b');
    s.r.enrol(a, 0);
    s.r.enrol(b, 0);
    const first = s.r.history.record([[a.id, figures(1)], [b.id, figures(2)]], 1_000, POLICY);
    expect(first).toEqual({ written: [a.id, b.id], early: [], unknown: [], pruned: 0 });
    // Within the interval: refused as early, nothing written.
    expect(s.r.history.record([[a.id, figures(3)]], 1_000 + MINUTE - 1, POLICY)).toMatchObject({ written: [], early: [a.id] });
    expect(s.r.history.record([[a.id, figures(4)]], 1_000 + MINUTE, POLICY).written).toEqual([a.id]);
    expect(s.r.history.count(a.id)).toBe(2);
    expect(s.r.history.count(b.id)).toBe(1);
    const page = s.r.history.query(a.id);
    expect(page.next).toBeNull();
    expect(page.samples).toEqual([
      { time: 1_000, ...figures(1) },
      { time: 1_000 + MINUTE, ...figures(4) },
    ]);
    // Nulls and falses survive the round trip as themselves.
    s.r.history.record([[b.id, figures(5, { online: false, healthy: null, balance: null, rssBytes: null })]], 1_000 + MINUTE, POLICY);
    expect(s.r.history.query(b.id).samples.at(-1)).toEqual({ time: 1_000 + MINUTE, ...figures(5, { online: false, healthy: null, balance: null, rssBytes: null }) });
  });

  it('bounds a device to retention / interval + 1 samples however often it reports, and prunes by age', () => {
    const a = device('history bound');
    s.r.enrol(a, 0);
    // Two hours of reports every 10 s: 720 attempts.
    let written = 0;
    for (let t = 0; t <= 2 * 60 * MINUTE; t += 10_000) written += s.r.history.record([[a.id, figures(t)]], t, POLICY).written.length;
    expect(written).toBe(121);
    const kept = s.r.history.count(a.id);
    expect(kept).toBeLessThanOrEqual(POLICY.retentionMs / POLICY.intervalMs + 1);
    expect(kept).toBe(61);
    const times = s.r.history.query(a.id, { limit: 1_000 }).samples.map((x) => x.time);
    expect(times[0]).toBe(2 * 60 * MINUTE - POLICY.retentionMs);
    expect(times.every((t, i) => i === 0 || t - times[i - 1]! >= POLICY.intervalMs)).toBe(true);
    // An empty batch still applies the retention.
    expect(s.r.history.record([], 3 * 60 * MINUTE + 1, POLICY)).toEqual({ written: [], early: [], unknown: [], pruned: 61 });
    expect(s.r.history.count()).toBe(0);
  });

  it('pages by since, drops unknown devices, refuses bad figures, policies and queries as BAD_INPUT', () => {
    const a = device('history paging');
    const stranger = device('history stranger');
    s.r.enrol(a, 0);
    for (let i = 0; i < 5; i++) s.r.history.record([[a.id, figures(i)]], i * MINUTE, POLICY);
    const one = s.r.history.query(a.id, { limit: 2 });
    expect(one.samples.map((x) => x.servedRequests)).toEqual([0, 1]);
    expect(one.next).toBe(MINUTE + 1);
    const two = s.r.history.query(a.id, { since: one.next!, limit: 2 });
    expect(two.samples.map((x) => x.servedRequests)).toEqual([2, 3]);
    const three = s.r.history.query(a.id, { since: two.next!, limit: 2 });
    expect([three.samples.map((x) => x.servedRequests), three.next]).toEqual([[4], null]);
    expect(s.r.history.query(a.id, { since: 2 * MINUTE }).samples).toHaveLength(3);
    expect(s.r.history.query(stranger.id).samples).toEqual([]);

    expect(s.r.history.record([[stranger.id, figures(1)]], 10 * MINUTE, POLICY)).toMatchObject({ written: [], unknown: [stranger.id] });
    const bad: Partial<SampleFigures>[] = [{ servedRequests: -1 }, { servedRequests: 1.5 }, { settled: '1e5' }, { version: 'v'.repeat(65) }, { state: 'bad\nline' }, { online: 1 as unknown as boolean }];
    for (const b of bad) expect(codeOf(() => s.r.history.record([[a.id, { ...figures(1), ...b }]], 20 * MINUTE, POLICY), RegistryError), JSON.stringify(b)).toBe('BAD_INPUT');
    // A refused batch writes nothing, not even its good samples.
    expect(codeOf(() => s.r.history.record([[a.id, figures(9)], [a.id, { ...figures(1), settled: 'x' }]], 30 * MINUTE, POLICY), RegistryError)).toBe('BAD_INPUT');
    expect(s.r.history.count(a.id)).toBe(5);
    expect(codeOf(() => s.r.history.record([], 1, { intervalMs: 0, retentionMs: 1 }), RegistryError)).toBe('BAD_INPUT');
    expect(codeOf(() => s.r.history.record([], 1.5, POLICY), RegistryError)).toBe('BAD_INPUT');
    for (const q of [{ limit: 0 }, { limit: 10_081 }, { since: -0.5 }, { since: Number.NaN }]) expect(codeOf(() => s.r.history.query(a.id, q), RegistryError), JSON.stringify(q)).toBe('BAD_INPUT');
  });

  it('migrates a registry file of the previous format, keeping its devices, and records history after', () => {
    const a = device('history migrated');
    const path = s.t.path.replace(/registry\.sqlite$/, 'old.sqlite');
    const db = new Database(path);
    // Format 2: the last one before the history (migration 3).
    for (const [v, step] of MIGRATIONS.slice(0, 2).entries()) {
      db.exec(step);
      db.pragma(`user_version = ${v + 1}`);
    }
    db.prepare('INSERT INTO devices (id, public_key, enrolled_at, online, version) VALUES (?, ?, ?, 1, ?)').run(a.id, Buffer.from(a.publicKey), 5, '0.9.0');
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'device_samples'").get()).toEqual({ n: 0 });
    db.close();

    const r = Registry.open(path, { passwordCost: TEST_PASSWORD_COST });
    try {
      expect(r.format).toBe(REGISTRY_FORMAT);
      expect(r.devices.get(a.id)).toMatchObject({ enrolledAt: 5, online: true, version: '0.9.0' });
      expect(r.history.record([[a.id, figures(7)]], 100, POLICY).written).toEqual([a.id]);
      expect(r.history.query(a.id).samples.map((x) => x.servedRequests)).toEqual([7]);
    } finally {
      r.close();
    }
    const again = Registry.open(path, { passwordCost: TEST_PASSWORD_COST });
    expect(again.history.count(a.id)).toBe(1);
    again.close();
  });
});
