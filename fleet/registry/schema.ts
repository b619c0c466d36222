/**
 * The registry's schema as numbered migrations: MIGRATIONS[v] takes a file from version v to v + 1, and SQLite's
 * user_version records where a file stands. Opening runs only the missing steps, each in its own transaction, so
 * reopening a current file changes nothing and a crash mid-upgrade leaves the last complete version.
 *
 * Append to the list; never edit a step that has shipped.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    public_key BLOB NOT NULL,
    enrolled_at INTEGER NOT NULL,
    revoked_at INTEGER,
    online INTEGER NOT NULL DEFAULT 0,
    last_seen INTEGER,
    version TEXT,
    role TEXT,
    earnings TEXT,
    health TEXT
  ) WITHOUT ROWID;
  CREATE INDEX devices_version ON devices (version);
  CREATE TABLE device_groups (
    device TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    PRIMARY KEY (device, name)
  ) WITHOUT ROWID;
  CREATE INDEX device_groups_name ON device_groups (name, device);
  CREATE TABLE device_tags (
    device TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (device, tag)
  ) WITHOUT ROWID;
  CREATE INDEX device_tags_tag ON device_tags (tag, device);

  CREATE TABLE releases (
    id TEXT PRIMARY KEY,
    target TEXT NOT NULL,
    version TEXT NOT NULL,
    arch TEXT NOT NULL,
    length INTEGER NOT NULL,
    created_at INTEGER NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE rollouts (
    id TEXT PRIMARY KEY,
    release TEXT NOT NULL REFERENCES releases (id),
    previous_release TEXT NOT NULL,
    status TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX rollouts_status ON rollouts (status, id);

  CREATE TABLE update_locks (
    device TEXT PRIMARY KEY REFERENCES devices (id) ON DELETE CASCADE,
    holder TEXT NOT NULL,
    reason TEXT NOT NULL,
    taken_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE admins (
    username TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    salt BLOB NOT NULL,
    hash BLOB NOT NULL,
    cost INTEGER NOT NULL,
    created_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    digest BLOB NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    label TEXT NOT NULL,
    owner TEXT REFERENCES admins (username) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    revoked_at INTEGER
  );

  CREATE TABLE audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    time INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT,
    detail TEXT
  );
  CREATE INDEX audit_time ON audit (time, seq);
  CREATE INDEX audit_actor ON audit (actor, seq);
  CREATE INDEX audit_action ON audit (action, seq);
  CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE (ABORT, 'the audit log is append-only'); END;
  CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE (ABORT, 'the audit log is append-only'); END;
  `,
  // 2: enrolment with provisioning tokens (fleet/enrol through enrolment-store.ts): the tokens, stored hashed,
  // and which token each device enrolled with.
  `
  CREATE TABLE provisioning_tokens (
    id TEXT PRIMARY KEY,
    secret_hash BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    max_uses INTEGER NOT NULL,
    uses INTEGER NOT NULL DEFAULT 0,
    groups TEXT NOT NULL,
    tags TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE device_enrolments (
    device TEXT PRIMARY KEY REFERENCES devices (id) ON DELETE CASCADE,
    token TEXT NOT NULL REFERENCES provisioning_tokens (id)
  ) WITHOUT ROWID;
  `,
  // 3: telemetry history (history.ts): samples of what each device reported, at most one per device per sampling
  // interval, pruned by age. Keyed by (device number, time) so a device's samples read back in time order from the
  // key; the time index serves the pruning across all devices. A sample names its device by a small integer
  // (sample_devices) rather than the 52-character PeerId, which the key and the time index would each repeat:
  // that halves the bytes per sample.
  `
  CREATE TABLE sample_devices (
    n INTEGER PRIMARY KEY,
    device TEXT NOT NULL UNIQUE REFERENCES devices (id) ON DELETE CASCADE
  );
  CREATE TABLE device_samples (
    device INTEGER NOT NULL REFERENCES sample_devices (n) ON DELETE CASCADE,
    time INTEGER NOT NULL,
    online INTEGER,
    state TEXT,
    healthy INTEGER,
    version TEXT,
    role TEXT,
    served INTEGER,
    settled TEXT,
    unsettled TEXT,
    balance TEXT,
    rss INTEGER,
    PRIMARY KEY (device, time)
  ) WITHOUT ROWID;
  CREATE INDEX device_samples_time ON device_samples (time);
  `,
];

export const REGISTRY_FORMAT = MIGRATIONS.length;
