import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from '../../../../fleet/registry/index.ts';
import { ReleaseStore, RepositoryError, createTimestampRefresher } from '../../../../fleet/repository/index.ts';
import { toHex } from '../../../../node/crypto/index.ts';
import { DAY_MS, decodeDocument } from '../../../../node/update/index.ts';
import { labelledBytes } from '../../../support/seeded.ts';
import { appBundle, tempDir, type TempDir } from './release-fixtures.ts';

let t: TempDir | undefined;
const open: { close(): void }[] = [];
afterEach(() => {
  for (const o of open.splice(0)) o.close();
  t?.cleanup();
});

function setup() {
  t = tempDir('release-store');
  const registry = Registry.open(join(t.dir, 'registry.sqlite'));
  open.push(registry);
  let clock = 1_000_000;
  const now = () => clock;
  const openStore = () => ReleaseStore.open({ dir: join(t!.dir, 'repo'), releases: registry.releases, now, random: labelledBytes('repo keys') });
  return { registry, openStore, advance: (ms: number) => (clock += ms), now, dir: t.dir };
}

const versionOf = (store: ReleaseStore, doc: 'timestamp' | 'snapshot' | 'targets') => decodeDocument(doc, store.document(doc)).signed.version;

describe('release store', () => {
  it('checks a pushed bundle, keeps its file, lists it and records the release', async () => {
    const s = setup();
    const store = s.openStore();
    const bundle = await appBundle(s.dir, '1.0.0');
    const release = store.pushRelease(bundle.bytes);
    expect(release).toMatchObject({ id: toHex(bundle.sha256), target: 'ame-app-1.0.0-arm64.tar.gz', version: '1.0.0', arch: 'arm64', length: bundle.length });
    expect(s.registry.releases.get(release.id)?.target).toBe(release.target);
    const targets = decodeDocument('targets', store.document('targets')).signed.targets;
    expect(Object.keys(targets)).toEqual([release.target]);
    expect(toHex(targets[release.target]!.sha256)).toBe(release.id);
    expect(store.targetFile(release.target)?.length).toBe(bundle.length);
    expect(store.targetFile('nope.tar.gz')).toBeUndefined();
  });

  it('refuses bytes that are not a bundle, and another bundle under a published name', async () => {
    const s = setup();
    const store = s.openStore();
    const error = (() => {
      try {
        store.pushRelease(new Uint8Array([1, 2, 3]));
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(RepositoryError);
    expect((error as RepositoryError).code).toBe('BAD_BUNDLE');
    const a = await appBundle(s.dir, '1.0.0');
    store.pushRelease(a.bytes);
    const versionBefore = versionOf(store, 'targets');
    expect(store.pushRelease(a.bytes).id).toBe(toHex(a.sha256)); // the same bundle again: a no-op
    expect(versionOf(store, 'targets')).toBe(versionBefore);
    const other = await appBundle(join(s.dir, 'other'), '1.0.0', 5000);
    expect(() => store.pushRelease(other.bytes)).toThrow(/already published with other bytes/);
  });

  it('never signs a version a device has seen, across a reopen, and keeps root 1 as first signed', async () => {
    const s = setup();
    const store = s.openStore();
    store.pushRelease((await appBundle(s.dir, '1.0.0')).bytes);
    store.refreshTimestamp();
    store.refreshTimestamp();
    const before = { timestamp: versionOf(store, 'timestamp'), snapshot: versionOf(store, 'snapshot'), targets: versionOf(store, 'targets') };
    const root = store.initialRoot();
    s.advance(60_000);
    const again = s.openStore();
    // Resumed, not replayed: each document one version above the last one signed, the same targets listed.
    expect(versionOf(again, 'timestamp')).toBe(before.timestamp + 1);
    expect(versionOf(again, 'snapshot')).toBe(before.snapshot + 1);
    expect(versionOf(again, 'targets')).toBe(before.targets + 1);
    expect(decodeDocument('targets', again.document('targets')).signed.targets).toEqual(decodeDocument('targets', store.document('targets')).signed.targets);
    expect(again.initialRoot()).toEqual(root);
    expect(again.root(1)).toEqual(root);
    expect(again.root(2)).toBeUndefined();
  });

  it('takes up a state file of format 1 (a replay count) above every version that format signed', async () => {
    const s = setup();
    const store = s.openStore();
    store.pushRelease((await appBundle(s.dir, '1.0.0')).bytes);
    store.pushRelease((await appBundle(join(s.dir, 'b'), '1.0.1')).bytes);
    const statePath = join(s.dir, 'repo', 'state.json');
    const { targets } = JSON.parse(readFileSync(statePath, 'utf8')) as { targets: unknown[] };
    // Format 1 at this point: created (v1), two publications (v3), five refreshes (timestamp v8).
    writeFileSync(statePath, JSON.stringify({ format: 1, targets, refreshes: 5 }));
    const again = s.openStore();
    expect([versionOf(again, 'targets'), versionOf(again, 'snapshot'), versionOf(again, 'timestamp')]).toEqual([4, 4, 9]);
    expect(Object.keys(decodeDocument('targets', again.document('targets')).signed.targets)).toHaveLength(2);
    expect(JSON.parse(readFileSync(statePath, 'utf8'))).toMatchObject({ format: 2, versions: { targets: 4, snapshot: 4, timestamp: 9 } });
    writeFileSync(statePath, JSON.stringify({ format: 2, targets, versions: { targets: -1, snapshot: 1, timestamp: 1 } }));
    expect(() => s.openStore()).toThrow(RepositoryError);
  });

  it('keeps its keys in files of mode 0600, the same keys after a reopen', () => {
    const s = setup();
    const store = s.openStore();
    for (const role of ['root', 'targets', 'snapshot', 'timestamp']) {
      expect(statSync(join(s.dir, 'repo', 'keys', `${role}.key`)).mode & 0o777).toBe(0o600);
    }
    const again = s.openStore();
    expect(decodeDocument('root', again.initialRoot()).signed.keys).toEqual(decodeDocument('root', store.initialRoot()).signed.keys);
  });

  it('refreshes the timestamp once half its lifetime has passed, not before', () => {
    const s = setup();
    const store = s.openStore();
    const refresher = createTimestampRefresher({ store, now: s.now, lifetimeMs: DAY_MS });
    const first = versionOf(store, 'timestamp');
    s.advance(DAY_MS / 2 - 1);
    expect(refresher.check()).toBe(false);
    expect(versionOf(store, 'timestamp')).toBe(first);
    s.advance(1);
    expect(refresher.check()).toBe(true);
    expect(versionOf(store, 'timestamp')).toBe(first + 1);
    expect(decodeDocument('timestamp', store.document('timestamp')).signed.expires).toBe(s.now() + DAY_MS);
  });
});
