/** Checks of the values the registry stores; each refusal is BAD_INPUT naming the field. */
import { RegistryError } from './errors.ts';

// Control characters would let a name forge lines in logs and the audit view.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

export function text(field: string, value: unknown, max: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max || CONTROL.test(value)) {
    throw new RegistryError('BAD_INPUT', `${field} must be text of 1-${max} characters without control characters`);
  }
  return value;
}

export function optionalText(field: string, value: unknown, max: number): string | null {
  return value === undefined || value === null ? null : text(field, value, max);
}

export function time(field: string, value: unknown): number {
  if (!Number.isSafeInteger(value)) throw new RegistryError('BAD_INPUT', `${field} must be a time in ms (an integer)`);
  return value as number;
}

/** Unique names, each checked; order kept for the caller, sorted when read back. */
export function names(field: string, value: unknown, max = 64): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new RegistryError('BAD_INPUT', `${field} must be a list of names`);
  return [...new Set(value.map((v, i) => text(`${field}[${i}]`, v, max)))];
}

/** JSON text of a value that survives JSON unchanged in meaning, within `maxBytes`; null stays null. */
export function jsonText(field: string, value: unknown, maxBytes = 16_384): string | null {
  if (value === undefined || value === null) return null;
  let encoded: string | undefined;
  try {
    encoded = JSON.stringify(value);
  } catch (cause) {
    throw new RegistryError('BAD_INPUT', `${field} is not JSON: ${(cause as Error).message}`, { cause });
  }
  if (encoded === undefined) throw new RegistryError('BAD_INPUT', `${field} is not JSON`);
  if (Buffer.byteLength(encoded) > maxBytes) throw new RegistryError('BAD_INPUT', `${field} exceeds ${maxBytes} bytes as JSON`);
  return encoded;
}

export function parseJson(value: string | null): unknown {
  return value === null ? null : JSON.parse(value);
}

/** Page size: 1-500, 100 when not given. */
export function limit(value: unknown): number {
  if (value === undefined) return 100;
  if (!Number.isSafeInteger(value) || (value as number) < 1 || (value as number) > 500) {
    throw new RegistryError('BAD_INPUT', 'limit must be an integer in 1-500');
  }
  return value as number;
}
