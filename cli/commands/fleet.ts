/** `ame fleet …`: the fleet controller's commands. Only `rack` exists so far (docs/fleet-rack.md). */
import { dispatch } from '../subcommands.ts';
import type { CliIO } from '../io.ts';

const USAGE = `ame fleet rack provision|status|stop|start|upgrade …   (ame fleet rack --help)`;

export function fleet(args: string[], io: CliIO): Promise<number> {
  return dispatch('fleet', USAGE, { rack: async (rest, rackIo) => (await import('./fleet-rack.ts')).rack(rest, rackIo) }, args, io);
}
