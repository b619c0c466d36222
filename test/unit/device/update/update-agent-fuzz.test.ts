/**
 * Whatever bytes the repository or the offer carry, the agent answers with a `failed` report whose code is an
 * UpdateError code: nothing it is sent crashes it, switches the running release or changes its trust state.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UPDATE_ERROR_CODES } from '../../../../node/update/index.ts';
import { updatePaths } from '../../../../device/update/index.ts';
import { createSimUpdateDevice, type SimUpdateDevice } from '../../../support/update-device.ts';
import { type Release, startUpdateRepo, type UpdateRepo } from '../../../support/update-repo.ts';

const ID = 'device-fuzzed';
const PATHS = ['metadata/root/2', 'metadata/timestamp', 'metadata/snapshot', 'metadata/targets'] as const;

let repo: UpdateRepo;
let device: SimUpdateDevice;
let v2: Release;

beforeAll(async () => {
  repo = await startUpdateRepo();
  const v1 = await repo.release('1.0.0', { 'app.js': 'v1', 'health.txt': 'ok' });
  device = await createSimUpdateDevice({ repo, id: ID });
  device.offer(repo.assign(ID, v1));
  await device.settle();
  v2 = await repo.release('2.0.0', { 'app.js': 'v2', 'health.txt': 'ok' });
});

afterAll(async () => {
  await device.close();
  await repo.close();
});

async function expectRefused(offer: Parameters<SimUpdateDevice['offer']>[0]): Promise<void> {
  const trust = readFileSync(updatePaths(device.dataDir).trust, 'utf8');
  device.offer(offer);
  await device.settle();
  const report = device.agent().status();
  expect(report?.status, JSON.stringify(report)).toBe('failed');
  expect(UPDATE_ERROR_CODES).toContain(report?.code);
  expect(device.runningFile('app.js')).toBe('v1');
  expect(readFileSync(updatePaths(device.dataDir).trust, 'utf8')).toBe(trust);
}

describe('update agent fuzzing', () => {
  it('random bytes as a repository document are refused with an UpdateError code', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...PATHS), fc.uint8Array({ maxLength: 2_048 }), async (path, bytes) => {
        repo.override(path, bytes);
        try {
          await expectRefused(repo.assign(ID, v2));
        } finally {
          repo.override(path, undefined);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('random bytes as the offer\'s director document or roots are refused with an UpdateError code', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2_048 }), fc.array(fc.uint8Array({ maxLength: 512 }), { maxLength: 2 }), async (director, roots) => {
        await expectRefused({ director, directorRoots: roots, repository: repo.url });
      }),
      { numRuns: 40 },
    );
  });
});
