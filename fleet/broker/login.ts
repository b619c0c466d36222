/**
 * The login check of the embedded broker (SPEC §9): username = the client's id (a device's PeerId, or a
 * controller's), password = a login token that id's enrolled key signed for this broker and that has not expired.
 * The MQTT client id must be the identity's own, so no client can take over another's session.
 */
import { verifyLoginToken } from '../../node/fleetproto/index.ts';
import type { ClientIdentity } from './acl.ts';
import { BrokerError } from './errors.ts';

/** Enrolled public keys by id; the fleet's registry supplies it. Undefined means not enrolled (or revoked). */
export interface KeyRegistry {
  publicKey(id: string): Uint8Array | undefined | Promise<Uint8Array | undefined>;
}

export interface LoginPolicy {
  readonly brokerId: string;
  readonly devices: KeyRegistry;
  readonly controllers: KeyRegistry | undefined;
  readonly now: () => number;
  readonly maxTokenLifetimeMs: number | undefined;
  readonly clockSkewMs: number | undefined;
}

export interface LoginAttempt {
  readonly clientId: string;
  readonly username: string | undefined;
  readonly password: Uint8Array | undefined;
}

/**
 * The identity an attempt logs in as. Throws BrokerError UNKNOWN_CLIENT or BAD_CLIENT_ID, or the FleetProtoError
 * of the token. Devices are looked up first: an id enrolled as both gets a device's narrower rights.
 */
export async function checkLogin(policy: LoginPolicy, attempt: LoginAttempt): Promise<ClientIdentity> {
  const { username, password } = attempt;
  if (username === undefined || username === '' || password === undefined) {
    throw new BrokerError('UNKNOWN_CLIENT', 'no username or password');
  }
  let role: ClientIdentity['role'] = 'device';
  let key = await policy.devices.publicKey(username);
  if (key === undefined && policy.controllers !== undefined) {
    role = 'controller';
    key = await policy.controllers.publicKey(username);
  }
  if (key === undefined) throw new BrokerError('UNKNOWN_CLIENT', 'username is not enrolled');
  verifyLoginToken(password, {
    deviceId: username,
    brokerId: policy.brokerId,
    enrolledKey: key,
    now: policy.now(),
    ...(policy.maxTokenLifetimeMs === undefined ? {} : { maxLifetimeMs: policy.maxTokenLifetimeMs }),
    ...(policy.clockSkewMs === undefined ? {} : { clockSkewMs: policy.clockSkewMs }),
  });
  const { clientId } = attempt;
  const ownId = clientId === username || (role === 'controller' && clientId.startsWith(`${username}/`));
  if (!ownId) throw new BrokerError('BAD_CLIENT_ID', `client id must be the ${role}'s own id`);
  return { role, id: username };
}
