/**
 * The API's provisioning-token routes (fleet/enrol): the admin issues the tokens devices enrol with, lists them and
 * revokes them. Issuing or revoking admits or shuts out machines, so only the `admin` role may; any role may list
 * (the list holds ids, counts and expiries, never a secret). The token's text is in the issuing reply only: it is
 * neither stored nor audited nor logged.
 *
 *   GET  /api/tokens                       every token, oldest first, with its state (active, expired, used-up)
 *   POST /api/tokens                       body {"ttlMs"?, "uses"?, "groups"?, "tags"?}; → 201 {…, "token": "ampt1.…"}
 *   POST /api/tokens/<id>/revoke           → 200 the token, expired now
 */
import { readJsonObject, replyJson } from '../console/index.ts';
import { EnrolError, type Enrolment } from '../enrol/index.ts';
import type { Registry } from '../registry/index.ts';
import type { RouteCaller, RouteHandler } from './api-route.ts';
import { ControllerError } from './errors.ts';

/** A token's life when the request names none: one day. */
export const DEFAULT_TOKEN_TTL_MS = 24 * 3_600_000;

export type TokenAdmin = Pick<Enrolment, 'issueToken' | 'tokens' | 'revokeToken'>;

export interface TokenRouteContext extends RouteCaller {
  readonly tokens: TokenAdmin;
  readonly registry: Pick<Registry, 'audit'>;
}

/** Answers a `/api/tokens…` request; false when the path is not one of these routes. */
export const handleTokenRoute: RouteHandler<TokenRouteContext> = async (c, req, res, path) => {
  const [collection, id, action, extra] = path;
  if (collection !== 'tokens' || extra !== undefined) return false;
  if (req.method === 'GET' && id === undefined) {
    replyJson(res, 200, { tokens: await enrolCall(() => c.tokens.tokens()) });
    return true;
  }
  const issue = req.method === 'POST' && id === undefined;
  const revoke = req.method === 'POST' && id !== undefined && action === 'revoke';
  if (!issue && !revoke) return false;
  if (c.who.role !== 'admin') throw new ControllerError('FORBIDDEN', 'only an admin issues or revokes provisioning tokens');
  if (revoke) {
    const token = await enrolCall(() => c.tokens.revokeToken(id!));
    c.registry.audit.append(c.who.actor, 'token.revoke', token.id, null, c.now());
    replyJson(res, 200, token);
    return true;
  }
  const body = await readJsonObject(req);
  const ttlMs = body['ttlMs'] ?? DEFAULT_TOKEN_TTL_MS;
  const uses = body['uses'] ?? 1;
  const labels = (key: 'groups' | 'tags'): string[] => {
    const value = body[key] ?? [];
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new ControllerError('BAD_INPUT', `${key} must be a list of names`);
    return value as string[];
  };
  if (typeof ttlMs !== 'number' || typeof uses !== 'number') throw new ControllerError('BAD_INPUT', 'ttlMs and uses must be numbers');
  const options = { lifetimeMs: ttlMs, maxUses: uses, groups: labels('groups'), tags: labels('tags') };
  const issued = await enrolCall(() => c.tokens.issueToken(options));
  const detail = { expiresAt: issued.expiresAt, maxUses: issued.maxUses, groups: options.groups, tags: options.tags };
  c.registry.audit.append(c.who.actor, 'token.issue', issued.id, detail, c.now());
  replyJson(res, 201, { id: issued.id, token: issued.text, ...detail });
  return true;
};

/** Enrolment's refusals as the API's codes: a bad request is 400, an unknown token 404. */
async function enrolCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (!(error instanceof EnrolError)) throw error;
    if (error.code === 'BAD_OPTIONS') throw new ControllerError('BAD_INPUT', error.message, { cause: error });
    if (error.code === 'UNKNOWN_TOKEN') throw new ControllerError('NOT_FOUND', error.message, { cause: error });
    throw error;
  }
}
