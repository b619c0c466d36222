/** The device's stored broker credentials: what a command's args may hold, and the file's atomic 0600 writes. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadCredentials, parseCredentials, saveCredentials, TelemetryError } from '../../../../device/telemetry/index.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'ame-creds-'));
  dirs.push(d);
  return d;
};
const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (error) {
    return error instanceof TelemetryError ? error.code : 'OTHER';
  }
};

describe('mqtt credentials', () => {
  it('takes {url?, username, password} and refuses anything else with BAD_CREDENTIALS', () => {
    expect(parseCredentials({ url: 'mqtts://broker:8883', username: 'u', password: 'p' })).toEqual({ url: 'mqtts://broker:8883', username: 'u', password: 'p' });
    expect(parseCredentials({ username: 'u', password: 'p' })).toEqual({ username: 'u', password: 'p' });
    for (const bad of [null, 'u:p', [], { username: 'u' }, { username: '', password: 'p' }, { username: 'u', password: 'p', role: 'admin' }, { username: 'u', password: 'p\n' }, { url: 'http://x', username: 'u', password: 'p' }, { username: 'u', password: 'x'.repeat(1_025) }, { username: 7, password: 'p' }]) {
      expect(codeOf(() => parseCredentials(bad)), JSON.stringify(bad)).toBe('BAD_CREDENTIALS');
    }
  });

  it('stores them with mode 0600 and no temporary file left, and loads them back; a broken file is BAD_STORE', () => {
    const dir = temp();
    const path = join(dir, 'mqtt-credentials.json');
    expect(loadCredentials(path)).toBeUndefined();
    saveCredentials(path, { url: 'mqtt://a:1', username: 'u', password: 'first' });
    saveCredentials(path, { username: 'u', password: 'second' });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['mqtt-credentials.json']);
    expect(loadCredentials(path)).toEqual({ username: 'u', password: 'second' });
    writeFileSync(path, '{"username": "u"');
    expect(codeOf(() => loadCredentials(path))).toBe('BAD_STORE');
    expect(codeOf(() => saveCredentials(join(dir, 'missing', 'x.json'), { username: 'u', password: 'p' }))).toBe('STORE_FAILED');
    expect(readFileSync(path, 'utf8')).toBe('{"username": "u"');
  });
});
