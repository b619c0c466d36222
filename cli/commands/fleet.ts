/**
 * `ame fleet …`: the fleet controller (`run`, docs/fleet.md "Controller"), the admin's commands over its API
 * (`devices`, `release`, `rollout`, `token`), balenaCloud rollouts (`balena`) and rack Unities (`rack`, docs/fleet-rack.md).
 */
import { dispatch } from '../subcommands.ts';
import type { CliIO } from '../io.ts';

const USAGE = `ame fleet run [--data DIR] …                               the controller (ame fleet run --help)
       ame fleet devices | command DEVICE NAME | release push|list | rollout start|status|pause|resume|abort …
       ame fleet token issue [--ttl 24h] [--uses N] [--group G] [--tag T] | token list | token revoke ID
       ame fleet balena rollout start|status|abort …               balenaCloud (ame fleet balena --help)
       ame fleet root keygen|draft|sign|status|install …            offline root keys (ame fleet root --help)
       ame fleet admin add USER --role viewer|operator|admin [--data DIR]   a console account
       ame fleet rack provision|status|stop|start|upgrade …       (ame fleet rack --help)`;

export function fleet(args: string[], io: CliIO): Promise<number> {
  return dispatch(
    'fleet',
    USAGE,
    {
      run: async (rest, runIo) => (await import('./fleet-run.ts')).run(rest, runIo),
      devices: async (rest, adminIo) => (await import('./fleet-admin.ts')).devices(rest, adminIo),
      command: async (rest, adminIo) => (await import('./fleet-admin.ts')).command(rest, adminIo),
      release: async (rest, adminIo) => (await import('./fleet-admin.ts')).release(rest, adminIo),
      rollout: async (rest, adminIo) => (await import('./fleet-admin.ts')).rollout(rest, adminIo),
      token: async (rest, tokenIo) => (await import('./fleet-tokens.ts')).token(rest, tokenIo),
      balena: async (rest, balenaIo) => (await import('./fleet-balena.ts')).balena(rest, balenaIo),
      root: async (rest, rootIo) => (await import('./fleet-root.ts')).root(rest, rootIo),
      admin: async (rest, adminIo) => (await import('./fleet-accounts.ts')).admin(rest, adminIo),
      rack: async (rest, rackIo) => (await import('./fleet-rack.ts')).rack(rest, rackIo),
    },
    args,
    io,
  );
}
