/** fleet/controller: the fleet controller's core — director service, device watch, rollout driver (docs/fleet.md "Controller"). */
export { CONTROLLER_ERROR_CODES, ControllerError, type ControllerErrorCode } from './errors.ts';
export { DirectorStore, type DirectorRecord } from './director-store.ts';
export { createDirectorService, directorRootFolder, type DesiredPublisher, type DirectorService, type DirectorServiceOptions } from './director-service.ts';
export { connectControllerLink, type ControllerLink, type ControllerLinkOptions } from './controller-link.ts';
export {
  createDeviceWatch,
  stateFields,
  TELEMETRY_FILTER,
  WATCH_FILTERS,
  type DeviceReportSink,
  type DeviceWatch,
  type DeviceWatchOptions,
  type WatchCounts,
  type WatchLogger,
} from './device-watch.ts';
export {
  createHistoryRecorder,
  DEFAULT_HISTORY_BATCH,
  DEFAULT_HISTORY_FLUSH_MS,
  DEFAULT_HISTORY_INTERVAL_MS,
  DEFAULT_HISTORY_RETENTION_MS,
  reportFigures,
  type HistoryCounts,
  type HistoryRecorder,
  type HistoryRecorderOptions,
  type HistorySettings,
} from './history-recorder.ts';
export { parseHistoryQuery } from './history-query.ts';
export { createRolloutDriver, type DriverLogger, type RolloutDriver, type RolloutDriverOptions } from './rollout-driver.ts';
export {
  COMMAND_KEY_FILE,
  CONTROLLER_KEY_FILE,
  DEFAULT_BROKER_ID,
  startController,
  type Controller,
  type ControllerOptions,
} from './controller.ts';
export { createControllerApi, type ControllerApi, type ControllerApiOptions } from './api.ts';
