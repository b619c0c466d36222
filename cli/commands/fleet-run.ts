/**
 * `ame fleet run`: the fleet controller as a process (fleet/controller): the embedded MQTT broker (or an external
 * one by URL), the registry, the image repository and director, the device watch, the rollout driver and the JSON
 * API. Its folder holds everything (docs/fleet.md "Controller"); `DIR/api.json` (mode 0600) gives the other `ame
 * fleet` commands the API's address and an admin token, made at the first start and kept while it stays valid.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { startController, type Controller, type ControllerOptions, type HistorySettings } from '../../fleet/controller/index.ts';
import { SECRET_MODE, writeFileAtomic } from '../../node/client/json-file.ts';
import { numberOption, parse } from '../args.ts';
import { CliError } from '../errors.ts';
import type { CliIO } from '../io.ts';

export const DEFAULT_FLEET_DIR = '.ame/fleet';
export const API_FILE = 'api.json';

const USAGE = `ame fleet run [--data DIR] [--broker URL [--broker-user NAME] [--dynsec-user NAME [--device-url URL]]] [--host IP]
              [--mqtt-port P] [--repository-port P] [--api-port P] [--history-interval S] [--history-days N] [--log-level L]
  runs the fleet controller until Ctrl-C; DIR (default ${DEFAULT_FLEET_DIR}) holds its registry, keys and releases.
  Passwords never on the command line: AME_FLEET_BROKER_PASSWORD / AME_FLEET_DYNSEC_PASSWORD, or the first line of
  --broker-password-file F / --dynsec-password-file F`;

/** Seconds between two samples of a device's history (1 s … 1 day) and days kept (1 … 366): docs/fleet.md. */
function historySettings(values: { 'history-interval'?: string; 'history-days'?: string }): HistorySettings {
  const interval = numberOption('history-interval', values['history-interval'], 60, (n) => Number.isSafeInteger(n) && n >= 1 && n <= 86_400, 'whole seconds 1…86400');
  const days = numberOption('history-days', values['history-days'], 7, (n) => Number.isSafeInteger(n) && n >= 1 && n <= 366, 'whole days 1…366');
  return { intervalMs: interval * 1000, retentionMs: days * 86_400_000 };
}

/** A secret from the first line of `--NAME-password-file F`, else the environment variable, else undefined. */
function secret(io: CliIO, file: string | undefined, variable: string): string | undefined {
  if (file === undefined) return io.env[variable];
  const path = resolve(io.cwd, file);
  if (!existsSync(path)) throw new CliError('USAGE', `${path} does not exist`);
  return readFileSync(path, 'utf8').split('\n')[0] ?? '';
}

/** The external broker's login and, with --dynsec-user, the dynamic-security plugin's admin login. */
function externalBroker(values: Record<string, string | boolean | undefined>, io: CliIO): Pick<ControllerOptions, 'broker' | 'dynsec'> {
  const text = (name: string) => values[name] as string | undefined;
  const url = text('broker');
  if (url === undefined) {
    const stray = ['broker-user', 'broker-password-file', 'dynsec-user', 'dynsec-password-file', 'device-url'].find((name) => values[name] !== undefined);
    if (stray !== undefined) throw new CliError('USAGE', `--${stray} needs --broker URL\nusage: ${USAGE}`);
    return { broker: 'embedded' };
  }
  const user = text('broker-user');
  const password = secret(io, text('broker-password-file'), 'AME_FLEET_BROKER_PASSWORD');
  if (user === undefined && password !== undefined) throw new CliError('USAGE', 'a broker password needs --broker-user');
  const broker = { url, ...(user === undefined ? {} : { username: user }), ...(password === undefined ? {} : { password }) };
  const admin = text('dynsec-user');
  if (admin === undefined) {
    if (text('dynsec-password-file') !== undefined || text('device-url') !== undefined) throw new CliError('USAGE', `--dynsec-password-file and --device-url need --dynsec-user\nusage: ${USAGE}`);
    return { broker };
  }
  const adminPassword = secret(io, text('dynsec-password-file'), 'AME_FLEET_DYNSEC_PASSWORD');
  if (user === undefined || password === undefined || password === '' || adminPassword === undefined || adminPassword === '') {
    throw new CliError('USAGE', '--dynsec-user needs its password (AME_FLEET_DYNSEC_PASSWORD or --dynsec-password-file) and the controller\'s own login (--broker-user, AME_FLEET_BROKER_PASSWORD or --broker-password-file), which it creates through the plugin if missing');
  }
  const deviceUrl = text('device-url');
  return { broker, dynsec: { username: admin, password: adminPassword, ...(deviceUrl === undefined ? {} : { deviceUrl }) } };
}

export interface ApiContact {
  readonly url: string;
  readonly token: string;
}

function port(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0 || n > 65535) throw new CliError('USAGE', `--${name} must be a port 0…65535, got "${text}"`);
  return n;
}

/** The admin token of DIR/api.json when the registry still takes it, else undefined. */
function heldToken(path: string, valid: (token: string) => boolean): string | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const held = JSON.parse(readFileSync(path, 'utf8')) as Partial<ApiContact>;
    return typeof held.token === 'string' && valid(held.token) ? held.token : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Writes DIR/api.json (mode 0600): the controller's API and an admin token — the one already there while the
 * registry still takes it as an admin's, else a new one.
 */
export function writeApiContact(dir: string, controller: Controller, now: number): string {
  const apiPath = join(dir, API_FILE);
  const token =
    heldToken(apiPath, (t) => {
      try {
        return controller.registry.admins.authenticateToken(t, now).role === 'admin';
      } catch {
        return false;
      }
    }) ?? controller.registry.admins.issueToken({ role: 'admin', label: 'local admin' }, now).token;
  writeFileAtomic(apiPath, `${JSON.stringify({ url: controller.apiUrl, token } satisfies ApiContact)}\n`, SECRET_MODE);
  return apiPath;
}

export async function run(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      data: { type: 'string' },
      broker: { type: 'string' },
      host: { type: 'string' },
      'mqtt-port': { type: 'string' },
      'repository-port': { type: 'string' },
      'api-port': { type: 'string' },
      'broker-user': { type: 'string' },
      'broker-password-file': { type: 'string' },
      'dynsec-user': { type: 'string' },
      'dynsec-password-file': { type: 'string' },
      'device-url': { type: 'string' },
      'history-interval': { type: 'string' },
      'history-days': { type: 'string' },
      'log-level': { type: 'string' },
    },
    USAGE,
  );
  if (positionals.length > 0) throw new CliError('USAGE', `unexpected "${positionals[0]}"\nusage: ${USAGE}`);
  const dir = resolve(io.cwd, values.data ?? DEFAULT_FLEET_DIR);
  const logger = pino({ level: values['log-level'] ?? 'info' }, io.stderr);
  const mqttPort = port('mqtt-port', values['mqtt-port']);
  const httpPort = port('repository-port', values['repository-port']);
  const apiPort = port('api-port', values['api-port']);
  const history = historySettings(values);
  const controller = await startController({
    dataDir: dir,
    ...externalBroker(values, io),
    history,
    ...(values.host === undefined ? {} : { host: values.host }),
    ...(mqttPort === undefined ? {} : { mqttPort }),
    ...(httpPort === undefined ? {} : { httpPort }),
    ...(apiPort === undefined ? {} : { apiPort }),
    clock: { now: () => io.now() },
    logger,
  });
  try {
    const apiPath = writeApiContact(dir, controller, io.now());
    io.stdout.write(
      [
        `fleet controller in ${dir}`,
        `broker ${controller.mqttUrl} (devices log in with their own key; controller ${controller.controllerId})`,
        ...(controller.credentials === undefined || controller.enrolmentUrl === undefined
          ? []
          : [`enrolment broker ${controller.enrolmentUrl} (devices enrol here with a provisioning token, then get their own password on ${controller.mqttUrl})`]),
        `repository ${controller.repositoryUrl}`,
        `api ${controller.apiUrl} (admin token in ${apiPath})`,
        `console ${controller.consoleUrl} (accounts: ame fleet admin add USER --role admin --data ${dir})`,
        `command key ${Buffer.from(controller.commandKey.publicKey.bytes).toString('hex')}`,
        'ready',
        '',
      ].join('\n'),
    );
    await new Promise<void>((done) => {
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
    });
    io.stdout.write('stopping\n');
  } finally {
    await controller.stop();
  }
  io.stdout.write('stopped\n');
  return 0;
}
