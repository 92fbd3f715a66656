/**
 * The persistent state of crossdock behind one async interface, so that the embedded SQLite
 * driver, the in-memory driver and a future PostgreSQL driver are interchangeable and pass one
 * conformance suite (`conformance.ts`).
 *
 * The store keeps data and its integrity: unique keys (IAM names per account, compared
 * case-insensitively), references (an access key needs its user), dependents (a user with keys
 * cannot be deleted) and the fixed five-version cap of managed policies. It does not know AWS's
 * rules: validation, adjustable quotas, ARNs and messages belong to the services, which map the
 * typed errors of `errors.ts` to their wire forms.
 *
 * Entities are grouped by kind (`store.users.create`, `store.roles.get`...), so later kinds (ECR
 * repositories keyed by account and region, images, layers, repository policies) are added as new
 * groups without touching these.
 */
import type {
  Account,
  AccessKey,
  AccessKeyLastUsed,
  AccessKeyStatus,
  AccountStatus,
  CreateAccountRequest,
  CreateAccountState,
  InlinePolicy,
  InstanceProfile,
  ManagedPolicy,
  NewInstanceProfile,
  NewManagedPolicy,
  Organization,
  PolicyVersion,
  PrincipalKind,
  PrincipalRef,
  Role,
  RoleLastUsed,
  StsSession,
  Tag,
  User,
} from './records.js';
import type { ListOptions, Page, PathListOptions } from './pagination.js';

/** Organizations: crossdock runs one, but the store does not insist. */
export interface OrganizationOps {
  /** Creates an organization; `AlreadyExists(id)`. */
  create(org: Organization): Promise<Organization>;
  /** The organization, or `undefined`. */
  get(id: string): Promise<Organization | undefined>;
  /** All organizations by id (first start checks whether one exists). */
  list(opts?: ListOptions): Promise<Page<Organization>>;
  /** Deletes an organization; `NotFound`, `Conflict(HasAccounts)` while accounts belong to it. */
  delete(id: string): Promise<void>;
}

/** Changes to an account; `null` clears an optional field. */
export interface AccountPatch {
  readonly name?: string;
  readonly email?: string;
  readonly alias?: string | null;
  readonly status?: AccountStatus;
  readonly organizationId?: string | null;
}

/** Accounts; ids, emails and aliases are unique across the store. */
export interface AccountOps {
  /** Creates an account; `AlreadyExists(id | email | alias)`. */
  create(account: Account): Promise<Account>;
  /** The account, or `undefined`. */
  get(id: string): Promise<Account | undefined>;
  /** The account with this IAM alias (case-insensitive), or `undefined`. */
  getByAlias(alias: string): Promise<Account | undefined>;
  /** Accounts by id, optionally those of one organization. */
  list(opts?: ListOptions & { readonly organizationId?: string }): Promise<Page<Account>>;
  /** Applies a patch; `NotFound`, `AlreadyExists(email | alias)`. Accounts are closed, never deleted. */
  update(id: string, patch: AccountPatch): Promise<Account>;
}

/** Changes as a CreateAccount request progresses. */
export interface CreateAccountRequestPatch {
  readonly state: CreateAccountState;
  readonly completedAt?: Date;
  readonly accountId?: string;
  readonly failureReason?: string;
}

/** Organizations CreateAccount requests (DescribeCreateAccountStatus, ListCreateAccountStatus). */
export interface CreateAccountRequestOps {
  /** Records a request; `AlreadyExists(id)`. */
  create(request: CreateAccountRequest): Promise<CreateAccountRequest>;
  /** The request, or `undefined`. */
  get(id: string): Promise<CreateAccountRequest | undefined>;
  /** Requests by id, optionally of one organization and in some states. */
  list(
    opts?: ListOptions & {
      readonly organizationId?: string;
      readonly states?: readonly CreateAccountState[];
    },
  ): Promise<Page<CreateAccountRequest>>;
  /** Moves a request on; `NotFound`. */
  update(id: string, patch: CreateAccountRequestPatch): Promise<CreateAccountRequest>;
}

/** Changes to a user; a new name must be free (`AlreadyExists(name)`); `null` clears. */
export interface UserPatch {
  readonly name?: string;
  readonly path?: string;
  readonly permissionsBoundaryArn?: string | null;
  readonly tags?: readonly Tag[];
}

/** IAM users, addressed by (account, name) with the name matched case-insensitively. */
export interface UserOps {
  /** Creates a user; `AlreadyExists(name | id)`. */
  create(user: User): Promise<User>;
  /** The user, or `undefined`. */
  get(accountId: string, name: string): Promise<User | undefined>;
  /** The user with this unique id (`AIDA…`), or `undefined`. */
  getById(id: string): Promise<User | undefined>;
  /** Users of an account by name (case-insensitive order), filtered by path prefix. */
  list(accountId: string, opts?: PathListOptions): Promise<Page<User>>;
  /** Applies a patch (rename, path, boundary, tags); `NotFound`, `AlreadyExists(name)`. */
  update(accountId: string, name: string, patch: UserPatch): Promise<User>;
  /**
   * Deletes a user; `NotFound`, `Conflict(HasAccessKeys | HasInlinePolicies | HasAttachedPolicies)`
   * while dependents remain (IAM's DeleteConflict).
   */
  delete(accountId: string, name: string): Promise<void>;
}

/** Changes to a role; `null` clears an optional field. */
export interface RolePatch {
  readonly assumeRolePolicyDocument?: string;
  readonly description?: string | null;
  readonly maxSessionDuration?: number;
  readonly permissionsBoundaryArn?: string | null;
  readonly tags?: readonly Tag[];
  readonly lastUsed?: RoleLastUsed | null;
}

/** IAM roles, addressed by (account, name) with the name matched case-insensitively. */
export interface RoleOps {
  /** Creates a role; `AlreadyExists(name | id)`. */
  create(role: Role): Promise<Role>;
  /** The role, or `undefined`. */
  get(accountId: string, name: string): Promise<Role | undefined>;
  /** The role with this unique id (`AROA…`), or `undefined`. */
  getById(id: string): Promise<Role | undefined>;
  /** Roles of an account by name, filtered by path prefix. */
  list(accountId: string, opts?: PathListOptions): Promise<Page<Role>>;
  /** Applies a patch (trust policy, description, duration, boundary, tags, last use); `NotFound`. */
  update(accountId: string, name: string, patch: RolePatch): Promise<Role>;
  /**
   * Deletes a role; `NotFound`, `Conflict(HasInlinePolicies | HasAttachedPolicies |
   * InInstanceProfiles)`. Sessions of the role stay; services refuse them once the role is gone.
   */
  delete(accountId: string, name: string): Promise<void>;
}

/** Changes to an access key. */
export interface AccessKeyPatch {
  readonly status?: AccessKeyStatus;
  readonly lastUsed?: AccessKeyLastUsed;
}

/** Whose keys to list: a user's, or the account root's when `userName` is absent. */
export interface AccessKeyOwner {
  readonly accountId: string;
  readonly userName?: string;
}

/** Long-term access keys of users and account roots. Per-user quotas are the service's. */
export interface AccessKeyOps {
  /** Stores a key (secret already sealed); `AlreadyExists(id)`, `NotFound(user)`. */
  create(key: AccessKey): Promise<AccessKey>;
  /** The key with this id (SigV4 resolution), or `undefined`. */
  get(id: string): Promise<AccessKey | undefined>;
  /** Keys of a user or of the root, by id; `NotFound(user)`. */
  list(owner: AccessKeyOwner, opts?: ListOptions): Promise<Page<AccessKey>>;
  /** Changes status or last use; `NotFound`. */
  update(id: string, patch: AccessKeyPatch): Promise<AccessKey>;
  /** Deletes a key; `NotFound`. */
  delete(id: string): Promise<void>;
}

/** Inline policies of users and roles. */
export interface InlinePolicyOps {
  /** Creates or replaces a policy (IAM Put*Policy); `NotFound(user | role)`. */
  put(owner: PrincipalRef, policy: InlinePolicy): Promise<void>;
  /** The policy (name matched case-insensitively), or `undefined`; `NotFound(user | role)`. */
  get(owner: PrincipalRef, name: string): Promise<InlinePolicy | undefined>;
  /** The owner's policies by name; `NotFound(user | role)`. */
  list(owner: PrincipalRef, opts?: ListOptions): Promise<Page<InlinePolicy>>;
  /** Deletes a policy; `NotFound(user | role | inlinePolicy)`. */
  delete(owner: PrincipalRef, name: string): Promise<void>;
}

/** Changes to a managed policy besides its versions. */
export interface ManagedPolicyPatch {
  readonly tags?: readonly Tag[];
}

/** Customer managed policies and their versions. */
export interface ManagedPolicyOps {
  /** Creates a policy with `document` as its default version `v1`; `AlreadyExists(name | id | arn)`. */
  create(policy: NewManagedPolicy): Promise<ManagedPolicy>;
  /** The policy, or `undefined`. */
  get(accountId: string, name: string): Promise<ManagedPolicy | undefined>;
  /** The policy with this exact ARN (how IAM addresses policies), or `undefined`. */
  getByArn(arn: string): Promise<ManagedPolicy | undefined>;
  /** Policies of an account by name, filtered by path prefix; `onlyAttached` for ListPolicies. */
  list(
    accountId: string,
    opts?: PathListOptions & { readonly onlyAttached?: boolean },
  ): Promise<Page<ManagedPolicy>>;
  /** Replaces tags; `NotFound`. */
  update(accountId: string, name: string, patch: ManagedPolicyPatch): Promise<ManagedPolicy>;
  /** Deletes a policy and all its versions; `NotFound`, `Conflict(HasAttachments)`. */
  delete(accountId: string, name: string): Promise<void>;
  /**
   * Adds the next version `v<N>` (ids are never reused), optionally as default, and sets
   * `updatedAt`; `NotFound`, `Conflict(VersionLimitReached)` when five versions exist.
   */
  createVersion(
    accountId: string,
    name: string,
    version: { readonly document: string; readonly createdAt: Date; readonly setAsDefault: boolean },
  ): Promise<PolicyVersion>;
  /** One version, or `undefined`; `NotFound(managedPolicy)`. */
  getVersion(accountId: string, name: string, versionId: string): Promise<PolicyVersion | undefined>;
  /** All versions (never more than five), oldest first; `NotFound`. */
  listVersions(accountId: string, name: string): Promise<PolicyVersion[]>;
  /** Makes a version the default and sets `updatedAt`; `NotFound(managedPolicy | policyVersion)`. */
  setDefaultVersion(accountId: string, name: string, versionId: string, at: Date): Promise<void>;
  /** Deletes a non-default version; `NotFound`, `Conflict(IsDefaultVersion)`. */
  deleteVersion(accountId: string, name: string, versionId: string): Promise<void>;
}

/** Managed policies attached to users and roles, by policy ARN (AWS managed policies included). */
export interface AttachmentOps {
  /** Attaches a policy; attaching twice is a no-op, as in IAM; `NotFound(user | role)`. */
  attach(principal: PrincipalRef, policyArn: string): Promise<void>;
  /** Detaches a policy; `NotFound(user | role | policyAttachment)`. */
  detach(principal: PrincipalRef, policyArn: string): Promise<void>;
  /** ARNs attached to a principal, by ARN, filtered by the policy's path; `NotFound(user | role)`. */
  listForPrincipal(principal: PrincipalRef, opts?: PathListOptions): Promise<Page<string>>;
  /** Principals a policy is attached to (ListEntitiesForPolicy), by kind then unique id. */
  listForPolicy(
    policyArn: string,
    opts?: ListOptions & { readonly kind?: PrincipalKind },
  ): Promise<Page<PrincipalRef>>;
}

/** Changes to an instance profile besides its roles. */
export interface InstanceProfilePatch {
  readonly tags?: readonly Tag[];
}

/** IAM instance profiles and the roles in them. IAM's one-role limit is the service's. */
export interface InstanceProfileOps {
  /** Creates an empty profile; `AlreadyExists(name | id)`. */
  create(profile: NewInstanceProfile): Promise<InstanceProfile>;
  /** The profile with its roles, or `undefined`. */
  get(accountId: string, name: string): Promise<InstanceProfile | undefined>;
  /** Profiles of an account by name, filtered by path prefix. */
  list(accountId: string, opts?: PathListOptions): Promise<Page<InstanceProfile>>;
  /** Profiles containing a role (ListInstanceProfilesForRole), by name; `NotFound(role)`. */
  listForRole(accountId: string, roleName: string, opts?: ListOptions): Promise<Page<InstanceProfile>>;
  /** Replaces tags; `NotFound`. */
  update(accountId: string, name: string, patch: InstanceProfilePatch): Promise<InstanceProfile>;
  /** Deletes a profile; `NotFound`, `Conflict(HasRoles)` while roles are in it. */
  delete(accountId: string, name: string): Promise<void>;
  /** Adds a role of the same account; `NotFound(instanceProfile | role)`, `AlreadyExists(member)`. */
  addRole(accountId: string, profileName: string, roleName: string): Promise<void>;
  /** Removes a role; `NotFound(instanceProfile | role)`, `NotFound(role)` when it is not in the profile. */
  removeRole(accountId: string, profileName: string, roleName: string): Promise<void>;
}

/** STS temporary credentials. */
export interface SessionOps {
  /** Stores a session (secret sealed, token hashed); `AlreadyExists(id)`. */
  create(session: StsSession): Promise<StsSession>;
  /** The session of a temporary access key id (`ASIA…`), expired or not, or `undefined`. */
  get(accessKeyId: string): Promise<StsSession | undefined>;
  /** Revokes a session; `NotFound`. */
  delete(accessKeyId: string): Promise<void>;
  /** Deletes sessions that expired at or before `now`; returns how many. */
  deleteExpired(now: Date): Promise<number>;
}

/**
 * Everything a service can do with the store, inside or outside a transaction. Each call on its
 * own is atomic.
 */
export interface MetadataTx {
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
  /**
   * Runs `fn` as one serializable transaction: it sees its own writes, other transactions wait
   * (or, in a driver that runs them in parallel, one is retried), and if `fn` throws nothing it
   * wrote remains. Inside, use only `tx`: touching the outer store from within throws rather than
   * deadlocking. Called on a `tx`, it nests: a throwing inner call undoes only its own writes.
   * Await calls on one `tx` one at a time (no `Promise.all` of writes inside a transaction).
   */
  transaction<T>(fn: (tx: MetadataTx) => Promise<T>): Promise<T>;
}

/** A store a server opens at start and closes at shutdown. */
export interface MetadataStore extends MetadataTx {
  /** Waits for running work, flushes (SQLite: WAL checkpoint) and closes; later calls throw. */
  close(): Promise<void>;
}
