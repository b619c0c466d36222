/**
 * `ame store stats|verify|gc --data DIR`: operator commands over a node's storage (docs/store.md): the
 * authenticated state store and the service log in DIR/store/. Run gc while the node is stopped: the node is
 * each file's only writer.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import { openStore, ServiceLog, storeFiles } from '../../node/store/index.ts';
import { parse } from '../args.ts';
import { CliError } from '../errors.ts';
import type { CliIO } from '../io.ts';

const USAGE = `ame store <stats|verify|gc> --data DIR [--json]
  stats    versions, keys, nodes, file sizes of the state store and the service log
  verify   recompute every hash and chain, run SQLite's integrity_check; exit 1 on any problem
  gc       [--keep N] (default 1000) keep the newest N versions of the state store provable
           [--horizon V] or give the horizon version itself
           [--log-keep-days D] also delete service-log batches older than D days`;

const OPTIONS = {
  data: { type: 'string' },
  json: { type: 'boolean' },
  keep: { type: 'string' },
  horizon: { type: 'string' },
  'log-keep-days': { type: 'string' },
} as const;

export async function store(args: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    io.stdout.write(`usage: ${USAGE}\n`);
    return sub === undefined ? 2 : 0;
  }
  const { values } = parse(rest, OPTIONS, USAGE);
  if (values.data === undefined) throw new CliError('USAGE', `--data is required\nusage: ${USAGE}`);
  const files = storeFiles(resolve(io.cwd, values.data));
  const present = { state: existsSync(files.state), serviceLog: existsSync(files.serviceLog) };
  if (!present.state && !present.serviceLog) {
    throw new CliError('NOT_FOUND', `no store in ${values.data} (expected ${files.state} or ${files.serviceLog})`);
  }
  const out = (result: object, text: string) => {
    io.stdout.write(values.json === true ? `${JSON.stringify(result)}\n` : text);
  };
  switch (sub) {
    case 'stats':
      return stats(files, present, out);
    case 'verify':
      return verify(files, present, out);
    case 'gc':
      return gc(files, present, values, io, out);
    default:
      throw new CliError('USAGE', `unknown store command "${sub}"\nusage: ${USAGE}`);
  }
}

type Files = ReturnType<typeof storeFiles>;
type Present = { state: boolean; serviceLog: boolean };
type Out = (result: object, text: string) => void;

const rows = (title: string, obj: object): string =>
  `${title}\n${Object.entries(obj)
    .map(([k, v]) => `  ${k.padEnd(16)}${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join('\n')}\n`;

function stats(files: Files, present: Present, out: Out): number {
  const result: Record<string, object> = {};
  if (present.state) {
    const s = openStore(files.state);
    try {
      result['state'] = s.stats();
    } finally {
      s.close();
    }
  }
  if (present.serviceLog) {
    const log = ServiceLog.open({ path: files.serviceLog });
    try {
      result['serviceLog'] = log.stats();
    } finally {
      log.close();
    }
  }
  out(result, Object.entries(result).map(([k, v]) => rows(k, v)).join(''));
  return 0;
}

function integrity(path: string): string {
  const db = new Database(path, { readonly: true });
  try {
    return String(db.pragma('integrity_check', { simple: true }));
  } finally {
    db.close();
  }
}

function verify(files: Files, present: Present, out: Out): number {
  const result: Record<string, { ok: boolean; integrityCheck: string; problems: readonly object[] }> = {};
  if (present.state) {
    const s = openStore(files.state);
    try {
      const r = s.verify();
      result['state'] = { ok: r.ok, integrityCheck: integrity(files.state), problems: r.problems };
    } finally {
      s.close();
    }
  }
  if (present.serviceLog) {
    const log = ServiceLog.open({ path: files.serviceLog });
    try {
      const r = log.verify();
      result['serviceLog'] = { ok: r.ok, integrityCheck: integrity(files.serviceLog), problems: r.problems };
    } finally {
      log.close();
    }
  }
  let ok = true;
  let text = '';
  for (const [name, r] of Object.entries(result)) {
    const good = r.ok && r.integrityCheck === 'ok';
    ok &&= good;
    text += `${name}: ${good ? 'ok' : 'PROBLEMS'} (integrity_check: ${r.integrityCheck})\n`;
    for (const p of r.problems) text += `  ${JSON.stringify(p)}\n`;
  }
  out({ ok, ...result }, text);
  return ok ? 0 : 1;
}

function wholeNumber(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new CliError('USAGE', `--${name} must be a whole number, got "${value}"`);
  return n;
}

function gc(
  files: Files,
  present: Present,
  values: { keep?: string; horizon?: string; 'log-keep-days'?: string },
  io: CliIO,
  out: Out,
): number {
  const keep = wholeNumber('keep', values.keep);
  const horizon = wholeNumber('horizon', values.horizon);
  const logDays = wholeNumber('log-keep-days', values['log-keep-days']);
  if (keep !== undefined && horizon !== undefined) throw new CliError('USAGE', '--keep and --horizon exclude each other');
  const result: Record<string, object> = {};
  if (present.state) {
    const s = openStore(files.state);
    try {
      const target = horizon ?? Math.max(0, s.head() - (keep ?? 1000) + 1);
      result['state'] = s.gc(target);
    } finally {
      s.close();
    }
  }
  if (present.serviceLog && logDays !== undefined) {
    const log = ServiceLog.open({ path: files.serviceLog });
    try {
      result['serviceLog'] = log.prune({ beforeTime: io.now() - logDays * 86_400_000 });
    } finally {
      log.close();
    }
  }
  out(result, Object.entries(result).map(([k, v]) => rows(k, v)).join(''));
  return 0;
}
