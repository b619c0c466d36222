/**
 * Revocation (SPEC §10): revoking a device removes its login at once. The store marks it revoked first, so no new
 * login passes from then on; then every login backend drops what is live — the embedded broker disconnects the
 * client, Mosquitto's dynamic-security plugin disables it (which also kicks it). A backend that fails leaves the
 * device revoked in the store and is reported as REVOKE_INCOMPLETE; revoking again retries it.
 */
import type { FleetBroker } from '../broker/index.ts';
import { EnrolError } from './errors.ts';
import type { EnrolLogger } from './enrolment.ts';
import type { EnrolmentStore } from './store.ts';

/** Where a device's login lives besides the store: a broker that must drop it. */
export interface LoginBackend {
  readonly name: string;
  revoke(deviceId: string): void | Promise<void>;
}

export interface Revoker {
  /** Revokes `deviceId` everywhere; UNKNOWN_DEVICE if it was never enrolled. Idempotent. */
  revoke(deviceId: string): Promise<void>;
}

export interface RevokerOptions {
  readonly store: Pick<EnrolmentStore, 'revoke'>;
  readonly logins: readonly LoginBackend[];
  readonly clock: { now(): number };
  readonly logger?: EnrolLogger;
}

export function createRevoker(options: RevokerOptions): Revoker {
  return {
    async revoke(deviceId: string): Promise<void> {
      let known: boolean;
      try {
        known = await options.store.revoke(deviceId, options.clock.now());
      } catch (cause) {
        throw new EnrolError('STORE_FAILED', 'the enrolment store could not revoke the device', { cause });
      }
      if (!known) throw new EnrolError('UNKNOWN_DEVICE', `${deviceId.slice(0, 64)} was never enrolled`);
      const failed: string[] = [];
      let firstCause: unknown;
      for (const backend of options.logins) {
        try {
          await backend.revoke(deviceId);
        } catch (cause) {
          failed.push(backend.name);
          firstCause ??= cause;
        }
      }
      if (failed.length > 0) {
        options.logger?.warn({ device: deviceId, failed }, 'device revoked, but a broker did not drop its login');
        throw new EnrolError('REVOKE_INCOMPLETE', `revoked, but not dropped by ${failed.join(', ')}`, {
          cause: firstCause,
        });
      }
      options.logger?.info({ device: deviceId }, 'device revoked');
    },
  };
}

/** The embedded broker as a login backend: the store no longer returns the key, so dropping the client is all. */
export function embeddedBrokerLogins(broker: Pick<FleetBroker, 'disconnect'>): LoginBackend {
  return { name: 'embedded broker', revoke: (deviceId) => void broker.disconnect(deviceId) };
}
