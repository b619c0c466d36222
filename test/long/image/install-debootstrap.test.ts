/**
 * image/install.sh on a real Debian root (issue 11): debootstrap makes a minimal bookworm root with systemd, the
 * real x64 release bundle (two of them, for the upgrade) is installed into it with --root, the unit is verified by
 * systemd-analyze inside the root, and the installed agent runs there through chroot as the `ame` user, honouring
 * the first-boot file. Then upgrade, rollback, the update agent's slot chosen by the launcher, uninstall and purge.
 * Needs root, debootstrap, systemd-analyze and deb.debian.org (or AME_TEST_DEBIAN_MIRROR); docs/image.md.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeUpdateState } from '../../../device/update/update-state.ts';
import { encodeGenesis } from '../../../node/ledger/index.ts';
import { type BuiltBundle, buildBundleOf, bundleVersion } from '../../support/bundle-build.ts';
import { repoRoot, runAme } from '../../support/cli.ts';
import { accountKey, INVESTORS, testGenesis } from '../../support/ledger-chain.ts';

const tmp = mkdtempSync(join(tmpdir(), 'ame-image-install-'));
const root = join(tmp, 'root');
const installSh = join(repoRoot, 'image/install.sh');
const mirror = process.env['AME_TEST_DEBIAN_MIRROR'] ?? 'http://deb.debian.org/debian';
const upgradeVersion = `${bundleVersion}.upgrade`;
const payout = accountKey(INVESTORS).address;
const timings: Record<string, number> = {};
const children: ChildProcess[] = [];
let v1: BuiltBundle;
let v2: BuiltBundle;

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  process.stderr.write(`install-debootstrap timings (ms): ${JSON.stringify(timings)}\n`);
  rmSync(tmp, { recursive: true, force: true });
}, 120_000);

function timed<T>(name: string, f: () => T): T {
  const t0 = Date.now();
  const result = f();
  timings[name] = Date.now() - t0;
  return result;
}

const install = (...args: string[]) => spawnSync('sh', [installSh, '--root', root, ...args], { encoding: 'utf8' });
const inRoot = (...parts: string[]) => join(root, ...parts);
/** A file, folder or (even dangling) link at that path in the root. */
const present = (path: string) => lstatSync(inRoot(path), { throwIfNoEntry: false }) !== undefined;
const idsOf = (name: string, file: 'passwd' | 'group') =>
  readFileSync(inRoot('etc', file), 'utf8').split('\n').find((l) => l.startsWith(`${name}:`))?.split(':');
const uid = () => Number(idsOf('ame', 'passwd')?.[2]);
const gid = () => Number(idsOf('ame', 'group')?.[2]);
/** A command inside the root as the ame user, with /etc/default/ame read as systemd's EnvironmentFile= would. */
const asAme = (command: string) => ['--userspec', `${uid()}:${gid()}`, root, '/bin/sh', '-c', `set -a; . /etc/default/ame; set +a; ${command}`];
const versionInRoot = (command = '/usr/local/bin/ame') => spawnSync('chroot', asAme(`${command} --version`), { encoding: 'utf8' });

beforeAll(async () => {
  const t0 = Date.now();
  // runAme runs any command given as `command`, without blocking the event loop: debootstrap goes on beside the builds.
  const bootstrap = runAme(['--variant=minbase', '--include=systemd', 'bookworm', root, mirror], { command: ['debootstrap'] }).then((r) => {
    timings['debootstrap'] = Date.now() - t0;
    if (r.code !== 0) throw new Error(`debootstrap exited with ${r.code}:\n${r.stderr.slice(-2000)}`);
  });
  v1 = await buildBundleOf('x64', join(tmp, 'out-1'));
  v2 = await buildBundleOf('x64', join(tmp, 'out-2'), { version: upgradeVersion });
  timings['build-1'] = v1.ms;
  timings['build-2'] = v2.ms;
  await bootstrap;
  timings['prepare (debootstrap beside the two builds)'] = Date.now() - t0;
}, 1_200_000);

describe('install.sh on a debootstrap root', () => {
  it('refuses bad input with its typed errors before touching the root', () => {
    expect(existsSync(inRoot('etc/passwd'))).toBe(true);
    const missing = install('install', join(tmp, 'nothing.tar.gz'));
    expect([missing.status, missing.stderr]).toEqual([4, `install.sh: NO_BUNDLE: no bundle at ${join(tmp, 'nothing.tar.gz')}\n`]);
    writeFileSync(join(tmp, 'junk.tar.gz'), 'not a bundle');
    const junk = install('install', join(tmp, 'junk.tar.gz'));
    expect(junk.status).toBe(5);
    expect(junk.stderr).toMatch(/^install\.sh: BAD_BUNDLE: .*junk\.tar\.gz is not a gzip'd tar bundle/);
    const usage = install('install');
    expect([usage.status, usage.stderr]).toEqual([2, 'install.sh: USAGE: install needs a bundle (ame-<version>-<arch>.tar.gz from npm run build:bundle)\n']);
    const notRoot = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'sh', installSh, '--root', root, 'install', v1.path], { encoding: 'utf8' });
    expect(notRoot.status).toBe(3);
    expect(notRoot.stderr).toMatch(/^install\.sh: NOT_ROOT: run as root/);
    const upgrade = install('upgrade', v1.path);
    expect([upgrade.status, upgrade.stderr]).toEqual([7, `install.sh: NOT_INSTALLED: nothing is installed in ${root}: use install.sh install ${v1.path}\n`]);
    expect(existsSync(inRoot('opt/ame/current'))).toBe(false);
    expect(existsSync(inRoot('etc/systemd/system/ame.service'))).toBe(false);
  });

  it('installs: release, user, data folder, unit enabled by its link, launcher, settings and the first-boot file', () => {
    const r = timed('install', () => install('install', v1.path));
    expect(r.status, r.stderr).toBe(0);
    const releases = readdirSync(inRoot('opt/ame/releases'));
    expect(releases).toEqual([expect.stringMatching(new RegExp(`^ame-${bundleVersion.replace(/[.+]/g, '\\$&')}-x64-[0-9a-f]{12}$`))]);
    expect(readlinkSync(inRoot('opt/ame/current'))).toBe(`releases/${releases[0]}`);
    expect(readlinkSync(inRoot('usr/local/bin/ame'))).toBe('/opt/ame/current/bin/ame');
    expect(readlinkSync(inRoot('etc/systemd/system/multi-user.target.wants/ame.service'))).toBe('/etc/systemd/system/ame.service');
    expect(readFileSync(inRoot('etc/systemd/system/ame.service'), 'utf8')).toBe(readFileSync(join(repoRoot, 'image/systemd/ame.service'), 'utf8'));
    expect(statSync(inRoot('opt/ame/libexec/ame-start')).mode & 0o777).toBe(0o755);
    // The user and group, as the root's own tools made them; dialout (Debian) added, gpio (Raspberry Pi OS) absent here.
    expect(idsOf('ame', 'passwd')?.slice(4)).toEqual(['AME device agent', '/var/lib/ame', '/usr/sbin/nologin']);
    expect(uid()).toBeLessThan(1000);
    expect(idsOf('dialout', 'group')?.[3]?.split(',')).toContain('ame');
    const data = statSync(inRoot('var/lib/ame'));
    expect([data.uid, data.gid, data.mode & 0o777]).toEqual([uid(), gid(), 0o750]);
    // No /boot/firmware in a debootstrap root: /boot is the boot folder.
    expect(readFileSync(inRoot('etc/default/ame'), 'utf8')).toContain('AME_BOOT_DIR=/boot\nAME_GENESIS=/boot/ame-genesis.cbor\n');
    expect(JSON.parse(readFileSync(inRoot('boot/ame.json'), 'utf8'))).toEqual(JSON.parse(readFileSync(join(repoRoot, 'image/boot/ame.json'), 'utf8')));
    expect(statSync(inRoot('boot/ame.json')).mode & 0o777).toBe(0o640);
    expect(versionInRoot().stdout).toMatch(new RegExp(`^ame ${bundleVersion.replace(/[.+]/g, '\\$&')} \\(node `));
  });

  it('the installed unit passes systemd-analyze verify inside the root', () => {
    const v = timed('verify', () => spawnSync('systemd-analyze', ['verify', `--root=${root}`, 'ame.service'], { encoding: 'utf8' }));
    expect([v.status, v.stderr]).toEqual([0, '']);
  });

  it('is idempotent, and refuses another release on install (upgrade is the way)', () => {
    const before = readdirSync(inRoot('opt/ame/releases'));
    const again = install('install', v1.path);
    expect(again.status, again.stderr).toBe(0);
    expect(readdirSync(inRoot('opt/ame/releases'))).toEqual(before);
    expect(readFileSync(inRoot('etc/passwd'), 'utf8').match(/^ame:/gm)).toHaveLength(1);
    expect(readFileSync(inRoot('etc/group'), 'utf8').match(/^dialout:.*\bame\b.*\bame\b/m)).toBeNull();
    const other = install('install', v2.path);
    expect(other.status).toBe(8);
    expect(other.stderr).toMatch(/^install\.sh: ALREADY_INSTALLED: ame-.* is installed: use install\.sh upgrade /);
  });

  it('the agent waits for its owner without a genesis (exit 78, which the unit does not restart)', () => {
    const r = spawnSync('chroot', asAme('/opt/ame/libexec/ame-start device'), { encoding: 'utf8' });
    expect([r.status, r.stderr]).toEqual([78, 'ame-start: the genesis file /boot/ame-genesis.cbor is missing: copy the network\'s genesis there (docs/image.md), then start ame again\n']);
  });

  it('runs in the root as the ame user and honours the first-boot file', async () => {
    writeFileSync(inRoot('boot/ame-genesis.cbor'), encodeGenesis(testGenesis()));
    const boot = JSON.parse(readFileSync(inRoot('boot/ame.json'), 'utf8')) as Record<string, Record<string, unknown>>;
    boot['payoutAddress'] = payout as never;
    boot['hal'] = { board: 'generic', led: 'sim', button: 'sim', console: 'none', watchdog: 'sim', sysinfo: 'sim' };
    boot['network'] = { ...boot['network'], listen: ['/ip4/127.0.0.1/tcp/0'] };
    boot['dashboard'] = { port: 0 };
    writeFileSync(inRoot('boot/ame.json'), JSON.stringify(boot));
    const agent = spawn('chroot', asAme('exec /opt/ame/libexec/ame-start device'), { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(agent);
    let out = '';
    agent.stdout.on('data', (d: Buffer) => (out += d.toString()));
    let err = '';
    agent.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => agent.once('close', resolve));
    const t0 = Date.now();
    while (!/^device \{.*\}$/m.test(out)) {
      if (agent.exitCode !== null || Date.now() - t0 > 120_000) throw new Error(`no device line:\n${out}\n${err.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    timings['agent start to device line'] = Date.now() - t0;
    const line = JSON.parse(/^device (\{.*\})$/m.exec(out)![1]!) as { dataDir: string; dashboard: string };
    expect(line.dataDir).toBe('/var/lib/ame');
    const status = (await (await fetch(`${line.dashboard}/api/status`)).json()) as {
      state: string;
      payout: { address: string; source: string };
      config: { problems: unknown[] };
    };
    expect(status.payout).toEqual({ address: payout, source: 'config' });
    expect(status.config.problems).toEqual([]);
    expect(['connecting', 'registering']).toContain(status.state);
    // What it provisioned is the ame user's, private, under the data folder only.
    const key = statSync(inRoot('var/lib/ame/identity/node.key'));
    expect([key.uid, key.mode & 0o777]).toEqual([uid(), 0o600]);
    agent.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toMatch(/stopping\nstopped\n$/);
  });

  it('upgrades atomically keeping data, settings and the previous release; rolls back and forward', () => {
    const nodeKey = readFileSync(inRoot('var/lib/ame/identity/node.key'));
    const bootFile = readFileSync(inRoot('boot/ame.json'));
    const defaults = readFileSync(inRoot('etc/default/ame'));
    const old = readlinkSync(inRoot('opt/ame/current'));
    const r = timed('upgrade', () => install('upgrade', v2.path));
    expect(r.status, r.stderr).toBe(0);
    expect(readlinkSync(inRoot('opt/ame/previous'))).toBe(old);
    expect(readlinkSync(inRoot('opt/ame/current'))).toMatch(/\.upgrade-x64-[0-9a-f]{12}$/);
    expect(readdirSync(inRoot('opt/ame/releases'))).toHaveLength(2);
    expect(lstatSync(inRoot('opt/ame/current')).isSymbolicLink()).toBe(true);
    expect(versionInRoot().stdout).toContain(`ame ${upgradeVersion} `);
    expect(readFileSync(inRoot('var/lib/ame/identity/node.key'))).toEqual(nodeKey);
    expect(readFileSync(inRoot('boot/ame.json'))).toEqual(bootFile);
    expect(readFileSync(inRoot('etc/default/ame'))).toEqual(defaults);
    const back = install('rollback');
    expect(back.status, back.stderr).toBe(0);
    expect(versionInRoot().stdout).toContain(`ame ${bundleVersion} `);
    const forward = install('upgrade', v2.path);
    expect(forward.status, forward.stderr).toBe(0);
    expect(versionInRoot().stdout).toContain(`ame ${upgradeVersion} `);
    expect(readdirSync(inRoot('opt/ame/releases'))).toHaveLength(2);
  });

  it('the launcher runs the update agent\'s running slot when state.json names one, else the installed release', () => {
    // The update agent's layout (device/update/slots.ts): slots/<bundle sha256>/ holds an extracted bundle.
    const slots = inRoot('var/lib/ame/update/slots');
    mkdirSync(slots, { recursive: true });
    cpSync(inRoot('opt/ame', readlinkSync(inRoot('opt/ame/previous'))), join(slots, v1.sha256), { recursive: true });
    const target = { name: `ame-${bundleVersion}-x64.tar.gz`, sha256: v1.sha256, length: statSync(v1.path).size };
    writeUpdateState(inRoot('var/lib/ame/update/state.json'), { running: target, previous: null, trial: null, rejected: null, lastReport: null });
    spawnSync('chown', ['-R', `${uid()}:${gid()}`, inRoot('var/lib/ame/update')]);
    expect(versionInRoot('/opt/ame/libexec/ame-start').stdout).toContain(`ame ${bundleVersion} `);
    writeFileSync(inRoot('var/lib/ame/update/state.json'), '{"format": "something else"}');
    const fallback = versionInRoot('/opt/ame/libexec/ame-start');
    expect(fallback.stdout).toContain(`ame ${upgradeVersion} `);
    expect(fallback.stderr).toContain('ame-start: /var/lib/ame/update/state.json does not read back; starting the installed release');
    rmSync(inRoot('var/lib/ame/update'), { recursive: true });
  });

  it('uninstalls the program and keeps the data; --purge removes data, settings and user; again is a no-op', () => {
    const r = timed('uninstall', () => install('uninstall'));
    expect(r.status, r.stderr).toBe(0);
    for (const gone of ['opt/ame', 'etc/systemd/system/ame.service', 'etc/systemd/system/multi-user.target.wants/ame.service', 'usr/local/bin/ame']) {
      expect(present(gone), gone).toBe(false);
    }
    expect(existsSync(inRoot('var/lib/ame/identity/node.key'))).toBe(true);
    expect(existsSync(inRoot('etc/default/ame'))).toBe(true);
    expect(idsOf('ame', 'passwd')).toBeDefined();
    const verify = spawnSync('systemd-analyze', ['verify', `--root=${root}`, 'ame.service'], { encoding: 'utf8' });
    expect(verify.status).not.toBe(0);
    const purge = install('uninstall', '--purge');
    expect(purge.status, purge.stderr).toBe(0);
    for (const gone of ['var/lib/ame', 'var/cache/ame', 'etc/default/ame']) expect(existsSync(inRoot(gone)), gone).toBe(false);
    expect(idsOf('ame', 'passwd')).toBeUndefined();
    expect(idsOf('ame', 'group')).toBeUndefined();
    expect(idsOf('dialout', 'group')?.[3]).toBe('');
    // The owner's first-boot file stays on the boot partition.
    expect(JSON.parse(readFileSync(inRoot('boot/ame.json'), 'utf8'))).toMatchObject({ payoutAddress: payout });
    const again = install('uninstall', '--purge');
    expect(again.status, again.stderr).toBe(0);
  });
});
