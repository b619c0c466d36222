/**
 * Messages that belong to no higher layer: liveness (SPEC §5) and a signed ping/pong for checking that a peer
 * holds the key it claims. Other layers define theirs next to their code and add them to their registries.
 */
import { defineMessage } from './message-type.ts';
import { s } from './schema.ts';

/** Random bytes echoed by pong, so a pong answers exactly one ping. */
const NONCE_LENGTH = 16;

/**
 * Sent every `interval` ms (10 s by default) by every server and temporary worker to its Unity's index servers.
 * `sent` lets a receiver tell a lost heartbeat from a restarted node (it starts again at 1, uptime near 0);
 * `interval` lets index servers compute the share of intervals seen without knowing the sender's configuration.
 */
export const heartbeat = defineMessage(
  'heartbeat',
  1,
  s.struct({
    unity: s.uint({ max: 0xffff_ffff }), // index of the sender's Unity in the ring map of `epoch`
    epoch: s.u64(), // the ring-map epoch the sender holds
    uptime: s.uint(), // ms since the node process started
    sent: s.uint(), // heartbeats sent since the process started, this one included
    interval: s.uint({ max: 24 * 3600 * 1000 }), // the sender's heartbeat period in ms
  }),
  { maxSize: 512 },
);

export const ping = defineMessage('ping', 1, s.struct({ nonce: s.bytes({ len: NONCE_LENGTH }) }), { maxSize: 256 });

export const pong = defineMessage('pong', 1, s.struct({ nonce: s.bytes({ len: NONCE_LENGTH }) }), { maxSize: 256 });

/** The messages of this layer, for building registries: createRegistry([...wireMessages, ...mine]). */
export const wireMessages = [heartbeat, ping, pong] as const;
