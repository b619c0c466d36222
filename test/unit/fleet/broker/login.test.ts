/**
 * The login check with enrolment at first login, without a network: `<login token>.<provisioning token>` enrols
 * an unknown device only when its token verifies under its own key and that key is the username's; an enrolled
 * device's suffix is ignored; controllers never enrol; without the hook the suffix changes nothing.
 */
import { describe, expect, it } from 'vitest';
import { BrokerError, checkLogin, type LoginPolicy } from '../../../../fleet/broker/index.ts';
import { encodeToken, FleetProtoError, issueLoginToken } from '../../../../node/fleetproto/index.ts';
import { identity } from '../../../support/fleet-mqtt.ts';

const NOW = 1_800_000_000_000;
const dev = identity('unit login device');
const other = identity('unit login other');
const controller = identity('unit login controller');
const bytes = (text: string) => new TextEncoder().encode(text);
const token = (who = dev, brokerId = 'b') => issueLoginToken(who.key, { brokerId, now: NOW });

function policy(enrolled: Map<string, Uint8Array>, requests: unknown[], refuse?: Error): LoginPolicy {
  return {
    brokerId: 'b',
    devices: { publicKey: (id) => enrolled.get(id) },
    controllers: { publicKey: (id) => (id === controller.id ? controller.key.publicKey.bytes : undefined) },
    now: () => NOW,
    maxTokenLifetimeMs: undefined,
    clockSkewMs: undefined,
    enrol: async (request) => {
      requests.push(request);
      if (refuse !== undefined) throw refuse;
      enrolled.set(request.deviceId, request.publicKey);
    },
  };
}

const attempt = (password: string, who = dev, clientId = who.id) => ({ clientId, username: who.id, password: bytes(password) });

async function refusal(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof FleetProtoError || error instanceof BrokerError) return `${error.name}:${error.code}`;
    throw error;
  }
  return undefined;
}

describe('login with a provisioning token', () => {
  it('enrols an unknown device with the key its token proves, passing the provisioning token on', async () => {
    const enrolled = new Map<string, Uint8Array>();
    const requests: unknown[] = [];
    const identityOf = await checkLogin(policy(enrolled, requests), attempt(`${token()}.ampt1.x.y`));
    expect(identityOf).toEqual({ role: 'device', id: dev.id });
    expect(requests).toEqual([{ deviceId: dev.id, publicKey: dev.key.publicKey.bytes, provisioningToken: 'ampt1.x.y' }]);
    // Enrolled now: the suffix is ignored and the hook not called again.
    await checkLogin(policy(enrolled, requests), attempt(`${token()}.anything`));
    expect(requests).toHaveLength(1);
  });

  it('refuses before enrolling when the token is not the username’s own, stale, or for another broker', async () => {
    const requests: unknown[] = [];
    const p = policy(new Map(), requests);
    const forged = encodeToken(other.key, { device: dev.id, broker: 'b', time: NOW, expires: NOW + 60_000 });
    expect(await refusal(checkLogin(p, attempt(`${forged}.t`)))).toBe('FleetProtoError:WRONG_DEVICE');
    expect(await refusal(checkLogin(p, attempt(`${token(dev, 'other')}.t`)))).toBe('FleetProtoError:WRONG_BROKER');
    expect(await refusal(checkLogin(p, attempt(`${token(other)}.t`)))).toBe('FleetProtoError:WRONG_DEVICE');
    expect(await refusal(checkLogin(p, attempt(`not-a-token.t`)))).toBe('FleetProtoError:MALFORMED');
    expect(await refusal(checkLogin(p, attempt(`${token()}.t`, dev, other.id)))).toBe('BrokerError:BAD_CLIENT_ID');
    expect(requests).toEqual([]);
  });

  it('passes the enrolment’s refusal on, and without a hook or a suffix an unknown device stays unknown', async () => {
    const refused = Object.assign(new Error('no'), { code: 'TOKEN_USED_UP' });
    await expect(checkLogin(policy(new Map(), [], refused), attempt(`${token()}.t`))).rejects.toBe(refused);
    expect(await refusal(checkLogin(policy(new Map(), []), attempt(token())))).toBe('BrokerError:UNKNOWN_CLIENT');
    const noHook = { ...policy(new Map(), []), enrol: undefined };
    expect(await refusal(checkLogin(noHook, attempt(`${token()}.t`)))).toBe('BrokerError:UNKNOWN_CLIENT');
  });

  it('never enrols a controller, which logs in with its token alone', async () => {
    const requests: unknown[] = [];
    const p = policy(new Map(), requests);
    expect(await checkLogin(p, attempt(`${token(controller)}.t`, controller, `${controller.id}/x`))).toEqual({ role: 'controller', id: controller.id });
    expect(requests).toEqual([]);
  });
});
