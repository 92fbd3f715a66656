/**
 * The embedded default driver: one SQLite file under the data directory
 * (`DIR/metadata.sqlite`, plus `-wal`/`-shm` while open), driven by better-sqlite3 through
 * Kysely's `SqliteDialect` and the shared SQL layer.
 *
 * Settings: WAL journal (readers never block the writer; a crash loses no committed
 * transaction), `synchronous = FULL` (a transaction acknowledged to a client survives power
 * loss), foreign keys on, and a busy timeout so that a second process (a CLI) waits instead of
 * failing. better-sqlite3 has one connection, so Kysely runs transactions one at a time: they are
 * serializable. `close` checkpoints the WAL into the main file.
 */
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Kysely, SqliteDialect, type SqliteDatabase } from 'kysely';
import type { MetadataStore } from '../MetadataStore.js';
import { migrateToLatest } from '../sql/migrations.js';
import type { Database } from '../sql/schema.js';
import { SqlMetadataStore } from '../sql/SqlMetadataStore.js';
import { sqliteDialect } from './dialect.js';

/** The database file's name inside the data directory. */
export const METADATA_DB_FILE = 'metadata.sqlite';

/** Where the database lives: a data directory, or (tests only) nowhere. */
export type SqliteLocation = { readonly dataDir: string } | { readonly inMemory: true };

/** The part of better-sqlite3's `Database` used here (the package ships no types). */
interface BetterSqliteDatabase extends SqliteDatabase {
  pragma(source: string, options?: { simple?: boolean }): unknown;
  readonly open: boolean;
}
type BetterSqliteConstructor = new (filename: string) => BetterSqliteDatabase;

const BetterSqlite = createRequire(import.meta.url)('better-sqlite3') as BetterSqliteConstructor;

/** How many distinct SQL texts keep a prepared statement (the store issues a few hundred). */
const STATEMENT_CACHE_SIZE = 1000;

/**
 * The database as Kysely sees it, except that `prepare` hands back the statement already prepared
 * for the same SQL text: Kysely prepares on every query, and compiling the SQL again costs more
 * than running it for the point lookups of the hot path (a registry request resolves its token's
 * identity and policies with several). Kysely runs one query at a time on this single connection
 * and the store never streams, so a statement is never in use twice at once. SQLite re-prepares a
 * statement by itself when a migration changes the schema.
 */
function reusingStatements(raw: BetterSqliteDatabase): SqliteDatabase {
  const cache = new Map<string, ReturnType<SqliteDatabase['prepare']>>();
  return {
    close: () => raw.close(),
    prepare(source: string) {
      let stmt = cache.get(source);
      if (stmt === undefined) {
        stmt = raw.prepare(source);
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
        cache.set(source, stmt);
      }
      return stmt;
    },
  };
}

/**
 * The store's `changeStamp`: `total_changes()` counts the rows every statement of this connection
 * wrote (rolled-back ones too, which only costs readers a needless refresh), and
 * `PRAGMA data_version` moves when another connection commits. The counter costs ~0.1 µs; the
 * pragma reads the WAL index (~4 µs), so it is read once per turn of the event loop: a commit by
 * another process is seen from the next turn on.
 */
function changeStampOf(raw: BetterSqliteDatabase): () => string {
  const changes = raw.prepare('select total_changes() as n');
  const version = raw.prepare('pragma data_version');
  let external: string | undefined;
  let closed = 0;
  return () => {
    // Closed: a stamp never seen twice keeps nothing, and the read itself says the store is closed.
    if (!raw.open) return `closed/${++closed}`;
    if (external === undefined) {
      external = String((version.all([])[0] as { data_version: number }).data_version);
      setImmediate(() => (external = undefined));
    }
    return `${(changes.all([])[0] as { n: number }).n}/${external}`;
  };
}

/** Opens (creating and migrating as needed) the metadata store of a data directory. */
export async function openSqliteMetadataStore(location: SqliteLocation): Promise<MetadataStore> {
  let file = ':memory:';
  if ('dataDir' in location) {
    await mkdir(location.dataDir, { recursive: true });
    file = join(location.dataDir, METADATA_DB_FILE);
  }
  const raw = new BetterSqlite(file);
  let db: Kysely<Database> | undefined;
  try {
    if (file !== ':memory:') {
      const mode = raw.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw new Error(`metadata database refused WAL mode (got \`${String(mode)}\`)`);
    }
    raw.pragma('synchronous = FULL');
    raw.pragma('foreign_keys = ON');
    raw.pragma('busy_timeout = 5000');
    db = new Kysely<Database>({ dialect: new SqliteDialect({ database: reusingStatements(raw) }) });
    await migrateToLatest(db, sqliteDialect);
    return Object.assign(new SqlMetadataStore(db, sqliteDialect), { changeStamp: changeStampOf(raw) });
  } catch (e) {
    if (db !== undefined) await db.destroy();
    else raw.close();
    throw e;
  }
}
