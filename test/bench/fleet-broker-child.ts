/**
 * The fleet bench's baseline: the fleet's embedded broker alone (fleet/broker: aedes with the login check and ACLs,
 * every device's own key accepted), in its own process, so its resident memory holding the same connections can be
 * set beside the whole controller's. Prints `port N`, then runs until SIGTERM.
 */
import { createFleetBroker } from '../../fleet/broker/index.ts';
import { ed25519KeyFromPeerId } from '../../node/crypto/index.ts';

const keyOf = (id: string): Uint8Array | undefined => {
  try {
    return ed25519KeyFromPeerId(id);
  } catch {
    return undefined;
  }
};
const broker = createFleetBroker({ brokerId: 'ame-fleet', devices: { publicKey: keyOf } });
const { port } = await broker.start();
process.stdout.write(`port ${port}\n`);
process.once('SIGTERM', () => void broker.stop().then(() => process.exit(0)));
