/**
 * The query of `GET /api/devices/<id>/history?since=&limit=`: both optional, each at most once, decimal digits only
 * (no sign, exponent, fraction or spaces, so `1e3` or ` 5` is refused rather than read as something else), and no
 * other parameter. Every refusal is BAD_QUERY naming the parameter and what it takes.
 */
import { MAX_HISTORY_LIMIT, type HistoryQuery } from '../registry/index.ts';
import { ControllerError } from './errors.ts';

const KEYS = ['since', 'limit'] as const;
const DIGITS = /^\d{1,16}$/;

function integer(key: string, text: string, min: number, max: number): number {
  const value = DIGITS.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ControllerError('BAD_QUERY', `${key} must be an integer in ${min}-${max}, not ${JSON.stringify(text.slice(0, 40))}`);
  }
  return value;
}

export function parseHistoryQuery(q: URLSearchParams): HistoryQuery {
  for (const key of new Set(q.keys())) {
    if (!(KEYS as readonly string[]).includes(key)) throw new ControllerError('BAD_QUERY', `unknown parameter ${JSON.stringify(key.slice(0, 40))}: history takes since and limit`);
    if (q.getAll(key).length > 1) throw new ControllerError('BAD_QUERY', `${key} given more than once`);
  }
  const since = q.get('since');
  const limit = q.get('limit');
  return {
    ...(since === null ? {} : { since: integer('since', since, 0, Number.MAX_SAFE_INTEGER) }),
    ...(limit === null ? {} : { limit: integer('limit', limit, 1, MAX_HISTORY_LIMIT) }),
  };
}
