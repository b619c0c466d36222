/** What the API's sub-routers (api-tokens.ts, api-commands.ts) share: the caller, and the router's shape. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AdminRole } from '../registry/index.ts';

/** The authenticated caller of one request, and the clock its audit entries are dated by. */
export interface RouteCaller {
  readonly now: () => number;
  readonly who: { readonly role: AdminRole; readonly actor: string };
}

/** Answers a request whose path (after `/api`, decoded) is one of its routes; false for any other path. */
export type RouteHandler<C extends RouteCaller> = (
  c: C,
  req: IncomingMessage,
  res: ServerResponse,
  path: readonly (string | undefined)[],
) => Promise<boolean>;
