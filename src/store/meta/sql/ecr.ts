/**
 * The ECR groups of the metadata store over SQL (tables of migration `0002_ecr`, described in
 * `migrations.ts`). Repository-scoped calls first resolve the repository's internal id (one
 * indexed lookup), so children are found by `(repo_id, …)` primary keys. Calls that read before
 * they write, or read several tables, run atomically (a savepoint inside a caller's transaction).
 */
import { sql, type Selectable } from 'kysely';
import {
  canonBlobLink,
  canonImage,
  canonImageInfo,
  canonImageTag,
  canonRegistry,
  canonReplicationConfiguration,
  canonReplicationJob,
  canonRepository,
  canonScanningConfiguration,
  canonStringMap,
  canonUpload,
  compact,
} from '../canonical.js';
import {
  byDistinctPrefix,
  creationTemplateToJson,
  distinct,
  planImageDelete,
  pullThroughCacheRuleToJson,
  readCreationTemplates,
  readExclusionFilters,
  readPullThroughCacheRules,
  readReplicationConfiguration,
  readScanningConfiguration,
  readStringMap,
  sortedDistinct,
  tagLimit,
} from '../ecrRules.js';
import { AlreadyExists, Conflict, NotFound } from '../errors.js';
import { repositoryKey } from '../keys.js';
import {
  DEFAULT_REPLICATION_LEASE_MS,
  type BlobLinkOps,
  type ImageDeleteResult,
  type ImageListOptions,
  type ImageOps,
  type ImageReferences,
  type NewBlobLink,
  type PutImageResult,
  type RegistryOps,
  type RegistryPatch,
  type ReplicationJobPatch,
  type ReplicationOps,
  type RepositoryListOptions,
  type RepositoryOps,
  type RepositoryPatch,
  type TagList,
  type TagListOptions,
  type TagOps,
  type UploadOps,
  type UploadPatch,
  type VersionExpectation,
} from '../MetadataStore.js';
import { compareText, pageFromRows, pageSize, type ListOptions, type Page } from '../pagination.js';
import type {
  BlobLink,
  Image,
  ImageInfo,
  ImageTag,
  ImageTagMutability,
  NewImage,
  NewReplicationJob,
  NewRepository,
  NewUpload,
  Registry,
  ReplicationJob,
  ReplicationState,
  Repository,
  RepositoryRef,
  Upload,
  UploadState,
} from '../records.js';
import {
  afterKey,
  corrupt,
  exists,
  opt,
  readBindings,
  readStrings,
  readTags,
  writeBindings,
  writeTags,
  type Ctx,
  type Db,
} from './context.js';
import type { SqlCodec } from './dialect.js';
import type {
  ImagesTable,
  RegistriesTable,
  ReplicationJobsTable,
  RepositoriesTable,
  RepositoryBlobsTable,
  UploadsTable,
} from './schema.js';

// ---- shared helpers ----------------------------------------------------------------------------

/** Advances a store-wide counter and returns its new value. */
async function nextCounter(db: Db, name: 'change' | 'repository_id'): Promise<number> {
  await db
    .updateTable('meta_counters')
    .set({ value: sql<number>`value + 1` })
    .where('name', '=', name)
    .execute();
  const r = await db.selectFrom('meta_counters').select('value').where('name', '=', name).executeTakeFirst();
  if (r === undefined) throw corrupt(`counter ${name}`);
  return Number(r.value);
}

async function findRepoId(db: Db, ref: RepositoryRef): Promise<number | undefined> {
  const r = await db
    .selectFrom('repositories')
    .select('id')
    .where('account_id', '=', ref.accountId)
    .where('region', '=', ref.region)
    .where('name', '=', ref.name)
    .executeTakeFirst();
  return r === undefined ? undefined : Number(r.id);
}

async function mustRepoId(db: Db, ref: RepositoryRef): Promise<number> {
  const id = await findRepoId(db, ref);
  if (id === undefined) throw new NotFound('repository', repositoryKey(ref));
  return id;
}

/**
 * Runs a statement over a long list in slices, keeping each statement well below every
 * dialect's parameter limit (a 4 MiB manifest can name tens of thousands of blobs).
 */
async function inSlices<T, R>(
  items: readonly T[],
  run: (slice: T[]) => Promise<R[]>,
  size = 500,
): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await run(items.slice(i, i + size))));
  return out;
}

/** Inserts rows in slices (three parameters a row). */
async function insertSlices<T>(rows: readonly T[], insert: (slice: T[]) => Promise<unknown>): Promise<void> {
  await inSlices(
    rows,
    async (slice) => {
      await insert(slice);
      return [];
    },
    200,
  );
}

const imageKey = (ref: RepositoryRef, digest: string): string => `${repositoryKey(ref)}@${digest}`;

// ---- repositories ------------------------------------------------------------------------------

function toRepository(c: SqlCodec, r: Selectable<RepositoriesTable>): Repository {
  return canonRepository({
    accountId: r.account_id,
    region: r.region,
    name: r.name,
    arn: r.arn,
    createdAt: c.readTime(r.created_at),
    imageTagMutability: r.image_tag_mutability as ImageTagMutability,
    imageTagMutabilityExclusionFilters: readExclusionFilters(
      c.readJson(r.mutability_exclusion_filters),
      'exclusion filters',
    ),
    scanOnPush: c.readBool(r.scan_on_push),
    encryption: compact({
      encryptionType: r.encryption_type as Repository['encryption']['encryptionType'],
      kmsKey: opt(r.kms_key),
    }),
    tags: readTags(c, r.tags),
    policyText: opt(r.policy_text),
    policyPrincipals: readBindings(c, r.policy_principals),
    lifecyclePolicyText: opt(r.lifecycle_policy_text),
    lifecycleEvaluatedAt:
      r.lifecycle_evaluated_at === null ? undefined : c.readTime(r.lifecycle_evaluated_at),
    lifecyclePreviewText: opt(r.lifecycle_preview_text),
    lifecyclePreviewStartedAt:
      r.lifecycle_preview_at === null ? undefined : c.readTime(r.lifecycle_preview_at),
    catalogDataText: opt(r.catalog_data),
    version: Number(r.version),
  });
}

async function findRepoRow(
  db: Db,
  accountId: string,
  region: string,
  name: string,
): Promise<Selectable<RepositoriesTable> | undefined> {
  return db
    .selectFrom('repositories')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('region', '=', region)
    .where('name', '=', name)
    .executeTakeFirst();
}

/** Deletes everything that hangs from a repository (not the repository row itself). */
async function deleteRepositoryContents(db: Db, repoId: number): Promise<void> {
  for (const table of [
    'tags',
    'image_children',
    'image_blobs',
    'images',
    'repository_blobs',
    'uploads',
  ] as const) {
    await db.deleteFrom(table).where('repo_id', '=', repoId).execute();
  }
}

export class SqlRepositories implements RepositoryOps {
  constructor(private readonly c: Ctx) {}

  async create(r: NewRepository): Promise<Repository> {
    const c = this.c.codec;
    return this.c.atomic(async (db) => {
      const key = repositoryKey(r);
      if ((await findRepoId(db, r)) !== undefined) throw new AlreadyExists('repository', key, 'name');
      const id = await nextCounter(db, 'repository_id');
      const version = await nextCounter(db, 'change');
      await this.c.insert('repository', key, 'name', () =>
        db
          .insertInto('repositories')
          .values({
            id,
            account_id: r.accountId,
            region: r.region,
            name: r.name,
            arn: r.arn,
            created_at: c.time(r.createdAt),
            image_tag_mutability: r.imageTagMutability,
            mutability_exclusion_filters: c.json(r.imageTagMutabilityExclusionFilters),
            scan_on_push: c.bool(r.scanOnPush),
            encryption_type: r.encryption.encryptionType,
            kms_key: r.encryption.kmsKey ?? null,
            tags: writeTags(c, r.tags),
            policy_text: r.policyText ?? null,
            policy_principals: writeBindings(c, r.policyPrincipals),
            lifecycle_policy_text: r.lifecyclePolicyText ?? null,
            lifecycle_evaluated_at:
              r.lifecycleEvaluatedAt === undefined ? null : c.time(r.lifecycleEvaluatedAt),
            lifecycle_preview_text: r.lifecyclePreviewText ?? null,
            lifecycle_preview_at:
              r.lifecyclePreviewStartedAt === undefined ? null : c.time(r.lifecyclePreviewStartedAt),
            catalog_data: r.catalogDataText ?? null,
            version,
          })
          .execute(),
      );
      return canonRepository({ ...r, version });
    });
  }

  async get(accountId: string, region: string, name: string): Promise<Repository | undefined> {
    const r = await findRepoRow(this.c.db(), accountId, region, name);
    return r === undefined ? undefined : toRepository(this.c.codec, r);
  }

  async list(accountId: string, region: string, opts?: RepositoryListOptions): Promise<Page<Repository>> {
    const after = afterKey(opts, 'repository');
    const size = pageSize(opts);
    let q = this.c
      .db()
      .selectFrom('repositories')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('region', '=', region);
    if (opts?.names !== undefined) {
      if (opts.names.length === 0) return { items: [] };
      q = q.where('name', 'in', distinct(opts.names));
    }
    const prefix = opts?.namePrefix;
    if (prefix !== undefined && prefix !== '') {
      q = q.where(sql<boolean>`substr(${sql.ref('name')}, 1, ${[...prefix].length}) = ${prefix}`);
    }
    if (after !== undefined) q = q.where('name', '>', after[0] as string);
    const rows = await q
      .orderBy('name')
      .limit(size + 1)
      .execute();
    return pageFromRows(
      rows,
      size,
      (r) => [r.name],
      (r) => toRepository(this.c.codec, r),
    );
  }

  async listAll(opts?: ListOptions & { readonly withLifecyclePolicy?: boolean }): Promise<Page<Repository>> {
    const after = afterKey(opts, 'repository', 3);
    const size = pageSize(opts);
    let q = this.c.db().selectFrom('repositories').selectAll();
    if (opts?.withLifecyclePolicy === true) q = q.where('lifecycle_policy_text', 'is not', null);
    if (after !== undefined) {
      const [a, r, n] = after as [string, string, string];
      q = q.where((eb) =>
        eb.or([
          eb('account_id', '>', a),
          eb.and([eb('account_id', '=', a), eb('region', '>', r)]),
          eb.and([eb('account_id', '=', a), eb('region', '=', r), eb('name', '>', n)]),
        ]),
      );
    }
    const rows = await q
      .orderBy('account_id')
      .orderBy('region')
      .orderBy('name')
      .limit(size + 1)
      .execute();
    return pageFromRows(
      rows,
      size,
      (r) => [r.account_id, r.region, r.name],
      (r) => toRepository(this.c.codec, r),
    );
  }

  async update(
    accountId: string,
    region: string,
    name: string,
    patch: RepositoryPatch,
    expect?: VersionExpectation,
  ): Promise<Repository> {
    const c = this.c.codec;
    return this.c.atomic(async (db) => {
      const key = repositoryKey({ accountId, region, name });
      const row = await findRepoRow(db, accountId, region, name);
      if (row === undefined) throw new NotFound('repository', key);
      if (expect?.version !== undefined && expect.version !== Number(row.version)) {
        throw new Conflict('repository', key, 'VersionMismatch');
      }
      const values: Partial<RepositoriesTable> = { version: await nextCounter(db, 'change') };
      if (patch.imageTagMutability !== undefined) values.image_tag_mutability = patch.imageTagMutability;
      if (patch.imageTagMutabilityExclusionFilters !== undefined) {
        values.mutability_exclusion_filters = c.json(patch.imageTagMutabilityExclusionFilters);
      }
      if (patch.scanOnPush !== undefined) values.scan_on_push = c.bool(patch.scanOnPush);
      if (patch.tags !== undefined) values.tags = writeTags(c, patch.tags);
      if (patch.policyText !== undefined) values.policy_text = patch.policyText;
      if (patch.policyPrincipals !== undefined)
        values.policy_principals = writeBindings(c, patch.policyPrincipals ?? undefined);
      if (patch.lifecyclePolicyText !== undefined) values.lifecycle_policy_text = patch.lifecyclePolicyText;
      if (patch.lifecycleEvaluatedAt !== undefined) {
        values.lifecycle_evaluated_at =
          patch.lifecycleEvaluatedAt === null ? null : c.time(patch.lifecycleEvaluatedAt);
      }
      if (patch.lifecyclePreviewText !== undefined)
        values.lifecycle_preview_text = patch.lifecyclePreviewText;
      if (patch.lifecyclePreviewStartedAt !== undefined) {
        values.lifecycle_preview_at =
          patch.lifecyclePreviewStartedAt === null ? null : c.time(patch.lifecyclePreviewStartedAt);
      }
      if (patch.catalogDataText !== undefined) values.catalog_data = patch.catalogDataText;
      await db.updateTable('repositories').set(values).where('id', '=', Number(row.id)).execute();
      const next = await findRepoRow(db, accountId, region, name);
      if (next === undefined) throw corrupt('repository vanished');
      return toRepository(c, next);
    });
  }

  async delete(
    accountId: string,
    region: string,
    name: string,
    opts?: { readonly force?: boolean },
  ): Promise<Repository> {
    return this.c.atomic(async (db) => {
      const key = repositoryKey({ accountId, region, name });
      const row = await findRepoRow(db, accountId, region, name);
      if (row === undefined) throw new NotFound('repository', key);
      const id = Number(row.id);
      if (
        opts?.force !== true &&
        (await exists(db.selectFrom('images').select('digest').where('repo_id', '=', id)))
      ) {
        throw new Conflict('repository', key, 'HasImages');
      }
      await deleteRepositoryContents(db, id);
      await db.deleteFrom('repositories').where('id', '=', id).execute();
      return toRepository(this.c.codec, row);
    });
  }
}

// ---- images ------------------------------------------------------------------------------------

const INFO_COLUMNS = [
  'digest',
  'media_type',
  'artifact_type',
  'config_digest',
  'config_media_type',
  'subject_digest',
  'annotations',
  'manifest_size',
  'image_size',
  'pushed_at',
  'last_pulled_at',
] as const;

type InfoRow = Pick<Selectable<ImagesTable>, (typeof INFO_COLUMNS)[number]>;

function toImageInfo(c: SqlCodec, r: InfoRow, tags: readonly string[]): ImageInfo {
  return canonImageInfo({
    digest: r.digest,
    mediaType: r.media_type,
    artifactType: opt(r.artifact_type),
    configDigest: opt(r.config_digest),
    configMediaType: opt(r.config_media_type),
    subjectDigest: opt(r.subject_digest),
    annotations: r.annotations === null ? undefined : readStringMap(c.readJson(r.annotations), 'annotations'),
    manifestSize: Number(r.manifest_size),
    imageSize: Number(r.image_size),
    pushedAt: c.readTime(r.pushed_at),
    lastPulledAt: r.last_pulled_at === null ? undefined : c.readTime(r.last_pulled_at),
    tags,
  });
}

/** The tags of some manifests of a repository, each list in byte order. */
async function tagsOf(db: Db, repoId: number, digests: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (digests.length === 0) return out;
  const rows = await inSlices(distinct(digests), (slice) =>
    db
      .selectFrom('tags')
      .select(['digest', 'tag'])
      .where('repo_id', '=', repoId)
      .where('digest', 'in', slice)
      .orderBy('tag')
      .execute(),
  );
  rows.sort((a, b) => compareText(a.tag, b.tag));
  for (const r of rows) {
    const list = out.get(r.digest);
    if (list === undefined) out.set(r.digest, [r.tag]);
    else list.push(r.tag);
  }
  return out;
}

async function withTags(c: SqlCodec, db: Db, repoId: number, rows: readonly InfoRow[]): Promise<ImageInfo[]> {
  const tags = await tagsOf(
    db,
    repoId,
    rows.map((r) => r.digest),
  );
  return rows.map((r) => toImageInfo(c, r, tags.get(r.digest) ?? []));
}

async function loadImage(c: SqlCodec, db: Db, repoId: number, digest: string): Promise<Image | undefined> {
  const r = await db
    .selectFrom('images')
    .selectAll()
    .where('repo_id', '=', repoId)
    .where('digest', '=', digest)
    .executeTakeFirst();
  if (r === undefined) return undefined;
  const tags = (await tagsOf(db, repoId, [digest])).get(digest) ?? [];
  return canonImage({ ...toImageInfo(c, r, tags), manifest: c.readBytes(r.manifest) });
}

async function loadInfo(c: SqlCodec, db: Db, repoId: number, digest: string): Promise<ImageInfo> {
  const r = await db
    .selectFrom('images')
    .select(INFO_COLUMNS)
    .where('repo_id', '=', repoId)
    .where('digest', '=', digest)
    .executeTakeFirst();
  if (r === undefined) throw corrupt('image vanished');
  const [info] = await withTags(c, db, repoId, [r]);
  return info as ImageInfo;
}

async function imageExists(db: Db, repoId: number, digest: string): Promise<boolean> {
  return exists(
    db.selectFrom('images').select('digest').where('repo_id', '=', repoId).where('digest', '=', digest),
  );
}

/** Points a tag at a digest; returns the digest it pointed at before. */
async function setTag(
  c: SqlCodec,
  db: Db,
  repoId: number,
  tag: string,
  digest: string,
  at: Date,
): Promise<string | undefined> {
  const prev = await db
    .selectFrom('tags')
    .select('digest')
    .where('repo_id', '=', repoId)
    .where('tag', '=', tag)
    .executeTakeFirst();
  if (prev === undefined) {
    await db
      .insertInto('tags')
      .values({ repo_id: repoId, tag, digest, updated_at: c.time(at) })
      .execute();
  } else if (prev.digest !== digest) {
    await db
      .updateTable('tags')
      .set({ digest, updated_at: c.time(at) })
      .where('repo_id', '=', repoId)
      .where('tag', '=', tag)
      .execute();
  }
  return prev?.digest;
}

export class SqlImages implements ImageOps {
  constructor(private readonly c: Ctx) {}

  async put(ref: RepositoryRef, image: NewImage, opts?: { readonly tag?: string }): Promise<PutImageResult> {
    const c = this.c.codec;
    return this.c.atomic(async (db) => {
      const repoId = await mustRepoId(db, ref);
      let created = false;
      if (!(await imageExists(db, repoId, image.digest))) {
        const blobs = sortedDistinct(image.blobs);
        if (blobs.length > 0) {
          const linked = new Set(
            (
              await inSlices(blobs, (slice) =>
                db
                  .selectFrom('repository_blobs')
                  .select('digest')
                  .where('repo_id', '=', repoId)
                  .where('digest', 'in', slice)
                  .execute(),
              )
            ).map((r) => r.digest),
          );
          const missing = blobs.find((b) => !linked.has(b));
          if (missing !== undefined) throw new NotFound('blob', imageKey(ref, missing));
        }
        const children = sortedDistinct(image.children);
        if (children.length > 0) {
          const present = new Set(
            (
              await inSlices(children, (slice) =>
                db
                  .selectFrom('images')
                  .select('digest')
                  .where('repo_id', '=', repoId)
                  .where('digest', 'in', slice)
                  .execute(),
              )
            ).map((r) => r.digest),
          );
          const missing = children.find((d) => !present.has(d));
          if (missing !== undefined) throw new NotFound('image', imageKey(ref, missing));
        }
        await this.c.insert('image', imageKey(ref, image.digest), 'id', () =>
          db
            .insertInto('images')
            .values({
              repo_id: repoId,
              digest: image.digest,
              media_type: image.mediaType,
              artifact_type: image.artifactType ?? null,
              config_digest: image.configDigest ?? null,
              config_media_type: image.configMediaType ?? null,
              subject_digest: image.subjectDigest ?? null,
              annotations: image.annotations === undefined ? null : c.json(canonStringMap(image.annotations)),
              manifest: c.bytes(image.manifest),
              manifest_size: image.manifest.byteLength,
              image_size: image.imageSize,
              pushed_at: c.time(image.pushedAt),
              last_pulled_at: null,
            })
            .execute(),
        );
        await insertSlices(blobs, (slice) =>
          db
            .insertInto('image_blobs')
            .values(slice.map((b) => ({ repo_id: repoId, image_digest: image.digest, blob_digest: b })))
            .execute(),
        );
        await insertSlices(children, (slice) =>
          db
            .insertInto('image_children')
            .values(slice.map((d) => ({ repo_id: repoId, image_digest: image.digest, child_digest: d })))
            .execute(),
        );
        created = true;
      }
      const previousTagDigest =
        opts?.tag === undefined
          ? undefined
          : await setTag(c, db, repoId, opts.tag, image.digest, image.pushedAt);
      return compact({ image: await loadInfo(c, db, repoId, image.digest), created, previousTagDigest });
    });
  }

  async get(ref: RepositoryRef, digest: string): Promise<Image | undefined> {
    return this.c.atomic(async (db) => loadImage(this.c.codec, db, await mustRepoId(db, ref), digest));
  }

  async getByTag(ref: RepositoryRef, tag: string): Promise<Image | undefined> {
    return this.c.atomic(async (db) => {
      const repoId = await mustRepoId(db, ref);
      const t = await db
        .selectFrom('tags')
        .select('digest')
        .where('repo_id', '=', repoId)
        .where('tag', '=', tag)
        .executeTakeFirst();
      return t === undefined ? undefined : loadImage(this.c.codec, db, repoId, t.digest);
    });
  }

  async list(ref: RepositoryRef, opts?: ImageListOptions): Promise<Page<ImageInfo>> {
    const after = afterKey(opts, 'image');
    const size = pageSize(opts);
    return this.c.atomic(async (db) => {
      const repoId = await mustRepoId(db, ref);
      let q = db.selectFrom('images as i').select(INFO_COLUMNS).where('i.repo_id', '=', repoId);
      const filter = opts?.filter ?? 'any';
      if (filter !== 'any') {
        q = q.where((eb) => {
          const tagged = eb.exists(
            eb
              .selectFrom('tags as t')
              .select('t.tag')
              .whereRef('t.repo_id', '=', 'i.repo_id')
              .whereRef('t.digest', '=', 'i.digest'),
          );
          return filter === 'tagged' ? tagged : eb.not(tagged);
        });
      }
      if (after !== undefined) q = q.where('i.digest', '>', after[0] as string);
      const rows = await q
        .orderBy('i.digest')
        .limit(size + 1)
        .execute();
      const page = pageFromRows(
        rows,
        size,
        (r) => [r.digest],
        (r) => r,
      );
      const items = await withTags(this.c.codec, db, repoId, page.items);
      return page.marker === undefined ? { items } : { items, marker: page.marker };
    });
  }

  async references(ref: RepositoryRef, digest: string): Promise<ImageReferences | undefined> {
    return this.c.atomic(async (db) => {
      const repoId = await mustRepoId(db, ref);
      if (!(await imageExists(db, repoId, digest))) return undefined;
      const blobs = await db
        .selectFrom('image_blobs')
        .select('blob_digest')
        .where('repo_id', '=', repoId)
        .where('image_digest', '=', digest)
        .orderBy('blob_digest')
        .execute();
      const children = await db
        .selectFrom('image_children')
        .select('child_digest')
        .where('repo_id', '=', repoId)
        .where('image_digest', '=', digest)
        .orderBy('child_digest')
        .execute();
      return { blobs: blobs.map((r) => r.blob_digest), children: children.map((r) => r.child_digest) };
    });
  }

  async referrers(
    ref: RepositoryRef,
    subjectDigest: string,
    opts?: ListOptions & { readonly artifactType?: string },
  ): Promise<Page<ImageInfo>> {
    const after = afterKey(opts, 'image');
    const size = pageSize(opts);
    return this.c.atomic(async (db) => {
      const repoId = await mustRepoId(db, ref);
      let q = db
        .selectFrom('images')
        .select(INFO_COLUMNS)
        .where('repo_id', '=', repoId)
        .where('subject_digest', '=', subjectDigest);
      if (opts?.artifactType !== undefined) q = q.where('artifact_type', '=', opts.artifactType);
      if (after !== undefined) q = q.where('digest', '>', after[0] as string);
      const rows = await q
        .orderBy('digest')
        .limit(size + 1)
        .execute();
      const page = pageFromRows(
        rows,
        size,
        (r) => [r.digest],
        (r) => r,
      );
      const items = await withTags(this.c.codec, db, repoId, page.items);
      return page.marker === undefined ? { items } : { items, marker: page.marker };
    });
  }

  async markPulled(ref: RepositoryRef, digest: string, at: Date): Promise<void> {
    const c = this.c.codec;
    await this.c.atomic(async (db) => {
      const repoId = await mustRepoId(db, ref);
      if (!(await imageExists(db, repoId, digest))) throw new NotFound('image', imageKey(ref, digest));
      await db
        .updateTable('images')
        .set({ last_pulled_at: c.time(at) })
        .where('repo_id', '=', repoId)
        .where('digest', '=', digest)
        .where((eb) => eb.or([eb('last_pulled_at', 'is', null), eb('last_pulled_at', '<', c.time(at))]))
        .execute();
    });
  }

  async delete(ref: RepositoryRef, digests: readonly string[]): Promise<ImageDeleteResult> {
    return this.c.atomic(async (db) => {
      const repoId = await mustRepoId(db, ref);
      const asked = distinct(digests);
      if (asked.length === 0) return { deleted: [], notFound: [], referencedByIndex: [] };
      const present = new Set(
        (
          await db
            .selectFrom('images')
            .select('digest')
            .where('repo_id', '=', repoId)
            .where('digest', 'in', asked)
            .execute()
        ).map((r) => r.digest),
      );
      const parents = new Map<string, string[]>();
      if (present.size > 0) {
        const rows = await db
          .selectFrom('image_children')
          .select(['image_digest', 'child_digest'])
          .where('repo_id', '=', repoId)
          .where('child_digest', 'in', [...present])
          .execute();
        for (const r of rows)
          parents.set(r.child_digest, [...(parents.get(r.child_digest) ?? []), r.image_digest]);
      }
      const plan = planImageDelete(
        asked,
        (d) => present.has(d),
        (d) => parents.get(d) ?? [],
      );
      const tags = await tagsOf(db, repoId, plan.deletable);
      if (plan.deletable.length > 0) {
        for (const [table, column] of [
          ['tags', 'digest'],
          ['image_blobs', 'image_digest'],
          ['image_children', 'image_digest'],
          ['images', 'digest'],
        ] as const) {
          await db
            .deleteFrom(table)
            .where('repo_id', '=', repoId)
            .where(column, 'in', plan.deletable)
            .execute();
        }
      }
      return {
        deleted: plan.deletable.map((digest) => ({ digest, tags: tags.get(digest) ?? [] })),
        notFound: plan.notFound,
        referencedByIndex: plan.referencedByIndex,
      };
    });
  }
}

// ---- tags --------------------------------------------------------------------------------------

export class SqlTags implements TagOps {
  constructor(private readonly c: Ctx) {}

  private async row(db: Db, repoId: number, tag: string): Promise<ImageTag | undefined> {
    const r = await db
      .selectFrom('tags')
      .selectAll()
      .where('repo_id', '=', repoId)
      .where('tag', '=', tag)
      .executeTakeFirst();
    return r === undefined
      ? undefined
      : canonImageTag({ tag: r.tag, digest: r.digest, updatedAt: this.c.codec.readTime(r.updated_at) });
  }

  async get(ref: RepositoryRef, tag: string): Promise<ImageTag | undefined> {
    return this.c.atomic(async (db) => this.row(db, await mustRepoId(db, ref), tag));
  }

  async put(
    ref: RepositoryRef,
    tag: string,
    digest: string,
    at: Date,
  ): Promise<{ readonly tag: ImageTag; readonly previousDigest?: string }> {
    return this.c.atomic(async (db) => {
      const repoId = await mustRepoId(db, ref);
      if (!(await imageExists(db, repoId, digest))) throw new NotFound('image', imageKey(ref, digest));
      const previousDigest = await setTag(this.c.codec, db, repoId, tag, digest, at);
      const now = await this.row(db, repoId, tag);
      if (now === undefined) throw corrupt('tag vanished');
      return compact({ tag: now, previousDigest });
    });
  }

  async delete(ref: RepositoryRef, tag: string): Promise<ImageTag> {
    return this.c.atomic(async (db) => {
      const repoId = await mustRepoId(db, ref);
      const t = await this.row(db, repoId, tag);
      if (t === undefined) throw new NotFound('tag', `${repositoryKey(ref)}:${tag}`);
      await db.deleteFrom('tags').where('repo_id', '=', repoId).where('tag', '=', tag).execute();
      return t;
    });
  }

  async list(ref: RepositoryRef, opts?: TagListOptions): Promise<TagList> {
    const n = tagLimit(opts?.n);
    return this.c.atomic(async (db) => {
      const repoId = await mustRepoId(db, ref);
      if (n === 0) return { items: [], more: false };
      let q = db.selectFrom('tags').selectAll().where('repo_id', '=', repoId);
      if (opts?.last !== undefined) q = q.where('tag', '>', opts.last);
      q = q.orderBy('tag');
      if (n !== undefined) q = q.limit(n + 1);
      const rows = await q.execute();
      const items = rows
        .slice(0, n ?? rows.length)
        .map((r) =>
          canonImageTag({ tag: r.tag, digest: r.digest, updatedAt: this.c.codec.readTime(r.updated_at) }),
        );
      return { items, more: n !== undefined && rows.length > n };
    });
  }
}

// ---- blob links --------------------------------------------------------------------------------

type LinkRow = Selectable<RepositoryBlobsTable> & { image_count: number | string | bigint | null };

function linksQuery(db: Db, repoId: number) {
  return db
    .selectFrom('repository_blobs as l')
    .selectAll('l')
    .select((eb) =>
      eb
        .selectFrom('image_blobs as b')
        .whereRef('b.repo_id', '=', 'l.repo_id')
        .whereRef('b.blob_digest', '=', 'l.digest')
        .select((e) => e.fn.countAll<number>().as('n'))
        .as('image_count'),
    )
    .where('l.repo_id', '=', repoId);
}

function toLink(c: SqlCodec, r: LinkRow): BlobLink {
  return canonBlobLink({
    digest: r.digest,
    size: Number(r.size),
    linkedAt: c.readTime(r.linked_at),
    imageCount: Number(r.image_count ?? 0),
  });
}

export class SqlBlobLinks implements BlobLinkOps {
  constructor(private readonly c: Ctx) {}

  private async one(db: Db, repoId: number, digest: string): Promise<BlobLink | undefined> {
    const r = await linksQuery(db, repoId).where('l.digest', '=', digest).executeTakeFirst();
    return r === undefined ? undefined : toLink(this.c.codec, r);
  }

  async link(ref: RepositoryRef, blob: NewBlobLink): Promise<BlobLink> {
    const c = this.c.codec;
    return this.c.atomic(async (db) => {
      const repoId = await mustRepoId(db, ref);
      const existing = await this.one(db, repoId, blob.digest);
      if (existing !== undefined) return existing;
      await this.c.insert('blob', imageKey(ref, blob.digest), 'id', () =>
        db
          .insertInto('repository_blobs')
          .values({ repo_id: repoId, digest: blob.digest, size: blob.size, linked_at: c.time(blob.linkedAt) })
          .execute(),
      );
      const now = await this.one(db, repoId, blob.digest);
      if (now === undefined) throw corrupt('blob link vanished');
      return now;
    });
  }

  async get(ref: RepositoryRef, digest: string): Promise<BlobLink | undefined> {
    return this.c.atomic(async (db) => this.one(db, await mustRepoId(db, ref), digest));
  }

  async isLinked(ref: RepositoryRef, digest: string): Promise<boolean> {
    return this.c.atomic(async (db) => {
      const repoId = await mustRepoId(db, ref);
      return exists(
        db
          .selectFrom('repository_blobs')
          .select('digest')
          .where('repo_id', '=', repoId)
          .where('digest', '=', digest),
      );
    });
  }

  async getMany(ref: RepositoryRef, digests: readonly string[]): Promise<BlobLink[]> {
    return this.c.atomic(async (db) => {
      const repoId = await mustRepoId(db, ref);
      const wanted = distinct(digests);
      if (wanted.length === 0) return [];
      const rows = await inSlices(wanted, (slice) =>
        linksQuery(db, repoId).where('l.digest', 'in', slice).execute(),
      );
      const byDigest = new Map(rows.map((r) => [r.digest, toLink(this.c.codec, r)]));
      return wanted.flatMap((d) => {
        const l = byDigest.get(d);
        return l === undefined ? [] : [l];
      });
    });
  }

  async list(ref: RepositoryRef, opts?: ListOptions): Promise<Page<BlobLink>> {
    const after = afterKey(opts, 'blob');
    const size = pageSize(opts);
    return this.c.atomic(async (db) => {
      let q = linksQuery(db, await mustRepoId(db, ref));
      if (after !== undefined) q = q.where('l.digest', '>', after[0] as string);
      const rows = await q
        .orderBy('l.digest')
        .limit(size + 1)
        .execute();
      return pageFromRows(
        rows,
        size,
        (r) => [r.digest],
        (r) => toLink(this.c.codec, r),
      );
    });
  }

  async unlink(ref: RepositoryRef, digest: string): Promise<void> {
    await this.c.atomic(async (db) => {
      const repoId = await mustRepoId(db, ref);
      const key = imageKey(ref, digest);
      if (
        !(await exists(
          db
            .selectFrom('repository_blobs')
            .select('digest')
            .where('repo_id', '=', repoId)
            .where('digest', '=', digest),
        ))
      ) {
        throw new NotFound('blob', key);
      }
      if (
        await exists(
          db
            .selectFrom('image_blobs')
            .select('blob_digest')
            .where('repo_id', '=', repoId)
            .where('blob_digest', '=', digest),
        )
      ) {
        throw new Conflict('blob', key, 'BlobInUse');
      }
      await db
        .deleteFrom('repository_blobs')
        .where('repo_id', '=', repoId)
        .where('digest', '=', digest)
        .execute();
    });
  }

  async referencedAnywhere(digest: string): Promise<boolean> {
    return this.c.atomic(
      async (db) =>
        (await exists(db.selectFrom('repository_blobs').select('digest').where('digest', '=', digest))) ||
        (await exists(
          db.selectFrom('image_blobs').select('blob_digest').where('blob_digest', '=', digest),
        )) ||
        (await exists(db.selectFrom('uploads').select('id').where('digest', '=', digest))),
    );
  }

  async referencedAnywhereLocked(digest: string): Promise<boolean> {
    return this.c.atomic(async (db) => {
      // A write that changes nothing: SQLite takes its one write lock for the rest of the
      // transaction, so no writer of this or another process commits until it ends.
      await db
        .updateTable('meta_counters')
        .set({ value: sql<number>`value` })
        .where('name', '=', 'change')
        .execute();
      return (
        (await exists(db.selectFrom('repository_blobs').select('digest').where('digest', '=', digest))) ||
        (await exists(
          db.selectFrom('image_blobs').select('blob_digest').where('blob_digest', '=', digest),
        )) ||
        (await exists(db.selectFrom('uploads').select('id').where('digest', '=', digest)))
      );
    });
  }
}

// ---- uploads -----------------------------------------------------------------------------------

type UploadRow = Selectable<UploadsTable> & { account_id: string; region: string; name: string };

function uploadsQuery(db: Db) {
  return db
    .selectFrom('uploads as u')
    .innerJoin('repositories as r', 'r.id', 'u.repo_id')
    .selectAll('u')
    .select(['r.account_id', 'r.region', 'r.name']);
}

function toUpload(c: SqlCodec, r: UploadRow): Upload {
  return canonUpload({
    id: r.id,
    repository: { accountId: r.account_id, region: r.region, name: r.name },
    state: r.state as UploadState,
    size: Number(r.size),
    partCount: Number(r.part_count),
    lastPartSize: r.last_part_size === null ? undefined : Number(r.last_part_size),
    firstSmallPart: r.first_small_part === null ? undefined : Number(r.first_small_part),
    createdAt: c.readTime(r.created_at),
    updatedAt: c.readTime(r.updated_at),
    digest: opt(r.digest),
  });
}

export class SqlUploads implements UploadOps {
  constructor(private readonly c: Ctx) {}

  private async one(db: Db, id: string): Promise<Upload | undefined> {
    const r = await uploadsQuery(db).where('u.id', '=', id).executeTakeFirst();
    return r === undefined ? undefined : toUpload(this.c.codec, r);
  }

  async create(u: NewUpload): Promise<Upload> {
    const c = this.c.codec;
    return this.c.atomic(async (db) => {
      const repoId = await mustRepoId(db, u.repository);
      if (await exists(db.selectFrom('uploads').select('id').where('id', '=', u.id))) {
        throw new AlreadyExists('upload', u.id, 'id');
      }
      await this.c.insert('upload', u.id, 'id', () =>
        db
          .insertInto('uploads')
          .values({
            id: u.id,
            repo_id: repoId,
            state: 'IN_PROGRESS',
            size: 0,
            part_count: 0,
            created_at: c.time(u.createdAt),
            updated_at: c.time(u.createdAt),
            digest: null,
            last_part_size: null,
            first_small_part: null,
          })
          .execute(),
      );
      const now = await this.one(db, u.id);
      if (now === undefined) throw corrupt('upload vanished');
      return now;
    });
  }

  async get(id: string): Promise<Upload | undefined> {
    return this.one(this.c.db(), id);
  }

  async update(
    id: string,
    patch: UploadPatch,
    expect?: { readonly size?: number; readonly state?: UploadState },
  ): Promise<Upload> {
    const c = this.c.codec;
    return this.c.atomic(async (db) => {
      const u = await this.one(db, id);
      if (u === undefined) throw new NotFound('upload', id);
      if (
        (expect?.size !== undefined && expect.size !== u.size) ||
        (expect?.state !== undefined && expect.state !== u.state)
      ) {
        throw new Conflict('upload', id, 'UploadChanged');
      }
      const values: Partial<UploadsTable> = { updated_at: c.time(patch.updatedAt) };
      if (patch.state !== undefined) values.state = patch.state;
      if (patch.size !== undefined) values.size = patch.size;
      if (patch.partCount !== undefined) values.part_count = patch.partCount;
      if (patch.lastPartSize !== undefined) values.last_part_size = patch.lastPartSize;
      if (patch.firstSmallPart !== undefined) values.first_small_part = patch.firstSmallPart;
      if (patch.digest !== undefined) values.digest = patch.digest;
      await db.updateTable('uploads').set(values).where('id', '=', id).execute();
      const now = await this.one(db, id);
      if (now === undefined) throw corrupt('upload vanished');
      return now;
    });
  }

  async delete(id: string): Promise<void> {
    const res = await this.c.db().deleteFrom('uploads').where('id', '=', id).executeTakeFirst();
    if (Number(res.numDeletedRows) === 0) throw new NotFound('upload', id);
  }

  async list(
    opts?: ListOptions & {
      readonly repository?: RepositoryRef;
      readonly states?: readonly UploadState[];
      readonly updatedBefore?: Date;
    },
  ): Promise<Page<Upload>> {
    const after = afterKey(opts, 'upload');
    const size = pageSize(opts);
    let q = uploadsQuery(this.c.db());
    if (opts?.repository !== undefined) {
      q = q
        .where('r.account_id', '=', opts.repository.accountId)
        .where('r.region', '=', opts.repository.region)
        .where('r.name', '=', opts.repository.name);
    }
    if (opts?.states !== undefined) {
      if (opts.states.length === 0) return { items: [] };
      q = q.where('u.state', 'in', [...opts.states]);
    }
    if (opts?.updatedBefore !== undefined)
      q = q.where('u.updated_at', '<', this.c.codec.time(opts.updatedBefore));
    if (after !== undefined) q = q.where('u.id', '>', after[0] as string);
    const rows = await q
      .orderBy('u.id')
      .limit(size + 1)
      .execute();
    return pageFromRows(
      rows,
      size,
      (r) => [r.id],
      (r) => toUpload(this.c.codec, r),
    );
  }
}

// ---- replication -------------------------------------------------------------------------------

function toJob(c: SqlCodec, r: Selectable<ReplicationJobsTable>): ReplicationJob {
  return canonReplicationJob({
    id: r.id,
    source: {
      accountId: r.source_account_id,
      region: r.source_region,
      repositoryName: r.source_repository,
      digest: r.source_digest,
    },
    destination: { region: r.destination_region, registryId: r.destination_registry_id },
    tags: readStrings(c, r.tags),
    state: r.state as ReplicationState,
    attempts: Number(r.attempts),
    nextAttemptAt: c.readTime(r.next_attempt_at),
    createdAt: c.readTime(r.created_at),
    updatedAt: c.readTime(r.updated_at),
    worker: opt(r.worker),
    failureReason: opt(r.failure_reason),
  });
}

export class SqlReplication implements ReplicationOps {
  constructor(private readonly c: Ctx) {}

  private async one(db: Db, id: string): Promise<ReplicationJob | undefined> {
    const r = await db.selectFrom('replication_jobs').selectAll().where('id', '=', id).executeTakeFirst();
    return r === undefined ? undefined : toJob(this.c.codec, r);
  }

  async enqueue(job: NewReplicationJob): Promise<ReplicationJob> {
    const c = this.c.codec;
    return this.c.atomic(async (db) => {
      if (await exists(db.selectFrom('replication_jobs').select('id').where('id', '=', job.id))) {
        throw new AlreadyExists('replicationJob', job.id, 'id');
      }
      await this.c.insert('replicationJob', job.id, 'id', () =>
        db
          .insertInto('replication_jobs')
          .values({
            id: job.id,
            source_account_id: job.source.accountId,
            source_region: job.source.region,
            source_repository: job.source.repositoryName,
            source_digest: job.source.digest,
            destination_region: job.destination.region,
            destination_registry_id: job.destination.registryId,
            tags: c.json([...job.tags]),
            state: 'PENDING',
            attempts: 0,
            next_attempt_at: c.time(job.nextAttemptAt ?? job.createdAt),
            created_at: c.time(job.createdAt),
            updated_at: c.time(job.createdAt),
            worker: null,
            failure_reason: null,
          })
          .execute(),
      );
      const now = await this.one(db, job.id);
      if (now === undefined) throw corrupt('replication job vanished');
      return now;
    });
  }

  async get(id: string): Promise<ReplicationJob | undefined> {
    return this.one(this.c.db(), id);
  }

  async list(
    opts?: ListOptions & {
      readonly source?: {
        readonly accountId: string;
        readonly region: string;
        readonly repositoryName: string;
        readonly digest?: string;
      };
      readonly states?: readonly ReplicationState[];
    },
  ): Promise<Page<ReplicationJob>> {
    const after = afterKey(opts, 'replicationJob');
    const size = pageSize(opts);
    let q = this.c.db().selectFrom('replication_jobs').selectAll();
    const src = opts?.source;
    if (src !== undefined) {
      q = q
        .where('source_account_id', '=', src.accountId)
        .where('source_region', '=', src.region)
        .where('source_repository', '=', src.repositoryName);
      if (src.digest !== undefined) q = q.where('source_digest', '=', src.digest);
    }
    if (opts?.states !== undefined) {
      if (opts.states.length === 0) return { items: [] };
      q = q.where('state', 'in', [...opts.states]);
    }
    if (after !== undefined) q = q.where('id', '>', after[0] as string);
    const rows = await q
      .orderBy('id')
      .limit(size + 1)
      .execute();
    return pageFromRows(
      rows,
      size,
      (r) => [r.id],
      (r) => toJob(this.c.codec, r),
    );
  }

  async claimNext(
    now: Date,
    opts?: { readonly leaseUntil?: Date; readonly worker?: string },
  ): Promise<ReplicationJob | undefined> {
    const c = this.c.codec;
    const leaseUntil = opts?.leaseUntil ?? new Date(now.getTime() + DEFAULT_REPLICATION_LEASE_MS);
    return this.c.atomic(async (db) => {
      // A conditional update claims the candidate: should another connection claim it first (a
      // dialect running claims in parallel), nothing is updated and the next candidate is tried.
      for (;;) {
        const candidate = await db
          .selectFrom('replication_jobs')
          .select(['id', 'state', 'attempts'])
          .where('state', 'in', ['PENDING', 'IN_PROGRESS'])
          .where('next_attempt_at', '<=', c.time(now))
          .orderBy('next_attempt_at')
          .orderBy('id')
          .limit(1)
          .executeTakeFirst();
        if (candidate === undefined) return undefined;
        const res = await db
          .updateTable('replication_jobs')
          .set({
            state: 'IN_PROGRESS',
            attempts: Number(candidate.attempts) + 1,
            next_attempt_at: c.time(leaseUntil),
            worker: opts?.worker ?? null,
            updated_at: c.time(now),
          })
          .where('id', '=', candidate.id)
          .where('state', '=', candidate.state)
          .where('attempts', '=', Number(candidate.attempts))
          .executeTakeFirst();
        if (Number(res.numUpdatedRows) === 1) return this.one(db, candidate.id);
      }
    });
  }

  async update(
    id: string,
    patch: ReplicationJobPatch,
    expect?: { readonly attempts?: number },
  ): Promise<ReplicationJob> {
    const c = this.c.codec;
    return this.c.atomic(async (db) => {
      const job = await this.one(db, id);
      if (job === undefined) throw new NotFound('replicationJob', id);
      if (expect?.attempts !== undefined && expect.attempts !== job.attempts) {
        throw new Conflict('replicationJob', id, 'StaleClaim');
      }
      const values: Partial<ReplicationJobsTable> = {
        state: patch.state,
        updated_at: c.time(patch.updatedAt),
      };
      if (patch.nextAttemptAt !== undefined) values.next_attempt_at = c.time(patch.nextAttemptAt);
      if (patch.failureReason !== undefined) values.failure_reason = patch.failureReason;
      if (patch.state !== 'IN_PROGRESS') values.worker = null;
      await db.updateTable('replication_jobs').set(values).where('id', '=', id).execute();
      const next = await this.one(db, id);
      if (next === undefined) throw corrupt('replication job vanished');
      return next;
    });
  }

  async delete(id: string): Promise<void> {
    const res = await this.c.db().deleteFrom('replication_jobs').where('id', '=', id).executeTakeFirst();
    if (Number(res.numDeletedRows) === 0) throw new NotFound('replicationJob', id);
  }
}

// ---- registries --------------------------------------------------------------------------------

function toRegistry(c: SqlCodec, r: Selectable<RegistriesTable>): Registry {
  return canonRegistry({
    accountId: r.account_id,
    region: r.region,
    policyText: opt(r.policy_text),
    policyPrincipals: readBindings(c, r.policy_principals),
    replicationConfiguration:
      r.replication_configuration === null
        ? undefined
        : readReplicationConfiguration(c.readJson(r.replication_configuration)),
    scanningConfiguration:
      r.scanning_configuration === null
        ? undefined
        : readScanningConfiguration(c.readJson(r.scanning_configuration)),
    pullThroughCacheRules: readPullThroughCacheRules(c.readJson(r.pull_through_cache_rules)),
    creationTemplates: readCreationTemplates(c.readJson(r.creation_templates)),
    accountSettings: readStringMap(c.readJson(r.account_settings), 'account settings'),
    catalogDataText: opt(r.catalog_data),
    version: Number(r.version),
    updatedAt: c.readTime(r.updated_at),
  });
}

export class SqlRegistries implements RegistryOps {
  constructor(private readonly c: Ctx) {}

  private async row(
    db: Db,
    accountId: string,
    region: string,
  ): Promise<Selectable<RegistriesTable> | undefined> {
    return db
      .selectFrom('registries')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('region', '=', region)
      .executeTakeFirst();
  }

  async get(accountId: string, region: string): Promise<Registry | undefined> {
    const r = await this.row(this.c.db(), accountId, region);
    return r === undefined ? undefined : toRegistry(this.c.codec, r);
  }

  async put(
    accountId: string,
    region: string,
    patch: RegistryPatch,
    expect?: VersionExpectation,
  ): Promise<Registry> {
    const c = this.c.codec;
    const key = `${accountId}/${region}`;
    return this.c.atomic(async (db) => {
      const row = await this.row(db, accountId, region);
      const current = row === undefined ? undefined : toRegistry(c, row);
      if (expect?.version !== undefined && expect.version !== (current?.version ?? 0)) {
        throw new Conflict('registry', key, 'VersionMismatch');
      }
      const rules =
        patch.pullThroughCacheRules === undefined
          ? (current?.pullThroughCacheRules ?? [])
          : byDistinctPrefix(patch.pullThroughCacheRules, 'pullThroughCacheRule', key);
      const templates =
        patch.creationTemplates === undefined
          ? (current?.creationTemplates ?? [])
          : byDistinctPrefix(patch.creationTemplates, 'repositoryCreationTemplate', key);
      const pick = <T>(p: T | null | undefined, cur: T | undefined): T | undefined =>
        p === null ? undefined : (p ?? cur);
      const replication = pick(patch.replicationConfiguration, current?.replicationConfiguration);
      const scanning = pick(patch.scanningConfiguration, current?.scanningConfiguration);
      const values = {
        policy_text: pick(patch.policyText, current?.policyText) ?? null,
        policy_principals: writeBindings(c, pick(patch.policyPrincipals, current?.policyPrincipals)),
        replication_configuration:
          replication === undefined ? null : c.json(canonReplicationConfiguration(replication)),
        scanning_configuration: scanning === undefined ? null : c.json(canonScanningConfiguration(scanning)),
        pull_through_cache_rules: c.json(rules.map(pullThroughCacheRuleToJson)),
        creation_templates: c.json(templates.map(creationTemplateToJson)),
        account_settings: c.json(canonStringMap(patch.accountSettings ?? current?.accountSettings ?? {})),
        catalog_data: pick(patch.catalogDataText, current?.catalogDataText) ?? null,
        version: await nextCounter(db, 'change'),
        updated_at: c.time(patch.updatedAt),
      };
      if (row === undefined) {
        await this.c.insert('registry', key, 'id', () =>
          db
            .insertInto('registries')
            .values({ account_id: accountId, region, ...values })
            .execute(),
        );
      } else {
        await db
          .updateTable('registries')
          .set(values)
          .where('account_id', '=', accountId)
          .where('region', '=', region)
          .execute();
      }
      const next = await this.row(db, accountId, region);
      if (next === undefined) throw corrupt('registry vanished');
      return toRegistry(c, next);
    });
  }
}
