/**
 * The client role against a real `ame up` (a small one: four managers, one Unity of three ring servers): ABC and
 * ABIT channels opened to a ring server (which `ame up` registered as a worker), a file stored and fetched back
 * byte for byte, an end-to-end message to a second client identity read with `inbox`, and bad input refused with
 * one line and a non-zero exit code.
 *
 * Most commands run in this process through `main` (the CLI's composition root, same code path as the binary,
 * minus a Node start of a few seconds each on a loaded machine); a few run as real processes, to show they stop
 * their libp2p host and exit on their own.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.ts';
import { runAme, startUp, type CliRun } from '../../support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'ame-client-'));
const net = join(dir, 'net');
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** `ame up` with small sizes. */
const startSmallUp = () =>
  startUp(['--data', net, '--unities', '1', '--servers-per-unity', '3', '--managers', '4', '--http-port', '0'], children);

/** One `ame` command in this process. */
async function ame(...args: string[]): Promise<CliRun & { bytes: Buffer }> {
  const out: Buffer[] = [];
  let err = '';
  const stdout = new Writable({ write: (chunk: Buffer, _enc, done) => (out.push(Buffer.from(chunk)), done()) });
  const stderr = new Writable({ write: (chunk: Buffer, _enc, done) => ((err += chunk.toString()), done()) });
  const code = await main(args, { stdout, stderr, stdin: Readable.from([]), env: { HOME: dir }, cwd: dir, now: () => Date.now() });
  return { code, stdout: Buffer.concat(out).toString(), stderr: err, bytes: Buffer.concat(out) };
}

const json = <T>(run: CliRun): T => {
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as T;
};

/** A refusal: the exit code, and a last line `ame: …` on stderr matching `why` — never a stack trace. */
function refused(run: CliRun, code: number, why: RegExp): void {
  expect(run.code, `${run.stdout}${run.stderr}`).toBe(code);
  expect(run.stderr).toMatch(/(^|\n)ame: [^\n]+\n$/);
  expect(run.stderr).toMatch(why);
  expect(run.stderr).not.toMatch(/\n\s+at /);
}

interface ChannelJson {
  id: string;
  status: string;
  currency: string;
  escrow: string;
  signed: string;
  left: string;
  receipts: string;
  payees: { key: string; peer: string; owed: string }[];
}

describe('ame channel and ame client against ame up', () => {
  it('pays a registered ring server from ABC and ABIT channels for a stored blob and an end-to-end message', async () => {
    const up = await startSmallUp();
    expect(up.output()).toMatch(/^ring servers registered as workers: 3 now, 0 before \(payout account A\w+ in .*payout-wallet\.json\); the managers audit them every 30 s$/m);
    const wallet = join(net, 'investors-wallet.json');
    const s0 = join(net, 's0');
    const worker = (JSON.parse(readFileSync(join(s0, 'ring-contact.json'), 'utf8')) as { peer: { id: string } }).peer.id;
    const [a, b] = [join(dir, 'alice'), join(dir, 'bob')];
    const chain = ['--wallet', wallet, '--manager', up.url];

    // ABIT is made from ABC; then three channels from one account, one after the other (each takes the next nonce).
    expect(json<{ ok: boolean; abit: string }>(await ame('wallet', 'convert', '0.01', ...chain, '--json'))).toMatchObject({ ok: true, abit: '10000000' });
    const abc = json<ChannelJson>(await ame('channel', 'open', '--currency', 'ABC', '--amount', '1', '--payee', s0, ...chain, '--client', a, '--json'));
    expect(abc).toMatchObject({ status: 'open', currency: 'ABC', escrow: '1000000', signed: '0', payees: [{ peer: worker }] });
    const abit = json<ChannelJson>(await ame('channel', 'open', '--currency', 'ABIT', '--amount', '5', '--payee', s0, ...chain, '--client', a, '--json'));
    expect(abit).toMatchObject({ status: 'open', currency: 'ABIT', escrow: '5000000' });
    const tiny = json<ChannelJson>(await ame('channel', 'open', '--currency', 'ABC', '--amount', '100 a', '--payee', s0, ...chain, '--client', a, '--json'));
    expect((statSync(join(a, 'session.key')).mode & 0o777).toString(8)).toBe('600');

    // A file of two chunks, stored by a real process (which must exit by itself), fetched back in this one.
    const file = join(dir, 'file.bin');
    const bytes = randomBytes(300_000);
    writeFileSync(file, bytes);
    const stored = await runAme(['client', 'store', file, '--client', a, '--days', '2'], { cwd: dir, env: { HOME: dir } });
    expect(stored.code, stored.stderr).toBe(0);
    const address = stored.stdout.trim();
    expect(address).toMatch(/^[0-9a-f]{64}$/);
    const fetched = await ame('client', 'fetch', address, '--out', join(dir, 'back.bin'), '--client', a, '--json');
    expect(json<{ size: number; worker: string }>(fetched)).toMatchObject({ size: bytes.length, worker });
    expect(readFileSync(join(dir, 'back.bin')).equals(bytes)).toBe(true);
    const piped = await ame('client', 'fetch', address, '--client', a);
    expect(piped.bytes.equals(bytes)).toBe(true);
    // What was signed survives between commands (each opened the spender store anew): a store, two fetches, 2 chunks each.
    const paid = json<ChannelJson>(await ame('channel', 'status', abc.id.slice(0, 12), '--client', a, '--json'));
    expect(BigInt(paid.signed)).toBeGreaterThan(0n);
    expect(BigInt(paid.left) + BigInt(paid.signed)).toBe(1_000_000n);
    expect(paid.payees[0]!.owed).toBe(paid.signed);
    expect(Number(paid.receipts)).toBe(2 + 2 + 2);

    // The client flow (--join): a manager introduces Dave to the blob's Unity for the introduction fee, an index
    // server offers its workers; without a channel to them the refusal names the command that opens one.
    const d = join(dir, 'dave');
    const fees = json<ChannelJson>(await ame('channel', 'open', '--managers', '--currency', 'ABC', '--amount', '1', ...chain, '--client', d, '--json'));
    expect(fees.payees).toHaveLength(4);
    const unpaid = await ame('client', 'store', file, '--client', d, '--join', net);
    refused(unpaid, 1, /no open ABC channel of .* pays a worker Unity u-[0-9a-f]{64} offered: ame channel open --currency ABC --amount 1 (--payee [0-9a-f]{64} ?){3}$/m);
    const command = /ame (channel open .*)$/m.exec(unpaid.stderr)![1]!.split(' ');
    json(await ame(...command, ...chain, '--client', d, '--json'));
    const introduced = json<{ address: string; worker: string }>(await ame('client', 'store', file, '--client', d, '--join', net, '--json'));
    expect(introduced.address).toBe(address);
    const back = await ame('client', 'fetch', address, '--client', d, '--join', net);
    expect(back.bytes.equals(bytes)).toBe(true);
    // Three introductions paid (the refused store's included), each the default fee of 0.01 ABC.
    expect(json<ChannelJson>(await ame('channel', 'status', fees.id, '--client', d, '--json'))).toMatchObject({ signed: '30000', receipts: '3' });

    // Bob exports his prekey bundle; Alice's first message starts a session from it, the second rides the session.
    const bob = json<{ address: string; bundle: string }>(await ame('client', 'identity', '--client', b, '--export', join(dir, 'bob.json'), '--json'));
    const alice = json<{ address: string }>(await ame('client', 'identity', '--client', a, '--json'));
    const first = json<{ seq: number; newSession: boolean; paid: string }>(await ame('client', 'send', bob.address, 'hello Bob', '--bundle', bob.bundle, '--client', a, '--json'));
    expect(first).toMatchObject({ newSession: true, paid: '1000' });
    const second = json<{ seq: number; newSession: boolean }>(await ame('client', 'send', bob.address, 'second', '--client', a, '--json'));
    expect(second).toMatchObject({ newSession: false, seq: first.seq + 1 });
    // Bob has no channel: reading his mailbox is signed by his messaging key, not paid.
    const read = json<{ messages: unknown[]; acked: number }>(await ame('client', 'inbox', '--client', b, '--worker', s0, '--json'));
    const expected = [
      { seq: first.seq, from: alice.address, text: 'hello Bob' },
      { seq: second.seq, from: alice.address, text: 'second' },
    ];
    expect(read).toMatchObject({ messages: expected, acked: 0 });
    // Listed again (each message opens once: the folder keeps what it opened), then deleted at the worker.
    expect(json(await ame('client', 'inbox', '--client', b, '--worker', s0, '--json', '--ack'))).toMatchObject({ messages: expected, acked: 2 });
    expect(json(await ame('client', 'inbox', '--client', b, '--worker', s0, '--json'))).toMatchObject({ messages: [], acked: 0 });
    expect((statSync(join(b, 'messaging', 'prekeys.bin')).mode & 0o777).toString(8)).toBe('600');

    // Bad input: one line, exit 1 (2 for usage), no stack trace — from real processes too.
    const empty = join(dir, 'empty.json');
    expect((await ame('wallet', 'new', '--scheme', 'ecdsa', '--plain', '--out', empty)).code).toBe(0);
    const [missing, unknownBlob] = await Promise.all([
      runAme(['client', 'store', join(dir, 'not-there.bin'), '--client', a], { cwd: dir, env: { HOME: dir } }),
      runAme(['client', 'fetch', '00'.repeat(32), '--client', a], { cwd: dir, env: { HOME: dir } }),
    ]);
    refused(missing, 1, /no file at .*not-there\.bin/);
    refused(unknownBlob, 1, new RegExp(`worker ${worker} holds no blob 0{64}`));
    refused(await ame('client', 'fetch', 'not-an-address', '--client', a), 2, /a blob address is 64 hex digits/);
    refused(await ame('channel', 'open', '--currency', 'ABC', '--amount', '1', '--payee', s0, '--wallet', empty, '--manager', up.url, '--client', join(dir, 'carol')), 1, /can spend 0 ABC: too little for an escrow of 1 ABC/);
    refused(await ame('channel', 'open', '--currency', 'ABIT', '--amount', '50', '--payee', s0, ...chain, '--client', a), 1, /holds 5 ABIT: too little for an escrow of 50 ABIT \(ame wallet convert/);
    refused(await ame('client', 'store', file, '--client', a, '--channel', tiny.id), 1, new RegExp(`channel ${tiny.id} cannot pay for this`));
    refused(await ame('client', 'send', '11'.repeat(32), 'hi', '--client', a), 1, /no session with 1{64} yet: pass the prekey bundle/);
    refused(await ame('channel', 'status', 'deadbeef00', '--client', a), 1, /no channel deadbeef00 in/);
    refused(await ame('channel', 'open', '--currency', 'ABC', '--amount', '1', '--payee', join(net, 's9'), ...chain, '--client', a), 1, /no contact file at .*s9/);
    // The tiny channel signed nothing: the spender refuses before a receipt exists.
    expect(json<ChannelJson>(await ame('channel', 'status', tiny.id, '--client', a, '--json'))).toMatchObject({ signed: '0', receipts: '0' });

    up.child.kill('SIGTERM');
    expect(await up.exit).toBe(0);
  });
});
