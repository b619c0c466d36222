/**
 * The device's check against every attack SPEC §10 names: each refused with its code, and the trust state after
 * a refusal serialises exactly as before.
 */
import { describe, expect, it } from 'vitest';
import { sha256, utf8 } from '../../../../node/crypto/index.ts';
import { type CborMap, decodeCbor, encodeCbor } from '../../../../node/wire/index.ts';
import {
  keyIdOf,
  serializeTrustState,
  signingMessage,
  signDocument,
  type TrustState,
  type UpdateErrorCode,
  type UpdateMetadata,
  verifyUpdate,
} from '../../../../node/update/index.ts';
import { DEVICE, HOUR, keyOf, keys, refusalOf, reSign, targetInfo, world } from './fixtures.ts';

/** Runs the check, expects `code`, and checks the state it was given is untouched. */
/** Runs the check, expects `code` (and `pattern` in the message), and checks the state it was given is untouched. */
function refused(state: TrustState, metadata: UpdateMetadata, code: UpdateErrorCode, now: number, pattern?: RegExp) {
  const before = serializeTrustState(state);
  const refusal = refusalOf(() => verifyUpdate(state, metadata, { deviceId: DEVICE, now }));
  expect(refusal.startsWith(`${code}: `), refusal).toBe(true);
  if (pattern) expect(refusal.slice(code.length + 2)).toMatch(pattern);
  expect(serializeTrustState(state)).toBe(before);
}

describe('verifyUpdate', () => {
  it('accepts the target both repositories agree on and records every version', () => {
    const w = world();
    const { target, nextState } = verifyUpdate(w.state, w.metadata(), { deviceId: DEVICE, now: w.clock.now });
    expect(target.name).toBe('ame-1.0.0-arm64.tar.gz');
    expect(target).toEqual({ name: target.name, ...targetInfo('ame-1.0.0-arm64.tar.gz') });
    // v1 was the empty listing; the release made v2 of targets, snapshot and timestamp.
    expect(nextState.versions).toEqual({ timestamp: 2, snapshot: 2, targets: 2, director: 1 });
    expect(w.state.versions).toEqual({ timestamp: 0, snapshot: 0, targets: 0, director: 0 });
  });

  it('refuses older image metadata than it already trusts (rollback)', () => {
    const w = world();
    const old = w.metadata();
    w.release('ame-1.1.0-arm64.tar.gz', targetInfo('1.1', '1.1.0'));
    const { nextState } = verifyUpdate(w.state, w.metadata(), { deviceId: DEVICE, now: w.clock.now });
    refused(nextState, { ...old, director: w.metadata().director }, 'ROLLBACK', w.clock.now, /timestamp v2 is older than trusted v3/);
  });

  it('refuses older director metadata than it already trusts (rollback)', () => {
    const w = world();
    const first = w.metadata();
    w.director.assign(DEVICE, { name: 'ame-1.0.0-arm64.tar.gz', ...targetInfo('ame-1.0.0-arm64.tar.gz') });
    const { nextState } = verifyUpdate(w.state, w.metadata(), { deviceId: DEVICE, now: w.clock.now });
    expect(nextState.versions.director).toBe(2);
    refused(nextState, { ...w.metadata(), director: first.director }, 'ROLLBACK', w.clock.now, /director metadata v1/);
  });

  it('refuses an expired timestamp (freeze)', () => {
    const w = world();
    refused(w.state, w.metadata(), 'EXPIRED', w.clock.now + 24 * HOUR, /^timestamp v2 expired at 2027-01-02/);
    // A refreshed timestamp over the same snapshot is what lifts it.
    w.clock.now += 23 * HOUR;
    w.image.refreshTimestamp();
    expect(verifyUpdate(w.state, w.metadata(), { deviceId: DEVICE, now: w.clock.now + 2 * HOUR }).target.name).toBe(
      'ame-1.0.0-arm64.tar.gz',
    );
  });

  it('refuses an expired snapshot and expired director metadata under a fresh timestamp', () => {
    const w = world();
    w.clock.now += 8 * 24 * HOUR;
    w.image.refreshTimestamp();
    refused(w.state, w.metadata(), 'EXPIRED', w.clock.now, /^snapshot v2 expired/);
    w.clock.now += 23 * 24 * HOUR;
    w.image.publish('ame-2.0.0-arm64.tar.gz', targetInfo('2', '2.0.0'));
    refused(w.state, w.metadata(), 'EXPIRED', w.clock.now, /^director metadata v1 expired at 2027-01-31/);
  });

  it('refuses a snapshot from another publication than the timestamp names (mix-and-match)', () => {
    const w = world();
    const old = w.metadata();
    w.release('ame-1.1.0-arm64.tar.gz', targetInfo('1.1', '1.1.0'));
    refused(w.state, { ...w.metadata(), snapshot: old.snapshot }, 'MIX_AND_MATCH', w.clock.now, /snapshot: .*timestamp v3/);
  });

  it('refuses targets from another snapshot (mix-and-match)', () => {
    const w = world();
    const old = w.metadata();
    w.release('ame-1.1.0-arm64.tar.gz', targetInfo('1.1', '1.1.0'));
    refused(w.state, { ...w.metadata(), targets: old.targets }, 'MIX_AND_MATCH', w.clock.now, /targets: .*snapshot v3/);
  });

  it('refuses a snapshot signed with a version other than the one the timestamp names (mix-and-match)', () => {
    const w = world();
    const m = w.metadata();
    const snapshot = reSign('snapshot', m.snapshot, (signed) => ({ ...signed, version: 7 }), [keys.snapshot]);
    const timestamp = reSign(
      'timestamp',
      m.timestamp,
      (signed) => ({ ...signed, snapshot: { version: 2, length: snapshot.length, sha256: sha256(snapshot) } }),
      [keys.timestamp],
    );
    refused(w.state, { ...m, snapshot, timestamp }, 'MIX_AND_MATCH', w.clock.now, /snapshot v7, but timestamp v2 names v2/);
  });

  it('refuses a target the director names but the image repository does not list', () => {
    const w = world();
    w.director.assign(DEVICE, { name: 'ame-9.9.9-arm64.tar.gz', ...targetInfo('9.9') });
    refused(w.state, w.metadata(), 'NOT_LISTED', w.clock.now, /names ame-9.9.9-arm64.tar.gz, which image targets v2/);
  });

  it('refuses a target the image repository lists with another hash or length', () => {
    const w = world();
    const listed = targetInfo('ame-1.0.0-arm64.tar.gz');
    w.director.assign(DEVICE, { name: 'ame-1.0.0-arm64.tar.gz', length: listed.length, sha256: sha256(utf8('evil')) });
    refused(w.state, w.metadata(), 'NOT_LISTED', w.clock.now, /lists \d+ bytes/);
    w.director.assign(DEVICE, { name: 'ame-1.0.0-arm64.tar.gz', length: listed.length + 1, sha256: listed.sha256 });
    refused(w.state, w.metadata(), 'NOT_LISTED', w.clock.now);
  });

  it('refuses director metadata made for another device', () => {
    const w = world();
    w.director.assign('device-b', { name: 'ame-1.0.0-arm64.tar.gz', ...targetInfo('ame-1.0.0-arm64.tar.gz') });
    refused(w.state, w.metadata('device-b'), 'WRONG_DEVICE', w.clock.now, /"device-b"/);
  });

  it('refuses a timestamp signed by a revoked key', () => {
    const w = world();
    const stolen = keys.timestamp;
    w.image.rotateRoot({ timestamp: { keys: [keys.spare], threshold: 1 } });
    const m = w.metadata();
    const { nextState } = verifyUpdate(w.state, m, { deviceId: DEVICE, now: w.clock.now });
    const forged = reSign('timestamp', m.timestamp, (signed) => ({ ...signed, version: 99 }), [stolen]);
    refused(nextState, { ...m, timestamp: forged }, 'THRESHOLD', w.clock.now, /0 valid signature\(s\) from the timestamp keys of root v2/);
  });

  it('refuses director metadata signed by a revoked key', () => {
    const w = world();
    const stolen = keys.directorTargets;
    w.director.rotateRoot({ targets: { keys: [keys.spare], threshold: 1 } });
    const info = targetInfo('ame-1.0.0-arm64.tar.gz');
    w.director.assign(DEVICE, { name: 'ame-1.0.0-arm64.tar.gz', length: info.length, sha256: info.sha256 });
    const m = w.metadata();
    const { nextState } = verifyUpdate(w.state, m, { deviceId: DEVICE, now: w.clock.now });
    const forged = reSign('director', m.director, (signed) => ({ ...signed, version: 3 }), [stolen]);
    refused(nextState, { ...m, director: forged }, 'THRESHOLD', w.clock.now, /director metadata/);
  });

  it('refuses a document changed after signing (bad signature)', () => {
    const w = world();
    const m = w.metadata();
    const tampered = reSign('director', m.director, (signed) => ({ ...signed, version: 5 }));
    refused(w.state, { ...m, director: tampered }, 'BAD_SIGNATURE', w.clock.now, /1 signature\(s\) do not verify/);
  });

  it('refuses a signature made under another role\'s domain tag', () => {
    const w = world();
    const m = w.metadata();
    const doc = decodeCbor(m.director) as CborMap;
    const message = signingMessage('targets', encodeCbor(doc['signed']!));
    const signatures = [{ keyid: keyIdOf(keys.directorTargets.publicKey.bytes), sig: keys.directorTargets.sign(message) }];
    const crossed = encodeCbor({ signed: doc['signed']!, signatures });
    refused(w.state, { ...m, director: crossed }, 'BAD_SIGNATURE', w.clock.now);
  });

  it('refuses an oversized timestamp before parsing it (endless data)', () => {
    const w = world();
    refused(w.state, { ...w.metadata(), timestamp: new Uint8Array(16 * 1024 + 1) }, 'TOO_LARGE', w.clock.now);
  });

  describe('thresholds (targets 2-of-3)', () => {
    function withTargetsSignedBy(signers: Parameters<typeof reSign>[3]) {
      const w = world();
      const m = w.metadata();
      const targets = reSign('targets', m.targets, (signed) => signed, signers);
      const snapshot = reSign(
        'snapshot',
        m.snapshot,
        (signed) => ({ ...signed, targets: { version: 2, length: targets.length, sha256: sha256(targets) } }),
        [keys.snapshot],
      );
      const timestamp = reSign(
        'timestamp',
        m.timestamp,
        (signed) => ({ ...signed, snapshot: { version: 2, length: snapshot.length, sha256: sha256(snapshot) } }),
        [keys.timestamp],
      );
      return { w, metadata: { ...m, targets, snapshot, timestamp } };
    }

    it('accepts any two of the three keys', () => {
      for (const pair of [[0, 1], [1, 2], [0, 2]] as const) {
        const { w, metadata } = withTargetsSignedBy([keys.targets[pair[0]]!, keys.targets[pair[1]]!]);
        expect(verifyUpdate(w.state, metadata, { deviceId: DEVICE, now: w.clock.now }).nextState.versions.targets).toBe(2);
      }
    });

    it('refuses one key, one key twice, and one key plus a stranger', () => {
      const cases = [[keys.targets[0]!], [keys.targets[1]!, keys.targets[1]!], [keys.targets[2]!, keyOf('stranger')]];
      for (const signers of cases) {
        const { w, metadata } = withTargetsSignedBy(signers);
        refused(w.state, metadata, 'THRESHOLD', w.clock.now, /1 valid signature\(s\) from the targets keys of root v1, threshold 2/);
      }
    });
  });

  describe('root rotation', () => {
    it('walks a chain of roots and then trusts only the newest keys', () => {
      const w = world();
      const [r1, r2, r3] = keys.root;
      const r4 = keyOf('root 4');
      w.image.rotateRoot({ root: { keys: [r2!, r3!, r4], threshold: 2 } });
      w.image.rotateRoot({ root: { keys: [r3!, r4], threshold: 2 } });
      const { nextState } = verifyUpdate(w.state, w.metadata(), { deviceId: DEVICE, now: w.clock.now });
      expect(nextState.imageRoot.signed.version).toBe(3);
      // A root v4 signed by keys dropped along the way (r1, r2) and one current key: not enough under v3.
      const v4 = reSign('root', w.image.metadata().imageRoots[2]!, (signed) => ({ ...signed, version: 4 }), [r1!, r2!, r3!]);
      refused(nextState, { ...w.metadata(), imageRoots: [v4] }, 'THRESHOLD', w.clock.now, /image root \[0\] v4 under the old root/);
    });

    it('refuses a new root signed by the old keys but not a threshold of its own', () => {
      const w = world();
      const m = w.metadata();
      const newcomer = [keyOf('new a'), keyOf('new b')];
      const v2 = signDocument(
        'root',
        {
          ...w.state.imageRoot.signed,
          version: 2,
          keys: {
            ...w.state.imageRoot.signed.keys,
            ...Object.fromEntries(newcomer.map((k) => [keyIdOf(k.publicKey.bytes), { scheme: 'ed25519', public: k.publicKey.bytes }])),
          },
          roles: {
            ...w.state.imageRoot.signed.roles,
            root: { keyids: newcomer.map((k) => keyIdOf(k.publicKey.bytes)), threshold: 2 },
          },
        },
        [keys.root[0]!, keys.root[1]!, newcomer[0]!],
      );
      refused(w.state, { ...m, imageRoots: [v2] }, 'THRESHOLD', w.clock.now, /under its own keys/);
    });

    it('refuses a chain that skips a version, and an expired newest root', () => {
      const w = world();
      w.image.rotateRoot({ root: { keys: keys.root, threshold: 2 } });
      w.image.rotateRoot({ root: { keys: keys.root, threshold: 2 } });
      const roots = w.image.metadata().imageRoots;
      refused(w.state, { ...w.metadata(), imageRoots: [roots[0]!, roots[2]!] }, 'MALFORMED', w.clock.now, /skips/);
      refused(w.state, w.metadata(), 'EXPIRED', w.clock.now + 400 * 24 * HOUR, /image root v3 expired/);
    });

    it('starts a role over after its key was revoked, so versions a stolen key inflated stop blocking (fast-forward)', () => {
      const w = world();
      const m = w.metadata();
      const inflated = reSign('timestamp', m.timestamp, (signed) => ({ ...signed, version: 1000 }), [keys.timestamp]);
      const { nextState } = verifyUpdate(w.state, { ...m, timestamp: inflated }, { deviceId: DEVICE, now: w.clock.now });
      expect(nextState.versions.timestamp).toBe(1000);
      refused(nextState, w.metadata(), 'ROLLBACK', w.clock.now);
      w.image.rotateRoot({ timestamp: { keys: [keys.spare], threshold: 1 } });
      expect(verifyUpdate(nextState, w.metadata(), { deviceId: DEVICE, now: w.clock.now }).nextState.versions.timestamp).toBe(3);
    });
  });
});
