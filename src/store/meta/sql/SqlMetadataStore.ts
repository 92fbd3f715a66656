/**
 * The metadata store over SQL, shared by every SQL dialect: all queries go through Kysely, and
 * the few things that differ (value codecs, column types, error recognition) come from a
 * `SqlDialectAdapter`. The SQLite driver opens a file and hands the Kysely instance here; a
 * PostgreSQL driver would do the same with its dialect.
 *
 * Every call that reads before it writes (uniqueness and dependents checks, version numbering)
 * runs in a transaction of its own (a savepoint inside a caller's transaction), so each call is
 * atomic and a failing call writes nothing. Unique constraints back the checks up against races;
 * a violation they catch becomes `AlreadyExists` as well.
 */
import { type Kysely, type Selectable } from 'kysely';
import {
  canonAccessKey,
  canonAccount,
  canonCreateAccountRequest,
  canonGroup,
  canonInstanceProfile,
  canonManagedPolicy,
  canonOrganization,
  canonRole,
  canonSession,
  canonUser,
} from '../canonical.js';
import { AlreadyExists, Conflict, NotFound } from '../errors.js';
import { nameKey, parseVersionId, policyPathFromArn } from '../keys.js';
import type {
  AccessKeyOps,
  AccessKeyOwner,
  AccessKeyPatch,
  AccountOps,
  AccountPatch,
  AttachmentOps,
  BlobLinkOps,
  CreateAccountRequestOps,
  ImageOps,
  CreateAccountRequestPatch,
  GroupOps,
  GroupPatch,
  InlinePolicyOps,
  InstanceProfileOps,
  InstanceProfilePatch,
  ManagedPolicyOps,
  ManagedPolicyPatch,
  MetadataStore,
  MetadataTx,
  OrganizationOps,
  OrganizationalUnitOps,
  OrgPolicyOps,
  RegistryOps,
  SecretOps,
  ReplicationOps,
  RepositoryOps,
  RoleOps,
  RolePatch,
  SessionOps,
  TagOps,
  UploadOps,
  UserOps,
  UserPatch,
} from '../MetadataStore.js';
import { pageFromRows, pageSize, type ListOptions, type Page, type PathListOptions } from '../pagination.js';
import {
  MAX_POLICY_VERSIONS,
  type AccessKey,
  type AccessKeyStatus,
  type Account,
  type AccountStatus,
  type CreateAccountRequest,
  type CreateAccountState,
  type Group,
  type InlinePolicy,
  type InstanceProfile,
  type ManagedPolicy,
  type NewInstanceProfile,
  type NewManagedPolicy,
  type Organization,
  type PolicyVersion,
  type PrincipalKind,
  type PrincipalRef,
  type Role,
  type SessionPrincipal,
  type StsSession,
  type User,
} from '../records.js';
import { asSealedSecret } from '../secrets.js';
import { assertNotInOwnTransaction, assertOpen, runInScope, type TxScope } from '../txScope.js';
import {
  afterKey,
  corrupt,
  Ctx,
  exists,
  opt,
  pathStartsWith,
  readBindings,
  readStrings,
  readTags,
  scoped,
  withSavepoint,
  writeBindings,
  writeTags,
  type Db,
} from './context.js';
import type { SqlCodec, SqlDialectAdapter } from './dialect.js';
import {
  SqlBlobLinks,
  SqlImages,
  SqlRegistries,
  SqlReplication,
  SqlRepositories,
  SqlTags,
  SqlUploads,
} from './ecr.js';
import { SqlOrganizationalUnits, SqlOrgPolicies } from './organizations.js';
import { SqlSecrets } from './secrets.js';
import type {
  AccessKeysTable,
  AccountsTable,
  CreateAccountRequestsTable,
  Database,
  IamGroupsTable,
  InstanceProfilesTable,
  ManagedPoliciesTable,
  OrganizationsTable,
  PolicyVersionsTable,
  RolesTable,
  StsSessionsTable,
  UsersTable,
} from './schema.js';

// ---- row mappers -----------------------------------------------------------------------------

function toOrganization(c: SqlCodec, r: Selectable<OrganizationsTable>): Organization {
  return canonOrganization({
    id: r.id,
    rootId: r.root_id,
    managementAccountId: r.management_account_id,
    featureSet: r.feature_set as Organization['featureSet'],
    createdAt: c.readTime(r.created_at),
  });
}

function toAccount(c: SqlCodec, r: Selectable<AccountsTable>): Account {
  return canonAccount({
    id: r.id,
    name: r.name,
    email: r.email,
    alias: opt(r.alias),
    status: r.status as AccountStatus,
    organizationId: opt(r.organization_id),
    joinedMethod: r.joined_method as Account['joinedMethod'],
    joinedAt: c.readTime(r.joined_at),
  });
}

function toRequest(c: SqlCodec, r: Selectable<CreateAccountRequestsTable>): CreateAccountRequest {
  return canonCreateAccountRequest({
    id: r.id,
    organizationId: r.organization_id,
    accountName: r.account_name,
    email: r.email,
    state: r.state as CreateAccountState,
    requestedAt: c.readTime(r.requested_at),
    completedAt: r.completed_at === null ? undefined : c.readTime(r.completed_at),
    accountId: opt(r.account_id),
    failureReason: opt(r.failure_reason),
  });
}

function toUser(c: SqlCodec, r: Selectable<UsersTable>): User {
  return canonUser({
    accountId: r.account_id,
    name: r.name,
    path: r.path,
    id: r.id,
    createdAt: c.readTime(r.created_at),
    permissionsBoundaryArn: opt(r.permissions_boundary_arn),
    tags: readTags(c, r.tags),
  });
}

function toRole(c: SqlCodec, r: Selectable<RolesTable>): Role {
  return canonRole({
    accountId: r.account_id,
    name: r.name,
    path: r.path,
    id: r.id,
    createdAt: c.readTime(r.created_at),
    assumeRolePolicyDocument: r.assume_role_policy_document,
    trustPrincipals: readBindings(c, r.trust_principals),
    description: opt(r.description),
    maxSessionDuration: Number(r.max_session_duration),
    permissionsBoundaryArn: opt(r.permissions_boundary_arn),
    tags: readTags(c, r.tags),
    lastUsed:
      r.last_used_at === null
        ? undefined
        : { at: c.readTime(r.last_used_at), region: r.last_used_region ?? '' },
  });
}

type KeyRow = Selectable<AccessKeysTable> & { user_name: string | null };

function toAccessKey(c: SqlCodec, r: KeyRow): AccessKey {
  return canonAccessKey({
    id: r.id,
    accountId: r.account_id,
    userName: opt(r.user_name),
    status: r.status as AccessKeyStatus,
    secret: asSealedSecret(r.secret),
    createdAt: c.readTime(r.created_at),
    lastUsed:
      r.last_used_at === null
        ? undefined
        : {
            at: c.readTime(r.last_used_at),
            service: r.last_used_service ?? '',
            region: r.last_used_region ?? '',
          },
  });
}

type PolicyRow = Selectable<ManagedPoliciesTable> & { attachment_count: number | string | bigint | null };

function toPolicy(c: SqlCodec, r: PolicyRow): ManagedPolicy {
  return canonManagedPolicy({
    accountId: r.account_id,
    name: r.name,
    path: r.path,
    id: r.id,
    arn: r.arn,
    description: opt(r.description),
    defaultVersionId: `v${r.default_version}`,
    isAttachable: c.readBool(r.is_attachable),
    attachmentCount: Number(r.attachment_count ?? 0),
    createdAt: c.readTime(r.created_at),
    updatedAt: c.readTime(r.updated_at),
    tags: readTags(c, r.tags),
  });
}

function toSession(c: SqlCodec, r: Selectable<StsSessionsTable>): StsSession {
  let principal: SessionPrincipal;
  if (r.principal_type === 'AssumedRole') {
    principal = {
      type: 'AssumedRole',
      roleId: r.principal_id ?? '',
      roleName: r.principal_name ?? '',
      sessionName: r.session_name ?? '',
    };
  } else if (r.principal_type === 'User') {
    principal = { type: 'User', userId: r.principal_id ?? '', userName: r.principal_name ?? '' };
  } else if (r.principal_type === 'Root') {
    principal = { type: 'Root' };
  } else {
    throw corrupt('session principal');
  }
  return canonSession({
    accessKeyId: r.access_key_id,
    secret: asSealedSecret(r.secret),
    sessionTokenHash: r.session_token_hash,
    accountId: r.account_id,
    principal,
    issuedAt: c.readTime(r.issued_at),
    expiresAt: c.readTime(r.expires_at),
    sessionPolicy: opt(r.session_policy),
    sessionPolicyArns: readStrings(c, r.session_policy_arns),
    tags: readTags(c, r.tags),
    transitiveTagKeys: readStrings(c, r.transitive_tag_keys),
    sourceIdentity: opt(r.source_identity),
    chained: c.readBool(r.chained),
  });
}

// ---- shared lookups --------------------------------------------------------------------------

async function findUserRow(
  db: Db,
  accountId: string,
  name: string,
): Promise<Selectable<UsersTable> | undefined> {
  return db
    .selectFrom('users')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('name_key', '=', nameKey(name))
    .executeTakeFirst();
}

async function findRoleRow(
  db: Db,
  accountId: string,
  name: string,
): Promise<Selectable<RolesTable> | undefined> {
  return db
    .selectFrom('roles')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('name_key', '=', nameKey(name))
    .executeTakeFirst();
}

async function mustUserId(db: Db, accountId: string, name: string): Promise<string> {
  const row = await db
    .selectFrom('users')
    .select('id')
    .where('account_id', '=', accountId)
    .where('name_key', '=', nameKey(name))
    .executeTakeFirst();
  if (row === undefined) throw new NotFound('user', scoped(accountId, name));
  return row.id;
}

async function mustRoleId(db: Db, accountId: string, name: string): Promise<string> {
  const row = await db
    .selectFrom('roles')
    .select('id')
    .where('account_id', '=', accountId)
    .where('name_key', '=', nameKey(name))
    .executeTakeFirst();
  if (row === undefined) throw new NotFound('role', scoped(accountId, name));
  return row.id;
}

async function findGroupRow(
  db: Db,
  accountId: string,
  name: string,
): Promise<Selectable<IamGroupsTable> | undefined> {
  return db
    .selectFrom('iam_groups')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('name_key', '=', nameKey(name))
    .executeTakeFirst();
}

async function mustGroupRow(db: Db, accountId: string, name: string): Promise<Selectable<IamGroupsTable>> {
  const row = await findGroupRow(db, accountId, name);
  if (row === undefined) throw new NotFound('group', scoped(accountId, name));
  return row;
}

function toGroup(c: SqlCodec, r: Selectable<IamGroupsTable>): Group {
  return canonGroup({
    accountId: r.account_id,
    name: r.name,
    path: r.path,
    id: r.id,
    createdAt: c.readTime(r.created_at),
  });
}

async function mustOwnerId(db: Db, ref: PrincipalRef): Promise<string> {
  switch (ref.kind) {
    case 'user':
      return mustUserId(db, ref.accountId, ref.name);
    case 'role':
      return mustRoleId(db, ref.accountId, ref.name);
    case 'group':
      return (await mustGroupRow(db, ref.accountId, ref.name)).id;
  }
}

function keysQuery(db: Db) {
  return db
    .selectFrom('access_keys as k')
    .leftJoin('users as u', 'u.id', 'k.user_id')
    .selectAll('k')
    .select('u.name as user_name');
}

function policiesQuery(db: Db) {
  return db
    .selectFrom('managed_policies as p')
    .selectAll('p')
    .select((eb) =>
      eb
        .selectFrom('policy_attachments as a')
        .whereRef('a.policy_arn', '=', 'p.arn')
        .select((e) => e.fn.countAll<number>().as('n'))
        .as('attachment_count'),
    );
}

async function mustPolicy(db: Db, accountId: string, name: string): Promise<PolicyRow> {
  const row = await policiesQuery(db)
    .where('p.account_id', '=', accountId)
    .where('p.name_key', '=', nameKey(name))
    .executeTakeFirst();
  if (row === undefined) throw new NotFound('managedPolicy', scoped(accountId, name));
  return row;
}

// ---- operations ------------------------------------------------------------------------------

class Organizations implements OrganizationOps {
  constructor(private readonly c: Ctx) {}
  async create(org: Organization): Promise<Organization> {
    const c = this.c.codec;
    await this.c.atomic(async (db) => {
      if (await exists(db.selectFrom('organizations').select('id').where('id', '=', org.id))) {
        throw new AlreadyExists('organization', org.id, 'id');
      }
      await this.c.insert('organization', org.id, 'id', () =>
        db
          .insertInto('organizations')
          .values({
            id: org.id,
            root_id: org.rootId,
            management_account_id: org.managementAccountId,
            feature_set: org.featureSet,
            created_at: c.time(org.createdAt),
          })
          .execute(),
      );
    });
    return canonOrganization(org);
  }
  async get(id: string): Promise<Organization | undefined> {
    const r = await this.c
      .db()
      .selectFrom('organizations')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return r === undefined ? undefined : toOrganization(this.c.codec, r);
  }
  async list(opts?: ListOptions): Promise<Page<Organization>> {
    const after = afterKey(opts, 'organization');
    const size = pageSize(opts);
    let q = this.c.db().selectFrom('organizations').selectAll();
    if (after !== undefined) q = q.where('id', '>', after[0] as string);
    const rows = await q
      .orderBy('id')
      .limit(size + 1)
      .execute();
    return pageFromRows(
      rows,
      size,
      (r) => [r.id],
      (r) => toOrganization(this.c.codec, r),
    );
  }
  async delete(id: string): Promise<void> {
    await this.c.atomic(async (db) => {
      if (!(await exists(db.selectFrom('organizations').select('id').where('id', '=', id)))) {
        throw new NotFound('organization', id);
      }
      if (await exists(db.selectFrom('accounts').select('id').where('organization_id', '=', id))) {
        throw new Conflict('organization', id, 'HasAccounts');
      }
      await db.deleteFrom('organizations').where('id', '=', id).execute();
    });
  }
}

class Accounts implements AccountOps {
  constructor(private readonly c: Ctx) {}

  /** Refuses an email or alias another account (than `except`) already has. */
  private static async clash(
    db: Db,
    email: string | undefined,
    alias: string | undefined,
    except: string | undefined,
  ): Promise<void> {
    const taken = (column: 'email_key' | 'alias_key', value: string) => {
      const q = db.selectFrom('accounts').select('id').where(column, '=', nameKey(value));
      return exists(except === undefined ? q : q.where('id', '!=', except));
    };
    if (email !== undefined && (await taken('email_key', email)))
      throw new AlreadyExists('account', email, 'email');
    if (alias !== undefined && (await taken('alias_key', alias)))
      throw new AlreadyExists('account', alias, 'alias');
  }

  async create(a: Account): Promise<Account> {
    const c = this.c.codec;
    await this.c.atomic(async (db) => {
      if (await exists(db.selectFrom('accounts').select('id').where('id', '=', a.id))) {
        throw new AlreadyExists('account', a.id, 'id');
      }
      await Accounts.clash(db, a.email, a.alias, undefined);
      await this.c.insert('account', a.id, 'id', () =>
        db
          .insertInto('accounts')
          .values({
            id: a.id,
            name: a.name,
            email: a.email,
            email_key: nameKey(a.email),
            alias: a.alias ?? null,
            alias_key: a.alias === undefined ? null : nameKey(a.alias),
            status: a.status,
            organization_id: a.organizationId ?? null,
            joined_method: a.joinedMethod,
            joined_at: c.time(a.joinedAt),
          })
          .execute(),
      );
    });
    return canonAccount(a);
  }
  async get(id: string): Promise<Account | undefined> {
    const r = await this.c.db().selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
    return r === undefined ? undefined : toAccount(this.c.codec, r);
  }
  async getByAlias(alias: string): Promise<Account | undefined> {
    const r = await this.c
      .db()
      .selectFrom('accounts')
      .selectAll()
      .where('alias_key', '=', nameKey(alias))
      .executeTakeFirst();
    return r === undefined ? undefined : toAccount(this.c.codec, r);
  }
  async list(opts?: ListOptions & { readonly organizationId?: string }): Promise<Page<Account>> {
    const after = afterKey(opts, 'account');
    const size = pageSize(opts);
    let q = this.c.db().selectFrom('accounts').selectAll();
    if (opts?.organizationId !== undefined) q = q.where('organization_id', '=', opts.organizationId);
    if (after !== undefined) q = q.where('id', '>', after[0] as string);
    const rows = await q
      .orderBy('id')
      .limit(size + 1)
      .execute();
    return pageFromRows(
      rows,
      size,
      (r) => [r.id],
      (r) => toAccount(this.c.codec, r),
    );
  }
  async update(id: string, patch: AccountPatch): Promise<Account> {
    return this.c.atomic(async (db) => {
      if (!(await exists(db.selectFrom('accounts').select('id').where('id', '=', id)))) {
        throw new NotFound('account', id);
      }
      await Accounts.clash(db, patch.email, patch.alias ?? undefined, id);
      const values: Partial<AccountsTable> = {};
      if (patch.name !== undefined) values.name = patch.name;
      if (patch.email !== undefined)
        Object.assign(values, { email: patch.email, email_key: nameKey(patch.email) });
      if (patch.status !== undefined) values.status = patch.status;
      if (patch.alias !== undefined) {
        Object.assign(values, {
          alias: patch.alias,
          alias_key: patch.alias === null ? null : nameKey(patch.alias),
        });
      }
      if (patch.organizationId !== undefined) values.organization_id = patch.organizationId;
      if (Object.keys(values).length > 0) {
        await this.c.insert('account', id, 'alias', () =>
          db.updateTable('accounts').set(values).where('id', '=', id).execute(),
        );
      }
      const r = await db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      return toAccount(this.c.codec, r);
    });
  }
}

class Requests implements CreateAccountRequestOps {
  constructor(private readonly c: Ctx) {}
  async create(r: CreateAccountRequest): Promise<CreateAccountRequest> {
    const c = this.c.codec;
    await this.c.atomic(async (db) => {
      if (await exists(db.selectFrom('create_account_requests').select('id').where('id', '=', r.id))) {
        throw new AlreadyExists('createAccountRequest', r.id, 'id');
      }
      await this.c.insert('createAccountRequest', r.id, 'id', () =>
        db
          .insertInto('create_account_requests')
          .values({
            id: r.id,
            organization_id: r.organizationId,
            account_name: r.accountName,
            email: r.email,
            state: r.state,
            requested_at: c.time(r.requestedAt),
            completed_at: r.completedAt === undefined ? null : c.time(r.completedAt),
            account_id: r.accountId ?? null,
            failure_reason: r.failureReason ?? null,
          })
          .execute(),
      );
    });
    return canonCreateAccountRequest(r);
  }
  async get(id: string): Promise<CreateAccountRequest | undefined> {
    const r = await this.c
      .db()
      .selectFrom('create_account_requests')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return r === undefined ? undefined : toRequest(this.c.codec, r);
  }
  async list(
    opts?: ListOptions & {
      readonly organizationId?: string;
      readonly states?: readonly CreateAccountState[];
    },
  ): Promise<Page<CreateAccountRequest>> {
    const after = afterKey(opts, 'createAccountRequest');
    const size = pageSize(opts);
    let q = this.c.db().selectFrom('create_account_requests').selectAll();
    if (opts?.organizationId !== undefined) q = q.where('organization_id', '=', opts.organizationId);
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
      (r) => toRequest(this.c.codec, r),
    );
  }
  async update(id: string, patch: CreateAccountRequestPatch): Promise<CreateAccountRequest> {
    const c = this.c.codec;
    return this.c.atomic(async (db) => {
      const values: Partial<CreateAccountRequestsTable> = { state: patch.state };
      if (patch.completedAt !== undefined) values.completed_at = c.time(patch.completedAt);
      if (patch.accountId !== undefined) values.account_id = patch.accountId;
      if (patch.failureReason !== undefined) values.failure_reason = patch.failureReason;
      const res = await db
        .updateTable('create_account_requests')
        .set(values)
        .where('id', '=', id)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) throw new NotFound('createAccountRequest', id);
      const r = await db
        .selectFrom('create_account_requests')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      return toRequest(c, r);
    });
  }
}

class Users implements UserOps {
  constructor(private readonly c: Ctx) {}
  async create(u: User): Promise<User> {
    const c = this.c.codec;
    await this.c.atomic(async (db) => {
      if (await exists(db.selectFrom('users').select('id').where('id', '=', u.id))) {
        throw new AlreadyExists('user', u.id, 'id');
      }
      if ((await findUserRow(db, u.accountId, u.name)) !== undefined) {
        throw new AlreadyExists('user', scoped(u.accountId, u.name), 'name');
      }
      await this.c.insert('user', scoped(u.accountId, u.name), 'name', () =>
        db
          .insertInto('users')
          .values({
            id: u.id,
            account_id: u.accountId,
            name: u.name,
            name_key: nameKey(u.name),
            path: u.path,
            created_at: c.time(u.createdAt),
            permissions_boundary_arn: u.permissionsBoundaryArn ?? null,
            tags: writeTags(c, u.tags),
          })
          .execute(),
      );
    });
    return canonUser(u);
  }
  async get(accountId: string, name: string): Promise<User | undefined> {
    const r = await findUserRow(this.c.db(), accountId, name);
    return r === undefined ? undefined : toUser(this.c.codec, r);
  }
  async getById(id: string): Promise<User | undefined> {
    const r = await this.c.db().selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return r === undefined ? undefined : toUser(this.c.codec, r);
  }
  async list(accountId: string, opts?: PathListOptions): Promise<Page<User>> {
    const after = afterKey(opts, 'user');
    const size = pageSize(opts);
    let q = this.c.db().selectFrom('users').selectAll().where('account_id', '=', accountId);
    if (opts?.pathPrefix !== undefined) q = q.where(pathStartsWith('path', opts.pathPrefix));
    if (after !== undefined) q = q.where('name_key', '>', after[0] as string);
    const rows = await q
      .orderBy('name_key')
      .limit(size + 1)
      .execute();
    return pageFromRows(
      rows,
      size,
      (r) => [r.name_key],
      (r) => toUser(this.c.codec, r),
    );
  }
  async update(accountId: string, name: string, patch: UserPatch): Promise<User> {
    const c = this.c.codec;
    return this.c.atomic(async (db) => {
      const u = await findUserRow(db, accountId, name);
      if (u === undefined) throw new NotFound('user', scoped(accountId, name));
      if (patch.name !== undefined) {
        const other = await findUserRow(db, accountId, patch.name);
        if (other !== undefined && other.id !== u.id)
          throw new AlreadyExists('user', scoped(accountId, patch.name), 'name');
      }
      const values: Partial<UsersTable> = {};
      if (patch.name !== undefined)
        Object.assign(values, { name: patch.name, name_key: nameKey(patch.name) });
      if (patch.path !== undefined) values.path = patch.path;
      if (patch.permissionsBoundaryArn !== undefined)
        values.permissions_boundary_arn = patch.permissionsBoundaryArn;
      if (patch.tags !== undefined) values.tags = writeTags(c, patch.tags);
      if (Object.keys(values).length > 0) {
        await this.c.insert('user', scoped(accountId, patch.name ?? name), 'name', () =>
          db.updateTable('users').set(values).where('id', '=', u.id).execute(),
        );
      }
      const r = await db.selectFrom('users').selectAll().where('id', '=', u.id).executeTakeFirstOrThrow();
      return toUser(c, r);
    });
  }
  async delete(accountId: string, name: string): Promise<void> {
    await this.c.atomic(async (db) => {
      const id = await mustUserId(db, accountId, name);
      const key = scoped(accountId, name);
      if (await exists(db.selectFrom('access_keys').select('id').where('user_id', '=', id))) {
        throw new Conflict('user', key, 'HasAccessKeys');
      }
      if (await ownsAny(db, 'inline_policies', 'user', id))
        throw new Conflict('user', key, 'HasInlinePolicies');
      if (await ownsAny(db, 'policy_attachments', 'user', id))
        throw new Conflict('user', key, 'HasAttachedPolicies');
      if (await exists(db.selectFrom('iam_group_members').select('user_id').where('user_id', '=', id))) {
        throw new Conflict('user', key, 'InGroups');
      }
      await db.deleteFrom('users').where('id', '=', id).execute();
    });
  }
}

function ownsAny(
  db: Db,
  table: 'inline_policies' | 'policy_attachments',
  kind: PrincipalKind,
  id: string,
): Promise<boolean> {
  return exists(
    db.selectFrom(table).select('owner_id').where('owner_kind', '=', kind).where('owner_id', '=', id),
  );
}

class Roles implements RoleOps {
  constructor(private readonly c: Ctx) {}
  async create(r: Role): Promise<Role> {
    const c = this.c.codec;
    await this.c.atomic(async (db) => {
      if (await exists(db.selectFrom('roles').select('id').where('id', '=', r.id))) {
        throw new AlreadyExists('role', r.id, 'id');
      }
      if ((await findRoleRow(db, r.accountId, r.name)) !== undefined) {
        throw new AlreadyExists('role', scoped(r.accountId, r.name), 'name');
      }
      await this.c.insert('role', scoped(r.accountId, r.name), 'name', () =>
        db
          .insertInto('roles')
          .values({
            id: r.id,
            account_id: r.accountId,
            name: r.name,
            name_key: nameKey(r.name),
            path: r.path,
            created_at: c.time(r.createdAt),
            assume_role_policy_document: r.assumeRolePolicyDocument,
            trust_principals: writeBindings(c, r.trustPrincipals),
            description: r.description ?? null,
            max_session_duration: r.maxSessionDuration,
            permissions_boundary_arn: r.permissionsBoundaryArn ?? null,
            tags: writeTags(c, r.tags),
            last_used_at: r.lastUsed === undefined ? null : c.time(r.lastUsed.at),
            last_used_region: r.lastUsed?.region ?? null,
          })
          .execute(),
      );
    });
    return canonRole(r);
  }
  async get(accountId: string, name: string): Promise<Role | undefined> {
    const r = await findRoleRow(this.c.db(), accountId, name);
    return r === undefined ? undefined : toRole(this.c.codec, r);
  }
  async getById(id: string): Promise<Role | undefined> {
    const r = await this.c.db().selectFrom('roles').selectAll().where('id', '=', id).executeTakeFirst();
    return r === undefined ? undefined : toRole(this.c.codec, r);
  }
  async list(accountId: string, opts?: PathListOptions): Promise<Page<Role>> {
    const after = afterKey(opts, 'role');
    const size = pageSize(opts);
    let q = this.c.db().selectFrom('roles').selectAll().where('account_id', '=', accountId);
    if (opts?.pathPrefix !== undefined) q = q.where(pathStartsWith('path', opts.pathPrefix));
    if (after !== undefined) q = q.where('name_key', '>', after[0] as string);
    const rows = await q
      .orderBy('name_key')
      .limit(size + 1)
      .execute();
    return pageFromRows(
      rows,
      size,
      (r) => [r.name_key],
      (r) => toRole(this.c.codec, r),
    );
  }
  async update(accountId: string, name: string, patch: RolePatch): Promise<Role> {
    const c = this.c.codec;
    return this.c.atomic(async (db) => {
      const r = await findRoleRow(db, accountId, name);
      if (r === undefined) throw new NotFound('role', scoped(accountId, name));
      const values: Partial<RolesTable> = {};
      if (patch.assumeRolePolicyDocument !== undefined)
        values.assume_role_policy_document = patch.assumeRolePolicyDocument;
      if (patch.trustPrincipals !== undefined)
        values.trust_principals = writeBindings(c, patch.trustPrincipals ?? undefined);
      if (patch.description !== undefined) values.description = patch.description;
      if (patch.maxSessionDuration !== undefined) values.max_session_duration = patch.maxSessionDuration;
      if (patch.permissionsBoundaryArn !== undefined)
        values.permissions_boundary_arn = patch.permissionsBoundaryArn;
      if (patch.tags !== undefined) values.tags = writeTags(c, patch.tags);
      if (patch.lastUsed !== undefined) {
        values.last_used_at = patch.lastUsed === null ? null : c.time(patch.lastUsed.at);
        values.last_used_region = patch.lastUsed === null ? null : patch.lastUsed.region;
      }
      if (Object.keys(values).length > 0)
        await db.updateTable('roles').set(values).where('id', '=', r.id).execute();
      const next = await db.selectFrom('roles').selectAll().where('id', '=', r.id).executeTakeFirstOrThrow();
      return toRole(c, next);
    });
  }
  async delete(accountId: string, name: string): Promise<void> {
    await this.c.atomic(async (db) => {
      const id = await mustRoleId(db, accountId, name);
      const key = scoped(accountId, name);
      if (await exists(db.selectFrom('instance_profile_roles').select('role_id').where('role_id', '=', id))) {
        throw new Conflict('role', key, 'InInstanceProfiles');
      }
      if (await ownsAny(db, 'inline_policies', 'role', id))
        throw new Conflict('role', key, 'HasInlinePolicies');
      if (await ownsAny(db, 'policy_attachments', 'role', id))
        throw new Conflict('role', key, 'HasAttachedPolicies');
      await db.deleteFrom('roles').where('id', '=', id).execute();
    });
  }
}

class AccessKeys implements AccessKeyOps {
  constructor(private readonly c: Ctx) {}
  async create(k: AccessKey): Promise<AccessKey> {
    const c = this.c.codec;
    return this.c.atomic(async (db) => {
      const userId = k.userName === undefined ? null : await mustUserId(db, k.accountId, k.userName);
      if (await exists(db.selectFrom('access_keys').select('id').where('id', '=', k.id))) {
        throw new AlreadyExists('accessKey', k.id, 'id');
      }
      await this.c.insert('accessKey', k.id, 'id', () =>
        db
          .insertInto('access_keys')
          .values({
            id: k.id,
            account_id: k.accountId,
            user_id: userId,
            status: k.status,
            secret: k.secret,
            created_at: c.time(k.createdAt),
            last_used_at: k.lastUsed === undefined ? null : c.time(k.lastUsed.at),
            last_used_service: k.lastUsed?.service ?? null,
            last_used_region: k.lastUsed?.region ?? null,
          })
          .execute(),
      );
      return toAccessKey(c, await keysQuery(db).where('k.id', '=', k.id).executeTakeFirstOrThrow());
    });
  }
  async get(id: string): Promise<AccessKey | undefined> {
    const r = await keysQuery(this.c.db()).where('k.id', '=', id).executeTakeFirst();
    return r === undefined ? undefined : toAccessKey(this.c.codec, r);
  }
  async list(owner: AccessKeyOwner, opts?: ListOptions): Promise<Page<AccessKey>> {
    const after = afterKey(opts, 'accessKey');
    const size = pageSize(opts);
    return this.c.atomic(async (db) => {
      let q = keysQuery(db).where('k.account_id', '=', owner.accountId);
      if (owner.userName === undefined) q = q.where('k.user_id', 'is', null);
      else q = q.where('k.user_id', '=', await mustUserId(db, owner.accountId, owner.userName));
      if (after !== undefined) q = q.where('k.id', '>', after[0] as string);
      const rows = await q
        .orderBy('k.id')
        .limit(size + 1)
        .execute();
      return pageFromRows(
        rows,
        size,
        (r) => [r.id],
        (r) => toAccessKey(this.c.codec, r),
      );
    });
  }
  async update(id: string, patch: AccessKeyPatch): Promise<AccessKey> {
    const c = this.c.codec;
    return this.c.atomic(async (db) => {
      const values: Partial<AccessKeysTable> = {};
      if (patch.status !== undefined) values.status = patch.status;
      if (patch.lastUsed !== undefined) {
        Object.assign(values, {
          last_used_at: c.time(patch.lastUsed.at),
          last_used_service: patch.lastUsed.service,
          last_used_region: patch.lastUsed.region,
        });
      }
      if (!(await exists(db.selectFrom('access_keys').select('id').where('id', '=', id)))) {
        throw new NotFound('accessKey', id);
      }
      if (Object.keys(values).length > 0)
        await db.updateTable('access_keys').set(values).where('id', '=', id).execute();
      return toAccessKey(c, await keysQuery(db).where('k.id', '=', id).executeTakeFirstOrThrow());
    });
  }
  async delete(id: string): Promise<void> {
    const res = await this.c.db().deleteFrom('access_keys').where('id', '=', id).executeTakeFirst();
    if (Number(res.numDeletedRows) === 0) throw new NotFound('accessKey', id);
  }
}

class InlinePolicies implements InlinePolicyOps {
  constructor(private readonly c: Ctx) {}
  async put(owner: PrincipalRef, policy: InlinePolicy): Promise<void> {
    await this.c.atomic(async (db) => {
      const id = await mustOwnerId(db, owner);
      const k = nameKey(policy.name);
      await db
        .deleteFrom('inline_policies')
        .where('owner_kind', '=', owner.kind)
        .where('owner_id', '=', id)
        .where('name_key', '=', k)
        .execute();
      await db
        .insertInto('inline_policies')
        .values({
          owner_kind: owner.kind,
          owner_id: id,
          name: policy.name,
          name_key: k,
          document: policy.document,
        })
        .execute();
    });
  }
  async get(owner: PrincipalRef, name: string): Promise<InlinePolicy | undefined> {
    return this.c.atomic(async (db) => {
      const id = await mustOwnerId(db, owner);
      const r = await db
        .selectFrom('inline_policies')
        .select(['name', 'document'])
        .where('owner_kind', '=', owner.kind)
        .where('owner_id', '=', id)
        .where('name_key', '=', nameKey(name))
        .executeTakeFirst();
      return r === undefined ? undefined : { name: r.name, document: r.document };
    });
  }
  async list(owner: PrincipalRef, opts?: ListOptions): Promise<Page<InlinePolicy>> {
    const after = afterKey(opts, 'inlinePolicy');
    const size = pageSize(opts);
    return this.c.atomic(async (db) => {
      const id = await mustOwnerId(db, owner);
      let q = db
        .selectFrom('inline_policies')
        .select(['name', 'name_key', 'document'])
        .where('owner_kind', '=', owner.kind)
        .where('owner_id', '=', id);
      if (after !== undefined) q = q.where('name_key', '>', after[0] as string);
      const rows = await q
        .orderBy('name_key')
        .limit(size + 1)
        .execute();
      return pageFromRows(
        rows,
        size,
        (r) => [r.name_key],
        (r) => ({ name: r.name, document: r.document }),
      );
    });
  }
  async delete(owner: PrincipalRef, name: string): Promise<void> {
    await this.c.atomic(async (db) => {
      const id = await mustOwnerId(db, owner);
      const res = await db
        .deleteFrom('inline_policies')
        .where('owner_kind', '=', owner.kind)
        .where('owner_id', '=', id)
        .where('name_key', '=', nameKey(name))
        .executeTakeFirst();
      if (Number(res.numDeletedRows) === 0) {
        throw new NotFound('inlinePolicy', `${scoped(owner.accountId, owner.name)}/${name}`);
      }
    });
  }
}

class ManagedPolicies implements ManagedPolicyOps {
  constructor(private readonly c: Ctx) {}
  async create(p: NewManagedPolicy): Promise<ManagedPolicy> {
    const c = this.c.codec;
    return this.c.atomic(async (db) => {
      if (await exists(db.selectFrom('managed_policies').select('id').where('id', '=', p.id))) {
        throw new AlreadyExists('managedPolicy', p.id, 'id');
      }
      const taken = await db
        .selectFrom('managed_policies')
        .select('id')
        .where('account_id', '=', p.accountId)
        .where('name_key', '=', nameKey(p.name))
        .executeTakeFirst();
      if (taken !== undefined) throw new AlreadyExists('managedPolicy', scoped(p.accountId, p.name), 'name');
      if (await exists(db.selectFrom('managed_policies').select('id').where('arn', '=', p.arn))) {
        throw new AlreadyExists('managedPolicy', p.arn, 'arn');
      }
      await this.c.insert('managedPolicy', scoped(p.accountId, p.name), 'name', () =>
        db
          .insertInto('managed_policies')
          .values({
            id: p.id,
            account_id: p.accountId,
            name: p.name,
            name_key: nameKey(p.name),
            path: p.path,
            arn: p.arn,
            description: p.description ?? null,
            default_version: 1,
            next_version: 2,
            is_attachable: c.bool(p.isAttachable ?? true),
            created_at: c.time(p.createdAt),
            updated_at: c.time(p.createdAt),
            tags: writeTags(c, p.tags),
          })
          .execute(),
      );
      await db
        .insertInto('policy_versions')
        .values({ policy_id: p.id, version: 1, document: p.document, created_at: c.time(p.createdAt) })
        .execute();
      return toPolicy(c, await mustPolicy(db, p.accountId, p.name));
    });
  }
  async get(accountId: string, name: string): Promise<ManagedPolicy | undefined> {
    const r = await policiesQuery(this.c.db())
      .where('p.account_id', '=', accountId)
      .where('p.name_key', '=', nameKey(name))
      .executeTakeFirst();
    return r === undefined ? undefined : toPolicy(this.c.codec, r);
  }
  async getByArn(arn: string): Promise<ManagedPolicy | undefined> {
    const r = await policiesQuery(this.c.db()).where('p.arn', '=', arn).executeTakeFirst();
    return r === undefined ? undefined : toPolicy(this.c.codec, r);
  }
  async list(
    accountId: string,
    opts?: PathListOptions & { readonly onlyAttached?: boolean },
  ): Promise<Page<ManagedPolicy>> {
    const after = afterKey(opts, 'managedPolicy');
    const size = pageSize(opts);
    let q = policiesQuery(this.c.db()).where('p.account_id', '=', accountId);
    if (opts?.pathPrefix !== undefined) q = q.where(pathStartsWith('p.path', opts.pathPrefix));
    if (opts?.onlyAttached === true) {
      q = q.where((eb) =>
        eb.exists(
          eb
            .selectFrom('policy_attachments as a')
            .select('a.owner_id')
            .whereRef('a.policy_arn', '=', 'p.arn'),
        ),
      );
    }
    if (after !== undefined) q = q.where('p.name_key', '>', after[0] as string);
    const rows = await q
      .orderBy('p.name_key')
      .limit(size + 1)
      .execute();
    return pageFromRows(
      rows,
      size,
      (r) => [r.name_key],
      (r) => toPolicy(this.c.codec, r),
    );
  }
  async update(accountId: string, name: string, patch: ManagedPolicyPatch): Promise<ManagedPolicy> {
    const c = this.c.codec;
    return this.c.atomic(async (db) => {
      const p = await mustPolicy(db, accountId, name);
      if (patch.tags !== undefined) {
        await db
          .updateTable('managed_policies')
          .set({ tags: writeTags(c, patch.tags) })
          .where('id', '=', p.id)
          .execute();
      }
      return toPolicy(c, await mustPolicy(db, accountId, name));
    });
  }
  async delete(accountId: string, name: string): Promise<void> {
    await this.c.atomic(async (db) => {
      const p = await mustPolicy(db, accountId, name);
      if (Number(p.attachment_count ?? 0) > 0)
        throw new Conflict('managedPolicy', scoped(accountId, name), 'HasAttachments');
      await db.deleteFrom('policy_versions').where('policy_id', '=', p.id).execute();
      await db.deleteFrom('managed_policies').where('id', '=', p.id).execute();
    });
  }
  async createVersion(
    accountId: string,
    name: string,
    version: { readonly document: string; readonly createdAt: Date; readonly setAsDefault: boolean },
  ): Promise<PolicyVersion> {
    const c = this.c.codec;
    return this.c.atomic(async (db) => {
      const p = await mustPolicy(db, accountId, name);
      const count = await db
        .selectFrom('policy_versions')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('policy_id', '=', p.id)
        .executeTakeFirstOrThrow();
      if (Number(count.n) >= MAX_POLICY_VERSIONS) {
        throw new Conflict('managedPolicy', scoped(accountId, name), 'VersionLimitReached');
      }
      const num = Number(p.next_version);
      await db
        .insertInto('policy_versions')
        .values({
          policy_id: p.id,
          version: num,
          document: version.document,
          created_at: c.time(version.createdAt),
        })
        .execute();
      await db
        .updateTable('managed_policies')
        .set({
          next_version: num + 1,
          updated_at: c.time(version.createdAt),
          ...(version.setAsDefault ? { default_version: num } : {}),
        })
        .where('id', '=', p.id)
        .execute();
      return {
        versionId: `v${num}`,
        document: version.document,
        isDefault: version.setAsDefault,
        createdAt: new Date(version.createdAt.getTime()),
      };
    });
  }
  async getVersion(accountId: string, name: string, versionId: string): Promise<PolicyVersion | undefined> {
    return this.c.atomic(async (db) => {
      const p = await mustPolicy(db, accountId, name);
      const num = parseVersionId(versionId);
      if (num === undefined) return undefined;
      const v = await db
        .selectFrom('policy_versions')
        .selectAll()
        .where('policy_id', '=', p.id)
        .where('version', '=', num)
        .executeTakeFirst();
      return v === undefined ? undefined : this.version(p, v);
    });
  }
  async listVersions(accountId: string, name: string): Promise<PolicyVersion[]> {
    return this.c.atomic(async (db) => {
      const p = await mustPolicy(db, accountId, name);
      const rows = await db
        .selectFrom('policy_versions')
        .selectAll()
        .where('policy_id', '=', p.id)
        .orderBy('version')
        .execute();
      return rows.map((v) => this.version(p, v));
    });
  }
  async setDefaultVersion(accountId: string, name: string, versionId: string, at: Date): Promise<void> {
    const c = this.c.codec;
    await this.c.atomic(async (db) => {
      const p = await mustPolicy(db, accountId, name);
      const num = parseVersionId(versionId);
      const found =
        num !== undefined &&
        (await exists(
          db
            .selectFrom('policy_versions')
            .select('version')
            .where('policy_id', '=', p.id)
            .where('version', '=', num),
        ));
      if (!found || num === undefined)
        throw new NotFound('policyVersion', `${scoped(accountId, name)}/${versionId}`);
      await db
        .updateTable('managed_policies')
        .set({ default_version: num, updated_at: c.time(at) })
        .where('id', '=', p.id)
        .execute();
    });
  }
  async deleteVersion(accountId: string, name: string, versionId: string): Promise<void> {
    await this.c.atomic(async (db) => {
      const p = await mustPolicy(db, accountId, name);
      const num = parseVersionId(versionId);
      const key = `${scoped(accountId, name)}/${versionId}`;
      const found =
        num !== undefined &&
        (await exists(
          db
            .selectFrom('policy_versions')
            .select('version')
            .where('policy_id', '=', p.id)
            .where('version', '=', num),
        ));
      if (!found || num === undefined) throw new NotFound('policyVersion', key);
      if (num === Number(p.default_version)) throw new Conflict('policyVersion', key, 'IsDefaultVersion');
      await db
        .deleteFrom('policy_versions')
        .where('policy_id', '=', p.id)
        .where('version', '=', num)
        .execute();
    });
  }

  private version(p: PolicyRow, v: Selectable<PolicyVersionsTable>): PolicyVersion {
    return {
      versionId: `v${v.version}`,
      document: v.document,
      isDefault: Number(v.version) === Number(p.default_version),
      createdAt: this.c.codec.readTime(v.created_at),
    };
  }
}

class Attachments implements AttachmentOps {
  constructor(private readonly c: Ctx) {}
  async attach(principal: PrincipalRef, policyArn: string): Promise<void> {
    await this.c.atomic(async (db) => {
      const id = await mustOwnerId(db, principal);
      const present = await exists(
        db
          .selectFrom('policy_attachments')
          .select('owner_id')
          .where('owner_kind', '=', principal.kind)
          .where('owner_id', '=', id)
          .where('policy_arn', '=', policyArn),
      );
      if (present) return;
      await db
        .insertInto('policy_attachments')
        .values({
          owner_kind: principal.kind,
          owner_id: id,
          policy_arn: policyArn,
          policy_path: policyPathFromArn(policyArn),
        })
        .execute();
    });
  }
  async detach(principal: PrincipalRef, policyArn: string): Promise<void> {
    await this.c.atomic(async (db) => {
      const id = await mustOwnerId(db, principal);
      const res = await db
        .deleteFrom('policy_attachments')
        .where('owner_kind', '=', principal.kind)
        .where('owner_id', '=', id)
        .where('policy_arn', '=', policyArn)
        .executeTakeFirst();
      if (Number(res.numDeletedRows) === 0) {
        throw new NotFound('policyAttachment', `${scoped(principal.accountId, principal.name)}/${policyArn}`);
      }
    });
  }
  async listForPrincipal(principal: PrincipalRef, opts?: PathListOptions): Promise<Page<string>> {
    const after = afterKey(opts, 'policyAttachment');
    const size = pageSize(opts);
    return this.c.atomic(async (db) => {
      const id = await mustOwnerId(db, principal);
      let q = db
        .selectFrom('policy_attachments')
        .select('policy_arn')
        .where('owner_kind', '=', principal.kind)
        .where('owner_id', '=', id);
      if (opts?.pathPrefix !== undefined) q = q.where(pathStartsWith('policy_path', opts.pathPrefix));
      if (after !== undefined) q = q.where('policy_arn', '>', after[0] as string);
      const rows = await q
        .orderBy('policy_arn')
        .limit(size + 1)
        .execute();
      return pageFromRows(
        rows,
        size,
        (r) => [r.policy_arn],
        (r) => r.policy_arn,
      );
    });
  }
  async listForPolicy(
    policyArn: string,
    opts?: ListOptions & { readonly kind?: PrincipalKind },
  ): Promise<Page<PrincipalRef>> {
    const after = afterKey(opts, 'policyAttachment', 2);
    const size = pageSize(opts);
    let q = this.c
      .db()
      .selectFrom('policy_attachments as a')
      .leftJoin('users as u', (j) => j.onRef('u.id', '=', 'a.owner_id').on('a.owner_kind', '=', 'user'))
      .leftJoin('roles as r', (j) => j.onRef('r.id', '=', 'a.owner_id').on('a.owner_kind', '=', 'role'))
      .leftJoin('iam_groups as g', (j) => j.onRef('g.id', '=', 'a.owner_id').on('a.owner_kind', '=', 'group'))
      .select(['a.owner_kind', 'a.owner_id', 'u.account_id as user_account', 'u.name as user_name'])
      .select(['r.account_id as role_account', 'r.name as role_name'])
      .select(['g.account_id as group_account', 'g.name as group_name'])
      .where('a.policy_arn', '=', policyArn)
      .where((eb) =>
        eb.or([eb('u.id', 'is not', null), eb('r.id', 'is not', null), eb('g.id', 'is not', null)]),
      );
    if (opts?.kind !== undefined) q = q.where('a.owner_kind', '=', opts.kind);
    if (after !== undefined) {
      const [kind, id] = after as [string, string];
      q = q.where((eb) =>
        eb.or([
          eb('a.owner_kind', '>', kind),
          eb.and([eb('a.owner_kind', '=', kind), eb('a.owner_id', '>', id)]),
        ]),
      );
    }
    const rows = await q
      .orderBy('a.owner_kind')
      .orderBy('a.owner_id')
      .limit(size + 1)
      .execute();
    return pageFromRows(
      rows,
      size,
      (r) => [r.owner_kind, r.owner_id],
      (r) => ({
        kind: r.owner_kind as PrincipalKind,
        accountId: r.user_account ?? r.role_account ?? r.group_account ?? '',
        name: r.user_name ?? r.role_name ?? r.group_name ?? '',
      }),
    );
  }
}

class InstanceProfiles implements InstanceProfileOps {
  constructor(private readonly c: Ctx) {}

  /** Adds the role names to profile rows, in the order the roles were added. */
  private async withRoles(
    db: Db,
    rows: readonly Selectable<InstanceProfilesTable>[],
  ): Promise<InstanceProfile[]> {
    const c = this.c.codec;
    const ids = rows.map((r) => r.id);
    const members =
      ids.length === 0
        ? []
        : await db
            .selectFrom('instance_profile_roles as pr')
            .innerJoin('roles as r', 'r.id', 'pr.role_id')
            .select(['pr.profile_id', 'r.name'])
            .where('pr.profile_id', 'in', ids)
            .orderBy('pr.position')
            .execute();
    return rows.map((r) =>
      canonInstanceProfile({
        accountId: r.account_id,
        name: r.name,
        path: r.path,
        id: r.id,
        createdAt: c.readTime(r.created_at),
        tags: readTags(c, r.tags),
        roleNames: members.filter((m) => m.profile_id === r.id).map((m) => m.name),
      }),
    );
  }

  private async mustProfileId(db: Db, accountId: string, name: string): Promise<string> {
    const row = await db
      .selectFrom('instance_profiles')
      .select('id')
      .where('account_id', '=', accountId)
      .where('name_key', '=', nameKey(name))
      .executeTakeFirst();
    if (row === undefined) throw new NotFound('instanceProfile', scoped(accountId, name));
    return row.id;
  }

  private async one(db: Db, id: string): Promise<InstanceProfile> {
    const rows = await db.selectFrom('instance_profiles').selectAll().where('id', '=', id).execute();
    const [p] = await this.withRoles(db, rows);
    if (p === undefined) throw new NotFound('instanceProfile', id);
    return p;
  }

  async create(p: NewInstanceProfile): Promise<InstanceProfile> {
    const c = this.c.codec;
    return this.c.atomic(async (db) => {
      if (await exists(db.selectFrom('instance_profiles').select('id').where('id', '=', p.id))) {
        throw new AlreadyExists('instanceProfile', p.id, 'id');
      }
      const taken = await db
        .selectFrom('instance_profiles')
        .select('id')
        .where('account_id', '=', p.accountId)
        .where('name_key', '=', nameKey(p.name))
        .executeTakeFirst();
      if (taken !== undefined)
        throw new AlreadyExists('instanceProfile', scoped(p.accountId, p.name), 'name');
      await this.c.insert('instanceProfile', scoped(p.accountId, p.name), 'name', () =>
        db
          .insertInto('instance_profiles')
          .values({
            id: p.id,
            account_id: p.accountId,
            name: p.name,
            name_key: nameKey(p.name),
            path: p.path,
            created_at: c.time(p.createdAt),
            tags: writeTags(c, p.tags),
          })
          .execute(),
      );
      return this.one(db, p.id);
    });
  }
  async get(accountId: string, name: string): Promise<InstanceProfile | undefined> {
    return this.c.atomic(async (db) => {
      const rows = await db
        .selectFrom('instance_profiles')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('name_key', '=', nameKey(name))
        .execute();
      return (await this.withRoles(db, rows))[0];
    });
  }
  async list(accountId: string, opts?: PathListOptions): Promise<Page<InstanceProfile>> {
    const after = afterKey(opts, 'instanceProfile');
    const size = pageSize(opts);
    return this.c.atomic(async (db) => {
      let q = db.selectFrom('instance_profiles').selectAll().where('account_id', '=', accountId);
      if (opts?.pathPrefix !== undefined) q = q.where(pathStartsWith('path', opts.pathPrefix));
      if (after !== undefined) q = q.where('name_key', '>', after[0] as string);
      const rows = await q
        .orderBy('name_key')
        .limit(size + 1)
        .execute();
      const page = pageFromRows(
        rows,
        size,
        (r) => [r.name_key],
        (r) => r,
      );
      const items = await this.withRoles(db, page.items);
      return page.marker === undefined ? { items } : { items, marker: page.marker };
    });
  }
  async listForRole(accountId: string, roleName: string, opts?: ListOptions): Promise<Page<InstanceProfile>> {
    const after = afterKey(opts, 'instanceProfile');
    const size = pageSize(opts);
    return this.c.atomic(async (db) => {
      const roleId = await mustRoleId(db, accountId, roleName);
      let q = db
        .selectFrom('instance_profiles as p')
        .innerJoin('instance_profile_roles as pr', 'pr.profile_id', 'p.id')
        .selectAll('p')
        .where('pr.role_id', '=', roleId);
      if (after !== undefined) q = q.where('p.name_key', '>', after[0] as string);
      const rows = await q
        .orderBy('p.name_key')
        .limit(size + 1)
        .execute();
      const page = pageFromRows(
        rows,
        size,
        (r) => [r.name_key],
        (r) => r,
      );
      const items = await this.withRoles(db, page.items);
      return page.marker === undefined ? { items } : { items, marker: page.marker };
    });
  }
  async update(accountId: string, name: string, patch: InstanceProfilePatch): Promise<InstanceProfile> {
    const c = this.c.codec;
    return this.c.atomic(async (db) => {
      const id = await this.mustProfileId(db, accountId, name);
      if (patch.tags !== undefined) {
        await db
          .updateTable('instance_profiles')
          .set({ tags: writeTags(c, patch.tags) })
          .where('id', '=', id)
          .execute();
      }
      return this.one(db, id);
    });
  }
  async delete(accountId: string, name: string): Promise<void> {
    await this.c.atomic(async (db) => {
      const id = await this.mustProfileId(db, accountId, name);
      if (
        await exists(db.selectFrom('instance_profile_roles').select('role_id').where('profile_id', '=', id))
      ) {
        throw new Conflict('instanceProfile', scoped(accountId, name), 'HasRoles');
      }
      await db.deleteFrom('instance_profiles').where('id', '=', id).execute();
    });
  }
  async addRole(accountId: string, profileName: string, roleName: string): Promise<void> {
    await this.c.atomic(async (db) => {
      const id = await this.mustProfileId(db, accountId, profileName);
      const roleId = await mustRoleId(db, accountId, roleName);
      const members = await db
        .selectFrom('instance_profile_roles')
        .select(['role_id', 'position'])
        .where('profile_id', '=', id)
        .execute();
      if (members.some((m) => m.role_id === roleId)) {
        throw new AlreadyExists('instanceProfile', `${scoped(accountId, profileName)}/${roleName}`, 'member');
      }
      const position = members.reduce((max, m) => Math.max(max, Number(m.position)), 0) + 1;
      await db
        .insertInto('instance_profile_roles')
        .values({ profile_id: id, role_id: roleId, position })
        .execute();
    });
  }
  async removeRole(accountId: string, profileName: string, roleName: string): Promise<void> {
    await this.c.atomic(async (db) => {
      const id = await this.mustProfileId(db, accountId, profileName);
      const roleId = await mustRoleId(db, accountId, roleName);
      const res = await db
        .deleteFrom('instance_profile_roles')
        .where('profile_id', '=', id)
        .where('role_id', '=', roleId)
        .executeTakeFirst();
      if (Number(res.numDeletedRows) === 0)
        throw new NotFound('role', `${scoped(accountId, profileName)}/${roleName}`);
    });
  }
}

class Sessions implements SessionOps {
  constructor(private readonly c: Ctx) {}
  async create(s: StsSession): Promise<StsSession> {
    const c = this.c.codec;
    const p = s.principal;
    await this.c.atomic(async (db) => {
      if (
        await exists(
          db.selectFrom('sts_sessions').select('access_key_id').where('access_key_id', '=', s.accessKeyId),
        )
      ) {
        throw new AlreadyExists('session', s.accessKeyId, 'id');
      }
      await this.c.insert('session', s.accessKeyId, 'id', () =>
        db
          .insertInto('sts_sessions')
          .values({
            access_key_id: s.accessKeyId,
            secret: s.secret,
            session_token_hash: s.sessionTokenHash,
            account_id: s.accountId,
            principal_type: p.type,
            principal_id: p.type === 'AssumedRole' ? p.roleId : p.type === 'User' ? p.userId : null,
            principal_name: p.type === 'AssumedRole' ? p.roleName : p.type === 'User' ? p.userName : null,
            session_name: p.type === 'AssumedRole' ? p.sessionName : null,
            issued_at: c.time(s.issuedAt),
            expires_at: c.time(s.expiresAt),
            session_policy: s.sessionPolicy ?? null,
            session_policy_arns: c.json([...s.sessionPolicyArns]),
            tags: writeTags(c, s.tags),
            transitive_tag_keys: c.json([...s.transitiveTagKeys]),
            source_identity: s.sourceIdentity ?? null,
            chained: c.bool(s.chained),
          })
          .execute(),
      );
    });
    return canonSession(s);
  }
  async get(accessKeyId: string): Promise<StsSession | undefined> {
    const r = await this.c
      .db()
      .selectFrom('sts_sessions')
      .selectAll()
      .where('access_key_id', '=', accessKeyId)
      .executeTakeFirst();
    return r === undefined ? undefined : toSession(this.c.codec, r);
  }
  async delete(accessKeyId: string): Promise<void> {
    const res = await this.c
      .db()
      .deleteFrom('sts_sessions')
      .where('access_key_id', '=', accessKeyId)
      .executeTakeFirst();
    if (Number(res.numDeletedRows) === 0) throw new NotFound('session', accessKeyId);
  }
  async deleteExpired(now: Date): Promise<number> {
    const res = await this.c
      .db()
      .deleteFrom('sts_sessions')
      .where('expires_at', '<=', this.c.codec.time(now))
      .executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}

class Groups implements GroupOps {
  constructor(private readonly c: Ctx) {}
  async create(g: Group): Promise<Group> {
    const c = this.c.codec;
    await this.c.atomic(async (db) => {
      if (await exists(db.selectFrom('iam_groups').select('id').where('id', '=', g.id))) {
        throw new AlreadyExists('group', g.id, 'id');
      }
      if ((await findGroupRow(db, g.accountId, g.name)) !== undefined) {
        throw new AlreadyExists('group', scoped(g.accountId, g.name), 'name');
      }
      await this.c.insert('group', scoped(g.accountId, g.name), 'name', () =>
        db
          .insertInto('iam_groups')
          .values({
            id: g.id,
            account_id: g.accountId,
            name: g.name,
            name_key: nameKey(g.name),
            path: g.path,
            created_at: c.time(g.createdAt),
          })
          .execute(),
      );
    });
    return canonGroup(g);
  }
  async get(accountId: string, name: string): Promise<Group | undefined> {
    const r = await findGroupRow(this.c.db(), accountId, name);
    return r === undefined ? undefined : toGroup(this.c.codec, r);
  }
  async list(accountId: string, opts?: PathListOptions): Promise<Page<Group>> {
    const after = afterKey(opts, 'group');
    const size = pageSize(opts);
    let q = this.c.db().selectFrom('iam_groups').selectAll().where('account_id', '=', accountId);
    if (opts?.pathPrefix !== undefined) q = q.where(pathStartsWith('path', opts.pathPrefix));
    if (after !== undefined) q = q.where('name_key', '>', after[0] as string);
    const rows = await q
      .orderBy('name_key')
      .limit(size + 1)
      .execute();
    return pageFromRows(
      rows,
      size,
      (r) => [r.name_key],
      (r) => toGroup(this.c.codec, r),
    );
  }
  async update(accountId: string, name: string, patch: GroupPatch): Promise<Group> {
    return this.c.atomic(async (db) => {
      const g = await mustGroupRow(db, accountId, name);
      if (patch.name !== undefined) {
        const other = await findGroupRow(db, accountId, patch.name);
        if (other !== undefined && other.id !== g.id)
          throw new AlreadyExists('group', scoped(accountId, patch.name), 'name');
      }
      const values: Partial<IamGroupsTable> = {};
      if (patch.name !== undefined)
        Object.assign(values, { name: patch.name, name_key: nameKey(patch.name) });
      if (patch.path !== undefined) values.path = patch.path;
      if (Object.keys(values).length > 0) {
        await this.c.insert('group', scoped(accountId, patch.name ?? name), 'name', () =>
          db.updateTable('iam_groups').set(values).where('id', '=', g.id).execute(),
        );
      }
      const r = await db
        .selectFrom('iam_groups')
        .selectAll()
        .where('id', '=', g.id)
        .executeTakeFirstOrThrow();
      return toGroup(this.c.codec, r);
    });
  }
  async delete(accountId: string, name: string): Promise<void> {
    await this.c.atomic(async (db) => {
      const { id } = await mustGroupRow(db, accountId, name);
      const key = scoped(accountId, name);
      if (await exists(db.selectFrom('iam_group_members').select('user_id').where('group_id', '=', id))) {
        throw new Conflict('group', key, 'HasMembers');
      }
      if (await ownsAny(db, 'inline_policies', 'group', id))
        throw new Conflict('group', key, 'HasInlinePolicies');
      if (await ownsAny(db, 'policy_attachments', 'group', id))
        throw new Conflict('group', key, 'HasAttachedPolicies');
      await db.deleteFrom('iam_groups').where('id', '=', id).execute();
    });
  }
  async addUser(accountId: string, groupName: string, userName: string): Promise<void> {
    await this.c.atomic(async (db) => {
      const { id: groupId } = await mustGroupRow(db, accountId, groupName);
      const userId = await mustUserId(db, accountId, userName);
      const present = await exists(
        db
          .selectFrom('iam_group_members')
          .select('user_id')
          .where('group_id', '=', groupId)
          .where('user_id', '=', userId),
      );
      if (!present)
        await db.insertInto('iam_group_members').values({ group_id: groupId, user_id: userId }).execute();
    });
  }
  async removeUser(accountId: string, groupName: string, userName: string): Promise<void> {
    await this.c.atomic(async (db) => {
      const { id: groupId } = await mustGroupRow(db, accountId, groupName);
      const userId = await mustUserId(db, accountId, userName);
      const res = await db
        .deleteFrom('iam_group_members')
        .where('group_id', '=', groupId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      if (Number(res.numDeletedRows) === 0) {
        throw new NotFound('groupMember', `${scoped(accountId, groupName)}/${userName}`);
      }
    });
  }
  async listUsers(accountId: string, groupName: string, opts?: ListOptions): Promise<Page<User>> {
    const after = afterKey(opts, 'groupMember');
    const size = pageSize(opts);
    return this.c.atomic(async (db) => {
      const { id: groupId } = await mustGroupRow(db, accountId, groupName);
      let q = db
        .selectFrom('iam_group_members as m')
        .innerJoin('users as u', 'u.id', 'm.user_id')
        .selectAll('u')
        .where('m.group_id', '=', groupId);
      if (after !== undefined) q = q.where('u.name_key', '>', after[0] as string);
      const rows = await q
        .orderBy('u.name_key')
        .limit(size + 1)
        .execute();
      return pageFromRows(
        rows,
        size,
        (r) => [r.name_key],
        (r) => toUser(this.c.codec, r),
      );
    });
  }
  async listForUser(accountId: string, userName: string, opts?: ListOptions): Promise<Page<Group>> {
    const after = afterKey(opts, 'group');
    const size = pageSize(opts);
    return this.c.atomic(async (db) => {
      const userId = await mustUserId(db, accountId, userName);
      let q = db
        .selectFrom('iam_group_members as m')
        .innerJoin('iam_groups as g', 'g.id', 'm.group_id')
        .selectAll('g')
        .where('m.user_id', '=', userId);
      if (after !== undefined) q = q.where('g.name_key', '>', after[0] as string);
      const rows = await q
        .orderBy('g.name_key')
        .limit(size + 1)
        .execute();
      return pageFromRows(
        rows,
        size,
        (r) => [r.name_key],
        (r) => toGroup(this.c.codec, r),
      );
    });
  }
}

class Ops implements MetadataTx {
  readonly organizations: OrganizationOps;
  readonly accounts: AccountOps;
  readonly createAccountRequests: CreateAccountRequestOps;
  readonly users: UserOps;
  readonly roles: RoleOps;
  readonly accessKeys: AccessKeyOps;
  readonly inlinePolicies: InlinePolicyOps;
  readonly managedPolicies: ManagedPolicyOps;
  readonly attachments: AttachmentOps;
  readonly instanceProfiles: InstanceProfileOps;
  readonly sessions: SessionOps;
  readonly groups: GroupOps;
  readonly organizationalUnits: OrganizationalUnitOps;
  readonly orgPolicies: OrgPolicyOps;
  readonly repositories: RepositoryOps;
  readonly images: ImageOps;
  readonly tags: TagOps;
  readonly blobs: BlobLinkOps;
  readonly uploads: UploadOps;
  readonly replication: ReplicationOps;
  readonly registries: RegistryOps;
  readonly secrets: SecretOps;

  constructor(protected readonly ctx: Ctx) {
    this.organizations = new Organizations(ctx);
    this.accounts = new Accounts(ctx);
    this.createAccountRequests = new Requests(ctx);
    this.users = new Users(ctx);
    this.roles = new Roles(ctx);
    this.accessKeys = new AccessKeys(ctx);
    this.inlinePolicies = new InlinePolicies(ctx);
    this.managedPolicies = new ManagedPolicies(ctx);
    this.attachments = new Attachments(ctx);
    this.instanceProfiles = new InstanceProfiles(ctx);
    this.sessions = new Sessions(ctx);
    this.groups = new Groups(ctx);
    this.organizationalUnits = new SqlOrganizationalUnits(ctx);
    this.orgPolicies = new SqlOrgPolicies(ctx);
    this.repositories = new SqlRepositories(ctx);
    this.images = new SqlImages(ctx);
    this.tags = new SqlTags(ctx);
    this.blobs = new SqlBlobLinks(ctx);
    this.uploads = new SqlUploads(ctx);
    this.replication = new SqlReplication(ctx);
    this.registries = new SqlRegistries(ctx);
    this.secrets = new SqlSecrets(ctx);
  }

  async transaction<T>(fn: (tx: MetadataTx) => Promise<T>): Promise<T> {
    const { ctx } = this;
    const trx = ctx.trx;
    if (trx !== undefined) {
      assertOpen(ctx.scope);
      const inner = new Ctx(ctx.root, trx, ctx.scope, ctx.depth + 1);
      return withSavepoint(trx, inner.depth, () => fn(new Ops(inner)));
    }
    const db = ctx.db();
    const scope: TxScope = { owner: ctx.root, done: false };
    try {
      return await db
        .transaction()
        .execute((t) => runInScope(scope, () => fn(new Ops(new Ctx(ctx.root, t, scope, 0)))));
    } finally {
      scope.done = true;
    }
  }
}

/** A metadata store over any Kysely SQL dialect (the SQLite driver builds one). */
export class SqlMetadataStore extends Ops implements MetadataStore {
  /** Wraps an open, migrated database; `close` destroys it. */
  constructor(db: Kysely<Database>, adapter: SqlDialectAdapter) {
    super(new Ctx({ db, adapter, closed: false }, undefined, undefined, 0));
  }

  async close(): Promise<void> {
    const root = this.ctx.root;
    if (root.closed) return;
    assertNotInOwnTransaction(root);
    root.closed = true;
    try {
      await root.adapter.beforeClose?.(root.db);
    } finally {
      await root.db.destroy();
    }
  }
}
