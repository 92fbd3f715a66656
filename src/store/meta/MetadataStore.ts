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
 * Entities are grouped by kind (`store.users.create`, `store.roles.get`...), so later kinds are
 * added as new groups without touching the others. ECR's kinds (`repositories`, `images`, `tags`,
 * `blobs`, `uploads`, `replication`, `registries`) are keyed by (account, region) throughout; the
 * store keeps their integrity (an image's blobs are linked, an index's children exist, a tag
 * points at an image of its repository) and leaves ECR's rules (tag immutability, "removing the
 * last tag deletes the image", quotas) to the ECR service.
 */
import type {
  Account,
  AccessKey,
  BlobLink,
  Image,
  ImageInfo,
  ImageTag,
  ImageTagMutability,
  ImageTagMutabilityExclusionFilter,
  NewImage,
  NewReplicationJob,
  NewRepository,
  NewUpload,
  PullThroughCacheRule,
  Registry,
  RegistryScanningConfiguration,
  ReplicationConfiguration,
  ReplicationJob,
  ReplicationState,
  Repository,
  RepositoryCreationTemplate,
  RepositoryRef,
  Upload,
  UploadState,
  AccessKeyLastUsed,
  AccessKeyStatus,
  AccountStatus,
  CreateAccountRequest,
  CreateAccountState,
  Group,
  InlinePolicy,
  InstanceProfile,
  ManagedPolicy,
  NewInstanceProfile,
  NewManagedPolicy,
  Organization,
  OrganizationalUnit,
  OrgPolicy,
  OrgPolicyType,
  PolicyVersion,
  PrincipalBindings,
  PrincipalKind,
  PrincipalRef,
  Role,
  RoleLastUsed,
  Secret,
  SecretVersion,
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
   * Deletes a user; `NotFound`, `Conflict(HasAccessKeys | HasInlinePolicies | HasAttachedPolicies |
   * InGroups)` while dependents remain (IAM's DeleteConflict).
   */
  delete(accountId: string, name: string): Promise<void>;
}

/** Changes to a role; `null` clears an optional field. */
export interface RolePatch {
  readonly assumeRolePolicyDocument?: string;
  /** Replaces the trust policy's bindings; `null` clears them. */
  readonly trustPrincipals?: PrincipalBindings | null;
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

/** Inline policies of users, roles and groups. */
export interface InlinePolicyOps {
  /** Creates or replaces a policy (IAM Put*Policy); `NotFound(user | role | group)`. */
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

/** Managed policies attached to users, roles and groups, by policy ARN (AWS managed policies included). */
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

/** Changes to a group; a new name must be free (`AlreadyExists(name)`). */
export interface GroupPatch {
  readonly name?: string;
  readonly path?: string;
}

/**
 * IAM groups and their members, addressed by (account, name) with names matched
 * case-insensitively. Members are users of the same account.
 */
export interface GroupOps {
  /** Creates an empty group; `AlreadyExists(name | id)`. */
  create(group: Group): Promise<Group>;
  /** The group, or `undefined`. */
  get(accountId: string, name: string): Promise<Group | undefined>;
  /** Groups of an account by name (case-insensitive order), filtered by path prefix. */
  list(accountId: string, opts?: PathListOptions): Promise<Page<Group>>;
  /** Renames or moves a group (UpdateGroup); `NotFound`, `AlreadyExists(name)`. */
  update(accountId: string, name: string, patch: GroupPatch): Promise<Group>;
  /**
   * Deletes a group; `NotFound`, `Conflict(HasMembers | HasInlinePolicies | HasAttachedPolicies)`
   * while dependents remain (IAM's DeleteConflict).
   */
  delete(accountId: string, name: string): Promise<void>;
  /** Adds a user; adding a member again is a no-op, as in IAM; `NotFound(group | user)`. */
  addUser(accountId: string, groupName: string, userName: string): Promise<void>;
  /** Removes a user; `NotFound(group | user)`, `NotFound(groupMember)` when not a member. */
  removeUser(accountId: string, groupName: string, userName: string): Promise<void>;
  /** Members of a group by user name (case-insensitive order); `NotFound(group)`. */
  listUsers(accountId: string, groupName: string, opts?: ListOptions): Promise<Page<User>>;
  /** Groups a user is in (ListGroupsForUser) by name; `NotFound(user)`. */
  listForUser(accountId: string, userName: string, opts?: ListOptions): Promise<Page<Group>>;
}

/**
 * Organizational units and where accounts sit in the tree of an organization. The store keeps
 * the tree sound (a parent is the organization's root or one of its OUs, an OU with children is
 * not deleted); depth limits and the move rules are the service's.
 */
export interface OrganizationalUnitOps {
  /**
   * Creates an OU; `NotFound(organization | organizationalUnit)` when the organization or the
   * parent OU is missing, `AlreadyExists(id | name)` (names unique among siblings).
   */
  create(ou: OrganizationalUnit): Promise<OrganizationalUnit>;
  /** The OU, or `undefined`. */
  get(id: string): Promise<OrganizationalUnit | undefined>;
  /** OUs directly under a parent (the root or an OU), by name (case-insensitive order). */
  list(parentId: string, opts?: ListOptions): Promise<Page<OrganizationalUnit>>;
  /** Renames an OU; `NotFound`, `AlreadyExists(name)`. */
  update(id: string, patch: { readonly name?: string }): Promise<OrganizationalUnit>;
  /**
   * Deletes an OU with its policy attachments; `NotFound`, `Conflict(HasChildren)` while OUs or
   * accounts are under it.
   */
  delete(id: string): Promise<void>;
  /** The account's parent: an OU id or the root id of its organization; `NotFound(account)`. */
  parentOf(accountId: string): Promise<string>;
  /**
   * Puts an account of an organization under a parent of the same organization;
   * `NotFound(account | organizationalUnit)`.
   */
  moveAccount(accountId: string, parentId: string): Promise<void>;
  /** Ids of the accounts of an organization directly under a parent, in id order. */
  listAccounts(organizationId: string, parentId: string, opts?: ListOptions): Promise<Page<string>>;
}

/** Changes to an Organizations policy. */
export interface OrgPolicyPatch {
  readonly name?: string;
  readonly description?: string;
  readonly content?: string;
}

/**
 * Organizations policies (customer managed), their attachments to targets (root, OU or account
 * ids; AWS managed policy ids included) and which policy types a root has enabled.
 */
export interface OrgPolicyOps {
  /** Creates a policy; `AlreadyExists(id | name)` (names unique per organization). */
  create(policy: OrgPolicy): Promise<OrgPolicy>;
  /** The policy, or `undefined`. */
  get(id: string): Promise<OrgPolicy | undefined>;
  /** Policies of an organization by name (case-insensitive order), optionally of one type. */
  list(
    organizationId: string,
    opts?: ListOptions & { readonly type?: OrgPolicyType },
  ): Promise<Page<OrgPolicy>>;
  /** Applies a patch; `NotFound`, `AlreadyExists(name)`. */
  update(id: string, patch: OrgPolicyPatch): Promise<OrgPolicy>;
  /** Deletes a policy; `NotFound`, `Conflict(HasAttachments)` while it is attached. */
  delete(id: string): Promise<void>;
  /** Attaches a policy to a target; `AlreadyExists(member)` when it is attached there already. */
  attach(policyId: string, targetId: string): Promise<void>;
  /** Detaches a policy; `NotFound(orgPolicyAttachment)`. */
  detach(policyId: string, targetId: string): Promise<void>;
  /** Ids of the policies attached to a target, in id order. */
  listForTarget(targetId: string, opts?: ListOptions): Promise<Page<string>>;
  /** Ids of the targets a policy is attached to, in id order. */
  listTargets(policyId: string, opts?: ListOptions): Promise<Page<string>>;
  /** The policy types enabled on a root, sorted. */
  enabledTypes(rootId: string): Promise<OrgPolicyType[]>;
  /** Enables or disables a policy type on a root (idempotent). */
  setTypeEnabled(rootId: string, type: OrgPolicyType, enabled: boolean): Promise<void>;
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

// ---- ECR -----------------------------------------------------------------------------------

/** Changes to a repository; `null` clears an optional field. Every update bumps `version`. */
export interface RepositoryPatch {
  readonly imageTagMutability?: ImageTagMutability;
  readonly imageTagMutabilityExclusionFilters?: readonly ImageTagMutabilityExclusionFilter[];
  readonly scanOnPush?: boolean;
  readonly tags?: readonly Tag[];
  readonly policyText?: string | null;
  /** Replaces the repository policy's bindings; `null` clears them. */
  readonly policyPrincipals?: PrincipalBindings | null;
  readonly lifecyclePolicyText?: string | null;
  readonly lifecycleEvaluatedAt?: Date | null;
  readonly lifecyclePreviewText?: string | null;
  readonly lifecyclePreviewStartedAt?: Date | null;
  readonly catalogDataText?: string | null;
}

/** List options of repositories. */
export interface RepositoryListOptions extends ListOptions {
  /** Only these names (DescribeRepositories' `repositoryNames`); absent names are just missing. */
  readonly names?: readonly string[];
  /** Only names that start with this (replication filters, pull-through prefixes). */
  readonly namePrefix?: string;
}

/** A conditional write: applied only while the record still has this `version`. */
export interface VersionExpectation {
  /** The version the caller read; `0` for a registry means "not configured yet". */
  readonly version?: number;
}

/** ECR repositories, addressed by (account, region, name) with the name matched exactly. */
export interface RepositoryOps {
  /** Creates a repository; `AlreadyExists(name)`. */
  create(repository: NewRepository): Promise<Repository>;
  /** The repository, or `undefined`. */
  get(accountId: string, region: string, name: string): Promise<Repository | undefined>;
  /** Repositories of a registry by name (byte order). */
  list(accountId: string, region: string, opts?: RepositoryListOptions): Promise<Page<Repository>>;
  /**
   * Repositories of every registry, by (account, region, name) in byte order: the work lists of
   * the lifecycle runner (`withLifecyclePolicy`: only those that have a lifecycle policy) and of
   * blob garbage collection.
   */
  listAll(opts?: ListOptions & { readonly withLifecyclePolicy?: boolean }): Promise<Page<Repository>>;
  /** Applies a patch and bumps `version`; `NotFound`, `Conflict(VersionMismatch)`. */
  update(
    accountId: string,
    region: string,
    name: string,
    patch: RepositoryPatch,
    expect?: VersionExpectation,
  ): Promise<Repository>;
  /**
   * Deletes a repository with its blob links and uploads and returns it; `NotFound`,
   * `Conflict(HasImages)` while images remain unless `force`, which deletes the images and
   * their tags in the same transaction. Replication jobs, which name their source, stay.
   */
  delete(
    accountId: string,
    region: string,
    name: string,
    opts?: { readonly force?: boolean },
  ): Promise<Repository>;
}

/** Which images a list returns: with at least one tag, with none, or all. */
export type ImageFilter = 'tagged' | 'untagged' | 'any';

/** List options of images. */
export interface ImageListOptions extends ListOptions {
  /** Default `any`. */
  readonly filter?: ImageFilter;
}

/** What `images.put` did. */
export interface PutImageResult {
  readonly image: ImageInfo;
  /** False when the manifest was already in the repository (its record is kept as it was). */
  readonly created: boolean;
  /** The digest the tag pointed at before this put, when the tag existed (equal: no change). */
  readonly previousTagDigest?: string;
}

/** The references of a manifest, in byte order. */
export interface ImageReferences {
  readonly blobs: readonly string[];
  readonly children: readonly string[];
}

/** What `images.delete` did with each digest asked for. */
export interface ImageDeleteResult {
  /** Deleted manifests with the tags they had, in the order asked. */
  readonly deleted: readonly { readonly digest: string; readonly tags: readonly string[] }[];
  readonly notFound: readonly string[];
  /** Kept because an index that stays references them (ECR `ImageReferencedByManifestList`). */
  readonly referencedByIndex: readonly string[];
}

/** Manifests (images, indexes, artifacts) of repositories. Each call needs its repository (`NotFound`). */
export interface ImageOps {
  /**
   * Stores a manifest with its references and, when given, points `tag` at it, all in one
   * transaction. A manifest already present is kept as it was (only the tag moves). A new one
   * needs every blob linked into the repository (`NotFound(blob)`) and every child manifest
   * present (`NotFound(image)`); on any failure nothing of the put remains.
   */
  put(repository: RepositoryRef, image: NewImage, opts?: { readonly tag?: string }): Promise<PutImageResult>;
  /** The manifest with its bytes, or `undefined`. */
  get(repository: RepositoryRef, digest: string): Promise<Image | undefined>;
  /** The manifest a tag points at, or `undefined`. */
  getByTag(repository: RepositoryRef, tag: string): Promise<Image | undefined>;
  /** Manifests by digest (byte order), without bytes. */
  list(repository: RepositoryRef, opts?: ImageListOptions): Promise<Page<ImageInfo>>;
  /** The blobs and child manifests a manifest references, or `undefined` when it is absent. */
  references(repository: RepositoryRef, digest: string): Promise<ImageReferences | undefined>;
  /**
   * Manifests of the repository whose subject is `subjectDigest` (the OCI referrers API), by
   * digest, optionally of one artifact type. The subject itself need not exist.
   */
  referrers(
    repository: RepositoryRef,
    subjectDigest: string,
    opts?: ListOptions & { readonly artifactType?: string },
  ): Promise<Page<ImageInfo>>;
  /** Records a pull (`lastPulledAt` only moves forward); `NotFound(image)`. */
  markPulled(repository: RepositoryRef, digest: string, at: Date): Promise<void>;
  /**
   * Deletes manifests with their tags and references in one transaction, except those a
   * remaining index references; a digest that is absent is reported, not thrown.
   */
  delete(repository: RepositoryRef, digests: readonly string[]): Promise<ImageDeleteResult>;
}

/** OCI tag-list options: at most `n` tags (all when absent), strictly after `last`. */
export interface TagListOptions {
  readonly n?: number;
  readonly last?: string;
}

/** A page of tags; `more` says whether tags follow (OCI's `Link` header). */
export interface TagList {
  readonly items: ImageTag[];
  readonly more: boolean;
}

/** Tags of repositories. Each call needs its repository (`NotFound`). */
export interface TagOps {
  /** The tag, or `undefined`. */
  get(repository: RepositoryRef, tag: string): Promise<ImageTag | undefined>;
  /**
   * Points a tag at a manifest of the repository, creating or moving it; `NotFound(image)`.
   * Returns the tag and the digest it pointed at before, if it existed.
   */
  put(
    repository: RepositoryRef,
    tag: string,
    digest: string,
    at: Date,
  ): Promise<{ readonly tag: ImageTag; readonly previousDigest?: string }>;
  /** Removes a tag and returns it; `NotFound(tag)`. The manifest stays (the service decides). */
  delete(repository: RepositoryRef, tag: string): Promise<ImageTag>;
  /** Tags in lexical (byte) order, OCI's `n`/`last` paging. */
  list(repository: RepositoryRef, opts?: TagListOptions): Promise<TagList>;
}

/** What linking a blob records. */
export interface NewBlobLink {
  readonly digest: string;
  readonly size: number;
  readonly linkedAt: Date;
}

/** Blobs linked into repositories (pushed or mounted). Repository-scoped calls need it (`NotFound`). */
export interface BlobLinkOps {
  /** Links a blob into a repository; linking again keeps the first link and returns it. */
  link(repository: RepositoryRef, blob: NewBlobLink): Promise<BlobLink>;
  /** The link, or `undefined`. */
  get(repository: RepositoryRef, digest: string): Promise<BlobLink | undefined>;
  /** Whether the blob is visible in the repository. */
  isLinked(repository: RepositoryRef, digest: string): Promise<boolean>;
  /** The links among `digests` (BatchCheckLayerAvailability), in the order given, once each. */
  getMany(repository: RepositoryRef, digests: readonly string[]): Promise<BlobLink[]>;
  /** Links of a repository by digest. */
  list(repository: RepositoryRef, opts?: ListOptions): Promise<Page<BlobLink>>;
  /** Removes a link; `NotFound(blob)`, `Conflict(BlobInUse)` while an image references it. */
  unlink(repository: RepositoryRef, digest: string): Promise<void>;
  /**
   * Whether any repository of any registry links the blob, has an image referencing it, or has
   * an upload session that names it (a push between storing the blob and linking it): garbage
   * collection deletes a stored blob only when this is false (and the blob is past its grace
   * period, which covers uploads that have not named their digest yet).
   */
  referencedAnywhere(digest: string): Promise<boolean>;
  /**
   * Garbage collection's check before it deletes a stored blob: `referencedAnywhere`, taken
   * under the store's write lock, which (inside a transaction) is held until the transaction
   * ends, so that no other writer of any process commits between this check and the deletion the
   * collector makes before committing (SQLite: a write statement first, which takes the
   * database's one write lock; a driver with concurrent writers must take an equivalent lock).
   */
  referencedAnywhereLocked(digest: string): Promise<boolean>;
}

/** Changes as an upload progresses; `null` clears the digest. */
export interface UploadPatch {
  readonly state?: UploadState;
  readonly size?: number;
  readonly partCount?: number;
  readonly lastPartSize?: number;
  readonly firstSmallPart?: number;
  readonly digest?: string | null;
  readonly updatedAt: Date;
}

/** Blob upload sessions. */
export interface UploadOps {
  /** Starts a session (`IN_PROGRESS`, empty); `NotFound(repository)`, `AlreadyExists(id)`. */
  create(upload: NewUpload): Promise<Upload>;
  /** The session, or `undefined` (also once its repository was deleted). */
  get(id: string): Promise<Upload | undefined>;
  /**
   * Moves a session on; `NotFound`, `Conflict(UploadChanged)` when `expect` names a size or
   * state the session no longer has (two writers raced on one session).
   */
  update(
    id: string,
    patch: UploadPatch,
    expect?: { readonly size?: number; readonly state?: UploadState },
  ): Promise<Upload>;
  /** Ends a session's record; `NotFound`. */
  delete(id: string): Promise<void>;
  /** Sessions by id: of one repository, in some states, or idle since before a time (cleanup). */
  list(
    opts?: ListOptions & {
      readonly repository?: RepositoryRef;
      readonly states?: readonly UploadState[];
      readonly updatedBefore?: Date;
    },
  ): Promise<Page<Upload>>;
}

/** How long a claimed replication job stays claimed when `claimNext` is not told. */
export const DEFAULT_REPLICATION_LEASE_MS = 5 * 60_000;

/** Changes to a replication job. Leaving `IN_PROGRESS` ends the claim (`worker` clears). */
export interface ReplicationJobPatch {
  readonly state: ReplicationState;
  /** When a PENDING job is due again (retry with backoff). */
  readonly nextAttemptAt?: Date;
  readonly failureReason?: string | null;
  readonly updatedAt: Date;
}

/** The durable replication queue: jobs survive restarts and are claimed one at a time. */
export interface ReplicationOps {
  /** Queues a job (`PENDING`, 0 attempts); `AlreadyExists(id)`. */
  enqueue(job: NewReplicationJob): Promise<ReplicationJob>;
  /** The job, or `undefined`. */
  get(id: string): Promise<ReplicationJob | undefined>;
  /** Jobs by id, optionally of one source repository or image, in some states. */
  list(
    opts?: ListOptions & {
      readonly source?: {
        readonly accountId: string;
        readonly region: string;
        readonly repositoryName: string;
        readonly digest?: string;
      };
      readonly states?: readonly ReplicationState[];
    },
  ): Promise<Page<ReplicationJob>>;
  /**
   * Atomically claims the job most overdue at `now` — a PENDING job whose `nextAttemptAt` has
   * come, or an IN_PROGRESS one whose claim lapsed — setting it IN_PROGRESS, counting the
   * attempt and holding it until `leaseUntil` (default `now` + 5 minutes). Two callers never get
   * the same claim; `undefined` when nothing is due.
   */
  claimNext(
    now: Date,
    opts?: { readonly leaseUntil?: Date; readonly worker?: string },
  ): Promise<ReplicationJob | undefined>;
  /**
   * Records the outcome of an attempt (COMPLETE; FAILED; PENDING again with a later
   * `nextAttemptAt`); `NotFound`, `Conflict(StaleClaim)` when `expect.attempts` is given and the
   * job was claimed again since (the caller's claim lapsed and its work must be discarded).
   */
  update(
    id: string,
    patch: ReplicationJobPatch,
    expect?: { readonly attempts?: number },
  ): Promise<ReplicationJob>;
  /** Deletes a job; `NotFound`. */
  delete(id: string): Promise<void>;
}

/** Changes to a registry's settings; absent fields stay, `null` clears. */
export interface RegistryPatch {
  readonly policyText?: string | null;
  /** Replaces the registry policy's bindings; `null` clears them. */
  readonly policyPrincipals?: PrincipalBindings | null;
  readonly replicationConfiguration?: ReplicationConfiguration | null;
  readonly scanningConfiguration?: RegistryScanningConfiguration | null;
  /** Replaces the rules; prefixes must be distinct (`AlreadyExists(prefix)`). */
  readonly pullThroughCacheRules?: readonly PullThroughCacheRule[];
  /** Replaces the templates; prefixes must be distinct (`AlreadyExists(prefix)`). */
  readonly creationTemplates?: readonly RepositoryCreationTemplate[];
  /** Replaces the account settings. */
  readonly accountSettings?: Readonly<Record<string, string>>;
  readonly catalogDataText?: string | null;
  readonly updatedAt: Date;
}

/** Registry-level settings of each (account, region). */
export interface RegistryOps {
  /** The settings, or `undefined` when nothing was ever configured. */
  get(accountId: string, region: string): Promise<Registry | undefined>;
  /**
   * Creates or changes the settings and bumps `version`; `Conflict(VersionMismatch)` when
   * `expect.version` is given and differs (`0`: the registry must not be configured yet).
   */
  put(
    accountId: string,
    region: string,
    patch: RegistryPatch,
    expect?: VersionExpectation,
  ): Promise<Registry>;
}

/** Changes to a secret; absent fields stay, `null` clears. */
export interface SecretPatch {
  readonly description?: string | null;
  readonly tags?: readonly Tag[];
  /** Replaces the versions (newest first). */
  readonly versions?: readonly SecretVersion[];
  readonly lastChangedAt?: Date;
  /** Schedules (a date) or cancels (`null`) the deletion; set together with `deletionDate`. */
  readonly deletedAt?: Date | null;
  readonly deletionDate?: Date | null;
}

/**
 * Secrets Manager secrets of each (account, region). Names are unique per (account, region),
 * compared exactly; ARNs are unique store-wide. Values arrive sealed (`SecretVersion.value`): the
 * store never sees a plaintext secret. Deletion windows are the service's: the store keeps
 * `deletedAt`/`deletionDate` and deletes a secret only when told.
 */
export interface SecretOps {
  /** Creates a secret; `AlreadyExists(name | arn)`. */
  create(secret: Secret): Promise<Secret>;
  /** The secret of that name, or `undefined`. */
  get(accountId: string, region: string, name: string): Promise<Secret | undefined>;
  /** The secret with this exact ARN, or `undefined`. */
  getByArn(arn: string): Promise<Secret | undefined>;
  /** Secrets of an (account, region) by name (byte order). */
  list(accountId: string, region: string, opts?: ListOptions): Promise<Page<Secret>>;
  /** Applies a patch; `NotFound`. */
  update(accountId: string, region: string, name: string, patch: SecretPatch): Promise<Secret>;
  /** Deletes a secret with all its versions; `NotFound`. */
  delete(accountId: string, region: string, name: string): Promise<void>;
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
  /**
   * A value that differs whenever committed data may have changed since it was last taken (any
   * write through this store, a commit by another process), so a reader may keep what it read
   * while the stamp stays equal. Optional: a store that cannot tell cheaply leaves it out, and
   * readers then keep nothing.
   */
  changeStamp?(): string;
}
