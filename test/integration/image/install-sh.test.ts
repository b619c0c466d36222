/**
 * image/install.sh on a small stand-in root (this machine's user database and /usr/bin/env copied into a temporary
 * folder) with tiny bundles made by node/update's buildBundle: every typed refusal, and install, upgrade, rollback,
 * uninstall and purge in seconds. The real bundle on a real Debian root: test/long/image/install-debootstrap.test.ts.
 * Needs root (useradd --root), like install.sh itself.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBundle } from '../../../node/update/index.ts';
import { repoRoot } from '../../support/cli.ts';

const tmp = mkdtempSync(join(tmpdir(), 'ame-install-sh-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const installSh = join(repoRoot, 'image/install.sh');

/** A bundle whose bin/ame prints its version, as the real launcher's `--version` does. */
async function tinyBundle(file: string, options: { version: string; arch?: string; name?: string }): Promise<string> {
  const dir = join(tmp, `src-${file}`);
  mkdirSync(join(dir, 'bin'), { recursive: true });
  mkdirSync(join(dir, 'runtime/bin'), { recursive: true });
  writeFileSync(join(dir, 'bin/ame'), `#!/bin/sh\necho "ame ${options.version}"\n`, { mode: 0o755 });
  writeFileSync(join(dir, 'runtime/bin/node'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
  writeFileSync(join(dir, 'app.txt'), `the application of ${options.version}\n`);
  const built = await buildBundle({ dir, name: options.name ?? 'ame', version: options.version, arch: options.arch ?? 'x64' });
  const path = join(tmp, file);
  writeFileSync(path, built.bytes);
  return path;
}

function standInRoot(name: string): string {
  const root = join(tmp, name);
  mkdirSync(join(root, 'etc'), { recursive: true });
  mkdirSync(join(root, 'usr/bin'), { recursive: true });
  for (const f of ['passwd', 'group', 'shadow', 'gshadow']) copyFileSync(`/etc/${f}`, join(root, 'etc', f));
  copyFileSync('/usr/bin/env', join(root, 'usr/bin/env'));
  return root;
}

const run = (root: string, ...args: string[]) => spawnSync('sh', [installSh, '--root', root, ...args], { encoding: 'utf8' });
const present = (path: string) => lstatSync(path, { throwIfNoEntry: false }) !== undefined;

let v1: string;
let v2: string;
beforeAll(async () => {
  v1 = await tinyBundle('v1.tar.gz', { version: '1.0.0' });
  v2 = await tinyBundle('v2.tar.gz', { version: '2.0.0' });
});

describe('install.sh refusals (typed code on stderr, its exit status, nothing installed)', () => {
  it.each([
    ['no command', [], 2, /^install\.sh: USAGE: name a command\n/],
    ['unknown command', ['frobnicate'], 2, /^install\.sh: USAGE: unknown command frobnicate\n/],
    ['unknown option', ['--force', 'install', 'x'], 2, /^install\.sh: USAGE: unknown option --force\n/],
    ['--purge on install', ['install', 'x', '--purge'], 2, /^install\.sh: USAGE: --purge is an option of uninstall\n$/],
    ['missing bundle', ['install', '/nonexistent/ame.tar.gz'], 4, /^install\.sh: NO_BUNDLE: no bundle at \/nonexistent\/ame\.tar\.gz\n$/],
    ['rollback with nothing installed', ['rollback'], 7, /^install\.sh: NOT_INSTALLED: nothing is installed in /],
  ])('%s', (_name, args, status, message) => {
    const root = standInRoot('refusals');
    const r = run(root, ...args);
    expect(r.stderr).toMatch(message);
    expect(r.status).toBe(status);
    expect(present(join(root, 'opt/ame/current'))).toBe(false);
  });

  it('a bundle for another CPU: WRONG_ARCH naming both, nothing left behind', async () => {
    const root = standInRoot('arch');
    const arm = await tinyBundle('arm.tar.gz', { version: '1.0.0', arch: 'arm64' });
    const r = run(root, 'install', arm);
    expect(r.stderr).toBe(`install.sh: WRONG_ARCH: ${arm} is built for arm64 but the programs of ${root} are x64: build it with npm run build:bundle -- --arch x64\n`);
    expect(r.status).toBe(6);
    expect(readdirSync(join(root, 'opt/ame/releases'))).toEqual([]);
  });

  it('a bundle whose file differs from its manifest, one of another program, junk: BAD_BUNDLE', async () => {
    const root = standInRoot('bad');
    const tar = gunzipSync(readFileSync(v1));
    const at = tar.indexOf('the application of 1.0.0');
    expect(at).toBeGreaterThan(0);
    tar.write('THE', at); // same length: the tar still reads, only the manifest's SHA-256 tells
    writeFileSync(join(tmp, 'tampered.tar.gz'), gzipSync(tar));
    const tampered = run(root, 'install', join(tmp, 'tampered.tar.gz'));
    expect(tampered.stderr).toMatch(/^install\.sh: BAD_BUNDLE: .*tampered\.tar\.gz does not match its manifest \(3 files listed, 3 present; .*app\.txt: FAILED/);
    expect(tampered.status).toBe(5);
    const other = run(root, 'install', await tinyBundle('other.tar.gz', { version: '1.0.0', name: 'other' }));
    expect(other.stderr).toMatch(/^install\.sh: BAD_BUNDLE: .*other\.tar\.gz is a bundle of "other", not of ame\n$/);
    writeFileSync(join(tmp, 'plain.tar.gz'), gzipSync(Buffer.from('hello')));
    expect(run(root, 'install', join(tmp, 'plain.tar.gz')).stderr).toMatch(/BAD_BUNDLE: .*plain\.tar\.gz is not a gzip'd tar bundle/);
    expect(readdirSync(join(root, 'opt/ame/releases'))).toEqual([]);
    expect(present(join(root, 'etc/systemd/system/ame.service'))).toBe(false);
  });

  it('a root that is not a Debian root, and not being root', () => {
    mkdirSync(join(tmp, 'empty'));
    expect(run(join(tmp, 'empty'), 'install', v1).stderr).toBe(`install.sh: BAD_ROOT: ${join(tmp, 'empty')} has no etc/passwd: not a Debian root\n`);
    expect(run(join(tmp, 'nowhere'), 'install', v1).status).toBe(9);
    const user = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'sh', installSh, 'install', v1], { encoding: 'utf8' });
    expect([user.status, user.stderr]).toEqual([3, 'install.sh: NOT_ROOT: run as root (sudo install.sh …): it creates a user and writes /opt, /etc and /var/lib\n']);
  });

  it('the kit must travel whole: KIT_INCOMPLETE names the missing file', () => {
    const root = standInRoot('kit-root');
    const kit = join(tmp, 'kit-alone');
    mkdirSync(kit);
    copyFileSync(installSh, join(kit, 'install.sh'));
    const r = spawnSync('sh', [join(kit, 'install.sh'), '--root', root, 'install', v1], { encoding: 'utf8' });
    expect([r.status, r.stderr]).toEqual([10, `install.sh: KIT_INCOMPLETE: ${kit}/ame-start.sh is missing: copy the whole image/ folder with install.sh\n`]);
  });
});

describe('install.sh install, upgrade, rollback, uninstall on a stand-in root', () => {
  const version = (root: string) => spawnSync(join(root, 'opt/ame/current/bin/ame'), { encoding: 'utf8' }).stdout.trim();

  it('keeps exactly the current and previous release, switching the links', () => {
    const root = standInRoot('cycle');
    expect(run(root, '--boot', '/boot/firmware', 'install', v1).status).toBe(0);
    expect(version(root)).toBe('ame 1.0.0');
    const refused = run(root, 'install', v2);
    expect([refused.status, refused.stderr]).toEqual([8, expect.stringMatching(/^install\.sh: ALREADY_INSTALLED: ame-1\.0\.0-x64-\w+ is installed: use install\.sh upgrade /)]);
    expect(readdirSync(join(root, 'opt/ame/releases'))).toEqual([expect.stringMatching(/^ame-1\.0\.0-/)]);
    expect(readFileSync(join(root, 'etc/default/ame'), 'utf8')).toContain('AME_BOOT_DIR=/boot/firmware\n');
    expect(existsSync(join(root, 'boot/firmware/ame.json'))).toBe(true);
    expect(run(root, 'upgrade', v2).stdout).toMatch(/upgraded ame-1\.0\.0-x64-\w+ -> ame-2\.0\.0-x64-\w+ \(kept ame-1\.0\.0-x64-\w+ for rollback\)/);
    expect(version(root)).toBe('ame 2.0.0');
    expect(run(root, 'rollback').status).toBe(0);
    expect(version(root)).toBe('ame 1.0.0');
    expect(readlinkSync(join(root, 'opt/ame/previous'))).toMatch(/^releases\/ame-2\.0\.0-/);
    expect(run(root, 'upgrade', v2).status).toBe(0);
    expect(run(root, 'upgrade', v2).stdout).toMatch(/ame-2\.0\.0-x64-\w+ is already the current release/);
    expect(readdirSync(join(root, 'opt/ame/releases')).sort()).toEqual([expect.stringMatching(/^ame-1\.0\.0-/), expect.stringMatching(/^ame-2\.0\.0-/)]);
    // One install.sh at a time on a root.
    mkdirSync(join(root, 'opt/ame/.lock'));
    expect(run(root, 'rollback').stderr).toMatch(/^install\.sh: BUSY: another install\.sh is working on /);
    rmSync(join(root, 'opt/ame/.lock'), { recursive: true });
    expect(run(root, 'uninstall').status).toBe(0);
    expect(present(join(root, 'opt/ame'))).toBe(false);
    expect(present(join(root, 'etc/systemd/system/multi-user.target.wants/ame.service'))).toBe(false);
    expect(readFileSync(join(root, 'etc/passwd'), 'utf8')).toMatch(/^ame:/m);
    expect(run(root, 'uninstall', '--purge').status).toBe(0);
    expect(readFileSync(join(root, 'etc/passwd'), 'utf8')).not.toMatch(/^ame:/m);
    expect(present(join(root, 'etc/default/ame'))).toBe(false);
    expect(existsSync(join(root, 'boot/firmware/ame.json'))).toBe(true);
  });
});
