/**
 * `ame device`: the device agent in the foreground (SPEC §9; docs/device.md) — config from its layers, the HAL the
 * config names, and the real node runtime (device/worker-runtime.ts: a temporary worker on a light client). It
 * prints one line per agent state (`state serving`, `state degraded: …`) and stops cleanly on SIGINT/SIGTERM
 * (exit code 0). The update agent runs beside it (device/device-process.ts): when it has switched to a new
 * release's slot, or back, everything stops cleanly, `restart {"slot": …}` is printed and the exit code is 75, for
 * the launcher to start `ame device` again from that slot.
 *
 * Flags only fill environment variables the caller did not set (the config's environment layer), so the config's
 * precedence holds: `--join DIR` sets the managers of `ame up --data DIR` and loopback addresses on free ports,
 * `--sim` the simulated hardware.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pino } from 'pino';
import { type DeviceAgent, deviceLayout, halOptionsOf, openDeviceConfig, RESTART_EXIT_CODE, startDeviceProcess } from '../../device/index.ts';
import { workerRuntimeFactory } from '../../device/worker-runtime.ts';
import { createHal } from '../../hal/index.ts';
import { ed25519KeyFromPeerId, toHex } from '../../node/crypto/index.ts';
import { decodeGenesis, type GenesisConfig } from '../../node/ledger/index.ts';
import { parse } from '../args.ts';
import { CliError } from '../errors.ts';
import type { CliIO } from '../io.ts';
import { readBootstrap } from './up-bootstrap.ts';

const USAGE = `ame device [--data DIR] [--boot DIR] [--join UPDIR] [--genesis FILE] [--sim] [--log-level LEVEL]
  --data DIR       the agent's data directory (default AME_DATA_DIR, else /data)
  --boot DIR       the boot partition holding ame.json (default AME_BOOT_DIR, else /boot/firmware)
  --join UPDIR     join the network \`ame up --data UPDIR\` runs (its UPDIR/bootstrap.json): its managers, relays,
                   genesis and fleet broker, listening on 127.0.0.1 and the dashboard on a free port unless the config
                   says otherwise
  --genesis FILE   the chain's genesis (default AME_GENESIS; --join sets it)
  --sim            simulated hardware: sim LED, button, watchdog and system information, no serial console
  --log-level L    log to stderr at this pino level (default: the config's logLevel)`;

const OPTIONS = {
  data: { type: 'string' },
  boot: { type: 'string' },
  join: { type: 'string' },
  genesis: { type: 'string' },
  sim: { type: 'boolean' },
  'log-level': { type: 'string' },
} as const;

/** The environment layer: what the caller set, then what the flags imply where the caller set nothing. */
function environment(io: CliIO, values: { join?: string; genesis?: string; sim?: boolean }): { env: Record<string, string | undefined>; genesis: string | undefined } {
  const env: Record<string, string | undefined> = { ...io.env };
  const fill = (name: string, value: string) => {
    if (env[name] === undefined) env[name] = value;
  };
  let genesis = values.genesis ?? io.env.AME_GENESIS;
  if (values.join !== undefined) {
    const bootstrap = readBootstrap(resolve(io.cwd, values.join));
    fill('AME_NETWORK_BOOTSTRAP', bootstrap.managers.join(','));
    fill('AME_NETWORK_LISTEN', '/ip4/127.0.0.1/tcp/0');
    // Its ring servers relay for devices behind NAT (used when network.relay says so; docs/device.md "Behind NAT").
    if ((bootstrap.relays ?? []).length > 0) fill('AME_NETWORK_RELAYS', (bootstrap.relays ?? []).join(','));
    if ((bootstrap.ring ?? []).length > 0) fill('AME_NETWORK_RING', (bootstrap.ring ?? []).join(','));
    if ((bootstrap.ringAuthority ?? []).length > 0) fill('AME_NETWORK_RING_AUTHORITY', (bootstrap.ringAuthority ?? []).join(','));
    fill('AME_DASHBOARD_PORT', '0');
    // The fleet broker `ame up` embeds: the device reports its state and takes signed commands there.
    if (bootstrap.fleet !== undefined) {
      fill('AME_MQTT_URL', bootstrap.fleet.url);
      fill('AME_MQTT_BROKER_ID', bootstrap.fleet.brokerId);
      fill('AME_MQTT_COMMAND_KEY', bootstrap.fleet.commandKey);
      if (bootstrap.fleet.provisioningToken !== undefined) fill('AME_MQTT_PROVISIONING_TOKEN', bootstrap.fleet.provisioningToken);
    }
    genesis ??= bootstrap.genesis;
  }
  if (values.sim === true) {
    for (const port of ['LED', 'BUTTON', 'WATCHDOG', 'SYSINFO']) fill(`AME_HAL_${port}`, 'sim');
    fill('AME_HAL_CONSOLE', 'none');
  }
  return { env, genesis: genesis === undefined ? undefined : resolve(io.cwd, genesis) };
}

/** The genesis file; NOT_FOUND or BAD_INPUT naming it. */
function readGenesis(path: string): GenesisConfig {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (cause) {
    throw new CliError('NOT_FOUND', `cannot read the genesis ${path}: ${(cause as Error).message}`, { cause });
  }
  try {
    return decodeGenesis(bytes);
  } catch (cause) {
    throw new CliError('BAD_INPUT', `the genesis ${path} does not decode: ${(cause as Error).message}`, { cause });
  }
}

function version(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/** One line per agent state; once provisioned (identity and wallet exist), who this device is, for the owner to fund and find it. */
function printStates(agent: DeviceAgent, io: CliIO, dataDir: string): void {
  let introduced = false;
  agent.onState((state) => {
    const reason = state.name === 'error' ? `: ${state.reason}` : state.name === 'degraded' ? `: ${state.reasons.join('; ')}` : '';
    io.stdout.write(`state ${state.name}${reason}\n`);
    if (state.name !== 'connecting' || introduced) return;
    introduced = true;
    void agent.status().then((status) => {
      const key = status.peerId === null ? null : toHex(ed25519KeyFromPeerId(status.peerId));
      const at = agent.dashboardAddress();
      // Listening on every address: this machine reaches it on loopback.
      const host = at === null || at.host === '::' || at.host === '0.0.0.0' ? '127.0.0.1' : at.host;
      const dashboard = at === null ? null : `http://${host.includes(':') ? `[${host}]` : host}:${at.port}`;
      io.stdout.write(`device ${JSON.stringify({ dataDir, peerId: status.peerId, key, wallet: status.wallet?.address ?? null, dashboard })}\n`);
    });
  });
}

export async function device(args: string[], io: CliIO): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout.write(`usage: ${USAGE}\n`);
    return 0;
  }
  const { values, positionals } = parse(args, OPTIONS, USAGE);
  if (positionals.length > 0) throw new CliError('USAGE', `unexpected "${positionals[0]}"\nusage: ${USAGE}`);
  const { env, genesis } = environment(io, values);
  if (genesis === undefined) throw new CliError('USAGE', `name the chain: --genesis FILE, AME_GENESIS or --join UPDIR\nusage: ${USAGE}`);
  const chain = readGenesis(genesis);
  const config = openDeviceConfig({
    env,
    ...(values.data === undefined ? {} : { dataDir: resolve(io.cwd, values.data) }),
    ...(values.boot === undefined ? {} : { bootDir: resolve(io.cwd, values.boot) }),
  });
  const current = config.current();
  const logger = pino({ level: values['log-level'] ?? current.logLevel }, io.stderr);
  const hal = await createHal(halOptionsOf(current, { logger: logger.child({ component: 'hal' }), env }));
  const stopped = new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  // The agent, the update agent and the fleet link (device/device-process.ts); it starts the boot sequence.
  const running = await startDeviceProcess({
    config,
    hal,
    runtime: workerRuntimeFactory({ genesis: chain, walletFile: deviceLayout(current.dataDir).walletFile }),
    logger,
    dashboard: {},
    version: version(),
    beforeStart: (agent) => printStates(agent, io, current.dataDir),
  });
  const exit = await Promise.race([
    running.exited,
    stopped.then(() => {
      io.stdout.write('stopping\n');
      return running.stop();
    }),
  ]);
  if (exit.code === RESTART_EXIT_CODE) io.stdout.write(`restart ${JSON.stringify({ slot: exit.slot ?? null })}\n`);
  io.stdout.write('stopped\n');
  return exit.code;
}
