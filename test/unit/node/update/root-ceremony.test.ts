/**
 * Offline root keys: a root drafted, carried to each key holder, signed there, installed on the online side; a
 * device walks the chain and verifies what the online keys sign under it.
 */
import { describe, expect, it } from 'vitest';
import {
  checkNextRoot,
  DAY_MS,
  decodeDocument,
  Director,
  draftRoot,
  ImageRepository,
  initialTrustState,
  keyIdOf,
  rootProgress,
  signRoot,
  UpdateError,
  verifyUpdate,
} from '../../../../node/update/index.ts';
import { DEVICE, keyOf, keys, T0, targetInfo } from './fixtures.ts';

const offline = [keyOf('offline 1'), keyOf('offline 2'), keyOf('offline 3')];
const online = { targets: { keys: [keys.targets[0]!], threshold: 1 }, snapshot: { keys: [keys.snapshot], threshold: 1 }, timestamp: { keys: [keys.timestamp], threshold: 1 } };
const pub = (k: { publicKey: { bytes: Uint8Array } }) => k.publicKey.bytes;

function imageDraft(version: number, rootKeys = offline, threshold = 2) {
  return draftRoot({
    repository: 'image',
    version,
    expires: T0 + 365 * DAY_MS,
    roles: {
      root: { keys: rootKeys.map(pub), threshold },
      targets: { keys: [pub(keys.targets[0]!)], threshold: 1 },
      snapshot: { keys: [pub(keys.snapshot)], threshold: 1 },
      timestamp: { keys: [pub(keys.timestamp)], threshold: 1 },
    },
  });
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UpdateError);
    return (error as UpdateError).code;
  }
  return undefined;
}

describe('offline root ceremony', () => {
  it('counts signatures as holders add them, and a root is complete only at a threshold of its own keys', () => {
    let v1 = imageDraft(1);
    expect(rootProgress(v1)).toMatchObject({ own: { signed: 0, threshold: 2 }, previous: null, complete: false });
    expect(codeOf(() => checkNextRoot(v1, undefined, 'image'))).toBe('THRESHOLD');
    v1 = signRoot(v1, offline[0]!);
    expect(signRoot(v1, offline[0]!)).toEqual(v1); // signing twice adds nothing
    expect(rootProgress(v1).own.signed).toBe(1);
    v1 = signRoot(v1, offline[2]!);
    expect(rootProgress(v1).complete).toBe(true);
    expect(checkNextRoot(v1, undefined, 'image').version).toBe(1);
    expect(codeOf(() => signRoot(v1, keys.spare))).toBe('BAD_ARGUMENT'); // not a root key: cannot count
    expect(codeOf(() => checkNextRoot(v1, undefined, 'director'))).toBe('MALFORMED');
  });

  it('runs an image repository on online keys only, installs the next root, and a device follows it', () => {
    const v1 = signRoot(signRoot(imageDraft(1), offline[0]!), offline[1]!);
    const now = () => T0;
    const image = new ImageRepository({ roles: online, rootChain: [v1], now });
    image.publish('ame-1.0.0-arm64.tar.gz', targetInfo('1'));
    const director = new Director({ roles: { root: { keys: [keys.directorRoot], threshold: 1 }, targets: { keys: [keys.directorTargets], threshold: 1 } }, now });
    const info = targetInfo('1');
    director.assign(DEVICE, { name: 'ame-1.0.0-arm64.tar.gz', length: info.length, sha256: info.sha256 });
    const state = initialTrustState({ imageRoot: image.initialRoot(), directorRoot: director.initialRoot() });
    const meta = () => ({ ...image.metadata(), directorRoots: director.roots(), director: director.metadataFor(DEVICE)! });
    expect(verifyUpdate(state, meta(), { deviceId: DEVICE, now: T0 }).target.name).toBe('ame-1.0.0-arm64.tar.gz');
    expect(codeOf(() => image.rotateRoot({}))).toBe('BAD_ARGUMENT'); // the root keys are not here

    // Root 2 retires offline key 3 and adds a fourth: signed by two of root 1's root keys and two of its own.
    const next = [offline[0]!, offline[1]!, keyOf('offline 4')];
    let v2 = imageDraft(2, next);
    v2 = signRoot(v2, offline[0]!, v1);
    expect(codeOf(() => image.installRoot(v2))).toBe('THRESHOLD');
    v2 = signRoot(signRoot(v2, keyOf('offline 4'), v1), offline[2]!, v1);
    expect(rootProgress(v2, v1)).toMatchObject({ own: { signed: 2 }, previous: { signed: 2 }, complete: true });
    image.installRoot(v2);
    expect(image.metadata().imageRoots).toHaveLength(2);
    const verified = verifyUpdate(state, meta(), { deviceId: DEVICE, now: T0 });
    expect(decodeDocument('root', verified.nextState.imageRoot.bytes).signed.version).toBe(2);
    expect(codeOf(() => image.installRoot(v2))).toBe('ROLLBACK'); // the same version again
  });

  it('refuses online keys the root does not give their role, and online root keys with an adopted chain', () => {
    const v1 = signRoot(signRoot(imageDraft(1), offline[0]!), offline[1]!);
    const now = () => T0;
    expect(codeOf(() => new ImageRepository({ roles: { ...online, timestamp: { keys: [keys.spare], threshold: 1 } }, rootChain: [v1], now }))).toBe('BAD_ARGUMENT');
    expect(codeOf(() => new ImageRepository({ roles: { ...online, root: { keys: [offline[0]!], threshold: 1 } }, rootChain: [v1], now }))).toBe('BAD_ARGUMENT');
    expect(codeOf(() => new ImageRepository({ roles: online, rootChain: [], now }))).toBe('BAD_ARGUMENT');
    expect(codeOf(() => new ImageRepository({ roles: online, rootChain: [imageDraft(1)], now }))).toBe('THRESHOLD');
    // A root re-keying timestamp installs only with the new timestamp key given.
    const v2 = signRoot(
      signRoot(
        draftRoot({
          repository: 'image',
          version: 2,
          expires: T0 + DAY_MS,
          roles: {
            root: { keys: offline.map(pub), threshold: 2 },
            targets: { keys: [pub(keys.targets[0]!)], threshold: 1 },
            snapshot: { keys: [pub(keys.snapshot)], threshold: 1 },
            timestamp: { keys: [pub(keys.spare)], threshold: 1 },
          },
        }),
        offline[0]!,
      ),
      offline[1]!,
    );
    const image = new ImageRepository({ roles: online, rootChain: [v1], now });
    expect(codeOf(() => image.installRoot(v2))).toBe('BAD_ARGUMENT');
    image.installRoot(v2, { timestamp: { keys: [keys.spare], threshold: 1 } });
    expect(decodeDocument('timestamp', image.metadata().timestamp).signatures.map((s) => s.keyid)).toEqual([keyIdOf(keys.spare.publicKey.bytes)]);
  });

  it('keeps a director on its targets key with an offline root', () => {
    const draft = draftRoot({
      repository: 'director',
      version: 1,
      expires: T0 + DAY_MS,
      roles: { root: { keys: [pub(offline[0]!)], threshold: 1 }, targets: { keys: [pub(keys.directorTargets)], threshold: 1 } },
    });
    const director = new Director({ roles: { targets: { keys: [keys.directorTargets], threshold: 1 } }, rootChain: [signRoot(draft, offline[0]!)], now: () => T0 });
    const info = targetInfo('1');
    const doc = decodeDocument('director', director.assign(DEVICE, { name: 'ame-1.0.0-arm64.tar.gz', length: info.length, sha256: info.sha256 }));
    expect(doc.signed.version).toBe(1);
    expect(codeOf(() => director.rotateRoot({}))).toBe('BAD_ARGUMENT');
  });
});
