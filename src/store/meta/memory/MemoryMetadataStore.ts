/**
 * The in-memory driver: the model the SQLite driver is checked against, and a fast store for unit
 * tests of services. It keeps everything in maps and passes the same conformance suite.
 *
 * Layout: one `State` of maps keyed by id, with names found by scanning (stores here are small).
 * Children point at their parent's unique id (access keys at user ids, inline policies and
 * attachments at user, role or group ids, profile memberships at role ids, group memberships at
 * group and user ids), so renames need no fix-ups. Organizations policies are attached to target
 * ids (root, OU, account) and an account's parent is kept only once it was moved.
 * Calls and transactions take one lock in turn; a transaction works on a copy of the state that
 * replaces it on commit, so a throwing transaction leaves nothing behind. Every operation checks
 * before it writes, so a failing call changes nothing either.
 */
import {
  canonAccessKey,
  canonAccount,
  canonCreateAccountRequest,
  canonGroup,
  canonInlinePolicy,
  canonInstanceProfile,
  canonManagedPolicy,
  canonOrganization,
  canonOrganizationalUnit,
  canonOrgPolicy,
  canonRole,
  canonSession,
  canonTags,
  canonUser,
  compact,
  definedOnly,
} from '../canonical.js';
import { AlreadyExists, Conflict, NotFound, type EntityKind } from '../errors.js';
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
  OrgPolicyPatch,
  RegistryOps,
  ReplicationOps,
  RepositoryOps,
  RoleOps,
  RolePatch,
  SecretOps,
  SessionOps,
  TagOps,
  UploadOps,
  UserOps,
  UserPatch,
} from '../MetadataStore.js';
import {
  matchesPathPrefix,
  paginate,
  type ListOptions,
  type Page,
  type PathListOptions,
} from '../pagination.js';
import {
  MAX_POLICY_VERSIONS,
  type AccessKey,
  type Account,
  type CreateAccountRequest,
  type CreateAccountState,
  type Group,
  type InlinePolicy,
  type InstanceProfile,
  type ManagedPolicy,
  type NewInstanceProfile,
  type NewManagedPolicy,
  type Organization,
  type OrganizationalUnit,
  type OrgPolicy,
  type OrgPolicyType,
  type PolicyVersion,
  type PrincipalKind,
  type PrincipalRef,
  type Role,
  type StsSession,
  type User,
} from '../records.js';
import { assertNotInOwnTransaction, assertOpen, runInScope, StoreMisuse, type TxScope } from '../txScope.js';
import {
  emptyEcrState,
  MemoryBlobLinks,
  MemoryImages,
  MemoryRegistries,
  MemoryReplication,
  MemoryRepositories,
  MemoryTags,
  MemoryUploads,
  type EcrState,
} from './ecr.js';
import { MemorySecrets, type SecretsState } from './secrets.js';

interface KeyRow {
  readonly key: AccessKey; // without userName
  readonly userId?: string;
}

interface OwnedRow {
  readonly kind: PrincipalKind;
  readonly ownerId: string;
}

interface InlineRow extends OwnedRow {
  readonly policy: InlinePolicy;
}

interface AttachmentRow extends OwnedRow {
  readonly arn: string;
}

interface VersionRow {
  readonly num: number;
  readonly document: string;
  readonly createdAt: Date;
}

interface PolicyRow {
  policy: Omit<ManagedPolicy, 'attachmentCount' | 'defaultVersionId'>;
  versions: VersionRow[];
  defaultVersion: number;
  nextVersion: number;
}

interface ProfileRow {
  profile: NewInstanceProfile;
  roleIds: string[];
}

interface State {
  organizations: Map<string, Organization>;
  accounts: Map<string, Account>;
  requests: Map<string, CreateAccountRequest>;
  users: Map<string, User>;
  roles: Map<string, Role>;
  keys: Map<string, KeyRow>;
  inline: InlineRow[];
  policies: Map<string, PolicyRow>;
  attachments: AttachmentRow[];
  profiles: Map<string, ProfileRow>;
  sessions: Map<string, StsSession>;
  groups: Map<string, Group>;
  /** Memberships in the order they were added. */
  members: { readonly groupId: string; readonly userId: string }[];
  ous: Map<string, OrganizationalUnit>;
  /** Account id → parent id; an account without an entry sits under its organization's root. */
  parents: Map<string, string>;
  orgPolicies: Map<string, OrgPolicy>;
  orgAttachments: { readonly policyId: string; readonly targetId: string }[];
  /** Root id → enabled policy types. */
  policyTypes: Map<string, OrgPolicyType[]>;
  ecr: EcrState;
  /** Secrets Manager secrets by ARN. */
  secrets: SecretsState;
}

function emptyState(): State {
  return {
    organizations: new Map(),
    accounts: new Map(),
    requests: new Map(),
    users: new Map(),
    roles: new Map(),
    keys: new Map(),
    inline: [],
    policies: new Map(),
    attachments: [],
    profiles: new Map(),
    sessions: new Map(),
    groups: new Map(),
    members: [],
    ous: new Map(),
    parents: new Map(),
    orgPolicies: new Map(),
    orgAttachments: [],
    policyTypes: new Map(),
    ecr: emptyEcrState(),
    secrets: new Map(),
  };
}

/** Serializes calls and transactions (a chain of promises). */
class Lock {
  #tail: Promise<void> = Promise.resolve();
  async acquire(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((r) => (release = r));
    const prev = this.#tail;
    this.#tail = prev.then(() => next);
    await prev;
    return release;
  }
}

interface Root {
  box: { state: State };
  readonly lock: Lock;
  closed: boolean;
}

/** Where an op runs: directly on the committed state (taking the lock) or inside a transaction. */
class Ctx {
  constructor(
    readonly root: Root,
    readonly box: { state: State },
    readonly scope: TxScope | undefined,
  ) {}

  async run<T>(fn: (s: State) => T): Promise<T> {
    if (this.scope !== undefined) {
      assertOpen(this.scope);
      return fn(this.box.state);
    }
    assertNotInOwnTransaction(this.root);
    const release = await this.root.lock.acquire();
    try {
      if (this.root.closed) throw new StoreMisuse('metadata store is closed');
      return fn(this.root.box.state);
    } finally {
      release();
    }
  }
}

const scoped = (accountId: string, name: string): string => `${accountId}/${name}`;

function findUser(s: State, accountId: string, name: string): User | undefined {
  const k = nameKey(name);
  for (const u of s.users.values()) if (u.accountId === accountId && nameKey(u.name) === k) return u;
  return undefined;
}

function findRole(s: State, accountId: string, name: string): Role | undefined {
  const k = nameKey(name);
  for (const r of s.roles.values()) if (r.accountId === accountId && nameKey(r.name) === k) return r;
  return undefined;
}

function findGroup(s: State, accountId: string, name: string): Group | undefined {
  const k = nameKey(name);
  for (const g of s.groups.values()) if (g.accountId === accountId && nameKey(g.name) === k) return g;
  return undefined;
}

function mustGroup(s: State, accountId: string, name: string): Group {
  const g = findGroup(s, accountId, name);
  if (g === undefined) throw new NotFound('group', scoped(accountId, name));
  return g;
}

function findPolicy(s: State, accountId: string, name: string): PolicyRow | undefined {
  const k = nameKey(name);
  for (const p of s.policies.values())
    if (p.policy.accountId === accountId && nameKey(p.policy.name) === k) return p;
  return undefined;
}

function findProfile(s: State, accountId: string, name: string): ProfileRow | undefined {
  const k = nameKey(name);
  for (const p of s.profiles.values()) {
    if (p.profile.accountId === accountId && nameKey(p.profile.name) === k) return p;
  }
  return undefined;
}

function mustUser(s: State, accountId: string, name: string): User {
  const u = findUser(s, accountId, name);
  if (u === undefined) throw new NotFound('user', scoped(accountId, name));
  return u;
}

function mustRole(s: State, accountId: string, name: string): Role {
  const r = findRole(s, accountId, name);
  if (r === undefined) throw new NotFound('role', scoped(accountId, name));
  return r;
}

function mustPolicy(s: State, accountId: string, name: string): PolicyRow {
  const p = findPolicy(s, accountId, name);
  if (p === undefined) throw new NotFound('managedPolicy', scoped(accountId, name));
  return p;
}

function mustProfile(s: State, accountId: string, name: string): ProfileRow {
  const p = findProfile(s, accountId, name);
  if (p === undefined) throw new NotFound('instanceProfile', scoped(accountId, name));
  return p;
}

/** The unique id of a user, role or group named by a reference; `NotFound` when absent. */
function ownerId(s: State, ref: PrincipalRef): string {
  switch (ref.kind) {
    case 'user':
      return mustUser(s, ref.accountId, ref.name).id;
    case 'role':
      return mustRole(s, ref.accountId, ref.name).id;
    case 'group':
      return mustGroup(s, ref.accountId, ref.name).id;
  }
}

const owns = (row: OwnedRow, kind: PrincipalKind, id: string): boolean =>
  row.kind === kind && row.ownerId === id;

function keyOut(s: State, row: KeyRow): AccessKey {
  const userName = row.userId === undefined ? undefined : s.users.get(row.userId)?.name;
  return canonAccessKey({ ...row.key, userName });
}

function policyOut(s: State, row: PolicyRow): ManagedPolicy {
  const attachmentCount = s.attachments.filter((a) => a.arn === row.policy.arn).length;
  return canonManagedPolicy({ ...row.policy, defaultVersionId: `v${row.defaultVersion}`, attachmentCount });
}

function versionOut(row: PolicyRow, v: VersionRow): PolicyVersion {
  return {
    versionId: `v${v.num}`,
    document: v.document,
    isDefault: v.num === row.defaultVersion,
    createdAt: new Date(v.createdAt.getTime()),
  };
}

function profileOut(s: State, row: ProfileRow): InstanceProfile {
  const roleNames = row.roleIds.flatMap((id) => {
    const r = s.roles.get(id);
    return r === undefined ? [] : [r.name];
  });
  return canonInstanceProfile({ ...row.profile, roleNames });
}

function assertFreeName(
  taken: boolean,
  entity: EntityKind,
  accountId: string,
  name: string,
  idTaken: boolean,
  id: string,
): void {
  if (idTaken) throw new AlreadyExists(entity, id, 'id');
  if (taken) throw new AlreadyExists(entity, scoped(accountId, name), 'name');
}

class Organizations implements OrganizationOps {
  constructor(private readonly c: Ctx) {}
  create(org: Organization): Promise<Organization> {
    return this.c.run((s) => {
      if (s.organizations.has(org.id)) throw new AlreadyExists('organization', org.id, 'id');
      s.organizations.set(org.id, canonOrganization(org));
      return canonOrganization(org);
    });
  }
  get(id: string): Promise<Organization | undefined> {
    return this.c.run((s) => {
      const o = s.organizations.get(id);
      return o === undefined ? undefined : canonOrganization(o);
    });
  }
  list(opts?: ListOptions): Promise<Page<Organization>> {
    return this.c.run((s) =>
      paginate([...s.organizations.values()].map(canonOrganization), (o) => [o.id], opts, 'organization', 1),
    );
  }
  delete(id: string): Promise<void> {
    return this.c.run((s) => {
      if (!s.organizations.has(id)) throw new NotFound('organization', id);
      for (const a of s.accounts.values())
        if (a.organizationId === id) throw new Conflict('organization', id, 'HasAccounts');
      s.organizations.delete(id);
    });
  }
}

class Accounts implements AccountOps {
  constructor(private readonly c: Ctx) {}

  private static clash(s: State, a: Account, except: string | undefined): void {
    const others = [...s.accounts.values()].filter((o) => o.id !== except);
    if (others.some((o) => nameKey(o.email) === nameKey(a.email)))
      throw new AlreadyExists('account', a.email, 'email');
    const alias = a.alias;
    if (
      alias !== undefined &&
      others.some((o) => o.alias !== undefined && nameKey(o.alias) === nameKey(alias))
    ) {
      throw new AlreadyExists('account', alias, 'alias');
    }
  }

  create(account: Account): Promise<Account> {
    return this.c.run((s) => {
      if (s.accounts.has(account.id)) throw new AlreadyExists('account', account.id, 'id');
      Accounts.clash(s, account, undefined);
      s.accounts.set(account.id, canonAccount(account));
      return canonAccount(account);
    });
  }
  get(id: string): Promise<Account | undefined> {
    return this.c.run((s) => {
      const a = s.accounts.get(id);
      return a === undefined ? undefined : canonAccount(a);
    });
  }
  getByAlias(alias: string): Promise<Account | undefined> {
    return this.c.run((s) => {
      for (const a of s.accounts.values()) {
        if (a.alias !== undefined && nameKey(a.alias) === nameKey(alias)) return canonAccount(a);
      }
      return undefined;
    });
  }
  list(opts?: ListOptions & { readonly organizationId?: string }): Promise<Page<Account>> {
    return this.c.run((s) => {
      const all = [...s.accounts.values()].filter(
        (a) => opts?.organizationId === undefined || a.organizationId === opts.organizationId,
      );
      return paginate(all.map(canonAccount), (a) => [a.id], opts, 'account', 1);
    });
  }
  update(id: string, patch: AccountPatch): Promise<Account> {
    return this.c.run((s) => {
      const a = s.accounts.get(id);
      if (a === undefined) throw new NotFound('account', id);
      const next = canonAccount({
        ...a,
        ...definedOnly({ name: patch.name, email: patch.email, status: patch.status }),
        alias: patch.alias === null ? undefined : (patch.alias ?? a.alias),
        organizationId:
          patch.organizationId === null ? undefined : (patch.organizationId ?? a.organizationId),
      });
      Accounts.clash(s, next, id);
      s.accounts.set(id, next);
      return canonAccount(next);
    });
  }
}

class Requests implements CreateAccountRequestOps {
  constructor(private readonly c: Ctx) {}
  create(request: CreateAccountRequest): Promise<CreateAccountRequest> {
    return this.c.run((s) => {
      if (s.requests.has(request.id)) throw new AlreadyExists('createAccountRequest', request.id, 'id');
      s.requests.set(request.id, canonCreateAccountRequest(request));
      return canonCreateAccountRequest(request);
    });
  }
  get(id: string): Promise<CreateAccountRequest | undefined> {
    return this.c.run((s) => {
      const r = s.requests.get(id);
      return r === undefined ? undefined : canonCreateAccountRequest(r);
    });
  }
  list(
    opts?: ListOptions & {
      readonly organizationId?: string;
      readonly states?: readonly CreateAccountState[];
    },
  ): Promise<Page<CreateAccountRequest>> {
    return this.c.run((s) => {
      const all = [...s.requests.values()].filter(
        (r) =>
          (opts?.organizationId === undefined || r.organizationId === opts.organizationId) &&
          (opts?.states === undefined || opts.states.includes(r.state)),
      );
      return paginate(all.map(canonCreateAccountRequest), (r) => [r.id], opts, 'createAccountRequest', 1);
    });
  }
  update(id: string, patch: CreateAccountRequestPatch): Promise<CreateAccountRequest> {
    return this.c.run((s) => {
      const r = s.requests.get(id);
      if (r === undefined) throw new NotFound('createAccountRequest', id);
      const next = canonCreateAccountRequest({ ...r, ...definedOnly({ ...patch }) });
      s.requests.set(id, next);
      return canonCreateAccountRequest(next);
    });
  }
}

class Users implements UserOps {
  constructor(private readonly c: Ctx) {}
  create(user: User): Promise<User> {
    return this.c.run((s) => {
      assertFreeName(
        findUser(s, user.accountId, user.name) !== undefined,
        'user',
        user.accountId,
        user.name,
        s.users.has(user.id),
        user.id,
      );
      s.users.set(user.id, canonUser(user));
      return canonUser(user);
    });
  }
  get(accountId: string, name: string): Promise<User | undefined> {
    return this.c.run((s) => {
      const u = findUser(s, accountId, name);
      return u === undefined ? undefined : canonUser(u);
    });
  }
  getById(id: string): Promise<User | undefined> {
    return this.c.run((s) => {
      const u = s.users.get(id);
      return u === undefined ? undefined : canonUser(u);
    });
  }
  list(accountId: string, opts?: PathListOptions): Promise<Page<User>> {
    return this.c.run((s) => {
      const all = [...s.users.values()].filter(
        (u) => u.accountId === accountId && matchesPathPrefix(u.path, opts?.pathPrefix),
      );
      return paginate(all.map(canonUser), (u) => [nameKey(u.name)], opts, 'user', 1);
    });
  }
  update(accountId: string, name: string, patch: UserPatch): Promise<User> {
    return this.c.run((s) => {
      const u = mustUser(s, accountId, name);
      if (patch.name !== undefined) {
        const other = findUser(s, accountId, patch.name);
        if (other !== undefined && other.id !== u.id) {
          throw new AlreadyExists('user', scoped(accountId, patch.name), 'name');
        }
      }
      const next = canonUser({
        ...u,
        ...definedOnly({ name: patch.name, path: patch.path, tags: patch.tags }),
        permissionsBoundaryArn:
          patch.permissionsBoundaryArn === null
            ? undefined
            : (patch.permissionsBoundaryArn ?? u.permissionsBoundaryArn),
      });
      s.users.set(u.id, next);
      return canonUser(next);
    });
  }
  delete(accountId: string, name: string): Promise<void> {
    return this.c.run((s) => {
      const u = mustUser(s, accountId, name);
      const key = scoped(accountId, name);
      for (const k of s.keys.values())
        if (k.userId === u.id) throw new Conflict('user', key, 'HasAccessKeys');
      if (s.inline.some((r) => owns(r, 'user', u.id))) throw new Conflict('user', key, 'HasInlinePolicies');
      if (s.attachments.some((r) => owns(r, 'user', u.id)))
        throw new Conflict('user', key, 'HasAttachedPolicies');
      if (s.members.some((m) => m.userId === u.id)) throw new Conflict('user', key, 'InGroups');
      s.users.delete(u.id);
    });
  }
}

class Roles implements RoleOps {
  constructor(private readonly c: Ctx) {}
  create(role: Role): Promise<Role> {
    return this.c.run((s) => {
      assertFreeName(
        findRole(s, role.accountId, role.name) !== undefined,
        'role',
        role.accountId,
        role.name,
        s.roles.has(role.id),
        role.id,
      );
      s.roles.set(role.id, canonRole(role));
      return canonRole(role);
    });
  }
  get(accountId: string, name: string): Promise<Role | undefined> {
    return this.c.run((s) => {
      const r = findRole(s, accountId, name);
      return r === undefined ? undefined : canonRole(r);
    });
  }
  getById(id: string): Promise<Role | undefined> {
    return this.c.run((s) => {
      const r = s.roles.get(id);
      return r === undefined ? undefined : canonRole(r);
    });
  }
  list(accountId: string, opts?: PathListOptions): Promise<Page<Role>> {
    return this.c.run((s) => {
      const all = [...s.roles.values()].filter(
        (r) => r.accountId === accountId && matchesPathPrefix(r.path, opts?.pathPrefix),
      );
      return paginate(all.map(canonRole), (r) => [nameKey(r.name)], opts, 'role', 1);
    });
  }
  update(accountId: string, name: string, patch: RolePatch): Promise<Role> {
    return this.c.run((s) => {
      const r = mustRole(s, accountId, name);
      const next = canonRole({
        ...r,
        ...definedOnly({
          assumeRolePolicyDocument: patch.assumeRolePolicyDocument,
          maxSessionDuration: patch.maxSessionDuration,
          tags: patch.tags,
        }),
        description: patch.description === null ? undefined : (patch.description ?? r.description),
        permissionsBoundaryArn:
          patch.permissionsBoundaryArn === null
            ? undefined
            : (patch.permissionsBoundaryArn ?? r.permissionsBoundaryArn),
        lastUsed: patch.lastUsed === null ? undefined : (patch.lastUsed ?? r.lastUsed),
        trustPrincipals:
          patch.trustPrincipals === null ? undefined : (patch.trustPrincipals ?? r.trustPrincipals),
      });
      s.roles.set(r.id, next);
      return canonRole(next);
    });
  }
  delete(accountId: string, name: string): Promise<void> {
    return this.c.run((s) => {
      const r = mustRole(s, accountId, name);
      const key = scoped(accountId, name);
      for (const p of s.profiles.values())
        if (p.roleIds.includes(r.id)) throw new Conflict('role', key, 'InInstanceProfiles');
      if (s.inline.some((x) => owns(x, 'role', r.id))) throw new Conflict('role', key, 'HasInlinePolicies');
      if (s.attachments.some((x) => owns(x, 'role', r.id)))
        throw new Conflict('role', key, 'HasAttachedPolicies');
      s.roles.delete(r.id);
    });
  }
}

class AccessKeys implements AccessKeyOps {
  constructor(private readonly c: Ctx) {}
  create(key: AccessKey): Promise<AccessKey> {
    return this.c.run((s) => {
      const userId = key.userName === undefined ? undefined : mustUser(s, key.accountId, key.userName).id;
      if (s.keys.has(key.id)) throw new AlreadyExists('accessKey', key.id, 'id');
      const row: KeyRow = compact({ key: canonAccessKey({ ...key, userName: undefined }), userId });
      s.keys.set(key.id, row);
      return keyOut(s, row);
    });
  }
  get(id: string): Promise<AccessKey | undefined> {
    return this.c.run((s) => {
      const row = s.keys.get(id);
      return row === undefined ? undefined : keyOut(s, row);
    });
  }
  list(owner: AccessKeyOwner, opts?: ListOptions): Promise<Page<AccessKey>> {
    return this.c.run((s) => {
      const userId =
        owner.userName === undefined ? undefined : mustUser(s, owner.accountId, owner.userName).id;
      const all = [...s.keys.values()].filter(
        (r) => r.key.accountId === owner.accountId && r.userId === userId,
      );
      return paginate(
        all.map((r) => keyOut(s, r)),
        (k) => [k.id],
        opts,
        'accessKey',
        1,
      );
    });
  }
  update(id: string, patch: AccessKeyPatch): Promise<AccessKey> {
    return this.c.run((s) => {
      const row = s.keys.get(id);
      if (row === undefined) throw new NotFound('accessKey', id);
      const next: KeyRow = { ...row, key: canonAccessKey({ ...row.key, ...definedOnly({ ...patch }) }) };
      s.keys.set(id, next);
      return keyOut(s, next);
    });
  }
  delete(id: string): Promise<void> {
    return this.c.run((s) => {
      if (!s.keys.delete(id)) throw new NotFound('accessKey', id);
    });
  }
}

class InlinePolicies implements InlinePolicyOps {
  constructor(private readonly c: Ctx) {}
  put(owner: PrincipalRef, policy: InlinePolicy): Promise<void> {
    return this.c.run((s) => {
      const id = ownerId(s, owner);
      const k = nameKey(policy.name);
      s.inline = s.inline.filter((r) => !(owns(r, owner.kind, id) && nameKey(r.policy.name) === k));
      s.inline.push({ kind: owner.kind, ownerId: id, policy: canonInlinePolicy(policy) });
    });
  }
  get(owner: PrincipalRef, name: string): Promise<InlinePolicy | undefined> {
    return this.c.run((s) => {
      const id = ownerId(s, owner);
      const row = s.inline.find((r) => owns(r, owner.kind, id) && nameKey(r.policy.name) === nameKey(name));
      return row === undefined ? undefined : canonInlinePolicy(row.policy);
    });
  }
  list(owner: PrincipalRef, opts?: ListOptions): Promise<Page<InlinePolicy>> {
    return this.c.run((s) => {
      const id = ownerId(s, owner);
      const all = s.inline.filter((r) => owns(r, owner.kind, id)).map((r) => canonInlinePolicy(r.policy));
      return paginate(all, (p) => [nameKey(p.name)], opts, 'inlinePolicy', 1);
    });
  }
  delete(owner: PrincipalRef, name: string): Promise<void> {
    return this.c.run((s) => {
      const id = ownerId(s, owner);
      const keep = s.inline.filter(
        (r) => !(owns(r, owner.kind, id) && nameKey(r.policy.name) === nameKey(name)),
      );
      if (keep.length === s.inline.length) {
        throw new NotFound('inlinePolicy', `${scoped(owner.accountId, owner.name)}/${name}`);
      }
      s.inline = keep;
    });
  }
}

class ManagedPolicies implements ManagedPolicyOps {
  constructor(private readonly c: Ctx) {}
  create(p: NewManagedPolicy): Promise<ManagedPolicy> {
    return this.c.run((s) => {
      assertFreeName(
        findPolicy(s, p.accountId, p.name) !== undefined,
        'managedPolicy',
        p.accountId,
        p.name,
        s.policies.has(p.id),
        p.id,
      );
      for (const o of s.policies.values())
        if (o.policy.arn === p.arn) throw new AlreadyExists('managedPolicy', p.arn, 'arn');
      const row: PolicyRow = {
        policy: compact({
          accountId: p.accountId,
          name: p.name,
          path: p.path,
          id: p.id,
          arn: p.arn,
          description: p.description,
          isAttachable: p.isAttachable ?? true,
          createdAt: new Date(p.createdAt.getTime()),
          updatedAt: new Date(p.createdAt.getTime()),
          tags: canonTags(p.tags),
        }),
        versions: [{ num: 1, document: p.document, createdAt: new Date(p.createdAt.getTime()) }],
        defaultVersion: 1,
        nextVersion: 2,
      };
      s.policies.set(p.id, row);
      return policyOut(s, row);
    });
  }
  get(accountId: string, name: string): Promise<ManagedPolicy | undefined> {
    return this.c.run((s) => {
      const row = findPolicy(s, accountId, name);
      return row === undefined ? undefined : policyOut(s, row);
    });
  }
  getByArn(arn: string): Promise<ManagedPolicy | undefined> {
    return this.c.run((s) => {
      for (const row of s.policies.values()) if (row.policy.arn === arn) return policyOut(s, row);
      return undefined;
    });
  }
  list(
    accountId: string,
    opts?: PathListOptions & { readonly onlyAttached?: boolean },
  ): Promise<Page<ManagedPolicy>> {
    return this.c.run((s) => {
      const all = [...s.policies.values()]
        .filter((r) => r.policy.accountId === accountId && matchesPathPrefix(r.policy.path, opts?.pathPrefix))
        .map((r) => policyOut(s, r))
        .filter((p) => opts?.onlyAttached !== true || p.attachmentCount > 0);
      return paginate(all, (p) => [nameKey(p.name)], opts, 'managedPolicy', 1);
    });
  }
  update(accountId: string, name: string, patch: ManagedPolicyPatch): Promise<ManagedPolicy> {
    return this.c.run((s) => {
      const row = mustPolicy(s, accountId, name);
      if (patch.tags !== undefined) row.policy = { ...row.policy, tags: canonTags(patch.tags) };
      return policyOut(s, row);
    });
  }
  delete(accountId: string, name: string): Promise<void> {
    return this.c.run((s) => {
      const row = mustPolicy(s, accountId, name);
      if (s.attachments.some((a) => a.arn === row.policy.arn)) {
        throw new Conflict('managedPolicy', scoped(accountId, name), 'HasAttachments');
      }
      s.policies.delete(row.policy.id);
    });
  }
  createVersion(
    accountId: string,
    name: string,
    version: { readonly document: string; readonly createdAt: Date; readonly setAsDefault: boolean },
  ): Promise<PolicyVersion> {
    return this.c.run((s) => {
      const row = mustPolicy(s, accountId, name);
      if (row.versions.length >= MAX_POLICY_VERSIONS) {
        throw new Conflict('managedPolicy', scoped(accountId, name), 'VersionLimitReached');
      }
      const v: VersionRow = {
        num: row.nextVersion,
        document: version.document,
        createdAt: new Date(version.createdAt.getTime()),
      };
      row.versions.push(v);
      row.nextVersion += 1;
      if (version.setAsDefault) row.defaultVersion = v.num;
      row.policy = { ...row.policy, updatedAt: new Date(version.createdAt.getTime()) };
      return versionOut(row, v);
    });
  }
  getVersion(accountId: string, name: string, versionId: string): Promise<PolicyVersion | undefined> {
    return this.c.run((s) => {
      const row = mustPolicy(s, accountId, name);
      const v = row.versions.find((x) => x.num === parseVersionId(versionId));
      return v === undefined ? undefined : versionOut(row, v);
    });
  }
  listVersions(accountId: string, name: string): Promise<PolicyVersion[]> {
    return this.c.run((s) => {
      const row = mustPolicy(s, accountId, name);
      return [...row.versions].sort((a, b) => a.num - b.num).map((v) => versionOut(row, v));
    });
  }
  setDefaultVersion(accountId: string, name: string, versionId: string, at: Date): Promise<void> {
    return this.c.run((s) => {
      const row = mustPolicy(s, accountId, name);
      const v = row.versions.find((x) => x.num === parseVersionId(versionId));
      if (v === undefined) throw new NotFound('policyVersion', `${scoped(accountId, name)}/${versionId}`);
      row.defaultVersion = v.num;
      row.policy = { ...row.policy, updatedAt: new Date(at.getTime()) };
    });
  }
  deleteVersion(accountId: string, name: string, versionId: string): Promise<void> {
    return this.c.run((s) => {
      const row = mustPolicy(s, accountId, name);
      const num = parseVersionId(versionId);
      const v = row.versions.find((x) => x.num === num);
      const key = `${scoped(accountId, name)}/${versionId}`;
      if (v === undefined) throw new NotFound('policyVersion', key);
      if (v.num === row.defaultVersion) throw new Conflict('policyVersion', key, 'IsDefaultVersion');
      row.versions = row.versions.filter((x) => x !== v);
    });
  }
}

class Attachments implements AttachmentOps {
  constructor(private readonly c: Ctx) {}
  attach(principal: PrincipalRef, policyArn: string): Promise<void> {
    return this.c.run((s) => {
      const id = ownerId(s, principal);
      if (!s.attachments.some((a) => owns(a, principal.kind, id) && a.arn === policyArn)) {
        s.attachments.push({ kind: principal.kind, ownerId: id, arn: policyArn });
      }
    });
  }
  detach(principal: PrincipalRef, policyArn: string): Promise<void> {
    return this.c.run((s) => {
      const id = ownerId(s, principal);
      const keep = s.attachments.filter((a) => !(owns(a, principal.kind, id) && a.arn === policyArn));
      if (keep.length === s.attachments.length) {
        throw new NotFound('policyAttachment', `${scoped(principal.accountId, principal.name)}/${policyArn}`);
      }
      s.attachments = keep;
    });
  }
  listForPrincipal(principal: PrincipalRef, opts?: PathListOptions): Promise<Page<string>> {
    return this.c.run((s) => {
      const id = ownerId(s, principal);
      const arns = s.attachments
        .filter(
          (a) => owns(a, principal.kind, id) && matchesPathPrefix(policyPathFromArn(a.arn), opts?.pathPrefix),
        )
        .map((a) => a.arn);
      return paginate(arns, (a) => [a], opts, 'policyAttachment', 1);
    });
  }
  listForPolicy(
    policyArn: string,
    opts?: ListOptions & { readonly kind?: PrincipalKind },
  ): Promise<Page<PrincipalRef>> {
    return this.c.run((s) => {
      const rows = s.attachments.filter(
        (a) => a.arn === policyArn && (opts?.kind === undefined || a.kind === opts.kind),
      );
      const refs = rows.flatMap((a) => {
        const e =
          a.kind === 'user'
            ? s.users.get(a.ownerId)
            : a.kind === 'role'
              ? s.roles.get(a.ownerId)
              : s.groups.get(a.ownerId);
        return e === undefined
          ? []
          : [{ ref: { kind: a.kind, accountId: e.accountId, name: e.name }, id: a.ownerId }];
      });
      const page = paginate(refs, (r) => [r.ref.kind, r.id], opts, 'policyAttachment', 2);
      return page.marker === undefined
        ? { items: page.items.map((r) => r.ref) }
        : { items: page.items.map((r) => r.ref), marker: page.marker };
    });
  }
}

class InstanceProfiles implements InstanceProfileOps {
  constructor(private readonly c: Ctx) {}
  create(p: NewInstanceProfile): Promise<InstanceProfile> {
    return this.c.run((s) => {
      assertFreeName(
        findProfile(s, p.accountId, p.name) !== undefined,
        'instanceProfile',
        p.accountId,
        p.name,
        s.profiles.has(p.id),
        p.id,
      );
      const { roleNames: _ignored, ...profile } = canonInstanceProfile({ ...p, roleNames: [] });
      const row: ProfileRow = { profile, roleIds: [] };
      s.profiles.set(p.id, row);
      return profileOut(s, row);
    });
  }
  get(accountId: string, name: string): Promise<InstanceProfile | undefined> {
    return this.c.run((s) => {
      const row = findProfile(s, accountId, name);
      return row === undefined ? undefined : profileOut(s, row);
    });
  }
  list(accountId: string, opts?: PathListOptions): Promise<Page<InstanceProfile>> {
    return this.c.run((s) => {
      const all = [...s.profiles.values()]
        .filter(
          (r) => r.profile.accountId === accountId && matchesPathPrefix(r.profile.path, opts?.pathPrefix),
        )
        .map((r) => profileOut(s, r));
      return paginate(all, (p) => [nameKey(p.name)], opts, 'instanceProfile', 1);
    });
  }
  listForRole(accountId: string, roleName: string, opts?: ListOptions): Promise<Page<InstanceProfile>> {
    return this.c.run((s) => {
      const role = mustRole(s, accountId, roleName);
      const all = [...s.profiles.values()]
        .filter((r) => r.roleIds.includes(role.id))
        .map((r) => profileOut(s, r));
      return paginate(all, (p) => [nameKey(p.name)], opts, 'instanceProfile', 1);
    });
  }
  update(accountId: string, name: string, patch: InstanceProfilePatch): Promise<InstanceProfile> {
    return this.c.run((s) => {
      const row = mustProfile(s, accountId, name);
      if (patch.tags !== undefined) row.profile = { ...row.profile, tags: canonTags(patch.tags) };
      return profileOut(s, row);
    });
  }
  delete(accountId: string, name: string): Promise<void> {
    return this.c.run((s) => {
      const row = mustProfile(s, accountId, name);
      if (row.roleIds.length > 0) throw new Conflict('instanceProfile', scoped(accountId, name), 'HasRoles');
      s.profiles.delete(row.profile.id);
    });
  }
  addRole(accountId: string, profileName: string, roleName: string): Promise<void> {
    return this.c.run((s) => {
      const row = mustProfile(s, accountId, profileName);
      const role = mustRole(s, accountId, roleName);
      if (row.roleIds.includes(role.id)) {
        throw new AlreadyExists('instanceProfile', `${scoped(accountId, profileName)}/${roleName}`, 'member');
      }
      row.roleIds.push(role.id);
    });
  }
  removeRole(accountId: string, profileName: string, roleName: string): Promise<void> {
    return this.c.run((s) => {
      const row = mustProfile(s, accountId, profileName);
      const role = mustRole(s, accountId, roleName);
      if (!row.roleIds.includes(role.id))
        throw new NotFound('role', `${scoped(accountId, profileName)}/${roleName}`);
      row.roleIds = row.roleIds.filter((id) => id !== role.id);
    });
  }
}

class Sessions implements SessionOps {
  constructor(private readonly c: Ctx) {}
  create(session: StsSession): Promise<StsSession> {
    return this.c.run((s) => {
      if (s.sessions.has(session.accessKeyId)) throw new AlreadyExists('session', session.accessKeyId, 'id');
      s.sessions.set(session.accessKeyId, canonSession(session));
      return canonSession(session);
    });
  }
  get(accessKeyId: string): Promise<StsSession | undefined> {
    return this.c.run((s) => {
      const x = s.sessions.get(accessKeyId);
      return x === undefined ? undefined : canonSession(x);
    });
  }
  delete(accessKeyId: string): Promise<void> {
    return this.c.run((s) => {
      if (!s.sessions.delete(accessKeyId)) throw new NotFound('session', accessKeyId);
    });
  }
  deleteExpired(now: Date): Promise<number> {
    return this.c.run((s) => {
      let n = 0;
      for (const [id, x] of s.sessions) {
        if (x.expiresAt.getTime() <= now.getTime()) {
          s.sessions.delete(id);
          n++;
        }
      }
      return n;
    });
  }
}

class Groups implements GroupOps {
  constructor(private readonly c: Ctx) {}
  create(group: Group): Promise<Group> {
    return this.c.run((s) => {
      assertFreeName(
        findGroup(s, group.accountId, group.name) !== undefined,
        'group',
        group.accountId,
        group.name,
        s.groups.has(group.id),
        group.id,
      );
      s.groups.set(group.id, canonGroup(group));
      return canonGroup(group);
    });
  }
  get(accountId: string, name: string): Promise<Group | undefined> {
    return this.c.run((s) => {
      const g = findGroup(s, accountId, name);
      return g === undefined ? undefined : canonGroup(g);
    });
  }
  list(accountId: string, opts?: PathListOptions): Promise<Page<Group>> {
    return this.c.run((s) => {
      const all = [...s.groups.values()].filter(
        (g) => g.accountId === accountId && matchesPathPrefix(g.path, opts?.pathPrefix),
      );
      return paginate(all.map(canonGroup), (g) => [nameKey(g.name)], opts, 'group', 1);
    });
  }
  update(accountId: string, name: string, patch: GroupPatch): Promise<Group> {
    return this.c.run((s) => {
      const g = mustGroup(s, accountId, name);
      if (patch.name !== undefined) {
        const other = findGroup(s, accountId, patch.name);
        if (other !== undefined && other.id !== g.id) {
          throw new AlreadyExists('group', scoped(accountId, patch.name), 'name');
        }
      }
      const next = canonGroup({ ...g, ...definedOnly({ name: patch.name, path: patch.path }) });
      s.groups.set(g.id, next);
      return canonGroup(next);
    });
  }
  delete(accountId: string, name: string): Promise<void> {
    return this.c.run((s) => {
      const g = mustGroup(s, accountId, name);
      const key = scoped(accountId, name);
      if (s.members.some((m) => m.groupId === g.id)) throw new Conflict('group', key, 'HasMembers');
      if (s.inline.some((r) => owns(r, 'group', g.id))) throw new Conflict('group', key, 'HasInlinePolicies');
      if (s.attachments.some((r) => owns(r, 'group', g.id)))
        throw new Conflict('group', key, 'HasAttachedPolicies');
      s.groups.delete(g.id);
    });
  }
  addUser(accountId: string, groupName: string, userName: string): Promise<void> {
    return this.c.run((s) => {
      const g = mustGroup(s, accountId, groupName);
      const u = mustUser(s, accountId, userName);
      if (!s.members.some((m) => m.groupId === g.id && m.userId === u.id)) {
        s.members.push({ groupId: g.id, userId: u.id });
      }
    });
  }
  removeUser(accountId: string, groupName: string, userName: string): Promise<void> {
    return this.c.run((s) => {
      const g = mustGroup(s, accountId, groupName);
      const u = mustUser(s, accountId, userName);
      const keep = s.members.filter((m) => !(m.groupId === g.id && m.userId === u.id));
      if (keep.length === s.members.length) {
        throw new NotFound('groupMember', `${scoped(accountId, groupName)}/${userName}`);
      }
      s.members = keep;
    });
  }
  listUsers(accountId: string, groupName: string, opts?: ListOptions): Promise<Page<User>> {
    return this.c.run((s) => {
      const g = mustGroup(s, accountId, groupName);
      const users = s.members.flatMap((m) => {
        const u = m.groupId === g.id ? s.users.get(m.userId) : undefined;
        return u === undefined ? [] : [canonUser(u)];
      });
      return paginate(users, (u) => [nameKey(u.name)], opts, 'groupMember', 1);
    });
  }
  listForUser(accountId: string, userName: string, opts?: ListOptions): Promise<Page<Group>> {
    return this.c.run((s) => {
      const u = mustUser(s, accountId, userName);
      const groups = s.members.flatMap((m) => {
        const g = m.userId === u.id ? s.groups.get(m.groupId) : undefined;
        return g === undefined ? [] : [canonGroup(g)];
      });
      return paginate(groups, (g) => [nameKey(g.name)], opts, 'group', 1);
    });
  }
}

/** Whether `parentId` is the root of `organizationId` or one of its OUs; `NotFound` otherwise. */
function mustParent(s: State, organizationId: string, parentId: string): void {
  const org = s.organizations.get(organizationId);
  if (org === undefined) throw new NotFound('organization', organizationId);
  if (parentId === org.rootId) return;
  const ou = s.ous.get(parentId);
  if (ou === undefined || ou.organizationId !== organizationId) {
    throw new NotFound('organizationalUnit', parentId);
  }
}

function parentOfAccount(s: State, a: Account): string {
  const org = a.organizationId === undefined ? undefined : s.organizations.get(a.organizationId);
  return s.parents.get(a.id) ?? org?.rootId ?? '';
}

class OrganizationalUnits implements OrganizationalUnitOps {
  constructor(private readonly c: Ctx) {}
  create(ou: OrganizationalUnit): Promise<OrganizationalUnit> {
    return this.c.run((s) => {
      mustParent(s, ou.organizationId, ou.parentId);
      if (s.ous.has(ou.id)) throw new AlreadyExists('organizationalUnit', ou.id, 'id');
      for (const o of s.ous.values()) {
        if (o.parentId === ou.parentId && nameKey(o.name) === nameKey(ou.name)) {
          throw new AlreadyExists('organizationalUnit', `${ou.parentId}/${ou.name}`, 'name');
        }
      }
      s.ous.set(ou.id, canonOrganizationalUnit(ou));
      return canonOrganizationalUnit(ou);
    });
  }
  get(id: string): Promise<OrganizationalUnit | undefined> {
    return this.c.run((s) => {
      const o = s.ous.get(id);
      return o === undefined ? undefined : canonOrganizationalUnit(o);
    });
  }
  list(parentId: string, opts?: ListOptions): Promise<Page<OrganizationalUnit>> {
    return this.c.run((s) => {
      const all = [...s.ous.values()].filter((o) => o.parentId === parentId).map(canonOrganizationalUnit);
      return paginate(all, (o) => [nameKey(o.name), o.id], opts, 'organizationalUnit', 2);
    });
  }
  update(id: string, patch: { readonly name?: string }): Promise<OrganizationalUnit> {
    return this.c.run((s) => {
      const o = s.ous.get(id);
      if (o === undefined) throw new NotFound('organizationalUnit', id);
      const name = patch.name;
      if (name !== undefined) {
        for (const x of s.ous.values()) {
          if (x.id !== id && x.parentId === o.parentId && nameKey(x.name) === nameKey(name)) {
            throw new AlreadyExists('organizationalUnit', `${o.parentId}/${name}`, 'name');
          }
        }
      }
      const next = canonOrganizationalUnit({ ...o, ...definedOnly({ name }) });
      s.ous.set(id, next);
      return canonOrganizationalUnit(next);
    });
  }
  delete(id: string): Promise<void> {
    return this.c.run((s) => {
      const o = s.ous.get(id);
      if (o === undefined) throw new NotFound('organizationalUnit', id);
      const hasOus = [...s.ous.values()].some((x) => x.parentId === id);
      const hasAccounts = [...s.parents.values()].some((p) => p === id);
      if (hasOus || hasAccounts) throw new Conflict('organizationalUnit', id, 'HasChildren');
      s.ous.delete(id);
      s.orgAttachments = s.orgAttachments.filter((a) => a.targetId !== id);
    });
  }
  parentOf(accountId: string): Promise<string> {
    return this.c.run((s) => {
      const a = s.accounts.get(accountId);
      if (a === undefined) throw new NotFound('account', accountId);
      return parentOfAccount(s, a);
    });
  }
  moveAccount(accountId: string, parentId: string): Promise<void> {
    return this.c.run((s) => {
      const a = s.accounts.get(accountId);
      if (a?.organizationId === undefined) throw new NotFound('account', accountId);
      mustParent(s, a.organizationId, parentId);
      s.parents.set(accountId, parentId);
    });
  }
  listAccounts(organizationId: string, parentId: string, opts?: ListOptions): Promise<Page<string>> {
    return this.c.run((s) => {
      const ids = [...s.accounts.values()]
        .filter((a) => a.organizationId === organizationId && parentOfAccount(s, a) === parentId)
        .map((a) => a.id);
      return paginate(ids, (id) => [id], opts, 'account', 1);
    });
  }
}

class OrgPolicies implements OrgPolicyOps {
  constructor(private readonly c: Ctx) {}
  private static clash(s: State, p: OrgPolicy): void {
    for (const o of s.orgPolicies.values()) {
      if (o.id !== p.id && o.organizationId === p.organizationId && nameKey(o.name) === nameKey(p.name)) {
        throw new AlreadyExists('orgPolicy', `${p.organizationId}/${p.name}`, 'name');
      }
    }
  }
  create(policy: OrgPolicy): Promise<OrgPolicy> {
    return this.c.run((s) => {
      if (s.orgPolicies.has(policy.id)) throw new AlreadyExists('orgPolicy', policy.id, 'id');
      OrgPolicies.clash(s, policy);
      s.orgPolicies.set(policy.id, canonOrgPolicy(policy));
      return canonOrgPolicy(policy);
    });
  }
  get(id: string): Promise<OrgPolicy | undefined> {
    return this.c.run((s) => {
      const p = s.orgPolicies.get(id);
      return p === undefined ? undefined : canonOrgPolicy(p);
    });
  }
  list(
    organizationId: string,
    opts?: ListOptions & { readonly type?: OrgPolicyType },
  ): Promise<Page<OrgPolicy>> {
    return this.c.run((s) => {
      const all = [...s.orgPolicies.values()]
        .filter(
          (p) => p.organizationId === organizationId && (opts?.type === undefined || p.type === opts.type),
        )
        .map(canonOrgPolicy);
      return paginate(all, (p) => [nameKey(p.name), p.id], opts, 'orgPolicy', 2);
    });
  }
  update(id: string, patch: OrgPolicyPatch): Promise<OrgPolicy> {
    return this.c.run((s) => {
      const p = s.orgPolicies.get(id);
      if (p === undefined) throw new NotFound('orgPolicy', id);
      const next = canonOrgPolicy({ ...p, ...definedOnly({ ...patch }) });
      OrgPolicies.clash(s, next);
      s.orgPolicies.set(id, next);
      return canonOrgPolicy(next);
    });
  }
  delete(id: string): Promise<void> {
    return this.c.run((s) => {
      if (!s.orgPolicies.has(id)) throw new NotFound('orgPolicy', id);
      if (s.orgAttachments.some((a) => a.policyId === id))
        throw new Conflict('orgPolicy', id, 'HasAttachments');
      s.orgPolicies.delete(id);
    });
  }
  attach(policyId: string, targetId: string): Promise<void> {
    return this.c.run((s) => {
      if (s.orgAttachments.some((a) => a.policyId === policyId && a.targetId === targetId)) {
        throw new AlreadyExists('orgPolicyAttachment', `${policyId}/${targetId}`, 'member');
      }
      s.orgAttachments.push({ policyId, targetId });
    });
  }
  detach(policyId: string, targetId: string): Promise<void> {
    return this.c.run((s) => {
      const keep = s.orgAttachments.filter((a) => !(a.policyId === policyId && a.targetId === targetId));
      if (keep.length === s.orgAttachments.length) {
        throw new NotFound('orgPolicyAttachment', `${policyId}/${targetId}`);
      }
      s.orgAttachments = keep;
    });
  }
  listForTarget(targetId: string, opts?: ListOptions): Promise<Page<string>> {
    return this.c.run((s) => {
      const ids = s.orgAttachments.filter((a) => a.targetId === targetId).map((a) => a.policyId);
      return paginate(ids, (id) => [id], opts, 'orgPolicyAttachment', 1);
    });
  }
  listTargets(policyId: string, opts?: ListOptions): Promise<Page<string>> {
    return this.c.run((s) => {
      const ids = s.orgAttachments.filter((a) => a.policyId === policyId).map((a) => a.targetId);
      return paginate(ids, (id) => [id], opts, 'orgPolicyAttachment', 1);
    });
  }
  enabledTypes(rootId: string): Promise<OrgPolicyType[]> {
    return this.c.run((s) => [...(s.policyTypes.get(rootId) ?? [])].sort());
  }
  setTypeEnabled(rootId: string, type: OrgPolicyType, enabled: boolean): Promise<void> {
    return this.c.run((s) => {
      const rest = (s.policyTypes.get(rootId) ?? []).filter((t) => t !== type);
      const next = enabled ? [...rest, type] : rest;
      if (next.length === 0) s.policyTypes.delete(rootId);
      else s.policyTypes.set(rootId, next);
    });
  }
}

/** The operations over one context (the committed state, or a transaction's copy). */
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
    this.organizationalUnits = new OrganizationalUnits(ctx);
    this.orgPolicies = new OrgPolicies(ctx);
    this.repositories = new MemoryRepositories(ctx);
    this.images = new MemoryImages(ctx);
    this.tags = new MemoryTags(ctx);
    this.blobs = new MemoryBlobLinks(ctx);
    this.uploads = new MemoryUploads(ctx);
    this.replication = new MemoryReplication(ctx);
    this.registries = new MemoryRegistries(ctx);
    this.secrets = new MemorySecrets(ctx);
  }

  async transaction<T>(fn: (tx: MetadataTx) => Promise<T>): Promise<T> {
    const { ctx } = this;
    if (ctx.scope !== undefined) {
      // Nested: undo only the inner writes when the inner function throws.
      assertOpen(ctx.scope);
      const saved = structuredClone(ctx.box.state);
      try {
        return await fn(this);
      } catch (e) {
        ctx.box.state = saved;
        throw e;
      }
    }
    assertNotInOwnTransaction(ctx.root);
    const release = await ctx.root.lock.acquire();
    const scope: TxScope = { owner: ctx.root, done: false };
    try {
      if (ctx.root.closed) throw new StoreMisuse('metadata store is closed');
      const box = { state: structuredClone(ctx.root.box.state) };
      const result = await runInScope(scope, () => fn(new Ops(new Ctx(ctx.root, box, scope))));
      ctx.root.box = box;
      return result;
    } finally {
      scope.done = true;
      release();
    }
  }
}

/** The in-memory metadata store (nothing survives `close`). */
export class MemoryMetadataStore extends Ops implements MetadataStore {
  constructor() {
    const state = emptyState();
    const root: Root = { box: { state }, lock: new Lock(), closed: false };
    super(new Ctx(root, root.box, undefined));
  }

  async close(): Promise<void> {
    assertNotInOwnTransaction(this.ctx.root);
    const release = await this.ctx.root.lock.acquire();
    this.ctx.root.closed = true;
    release();
  }
}
