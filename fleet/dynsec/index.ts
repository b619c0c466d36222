/** fleet/dynsec: per-device logins and ACLs on an external Mosquitto through its dynamic-security plugin (SPEC §9). */
export { DYNSEC_ERROR_CODES, DynsecError, type DynsecErrorCode } from './errors.ts';
export {
  CONTROLLER_ROLE,
  controllerAcls,
  createDeviceCommands,
  deleteDeviceCommands,
  deviceAcls,
  deviceRoleName,
  type DynsecAcl,
  type DynsecAclType,
  type DynsecCommand,
} from './acl.ts';
export {
  CONTROL_TOPIC,
  createDynsecAdmin,
  RESPONSE_TOPIC,
  type DynsecAdmin,
  type DynsecAdminOptions,
  type DynsecLogger,
  type DynsecResponse,
} from './admin.ts';
export { createDynsecLogins, type DynsecLogins, type DynsecLoginsOptions } from './logins.ts';
