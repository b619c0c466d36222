import { describe, expect, it } from 'vitest';
import {
  initialTrustState,
  parseTrustState,
  serializeTrustState,
  verifyUpdate,
} from '../../../../node/update/index.ts';
import { DEVICE, keys, refusalOf, reSign, world } from './fixtures.ts';

describe('trust state', () => {
  it('survives a JSON round trip and goes on verifying from where it was', () => {
    const w = world();
    const { nextState } = verifyUpdate(w.state, w.metadata(), { deviceId: DEVICE, now: w.clock.now });
    const text = serializeTrustState(nextState);
    const restored = parseTrustState(text);
    expect(restored.versions).toEqual(nextState.versions);
    expect(restored.imageRoot.signed).toEqual(nextState.imageRoot.signed);
    expect(serializeTrustState(restored)).toBe(text);
    const old = w.metadata();
    w.release('ame-1.1.0-arm64.tar.gz');
    const after = verifyUpdate(restored, w.metadata(), { deviceId: DEVICE, now: w.clock.now });
    expect(after.target.name).toBe('ame-1.1.0-arm64.tar.gz');
    const reloaded = parseTrustState(serializeTrustState(after.nextState));
    const stale = { ...old, director: w.metadata().director };
    expect(refusalOf(() => verifyUpdate(reloaded, stale, { deviceId: DEVICE, now: w.clock.now }))).toMatch(/^ROLLBACK: timestamp v2/);
  });

  it('refuses text that is not a trust state, naming the field', () => {
    const good = JSON.parse(serializeTrustState(world().state)) as Record<string, unknown>;
    expect(refusalOf(() => parseTrustState('{'))).toMatch(/^MALFORMED: trust state is not JSON/);
    expect(refusalOf(() => parseTrustState('[]'))).toMatch(/must be a JSON object/);
    expect(refusalOf(() => parseTrustState(JSON.stringify({ ...good, format: 'x' })))).toMatch(/format must be/);
    expect(refusalOf(() => parseTrustState(JSON.stringify({ ...good, versions: { ...(good['versions'] as object), snapshot: -1 } })))).toMatch(
      /versions.snapshot must be a non-negative integer/,
    );
    expect(refusalOf(() => parseTrustState(JSON.stringify({ ...good, imageRoot: 'zz' })))).toMatch(/imageRoot is not valid hex/);
    expect(refusalOf(() => parseTrustState(JSON.stringify({ ...good, imageRoot: good['directorRoot'] })))).toMatch(
      /image root: is a root of the director repository/,
    );
    const { directorRoot: _dropped, ...withoutDirector } = good;
    expect(refusalOf(() => parseTrustState(JSON.stringify(withoutDirector)))).toMatch(/directorRoot is missing/);
  });

  it('starts only from roots that carry a threshold of their own root keys', () => {
    const w = world();
    const lone = reSign('root', w.image.initialRoot(), (signed) => signed, [keys.root[0]!]);
    expect(refusalOf(() => initialTrustState({ imageRoot: lone, directorRoot: w.director.initialRoot() }))).toMatch(
      /^THRESHOLD: image root: 1 valid signature\(s\) from the root keys of root v1, threshold 2/,
    );
    expect(refusalOf(() => initialTrustState({ imageRoot: w.director.initialRoot(), directorRoot: w.director.initialRoot() }))).toMatch(
      /^MALFORMED: image root: is a root of the director repository/,
    );
  });
});
