/**
 * `ame fleet run`: the fleet controller as a process (fleet/controller): the embedded MQTT broker (or an external
 * one by URL), the registry, the image repository and director, the device watch, the rollout driver and the JSON
 * API. Its folder holds everything (docs/fleet.md "Controller"); `DIR/api.json` (mode 0600) gives the other `ame
 * fleet` commands the API's address and an admin token, made at the first start and kept while it stays valid.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { startController, type Controller } from '../../fleet/controller/index.ts';
import { SECRET_MODE, writeFileAtomic } from '../../node/client/json-file.ts';
import { parse } from '../args.ts';
import { CliError } from '../errors.ts';
import type { CliIO } from '../io.ts';

export const DEFAULT_FLEET_DIR = '.ame/fleet';
export const API_FILE = 'api.json';

const USAGE = `ame fleet run [--data DIR] [--broker URL] [--host IP] [--mqtt-port P] [--repository-port P] [--api-port P] [--log-level L]
  runs the fleet controller until Ctrl-C; DIR (default ${DEFAULT_FLEET_DIR}) holds its registry, keys and releases`;

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
  const controller = await startController({
    dataDir: dir,
    broker: values.broker === undefined ? 'embedded' : { url: values.broker },
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
