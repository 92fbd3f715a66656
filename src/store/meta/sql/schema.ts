/**
 * The tables of the SQL drivers as Kysely sees them. Column values whose representation depends
 * on the dialect (timestamps, booleans, JSON) have the `Db*` types below and pass through the
 * dialect's `SqlCodec`; everything else is text or integer in every dialect. The layout itself is
 * described beside the code that builds it, in `migrations.ts`.
 */

/** A timestamp as a dialect stores it (SQLite: epoch milliseconds; PostgreSQL: `timestamptz`). */
export type DbTime = number | string | Date;
/** A boolean as a dialect stores it (SQLite: 0/1). */
export type DbBool = number | boolean;
/** A JSON value as a dialect stores it (SQLite: text; PostgreSQL: `jsonb`). */
export type DbJson = string | object;
/** Binary data as a dialect stores it (SQLite: BLOB; PostgreSQL: `bytea`); drivers return Buffers. */
export type DbBytes = Uint8Array;
/** A 64-bit integer as a driver returns it (PostgreSQL's `bigint` arrives as a string). */
export type DbBigint = number | string | bigint;

/** `organizations`. */
export interface OrganizationsTable {
  id: string;
  root_id: string;
  management_account_id: string;
  feature_set: string;
  created_at: DbTime;
}

/** `accounts`. */
export interface AccountsTable {
  id: string;
  name: string;
  email: string;
  email_key: string;
  alias: string | null;
  alias_key: string | null;
  status: string;
  organization_id: string | null;
  joined_method: string;
  joined_at: DbTime;
}

/** `create_account_requests`. */
export interface CreateAccountRequestsTable {
  id: string;
  organization_id: string;
  account_name: string;
  email: string;
  state: string;
  requested_at: DbTime;
  completed_at: DbTime | null;
  account_id: string | null;
  failure_reason: string | null;
}

/** `users`. */
export interface UsersTable {
  id: string;
  account_id: string;
  name: string;
  name_key: string;
  path: string;
  created_at: DbTime;
  permissions_boundary_arn: string | null;
  tags: DbJson;
}

/** `roles`. */
export interface RolesTable {
  id: string;
  account_id: string;
  name: string;
  name_key: string;
  path: string;
  created_at: DbTime;
  assume_role_policy_document: string;
  /** JSON object ARN → unique id (migration 0004); null when the trust policy names none. */
  trust_principals: DbJson | null;
  description: string | null;
  max_session_duration: number;
  permissions_boundary_arn: string | null;
  tags: DbJson;
  last_used_at: DbTime | null;
  last_used_region: string | null;
}

/** `access_keys`. */
export interface AccessKeysTable {
  id: string;
  account_id: string;
  user_id: string | null;
  status: string;
  secret: string;
  created_at: DbTime;
  last_used_at: DbTime | null;
  last_used_service: string | null;
  last_used_region: string | null;
}

/** `inline_policies`. */
export interface InlinePoliciesTable {
  owner_kind: string;
  owner_id: string;
  name: string;
  name_key: string;
  document: string;
}

/** `managed_policies`. */
export interface ManagedPoliciesTable {
  id: string;
  account_id: string;
  name: string;
  name_key: string;
  path: string;
  arn: string;
  description: string | null;
  default_version: number;
  next_version: number;
  is_attachable: DbBool;
  created_at: DbTime;
  updated_at: DbTime;
  tags: DbJson;
}

/** `policy_versions`. */
export interface PolicyVersionsTable {
  policy_id: string;
  version: number;
  document: string;
  created_at: DbTime;
}

/** `policy_attachments`. */
export interface PolicyAttachmentsTable {
  owner_kind: string;
  owner_id: string;
  policy_arn: string;
  policy_path: string;
}

/** `instance_profiles`. */
export interface InstanceProfilesTable {
  id: string;
  account_id: string;
  name: string;
  name_key: string;
  path: string;
  created_at: DbTime;
  tags: DbJson;
}

/** `instance_profile_roles`. */
export interface InstanceProfileRolesTable {
  profile_id: string;
  role_id: string;
  position: number;
}

/** `sts_sessions`. */
export interface StsSessionsTable {
  access_key_id: string;
  secret: string;
  session_token_hash: string;
  account_id: string;
  principal_type: string;
  principal_id: string | null;
  principal_name: string | null;
  session_name: string | null;
  issued_at: DbTime;
  expires_at: DbTime;
  session_policy: string | null;
  session_policy_arns: DbJson;
  tags: DbJson;
  transitive_tag_keys: DbJson;
  source_identity: string | null;
  chained: DbBool;
}

// ---- 0002_ecr ---------------------------------------------------------------------------------

/** `meta_counters`: store-wide sequences (`change`, `repository_id`). */
export interface MetaCountersTable {
  name: string;
  value: DbBigint;
}

/** `repositories`. */
export interface RepositoriesTable {
  id: DbBigint;
  account_id: string;
  region: string;
  name: string;
  arn: string;
  created_at: DbTime;
  image_tag_mutability: string;
  mutability_exclusion_filters: DbJson;
  scan_on_push: DbBool;
  encryption_type: string;
  kms_key: string | null;
  tags: DbJson;
  policy_text: string | null;
  /** JSON object ARN → unique id (migration 0004); null when the policy names none. */
  policy_principals: DbJson | null;
  lifecycle_policy_text: string | null;
  lifecycle_evaluated_at: DbTime | null;
  /** Added by 0006_lifecycle_gc. */
  lifecycle_preview_text: string | null;
  /** Added by 0007_public_catalog. */
  catalog_data: string | null;
  lifecycle_preview_at: DbTime | null;
  version: DbBigint;
}

/** `images`: manifests. */
export interface ImagesTable {
  repo_id: DbBigint;
  digest: string;
  media_type: string;
  artifact_type: string | null;
  config_digest: string | null;
  config_media_type: string | null;
  subject_digest: string | null;
  annotations: DbJson | null;
  manifest: DbBytes;
  manifest_size: DbBigint;
  image_size: DbBigint;
  pushed_at: DbTime;
  last_pulled_at: DbTime | null;
}

/** `image_blobs`: blobs a manifest references. */
export interface ImageBlobsTable {
  repo_id: DbBigint;
  image_digest: string;
  blob_digest: string;
}

/** `image_children`: manifests an index references. */
export interface ImageChildrenTable {
  repo_id: DbBigint;
  image_digest: string;
  child_digest: string;
}

/** `tags`: image tags. */
export interface TagsTable {
  repo_id: DbBigint;
  tag: string;
  digest: string;
  updated_at: DbTime;
}

/** `repository_blobs`: blobs linked into repositories. */
export interface RepositoryBlobsTable {
  repo_id: DbBigint;
  digest: string;
  size: DbBigint;
  linked_at: DbTime;
}

/** `uploads`. */
export interface UploadsTable {
  id: string;
  repo_id: DbBigint;
  state: string;
  size: DbBigint;
  part_count: DbBigint;
  created_at: DbTime;
  updated_at: DbTime;
  digest: string | null;
  /** Added by 0009_upload_parts. */
  last_part_size: DbBigint | null;
  /** Added by 0009_upload_parts. */
  first_small_part: DbBigint | null;
}

/** `replication_jobs`. */
export interface ReplicationJobsTable {
  id: string;
  source_account_id: string;
  source_region: string;
  source_repository: string;
  source_digest: string;
  destination_region: string;
  destination_registry_id: string;
  tags: DbJson;
  state: string;
  attempts: DbBigint;
  next_attempt_at: DbTime;
  created_at: DbTime;
  updated_at: DbTime;
  worker: string | null;
  failure_reason: string | null;
}

/** `registries`. */
export interface RegistriesTable {
  account_id: string;
  region: string;
  policy_text: string | null;
  /** JSON object ARN → unique id (migration 0004); null when the policy names none. */
  policy_principals: DbJson | null;
  replication_configuration: DbJson | null;
  scanning_configuration: DbJson | null;
  pull_through_cache_rules: DbJson;
  creation_templates: DbJson;
  account_settings: DbJson;
  /** Added by 0007_public_catalog. */
  catalog_data: string | null;
  version: DbBigint;
  updated_at: DbTime;
}

// ---- 0003_groups_scp --------------------------------------------------------------------------

/** `iam_groups`. */
export interface IamGroupsTable {
  id: string;
  account_id: string;
  name: string;
  name_key: string;
  path: string;
  created_at: DbTime;
}

/** `iam_group_members`. */
export interface IamGroupMembersTable {
  group_id: string;
  user_id: string;
}

/** `org_units`. */
export interface OrgUnitsTable {
  id: string;
  organization_id: string;
  parent_id: string;
  name: string;
  name_key: string;
}

/** `org_account_parents`. */
export interface OrgAccountParentsTable {
  account_id: string;
  parent_id: string;
}

/** `org_policies`. */
export interface OrgPoliciesTable {
  id: string;
  organization_id: string;
  type: string;
  name: string;
  name_key: string;
  description: string;
  content: string;
}

/** `org_policy_attachments`. */
export interface OrgPolicyAttachmentsTable {
  policy_id: string;
  target_id: string;
}

/** `org_policy_types`. */
export interface OrgPolicyTypesTable {
  root_id: string;
  type: string;
}

/** `secrets` (0008_secrets); `versions` holds sealed values only. */
export interface SecretsTable {
  arn: string;
  account_id: string;
  region: string;
  name: string;
  description: string | null;
  tags: DbJson;
  versions: DbJson;
  created_at: DbTime;
  last_changed_at: DbTime;
  deleted_at: DbTime | null;
  deletion_date: DbTime | null;
}

/** Every table, for `Kysely<Database>`. */
export interface Database {
  organizations: OrganizationsTable;
  accounts: AccountsTable;
  create_account_requests: CreateAccountRequestsTable;
  users: UsersTable;
  roles: RolesTable;
  access_keys: AccessKeysTable;
  inline_policies: InlinePoliciesTable;
  managed_policies: ManagedPoliciesTable;
  policy_versions: PolicyVersionsTable;
  policy_attachments: PolicyAttachmentsTable;
  instance_profiles: InstanceProfilesTable;
  instance_profile_roles: InstanceProfileRolesTable;
  sts_sessions: StsSessionsTable;
  meta_counters: MetaCountersTable;
  repositories: RepositoriesTable;
  images: ImagesTable;
  image_blobs: ImageBlobsTable;
  image_children: ImageChildrenTable;
  tags: TagsTable;
  repository_blobs: RepositoryBlobsTable;
  uploads: UploadsTable;
  replication_jobs: ReplicationJobsTable;
  registries: RegistriesTable;
  iam_groups: IamGroupsTable;
  iam_group_members: IamGroupMembersTable;
  org_units: OrgUnitsTable;
  org_account_parents: OrgAccountParentsTable;
  org_policies: OrgPoliciesTable;
  org_policy_attachments: OrgPolicyAttachmentsTable;
  org_policy_types: OrgPolicyTypesTable;
  secrets: SecretsTable;
}
