/** The checks of a root a schema cannot express: key ids, thresholds, role names, portable target names. */
import { describe, expect, it } from 'vitest';
import { decodeDocument, keyIdOf, signDocument, type RootSigned } from '../../../../node/update/index.ts';
import { keys, refusalOf, world } from './fixtures.ts';

function refusal(edit: (root: RootSigned) => RootSigned): string {
  const root = decodeDocument('root', world().image.initialRoot()).signed;
  const bytes = signDocument('root', edit(root), keys.root);
  return refusalOf(() => decodeDocument('root', bytes));
}

describe('root documents', () => {
  it('accepts the repository root unchanged', () => {
    expect(refusal((root) => root)).toBe('accepted');
  });

  it('refuses a key id that is not the hash of its key', () => {
    expect(
      refusal((root) => {
        const entries = Object.entries(root.keys);
        const [id, key] = entries[0]!;
        const wrong = (id.startsWith('a') ? 'b' : 'a') + id.slice(1);
        return { ...root, keys: Object.fromEntries([[wrong, key], ...entries.slice(1)]) };
      }),
    ).toMatch(/^MALFORMED: root: key id .* is not the SHA-256 of its key/);
  });

  it('refuses thresholds that can never be met, a key listed twice, unknown keys and roles, missing roles', () => {
    const id = keyIdOf(keys.spare.publicKey.bytes);
    expect(refusal((r) => ({ ...r, roles: { ...r.roles, timestamp: { ...r.roles['timestamp']!, threshold: 2 } } }))).toMatch(
      /role timestamp has threshold 2 for 1 keys/,
    );
    expect(refusal((r) => ({ ...r, roles: { ...r.roles, timestamp: { ...r.roles['timestamp']!, threshold: 0 } } }))).toMatch(
      /threshold 0/,
    );
    const twice = { ...(({ keyids, threshold }) => ({ keyids: [keyids[0]!, keyids[0]!], threshold }))(world().state.imageRoot.signed.roles['snapshot']!) };
    expect(refusal((r) => ({ ...r, roles: { ...r.roles, snapshot: twice } }))).toMatch(/role snapshot lists a key twice/);
    expect(refusal((r) => ({ ...r, roles: { ...r.roles, snapshot: { keyids: [id], threshold: 1 } } }))).toMatch(/names unknown key/);
    expect(refusal((r) => ({ ...r, roles: { ...r.roles, mirror: r.roles['snapshot']! } }))).toMatch(/unknown role mirror/);
    expect(refusal((r) => ({ ...r, roles: { root: r.roles['root']!, targets: r.roles['targets']! } }))).toMatch(/snapshot role is missing/);
    expect(refusal((r) => ({ ...r, repository: 'mirror' }))).toMatch(/repository must be/);
    expect(refusal((r) => ({ ...r, version: 0 }))).toMatch(/version must be at least 1/);
  });

  it('refuses a target name that is not portable', () => {
    const w = world();
    for (const name of ['../etc/passwd', '.hidden', 'a/b', '']) {
      const bytes = signDocument('targets', { type: 'targets', version: 1, expires: 1, targets: { [name]: w.image.listed()['ame-1.0.0-arm64.tar.gz']! } }, keys.targets);
      expect(() => decodeDocument('targets', bytes)).toThrow(/is not a portable name/);
    }
  });
});
