/** The part of a pino logger the telemetry client uses; pass a child logger (`logger.child({ mod: 'telemetry' })`). */
export interface TelemetryLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}
