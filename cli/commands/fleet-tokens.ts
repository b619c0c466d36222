/**
 * `ame fleet token issue|list|revoke`: provisioning tokens over the controller's API (fleet/controller/api-tokens.ts).
 * A device enrols with one at its first login; the token's text is printed once, when issued (an admin token is
 * needed to issue or revoke). The API is found as for the other admin commands (fleet-admin.ts).
 */
import type { TokenInfo } from '../../fleet/enrol/index.ts';
import { numberOption, parse } from '../args.ts';
import { CliError } from '../errors.ts';
import type { CliIO } from '../io.ts';
import { call, CONTACT, contact, print } from './fleet-admin.ts';

export const TOKEN_USAGE = `ame fleet token issue [--ttl 24h] [--uses N] [--group G]… [--tag T]… [--json]
       ame fleet token list [--json] | ame fleet token revoke ID [--json]
  --ttl: a number with s, m, h or d (default 24h, at most 365d); the controller as for ame fleet devices`;

const UNITS: Readonly<Record<string, number>> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `30m`, `24h`, `7d` in milliseconds; the controller checks the upper bound. */
export function parseTtl(text: string): number {
  const match = /^(\d+(?:\.\d+)?)([smhd])$/.exec(text.trim());
  const ms = match === null ? NaN : Math.round(Number(match[1]) * UNITS[match[2]!]!);
  if (!(ms >= 1_000)) throw new CliError('USAGE', `--ttl must be a duration like 90s, 30m, 24h or 7d, got "${text}"\nusage: ${TOKEN_USAGE}`);
  return ms;
}

const when = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export async function token(args: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parse(
    rest,
    { ...CONTACT, ttl: { type: 'string' }, uses: { type: 'string' }, group: { type: 'string', multiple: true }, tag: { type: 'string', multiple: true } },
    TOKEN_USAGE,
  );
  if (sub === 'issue' && positionals.length === 0) {
    const uses = numberOption('uses', values.uses, 1, (n) => Number.isSafeInteger(n) && n >= 1, 'an integer ≥ 1');
    const body = { ttlMs: parseTtl(values.ttl ?? '24h'), uses, groups: values.group ?? [], tags: values.tag ?? [] };
    const issued = await call<TokenInfo & { token: string }>(contact(values, io), 'POST', 'api/tokens', JSON.stringify(body));
    print(io, values.json, issued, () =>
      [
        issued.token,
        `token ${issued.id}: ${issued.maxUses} use${issued.maxUses === 1 ? '' : 's'}, expires ${when(issued.expiresAt)}${issued.groups.length > 0 ? `, groups ${issued.groups.join(',')}` : ''}${issued.tags.length > 0 ? `, tags ${issued.tags.join(',')}` : ''}`,
        'shown once: give it to the device (mqtt.provisioningToken, AME_MQTT_PROVISIONING_TOKEN)',
      ].join('\n'),
    );
    return 0;
  }
  if (sub === 'list' && positionals.length === 0) {
    const list = await call<{ tokens: TokenInfo[] }>(contact(values, io), 'GET', 'api/tokens');
    print(io, values.json, list, () =>
      list.tokens.map((t) => `${t.id}  ${t.state.padEnd(7)}  ${t.uses}/${t.maxUses} used  expires ${when(t.expiresAt)}  ${[...t.groups, ...t.tags.map((x) => `#${x}`)].join(',')}`).join('\n') || 'no provisioning tokens',
    );
    return 0;
  }
  if (sub === 'revoke' && positionals.length === 1) {
    const revoked = await call<TokenInfo>(contact(values, io), 'POST', `api/tokens/${encodeURIComponent(positionals[0]!)}/revoke`);
    print(io, values.json, revoked, () => `token ${revoked.id} revoked: no device enrols with it any more (${revoked.uses} enrolled stay)`);
    return 0;
  }
  throw new CliError('USAGE', `usage: ${TOKEN_USAGE}`);
}
