import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  buildConfig,
  CONFIG_KEYS,
  DeviceError,
  envNameOf,
  halOptionsOf,
  openDeviceConfig,
  parseConfigEnv,
  parseConfigObject,
  redactedConfig,
} from '../../../device/index.ts';
import { Wallet } from '../../../node/crypto/index.ts';
import { makeDeviceDirs, writeJsonFile, type DeviceDirs } from '../../support/device-rig.ts';

const dirsToRemove: DeviceDirs[] = [];
afterEach(() => {
  for (const d of dirsToRemove.splice(0)) d.remove();
});
function dirs(): DeviceDirs {
  const d = makeDeviceDirs();
  dirsToRemove.push(d);
  mkdirSync(d.dataDir);
  return d;
}

/** The DeviceError a call throws (any other throw fails the test). */
function refusal(fn: () => unknown): DeviceError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DeviceError) return error;
    throw error;
  }
  throw new Error('expected a DeviceError, nothing was thrown');
}

describe('config keys', () => {
  it('derive their variables from their paths, all distinct', () => {
    expect(envNameOf('dashboard.port')).toBe('AME_DASHBOARD_PORT');
    expect(envNameOf('hal.pins.statusLeds')).toBe('AME_HAL_PINS_STATUS_LEDS');
    expect(envNameOf('thresholds.maxTemperatureC')).toBe('AME_THRESHOLDS_MAX_TEMPERATURE_C');
    expect(new Set(CONFIG_KEYS.map((k) => k.env)).size).toBe(CONFIG_KEYS.length);
  });

  it('every default passes its own parser (as JSON)', () => {
    for (const k of CONFIG_KEYS) expect(k.parser.json(k.default), k.path).toEqual(k.default);
  });

  it('docs/device.md lists every variable and its default', () => {
    const doc = readFileSync(new URL('../../../docs/device.md', import.meta.url), 'utf8');
    for (const k of CONFIG_KEYS) {
      const row = doc.split('\n').find((line) => line.includes(`\`${k.env}\``));
      expect(row, k.env).toBeDefined();
      expect(row, k.env).toContain(`\`${k.path}\``);
      expect(row, k.env).toContain(JSON.stringify(k.default));
    }
  });
});

describe('parsing a layer', () => {
  it('an environment variable that is not an integer is refused naming the variable', () => {
    const error = refusal(() => parseConfigEnv({ AME_DASHBOARD_PORT: 'abc' }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.field).toBe('AME_DASHBOARD_PORT');
    expect(error.message).toBe('AME_DASHBOARD_PORT: expected an integer 0..65535, got "abc" (in the environment)');
  });

  it('parses every kind of variable; empty ones are unset; foreign AME_* variables are listed', () => {
    const address = Wallet.generate('ecdsa').account.address;
    const { patch, ignored } = parseConfigEnv({
      AME_DASHBOARD_PORT: ' 8443 ',
      AME_PAYOUT_ADDRESS: address,
      AME_NETWORK_LISTEN: '/ip4/0.0.0.0/tcp/4001, /ip6/::/tcp/4001',
      AME_HAL_PINS_STATUS_LEDS: 'gpio:17,gpio:22:active-low,led:ACT/led0',
      AME_HAL_PINS_BUTTON: '5:active-high',
      AME_HAL_PINS_UART: 'none',
      AME_THRESHOLDS_MAX_TEMPERATURE_C: '72.5',
      AME_MQTT_URL: '',
      AME_WALLET_PASSWORD: 'not ours',
      PATH: '/bin',
    });
    expect(Object.fromEntries(patch)).toEqual({
      'dashboard.port': 8443,
      payoutAddress: address,
      'network.listen': ['/ip4/0.0.0.0/tcp/4001', '/ip6/::/tcp/4001'],
      'hal.pins.statusLeds': [
        { kind: 'gpio', line: 17, activeLow: false },
        { kind: 'gpio', line: 22, activeLow: true },
        { kind: 'sysfs-led', names: ['ACT', 'led0'] },
      ],
      'hal.pins.button': { line: 5, activeLow: false },
      'hal.pins.uart': 'none',
      'thresholds.maxTemperatureC': 72.5,
    });
    expect(ignored).toEqual(['AME_WALLET_PASSWORD']);
  });

  it('a JSON document is refused naming the first bad field, an unknown key, or a location key', () => {
    expect(refusal(() => parseConfigObject({ dashboard: { port: '8080' } }, 'config.json')).message).toBe(
      'dashboard.port: expected an integer 0..65535, got "8080" (in config.json)',
    );
    const unknown = refusal(() => parseConfigObject({ dashbord: { port: 1 } }, 'config.json'));
    expect(unknown.field).toBe('dashbord');
    expect(unknown.message).toContain('unknown key');
    expect(refusal(() => parseConfigObject({ hal: { pins: { buton: 3 } } }, 'x')).field).toBe('hal.pins.buton');
    expect(refusal(() => parseConfigObject({ dataDir: '/elsewhere' }, 'x')).message).toContain('set only by AME_DATA_DIR');
    expect(refusal(() => parseConfigObject([1], 'the desired state')).field).toBe('the desired state');
    expect(refusal(() => parseConfigObject({ network: { bootstrap: ['/ip4/1.2.3.4/tcp/1'] } }, 'x')).message).toContain('no /p2p/');
    expect(refusal(() => parseConfigObject({ payoutAddress: 'A1234' }, 'x')).field).toBe('payoutAddress');
  });

  it('never echoes a secret', () => {
    const error = refusal(() => parseConfigObject({ dashboard: { password: 'short' } }, 'x'));
    expect(error.field).toBe('dashboard.password');
    expect(error.message).not.toContain('short');
    expect(error.message).toContain('a 5-character string');
    const env = refusal(() => parseConfigEnv({ AME_MQTT_PROVISIONING_TOKEN: 'bad token with spaces' }));
    expect(env.message).not.toContain('spaces');
    const config = buildConfig([new Map([['dashboard.password', 'correct horse']])]);
    expect(JSON.stringify(redactedConfig(config))).not.toContain('horse');
  });
});

describe('config layers: defaults < first-boot file < config file < environment < desired state', () => {
  it('each layer overrides the one below it', () => {
    const d = dirs();
    let env: Record<string, string> = {};
    const store = () => openDeviceConfig({ env, dataDir: d.dataDir, bootDir: d.bootDir });
    expect(store().current().dashboard.port).toBe(8080);
    writeJsonFile(join(d.bootDir, 'ame.json'), { dashboard: { port: 1001 }, mqtt: { url: 'mqtt://fleet.local' } });
    expect(store().current().dashboard.port).toBe(1001);
    writeJsonFile(d.layout.configFile, { dashboard: { port: 1002 } });
    expect(store().current().dashboard.port).toBe(1002);
    env = { AME_DASHBOARD_PORT: '1003' };
    const s = store();
    expect(s.current().dashboard.port).toBe(1003);
    const applied = s.applyDesired({ dashboard: { port: 1004 } });
    expect(applied).toMatchObject({ ok: true, changed: ['dashboard.port'], restartRequired: ['dashboard.port'] });
    expect(s.current().dashboard.port).toBe(1004);
    // The lower layers still count for keys the upper ones leave alone.
    expect(s.current().mqtt.url).toBe('mqtt://fleet.local');
    expect(s.current().dataDir).toBe(d.dataDir);
  });

  it('a refused desired state or file changes nothing while running', () => {
    const d = dirs();
    writeJsonFile(d.layout.configFile, { thresholds: { minFreeBytes: 5 } });
    const s = openDeviceConfig({ env: {}, dataDir: d.dataDir, bootDir: d.bootDir });
    const before = s.current();
    const bad = s.applyDesired({ thresholds: { minFreeBytes: 7, healthIntervalMs: 'soon' } });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error.field).toBe('thresholds.healthIntervalMs');
    expect(s.current()).toBe(before);
    writeFileSync(d.layout.configFile, '{ "thresholds": ');
    const unreadable = s.reload();
    expect(!unreadable.ok && unreadable.error.code).toBe('CONFIG_UNREADABLE');
    expect(!unreadable.ok && unreadable.error.field).toBe(d.layout.configFile);
    expect(s.current()).toBe(before);
    expect(s.problems().map((p) => p.layer)).toEqual(['file']);
    writeJsonFile(d.layout.configFile, { thresholds: { minFreeBytes: 9 } });
    expect(s.reload()).toMatchObject({ ok: true, changed: ['thresholds.minFreeBytes'], restartRequired: [] });
    expect(s.current().thresholds.minFreeBytes).toBe(9);
    expect(s.problems()).toEqual([]);
  });

  it('at start, a refused layer means the last good config runs as it was', () => {
    const d = dirs();
    const first = openDeviceConfig({ env: { AME_MQTT_URL: 'mqtt://fleet.local', AME_DASHBOARD_PORT: '9000' }, dataDir: d.dataDir, bootDir: d.bootDir });
    first.persist();
    expect(existsSync(first.files.lastGood)).toBe(true);
    expect(statSync(first.files.lastGood).mode & 0o777).toBe(0o600);

    // The next start gets a bad variable next to a changed good one: neither applies.
    const second = openDeviceConfig({ env: { AME_MQTT_URL: 'mqtt://other.local', AME_DASHBOARD_PORT: 'abc' }, dataDir: d.dataDir, bootDir: d.bootDir });
    expect(second.basis()).toBe('last-good');
    expect(second.current().mqtt.url).toBe('mqtt://fleet.local');
    expect(second.current().dashboard.port).toBe(9000);
    expect(second.problems().map((p) => p.error.message)).toEqual(['AME_DASHBOARD_PORT: expected an integer 0..65535, got "abc" (in the environment)']);
    // Nothing is persisted from a config some layer refused.
    second.persist();
    expect(JSON.parse(readFileSync(second.files.lastGood, 'utf8')).mqtt.url).toBe('mqtt://fleet.local');
  });

  it('on a first boot with a refused layer the valid layers apply', () => {
    const d = dirs();
    writeJsonFile(join(d.bootDir, 'ame.json'), { network: { name: 'testnet' } });
    const s = openDeviceConfig({ env: { AME_HAL_LED: 'blinky' }, dataDir: d.dataDir, bootDir: d.bootDir });
    expect(s.basis()).toBe('layers');
    expect(s.current().network.name).toBe('testnet');
    expect(s.current().hal.led).toBe('auto');
    expect(s.problems()[0]?.error.field).toBe('AME_HAL_LED');
  });

  it('the desired state is stored and applies at the next start; reset() forgets it', () => {
    const d = dirs();
    const s = openDeviceConfig({ env: {}, dataDir: d.dataDir, bootDir: d.bootDir });
    expect(s.applyDesired({ thresholds: { maxTemperatureC: 70 } }).ok).toBe(true);
    const again = openDeviceConfig({ env: {}, dataDir: d.dataDir, bootDir: d.bootDir });
    expect(again.current().thresholds.maxTemperatureC).toBe(70);
    again.reset();
    expect(again.current().thresholds.maxTemperatureC).toBe(80);
    expect(existsSync(again.files.desired)).toBe(false);
  });

  it('a bad data dir cannot be worked around: opening throws', () => {
    const error = refusal(() => openDeviceConfig({ env: { AME_DATA_DIR: 'relative/path' } }));
    expect(error.field).toBe('AME_DATA_DIR');
  });

  it('an unreadable file is CONFIG_UNREADABLE naming the file', () => {
    const d = dirs();
    mkdirSync(d.layout.configFile);
    const s = openDeviceConfig({ env: {}, dataDir: d.dataDir, bootDir: d.bootDir });
    expect(s.problems()[0]).toMatchObject({ layer: 'file', error: { code: 'CONFIG_UNREADABLE', field: d.layout.configFile } });
  });
});

describe('halOptionsOf', () => {
  it('maps board/none sentinels onto hal pin overrides', () => {
    const config = buildConfig([
      new Map<string, unknown>([
        ['dataDir', '/srv/ame'],
        ['hal.led', 'sim'],
        ['hal.pins.button', 'none'],
        ['hal.pins.uart', '/dev/ttyAMA0'],
      ]),
    ]);
    expect(halOptionsOf(config)).toEqual({
      root: '/',
      board: 'auto',
      led: 'sim',
      button: 'auto',
      console: 'auto',
      watchdog: 'auto',
      sysinfo: 'linux',
      baudRate: 115_200,
      pins: { button: null, uart: '/dev/ttyAMA0' },
      dataPath: '/srv/ame',
    });
  });
});
