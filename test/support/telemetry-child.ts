/**
 * A device process for the telemetry tests that need a real process to kill: it runs the telemetry client and
 * takes line commands on stdin, answering on stdout once each is done, so the parent synchronises on output:
 *
 *   event <type>   → "queued <msgId>"  (after the message is durable in the outbox)
 *   state <json>   → "queued <msgId>"
 *   stop           → "stopped", then exits
 *
 * It also prints "status connected|disconnected" and "handled cmd <seq>" for every command its handler ran.
 *
 *   node telemetry-child.ts '{"url":…,"brokerId":…,"seed":<hex>,"commandKey":<hex>,"storePath":…}'
 */
import { createInterface } from 'node:readline';
import { Ed25519KeyPair, fromHex } from '../../node/crypto/index.ts';
import { createTelemetryClient } from '../../device/telemetry/index.ts';

interface ChildConfig {
  readonly url: string;
  readonly brokerId: string;
  readonly seed: string;
  readonly commandKey: string;
  readonly storePath: string;
}

const config = JSON.parse(process.argv[2] ?? '') as ChildConfig;
const say = (line: string): void => void process.stdout.write(`${line}\n`);

const client = createTelemetryClient({
  url: config.url,
  brokerId: config.brokerId,
  nodeKey: Ed25519KeyPair.fromSeed(fromHex(config.seed)),
  commandKey: fromHex(config.commandKey),
  storePath: config.storePath,
  reconnect: { minDelayMs: 50, maxDelayMs: 200 },
  onCommand: (command) => say(`handled cmd ${command.seq}`),
  onDesired: (desired) => say(`handled desired ${desired.seq}`),
  onStatus: (status) => say(`status ${status}`),
});
await client.start();
say('started');

for await (const line of createInterface({ input: process.stdin })) {
  const [verb, ...rest] = line.split(' ');
  const arg = rest.join(' ');
  if (verb === 'event') say(`queued ${client.publishEvent(arg)}`);
  else if (verb === 'state') say(`queued ${client.publishState(JSON.parse(arg) as Record<string, never>)}`);
  else if (verb === 'stop') {
    await client.stop();
    say('stopped');
    process.exit(0);
  }
}
