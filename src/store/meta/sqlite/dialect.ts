/**
 * The SQLite side of `SqlDialectAdapter`: timestamps are INTEGER epoch milliseconds (exact for
 * `Date`, and they sort), booleans are 0/1, JSON is TEXT, bytes are BLOBs, integers are 64-bit,
 * and text compares with SQLite's default BINARY collation (UTF-8 byte order, the order
 * `pagination.ts` assumes).
 */
import { sql } from 'kysely';
import type { SqlDialectAdapter } from '../sql/dialect.js';
import type { DbBool, DbBytes, DbJson, DbTime } from '../sql/schema.js';

function readTime(v: DbTime): Date {
  if (v instanceof Date) return new Date(v.getTime());
  const ms = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(ms)) throw new Error('corrupt metadata: timestamp');
  return new Date(ms);
}

function readJson(v: DbJson): unknown {
  return typeof v === 'string' ? JSON.parse(v) : v;
}

/** SQLite's codecs, column types and error codes for the shared SQL layer. */
export const sqliteDialect: SqlDialectAdapter = {
  name: 'sqlite',
  codec: {
    time: (d: Date) => d.getTime(),
    readTime,
    bool: (b: boolean) => (b ? 1 : 0),
    readBool: (v: DbBool) => v === 1 || v === true,
    json: (v: unknown) => JSON.stringify(v),
    readJson,
    // better-sqlite3 binds Buffers (not other Uint8Arrays) as BLOBs; this view copies nothing.
    bytes: (b: Uint8Array) => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength)),
    readBytes: (v: DbBytes) => Buffer.from(v),
  },
  types: {
    text: 'text',
    key: 'text',
    int: 'integer',
    bigint: 'integer',
    bytes: 'blob',
    time: 'integer',
    bool: 'integer',
    json: 'text',
  },
  isUniqueViolation(e: unknown): boolean {
    const code = e instanceof Error ? (e as Error & { code?: unknown }).code : undefined;
    return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
  },
  async beforeClose(db) {
    // Fold the write-ahead log back into the database file, so a closed store is one file.
    await sql`pragma wal_checkpoint(TRUNCATE)`.execute(db);
  },
};
