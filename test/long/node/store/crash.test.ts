import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { crashLoop } from '../../../support/store-crash.ts';
import { seededRandom } from '../../../support/seeded.ts';

const KILLS = Math.max(50, Number(process.env['AME_CRASH_KILLS'] ?? 60));
const SEED = Number(process.env['AME_CRASH_SEED'] ?? 0xc0ffee);
const dir = mkdtempSync(join(tmpdir(), 'ame-crash-long-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe(`store under ${KILLS} SIGKILLs (seed ${SEED}; AME_CRASH_SEED reproduces)`, () => {
  it('keeps every acknowledged commit, its root, and a database that passes integrity_check', async () => {
    const report = await crashLoop(dir, KILLS, seededRandom(SEED));
    const acked = report.rounds.map((r) => r.acked);
    console.log(`kills: ${report.rounds.length}, acknowledged commits per round: ${acked.join(' ')}`);
    expect(report.problems).toEqual([]);
    expect(report.rounds).toHaveLength(KILLS);
    // Most kills land while the child is committing, not only during its start-up.
    expect(report.rounds.filter((r) => r.acked > 0).length).toBeGreaterThan(KILLS / 2);
    expect(report.rounds.some((r) => r.duringStartup)).toBe(true);
  });
});
