/**
 * Mosquitto with its dynamic-security plugin and one admin account, for the fleet's external-broker tests. The
 * plugin's JSON file is written here the way `mosquitto_ctrl dynsec init` writes it (PBKDF2-SHA512, 101
 * iterations, base64 salt and hash), with default access that denies every publish and subscription no role
 * allows. A missing plugin is a failure with instructions, like a missing mosquitto.
 */
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMosquitto, type Mosquitto } from './mosquitto.ts';

const PLUGIN = '/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so';
const ITERATIONS = 101;

export interface DynsecMosquitto extends Mosquitto {
  readonly admin: { readonly username: string; readonly password: string };
}

function account(username: string, password: string, rolename: string) {
  const salt = randomBytes(12);
  return {
    username,
    password: pbkdf2Sync(password, salt, ITERATIONS, 64, 'sha512').toString('base64'),
    salt: salt.toString('base64'),
    iterations: ITERATIONS,
    roles: [{ rolename }],
  };
}

const allow = (acltype: string, topic: string) => ({ acltype, topic, allow: true });

/** Starts Mosquitto on a free port with the plugin, no anonymous access, and `admin` allowed to administer it. */
export async function startDynsecMosquitto(options: { readonly config?: readonly string[] } = {}): Promise<DynsecMosquitto> {
  if (!existsSync(PLUGIN)) {
    throw new Error(`${PLUGIN} is missing: \`apt-get install -y mosquitto\` (Debian ships the plugin with it)`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'ame-dynsec-'));
  const admin = { username: 'admin', password: randomBytes(18).toString('base64url') };
  const file = join(dir, 'dynamic-security.json');
  const control = '$CONTROL/dynamic-security/#';
  writeFileSync(
    file,
    JSON.stringify({
      clients: [account(admin.username, admin.password, 'admin')],
      roles: [
        {
          rolename: 'admin',
          acls: [allow('publishClientSend', control), allow('publishClientReceive', control), allow('subscribePattern', control)],
        },
      ],
      groups: [],
      defaultACLAccess: { publishClientSend: false, publishClientReceive: true, subscribe: false, unsubscribe: true },
    }),
    { mode: 0o644 },
  );
  // Started as root, mosquitto drops to its own user: the plugin must still read the file and write its updates
  // (it writes a new file beside it and renames it), so the folder is writable but not listable by others.
  chmodSync(dir, 0o733);
  try {
    const mosquitto = await startMosquitto({
      anonymous: false,
      config: [`plugin ${PLUGIN}`, `plugin_opt_config_file ${file}`, ...(options.config ?? [])],
    });
    let stopped: Promise<void> | undefined;
    return {
      ...mosquitto,
      admin,
      stop: () => (stopped ??= mosquitto.stop().then(() => rmSync(dir, { recursive: true, force: true }))),
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
