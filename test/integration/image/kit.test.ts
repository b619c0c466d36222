/**
 * The files of image/ other than install.sh (SPEC §11): the systemd unit passes systemd-analyze verify in a root
 * holding it and its launcher, and keeps the policies the agent relies on; the first-boot example is a first-boot
 * file the device config accepts; balena.yml and docker-compose.yml parse as YAML, name only config variables the
 * agent knows, and check health as the Dockerfile does.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDeviceConfig } from '../../../device/config/index.ts';
import { KEYS_BY_ENV } from '../../../device/config/schema.ts';
import { repoRoot } from '../../support/cli.ts';

const tmp = mkdtempSync(join(tmpdir(), 'ame-image-kit-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const image = (path: string) => join(repoRoot, 'image', path);
// js-yaml comes with balena-sdk (a dependency); it has no types of its own, so only its `load` is typed here.
const yaml = createRequire(import.meta.url)('js-yaml') as { load(text: string): unknown };

/** systemd-analyze verify of ame.service as installed in a root with systemd's own units and the launcher. */
function verify(unitText: string, launcherMode = 0o755): { status: number | null; stderr: string } {
  const root = mkdtempSync(join(tmp, 'root-'));
  mkdirSync(join(root, 'etc/systemd/system'), { recursive: true });
  mkdirSync(join(root, 'opt/ame/libexec'), { recursive: true });
  cpSync('/usr/lib/systemd/system', join(root, 'usr/lib/systemd/system'), { recursive: true });
  copyFileSync(image('ame-start.sh'), join(root, 'opt/ame/libexec/ame-start'));
  spawnSync('chmod', [launcherMode.toString(8), join(root, 'opt/ame/libexec/ame-start')]);
  writeFileSync(join(root, 'etc/systemd/system/ame.service'), unitText);
  const r = spawnSync('systemd-analyze', ['verify', `--root=${root}`, 'ame.service'], { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

describe('image/systemd/ame.service', () => {
  const unit = readFileSync(image('systemd/ame.service'), 'utf8');
  const values = (key: string) => [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]);

  it('passes systemd-analyze verify, which does catch a bad value and a launcher that cannot run', () => {
    expect(verify(unit)).toEqual({ status: 0, stderr: '' });
    expect(verify(unit.replace('Restart=always', 'Restart=sometimes')).stderr).toMatch(/Failed to parse service restart specifier/);
    expect(verify(unit, 0o644).stderr).toMatch(/Command \/opt\/ame\/libexec\/ame-start is not executable/);
  });

  it('restarts on every exit (75: the update agent switching slots), and not on 78 (no genesis)', () => {
    expect(values('Restart')).toEqual(['always']);
    expect(values('SuccessExitStatus')).toEqual(['75']);
    expect(values('RestartPreventExitStatus')).toEqual(['78']);
    expect(values('StartLimitIntervalSec')).toEqual(['0']);
  });

  it('asks for the service watchdog the HAL kicks with systemd-notify from a child process', () => {
    // hal/linux/watchdog-systemd.ts: a kick is `systemd-notify WATCHDOG=1`, a process other than the main one.
    expect(readFileSync(join(repoRoot, 'hal/linux/watchdog-systemd.ts'), 'utf8')).toContain("'systemd-notify'");
    expect(values('NotifyAccess')).toEqual(['all']);
    expect(values('WatchdogSec')).toEqual(['90s']);
  });

  it('runs the launcher as ame, with only the data folder writable and no capabilities', () => {
    expect(values('User')).toEqual(['ame']);
    expect(values('ExecStart')).toEqual(['/opt/ame/libexec/ame-start device']);
    expect(values('ProtectSystem')).toEqual(['strict']);
    expect(values('ReadWritePaths')).toEqual(['/var/lib/ame']);
    expect(values('NoNewPrivileges')).toEqual(['yes']);
    expect(values('CapabilityBoundingSet')).toEqual(['']);
    expect(values('StandardOutput')).toEqual(['journal']);
    expect(values('WantedBy')).toEqual(['multi-user.target']);
  });
});

describe('image/boot/ame.json', () => {
  it('is a first-boot file the device config takes without a problem, and its keys are the documented ones', () => {
    const config = openDeviceConfig({ env: {}, bootDir: image('boot'), dataDir: join(tmp, 'data') });
    expect(config.problems()).toEqual([]);
    expect(config.current()).toMatchObject({ payoutAddress: null, hal: { board: 'auto' }, network: { name: 'ame' }, mqtt: { url: null, provisioningToken: null } });
    const example = JSON.parse(readFileSync(image('boot/ame.json'), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(example).sort()).toEqual(['hal', 'mqtt', 'network', 'payoutAddress']);
  });

  it('a hobbyist\'s typo is refused naming the key (the check above can fail)', () => {
    mkdirSync(join(tmp, 'typo'));
    writeFileSync(join(tmp, 'typo/ame.json'), JSON.stringify({ payoutAdress: null }));
    const problems = openDeviceConfig({ env: {}, bootDir: join(tmp, 'typo'), dataDir: join(tmp, 'data2') }).problems();
    expect(problems.map((p) => [p.layer, p.error.code, p.error.field])).toEqual([['boot', 'CONFIG_INVALID', 'payoutAdress']]);
  });
});

describe('image/docker-compose.yml and image/balena.yml', () => {
  interface Service {
    build: { context: string; dockerfile: string };
    volumes: string[];
    devices: string[];
    environment: Record<string, string>;
    labels: Record<string, unknown>;
    healthcheck: { test: string[]; interval: string; timeout: string; start_period: string; retries: number };
    [field: string]: unknown;
  }
  const compose = yaml.load(readFileSync(image('docker-compose.yml'), 'utf8')) as { version: string; volumes: Record<string, unknown>; services: Record<string, Service> };
  const balena = yaml.load(readFileSync(image('balena.yml'), 'utf8')) as {
    name: string;
    type: string;
    data: { defaultDeviceType: string; supportedDeviceTypes: string[]; applicationEnvironmentVariables: Record<string, unknown>[] };
  };
  const ame = compose.services['ame']!;

  it('compose: format 2.4, fields the balena supervisor supports, the arm64 Dockerfile, /data on a named volume', () => {
    expect(compose.version).toBe('2.4');
    expect(Object.keys(compose.services)).toEqual(['ame']);
    // The fields of balena's compose reference this file uses (docs.balena.io/reference/supervisor/docker-compose).
    const supported = ['build', 'cap_add', 'cap_drop', 'devices', 'environment', 'healthcheck', 'labels', 'network_mode', 'restart', 'security_opt', 'stop_grace_period', 'stop_signal', 'user', 'volumes'];
    expect(Object.keys(ame).filter((k) => !supported.includes(k))).toEqual([]);
    expect(existsSync(join(repoRoot, ame.build.context, ame.build.dockerfile))).toBe(true);
    expect(ame.build.dockerfile).toBe('Dockerfile.arm64');
    expect(ame.volumes).toEqual(['ame-data:/data']);
    expect(Object.keys(compose.volumes)).toEqual(['ame-data']);
    expect(ame.environment['AME_DATA_DIR']).toBe('/data');
  });

  it('compose: GPIO, UART and watchdog devices, sysfs and update labels as strings', () => {
    expect(ame.devices).toEqual(['/dev/gpiochip0:/dev/gpiochip0', '/dev/ttyAMA0:/dev/ttyAMA0', '/dev/watchdog:/dev/watchdog']);
    expect(ame.labels).toEqual({ 'io.balena.features.sysfs': '1', 'io.balena.update.strategy': 'download-then-kill' });
    expect(ame['cap_drop']).toEqual(['ALL']);
  });

  it('compose: the health check is the Dockerfile\'s', () => {
    const dockerfile = readFileSync(join(repoRoot, 'Dockerfile.arm64'), 'utf8');
    const m = /^HEALTHCHECK --interval=(\S+) --timeout=(\S+) --start-period=(\S+) --retries=(\d+) \\\n\s+CMD (\[.*\])$/m.exec(dockerfile);
    expect(m).not.toBeNull();
    const { interval, timeout, start_period: startPeriod, retries, test } = ame.healthcheck;
    expect([interval, timeout, startPeriod, String(retries)]).toEqual([m![1], m![2], m![3], m![4]]);
    expect(test).toEqual(['CMD', ...(JSON.parse(m![5]!) as string[])]);
  });

  it('balena.yml: an application for the 64-bit Pis whose variables are device config variables it accepts', () => {
    expect([balena.name, balena.type]).toEqual(['ame-device', 'sw.application']);
    expect(balena.data.supportedDeviceTypes).toContain(balena.data.defaultDeviceType);
    const variables = Object.assign({}, ...balena.data.applicationEnvironmentVariables) as Record<string, unknown>;
    expect(Object.keys(variables).filter((name) => !KEYS_BY_ENV.has(name))).toEqual([]);
    expect(Object.keys(variables)).toContain('AME_PAYOUT_ADDRESS');
    const env = Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, String(v)]));
    expect(openDeviceConfig({ env, bootDir: join(tmp, 'no-boot'), dataDir: join(tmp, 'data3') }).problems()).toEqual([]);
    for (const name of Object.keys(ame.environment)) expect(KEYS_BY_ENV.has(name) || name === 'AME_GENESIS', name).toBe(true);
  });
});
