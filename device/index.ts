/** The device agent's public surface (SPEC.md §9, docs/device.md): what `ame device` and the telemetry side use. */
export { createDeviceAgent, startDeviceAgent, type AgentHal, type DeviceAgent, type DeviceAgentOptions } from './agent.ts';
export { earningsLines, statusLines, walletLines, type AgentStatus } from './agent-status.ts';
export { retryDelayMs } from './boot.ts';
export { createButtonHandler, type ButtonHandler } from './button-handler.ts';
export { dataWritableCheck, freeSpaceCheck, sqliteQuickCheck, temperatureCheck } from './checks/standard.ts';
export { checkSqliteFiles, findSqliteFiles, type SqliteFileResult } from './checks/sqlite.ts';
export { runCheck, type CheckOutcome, type HealthCheck } from './checks/types.ts';
export * from './config/index.ts';
export { createConsoleSession, HELP_LINES, wipeConfirmationFor, type ConsoleBackend, type ConsoleSession } from './console-commands.ts';
export { DEVICE_ERROR_CODES, DeviceError, type DeviceErrorCode, type DeviceErrorOptions } from './errors.ts';
export { createEventLog, formatEntry, type EventLog, type EventLogEntry } from './event-log.ts';
export { BOOT_FILE, bootFilePath, deviceLayout, type DeviceLayout } from './layout.ts';
export { createLedDriver, type LedDriver } from './led-driver.ts';
export * from './provisioning/index.ts';
export type { Earnings, NodeRole, NodeRuntime, NodeRuntimeFactory, RuntimeContext, RuntimeStatus } from './runtime.ts';
export { createStateDriver, type StateDriver, type StateListener } from './state-driver.ts';
export { describeState, INITIAL_STATE, isServing, transition, type AgentEvent, type AgentState, type AgentStateName } from './state-machine.ts';
export { createSupervisor, type CheckFailure, type RoundReport, type Supervisor } from './supervisor.ts';
