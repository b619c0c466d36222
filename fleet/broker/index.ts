/** fleet/broker: the fleet's embedded MQTT broker with token logins and per-device ACLs (SPEC §9, §10). */
export { BROKER_ERROR_CODES, BrokerError, type BrokerErrorCode } from './errors.ts';
export { publishRefusal, subscribeRefusal, type ClientIdentity, type ClientRole } from './acl.ts';
export { checkLogin, type EnrolOnLogin, type KeyRegistry, type LoginAttempt, type LoginPolicy } from './login.ts';
export {
  createFleetBroker,
  type BrokerAddress,
  type BrokerLogger,
  type FleetBroker,
  type FleetBrokerOptions,
} from './broker.ts';
