import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnPty } from '../../support/pty.ts';
import { repoRoot, runAme } from '../../support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'ame-pty-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ame = (...args: string[]) => [process.execPath, fileURLToPath(new URL('../../../cli/main.ts', import.meta.url)), ...args];

describe('ame wallet on a terminal', () => {
  it('asks for the password without echoing it, asks again to unlock, and confirms before showing the phrase', async () => {
    const path = join(dir, 'w.json');
    const password = 'tr0ub4dor&3';
    const create = spawnPty(ame('wallet', 'new', '--scheme', 'ecdsa', '--out', path), {}, repoRoot);
    await create.expect(/Password for the new wallet/);
    create.send(`${password}\r`);
    await create.expect(/Repeat the password/);
    create.send(`${password}\r`);
    expect(await create.exit()).toBe(0);
    expect(create.output()).not.toContain(password);
    const address = /\b(A[1-9A-HJ-NP-Za-km-z]{33})\b/.exec(create.output())?.[1];
    expect(address).toBeDefined();
    expect(readFileSync(path, 'utf8')).toContain('"encrypted"');

    const doc = join(dir, 'doc.txt');
    writeFileSync(doc, 'hello');
    const sign = spawnPty(ame('wallet', 'sign', path, '--file', doc), {}, repoRoot);
    await sign.expect(/Password for /);
    sign.send(`${password}\r`);
    expect(await sign.exit()).toBe(0);
    const bundle = /\{"scheme".*\}/.exec(sign.output())?.[0];
    expect(bundle).toBeDefined();
    const verified = await runAme(['wallet', 'verify', '--address', address!, '--file', doc, '--sig', bundle!]);
    expect(verified.code, verified.stderr).toBe(0);

    const refused = spawnPty(ame('wallet', 'backup', path), { AME_WALLET_PASSWORD: password }, repoRoot);
    await refused.expect(/Type "show"/);
    refused.send('no\r');
    expect(await refused.exit()).toBe(1);
    expect(refused.output()).toContain('not confirmed');

    const shown = spawnPty(ame('wallet', 'backup', path), { AME_WALLET_PASSWORD: password }, repoRoot);
    await shown.expect(/Type "show"/);
    shown.send('show\r');
    expect(await shown.exit()).toBe(0);
    expect(shown.output()).toMatch(/24\. [a-z]+/);
  });

  it('refuses two different passwords and writes nothing', async () => {
    const path = join(dir, 'mismatch.json');
    const s = spawnPty(ame('wallet', 'new', '--out', path), {}, repoRoot);
    await s.expect(/Password for the new wallet/);
    s.send('one\r');
    await s.expect(/Repeat the password/);
    s.send('two\r');
    expect(await s.exit()).toBe(1);
    expect(s.output()).toContain('the two passwords differ');
    expect(() => readFileSync(path)).toThrow();
  });
});
