/**
 * `ame up`: the local network on this machine, in one process — a Manager Ring Unity of M servers (consensus,
 * ledger, mempool; the explorer API over manager 0's chain), the ring authority, and U Unities of S Worker Ring
 * servers whose maps and views the managers certify. Every node is a libp2p host on 127.0.0.1 (or --listen IP), every
 * ring server also a circuit relay for devices behind NAT (docs/net.md "Relays and NAT"); identities and the
 * genesis live in DIR (up-config.ts), each manager's chain in DIR/mI/, each ring server's replicas in DIR/sN/ring/,
 * so a restart keeps every PeerId, the chain and every stored value. The fleet's MQTT broker (fleet/broker) runs
 * here too, and the devices report to it. Lines typed on stdin kill a manager or a device (up-control.ts). Runs until
 * SIGINT or SIGTERM, then stops everything it started, in the reverse order of starting.
 */
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { ed25519KeyFromPeerId, Ed25519KeyPair, fromHex, toHex, Wallet } from '../../node/crypto/index.ts';
import { genesisId } from '../../node/ledger/index.ts';
import { startExplorer, startManagerUnity } from '../../node/manager/manager-node.ts';
import type { Certifiers } from '../../node/ring/epoch-certificate.ts';
import { genesisMap } from '../../node/ring/genesis.ts';
import { recordedEpoch } from '../../node/ring/service/epoch-record.ts';
import { startHost, startRingAuthorityNode, startRingServerNode } from '../../node/ring/service/ring-host.ts';
import { BLOB_SCHEMES, ringPartStore } from '../../node/worker/replication/part-store.ts';
import { startWorkerNode } from '../../node/worker/worker-node.ts';
import { oneOf, parse } from '../args.ts';
import { CliError } from '../errors.ts';
import type { CliIO } from '../io.ts';
import { keyOf, loadLocal, loadOrCreateGenesis, PARAM_PRESETS, WALLET_FILE, walletOf } from './up-config.ts';
import { AUDIT_INTERVAL_MS, upDuties } from './up-duties.ts';
import { writeBootstrap } from './up-bootstrap.ts';
import { CONTROL_HELP, startUpControl } from './up-control.ts';
import { lockUpFolder } from './up-lock.ts';
import { FLEET_DIR, startUpFleet } from './up-fleet.ts';
import { startClientFlow } from './up-client-flow.ts';
import { batchFunder, startUpDevices } from './up-devices.ts';
import { startUpLoad } from './up-load.ts';
import { loadOrCreatePayout, PAYOUT_WALLET_FILE, registerRingServers } from './up-register.ts';
import { startUpSettlers } from './up-settle.ts';

const USAGE = `ame up [--data DIR] [--unities N] [--servers-per-unity S] [--managers M] [--http-port P] [--params NAME]
  [--audit-every S] [--listen IP] [--devices N] [--load] [--temporary-share P] [--mqtt-port P] [--log-level LEVEL]
  runs the local network on 127.0.0.1: a Manager Ring of M servers with its explorer API, the ring authority and
  N × S Worker Ring servers whose maps the managers certify (each also a circuit relay for devices behind NAT)
  --data DIR              where identities and data live (default .ame/local)
  --unities N             Unities at first start (default 3)
  --servers-per-unity S   servers per Unity at first start (default 6, the minimum of SPEC §5)
  --managers M            Manager Ring servers at first start (default 6)
  --http-port P           the explorer API's port (default 0: a free one, printed)
  --params NAME           the ledger parameters at first start: default, demo or quick (docs/cli.md)
  --audit-every S         seconds between two audit rounds of each manager (default 30)
  --listen IP             the IPv4 address every node listens on (default 127.0.0.1; the explorer stays on 127.0.0.1)
  --devices N             device agents to run, each its own \`ame device --join\` process (default 0)
  --load                  a client that stores and fetches blobs through the client flow (introductions, offers),
                          paying by receipts: offers lead with the devices, the temporary workers
  --temporary-share P     percent of blob offers an index server leads with a temporary worker (default 50)
  --mqtt-port P           the fleet's MQTT broker port on 127.0.0.1 (default 0: a free one, printed)
  while it runs, type: kill manager N (1…M−1) | kill device N | help`;

const OPTIONS = {
  data: { type: 'string' },
  unities: { type: 'string' },
  'servers-per-unity': { type: 'string' },
  managers: { type: 'string' },
  'http-port': { type: 'string' },
  'log-level': { type: 'string' },
  params: { type: 'string' },
  'audit-every': { type: 'string' },
  listen: { type: 'string' },
  devices: { type: 'string' },
  load: { type: 'boolean' },
  'temporary-share': { type: 'string' },
  'mqtt-port': { type: 'string' },
} as const;


/** Relays named in bootstrap.json: the first server of each Unity, at most this many (a device reserves on each). */
const MAX_BOOTSTRAP_RELAYS = 4;

function count(text: string | undefined, fallback: number, name: string, min: number, max: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new CliError('USAGE', `--${name} must be an integer ${min}…${max}`);
  return n;
}

export async function up(args: string[], io: CliIO): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout.write(`usage: ${USAGE}\n`);
    return 0;
  }
  const { values, positionals } = parse(args, OPTIONS, USAGE);
  if (positionals.length > 0) throw new CliError('USAGE', `unexpected "${positionals[0]}"\nusage: ${USAGE}`);
  const dir = resolve(io.cwd, values.data ?? '.ame/local');
  const layout = {
    unities: count(values.unities, 3, 'unities', 1, 64),
    perUnity: count(values['servers-per-unity'], 6, 'servers-per-unity', 1, 32),
    managers: count(values.managers, 6, 'managers', 1, 32),
  };
  const httpPort = count(values['http-port'], 0, 'http-port', 0, 65535);
  const mqttPort = count(values['mqtt-port'], 0, 'mqtt-port', 0, 65535);
  const preset = oneOf('params', values.params, ['default', 'demo', 'quick'] as const, 'default');
  const deviceCount = count(values.devices, 0, 'devices', 0, 64);
  const auditMs = count(values['audit-every'], AUDIT_INTERVAL_MS / 1000, 'audit-every', 1, 3600) * 1000;
  const share = count(values['temporary-share'], 50, 'temporary-share', 0, 100) / 100;
  const ip = values.listen ?? '127.0.0.1';
  if (!/^(\d{1,3})(\.\d{1,3}){3}$/.test(ip) || ip.split('.').some((n) => Number(n) > 255)) throw new CliError('USAGE', `--listen must be an IPv4 address, got ${JSON.stringify(ip)}`);
  const listen = [`/ip4/${ip}/tcp/0`];
  // Every node here dials from 127.0.0.1: lift the per-address inbound limit meant for the open internet.
  const connections = { inboundConnectionThreshold: 10_000, maxIncomingPendingConnections: 512 };

  // One ame up per folder (up-lock.ts), released last.
  const unlock = lockUpFolder(dir);
  let config: ReturnType<typeof loadLocal>;
  let genesis: Awaited<ReturnType<typeof loadOrCreateGenesis>>;
  try {
    config = loadLocal(dir, layout);
    genesis = await loadOrCreateGenesis(dir, config, io.now(), PARAM_PRESETS[preset]);
  } catch (error) {
    unlock();
    throw error;
  }
  const logger = pino({ level: values['log-level'] ?? 'warn' }, io.stderr);

  // Closed in reverse order of starting: ring servers, authority, explorer, managers, their hosts.
  const closers: (() => Promise<void> | void)[] = [unlock];
  const stopAll = async () => {
    for (const close of closers.splice(0).reverse()) await close();
  };
  const lines: string[] = [];
  try {
    const seeds = config.managers.map((hex) => fromHex(hex, 'seed', 32));
    const unity = await startManagerUnity({
      seeds,
      genesis,
      dataDir: (i) => join(dir, `m${i}`),
      listen,
      connections,
      logger,
    });
    closers.push(() => unity.stop());
    const lead = unity.servers[0]!;
    // Where devices and other tools join this network: the managers' addresses of this start, and the genesis.
    writeBootstrap(dir, unity.hosts.map((h) => h.peer));
    const duties = upDuties(unity.servers.map((server, i) => ({ server, host: unity.hosts[i]!, key: Ed25519KeyPair.fromSeed(seeds[i]!) })));
    // The ring servers become workers the ledger can pay (channels name them, settlements pay them); this runs
    // while the Worker Ring starts and is awaited before "ready". Caught here so a ring failure first is not
    // also an unhandled rejection.
    const payout = await loadOrCreatePayout(dir, io.now());
    const registering = registerRingServers({
      server: lead,
      servers: config.servers.map(keyOf),
      payout,
      funder: walletOf(config.wallets.investors),
    });
    registering.catch(() => undefined);
    const explorer = await startExplorer(lead, genesis, { port: httpPort, logger }).catch((cause: unknown) => {
      const why = (cause as NodeJS.ErrnoException).code === 'EADDRINUSE' ? 'the port is in use (pick another --http-port, or 0 for a free one)' : (cause as Error).message;
      throw new CliError('USAGE', `the explorer cannot listen on 127.0.0.1:${httpPort}: ${why}`, { cause });
    });
    closers.push(() => explorer.close());
    // The servers trust the current manager set of the ledger (a reconfiguration applies at once).
    const certifiers: Certifiers = { managers: () => lead.ledger.finalView().managers().keys };

    // Every ring server relays for devices behind NAT: a protocol handler and a table of reservations, no limits on
    // the relayed connections (RLDP keeps one long-lived stream; docs/net.md "Relays and NAT").
    const hosts = await Promise.all(config.servers.map((seed) => startHost(keyOf(seed), listen, logger, connections, { relayServer: {} })));
    closers.push(() => Promise.all(hosts.map((h) => h.stop())).then(() => undefined));
    // A new genesis map each start (the servers' ports are new), above every epoch the managers signed before.
    const authorityDir = join(dir, 'authority');
    const epoch = recordedEpoch(authorityDir) + 1n;
    const ringGenesis = genesisMap({ unities: config.unities, servers: hosts.map((h) => h.peer), epoch });
    const byId = new Map(hosts.map((h) => [h.id, h]));
    const relays = ringGenesis.unities.flatMap((u) => {
      const first = u.servers[0] === undefined ? undefined : byId.get(u.servers[0].id);
      return first === undefined ? [] : [first.peer];
    });
    const authority = await startRingAuthorityNode({
      certify: lead.ringCertify(),
      certifiers,
      nodeKey: keyOf(config.authorityNode),
      genesis: ringGenesis,
      dataDir: authorityDir,
      listen,
      connections,
      logger,
      // A server the genesis map does not name joins only as a worker the ledger promoted, into its own Unity.
      admitJoin: (peer, asked) => {
        const record = lead.ledger.finalView().node(ed25519KeyFromPeerId(peer));
        return record?.role === 'worker' && record.status === 'active' && asked !== undefined && record.unity === asked;
      },
    });
    closers.push(() => authority.stop());
    // The explorer's network page draws the authority's current map (GET /api/ring/map); the ledger has only its root.
    explorer.setRingMap(() => authority.authority.map());
    const managers = () => [authority.host.peer];
    // The fleet's broker the devices report to (up-fleet.ts).
    const fleetSide = await startUpFleet(dir, mqttPort, logger, () => io.now());
    closers.push(() => fleetSide.controller.stop());
    // The same servers are the devices' entry to the ring, where their blobs are replicated; the authority admits
    // a promoted device as a server of its Unity.
    const entry = relays.slice(0, MAX_BOOTSTRAP_RELAYS);
    writeBootstrap(dir, unity.hosts.map((h) => h.peer), entry, entry, [authority.host.peer], fleetSide.contact);
    // Devices start now, while the Worker Ring starts (they boot, provision and connect meanwhile): the investors'
    // transfers that fund them wait for the ring servers' registration, which spends from the same account.
    const investors = batchFunder(lead, walletOf(config.wallets.investors), registering);
    // Each device's URLs as it comes up (after "ready" on a first start: a device provisions itself first).
    const fleet = startUpDevices({
      dir,
      count: deviceCount,
      lead,
      fund: investors,
      // The local fleet's first roots, as a box gets them on its boot partition: rollouts from it reach the devices.
      roots: { image: fleetSide.controller.releases.initialRoot(), director: fleetSide.controller.director.initialRoot() },
      onInfo: (i, info) => io.stdout.write(`device d${i} ${info.peerId}: dashboard ${info.dashboard ?? 'off'}, wallet ${info.wallet}\n`),
    });
    closers.push(() => fleet.stop());
    explorer.setFleet(() => {
      const up = fleetSide.online();
      return fleet.devices.map((d, i) => ({
        name: `d${i}`,
        peerId: d.info?.peerId ?? null,
        online: d.info !== undefined && up.has(d.info.peerId),
        process: d.child.exitCode === null && d.child.signalCode === null ? 'running' : 'exited',
        exit: d.child.signalCode ?? (d.child.exitCode === null ? null : `code ${d.child.exitCode}`),
        state: d.state,
        dashboard: d.info?.dashboard ?? null,
      }));
    });
    const control = startUpControl(io.stdin, io.stdout, {
      managers: unity.servers.length,
      killManager: (i) => unity.kill(i),
      managerKilled: (i) => unity.killed(i),
      devices: fleet.devices,
    });
    closers.push(() => control.stop());
    const nodes = await Promise.all(
      hosts.map((host, i) =>
        startRingServerNode({
          nodeKey: keyOf(config.servers[i]!),
          host,
          dataDir: join(dir, `s${i}`),
          authority: certifiers,
          managers,
          connections,
          logger,
          // Blob parts are values every replica checks (node/services/blobs/ring-parts.ts).
          schemes: BLOB_SCHEMES,
        }),
      ),
    );
    closers.push(() => Promise.all(nodes.map((n) => n.stop())).then(() => undefined));
    await Promise.all(nodes.map((n) => n.server.ready()));
    // Every ring server also serves blobs and messages for receipts, against the lead manager's final state
    // (in one process the full node is at hand; a device reads the same through its light client).
    const workers = hosts.map((host, i) =>
      startWorkerNode({
        rpc: host.rpc,
        nodeKey: keyOf(config.servers[i]!),
        dataDir: join(dir, `s${i}`),
        channels: (id) => lead.ledger.finalView().channel(id),
        prices: () => lead.ledger.finalView().params(),
        auditor: duties.isAuditor,
        // Its blobs are copied to the ring's replicas; one it lacks is read from them (docs/worker.md "Replication").
        ring: ringPartStore(nodes[i]!.server.client),
        logger,
      }),
    );
    closers.push(() => workers.forEach((w) => w.stop()));
    // The managers audit the servers they registered (sampled log entries, the receipts behind them, held blobs),
    // attach temporary workers to the busiest Unity (requests its servers logged) and decide promotions.
    const served = new Map(hosts.map((h, i) => [h.id, workers[i]!]));
    const loads = () =>
      ringGenesis.unities.map((u) => ({
        unity: u.id,
        servers: u.servers.length,
        load: u.servers.reduce((sum, s) => sum + (served.get(s.id)?.log.tail().seq ?? 0), 0),
      }));
    duties.start(hosts, config.servers.map(keyOf), loads, auditMs);
    closers.push(() => duties.stop());
    // Introductions by the managers, offers by the index servers, and every payee settling what it is owed.
    const flow = startClientFlow({
      lead,
      managers: unity.servers.map((server, i) => ({
        server,
        host: unity.hosts[i]!,
        key: Ed25519KeyPair.fromSeed(seeds[i]!),
        payout: walletOf(config.wallets.managers[i]!).account,
        dataDir: join(dir, `m${i}`),
      })),
      ring: nodes,
      certifiers,
      share,
    });
    closers.push(() => flow.stop());
    const serverPayees = workers.map((w, i) => ({ book: w.book, self: keyOf(config.servers[i]!).publicKey.bytes, payout: payout.account }));
    const settlers = startUpSettlers(lead, [...serverPayees, ...flow.payees]);
    closers.push(() => settlers.stop());
    const registration = await registering;

    // Devices (temporary workers in their own processes) and clients that use them.
    if (values.load === true) {
      const clientHost = await startHost(Ed25519KeyPair.generate(), listen, logger, connections);
      closers.push(() => clientHost.stop());
      const load = startUpLoad({ lead, host: clientHost, managers: unity.hosts.map((h) => h.peer), fund: investors, wallet: Wallet.generate('ecdsa'), dir: join(dir, 'load') });
      closers.push(() => load.stop());
      // What the client did, every 30 s: the user sees the flow reach the devices.
      const report = setInterval(() => {
        const s = load.stats;
        io.stdout.write(
          `load: ${s.introductions} introductions, ${s.stores} stores, ${s.fetches} fetches (${s.byTemporary} served by temporary workers), ${s.sent} messages sent, ${s.received} received, ${s.channels} channels, ${s.failures} failures\n`,
        );
      }, 30_000);
      closers.push(() => clearInterval(report));
    }

    const head = lead.head();
    lines.push(
      `Manager Ring up: ${unity.servers.length} managers, chain ${toHex(genesisId(genesis))} (${genesis.chainName}), height ${head.height} (data in ${join(dir, 'm*')})`,
      `explorer ${explorer.url}`,
      `Worker Ring up: ${config.unities} Unities, ${nodes.length} servers serving blobs and messages, epoch ${ringGenesis.epoch}, certified by the managers (data in ${dir})`,
      `ring authority ${authority.host.id}`,
      `fleet broker ${fleetSide.contact.url} (broker id ${fleetSide.contact.brokerId}; devices enrol with the provisioning token in ${join(dir, 'bootstrap.json')} and log in with their own key)`,
      `fleet controller api ${fleetSide.controller.apiUrl} (data and keys in ${join(dir, FLEET_DIR)}; try: npx ame fleet devices --fleet ${join(dir, FLEET_DIR)})`,
      `fleet console ${fleetSide.controller.consoleUrl} (an account: npx ame fleet admin add USER --role admin --data ${join(dir, FLEET_DIR)})`,
      `ring servers registered as workers: ${registration.registered} now, ${registration.already} before (payout account ${registration.payout} in ${join(dir, PAYOUT_WALLET_FILE)}); the managers audit them every ${auditMs / 1000} s`,
      `try: npx ame chain head --manager ${explorer.url}`,
      `     npx ame wallet balance ${join(dir, WALLET_FILE)} --manager ${explorer.url}`,
      `     npx ame ring put - hello --data ${join(dir, 's0')}`,
      `     npx ame ring lookup hello --data ${join(dir, 's1')}`,
      `     npx ame channel open --currency ABC --amount 1 --payee ${join(dir, 's0')} --wallet ${join(dir, WALLET_FILE)} --manager ${explorer.url}`,
      ...(deviceCount === 0
        ? []
        : [
            `devices: ${deviceCount} device agents (temporary workers, sim hardware) in ${join(dir, 'devices')}, funded by the investors; each is listed here as "device dN <PeerId>: dashboard URL" once up, and logs to ${join(dir, 'devices', 'dN', 'agent.log')}${values.load === true ? '; clients store and fetch blobs on them' : ''}`,
          ]),
      CONTROL_HELP,
      'ready',
      '',
    );
  } catch (error) {
    await stopAll();
    throw error;
  }
  io.stdout.write(lines.join('\n'));
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  io.stdout.write('stopping\n');
  await stopAll();
  io.stdout.write('stopped\n');
  return 0;
}
