/**
 * The store crash test, shared by the integration suite (a few kills) and test:long (≥ 50): a child commits as
 * fast as it can and is killed with SIGKILL at a random moment; after every kill each acknowledged version must
 * be present with the acknowledged root, verify() must find nothing wrong and SQLite's integrity_check must pass.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { openStore } from '../../node/store/index.ts';
import { toHex } from '../../node/crypto/index.ts';

const child = fileURLToPath(new URL('./store-crash-child.ts', import.meta.url));

export interface CrashRound {
  acked: number;
  killedAfterMs: number;
  duringStartup: boolean;
}

export interface CrashReport {
  rounds: CrashRound[];
  /** Every problem found; empty when the store kept every promise. */
  problems: string[];
}

/**
 * Runs one child and kills it `delayMs` after its first acknowledgement, or, with `duringStartup`, `delayMs`
 * after it was spawned (start-up and recovery are moments to survive too). Returns the acknowledged
 * `(version, root)` pairs.
 */
function runAndKill(db: string, runId: number, delayMs: number, duringStartup: boolean): Promise<Map<number, string>> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [child, db, String(runId)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    let timer: NodeJS.Timeout | undefined;
    const arm = () => (timer ??= setTimeout(() => proc.kill('SIGKILL'), delayMs));
    if (duringStartup) arm();
    else proc.stdout.once('data', arm);
    proc.on('error', reject);
    proc.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') {
        reject(new Error(`crash child exited by itself (code ${code}): ${err}`));
        return;
      }
      const acked = new Map<number, string>();
      // A line cut by the kill has no newline: it was never a complete acknowledgement.
      for (const line of out.split('\n').slice(0, -1)) {
        const [, v, root] = line.split(' ');
        acked.set(Number(v), root!);
      }
      resolve(acked);
    });
  });
}

export async function crashLoop(dir: string, kills: number, random: () => number): Promise<CrashReport> {
  const db = join(dir, 'state.sqlite');
  const allAcked = new Map<number, string>();
  const rounds: CrashRound[] = [];
  const problems: string[] = [];
  for (let i = 0; i < kills; i++) {
    // One round in five is killed at a random moment of start-up and recovery, the others while committing.
    const duringStartup = random() < 0.2;
    const delay = Math.floor(random() * (duringStartup ? 700 : 300));
    const acked = await runAndKill(db, i, delay, duringStartup);
    rounds.push({ acked: acked.size, killedAfterMs: delay, duringStartup });
    for (const [v, r] of acked) allAcked.set(v, r);

    const store = openStore(db, { durability: 'full' });
    try {
      for (const [v, root] of allAcked) {
        let got: string;
        try {
          got = toHex(store.root(v));
        } catch (e) {
          problems.push(`round ${i}: acknowledged version ${v} is gone: ${(e as Error).message}`);
          continue;
        }
        if (got !== root) problems.push(`round ${i}: version ${v} has root ${got}, acknowledged ${root}`);
      }
      const report = store.verify();
      if (!report.ok) problems.push(`round ${i}: verify() found ${JSON.stringify(report.problems.slice(0, 3))}`);
    } finally {
      store.close();
    }
    const raw = new Database(db, { readonly: true });
    const integrity = raw.pragma('integrity_check', { simple: true });
    raw.close();
    if (integrity !== 'ok') problems.push(`round ${i}: integrity_check says ${String(integrity)}`);
  }
  return { rounds, problems };
}
