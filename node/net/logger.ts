/** The part of a pino logger the network layer uses; hosts pass a child logger (e.g. `logger.child({ mod: 'net' })`). */
export interface NetLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}
