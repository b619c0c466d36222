import { describe, expect, it } from 'vitest';
import { encodeBase58 } from '../../../../node/crypto/index.ts';
import {
  assertDeviceId,
  deviceTopic,
  deviceTopics,
  FleetProtoError,
  isDeviceId,
  parseDeviceTopic,
} from '../../../../node/fleetproto/index.ts';
import { codeOf } from '../../../support/error-code.ts';
import { deviceId, otherDeviceId } from './fixtures.ts';

describe('device topics', () => {
  it('lives under ame/v1/devices/<PeerId>/', () => {
    expect(deviceId).toMatch(/^12D3KooW/);
    const t = deviceTopics(deviceId);
    expect(t).toEqual({
      state: `ame/v1/devices/${deviceId}/state`,
      telemetry: `ame/v1/devices/${deviceId}/telemetry`,
      events: `ame/v1/devices/${deviceId}/events`,
      cmd: `ame/v1/devices/${deviceId}/cmd`,
      cmdResult: `ame/v1/devices/${deviceId}/cmd/result`,
      desired: `ame/v1/devices/${deviceId}/desired`,
      online: `ame/v1/devices/${deviceId}/online`,
    });
    expect(deviceTopic(otherDeviceId, 'cmd/result')).toBe(`ame/v1/devices/${otherDeviceId}/cmd/result`);
  });

  it('parses every topic it makes back to its device and kind', () => {
    for (const [key, topic] of Object.entries(deviceTopics(deviceId))) {
      const parsed = parseDeviceTopic(topic);
      expect(parsed.deviceId).toBe(deviceId);
      expect(parsed.kind).toBe(key === 'cmdResult' ? 'cmd/result' : key);
    }
  });

  it('accepts only the canonical PeerId text of an Ed25519 key as a device id', () => {
    expect(isDeviceId(deviceId)).toBe(true);
    expect(assertDeviceId(deviceId)).toBe(deviceId);
    const notIds = [
      '',
      '+',
      '#',
      'a/b',
      deviceId.slice(0, -1),
      `${deviceId}x`,
      deviceId.toLowerCase(),
      `z${deviceId}`, // a multibase-prefixed spelling of the same key
      'QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N', // a hash-only (non-Ed25519) PeerId
      encodeBase58(new Uint8Array(38)),
    ];
    for (const text of notIds) {
      expect(isDeviceId(text), text).toBe(false);
      expect(codeOf(() => assertDeviceId(text), FleetProtoError), text).toBe('BAD_DEVICE_ID');
    }
    expect(isDeviceId(42)).toBe(false);
    expect(() => deviceTopics('+')).toThrow(FleetProtoError);
  });

  it('refuses wildcards, other roots, unknown kinds and bad ids with BAD_TOPIC', () => {
    const bad = [
      `ame/v1/devices/+/state`,
      `ame/v1/devices/#`,
      `ame/v1/devices/${deviceId}`,
      `ame/v1/devices/${deviceId}/`,
      `ame/v1/devices/${deviceId}/cmd/#`,
      `ame/v1/devices/${deviceId}/secrets`,
      `ame/v1/devices/${deviceId}/state/extra`,
      `ame/v2/devices/${deviceId}/state`,
      `/ame/v1/devices/${deviceId}/state`,
      `$SYS/broker`,
    ];
    for (const topic of bad) expect(codeOf(() => parseDeviceTopic(topic), FleetProtoError), topic).toBe('BAD_TOPIC');
    expect(codeOf(() => parseDeviceTopic(undefined), FleetProtoError)).toBe('BAD_TOPIC');
  });
});
