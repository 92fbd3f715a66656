/**
 * Everything that differs between SQL dialects, in one place: how timestamps, booleans and JSON
 * are represented, which column types the migrations use, and how a unique-key violation is
 * recognized. The queries (`SqlMetadataStore.ts`) and the migrations (`migrations.ts`) are shared
 * and see a dialect only through this interface; `sqlite/dialect.ts` is the embedded one, and a
 * PostgreSQL driver adds its own.
 */
import type { CreateTableBuilder, Kysely } from 'kysely';
import type { Database, DbBool, DbBytes, DbJson, DbTime } from './schema.js';

/** A column type as Kysely's schema builder takes it (a name such as `'text'`, or a `sql` expression). */
export type ColumnType = Parameters<CreateTableBuilder<string, string>['addColumn']>[1];

/** Converts the dialect-dependent values to and from their TypeScript form. */
export interface SqlCodec {
  time(d: Date): DbTime;
  readTime(v: DbTime): Date;
  bool(b: boolean): DbBool;
  readBool(v: DbBool): boolean;
  json(v: unknown): DbJson;
  readJson(v: DbJson): unknown;
  bytes(b: Uint8Array): DbBytes;
  readBytes(v: DbBytes): Buffer;
}

/** The column types the migrations use. */
export interface SqlColumnTypes {
  /** Free text (documents, descriptions). */
  readonly text: ColumnType;
  /** Text that is compared, sorted or paged on: must order by UTF-8 bytes (PostgreSQL: `COLLATE "C"`). */
  readonly key: ColumnType;
  readonly int: ColumnType;
  /** Integers beyond 32 bits (byte sizes, change numbers); PostgreSQL: `bigint`. */
  readonly bigint: ColumnType;
  /** Binary data (manifest bytes); PostgreSQL: `bytea`. */
  readonly bytes: ColumnType;
  readonly time: ColumnType;
  readonly bool: ColumnType;
  readonly json: ColumnType;
}

/** A SQL dialect as the shared query layer needs it. */
export interface SqlDialectAdapter {
  readonly name: string;
  readonly codec: SqlCodec;
  readonly types: SqlColumnTypes;
  /** Whether an error thrown by the driver is a unique or primary key violation. */
  isUniqueViolation(e: unknown): boolean;
  /** Runs last on the open connection at close, after running work (SQLite: WAL checkpoint). */
  beforeClose?(db: Kysely<Database>): Promise<void>;
}
