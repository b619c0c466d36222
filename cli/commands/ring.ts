/**
 * `ame ring slice|lookup|put|get`: an operator's view of the Worker Ring through one of its servers. The command
 * runs a short-lived libp2p host with a fresh key, reaches the entry server named by --data (the node's contact
 * file) or --peer/--authority, and checks every view it is shown against whom the contact names: the manager set
 * (a quorum certifies) or the ring-authority key.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Ed25519KeyPair, sha256, utf8 } from '../../node/crypto/index.ts';
import { createHost, type Host, type PeerRef } from '../../node/net/index.ts';
import type { Certifiers } from '../../node/ring/epoch-certificate.ts';
import { keyFromHex, keyToHex, type Key } from '../../node/ring/keyspace.ts';
import { contentKey, ownedKey, signOwnedRecord } from '../../node/ring/records.ts';
import { RingClient } from '../../node/ring/service/client.ts';
import { bodies, decodeBody, encodeBody, METHOD } from '../../node/ring/service/protocol.ts';
import { CONTACT_FILE, type RingContact } from '../../node/ring/service/ring-host.ts';
import { Router } from '../../node/ring/service/router.ts';
import { decodeRingValue, encodeRingValue, type RingValue } from '../../node/ring/service/value.ts';
import { BLOB_SCHEMES } from '../../node/worker/replication/part-store.ts';
import { decodeSignedView, verifyView } from '../../node/ring/service/view.ts';
import { parse } from '../args.ts';
import { CliError } from '../errors.ts';
import type { CliIO } from '../io.ts';
import { openWallet } from './wallet.ts';
import { printLocated, printSlice, printValue } from './ring-output.ts';

const USAGE = `ame ring <slice|lookup|put|get> [--data DIR | --peer MULTIADDR --authority HEX] [--json]
  slice                 the entry server's routing slice (its Unity, intra-group table, counterparts)
  lookup KEY            the hop path to the Unity that owns KEY (at most 2 hops)
  put KEY VALUE         store VALUE under KEY; KEY is "-" or SHA-256(VALUE) in hex (content-addressed)
  put NAME VALUE --wallet PATH [--seq N]   an owned record NAME of the wallet's address (next seq by default)
  get KEY               the value under KEY; or get --owner ADDRESS --name NAME for an owned record
KEY is 64 hex digits, or any other text, which is hashed with SHA-256.`;

const OPTIONS = {
  data: { type: 'string' },
  peer: { type: 'string' },
  authority: { type: 'string' },
  json: { type: 'boolean' },
  wallet: { type: 'string' },
  seq: { type: 'string' },
  owner: { type: 'string' },
  name: { type: 'string' },
  timeout: { type: 'string' },
} as const;

type Values = ReturnType<typeof parse<typeof OPTIONS>>['values'];

export function parseKey(text: string): Key {
  return /^[0-9a-fA-F]{64}$/.test(text) ? keyFromHex(text.toLowerCase()) : sha256(utf8(text));
}

/** The entry server and whom to trust: a contact file (either form), or --peer with --authority. */
function contact(values: Values, io: CliIO): { peer: PeerRef; trust: Certifiers } {
  if (values.data !== undefined) {
    const path = join(resolve(io.cwd, values.data), CONTACT_FILE);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (cause) {
      throw new CliError('NOT_FOUND', `no ring node in ${values.data} (expected ${path}; is the node running?)`, { cause });
    }
    return fromContactFile(path, text);
  }
  if (values.peer === undefined || values.authority === undefined) {
    throw new CliError('USAGE', `name the entry server: --data DIR, or --peer MULTIADDR and --authority HEX\nusage: ${USAGE}`);
  }
  const id = /\/p2p\/([1-9A-HJ-NP-Za-km-z]+)$/.exec(values.peer)?.[1];
  if (id === undefined) throw new CliError('USAGE', `--peer must end in /p2p/<PeerId>, got ${values.peer}`);
  return { peer: { id, addrs: [values.peer] }, trust: { authority: keyBytes(values.authority, 'the ring-authority key') } };
}

/** A contact file naming the ring-authority key (`authority`) or the manager set (`managers`). */
function fromContactFile(path: string, text: string): { peer: PeerRef; trust: Certifiers } {
  let c: Partial<RingContact> | null;
  try {
    c = JSON.parse(text) as Partial<RingContact> | null;
  } catch (cause) {
    throw new CliError('NOT_FOUND', `${path} is not a contact file: ${(cause as Error).message}`, { cause });
  }
  const peer = c?.peer;
  if (typeof peer?.id !== 'string' || !Array.isArray(peer.addrs)) throw new CliError('NOT_FOUND', `${path} names no peer`);
  if (Array.isArray(c!.managers)) {
    const keys = c!.managers.map((hex, i) => keyBytes(String(hex), `${path}: managers[${i}]`, 'NOT_FOUND'));
    return { peer, trust: { managers: () => keys } };
  }
  if (typeof c!.authority === 'string') return { peer, trust: { authority: keyBytes(c!.authority, `${path}: authority`, 'NOT_FOUND') } };
  throw new CliError('NOT_FOUND', `${path} names neither the ring-authority key nor the manager set`);
}

function keyBytes(hex: string, what: string, code: 'USAGE' | 'NOT_FOUND' = 'USAGE'): Uint8Array {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new CliError(code, `${what} is 64 hex digits`);
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

export async function ring(args: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    io.stdout.write(`usage: ${USAGE}\n`);
    return sub === undefined ? 2 : 0;
  }
  if (!['slice', 'lookup', 'put', 'get'].includes(sub)) throw new CliError('USAGE', `unknown ring command "${sub}"\nusage: ${USAGE}`);
  const { values, positionals } = parse(rest, OPTIONS, USAGE);
  const { peer, trust } = contact(values, io);
  const timeoutMs = values.timeout === undefined ? 10_000 : Number(values.timeout) * 1000;
  if (!(timeoutMs > 0)) throw new CliError('USAGE', '--timeout is a number of seconds');
  const host = createHost({ nodeKey: Ed25519KeyPair.generate(), listen: [] });
  await host.start();
  try {
    const router = new Router({ rpc: host.rpc, authority: trust, entry: () => [peer], timeoutMs });
    const client = new RingClient({ rpc: host.rpc, router, timeoutMs });
    const json = values.json === true;
    switch (sub) {
      case 'slice':
        return await slice(host, peer, trust, json, io, timeoutMs);
      case 'lookup': {
        const key = parseKey(one(positionals, 'lookup KEY'));
        printLocated(io, key, await router.locate(key), json);
        return 0;
      }
      case 'put':
        return await put(client, positionals, values, io, json);
      default:
        return await get(client, positionals, values, io, json);
    }
  } finally {
    await host.stop();
  }
}

function one(positionals: string[], what: string): string {
  if (positionals.length !== 1) throw new CliError('USAGE', `expected ${what}\nusage: ${USAGE}`);
  return positionals[0]!;
}

async function slice(host: Host, peer: PeerRef, trust: Certifiers, json: boolean, io: CliIO, timeoutMs: number) {
  const reply = await host.rpc.request(peer, METHOD.slice, encodeBody(bodies.empty, {}), { timeoutMs });
  const signed = decodeSignedView(decodeBody(bodies.viewPush, reply, METHOD.slice).view);
  printSlice(io, verifyView(signed, trust), json);
  return 0;
}

async function put(client: RingClient, positionals: string[], values: Values, io: CliIO, json: boolean) {
  if (positionals.length !== 2) throw new CliError('USAGE', `expected put KEY VALUE\nusage: ${USAGE}`);
  const [keyText, valueText] = positionals as [string, string];
  const data = utf8(valueText);
  let key: Key;
  let value: RingValue;
  if (values.wallet !== undefined) {
    const account = (await openWallet(io, resolve(io.cwd, values.wallet))).account;
    key = ownedKey(account.address, keyText);
    const seq = values.seq !== undefined ? Number(values.seq) : await nextSeq(client, key);
    value = { kind: 'owned', record: signOwnedRecord(account, { name: keyText, seq, payload: data }) };
  } else {
    key = contentKey(data);
    if (keyText !== '-' && keyToHex(parseKey(keyText)) !== keyToHex(key)) {
      throw new CliError('USAGE', `a content-addressed key is SHA-256 of the value: use "-" or ${keyToHex(key)}`);
    }
    value = { kind: 'content', data };
  }
  const { result, located } = await client.put(key, encodeRingValue(value));
  const out = { key: keyToHex(key), acks: result.acks, replicas: result.replicas, unity: located.index, hops: located.path.length };
  io.stdout.write(json ? `${JSON.stringify(out)}\n` : `stored ${out.key} on ${out.acks} of ${out.replicas} replicas (Unity ${out.unity}, ${out.hops} hops)\n`);
  return 0;
}

async function nextSeq(client: RingClient, key: Key): Promise<number> {
  const held = (await client.get(key)).result;
  if (held === undefined) return 1;
  const value = decodeRingValue(key, held);
  return value.kind === 'owned' ? value.record.seq + 1 : 1;
}

async function get(client: RingClient, positionals: string[], values: Values, io: CliIO, json: boolean) {
  let key: Key;
  if (values.owner !== undefined || values.name !== undefined) {
    if (values.owner === undefined || values.name === undefined || positionals.length > 0) {
      throw new CliError('USAGE', `an owned record is named by --owner and --name together\nusage: ${USAGE}`);
    }
    key = ownedKey(values.owner, values.name);
  } else {
    key = parseKey(one(positionals, 'get KEY'));
  }
  const { result } = await client.get(key);
  if (result === undefined) {
    io.stderr.write(`ame: no value under ${keyToHex(key)}\n`);
    return 1;
  }
  // Blob parts are the one checked kind a node holds today (docs/worker.md "Replication").
  printValue(io, key, decodeRingValue(key, result, BLOB_SCHEMES), json);
  return 0;
}

