/**
 * Secrets Manager secrets over SQL (table `secrets` of `0008_secrets`, described in
 * `migrations.ts`). Versions are one JSON column: a secret has a handful, read and written whole.
 */
import type { Selectable } from 'kysely';
import { canonSecret } from '../canonical.js';
import { AlreadyExists, NotFound } from '../errors.js';
import type { SecretOps, SecretPatch } from '../MetadataStore.js';
import { pageFromRows, pageSize, type ListOptions, type Page } from '../pagination.js';
import type { Secret, SecretVersion } from '../records.js';
import { asSealedSecret } from '../secrets.js';
import { afterKey, corrupt, exists, opt, readTags, writeTags, type Ctx, type Db } from './context.js';
import type { SqlCodec } from './dialect.js';
import type { SecretsTable } from './schema.js';

function readVersions(c: SqlCodec, v: SecretsTable['versions']): SecretVersion[] {
  const parsed = c.readJson(v);
  if (!Array.isArray(parsed)) throw corrupt('secret versions');
  return parsed.map((x: unknown) => {
    const o = x as { id?: unknown; stages?: unknown; kind?: unknown; value?: unknown; createdAt?: unknown };
    if (
      typeof o?.id !== 'string' ||
      !Array.isArray(o.stages) ||
      !o.stages.every((s): s is string => typeof s === 'string') ||
      (o.kind !== 'string' && o.kind !== 'binary') ||
      typeof o.value !== 'string' ||
      typeof o.createdAt !== 'number'
    )
      throw corrupt('secret version');
    return {
      id: o.id,
      stages: o.stages,
      kind: o.kind,
      value: asSealedSecret(o.value),
      createdAt: new Date(o.createdAt),
    };
  });
}

const writeVersions = (c: SqlCodec, versions: readonly SecretVersion[]) =>
  c.json(
    versions.map((v) => ({
      id: v.id,
      stages: [...v.stages],
      kind: v.kind,
      value: v.value,
      createdAt: v.createdAt.getTime(),
    })),
  );

function toSecret(c: SqlCodec, r: Selectable<SecretsTable>): Secret {
  return canonSecret({
    accountId: r.account_id,
    region: r.region,
    name: r.name,
    arn: r.arn,
    description: opt(r.description),
    tags: readTags(c, r.tags),
    versions: readVersions(c, r.versions),
    createdAt: c.readTime(r.created_at),
    lastChangedAt: c.readTime(r.last_changed_at),
    deletedAt: r.deleted_at === null ? undefined : c.readTime(r.deleted_at),
    deletionDate: r.deletion_date === null ? undefined : c.readTime(r.deletion_date),
  });
}

/** The `secrets` group of the SQL drivers. */
export class SqlSecrets implements SecretOps {
  constructor(private readonly c: Ctx) {}

  private row(db: Db, accountId: string, region: string, name: string) {
    return db
      .selectFrom('secrets')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('region', '=', region)
      .where('name', '=', name)
      .executeTakeFirst();
  }

  async create(secret: Secret): Promise<Secret> {
    const c = this.c.codec;
    const key = `${secret.accountId}/${secret.region}/${secret.name}`;
    await this.c.atomic(async (db) => {
      if ((await this.row(db, secret.accountId, secret.region, secret.name)) !== undefined)
        throw new AlreadyExists('secret', key, 'name');
      if (await exists(db.selectFrom('secrets').select('arn').where('arn', '=', secret.arn)))
        throw new AlreadyExists('secret', secret.arn, 'arn');
      await this.c.insert('secret', key, 'name', () =>
        db
          .insertInto('secrets')
          .values({
            arn: secret.arn,
            account_id: secret.accountId,
            region: secret.region,
            name: secret.name,
            description: secret.description ?? null,
            tags: writeTags(c, secret.tags),
            versions: writeVersions(c, secret.versions),
            created_at: c.time(secret.createdAt),
            last_changed_at: c.time(secret.lastChangedAt),
            deleted_at: secret.deletedAt === undefined ? null : c.time(secret.deletedAt),
            deletion_date: secret.deletionDate === undefined ? null : c.time(secret.deletionDate),
          })
          .execute(),
      );
    });
    return canonSecret(secret);
  }

  async get(accountId: string, region: string, name: string): Promise<Secret | undefined> {
    const r = await this.row(this.c.db(), accountId, region, name);
    return r === undefined ? undefined : toSecret(this.c.codec, r);
  }

  async getByArn(arn: string): Promise<Secret | undefined> {
    const r = await this.c.db().selectFrom('secrets').selectAll().where('arn', '=', arn).executeTakeFirst();
    return r === undefined ? undefined : toSecret(this.c.codec, r);
  }

  async list(accountId: string, region: string, opts?: ListOptions): Promise<Page<Secret>> {
    const after = afterKey(opts, 'secret');
    const size = pageSize(opts);
    let q = this.c
      .db()
      .selectFrom('secrets')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('region', '=', region);
    if (after !== undefined) q = q.where('name', '>', after[0]!);
    const rows = await q
      .orderBy('name')
      .limit(size + 1)
      .execute();
    return pageFromRows(
      rows,
      size,
      (r) => [r.name],
      (r) => toSecret(this.c.codec, r),
    );
  }

  async update(accountId: string, region: string, name: string, patch: SecretPatch): Promise<Secret> {
    const c = this.c.codec;
    return this.c.atomic(async (db) => {
      const r = await this.row(db, accountId, region, name);
      if (r === undefined) throw new NotFound('secret', `${accountId}/${region}/${name}`);
      const time = (d: Date | null | undefined, cur: SecretsTable['deleted_at']) =>
        d === undefined ? cur : d === null ? null : c.time(d);
      await db
        .updateTable('secrets')
        .set({
          description: patch.description === undefined ? r.description : patch.description,
          tags: patch.tags === undefined ? r.tags : writeTags(c, patch.tags),
          versions: patch.versions === undefined ? r.versions : writeVersions(c, patch.versions),
          last_changed_at:
            patch.lastChangedAt === undefined ? r.last_changed_at : c.time(patch.lastChangedAt),
          deleted_at: time(patch.deletedAt, r.deleted_at),
          deletion_date: time(patch.deletionDate, r.deletion_date),
        })
        .where('arn', '=', r.arn)
        .execute();
      return toSecret(
        c,
        (await db.selectFrom('secrets').selectAll().where('arn', '=', r.arn).executeTakeFirst())!,
      );
    });
  }

  async delete(accountId: string, region: string, name: string): Promise<void> {
    await this.c.atomic(async (db) => {
      const r = await this.row(db, accountId, region, name);
      if (r === undefined) throw new NotFound('secret', `${accountId}/${region}/${name}`);
      await db.deleteFrom('secrets').where('arn', '=', r.arn).execute();
    });
  }
}
