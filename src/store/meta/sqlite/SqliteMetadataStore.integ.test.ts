import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Kysely, Migrator, SqliteDialect, type SqliteDatabase } from 'kysely';
import { SecretBox } from '../secrets.js';
import { metadataMigrations } from '../sql/migrations.js';
import { sqliteDialect } from './dialect.js';
import { METADATA_DB_FILE, openSqliteMetadataStore } from './SqliteMetadataStore.js';

interface RawDb {
  prepare(sql: string): { all(...p: unknown[]): unknown[]; run(...p: unknown[]): unknown };
  pragma(s: string, o?: { simple?: boolean }): unknown;
  close(): void;
}
const Raw = createRequire(import.meta.url)('better-sqlite3') as new (f: string) => RawDb;

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'crossdock-sqlite-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const T0 = new Date('2026-01-01T00:00:00.123Z');

describe('sqlite metadata store on disk', () => {
  test('lives in one WAL-mode file that close checkpoints', () =>
    withDir(async (dir) => {
      const store = await openSqliteMetadataStore({ dataDir: dir });
      await store.users.create({
        accountId: '111111111111',
        name: 'u',
        path: '/',
        id: 'AIDA1',
        createdAt: T0,
        tags: [],
      });
      assert.ok(
        (await stat(join(dir, `${METADATA_DB_FILE}-wal`))).size > 0,
        'writes go to the WAL while open',
      );
      await store.close();
      await store.close(); // idempotent
      const wal = await stat(join(dir, `${METADATA_DB_FILE}-wal`)).catch(() => undefined);
      assert.ok(wal === undefined || wal.size === 0, 'the WAL is folded into the main file');
      const raw = new Raw(join(dir, METADATA_DB_FILE));
      try {
        assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
        const all = Object.keys(metadataMigrations(sqliteDialect)).sort();
        assert.deepEqual(all.slice(0, 2), ['0001_initial', '0002_ecr']);
        assert.deepEqual(
          raw.prepare('select name from kysely_migration order by name').all(),
          all.map((name) => ({ name })),
          'every migration was applied',
        );
        assert.deepEqual(raw.prepare('select created_at, tags from users').all(), [
          { created_at: T0.getTime(), tags: '[]' },
        ]);
      } finally {
        raw.close();
      }
    }));

  test('a database of the first release is upgraded in place and keeps its data', () =>
    withDir(async (dir) => {
      const raw = new Raw(join(dir, METADATA_DB_FILE));
      const db = new Kysely<unknown>({
        dialect: new SqliteDialect({ database: raw as unknown as SqliteDatabase }),
      });
      const first = metadataMigrations(sqliteDialect)['0001_initial']!;
      const migrator = new Migrator({
        db,
        provider: { getMigrations: async () => ({ '0001_initial': first }) },
      });
      assert.equal((await migrator.migrateToLatest()).error, undefined);
      await db.destroy();
      insertFirstReleaseUser(dir);
      const store = await openSqliteMetadataStore({ dataDir: dir });
      try {
        assert.equal((await store.users.get('111111111111', 'old'))?.id, 'AIDAOLD');
        const repo = await store.repositories.create({
          accountId: '111111111111',
          region: 'us-east-1',
          name: 'app',
          arn: 'arn:aws:ecr:us-east-1:111111111111:repository/app',
          createdAt: T0,
          imageTagMutability: 'MUTABLE',
          imageTagMutabilityExclusionFilters: [],
          scanOnPush: false,
          encryption: { encryptionType: 'AES256' },
          tags: [],
        });
        assert.equal(repo.version, 1, 'the change counter starts with the migration');
      } finally {
        await store.close();
      }
    }));

  test('a database migrated by a newer crossdock is refused', () =>
    withDir(async (dir) => {
      await (await openSqliteMetadataStore({ dataDir: dir })).close();
      const raw = new Raw(join(dir, METADATA_DB_FILE));
      raw.prepare("insert into kysely_migration (name, timestamp) values ('9999_future', 'x')").run();
      raw.close();
      await assert.rejects(openSqliteMetadataStore({ dataDir: dir }), /migration/);
    }));

  test('no plaintext secret reaches the file', () =>
    withDir(async (dir) => {
      const box = await SecretBox.forDataDir(dir);
      const plaintext = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
      const store = await openSqliteMetadataStore({ dataDir: dir });
      const id = 'AKIAIOSFODNN7EXAMPLE';
      await store.accessKeys.create({
        id,
        accountId: '111111111111',
        status: 'Active',
        secret: box.seal(plaintext, id),
        createdAt: T0,
      });
      await store.close();
      assert.ok(!(await readFile(join(dir, METADATA_DB_FILE))).includes(plaintext));
      const again = await openSqliteMetadataStore({ dataDir: dir });
      const key = await again.accessKeys.get(id);
      await again.close();
      assert.equal(box.unseal(key!.secret, id), plaintext);
    }));

  test('an in-memory database works for fast tests', async () => {
    const store = await openSqliteMetadataStore({ inMemory: true });
    await store.organizations.create({
      id: 'o-abcdefghij',
      rootId: 'r-abcd',
      managementAccountId: '111111111111',
      featureSet: 'ALL',
      createdAt: T0,
    });
    assert.equal((await store.organizations.list()).items.length, 1);
    await store.close();
  });
});

/** Writes a user the way the first release would have, straight into a 0001-only database. */
function insertFirstReleaseUser(dir: string): void {
  const raw = new Raw(join(dir, METADATA_DB_FILE));
  try {
    raw
      .prepare(
        'insert into users (id, account_id, name, name_key, path, created_at, permissions_boundary_arn, tags) values (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run('AIDAOLD', '111111111111', 'Old', 'old', '/', T0.getTime(), null, '[]');
  } finally {
    raw.close();
  }
}
