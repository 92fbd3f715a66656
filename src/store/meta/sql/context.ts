/**
 * What every SQL operation group shares: where a call runs (`Ctx`: the pool, or a caller's
 * transaction), how several statements become one atomic step (a transaction, or a savepoint
 * inside the caller's), and the small readers and writers of dialect-encoded values.
 */
import { sql, type Kysely } from 'kysely';
import { AlreadyExists, type EntityKind, type UniqueField } from '../errors.js';
import { decodeMarker, type ListOptions } from '../pagination.js';
import type { PrincipalBindings, Tag } from '../records.js';
import { assertNotInOwnTransaction, assertOpen, StoreMisuse, type TxScope } from '../txScope.js';
import type { SqlCodec, SqlDialectAdapter } from './dialect.js';
import type { Database, DbJson } from './schema.js';

/** The Kysely handle of the metadata database. */
export type Db = Kysely<Database>;

/** The open database a store and all its transactions share. */
export interface Root {
  readonly db: Db;
  readonly adapter: SqlDialectAdapter;
  closed: boolean;
}

/** Runs `fn` inside a savepoint of `trx`, rolled back if `fn` throws. */
export async function withSavepoint<T>(trx: Db, depth: number, fn: () => Promise<T>): Promise<T> {
  const name = sql.raw(`crossdock_sp_${depth}`);
  await sql`savepoint ${name}`.execute(trx);
  try {
    const out = await fn();
    await sql`release savepoint ${name}`.execute(trx);
    return out;
  } catch (e) {
    await sql`rollback to savepoint ${name}`.execute(trx);
    await sql`release savepoint ${name}`.execute(trx);
    throw e;
  }
}

/** Where a call runs: on the shared connection pool, or inside a caller's transaction. */
export class Ctx {
  constructor(
    readonly root: Root,
    readonly trx: Db | undefined,
    readonly scope: TxScope | undefined,
    readonly depth: number,
  ) {}

  get codec(): SqlCodec {
    return this.root.adapter.codec;
  }

  /** The executor for a single statement. */
  db(): Db {
    if (this.trx !== undefined) {
      assertOpen(this.scope);
      return this.trx;
    }
    assertNotInOwnTransaction(this.root);
    if (this.root.closed) throw new StoreMisuse('metadata store is closed');
    return this.root.db;
  }

  /** Runs several statements as one: a transaction, or a savepoint inside the caller's. */
  async atomic<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    const db = this.db();
    const trx = this.trx;
    if (trx !== undefined) return withSavepoint(trx, this.depth + 1, () => fn(trx));
    return db.transaction().execute(fn);
  }

  /** Inserts, turning a unique violation the checks missed (a race) into `AlreadyExists`. */
  async insert(
    entity: EntityKind,
    key: string,
    field: UniqueField,
    run: () => Promise<unknown>,
  ): Promise<void> {
    try {
      await run();
    } catch (e) {
      if (this.root.adapter.isUniqueViolation(e)) throw new AlreadyExists(entity, key, field);
      throw e;
    }
  }
}

export const scoped = (accountId: string, name: string): string => `${accountId}/${name}`;
export const opt = <T>(v: T | null): T | undefined => (v === null ? undefined : v);
export const afterKey = (
  opts: ListOptions | undefined,
  entity: EntityKind,
  arity = 1,
): readonly string[] | undefined =>
  opts?.marker === undefined ? undefined : decodeMarker(opts.marker, arity, entity);
/** `path` starts with `prefix`, counted in characters as both SQLite and PostgreSQL count them. */
export const pathStartsWith = (column: string, prefix: string) =>
  sql<boolean>`substr(${sql.ref(column)}, 1, ${[...prefix].length}) = ${prefix}`;

export function corrupt(what: string): Error {
  return new Error(`corrupt metadata: ${what}`);
}

export function readTags(c: SqlCodec, v: DbJson): Tag[] {
  const parsed = c.readJson(v);
  if (!Array.isArray(parsed)) throw corrupt('tags');
  return parsed.map((t: unknown) => {
    if (typeof t !== 'object' || t === null) throw corrupt('tag');
    const { key, value } = t as { key?: unknown; value?: unknown };
    if (typeof key !== 'string' || typeof value !== 'string') throw corrupt('tag');
    return { key, value };
  });
}

export function readStrings(c: SqlCodec, v: DbJson): string[] {
  const parsed = c.readJson(v);
  if (!Array.isArray(parsed) || !parsed.every((x): x is string => typeof x === 'string'))
    throw corrupt('string list');
  return parsed;
}

/** Principal bindings (ARN → unique id) from a nullable JSON column; `undefined` when none. */
export function readBindings(c: SqlCodec, v: DbJson | null): PrincipalBindings | undefined {
  if (v === null) return undefined;
  const parsed = c.readJson(v);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw corrupt('principals');
  const out: Record<string, string> = {};
  for (const [arn, id] of Object.entries(parsed)) {
    if (typeof id !== 'string') throw corrupt('principals');
    out[arn] = id;
  }
  return out;
}

/** Principal bindings for a nullable JSON column: `null` when there are none. */
export const writeBindings = (c: SqlCodec, b: PrincipalBindings | undefined): DbJson | null =>
  b === undefined || Object.keys(b).length === 0 ? null : c.json(b);

export const writeTags = (c: SqlCodec, tags: readonly Tag[]): DbJson =>
  c.json(tags.map((t) => ({ key: t.key, value: t.value })));

/** Whether a query finds a row. */
export async function exists(q: { executeTakeFirst(): Promise<unknown> }): Promise<boolean> {
  return (await q.executeTakeFirst()) !== undefined;
}
