import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { INITIAL_STATE, parseUpdateState, readUpdateState, UpdateAgentError, type UpdateState } from '../../../../device/update/index.ts';
import { readTrust, writeTrust, writeUpdateState } from '../../../../device/update/update-state.ts';
import { codeOf } from '../../../support/error-code.ts';
import { startUpdateRepo } from '../../../support/update-repo.ts';

const target = (name: string) => ({ name, sha256: 'ab'.repeat(32), length: 1234 });
const FULL: UpdateState = {
  running: target('ame-2.0.0-x64.tar.gz'),
  previous: target('ame-1.0.0-x64.tar.gz'),
  trial: { target: target('ame-2.0.0-x64.tar.gz'), since: 5, bootsLeft: 2 },
  rejected: { target: target('ame-3.0.0-x64.tar.gz'), directorVersion: 4 },
  lastReport: { status: 'installed', target: 'ame-2.0.0-x64.tar.gz', running: 'ame-2.0.0-x64.tar.gz' },
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ame-update-state-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('update state files', () => {
  it('reads back what it wrote, and the initial state when there is no file', () => {
    const path = join(dir, 'state.json');
    expect(readUpdateState(path)).toEqual(INITIAL_STATE);
    writeUpdateState(path, FULL);
    expect(readUpdateState(path)).toEqual(FULL);
    writeUpdateState(path, INITIAL_STATE);
    expect(readUpdateState(path)).toEqual(INITIAL_STATE);
  });

  it('refuses a state file that is not what the agent writes, naming the field', () => {
    const path = join(dir, 'state.json');
    const write = (value: unknown) => writeFileSync(path, JSON.stringify(value));
    write({ ...FULL, format: 'ame-update-state/1', running: { ...target('x'), sha256: 'AB' } });
    expect(() => readUpdateState(path)).toThrow(/running\.sha256 must be 64 lowercase hex digits/);
    write({ ...FULL, format: 'ame-update-state/1', trial: { target: target('x'), since: -1, bootsLeft: 1 } });
    expect(() => readUpdateState(path)).toThrow(/trial must be/);
    write({ ...FULL, format: 'ame-update-state/1', lastReport: { status: 'great' } });
    expect(() => readUpdateState(path)).toThrow(/lastReport: update report "status"/);
    write(FULL);
    expect(() => readUpdateState(path)).toThrow(/format ame-update-state\/1/);
  });

  it('any JSON is read as a state or refused with BAD_STATE, never another error', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify({ format: 'ame-update-state/1', ...(typeof value === 'object' && value !== null && !Array.isArray(value) ? value : { running: value }) });
        const code = codeOf(() => parseUpdateState(text), UpdateAgentError);
        expect(code === undefined || code === 'BAD_STATE').toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('starts trust from the shipped roots, keeps it, and refuses a damaged trust file', async () => {
    const repo = await startUpdateRepo();
    try {
      const path = join(dir, 'trust.json');
      const trust = readTrust(path, repo.initialRoots);
      expect(trust.versions).toEqual({ timestamp: 0, snapshot: 0, targets: 0, director: 0 });
      writeTrust(path, trust);
      expect(readTrust(path, repo.initialRoots)).toEqual(trust);
      writeFileSync(path, readFileSync(path, 'utf8').replace('"director":0', '"director":-1'));
      expect(codeOf(() => readTrust(path, repo.initialRoots), UpdateAgentError)).toBe('BAD_STATE');
    } finally {
      await repo.close();
    }
  });
});
