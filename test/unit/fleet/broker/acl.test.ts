import { describe, expect, it } from 'vitest';
import { publishRefusal, subscribeRefusal, type ClientIdentity } from '../../../../fleet/broker/index.ts';
import { deviceTopics } from '../../../../node/fleetproto/index.ts';
import { identity } from '../../../support/fleet-mqtt.ts';

const a = identity('acl a');
const b = identity('acl b');
const device: ClientIdentity = { role: 'device', id: a.id };
const controller: ClientIdentity = { role: 'controller', id: identity('acl controller').id };
const own = deviceTopics(a.id);
const other = deviceTopics(b.id);

describe('broker ACLs', () => {
  it('let a device publish only its own reports', () => {
    for (const topic of [own.state, own.telemetry, own.events, own.cmdResult, own.online]) {
      expect(publishRefusal(device, topic), topic).toBeUndefined();
    }
    const refused = [own.cmd, own.desired, other.state, other.online, `${own.state}/x`, 'ame/v1/devices/x', '$SYS/a', ''];
    for (const topic of refused) {
      expect(publishRefusal(device, topic), topic).toBeDefined();
    }
  });

  it('let a device subscribe only to its own cmd and desired, by exact topic', () => {
    expect(subscribeRefusal(device, own.cmd)).toBeUndefined();
    expect(subscribeRefusal(device, own.desired)).toBeUndefined();
    const refused = [other.cmd, other.desired, own.state, own.cmdResult, `ame/v1/devices/${a.id}/+`, 'ame/v1/devices/+/cmd'];
    for (const filter of [...refused, '#']) {
      expect(subscribeRefusal(device, filter), filter).toBeDefined();
    }
  });

  it('let a controller publish cmd and desired to any device and read the devices root', () => {
    for (const topic of [own.cmd, own.desired, other.cmd]) expect(publishRefusal(controller, topic), topic).toBeUndefined();
    for (const topic of [own.state, own.online, own.cmdResult, 'ame/v1/devices/+/cmd', 'x']) {
      expect(publishRefusal(controller, topic), topic).toBeDefined();
    }
    expect(subscribeRefusal(controller, 'ame/v1/devices/#')).toBeUndefined();
    expect(subscribeRefusal(controller, 'ame/v1/devices/+/state')).toBeUndefined();
    expect(subscribeRefusal(controller, '#')).toBeDefined();
    expect(subscribeRefusal(controller, '$SYS/#')).toBeDefined();
  });
});
