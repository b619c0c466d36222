/**
 * The dynamic-security commands that give each device its own login and the ACLs of SPEC §9: a device may publish
 * only its own `state`, `telemetry`, `events`, `cmd/result` and `online`, and subscribe only to its own `cmd` and
 * `desired` — by literal filter (`subscribeLiteral`), so a wildcard is refused even where it would match only its
 * own topics, as on the embedded broker. The plugin's default access (set when the broker's dynsec file is made)
 * denies every publish and subscription no role allows.
 *
 * Each device has a role of its own rather than one shared role with `%c` patterns: the role names its topics
 * literally, which Mosquitto 2.0's plugin checks the same way in every version.
 */
import {
  DEVICE_PUBLISH_KINDS,
  DEVICE_SUBSCRIBE_KINDS,
  FLEET_PUBLISH_KINDS,
  TOPIC_ROOT,
  assertDeviceId,
  deviceTopic,
} from '../../node/fleetproto/index.ts';

export type DynsecAclType =
  | 'publishClientSend'
  | 'publishClientReceive'
  | 'subscribeLiteral'
  | 'subscribePattern'
  | 'unsubscribeLiteral'
  | 'unsubscribePattern';

export interface DynsecAcl {
  readonly acltype: DynsecAclType;
  readonly topic: string;
  readonly allow: boolean;
  readonly priority?: number;
}

/** One command of the plugin's API (`{ "command": "createClient", … }`). */
export interface DynsecCommand {
  readonly command: string;
  readonly [field: string]: unknown;
}

export const CONTROLLER_ROLE = 'ame-controller';

export function deviceRoleName(deviceId: string): string {
  return `ame-device-${assertDeviceId(deviceId)}`;
}

export function deviceAcls(deviceId: string): DynsecAcl[] {
  return [
    ...DEVICE_PUBLISH_KINDS.map((kind) => allow('publishClientSend', deviceTopic(deviceId, kind))),
    ...DEVICE_SUBSCRIBE_KINDS.map((kind) => allow('subscribeLiteral', deviceTopic(deviceId, kind))),
  ];
}

/** The role and the client of one device; the client must connect with its own id as client id. */
export function createDeviceCommands(deviceId: string, password: string): DynsecCommand[] {
  const rolename = deviceRoleName(deviceId);
  return [
    { command: 'createRole', rolename, acls: deviceAcls(deviceId) },
    { command: 'createClient', username: deviceId, clientid: deviceId, password, roles: [{ rolename }] },
  ];
}

export function deleteDeviceCommands(deviceId: string): DynsecCommand[] {
  return [
    { command: 'deleteClient', username: assertDeviceId(deviceId) },
    { command: 'deleteRole', rolename: deviceRoleName(deviceId) },
  ];
}

/** A controller publishes `cmd` and `desired` of any device and reads everything under the devices root. */
export function controllerAcls(): DynsecAcl[] {
  return [
    ...FLEET_PUBLISH_KINDS.map((kind) => allow('publishClientSend', `${TOPIC_ROOT}/+/${kind}`)),
    allow('subscribePattern', `${TOPIC_ROOT}/#`),
    allow('publishClientReceive', `${TOPIC_ROOT}/#`),
  ];
}

function allow(acltype: DynsecAclType, topic: string): DynsecAcl {
  return { acltype, topic, allow: true };
}
