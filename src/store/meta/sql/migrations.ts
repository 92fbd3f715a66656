/**
 * Versioned migrations of the metadata schema, defined in code (no files read at runtime, so a
 * built package carries them) and applied by Kysely's `Migrator`, which records them in
 * `kysely_migration`. A released migration is never edited: changes are a new `NNNN_name` entry.
 *
 * Layout (version 0001):
 *
 *   organizations            id PK; root_id, management_account_id, feature_set, created_at
 *   accounts                 id PK; email_key UNIQUE, alias_key UNIQUE (NULLs allowed), organization_id
 *   create_account_requests  id PK; organization_id, state, account_id once it exists
 *   users                    id PK (AIDA); UNIQUE (account_id, name_key); tags JSON
 *   roles                    id PK (AROA); UNIQUE (account_id, name_key); trust policy, last use
 *   access_keys              id PK (AKIA); user_id → users.id (NULL = the account root); sealed secret
 *   inline_policies          PK (owner_kind, owner_id, name_key); owner is a user or role id
 *   managed_policies         id PK (ANPA); UNIQUE (account_id, name_key); arn UNIQUE;
 *                            default_version and next_version number the versions
 *   policy_versions          PK (policy_id → managed_policies.id ON DELETE CASCADE, version)
 *   policy_attachments       PK (owner_kind, owner_id, policy_arn); INDEX policy_arn; policy_path
 *                            from the ARN for path filters (AWS managed ARNs need no row)
 *   instance_profiles        id PK (AIPA); UNIQUE (account_id, name_key)
 *   instance_profile_roles   PK (profile_id → instance_profiles.id CASCADE, role_id → roles.id);
 *                            position keeps the order roles were added
 *   sts_sessions             access_key_id PK (ASIA); sealed secret, token hash, identity columns,
 *                            JSON policy ARNs, tags and transitive keys; INDEX expires_at
 *
 * `*_key` columns hold the lowercased name computed in TypeScript (`keys.ts`), so uniqueness and
 * ordering agree across dialects; they are of the dialect's `key` type (byte-order collation).
 * Children reference their parent's unique id, never its name, so a user rename touches one row.
 *
 * Layout added by 0002_ecr (everything keyed by registry = (account_id, region)):
 *
 *   meta_counters     name PK; value. `change` numbers repository and registry versions
 *                     store-wide (a re-created repository never repeats a version, so caches
 *                     keyed by version stay sound across nodes); `repository_id` numbers
 *                     repositories. Counters, not AUTOINCREMENT, so every dialect numbers alike.
 *   repositories      id PK (internal, never reused); UNIQUE (account_id, region, name); settings
 *                     as columns, tags and exclusion filters JSON, policy and lifecycle texts
 *   images            PK (repo_id → repositories, digest); raw manifest bytes (≤ 4 MiB) and sizes;
 *                     INDEX (repo_id, subject_digest) for the referrers API
 *   image_blobs       PK (repo_id, image_digest, blob_digest), FK (repo_id, image_digest) → images;
 *                     INDEX blob_digest ("referenced anywhere?" for GC), INDEX (repo_id, blob_digest)
 *   image_children    PK (repo_id, image_digest, child_digest), FK → images; INDEX (repo_id,
 *                     child_digest) ("does an index still need this manifest?")
 *   tags              PK (repo_id, tag) → digest, FK (repo_id, digest) → images; INDEX (repo_id, digest)
 *   repository_blobs  PK (repo_id, digest); size, linked_at; INDEX digest (GC)
 *   uploads           id PK; repo_id → repositories; state, size, part_count; INDEX updated_at
 *                     (cleanup), INDEX digest (a completing upload holds its blob against GC)
 *   replication_jobs  id PK; source (account, region, repository, digest), destination (region,
 *                     registry id), state, attempts, next_attempt_at; INDEX (state, next_attempt_at)
 *                     for claims, INDEX source for DescribeImageReplicationStatus. Sources are named,
 *                     not referenced: a job outlives a deleted repository and reports it.
 *   registries        PK (account_id, region); policy text, replication and scanning documents,
 *                     pull-through rules, creation templates and account settings as JSON (small,
 *                     read whole, changed rarely; guarded by `version`)
 *
 * Children of a repository reference its internal id: deleting and re-creating a repository of
 * the same name can never resurrect old tags, links or uploads.
 *
 * Layout added by 0003_groups_scp (IAM groups; Organizations OUs and service control policies):
 *
 *   iam_groups              id PK (AGPA); UNIQUE (account_id, name_key). Inline policies and
 *                           attachments of groups live in inline_policies / policy_attachments
 *                           with owner_kind 'group'
 *   iam_group_members       PK (group_id → iam_groups.id CASCADE, user_id → users.id); INDEX user_id
 *                           (ListGroupsForUser, and every authorization of an IAM user)
 *   org_units               id PK (ou-…); UNIQUE (parent_id, name_key); parent is the root or an OU
 *   org_account_parents     account_id PK → accounts.id; parent_id (INDEX). No row: under the root
 *   org_policies            id PK (p-…); UNIQUE (organization_id, name_key); type, description, content
 *   org_policy_attachments  PK (policy_id, target_id); INDEX target_id. Not referencing org_policies:
 *                           AWS managed policies (p-FullAWSAccess) are attached without a row
 *   org_policy_types        PK (root_id, type): the policy types enabled on a root
 *
 * Layout added by 0008_secrets (Secrets Manager):
 *
 *   secrets   arn PK (`…:secret:<name>-<6 random characters>`); UNIQUE (account_id, region, name);
 *             description, tags JSON, versions JSON (newest first: id, staging labels, kind, the
 *             value SEALED by the service — never plaintext — and created_at), created_at,
 *             last_changed_at, and deleted_at / deletion_date while a deletion is scheduled
 */
import { Migrator, sql, type Kysely, type Migration } from 'kysely';
import type { SqlDialectAdapter } from './dialect.js';
import type { Database } from './schema.js';

/** The migrations of the metadata schema for one dialect, by name (applied in name order). */
export function metadataMigrations(adapter: SqlDialectAdapter): Record<string, Migration> {
  const t = adapter.types;
  return {
    '0001_initial': {
      async up(db: Kysely<unknown>): Promise<void> {
        await db.schema
          .createTable('organizations')
          .addColumn('id', t.key, (c) => c.primaryKey())
          .addColumn('root_id', t.key, (c) => c.notNull())
          .addColumn('management_account_id', t.key, (c) => c.notNull())
          .addColumn('feature_set', t.key, (c) => c.notNull())
          .addColumn('created_at', t.time, (c) => c.notNull())
          .execute();

        await db.schema
          .createTable('accounts')
          .addColumn('id', t.key, (c) => c.primaryKey())
          .addColumn('name', t.text, (c) => c.notNull())
          .addColumn('email', t.text, (c) => c.notNull())
          .addColumn('email_key', t.key, (c) => c.notNull().unique())
          .addColumn('alias', t.text)
          .addColumn('alias_key', t.key, (c) => c.unique())
          .addColumn('status', t.key, (c) => c.notNull())
          .addColumn('organization_id', t.key)
          .addColumn('joined_method', t.key, (c) => c.notNull())
          .addColumn('joined_at', t.time, (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('accounts_organization')
          .on('accounts')
          .column('organization_id')
          .execute();

        await db.schema
          .createTable('create_account_requests')
          .addColumn('id', t.key, (c) => c.primaryKey())
          .addColumn('organization_id', t.key, (c) => c.notNull())
          .addColumn('account_name', t.text, (c) => c.notNull())
          .addColumn('email', t.text, (c) => c.notNull())
          .addColumn('state', t.key, (c) => c.notNull())
          .addColumn('requested_at', t.time, (c) => c.notNull())
          .addColumn('completed_at', t.time)
          .addColumn('account_id', t.key)
          .addColumn('failure_reason', t.text)
          .execute();

        await db.schema
          .createTable('users')
          .addColumn('id', t.key, (c) => c.primaryKey())
          .addColumn('account_id', t.key, (c) => c.notNull())
          .addColumn('name', t.text, (c) => c.notNull())
          .addColumn('name_key', t.key, (c) => c.notNull())
          .addColumn('path', t.key, (c) => c.notNull())
          .addColumn('created_at', t.time, (c) => c.notNull())
          .addColumn('permissions_boundary_arn', t.text)
          .addColumn('tags', t.json, (c) => c.notNull())
          .addUniqueConstraint('users_account_name', ['account_id', 'name_key'])
          .execute();

        await db.schema
          .createTable('roles')
          .addColumn('id', t.key, (c) => c.primaryKey())
          .addColumn('account_id', t.key, (c) => c.notNull())
          .addColumn('name', t.text, (c) => c.notNull())
          .addColumn('name_key', t.key, (c) => c.notNull())
          .addColumn('path', t.key, (c) => c.notNull())
          .addColumn('created_at', t.time, (c) => c.notNull())
          .addColumn('assume_role_policy_document', t.text, (c) => c.notNull())
          .addColumn('description', t.text)
          .addColumn('max_session_duration', t.int, (c) => c.notNull())
          .addColumn('permissions_boundary_arn', t.text)
          .addColumn('tags', t.json, (c) => c.notNull())
          .addColumn('last_used_at', t.time)
          .addColumn('last_used_region', t.text)
          .addUniqueConstraint('roles_account_name', ['account_id', 'name_key'])
          .execute();

        await db.schema
          .createTable('access_keys')
          .addColumn('id', t.key, (c) => c.primaryKey())
          .addColumn('account_id', t.key, (c) => c.notNull())
          .addColumn('user_id', t.key, (c) => c.references('users.id'))
          .addColumn('status', t.key, (c) => c.notNull())
          .addColumn('secret', t.text, (c) => c.notNull())
          .addColumn('created_at', t.time, (c) => c.notNull())
          .addColumn('last_used_at', t.time)
          .addColumn('last_used_service', t.text)
          .addColumn('last_used_region', t.text)
          .execute();
        await db.schema
          .createIndex('access_keys_owner')
          .on('access_keys')
          .columns(['account_id', 'user_id'])
          .execute();
        await db.schema.createIndex('access_keys_user').on('access_keys').column('user_id').execute();

        await db.schema
          .createTable('inline_policies')
          .addColumn('owner_kind', t.key, (c) => c.notNull())
          .addColumn('owner_id', t.key, (c) => c.notNull())
          .addColumn('name', t.text, (c) => c.notNull())
          .addColumn('name_key', t.key, (c) => c.notNull())
          .addColumn('document', t.text, (c) => c.notNull())
          .addPrimaryKeyConstraint('inline_policies_pk', ['owner_kind', 'owner_id', 'name_key'])
          .execute();

        await db.schema
          .createTable('managed_policies')
          .addColumn('id', t.key, (c) => c.primaryKey())
          .addColumn('account_id', t.key, (c) => c.notNull())
          .addColumn('name', t.text, (c) => c.notNull())
          .addColumn('name_key', t.key, (c) => c.notNull())
          .addColumn('path', t.key, (c) => c.notNull())
          .addColumn('arn', t.key, (c) => c.notNull().unique())
          .addColumn('description', t.text)
          .addColumn('default_version', t.int, (c) => c.notNull())
          .addColumn('next_version', t.int, (c) => c.notNull())
          .addColumn('is_attachable', t.bool, (c) => c.notNull())
          .addColumn('created_at', t.time, (c) => c.notNull())
          .addColumn('updated_at', t.time, (c) => c.notNull())
          .addColumn('tags', t.json, (c) => c.notNull())
          .addUniqueConstraint('managed_policies_account_name', ['account_id', 'name_key'])
          .execute();

        await db.schema
          .createTable('policy_versions')
          .addColumn('policy_id', t.key, (c) =>
            c.notNull().references('managed_policies.id').onDelete('cascade'),
          )
          .addColumn('version', t.int, (c) => c.notNull())
          .addColumn('document', t.text, (c) => c.notNull())
          .addColumn('created_at', t.time, (c) => c.notNull())
          .addPrimaryKeyConstraint('policy_versions_pk', ['policy_id', 'version'])
          .execute();

        await db.schema
          .createTable('policy_attachments')
          .addColumn('owner_kind', t.key, (c) => c.notNull())
          .addColumn('owner_id', t.key, (c) => c.notNull())
          .addColumn('policy_arn', t.key, (c) => c.notNull())
          .addColumn('policy_path', t.key, (c) => c.notNull())
          .addPrimaryKeyConstraint('policy_attachments_pk', ['owner_kind', 'owner_id', 'policy_arn'])
          .execute();
        await db.schema
          .createIndex('policy_attachments_arn')
          .on('policy_attachments')
          .column('policy_arn')
          .execute();

        await db.schema
          .createTable('instance_profiles')
          .addColumn('id', t.key, (c) => c.primaryKey())
          .addColumn('account_id', t.key, (c) => c.notNull())
          .addColumn('name', t.text, (c) => c.notNull())
          .addColumn('name_key', t.key, (c) => c.notNull())
          .addColumn('path', t.key, (c) => c.notNull())
          .addColumn('created_at', t.time, (c) => c.notNull())
          .addColumn('tags', t.json, (c) => c.notNull())
          .addUniqueConstraint('instance_profiles_account_name', ['account_id', 'name_key'])
          .execute();

        await db.schema
          .createTable('instance_profile_roles')
          .addColumn('profile_id', t.key, (c) =>
            c.notNull().references('instance_profiles.id').onDelete('cascade'),
          )
          .addColumn('role_id', t.key, (c) => c.notNull().references('roles.id'))
          .addColumn('position', t.int, (c) => c.notNull())
          .addPrimaryKeyConstraint('instance_profile_roles_pk', ['profile_id', 'role_id'])
          .execute();
        await db.schema
          .createIndex('instance_profile_roles_role')
          .on('instance_profile_roles')
          .column('role_id')
          .execute();

        await db.schema
          .createTable('sts_sessions')
          .addColumn('access_key_id', t.key, (c) => c.primaryKey())
          .addColumn('secret', t.text, (c) => c.notNull())
          .addColumn('session_token_hash', t.key, (c) => c.notNull())
          .addColumn('account_id', t.key, (c) => c.notNull())
          .addColumn('principal_type', t.key, (c) => c.notNull())
          .addColumn('principal_id', t.key)
          .addColumn('principal_name', t.text)
          .addColumn('session_name', t.text)
          .addColumn('issued_at', t.time, (c) => c.notNull())
          .addColumn('expires_at', t.time, (c) => c.notNull())
          .addColumn('session_policy', t.text)
          .addColumn('session_policy_arns', t.json, (c) => c.notNull())
          .addColumn('tags', t.json, (c) => c.notNull())
          .addColumn('transitive_tag_keys', t.json, (c) => c.notNull())
          .addColumn('source_identity', t.text)
          .addColumn('chained', t.bool, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('sts_sessions_expiry').on('sts_sessions').column('expires_at').execute();
      },
    },
    '0002_ecr': {
      async up(db: Kysely<unknown>): Promise<void> {
        await db.schema
          .createTable('meta_counters')
          .addColumn('name', t.key, (c) => c.primaryKey())
          .addColumn('value', t.bigint, (c) => c.notNull())
          .execute();
        await sql`insert into meta_counters (name, value) values ('change', 0), ('repository_id', 0)`.execute(
          db,
        );

        await db.schema
          .createTable('repositories')
          .addColumn('id', t.bigint, (c) => c.primaryKey())
          .addColumn('account_id', t.key, (c) => c.notNull())
          .addColumn('region', t.key, (c) => c.notNull())
          .addColumn('name', t.key, (c) => c.notNull())
          .addColumn('arn', t.text, (c) => c.notNull())
          .addColumn('created_at', t.time, (c) => c.notNull())
          .addColumn('image_tag_mutability', t.key, (c) => c.notNull())
          .addColumn('mutability_exclusion_filters', t.json, (c) => c.notNull())
          .addColumn('scan_on_push', t.bool, (c) => c.notNull())
          .addColumn('encryption_type', t.key, (c) => c.notNull())
          .addColumn('kms_key', t.text)
          .addColumn('tags', t.json, (c) => c.notNull())
          .addColumn('policy_text', t.text)
          .addColumn('lifecycle_policy_text', t.text)
          .addColumn('lifecycle_evaluated_at', t.time)
          .addColumn('version', t.bigint, (c) => c.notNull())
          .addUniqueConstraint('repositories_registry_name', ['account_id', 'region', 'name'])
          .execute();

        await db.schema
          .createTable('images')
          .addColumn('repo_id', t.bigint, (c) =>
            c.notNull().references('repositories.id').onDelete('cascade'),
          )
          .addColumn('digest', t.key, (c) => c.notNull())
          .addColumn('media_type', t.text, (c) => c.notNull())
          .addColumn('artifact_type', t.key)
          .addColumn('config_digest', t.key)
          .addColumn('config_media_type', t.text)
          .addColumn('subject_digest', t.key)
          .addColumn('annotations', t.json)
          .addColumn('manifest', t.bytes, (c) => c.notNull())
          .addColumn('manifest_size', t.bigint, (c) => c.notNull())
          .addColumn('image_size', t.bigint, (c) => c.notNull())
          .addColumn('pushed_at', t.time, (c) => c.notNull())
          .addColumn('last_pulled_at', t.time)
          .addPrimaryKeyConstraint('images_pk', ['repo_id', 'digest'])
          .execute();
        await db.schema
          .createIndex('images_subject')
          .on('images')
          .columns(['repo_id', 'subject_digest'])
          .execute();

        await db.schema
          .createTable('image_blobs')
          .addColumn('repo_id', t.bigint, (c) => c.notNull())
          .addColumn('image_digest', t.key, (c) => c.notNull())
          .addColumn('blob_digest', t.key, (c) => c.notNull())
          .addPrimaryKeyConstraint('image_blobs_pk', ['repo_id', 'image_digest', 'blob_digest'])
          .addForeignKeyConstraint(
            'image_blobs_image',
            ['repo_id', 'image_digest'],
            'images',
            ['repo_id', 'digest'],
            (f) => f.onDelete('cascade'),
          )
          .execute();
        await db.schema.createIndex('image_blobs_blob').on('image_blobs').column('blob_digest').execute();
        await db.schema
          .createIndex('image_blobs_repo_blob')
          .on('image_blobs')
          .columns(['repo_id', 'blob_digest'])
          .execute();

        await db.schema
          .createTable('image_children')
          .addColumn('repo_id', t.bigint, (c) => c.notNull())
          .addColumn('image_digest', t.key, (c) => c.notNull())
          .addColumn('child_digest', t.key, (c) => c.notNull())
          .addPrimaryKeyConstraint('image_children_pk', ['repo_id', 'image_digest', 'child_digest'])
          .addForeignKeyConstraint(
            'image_children_image',
            ['repo_id', 'image_digest'],
            'images',
            ['repo_id', 'digest'],
            (f) => f.onDelete('cascade'),
          )
          .execute();
        await db.schema
          .createIndex('image_children_child')
          .on('image_children')
          .columns(['repo_id', 'child_digest'])
          .execute();

        await db.schema
          .createTable('tags')
          .addColumn('repo_id', t.bigint, (c) => c.notNull())
          .addColumn('tag', t.key, (c) => c.notNull())
          .addColumn('digest', t.key, (c) => c.notNull())
          .addColumn('updated_at', t.time, (c) => c.notNull())
          .addPrimaryKeyConstraint('tags_pk', ['repo_id', 'tag'])
          .addForeignKeyConstraint(
            'tags_image',
            ['repo_id', 'digest'],
            'images',
            ['repo_id', 'digest'],
            (f) => f.onDelete('cascade'),
          )
          .execute();
        await db.schema.createIndex('tags_digest').on('tags').columns(['repo_id', 'digest']).execute();

        await db.schema
          .createTable('repository_blobs')
          .addColumn('repo_id', t.bigint, (c) =>
            c.notNull().references('repositories.id').onDelete('cascade'),
          )
          .addColumn('digest', t.key, (c) => c.notNull())
          .addColumn('size', t.bigint, (c) => c.notNull())
          .addColumn('linked_at', t.time, (c) => c.notNull())
          .addPrimaryKeyConstraint('repository_blobs_pk', ['repo_id', 'digest'])
          .execute();
        await db.schema
          .createIndex('repository_blobs_digest')
          .on('repository_blobs')
          .column('digest')
          .execute();

        await db.schema
          .createTable('uploads')
          .addColumn('id', t.key, (c) => c.primaryKey())
          .addColumn('repo_id', t.bigint, (c) =>
            c.notNull().references('repositories.id').onDelete('cascade'),
          )
          .addColumn('state', t.key, (c) => c.notNull())
          .addColumn('size', t.bigint, (c) => c.notNull())
          .addColumn('part_count', t.bigint, (c) => c.notNull())
          .addColumn('created_at', t.time, (c) => c.notNull())
          .addColumn('updated_at', t.time, (c) => c.notNull())
          .addColumn('digest', t.key)
          .execute();
        await db.schema.createIndex('uploads_repo').on('uploads').column('repo_id').execute();
        await db.schema.createIndex('uploads_updated').on('uploads').column('updated_at').execute();
        await db.schema.createIndex('uploads_digest').on('uploads').column('digest').execute();

        await db.schema
          .createTable('replication_jobs')
          .addColumn('id', t.key, (c) => c.primaryKey())
          .addColumn('source_account_id', t.key, (c) => c.notNull())
          .addColumn('source_region', t.key, (c) => c.notNull())
          .addColumn('source_repository', t.key, (c) => c.notNull())
          .addColumn('source_digest', t.key, (c) => c.notNull())
          .addColumn('destination_region', t.key, (c) => c.notNull())
          .addColumn('destination_registry_id', t.key, (c) => c.notNull())
          .addColumn('tags', t.json, (c) => c.notNull())
          .addColumn('state', t.key, (c) => c.notNull())
          .addColumn('attempts', t.bigint, (c) => c.notNull())
          .addColumn('next_attempt_at', t.time, (c) => c.notNull())
          .addColumn('created_at', t.time, (c) => c.notNull())
          .addColumn('updated_at', t.time, (c) => c.notNull())
          .addColumn('worker', t.text)
          .addColumn('failure_reason', t.text)
          .execute();
        await db.schema
          .createIndex('replication_jobs_due')
          .on('replication_jobs')
          .columns(['state', 'next_attempt_at'])
          .execute();
        await db.schema
          .createIndex('replication_jobs_source')
          .on('replication_jobs')
          .columns(['source_account_id', 'source_region', 'source_repository', 'source_digest'])
          .execute();

        await db.schema
          .createTable('registries')
          .addColumn('account_id', t.key, (c) => c.notNull())
          .addColumn('region', t.key, (c) => c.notNull())
          .addColumn('policy_text', t.text)
          .addColumn('replication_configuration', t.json)
          .addColumn('scanning_configuration', t.json)
          .addColumn('pull_through_cache_rules', t.json, (c) => c.notNull())
          .addColumn('creation_templates', t.json, (c) => c.notNull())
          .addColumn('account_settings', t.json, (c) => c.notNull())
          .addColumn('version', t.bigint, (c) => c.notNull())
          .addColumn('updated_at', t.time, (c) => c.notNull())
          .addPrimaryKeyConstraint('registries_pk', ['account_id', 'region'])
          .execute();
      },
    },
    '0003_groups_scp': {
      async up(db: Kysely<unknown>): Promise<void> {
        await db.schema
          .createTable('iam_groups')
          .addColumn('id', t.key, (c) => c.primaryKey())
          .addColumn('account_id', t.key, (c) => c.notNull())
          .addColumn('name', t.text, (c) => c.notNull())
          .addColumn('name_key', t.key, (c) => c.notNull())
          .addColumn('path', t.key, (c) => c.notNull())
          .addColumn('created_at', t.time, (c) => c.notNull())
          .addUniqueConstraint('iam_groups_account_name', ['account_id', 'name_key'])
          .execute();

        await db.schema
          .createTable('iam_group_members')
          .addColumn('group_id', t.key, (c) => c.notNull().references('iam_groups.id').onDelete('cascade'))
          .addColumn('user_id', t.key, (c) => c.notNull().references('users.id'))
          .addPrimaryKeyConstraint('iam_group_members_pk', ['group_id', 'user_id'])
          .execute();
        await db.schema
          .createIndex('iam_group_members_user')
          .on('iam_group_members')
          .column('user_id')
          .execute();

        await db.schema
          .createTable('org_units')
          .addColumn('id', t.key, (c) => c.primaryKey())
          .addColumn('organization_id', t.key, (c) => c.notNull())
          .addColumn('parent_id', t.key, (c) => c.notNull())
          .addColumn('name', t.text, (c) => c.notNull())
          .addColumn('name_key', t.key, (c) => c.notNull())
          .addUniqueConstraint('org_units_parent_name', ['parent_id', 'name_key'])
          .execute();

        await db.schema
          .createTable('org_account_parents')
          .addColumn('account_id', t.key, (c) => c.primaryKey().references('accounts.id'))
          .addColumn('parent_id', t.key, (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('org_account_parents_parent')
          .on('org_account_parents')
          .column('parent_id')
          .execute();

        await db.schema
          .createTable('org_policies')
          .addColumn('id', t.key, (c) => c.primaryKey())
          .addColumn('organization_id', t.key, (c) => c.notNull())
          .addColumn('type', t.key, (c) => c.notNull())
          .addColumn('name', t.text, (c) => c.notNull())
          .addColumn('name_key', t.key, (c) => c.notNull())
          .addColumn('description', t.text, (c) => c.notNull())
          .addColumn('content', t.text, (c) => c.notNull())
          .addUniqueConstraint('org_policies_org_name', ['organization_id', 'name_key'])
          .execute();

        await db.schema
          .createTable('org_policy_attachments')
          .addColumn('policy_id', t.key, (c) => c.notNull())
          .addColumn('target_id', t.key, (c) => c.notNull())
          .addPrimaryKeyConstraint('org_policy_attachments_pk', ['policy_id', 'target_id'])
          .execute();
        await db.schema
          .createIndex('org_policy_attachments_target')
          .on('org_policy_attachments')
          .column('target_id')
          .execute();

        await db.schema
          .createTable('org_policy_types')
          .addColumn('root_id', t.key, (c) => c.notNull())
          .addColumn('type', t.key, (c) => c.notNull())
          .addPrimaryKeyConstraint('org_policy_types_pk', ['root_id', 'type'])
          .execute();
      },
    },
    '0004_principal_bindings': {
      // The IAM users and roles a resource-based policy named when it was saved, with their unique
      // ids (JSON object ARN → AIDA…/AROA…), as AWS binds them: a principal deleted and created
      // again is not the one the policy names.
      async up(db: Kysely<unknown>): Promise<void> {
        await db.schema.alterTable('roles').addColumn('trust_principals', t.json).execute();
        await db.schema.alterTable('repositories').addColumn('policy_principals', t.json).execute();
        await db.schema.alterTable('registries').addColumn('policy_principals', t.json).execute();
      },
    },
    '0006_lifecycle_gc': {
      // The last lifecycle policy preview of a repository (its policy text and start time), so
      // that GetLifecyclePolicyPreview answers on any node and after a restart.
      async up(db: Kysely<unknown>): Promise<void> {
        await db.schema.alterTable('repositories').addColumn('lifecycle_preview_text', t.text).execute();
        await db.schema.alterTable('repositories').addColumn('lifecycle_preview_at', t.time).execute();
      },
    },
    '0007_public_catalog': {
      // ECR Public's catalog data of a public repository and of a public registry (JSON text).
      async up(db: Kysely<unknown>): Promise<void> {
        await db.schema.alterTable('repositories').addColumn('catalog_data', t.text).execute();
        await db.schema.alterTable('registries').addColumn('catalog_data', t.text).execute();
      },
    },
    '0008_secrets': {
      // Secrets Manager secrets with their versions (values sealed by the service).
      async up(db: Kysely<unknown>): Promise<void> {
        await db.schema
          .createTable('secrets')
          .addColumn('arn', t.key, (c) => c.primaryKey())
          .addColumn('account_id', t.key, (c) => c.notNull())
          .addColumn('region', t.key, (c) => c.notNull())
          .addColumn('name', t.key, (c) => c.notNull())
          .addColumn('description', t.text)
          .addColumn('tags', t.json, (c) => c.notNull())
          .addColumn('versions', t.json, (c) => c.notNull())
          .addColumn('created_at', t.time, (c) => c.notNull())
          .addColumn('last_changed_at', t.time, (c) => c.notNull())
          .addColumn('deleted_at', t.time)
          .addColumn('deletion_date', t.time)
          .addUniqueConstraint('secrets_account_region_name', ['account_id', 'region', 'name'])
          .execute();
      },
    },
    '0009_upload_parts': {
      // The size of an upload's last part and the first part under 5 MiB that another followed,
      // so that CompleteLayerUpload refuses what ECR refuses (LayerPartTooSmallException).
      async up(db: Kysely<unknown>): Promise<void> {
        await db.schema.alterTable('uploads').addColumn('last_part_size', t.bigint).execute();
        await db.schema.alterTable('uploads').addColumn('first_small_part', t.bigint).execute();
      },
    },
  };
}

/** Applies every pending migration; throws the first failure (nothing of that migration remains). */
export async function migrateToLatest(db: Kysely<Database>, adapter: SqlDialectAdapter): Promise<void> {
  const migrations = metadataMigrations(adapter);
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`metadata migration \`${failed}\` failed`, { cause: error });
  }
}
