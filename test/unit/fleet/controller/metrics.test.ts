import { describe, expect, it } from 'vitest';
import { labelValue, metricsText, type MetricsSource } from '../../../../fleet/controller/metrics.ts';

const source = (over: Partial<ReturnType<MetricsSource['devices']>> = {}): MetricsSource => ({
  devices: () => ({ online: 3, offline: 2, revoked: 1, versions: [{ version: null, devices: 1 }, { version: 'ame-1.0.0-x64.tar.gz', devices: 4 }], ...over }),
  releases: () => 2,
  rollouts: () => [{ status: 'running' }, { status: 'aborted' }, { status: 'running' }],
  watch: () => ({ received: 10, malformed: 1, unknown: 2, updates: 3 }),
});

describe('the controller metrics', () => {
  it('renders every family with HELP and TYPE, one sample per line, in the text format', () => {
    const text = metricsText(source());
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.trimEnd().split('\n');
    expect(lines).toContain('# TYPE ame_fleet_devices gauge');
    expect(lines).toContain('ame_fleet_devices{state="online"} 3');
    expect(lines).toContain('ame_fleet_devices{state="offline"} 2');
    expect(lines).toContain('ame_fleet_devices{state="revoked"} 1');
    expect(lines).toContain('ame_fleet_devices_by_version{version="none"} 1');
    expect(lines).toContain('ame_fleet_devices_by_version{version="ame-1.0.0-x64.tar.gz"} 4');
    expect(lines).toContain('ame_fleet_releases 2');
    expect(lines).toContain('ame_fleet_rollouts{status="aborted"} 1');
    expect(lines).toContain('ame_fleet_rollouts{status="running"} 2');
    expect(lines).toContain('# TYPE ame_fleet_device_messages_total counter');
    expect(lines).toContain('ame_fleet_device_messages_total{outcome="malformed"} 1');
    // Every sample line is `name{labels} number` or `name number`.
    for (const line of lines.filter((l) => !l.startsWith('#'))) expect(line).toMatch(/^[a-z_]+(\{[a-z]+="(?:[^"\\]|\\.)*"(,[a-z]+="(?:[^"\\]|\\.)*")*\})? \d+$/);
  });

  it('escapes what a device reports as its version, so no report can forge a line', () => {
    expect(labelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    const text = metricsText(source({ versions: [{ version: 'x"} 999\nevil_metric 1', devices: 1 }] }));
    expect(text).not.toMatch(/^evil_metric/m);
    expect(text).toContain('ame_fleet_devices_by_version{version="x\\"} 999\\nevil_metric 1"} 1');
  });
});
