import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { currentLock, releaseLock, takeLock, UpdateAgentError, updatePaths } from '../../../../device/update/index.ts';
import { codeOf } from '../../../support/error-code.ts';

const NOW = Date.UTC(2027, 0, 1);
let dataDir: string;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'ame-update-lock-'));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

describe('update lock', () => {
  it('is held until its expiry (exclusive) and then no longer counts', () => {
    expect(currentLock(dataDir, NOW)).toBeUndefined();
    const lock = { holder: 'worker', reason: 'answering an audit', expiresAt: NOW + 1_000 };
    expect(takeLock(dataDir, lock, NOW)).toEqual(lock);
    expect(currentLock(dataDir, NOW + 999)).toEqual(lock);
    expect(currentLock(dataDir, NOW + 1_000)).toBeUndefined();
  });

  it('refuses another holder while held, lets the holder renew, and anyone take an expired one over', () => {
    takeLock(dataDir, { holder: 'worker', reason: 'a', expiresAt: NOW + 1_000 }, NOW);
    expect(codeOf(() => takeLock(dataDir, { holder: 'backup', reason: 'b', expiresAt: NOW + 5_000 }, NOW), UpdateAgentError)).toBe('LOCKED');
    expect(codeOf(() => releaseLock(dataDir, 'backup', NOW), UpdateAgentError)).toBe('LOCKED');
    takeLock(dataDir, { holder: 'worker', reason: 'longer', expiresAt: NOW + 9_000 }, NOW);
    expect(currentLock(dataDir, NOW + 5_000)?.reason).toBe('longer');
    expect(takeLock(dataDir, { holder: 'backup', reason: 'b', expiresAt: NOW + 20_000 }, NOW + 9_000).holder).toBe('backup');
  });

  it('is released by its holder only once', () => {
    takeLock(dataDir, { holder: 'worker', reason: 'a', expiresAt: NOW + 1_000 }, NOW);
    expect(releaseLock(dataDir, 'worker', NOW)).toBe(true);
    expect(currentLock(dataDir, NOW)).toBeUndefined();
    expect(releaseLock(dataDir, 'worker', NOW)).toBe(false);
  });

  it('refuses bad requests and an unreadable lock file, naming the problem', () => {
    expect(codeOf(() => takeLock(dataDir, { holder: '', reason: 'a', expiresAt: NOW + 1 }, NOW), UpdateAgentError)).toBe('BAD_LOCK');
    expect(codeOf(() => takeLock(dataDir, { holder: 'w', reason: 'a', expiresAt: NOW }, NOW), UpdateAgentError)).toBe('BAD_LOCK');
    expect(codeOf(() => takeLock(dataDir, { holder: 'w', reason: 'a'.repeat(257), expiresAt: NOW + 1 }, NOW), UpdateAgentError)).toBe('BAD_LOCK');
    mkdirSync(updatePaths(dataDir).root, { recursive: true });
    writeFileSync(updatePaths(dataDir).lock, '{"holder": 1}');
    expect(() => currentLock(dataDir, NOW)).toThrow(/lock\.json: must be \{holder: text, reason: text, expiresAt: integer ms\}/);
    writeFileSync(updatePaths(dataDir).lock, 'not json');
    expect(codeOf(() => currentLock(dataDir, NOW), UpdateAgentError)).toBe('BAD_STATE');
  });
});
