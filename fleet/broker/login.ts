/**
 * The login check of the embedded broker (SPEC §9): username = the client's id (a device's PeerId, or a
 * controller's), password = a login token that id's enrolled key signed for this broker and that has not expired.
 * The MQTT client id must be the identity's own, so no client can take over another's session.
 */
import { peerIdOf } from '../../node/crypto/index.ts';
import { FleetProtoError, decodeLoginToken, verifyLoginToken } from '../../node/fleetproto/index.ts';
import type { ClientIdentity } from './acl.ts';
import { BrokerError } from './errors.ts';

/** Enrolled public keys by id; the fleet's registry supplies it. Undefined means not enrolled (or revoked). */
export interface KeyRegistry {
  publicKey(id: string): Uint8Array | undefined | Promise<Uint8Array | undefined>;
}

/**
 * Enrols a device at its first login (fleet/enrol): called only for an id that is not enrolled, after its login
 * token verified under the key it names and that key's PeerId is the username. Throws (a typed AmeError) to refuse.
 */
export type EnrolOnLogin = (request: {
  readonly deviceId: string;
  readonly publicKey: Uint8Array;
  readonly provisioningToken: string;
}) => Promise<unknown>;

/** Separates `<login token>.<provisioning token>`: a login token is base64url, so it never holds a dot. */
const DOT = 0x2e;

export interface LoginPolicy {
  readonly brokerId: string;
  readonly devices: KeyRegistry;
  readonly controllers: KeyRegistry | undefined;
  readonly now: () => number;
  readonly maxTokenLifetimeMs: number | undefined;
  readonly clockSkewMs: number | undefined;
  /** Enrolment at first login; without it a password carrying a provisioning token is only its login token. */
  readonly enrol?: EnrolOnLogin | undefined;
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
  const { username } = attempt;
  if (username === undefined || username === '' || attempt.password === undefined) {
    throw new BrokerError('UNKNOWN_CLIENT', 'no username or password');
  }
  const { password, provisioningToken } = splitPassword(attempt.password);
  let role: ClientIdentity['role'] = 'device';
  let key = await policy.devices.publicKey(username);
  if (key === undefined && policy.controllers !== undefined) {
    key = await policy.controllers.publicKey(username);
    if (key !== undefined) role = 'controller';
  }
  if (key === undefined && provisioningToken !== undefined && policy.enrol !== undefined) {
    return enrolAtLogin(policy, policy.enrol, attempt.clientId, username, password, provisioningToken);
  }
  if (key === undefined) throw new BrokerError('UNKNOWN_CLIENT', 'username is not enrolled');
  verifyUnder(policy, password, username, key);
  checkClientId(attempt.clientId, username, role);
  return { role, id: username };
}

/**
 * A first login: the token must verify under the key it names and that key must be the username's, which proves
 * the client holds the device's node key; then the enrolment decides on the provisioning token.
 */
async function enrolAtLogin(
  policy: LoginPolicy,
  enrol: EnrolOnLogin,
  clientId: string,
  username: string,
  password: Uint8Array,
  provisioningToken: string,
): Promise<ClientIdentity> {
  const claimed = decodeLoginToken(password).publicKey;
  verifyUnder(policy, password, username, claimed);
  if (peerIdOf(claimed) !== username) throw new FleetProtoError('WRONG_DEVICE', 'login token key is not the username');
  checkClientId(clientId, username, 'device');
  await enrol({ deviceId: username, publicKey: claimed, provisioningToken });
  return { role: 'device', id: username };
}

/** The login token rules of this broker, with `key` as the one the token must be signed by. */
function verifyUnder(policy: LoginPolicy, password: Uint8Array, username: string, key: Uint8Array): void {
  verifyLoginToken(password, {
    deviceId: username,
    brokerId: policy.brokerId,
    enrolledKey: key,
    now: policy.now(),
    ...(policy.maxTokenLifetimeMs === undefined ? {} : { maxLifetimeMs: policy.maxTokenLifetimeMs }),
    ...(policy.clockSkewMs === undefined ? {} : { clockSkewMs: policy.clockSkewMs }),
  });
}

function checkClientId(clientId: string, username: string, role: ClientIdentity['role']): void {
  const ownId = clientId === username || (role === 'controller' && clientId.startsWith(`${username}/`));
  if (!ownId) throw new BrokerError('BAD_CLIENT_ID', `client id must be the ${role}'s own id`);
}

/** `<login token>[.<provisioning token>]`: the login token's bytes, and the provisioning token's text if any. */
function splitPassword(password: Uint8Array): { password: Uint8Array; provisioningToken: string | undefined } {
  const dot = password.indexOf(DOT);
  if (dot < 0) return { password, provisioningToken: undefined };
  const rest = password.subarray(dot + 1);
  return {
    password: password.subarray(0, dot),
    provisioningToken: Buffer.from(rest.buffer, rest.byteOffset, rest.byteLength).toString('latin1'),
  };
}
