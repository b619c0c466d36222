import { mkdtempSync, rmSync, statSync, writeFileSync, readFileSync, symlinkSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runAme } from '../../support/cli.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ame-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at /);

describe('ame', () => {
  it('prints its version and help, and refuses unknown commands with exit 2', async () => {
    const v = await runAme(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^ame \d+\.\d+\.\d+ \(node 24\./);
    const h = await runAme(['--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('wallet');
    const bad = await runAme(['frobnicate']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown command "frobnicate"');
    noStack(bad.stderr);
    const badOpt = await runAme(['wallet', 'new', '--scheme', 'rsa', '--plain']);
    expect(badOpt.code).toBe(2);
    expect(badOpt.stderr).toContain('--scheme must be one of falcon, ecdsa');
  });

  it('runs through bin/ame reached by a symlink, as node_modules/.bin and npx do', async () => {
    const linkDir = join(dir, 'bin');
    mkdirSync(linkDir);
    symlinkSync(join(repoRoot, 'bin/ame'), join(linkDir, 'ame'));
    const r = await runAme(['--version'], { command: [join(linkDir, 'ame')], cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\(node 24\./);
  });
});

describe('ame wallet', () => {
  it('creates an ECDSA wallet as a plain key file with mode 0600 and shows it', async () => {
    const path = join(dir, 'ecdsa.json');
    const r = await runAme(['wallet', 'new', '--scheme', 'ecdsa', '--out', path, '--plain']);
    expect(r.code, r.stderr).toBe(0);
    const address = r.stdout.trim();
    expect(address).toMatch(/^A[1-9A-HJ-NP-Za-km-z]{25,34}$/);
    expect(r.stderr).toContain('unencrypted');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const s = await runAme(['wallet', 'show', path, '--json']);
    expect(s.code).toBe(0);
    const info = JSON.parse(s.stdout) as Record<string, unknown>;
    expect(info).toMatchObject({ scheme: 'ecdsa', address, encrypted: false });
    expect(info['publicKey']).toMatch(/^0[23][0-9a-f]{64}$/);
    expect(info['falconForm']).toBeUndefined();
  });

  it('refuses to create a wallet without a password source, and never overwrites one', async () => {
    const path = join(dir, 'nopass.json');
    const r = await runAme(['wallet', 'new', '--out', path]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('AME_WALLET_PASSWORD');
    noStack(r.stderr);
    const first = await runAme(['wallet', 'new', '--scheme', 'ecdsa', '--out', path, '--plain']);
    expect(first.code).toBe(0);
    const again = await runAme(['wallet', 'new', '--scheme', 'ecdsa', '--out', path, '--plain']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists');
    expect(JSON.parse((await runAme(['wallet', 'show', path, '--json'])).stdout).address).toBe(first.stdout.trim());
  });

  it('signs and verifies files with an encrypted Falcon wallet; any change fails verification', async () => {
    const path = join(dir, 'falcon.json');
    const env = { AME_WALLET_PASSWORD: 'correct horse' };
    const r = await runAme(['wallet', 'new', '--out', path], { env });
    expect(r.code, r.stderr).toBe(0);
    const address = r.stdout.trim();
    expect(address).toMatch(/^F/);
    expect(readFileSync(path, 'utf8')).not.toContain('entropy');
    const info = JSON.parse((await runAme(['wallet', 'show', path, '--json'])).stdout) as Record<string, string>;
    expect(info['scheme']).toBe('falcon');
    expect(info['falconForm']).toBe(`falcon:${address.slice(1)}`);
    expect(info['publicKey']).toHaveLength(897 * 2);

    const doc = join(dir, 'doc.txt');
    writeFileSync(doc, 'pay 3 ABC to the worker fee pool\n');
    const signed = await runAme(['wallet', 'sign', path, '--file', doc], { env });
    expect(signed.code, signed.stderr).toBe(0);
    const bundle = signed.stdout.trim();
    expect(Object.keys(JSON.parse(bundle) as object).sort()).toEqual(['publicKey', 'scheme', 'signature']);
    const sigFile = join(dir, 'doc.sig');
    writeFileSync(sigFile, bundle);

    const ok = await runAme(['wallet', 'verify', '--address', address, '--file', doc, '--sig', sigFile]);
    expect(ok.code, ok.stderr).toBe(0);
    const okInline = await runAme(['wallet', 'verify', '--address', info['falconForm']!, '--file', doc, '--sig', bundle]);
    expect(okInline.code, okInline.stderr).toBe(0);

    writeFileSync(join(dir, 'doc2.txt'), 'pay 4 ABC to the worker fee pool\n');
    const changed = await runAme(['wallet', 'verify', '--address', address, '--file', join(dir, 'doc2.txt'), '--sig', sigFile]);
    expect(changed.code).toBe(1);
    expect(changed.stderr).toMatch(/signature/i);
    const other = JSON.parse((await runAme(['wallet', 'show', join(dir, 'ecdsa.json'), '--json'])).stdout).address;
    const wrongAddr = await runAme(['wallet', 'verify', '--address', other, '--file', doc, '--sig', sigFile]);
    expect(wrongAddr.code).toBe(1);
    expect(wrongAddr.stderr).toContain(`signed by ${address}, not by ${other}`);
    noStack(wrongAddr.stderr);

    const wrongPass = await runAme(['wallet', 'sign', path, '--file', doc], { env: { AME_WALLET_PASSWORD: 'nope' } });
    expect(wrongPass.code).toBe(1);
    expect(wrongPass.stderr).toMatch(/password/i);
    const noPass = await runAme(['wallet', 'sign', path, '--file', doc]);
    expect(noPass.code).toBe(1);
    expect(noPass.stderr).toContain('is encrypted');
  });

  it('shows the phrase once after confirmation, and the phrase restores the same address', async () => {
    for (const scheme of ['ecdsa', 'falcon']) {
      const path = join(dir, `backup-${scheme}.json`);
      const made = await runAme(['wallet', 'new', '--scheme', scheme, '--out', path, '--plain']);
      const address = made.stdout.trim();
      const unconfirmed = await runAme(['wallet', 'backup', path]);
      expect(unconfirmed.code).toBe(1);
      expect(unconfirmed.stderr).toContain('--yes');
      expect(unconfirmed.stdout).toBe('');
      const b = await runAme(['wallet', 'backup', path, '--yes']);
      expect(b.code, b.stderr).toBe(0);
      const words = b.stdout.split(/\s+/).filter((w) => /^[a-z]+$/.test(w));
      expect(words).toHaveLength(24);
      const twice = await runAme(['wallet', 'backup', path, '--yes']);
      expect(twice.code).toBe(1);
      expect(twice.stderr).toContain('already shown');
      const restoredPath = join(dir, `restored-${scheme}.json`);
      const r = await runAme(['wallet', 'restore', '--scheme', scheme, '--out', restoredPath, '--plain'], {
        input: `${words.join(' ')}\n`,
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe(address);
      // 23 words: a wrong count is always detected (a swapped word only with probability 255/256).
      const bad = await runAme(['wallet', 'restore', '--scheme', scheme, '--out', join(dir, `bad-${scheme}.json`), '--plain'], {
        input: words.slice(1).join(' '),
      });
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/phrase/i);
      noStack(bad.stderr);
    }
  });
});
