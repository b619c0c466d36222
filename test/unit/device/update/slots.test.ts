import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildBundle, UpdateError } from '../../../../node/update/index.ts';
import { runningSlot, updatePaths } from '../../../../device/update/index.ts';
import { installSlot, pruneSlots, slotIntact, slotPath } from '../../../../device/update/slots.ts';
import { INITIAL_STATE, writeUpdateState } from '../../../../device/update/update-state.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ame-update-slots-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function bundle(files: Record<string, string>) {
  const src = join(dir, `src-${Object.keys(files).join('-')}`);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(src, path, '..'), { recursive: true });
    writeFileSync(join(src, path), text);
  }
  return buildBundle({ dir: src, name: 'ame', version: '1.0.0', arch: 'x64' });
}

describe('slots', () => {
  it('installs a bundle into slots/<sha256> with its manifest, and notices a changed file', async () => {
    const paths = updatePaths(join(dir, 'data'));
    const built = await bundle({ 'app.js': 'v1', 'lib/x.txt': 'x' });
    const slot = await installSlot(paths, 'aa'.repeat(32), built.bytes);
    expect(slot).toBe(slotPath(paths, 'aa'.repeat(32)));
    expect(readdirSync(slot).sort()).toEqual(['app.js', 'lib', 'manifest.json']);
    expect(await slotIntact(paths, 'aa'.repeat(32))).toBe(true);
    writeFileSync(join(slot, 'lib', 'x.txt'), 'y');
    expect(await slotIntact(paths, 'aa'.repeat(32))).toBe(false);
    rmSync(join(slot, 'app.js'));
    expect(await slotIntact(paths, 'aa'.repeat(32))).toBe(false);
    expect(await slotIntact(paths, 'bb'.repeat(32))).toBe(false);
  });

  it('leaves no slot behind from a bundle that fails its checks', async () => {
    const paths = updatePaths(join(dir, 'data'));
    const built = await bundle({ 'app.js': 'v1' });
    const broken = built.bytes.slice(0, built.bytes.length - 8);
    mkdirSync(paths.slots, { recursive: true });
    await expect(installSlot(paths, 'cc'.repeat(32), broken)).rejects.toBeInstanceOf(UpdateError);
    expect(readdirSync(paths.slots)).toEqual([]);
  });

  it('prunes every slot and download it is not told to keep', async () => {
    const paths = updatePaths(join(dir, 'data'));
    const built = await bundle({ 'app.js': 'v1' });
    for (const sha of ['aa', 'bb', 'cc']) await installSlot(paths, sha.repeat(32), built.bytes);
    mkdirSync(paths.downloads, { recursive: true });
    writeFileSync(join(paths.downloads, `${'dd'.repeat(32)}.part`), 'partial');
    await pruneSlots(paths, new Set(['aa'.repeat(32), 'cc'.repeat(32)]));
    expect(readdirSync(paths.slots).sort()).toEqual(['aa'.repeat(32), 'cc'.repeat(32)]);
    expect(readdirSync(paths.downloads)).toEqual([]);
  });

  it('runningSlot names the folder of the running target, or null for the flashed release', () => {
    const dataDir = join(dir, 'data');
    expect(runningSlot(dataDir)).toBeNull();
    mkdirSync(updatePaths(dataDir).root, { recursive: true });
    writeUpdateState(updatePaths(dataDir).state, { ...INITIAL_STATE, running: { name: 'ame-1.0.0-x64.tar.gz', sha256: 'ee'.repeat(32), length: 9 } });
    expect(runningSlot(dataDir)).toBe(join(dataDir, 'update', 'slots', 'ee'.repeat(32)));
    expect(readFileSync(updatePaths(dataDir).state, 'utf8')).toContain('"format":"ame-update-state/1"');
  });
});
