import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256, utf8 } from '../../../node/crypto/index.ts';
import { unityOfKey } from '../../../node/ring/locate.ts';
import { keyToHex } from '../../../node/ring/keyspace.ts';
import { runAme } from '../../support/cli.ts';
import { netRing, type NetRing } from '../../support/ring-net.ts';

let ring: NetRing;
let data: string;
const home = mkdtempSync(join(tmpdir(), 'ame-ring-cli-'));

beforeAll(async () => {
  ring = await netRing({ unities: 4, serversPerUnity: 6 });
  data = join(ring.dir, 's0');
}, 60_000);
afterAll(async () => {
  await ring.stop();
  rmSync(home, { recursive: true, force: true });
});

describe('ame ring against a running ring', () => {
  it('prints the hop path of a lookup and the slice of the entry server', async () => {
    const key = sha256(utf8('where am I'));
    const lookup = await runAme(['ring', 'lookup', keyToHex(key), '--data', data, '--json']);
    expect(lookup.code, lookup.stderr).toBe(0);
    const found = JSON.parse(lookup.stdout) as { hops: number; owner: { index: number }; path: { unity: number; next: number }[] };
    expect(found.owner.index).toBe(unityOfKey(ring.authority.authority.map(), key));
    // The CLI asks its entry server first, so its route is the entry's (≤ 2 hops) plus that first request.
    expect(found.path[0]!.unity).toBe(0);
    expect(found.path.at(-1)!.next).toBe(found.owner.index);
    expect(found.hops).toBeGreaterThanOrEqual(1);
    expect(found.hops).toBeLessThanOrEqual(3);

    const text = await runAme(['ring', 'lookup', 'where am I', '--data', data]);
    expect(text.stdout).toContain(`key    ${keyToHex(key)}`);
    expect(text.stdout).toMatch(/owner {2}Unity \d+ \(u-[0-9a-f]+\), \d hops/);

    const slice = await runAme(['ring', 'slice', '--data', data, '--json']);
    expect(slice.code, slice.stderr).toBe(0);
    const view = JSON.parse(slice.stdout) as { unities: number; groupSize: number; entries: unknown[] };
    expect(view).toMatchObject({ unities: 4, groupSize: 2 });
    expect(view.entries.length).toBe(3);
  });

  it('stores and reads a content-addressed value and an owned record', async () => {
    const put = await runAme(['ring', 'put', '-', 'hello from the CLI', '--data', data, '--json']);
    expect(put.code, put.stderr).toBe(0);
    const stored = JSON.parse(put.stdout) as { key: string; acks: number; replicas: number };
    expect(stored.key).toBe(keyToHex(sha256(utf8('hello from the CLI'))));
    expect(stored.acks).toBeGreaterThanOrEqual(3);
    const get = await runAme(['ring', 'get', stored.key, '--data', join(ring.dir, 's17')]);
    expect(get.code, get.stderr).toBe(0);
    expect(get.stdout).toBe('hello from the CLI\n');

    const wallet = join(home, 'w.json');
    expect((await runAme(['wallet', 'new', '--scheme', 'ecdsa', '--plain', '--out', wallet])).code).toBe(0);
    const address = (JSON.parse((await runAme(['wallet', 'show', wallet, '--json'])).stdout) as { address: string }).address;
    for (const v of ['first', 'second']) {
      const r = await runAme(['ring', 'put', 'status', v, '--wallet', wallet, '--data', data]);
      expect(r.code, r.stderr).toBe(0);
    }
    const record = await runAme(['ring', 'get', '--owner', address, '--name', 'status', '--data', data, '--json']);
    expect(record.code, record.stderr).toBe(0);
    expect(JSON.parse(record.stdout)).toMatchObject({ kind: 'owned', owner: address, name: 'status', seq: 2, value: 'second' });
    const stale = await runAme(['ring', 'put', 'status', 'old', '--seq', '1', '--wallet', wallet, '--data', data]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain('higher sequence');
  });

  it('names what is wrong: a key that is not the value’s hash, a missing node, an absent key', async () => {
    const wrong = await runAme(['ring', 'put', keyToHex(sha256(utf8('x'))), 'y', '--data', data]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain(keyToHex(sha256(utf8('y'))));
    const missing = await runAme(['ring', 'slice', '--data', join(home, 'nothing')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no ring node in');
    const trustless = join(home, 'trustless');
    mkdirSync(trustless);
    writeFileSync(join(trustless, 'ring-contact.json'), JSON.stringify({ peer: { id: 'x', addrs: [] } }));
    const untrusted = await runAme(['ring', 'slice', '--data', trustless]);
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toContain('names neither the ring-authority key nor the manager set');
    const absent = await runAme(['ring', 'get', 'never stored', '--data', data]);
    expect(absent.code).toBe(1);
    expect(absent.stderr).toContain('no value under');
  });
});
