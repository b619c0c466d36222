/** The publishing side: what the image repository and the director sign, and the mistakes they refuse. */
import { describe, expect, it } from 'vitest';
import { decodeDocument, Director, ImageRepository, UpdateError } from '../../../../node/update/index.ts';
import { DEVICE, keyOf, keys, T0, targetInfo, world } from './fixtures.ts';

/** Every role on one spare key: repositories the fixtures' world does not make. */
const base = {
  root: { keys: [keys.spare], threshold: 1 },
  targets: { keys: [keys.spare], threshold: 1 },
  snapshot: { keys: [keys.spare], threshold: 1 },
  timestamp: { keys: [keys.spare], threshold: 1 },
};

describe('ImageRepository', () => {
  it('bumps targets, snapshot and timestamp on publish, and only the timestamp on refresh', () => {
    const w = world();
    const versions = () => {
      const m = w.image.metadata();
      return [decodeDocument('targets', m.targets), decodeDocument('snapshot', m.snapshot), decodeDocument('timestamp', m.timestamp)].map(
        (d) => d.signed.version,
      );
    };
    expect(versions()).toEqual([2, 2, 2]);
    w.image.refreshTimestamp();
    expect(versions()).toEqual([2, 2, 3]);
    w.image.publish('ame-2.0.0-arm64.tar.gz', targetInfo('2'));
    expect(versions()).toEqual([3, 3, 4]);
    expect(Object.keys(w.image.listed()).sort()).toEqual(['ame-1.0.0-arm64.tar.gz', 'ame-2.0.0-arm64.tar.gz']);
    expect(decodeDocument('timestamp', w.image.metadata().timestamp).signed.expires).toBe(T0 + 24 * 60 * 60 * 1000);
  });

  it('keeps the whole root chain, each root signed by the old and the new root keys', () => {
    const w = world();
    const r4 = keyOf('root 4');
    w.image.rotateRoot({ root: { keys: [keys.root[2]!, r4], threshold: 2 } });
    const chain = w.image.metadata().imageRoots.map((b) => decodeDocument('root', b));
    expect(chain.map((d) => d.signed.version)).toEqual([1, 2]);
    expect(chain[1]!.signatures).toHaveLength(4);
  });

  it('refuses unsatisfiable thresholds, unknown roles, a key listed twice and unportable names', () => {
    const now = () => T0;
    const bad = (fn: () => unknown) => expect(fn).toThrow(UpdateError);
    bad(() => new ImageRepository({ roles: { ...base, targets: { keys: [keys.spare], threshold: 2 } }, now }));
    bad(() => new ImageRepository({ roles: { ...base, targets: { keys: [keys.spare, keys.spare], threshold: 1 } }, now }));
    bad(() => new Director({ roles: { ...base }, now }));
    const image = new ImageRepository({ roles: base, now });
    expect(() => image.publish('../x', targetInfo('x'))).toThrow(/not portable/);
    image.publish('ame-1.0.0-x64.tar.gz', targetInfo('x'));
    image.publish('ame-1.0.0-x64.tar.gz', targetInfo('x'));
    expect(() => image.publish('ame-1.0.0-x64.tar.gz', targetInfo('y'))).toThrow(/already listed with another length or hash/);
  });

  it('resumes above the versions it is given, listing the same targets, and refuses a bad resume', () => {
    const now = () => T0;
    const first = new ImageRepository({ roles: base, now });
    first.publish('ame-1.0.0-x64.tar.gz', targetInfo('x'));
    first.refreshTimestamp();
    expect(first.versions()).toEqual({ targets: 2, snapshot: 2, timestamp: 3 });
    const again = new ImageRepository({ roles: base, now, resume: { targets: first.listed(), versions: first.versions() } });
    expect(again.versions()).toEqual({ targets: 3, snapshot: 3, timestamp: 4 });
    expect(decodeDocument('targets', again.metadata().targets).signed.targets).toEqual(first.listed());
    expect(() => new ImageRepository({ roles: base, now, resume: { targets: {}, versions: { targets: 1.5, snapshot: 1, timestamp: 1 } } })).toThrow(UpdateError);
    expect(() => new ImageRepository({ roles: base, now, resume: { targets: { '../x': targetInfo('x') }, versions: first.versions() } })).toThrow(/not portable/);
  });
});

describe('Director', () => {
  it('gives each device its own growing version', () => {
    const w = world();
    const info = targetInfo('ame-1.0.0-arm64.tar.gz');
    const target = { name: 'ame-1.0.0-arm64.tar.gz', length: info.length, sha256: info.sha256 };
    w.director.assign('device-b', target);
    w.director.assign(DEVICE, target);
    const version = (id: string) => decodeDocument('director', w.director.metadataFor(id)!).signed.version;
    expect([version(DEVICE), version('device-b')]).toEqual([2, 1]);
    expect(w.director.metadataFor('device-c')).toBeUndefined();
  });

  it('resumes a device above a kept version without signing the earlier ones, and never lowers it', () => {
    const w = world();
    const info = targetInfo('ame-1.0.0-arm64.tar.gz');
    const target = { name: 'ame-1.0.0-arm64.tar.gz', length: info.length, sha256: info.sha256 };
    w.director.resume('device-r', 41);
    expect(w.director.metadataFor('device-r')).toBeUndefined();
    w.director.assign('device-r', target);
    w.director.resume('device-r', 7);
    w.director.assign('device-r', target);
    expect(decodeDocument('director', w.director.metadataFor('device-r')!).signed.version).toBe(43);
    expect(() => w.director.resume('device-r', -1)).toThrow(UpdateError);
  });
});
