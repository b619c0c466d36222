/**
 * The agent's recent events (state changes, refused config, failed checks, resets) for the console's `logs`
 * command: a bounded list per agent, next to the pino log that keeps everything.
 */

export interface EventLogEntry {
  /** Wall-clock ms (for people; nothing is timed by it). */
  readonly at: number;
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
}

export interface EventLog {
  add(level: EventLogEntry['level'], message: string): void;
  /** The last `count` entries, oldest first. */
  last(count: number): readonly EventLogEntry[];
}

export function createEventLog(options: { capacity?: number; now?: () => number } = {}): EventLog {
  const capacity = options.capacity ?? 500;
  const now = options.now ?? Date.now;
  const entries: EventLogEntry[] = [];
  return {
    add(level, message) {
      entries.push({ at: now(), level, message });
      if (entries.length > capacity) entries.splice(0, entries.length - capacity);
    },
    last: (count) => entries.slice(Math.max(0, entries.length - count)),
  };
}

/** "2025-01-02T03:04:05.000Z warn  config refused: …" */
export function formatEntry(entry: EventLogEntry): string {
  return `${new Date(entry.at).toISOString()} ${entry.level.padEnd(5)} ${entry.message}`;
}
