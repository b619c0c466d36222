import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { crashLoop } from '../../../support/store-crash.ts';
import { seededRandom } from '../../../support/seeded.ts';

const dir = mkdtempSync(join(tmpdir(), 'ame-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('store under SIGKILL (a few rounds; test:long runs 60)', () => {
  it('keeps every acknowledged commit, its root, and a database that passes integrity_check', async () => {
    const report = await crashLoop(dir, 6, seededRandom(0x5eed));
    expect(report.problems).toEqual([]);
    expect(report.rounds.reduce((n, r) => n + r.acked, 0)).toBeGreaterThan(0);
  });
});
