/**
 * The dynamic-security ACLs of a device name exactly the topics of SPEC §9 under its own id — the five it
 * publishes, the two it subscribes to by literal filter — and the controller's role publishes only cmd and desired.
 */
import { describe, expect, it } from 'vitest';
import {
  controllerAcls,
  createDeviceCommands,
  deleteDeviceCommands,
  deviceAcls,
  deviceRoleName,
} from '../../../../fleet/dynsec/index.ts';
import { deviceTopics, FleetProtoError } from '../../../../node/fleetproto/index.ts';
import { identity } from '../../../support/fleet-mqtt.ts';

const dev = identity('unit dynsec acl').id;
const t = deviceTopics(dev);

describe('dynamic-security ACLs', () => {
  it('let a device publish its own reports and subscribe to its own cmd and desired, nothing else', () => {
    const acls = deviceAcls(dev);
    expect(acls.every((a) => a.allow)).toBe(true);
    const publish = acls.filter((a) => a.acltype === 'publishClientSend').map((a) => a.topic);
    const subscribe = acls.filter((a) => a.acltype === 'subscribeLiteral').map((a) => a.topic);
    expect(publish.sort()).toEqual([t.state, t.telemetry, t.events, t.cmdResult, t.online].sort());
    expect(subscribe.sort()).toEqual([t.cmd, t.desired].sort());
    expect(acls).toHaveLength(7);
  });

  it('make a role and a client bound to the device’s own client id, and delete both', () => {
    const [role, client] = createDeviceCommands(dev, 'pw');
    expect(role).toMatchObject({ command: 'createRole', rolename: deviceRoleName(dev), acls: deviceAcls(dev) });
    expect(client).toEqual({ command: 'createClient', username: dev, clientid: dev, password: 'pw', roles: [{ rolename: deviceRoleName(dev) }] });
    expect(deleteDeviceCommands(dev).map((c) => c.command)).toEqual(['deleteClient', 'deleteRole']);
  });

  it('refuse ids that are not device ids, so no wildcard or separator reaches an ACL', () => {
    for (const bad of ['+', '#', 'a/b', '', `${dev}/x`]) expect(() => deviceAcls(bad), bad).toThrow(FleetProtoError);
    expect(() => deviceRoleName('x')).toThrow(FleetProtoError);
  });

  it('let the controller publish only cmd and desired, and read the devices root', () => {
    const acls = controllerAcls();
    const publish = acls.filter((a) => a.acltype === 'publishClientSend').map((a) => a.topic);
    expect(publish.sort()).toEqual(['ame/v1/devices/+/cmd', 'ame/v1/devices/+/desired']);
    expect(acls.filter((a) => a.acltype !== 'publishClientSend').every((a) => a.topic === 'ame/v1/devices/#')).toBe(true);
  });
});
