import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_PASSWORD_COST, Registry, RegistryError } from '../../../../fleet/registry/index.ts';
import { codeOf } from '../../../support/error-code.ts';
import { registryPerTest } from './temp.ts';

const s = registryPerTest();

const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    if (error instanceof RegistryError) return `${error.code}: ${error.message}`;
    throw error;
  }
  return 'accepted';
};

describe('registry admin accounts', () => {
  it('log in with the right password only, unknown users refused alike', () => {
    s.r.admins.create('alice', 'correct horse battery', 'operator', 10);
    expect(s.r.admins.authenticate('alice', 'correct horse battery')).toEqual({ username: 'alice', role: 'operator', createdAt: 10 });
    const wrong = refusal(() => s.r.admins.authenticate('alice', 'correct horse batterY'));
    const unknown = refusal(() => s.r.admins.authenticate('mallory', 'correct horse battery'));
    expect(wrong).toBe('UNAUTHORIZED: wrong username or password');
    expect(unknown).toBe(wrong);
    s.r.admins.setPassword('alice', 'a new long password');
    expect(codeOf(() => s.r.admins.authenticate('alice', 'correct horse battery'), RegistryError)).toBe('UNAUTHORIZED');
    expect(s.r.admins.authenticate('alice', 'a new long password').role).toBe('operator');
  });

  it('hash at the production scrypt cost by default', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ame-registry-cost-'));
    const production = Registry.open(join(dir, 's.r.sqlite'));
    try {
      production.admins.create('alice', 'correct horse battery', 'admin', 1);
      const db = new Database(join(dir, 's.r.sqlite'), { readonly: true });
      expect(db.prepare('SELECT cost FROM admins').get()).toEqual({ cost: DEFAULT_PASSWORD_COST });
      db.close();
    } finally {
      production.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('salt each account: one password gives two different hashes', () => {
    s.r.admins.create('a', 'same password here', 'viewer', 1);
    s.r.admins.create('b', 'same password here', 'viewer', 1);
    // Read the stored rows directly: the registry exposes no hashes.
    const db = new Database(s.t.path, { readonly: true });
    const stored = db.prepare('SELECT salt, hash FROM admins ORDER BY username').all() as { salt: Buffer; hash: Buffer }[];
    db.close();
    expect(stored[0]!.salt.equals(stored[1]!.salt)).toBe(false);
    expect(stored[0]!.hash.equals(stored[1]!.hash)).toBe(false);
    expect(stored[0]!.hash.includes(Buffer.from('same password'))).toBe(false);
  });

  it('refuse bad usernames, short passwords, unknown roles and duplicates', () => {
    expect(refusal(() => s.r.admins.create('a b', 'long enough pw', 'admin', 1))).toMatch(/^BAD_INPUT: username/);
    expect(refusal(() => s.r.admins.create('bob', 'short', 'admin', 1))).toMatch(/^BAD_INPUT: password/);
    expect(refusal(() => s.r.admins.create('bob', 'long enough pw', 'root' as 'admin', 1))).toMatch(/^BAD_INPUT: role/);
    s.r.admins.create('bob', 'long enough pw', 'admin', 1);
    expect(refusal(() => s.r.admins.create('bob', 'long enough pw', 'admin', 1))).toMatch(/^CONFLICT/);
    s.r.admins.setRole('bob', 'viewer');
    expect(s.r.admins.list()).toEqual([{ username: 'bob', role: 'viewer', createdAt: 1 }]);
    expect(codeOf(() => s.r.admins.setRole('carol', 'viewer'), RegistryError)).toBe('NOT_FOUND');
  });
});

describe('registry API tokens', () => {
  it('grant their role until they expire or are revoked; unknown and malformed ones refused', () => {
    s.r.admins.create('alice', 'correct horse battery', 'admin', 1);
    const ci = s.r.admins.issueToken({ role: 'operator', label: 'ci', owner: 'alice', expiresAt: 10_000 }, 1_000);
    const forever = s.r.admins.issueToken({ role: 'viewer', label: 'dashboard' }, 1_000);
    expect(ci.token).toMatch(/^amet_[A-Za-z0-9_-]{43}$/);
    expect(s.r.admins.authenticateToken(ci.token, 9_999)).toEqual({ id: ci.id, role: 'operator', label: 'ci', owner: 'alice', expiresAt: 10_000 });
    expect(refusal(() => s.r.admins.authenticateToken(ci.token, 10_000))).toMatch(/^UNAUTHORIZED: API token \d+ expired/);
    expect(s.r.admins.authenticateToken(forever.token, 1e12).role).toBe('viewer');
    s.r.admins.revokeToken(forever.id, 2_000);
    expect(refusal(() => s.r.admins.authenticateToken(forever.token, 2_001))).toMatch(/^UNAUTHORIZED: .*revoked/);
    const flipped = ci.token.slice(0, -1) + (ci.token.endsWith('A') ? 'B' : 'A');
    expect(refusal(() => s.r.admins.authenticateToken(flipped, 2_000))).toBe('UNAUTHORIZED: unknown API token');
    expect(refusal(() => s.r.admins.authenticateToken('Bearer x', 2_000))).toBe('UNAUTHORIZED: not an API token');
    expect(codeOf(() => s.r.admins.issueToken({ role: 'admin', label: 'x', owner: 'nobody' }, 1), RegistryError)).toBe('NOT_FOUND');
  });

  it('store only a digest of the token', () => {
    const issued = s.r.admins.issueToken({ role: 'viewer', label: 'x' }, 1);
    s.r.close();
    const db = new Database(s.t.path, { readonly: true });
    const rows = db.prepare('SELECT * FROM api_tokens').all();
    db.close();
    expect(JSON.stringify(rows)).not.toContain(issued.token.slice(5));
    expect(codeOf(() => s.r.admins.authenticateToken(issued.token, 2), RegistryError)).toBe('CLOSED');
  });
});
