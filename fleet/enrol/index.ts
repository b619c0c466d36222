/** fleet/enrol: provisioning tokens, enrolment of a device's key, revocation (SPEC §10). */
export { ENROL_ERROR_CODES, EnrolError, type EnrolErrorCode } from './errors.ts';
export {
  formatProvisioningToken,
  parseProvisioningToken,
  MAX_TOKEN_TEXT,
  TOKEN_PREFIX,
  type ParsedProvisioningToken,
} from './token.ts';
export { MemoryEnrolmentStore, type EnrolledDevice, type EnrolmentStore, type StoredToken } from './store.ts';
export {
  createEnrolment,
  MAX_TOKEN_LIFETIME_MS,
  MAX_TOKEN_USES,
  type EnrolLogger,
  type EnrolRequest,
  type Enrolment,
  type EnrolmentOptions,
  type IssuedToken,
  type IssueTokenOptions,
  type TokenInfo,
} from './enrolment.ts';
export { createRevoker, embeddedBrokerLogins, type LoginBackend, type Revoker, type RevokerOptions } from './revoke.ts';
