/**
 * The controller's delivery of Mosquitto passwords, over an in-memory stand-in for its MQTT connection: a device
 * online on the enrolment broker gets a signed command its own verifier accepts; one that comes back (confirmed or
 * not) gets a new password (the plugin's "already exists" turned into a rotation) under a higher sequence
 * number; devices not enrolled and garbage on the topics get nothing.
 */
import { EventEmitter } from 'node:events';
import type { MqttClient } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { createCredentialsDelivery } from '../../../../fleet/controller/credentials-delivery.ts';
import { DynsecError } from '../../../../fleet/dynsec/index.ts';
import { CommandVerifier, deviceTopics, encodeJson, MemorySequenceStore } from '../../../../node/fleetproto/index.ts';
import { identity, keyOf } from '../../../support/fleet-mqtt.ts';

class FakeClient extends EventEmitter {
  readonly published: { topic: string; payload: Buffer }[] = [];
  async subscribeAsync(): Promise<void> {}
  async publishAsync(topic: string, payload: Buffer): Promise<void> {
    this.published.push({ topic, payload });
  }
}

describe('credentials delivery', () => {
  it('sends a verifiable command when an enrolled device comes online, and a new password until it confirms', async () => {
    const client = new FakeClient();
    const key = keyOf('delivery command key');
    const device = identity('delivery device');
    const stranger = identity('delivery stranger');
    const clients = new Set<string>();
    let rotations = 0;
    let t = 1_000;
    const delivery = createCredentialsDelivery({
      client: client as unknown as MqttClient,
      logins: {
        async provision(ids) {
          if (clients.has(ids[0]!)) throw new DynsecError('REFUSED', `cannot provision: createClient ${ids[0]}: Client already exists`);
          clients.add(ids[0]!);
          return new Map([[ids[0]!, 'first-password']]);
        },
        async rotatePassword() {
          return `rotated-${++rotations}`;
        },
      },
      commandKey: key,
      deviceUrl: 'mqtt://mosquitto:1883',
      enrolled: (id) => id === device.id,
      now: () => t,
    });
    await delivery.start();
    const topics = deviceTopics(device.id);
    const emit = (topic: string, text: string | Uint8Array) => client.emit('message', topic, Buffer.from(text));
    emit(deviceTopics(stranger.id).online, 'true');
    emit('ame/v1/devices/not-an-id/online', 'true');
    emit(topics.online, 'false');
    emit(topics.online, 'junk');
    emit(topics.cmdResult, '{"kind":');
    await new Promise((r) => setImmediate(r));
    expect(client.published).toEqual([]);

    const verifier = new CommandVerifier({ deviceId: device.id, commandKey: key.publicKey, sequences: new MemorySequenceStore() });
    emit(topics.online, 'true');
    await new Promise((r) => setImmediate(r));
    expect(client.published.map((p) => p.topic)).toEqual([topics.cmd]);
    const first = await verifier.accept('cmd', new Uint8Array(client.published[0]!.payload));
    expect(first).toMatchObject({ name: 'mqtt-credentials', seq: 1_000, args: { url: 'mqtt://mosquitto:1883', username: device.id, password: 'first-password' } });

    // Back online without a confirmation (the clock stood still): a rotated password, a higher sequence number.
    emit(topics.online, 'true');
    await new Promise((r) => setImmediate(r));
    const second = await verifier.accept('cmd', new Uint8Array(client.published[1]!.payload));
    expect(second).toMatchObject({ seq: 1_001, args: { password: 'rotated-1' } });
    // A result for the older command confirms nothing; the one for the latest does.
    emit(topics.cmdResult, encodeJson({ kind: 'cmd', seq: 1_000, ok: true, msgId: 1, time: t }));
    expect(delivery.confirmed()).toEqual([]);
    emit(topics.cmdResult, encodeJson({ kind: 'cmd', seq: 1_001, ok: true, msgId: 2, time: t }));
    expect(delivery.confirmed()).toEqual([device.id]);
    // Back on the enrolment broker after confirming (Mosquitto refused its password): new credentials again.
    t += 5;
    emit(topics.online, 'true');
    await new Promise((r) => setImmediate(r));
    expect(await verifier.accept('cmd', new Uint8Array(client.published[2]!.payload))).toMatchObject({ seq: 1_005, args: { password: 'rotated-2' } });
    await delivery.stop();
  });
});
