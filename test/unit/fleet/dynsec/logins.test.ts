/**
 * Per-device logins over a fake admin client (the real plugin is in the integration test): batches never split a
 * device's commands and never exceed the batch size, passwords are random per device and never logged, refusals
 * are gathered into one REFUSED naming the commands, revoking disables the client.
 */
import { describe, expect, it } from 'vitest';
import { createDynsecLogins, DynsecError, type DynsecAdmin, type DynsecCommand, type DynsecResponse } from '../../../../fleet/dynsec/index.ts';
import { sha256, utf8 } from '../../../../node/crypto/index.ts';
import { CapturedLog } from '../../../support/fleet-devices.ts';
import { identity } from '../../../support/fleet-mqtt.ts';

function fakeAdmin(refuse: (c: DynsecCommand) => string | undefined = () => undefined) {
  const messages: DynsecCommand[][] = [];
  const admin: DynsecAdmin = {
    start: async () => undefined,
    stop: async () => undefined,
    execute: async (commands) => {
      messages.push([...commands]);
      return commands.map((c): DynsecResponse => {
        const error = refuse(c);
        return error === undefined ? { command: c.command } : { command: c.command, error };
      });
    },
  };
  return { admin, messages };
}

function seeded() {
  let n = 0;
  return (length: number) => sha256(utf8(`pw ${n++}`)).slice(0, length);
}

const ids = Array.from({ length: 7 }, (_, i) => identity(`unit dynsec ${i}`).id);

describe('dynamic-security logins', () => {
  it('provision in batches that keep each device’s role and client together', async () => {
    const { admin, messages } = fakeAdmin();
    const log = new CapturedLog();
    const logins = createDynsecLogins({ admin, random: seeded(), batchSize: 5, logger: log });
    const passwords = await logins.provision(ids);
    expect([...passwords.keys()]).toEqual(ids);
    expect(new Set(passwords.values()).size).toBe(ids.length);
    expect(messages.map((m) => m.length)).toEqual([4, 4, 4, 2]);
    for (const message of messages) {
      for (let i = 0; i < message.length; i += 2) {
        expect(message[i]).toMatchObject({ command: 'createRole' });
        expect(message[i + 1]).toMatchObject({ command: 'createClient', username: message[i + 1]!['clientid'] });
      }
    }
    const created = messages.flat().filter((c) => c.command === 'createClient');
    expect(created.map((c) => c['password'])).toEqual([...passwords.values()]);
    for (const password of passwords.values()) expect(log.containing(password)).toEqual([]);
  });

  it('gather the plugin’s refusals into one REFUSED naming them, without passwords', async () => {
    const { admin } = fakeAdmin((c) => (c.command === 'createClient' && c['username'] === ids[3] ? 'Client already exists' : undefined));
    const logins = createDynsecLogins({ admin, random: seeded(), batchSize: 4 });
    const error = await logins.provision(ids).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DynsecError);
    expect((error as DynsecError).code).toBe('REFUSED');
    expect((error as DynsecError).message).toContain(`createClient ${ids[3]}: Client already exists`);
  });

  it('revoke by disabling the client; refuse bad ids and batch sizes before sending anything', async () => {
    const { admin, messages } = fakeAdmin();
    const logins = createDynsecLogins({ admin, random: seeded() });
    await logins.revoke(ids[0]!);
    await logins.enable(ids[0]!);
    await logins.remove(ids[0]!);
    expect(messages.flat().map((c) => c.command)).toEqual(['disableClient', 'enableClient', 'deleteClient', 'deleteRole']);
    await expect(logins.disable('a/+')).rejects.toMatchObject({ code: 'BAD_OPTIONS' });
    await expect(logins.addController('', 'x')).rejects.toMatchObject({ code: 'BAD_OPTIONS' });
    expect(() => createDynsecLogins({ admin, random: seeded(), batchSize: 1 })).toThrow(DynsecError);
    expect(messages).toHaveLength(3);
  });
});
