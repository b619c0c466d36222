import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, ServiceLog, storeFiles } from '../../../node/store/index.ts';
import { runAme } from '../../support/cli.ts';
import { sampleEntry } from '../../unit/node/store/service-log-fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'ame-store-cli-'));
const files = storeFiles(dir);
const key = (i: number) => createHash('sha256').update(`key ${i}`).digest();
const DAY = 86_400_000;

beforeAll(() => {
  mkdirSync(files.dir, { recursive: true });
  const store = openStore(files.state);
  for (let v = 0; v < 20; v++) {
    store.commit(Array.from({ length: 10 }, (_, i) => ({ key: key(v * 10 + i), baseVersion: 0, value: Buffer.from(`v${v} i${i}`) })));
  }
  store.close();
  let time = Date.now() - 10 * DAY;
  const log = ServiceLog.open({ path: files.serviceLog, batchSize: 10, now: () => time });
  for (let i = 0; i < 30; i++) log.append(sampleEntry(i));
  time = Date.now();
  for (let i = 30; i < 35; i++) log.append(sampleEntry(i));
  log.seal();
  log.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ame store', () => {
  it('reports stats of the state store and the service log', async () => {
    const r = await runAme(['store', 'stats', '--data', dir, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as { state: Record<string, unknown>; serviceLog: Record<string, unknown> };
    expect(s.state).toMatchObject({ head: 20, liveKeys: 200, journalMode: 'wal', synchronous: 'FULL' });
    expect(s.serviceLog).toMatchObject({ entries: 35 });
    const text = await runAme(['store', 'stats', '--data', dir]);
    expect(text.stdout).toMatch(/liveKeys\s+200/);
  });

  it('verifies, garbage-collects old versions and old log batches, and verifies again', async () => {
    const ok = await runAme(['store', 'verify', '--data', dir, '--json']);
    expect(ok.code, ok.stdout).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, state: { integrityCheck: 'ok' }, serviceLog: { ok: true } });

    const gc = await runAme(['store', 'gc', '--data', dir, '--keep', '5', '--log-keep-days', '3', '--json']);
    expect(gc.code, gc.stderr).toBe(0);
    const g = JSON.parse(gc.stdout) as { state: { horizon: number; nodesRemoved: number }; serviceLog: { entries: number } };
    expect(g.state.horizon).toBe(16);
    expect(g.state.nodesRemoved).toBeGreaterThan(0);
    expect(g.serviceLog.entries).toBe(30);

    const again = await runAme(['store', 'verify', '--data', dir]);
    expect(again.code, again.stdout).toBe(0);
    const store = openStore(files.state);
    expect(store.get(key(0))).toEqual(Buffer.from('v0 i0'));
    expect(() => store.get(key(0), 10)).toThrow(expect.objectContaining({ code: 'PRUNED' }));
    store.close();
  });

  it('exits 1 and names the table when a stored byte was changed', async () => {
    const raw = new Database(files.state);
    const row = raw.prepare<[], { rowid: number }>('SELECT v AS rowid FROM commits ORDER BY v DESC LIMIT 1').get();
    raw.prepare('UPDATE commits SET root = zeroblob(32) WHERE v = ?').run(row!.rowid);
    raw.close();
    const r = await runAme(['store', 'verify', '--data', dir, '--json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { ok: boolean; state: { problems: { table: string }[] } };
    expect(report.ok).toBe(false);
    expect(report.state.problems.map((p) => p.table)).toContain('commits');
  });

  it('refuses a folder without a store and bad options, with one-line errors', async () => {
    const none = await runAme(['store', 'stats', '--data', join(dir, 'nothing')]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no store in');
    const bad = await runAme(['store', 'gc', '--data', dir, '--keep', 'lots']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--keep must be a whole number');
  });
});
