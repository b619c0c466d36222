import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HalError } from '../../../../hal/errors.ts';
import { createLinuxSystemInfo } from '../../../../hal/linux/sysinfo.ts';
import * as parse from '../../../../hal/linux/sysinfo-parse.ts';
import { type FakeRoot, fakeRoots } from '../fake-root.ts';

const root = fakeRoots();

const MEMINFO = 'MemTotal:        3884332 kB\nMemFree:          180124 kB\nMemAvailable:    2912340 kB\nBuffers:           71200 kB\n';
const STAT = (user: number, idle: number) =>
  `cpu  ${user} 0 100 ${idle} 0 0 0 0 0 0\ncpu0 1 0 1 1 0 0 0 0 0 0\ncpu1 1 0 1 1 0 0 0 0 0 0\ncpu2 1 0 1 1 0 0 0 0 0 0\ncpu3 1 0 1 1 0 0 0 0 0 0\nintr 1 2 3\n`;
const NETDEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:    1000      10    0    0    0     0          0         0     1000      10    0    0    0     0       0          0
  eth0: 123456789  1000    0    0    0     0          0         0 98765432    900    0    0    0     0       0          0
 wlan0:       0       0    0    0    0     0          0         0        0      0    0    0    0     0       0          0
`;

/** A Raspberry Pi 4 as its /proc and /sys show it. */
function piTree(): FakeRoot {
  return root()
    .file('/sys/firmware/devicetree/base/model', 'Raspberry Pi 4 Model B Rev 1.4\0')
    .file('/sys/firmware/devicetree/base/serial-number', '10000000abcdef01\0')
    .file('/proc/meminfo', MEMINFO)
    .file('/proc/loadavg', '0.52 0.58 0.59 1/467 12345\n')
    .file('/proc/uptime', '86400.25 300000.00\n')
    .file('/proc/stat', STAT(1000, 9000))
    .file('/proc/net/dev', NETDEV)
    .file('/sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq', '1800000\n')
    .file('/sys/class/thermal/thermal_zone0/type', 'cpu-thermal\n')
    .file('/sys/class/thermal/thermal_zone0/temp', '48686\n')
    .file('/sys/block/mmcblk0/device/life_time', '0x02 0x03\n')
    .file('/sys/block/mmcblk0/device/pre_eol_info', '0x01\n')
    .dir_('/data');
}

describe('linux system information from a fake /proc and /sys', () => {
  it('reads every field of a Pi 4 tree', async () => {
    const r = piTree();
    const info = await createLinuxSystemInfo({ root: r.dir, dataPath: '/data' }).read();
    expect(info).toMatchObject({
      model: 'Raspberry Pi 4 Model B Rev 1.4',
      serial: '10000000abcdef01',
      cpu: { cores: 4, usagePercent: null, loadAverage: [0.52, 0.58, 0.59], frequencyMHz: 1800 },
      memory: { totalBytes: 3884332 * 1024, availableBytes: 2912340 * 1024 },
      temperatureC: 48.686,
      diskWear: { device: 'mmcblk0', lifeUsedPercent: 30, preEol: 'normal' },
      uptimeSeconds: 86400.25,
      network: [
        { name: 'eth0', rxBytes: 123456789, txBytes: 98765432 },
        { name: 'wlan0', rxBytes: 0, txBytes: 0 },
      ],
      problems: [],
    });
    expect(info.disk?.path).toBe('/data');
    expect(info.disk!.totalBytes).toBeGreaterThan(0);
  });

  it('CPU usage is the busy share between two reads', async () => {
    const r = piTree();
    const sysinfo = createLinuxSystemInfo({ root: r.dir });
    await sysinfo.read();
    // 300 more busy jiffies and 700 more idle ones: 30 % busy.
    r.file('/proc/stat', STAT(1300, 9700));
    expect((await sysinfo.read()).cpu.usagePercent).toBe(30);
  });

  it('an empty root (a container without /proc) gives nulls and no problems, not a crash', async () => {
    const info = await createLinuxSystemInfo({ root: root().dir, dataPath: '/missing' }).read();
    expect(info).toEqual({
      model: null,
      serial: null,
      cpu: { cores: null, usagePercent: null, loadAverage: null, frequencyMHz: null },
      memory: null,
      temperatureC: null,
      disk: null,
      diskWear: null,
      uptimeSeconds: null,
      network: null,
      problems: [],
    });
  });

  it('malformed files null their own field only, and are listed as SYSINFO_MALFORMED with the path', async () => {
    const r = piTree()
      .file('/proc/meminfo', 'garbage\n')
      .file('/proc/loadavg', 'a b c\n')
      .file('/proc/uptime', '-5\n')
      .file('/sys/class/thermal/thermal_zone0/temp', '999999999\n') // 1,000,000 °C: a broken sensor
      .file('/proc/net/dev', 'nonsense')
      .file('/sys/firmware/devicetree/base/model', '\0\0');
    const info = await createLinuxSystemInfo({ root: r.dir }).read();
    expect(info.memory).toBeNull();
    expect(info.cpu.loadAverage).toBeNull();
    expect(info.uptimeSeconds).toBeNull();
    expect(info.temperatureC).toBeNull();
    expect(info.network).toBeNull();
    expect(info.model).toBeNull();
    expect(info.serial).toBe('10000000abcdef01'); // untouched fields still read
    expect(info.cpu.cores).toBe(4);
    const paths = info.problems.map((p) => p.path.slice(r.dir.length));
    expect(paths.sort()).toEqual(
      ['/proc/loadavg', '/proc/meminfo', '/proc/net/dev', '/proc/uptime', '/sys/class/thermal/thermal_zone0/temp', '/sys/firmware/devicetree/base/model'].sort(),
    );
    expect(new Set(info.problems.map((p) => p.code))).toEqual(new Set(['SYSINFO_MALFORMED']));
  });

  it('an unreadable file is SYSINFO_UNREADABLE (a directory where a file should be)', async () => {
    // EACCES cannot be produced here (tests run as root, which reads a mode-000 file), so EISDIR stands in.
    const r2 = root().dir_('/proc/meminfo'); // EISDIR
    const info = await createLinuxSystemInfo({ root: r2.dir }).read();
    expect(info.memory).toBeNull();
    expect(info.problems).toMatchObject([{ code: 'SYSINFO_UNREADABLE', path: r2.path('/proc/meminfo') }]);
  });

  it('prefers the CPU thermal zone and falls back to the DMI product name for the model', async () => {
    const r = root()
      .file('/sys/class/thermal/thermal_zone0/type', 'acpitz\n')
      .file('/sys/class/thermal/thermal_zone0/temp', '30000\n')
      .file('/sys/class/thermal/thermal_zone1/type', 'x86_pkg_temp\n')
      .file('/sys/class/thermal/thermal_zone1/temp', '55000\n')
      .file('/sys/class/dmi/id/product_name', 'OptiPlex 7070\n')
      .file('/proc/cpuinfo', 'processor\t: 0\nSerial\t\t: 00000000DEADBEEF\n');
    const info = await createLinuxSystemInfo({ root: r.dir }).read();
    expect(info.temperatureC).toBe(55);
    expect(info.model).toBe('OptiPlex 7070');
    expect(info.serial).toBe('00000000deadbeef');
  });
});

describe('sysinfo parsers', () => {
  it('parse the kernel formats', () => {
    expect(parse.parseMeminfo('MemTotal: 100 kB\nMemFree: 10 kB\nBuffers: 5 kB\nCached: 20 kB\n')).toEqual({ totalBytes: 102400, availableBytes: 35 * 1024 });
    expect(parse.parseLifeTime('0x0B 0x01')).toBe(110);
    expect(parse.parsePreEol('0x03')).toBe('urgent');
    expect(parse.parsePreEol('0x00')).toBeNull();
    expect(parse.parseMilliCelsius('-5000')).toBe(-5);
    expect(parse.cpuUsagePercent({ cores: 1, total: 100, idle: 50 }, { cores: 1, total: 100, idle: 50 })).toBeNull();
  });

  it('property: on any input every parser returns or throws HalError SYSINFO_MALFORMED — nothing else', () => {
    const parsers: ((t: string) => unknown)[] = [
      parse.parseMeminfo,
      parse.parseLoadavg,
      parse.parseUptime,
      parse.parseProcStat,
      (t) => parse.parseDtString(t, 'model'),
      parse.parseCpuinfoSerial,
      parse.parseMilliCelsius,
      parse.parseKhzAsMHz,
      parse.parseNetDev,
      parse.parseLifeTime,
      parse.parsePreEol,
    ];
    const text = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.string({ unit: fc.constantFrom('0', '1', '9', ' ', '\n', ':', 'x', '-', '.', 'kB', 'cpu', '|', 'MemTotal', '\0'), maxLength: 60 }),
    );
    fc.assert(
      fc.property(text, (t) => {
        for (const p of parsers) {
          try {
            p(t);
          } catch (error) {
            expect(error).toBeInstanceOf(HalError);
            expect((error as HalError).code).toBe('SYSINFO_MALFORMED');
          }
        }
      }),
      { numRuns: 3000 },
    );
  });
});
