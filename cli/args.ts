/** Option parsing on node:util's parseArgs, turning its errors into typed usage errors. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CliError } from './errors.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

/** A `multiple: true` option collects every occurrence into a list (`--payee A --payee B`). */
export interface Parsed<O extends Options> {
  values: { [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : O[K] extends { multiple: true } ? string[] : string };
  positionals: string[];
}

export function parse<O extends Options>(args: string[], options: O, usage: string): Parsed<O> {
  try {
    const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
    return { values: values as Parsed<O>['values'], positionals };
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new CliError('USAGE', `${why}\nusage: ${usage}`, { cause });
  }
}

export function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new CliError('USAGE', `--${name} must be one of ${allowed.join(', ')}, got "${value}"`);
}

/**
 * A numeric option: `fallback` when absent, else the number if `check` accepts it. `must` says what is accepted
 * ("a port 1…65535"), so the error names both the option and the rule.
 */
export function numberOption(name: string, text: string | undefined, fallback: number, check: (n: number) => boolean, must: string): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (text.trim() === '' || !check(n)) throw new CliError('USAGE', `--${name} must be ${must}, got "${text}"`);
  return n;
}
