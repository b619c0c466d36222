/**
 * Who may publish and subscribe where (SPEC §9). A device publishes only what it reports under its own id and
 * subscribes only to its own `cmd` and `desired`, by exact topic: a wildcard filter is refused even when it would
 * match only its own topics, because a filter is checked once while the topics it matches are not. A controller
 * publishes commands and desired state to any device and reads everything under the devices root.
 */
import {
  DEVICE_PUBLISH_KINDS,
  DEVICE_SUBSCRIBE_KINDS,
  deviceRoot,
  FLEET_PUBLISH_KINDS,
  parseDeviceTopic,
  TOPIC_ROOT,
  type DeviceTopicKind,
} from '../../node/fleetproto/index.ts';

export type ClientRole = 'device' | 'controller';

/** The identity a client logged in as; its id is the PeerId of the key that signed its login token. */
export interface ClientIdentity {
  readonly role: ClientRole;
  readonly id: string;
}

const devicePublish: ReadonlySet<string> = new Set(DEVICE_PUBLISH_KINDS);
const deviceSubscribe: ReadonlySet<string> = new Set(DEVICE_SUBSCRIBE_KINDS);
const fleetPublish: ReadonlySet<DeviceTopicKind> = new Set(FLEET_PUBLISH_KINDS);

/** Why `identity` may not publish to `topic`, or undefined when it may. */
export function publishRefusal(identity: ClientIdentity, topic: string): string | undefined {
  if (identity.role === 'device') {
    const root = deviceRoot(identity.id);
    if (!topic.startsWith(root)) return 'a device publishes only under its own id';
    if (!devicePublish.has(topic.slice(root.length))) return 'not a topic a device publishes';
    return undefined;
  }
  let kind: DeviceTopicKind;
  try {
    kind = parseDeviceTopic(topic).kind;
  } catch {
    return 'not a device topic';
  }
  return fleetPublish.has(kind) ? undefined : 'a controller publishes only cmd and desired';
}

/** Why `identity` may not subscribe to `filter`, or undefined when it may. */
export function subscribeRefusal(identity: ClientIdentity, filter: string): string | undefined {
  if (identity.role === 'device') {
    const root = deviceRoot(identity.id);
    if (filter.startsWith(root) && deviceSubscribe.has(filter.slice(root.length))) return undefined;
    return 'a device subscribes only to its own cmd and desired';
  }
  return filter.startsWith(`${TOPIC_ROOT}/`) ? undefined : 'a controller subscribes only under the devices root';
}
