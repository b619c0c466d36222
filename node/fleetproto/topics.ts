/**
 * MQTT topic names of the device–fleet contract (SPEC §9): everything about one device lives under
 * `ame/v1/devices/<deviceId>/`, where deviceId is the text of the device's node-key PeerId. Brokers enforce their
 * ACLs on these names, so a device id is accepted only in the one canonical text its key produces: no other
 * spelling of the same key (another multibase, a CID form) can address a device's topics past a prefix check.
 */
import { ed25519KeyFromPeerId, peerIdOf } from '../crypto/index.ts';
import { FleetProtoError } from './errors.ts';

export const TOPIC_ROOT = 'ame/v1/devices';

/** The topic kinds under a device's root, each the rest of the topic after `<deviceId>/`. */
export const DEVICE_TOPIC_KINDS = ['state', 'telemetry', 'events', 'cmd', 'cmd/result', 'desired', 'online'] as const;
export type DeviceTopicKind = (typeof DEVICE_TOPIC_KINDS)[number];

/** What a device publishes (under its own id only). */
export const DEVICE_PUBLISH_KINDS: readonly DeviceTopicKind[] = [
  'state',
  'telemetry',
  'events',
  'cmd/result',
  'online',
];
/** What a device subscribes to (its own only). */
export const DEVICE_SUBSCRIBE_KINDS: readonly DeviceTopicKind[] = ['cmd', 'desired'];
/** What only the fleet (a controller identity) publishes. */
export const FLEET_PUBLISH_KINDS: readonly DeviceTopicKind[] = ['cmd', 'desired'];

/** Every topic of one device, by kind. */
export interface DeviceTopics {
  readonly state: string;
  readonly telemetry: string;
  readonly events: string;
  readonly cmd: string;
  readonly cmdResult: string;
  readonly desired: string;
  readonly online: string;
}

/** Ed25519 PeerIds are 52 characters; anything much longer is refused before it reaches the multibase decoder. */
const MAX_DEVICE_ID_LENGTH = 64;
/** Base58btc: no MQTT separator or wildcard can appear in a valid id, so this cheap check runs first. */
const BASE58_TEXT = /^[1-9A-HJ-NP-Za-km-z]+$/;

const KINDS: ReadonlySet<string> = new Set(DEVICE_TOPIC_KINDS);

/** True only for the canonical PeerId text of an Ed25519 key. Never throws. */
export function isDeviceId(text: unknown): text is string {
  if (typeof text !== 'string' || text.length === 0 || text.length > MAX_DEVICE_ID_LENGTH) return false;
  if (!BASE58_TEXT.test(text)) return false;
  try {
    return peerIdOf(ed25519KeyFromPeerId(text)) === text;
  } catch {
    return false;
  }
}

/** Returns `text` if it is a device id; BAD_DEVICE_ID otherwise. */
export function assertDeviceId(text: unknown): string {
  if (!isDeviceId(text)) {
    const shown = typeof text === 'string' ? JSON.stringify(text.slice(0, MAX_DEVICE_ID_LENGTH)) : typeof text;
    throw new FleetProtoError('BAD_DEVICE_ID', `${shown} is not the PeerId of an Ed25519 node key`);
  }
  return text;
}

/** The root `ame/v1/devices/<deviceId>/` of a device's topics, with its trailing slash. */
export function deviceRoot(deviceId: string): string {
  return `${TOPIC_ROOT}/${assertDeviceId(deviceId)}/`;
}

export function deviceTopic(deviceId: string, kind: DeviceTopicKind): string {
  return deviceRoot(deviceId) + kind;
}

export function deviceTopics(deviceId: string): DeviceTopics {
  const root = deviceRoot(deviceId);
  return {
    state: `${root}state`,
    telemetry: `${root}telemetry`,
    events: `${root}events`,
    cmd: `${root}cmd`,
    cmdResult: `${root}cmd/result`,
    desired: `${root}desired`,
    online: `${root}online`,
  };
}

export interface ParsedDeviceTopic {
  readonly deviceId: string;
  readonly kind: DeviceTopicKind;
}

/** The device and kind a concrete topic names; BAD_TOPIC for anything else (wildcards included). Never crashes. */
export function parseDeviceTopic(topic: unknown): ParsedDeviceTopic {
  if (typeof topic !== 'string') throw new FleetProtoError('BAD_TOPIC', `expected a topic, got ${typeof topic}`);
  const prefix = `${TOPIC_ROOT}/`;
  const shown = JSON.stringify(topic.slice(0, 128));
  if (!topic.startsWith(prefix)) throw new FleetProtoError('BAD_TOPIC', `${shown} is not under ${prefix}`);
  const rest = topic.slice(prefix.length);
  const slash = rest.indexOf('/');
  const deviceId = slash < 0 ? rest : rest.slice(0, slash);
  const kind = slash < 0 ? '' : rest.slice(slash + 1);
  if (!isDeviceId(deviceId)) throw new FleetProtoError('BAD_TOPIC', `${shown} does not name a device id`);
  if (!KINDS.has(kind)) throw new FleetProtoError('BAD_TOPIC', `${shown}: unknown topic kind`);
  return { deviceId, kind: kind as DeviceTopicKind };
}
