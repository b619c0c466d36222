/**
 * The root documents shipped on the boot partition (device/update/roots.ts) and an update agent without usable
 * ones: it starts (a trial would still be judged) and refuses every offer with NO_ROOTS or BAD_ROOTS, writing no
 * trust.json; once trust.json exists the roots are no longer needed.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createUpdateAgent,
  type InitialRoots,
  readShippedRoots,
  shippedRootPaths,
  UpdateAgentError,
  updatePaths,
} from '../../../../device/update/index.ts';
import { ManualClock } from '../../../../hal/index.ts';
import type { UpdateReport } from '../../../../node/fleetproto/index.ts';
import { type Release, startUpdateRepo, type UpdateRepo } from '../../../support/update-repo.ts';

const ID = 'device-roots';
let dir: string;
let repo: UpdateRepo;
let v1: Release;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ame-roots-'));
  repo = await startUpdateRepo();
  v1 = await repo.release('1.0.0', { 'app.js': 'v1', 'health.txt': 'ok' });
});

afterEach(async () => {
  await repo.close();
  rmSync(dir, { recursive: true, force: true });
});

const ship = (roots: Partial<Record<'image' | 'director', Uint8Array>>) => {
  const paths = shippedRootPaths(join(dir, 'boot'));
  mkdirSync(join(dir, 'boot', 'fleet-root'), { recursive: true });
  if (roots.image) writeFileSync(paths.image, roots.image);
  if (roots.director) writeFileSync(paths.director, roots.director);
};

/** An agent on `<dir>/data` given `roots`; its reports, and a way to offer v1 and wait for the outcome. */
async function agentWith(roots: InitialRoots | UpdateAgentError) {
  const reports: UpdateReport[] = [];
  const restarts: (string | null)[] = [];
  const agent = createUpdateAgent({
    dataDir: join(dir, 'data'),
    deviceId: ID,
    clock: new ManualClock(repo.clock.now()),
    initialRoots: roots,
    health: async () => ({ ok: true }),
    restart: async (slot) => void restarts.push(slot),
    report: (r) => reports.push(r),
    judgement: { windowMs: 1_000, checks: 1, bootsAllowed: 1 },
  });
  await agent.start();
  const offerV1 = async () => {
    agent.offer(repo.assign(ID, v1));
    await agent.settled();
    return reports.at(-1);
  };
  return { agent, reports, restarts, offerV1 };
}

describe('shipped roots', () => {
  it('reads both files from <bootDir>/fleet-root', () => {
    ship({ image: repo.initialRoots.image, director: repo.initialRoots.director });
    expect(readShippedRoots(join(dir, 'boot'))).toEqual({ image: repo.initialRoots.image, director: repo.initialRoots.director });
  });

  it('NO_ROOTS without either file, naming where they go; BAD_ROOTS with one missing, empty or oversized', () => {
    const none = readShippedRoots(join(dir, 'boot'));
    expect(none).toBeInstanceOf(UpdateAgentError);
    expect((none as UpdateAgentError).code).toBe('NO_ROOTS');
    expect((none as UpdateAgentError).message).toContain(join(dir, 'boot', 'fleet-root'));

    ship({ image: repo.initialRoots.image });
    expect(readShippedRoots(join(dir, 'boot'))).toMatchObject({ code: 'BAD_ROOTS', message: expect.stringMatching(/director root .* is missing/) });
    ship({ director: new Uint8Array() });
    expect(readShippedRoots(join(dir, 'boot'))).toMatchObject({ code: 'BAD_ROOTS', message: expect.stringMatching(/0 bytes/) });
    ship({ director: new Uint8Array(64 * 1024 + 1) });
    expect(readShippedRoots(join(dir, 'boot'))).toMatchObject({ code: 'BAD_ROOTS' });
  });
});

describe('an update agent without usable roots', () => {
  it('starts, refuses an offer with NO_ROOTS and writes no trust.json', async () => {
    const { agent, offerV1, restarts } = await agentWith(readShippedRoots(join(dir, 'boot')) as UpdateAgentError);
    expect(await offerV1()).toMatchObject({ status: 'failed', target: null, running: null, code: 'NO_ROOTS' });
    expect(existsSync(updatePaths(join(dir, 'data')).trust)).toBe(false);
    expect(restarts).toEqual([]);
    await agent.stop();
  });

  it('refuses with BAD_ROOTS when the shipped documents are not signed roots', async () => {
    const { agent, offerV1 } = await agentWith({ image: new Uint8Array([0xa0]), director: repo.initialRoots.director });
    const report = await offerV1();
    expect(report).toMatchObject({ status: 'failed', code: 'BAD_ROOTS' });
    expect(report?.reason).toMatch(/shipped root documents are not usable/);
    expect(existsSync(updatePaths(join(dir, 'data')).trust)).toBe(false);
    await agent.stop();
  });

  it('needs no roots once trust.json exists', async () => {
    const first = await agentWith(repo.initialRoots);
    await first.agent.stop();
    expect(existsSync(updatePaths(join(dir, 'data')).trust)).toBe(true);
    const later = await agentWith(new UpdateAgentError('NO_ROOTS', 'the boot partition lost them'));
    expect(await later.offerV1()).toEqual({ status: 'installed', target: v1.name, running: v1.name });
    expect(later.restarts).toHaveLength(1);
    await later.agent.stop();
  });
});
