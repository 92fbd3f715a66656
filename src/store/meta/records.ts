/**
 * The records the metadata store keeps: plain data, no behaviour. The store is given every id and
 * timestamp (services draw them from injected sources) except policy version ids, which it numbers
 * itself so that `v<N>` is assigned atomically. ARNs of users, roles and instance profiles are
 * derived by services from (account, path, name); managed policies keep theirs because IAM
 * addresses them by ARN and attachments point at ARNs (AWS managed policies included).
 *
 * Conventions every driver keeps, so records compare equal across drivers: optional fields are
 * absent (never `undefined`-valued) when unset; lists keep the order they were written in;
 * timestamps are `Date`s with millisecond precision.
 */
import type { SealedSecret } from './secrets.js';

/** A resource tag; `Tag[]` keeps the caller's order (services own AWS's key rules). */
export interface Tag {
  readonly key: string;
  readonly value: string;
}

/** The AWS Organizations organization; crossdock creates one on first start. */
export interface Organization {
  /** `o-` + 10 lowercase alphanumerics. */
  readonly id: string;
  /** The root of the organization tree, `r-` + 4 lowercase alphanumerics. */
  readonly rootId: string;
  readonly managementAccountId: string;
  readonly featureSet: 'ALL' | 'CONSOLIDATED_BILLING';
  readonly createdAt: Date;
}

/** Account states as Organizations reports them. */
export type AccountStatus = 'ACTIVE' | 'SUSPENDED' | 'PENDING_CLOSURE';

/** An AWS account. The email and the IAM alias are unique across the store (case-insensitively). */
export interface Account {
  /** 12 digits. */
  readonly id: string;
  /** Organizations' account name. */
  readonly name: string;
  readonly email: string;
  /** IAM account alias (`crossdock accounts create --alias`). */
  readonly alias?: string;
  readonly status: AccountStatus;
  readonly organizationId?: string;
  readonly joinedMethod: 'CREATED' | 'INVITED';
  readonly joinedAt: Date;
}

/** States of an Organizations CreateAccount request. */
export type CreateAccountState = 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED';

/** A CreateAccount request, answered by DescribeCreateAccountStatus. */
export interface CreateAccountRequest {
  /** `car-` + 8 to 32 lowercase alphanumerics. */
  readonly id: string;
  readonly organizationId: string;
  readonly accountName: string;
  readonly email: string;
  readonly state: CreateAccountState;
  readonly requestedAt: Date;
  readonly completedAt?: Date;
  readonly accountId?: string;
  /** Organizations' failure reason code (`EMAIL_ALREADY_EXISTS`...). */
  readonly failureReason?: string;
}

/** An IAM user. `(accountId, name)` is unique case-insensitively; `id` is unique. */
export interface User {
  readonly accountId: string;
  readonly name: string;
  /** `/` or `/a/b/`. */
  readonly path: string;
  /** `AIDA…`. */
  readonly id: string;
  readonly createdAt: Date;
  readonly permissionsBoundaryArn?: string;
  readonly tags: readonly Tag[];
}

/** When and where a role was last used (GetRole's RoleLastUsed). */
export interface RoleLastUsed {
  readonly at: Date;
  readonly region: string;
}

/**
 * The IAM users and roles a resource-based policy named when it was saved, by ARN, with the unique
 * id (`AIDA…`, `AROA…`) each had then. AWS binds a policy's principals to their unique ids, so a
 * user or role deleted and created again under the same name is not the principal the policy
 * names until the policy is saved again.
 */
export type PrincipalBindings = Readonly<Record<string, string>>;

/** An IAM role. `(accountId, name)` is unique case-insensitively; `id` is unique. */
export interface Role {
  readonly accountId: string;
  readonly name: string;
  readonly path: string;
  /** `AROA…`. */
  readonly id: string;
  readonly createdAt: Date;
  /** The trust policy as the caller sent it (JSON text, not URL-encoded). */
  readonly assumeRolePolicyDocument: string;
  /** The users and roles the trust policy named when it was set (absent: none). */
  readonly trustPrincipals?: PrincipalBindings;
  readonly description?: string;
  /** Seconds, 3600–43200 (validated by the service). */
  readonly maxSessionDuration: number;
  readonly permissionsBoundaryArn?: string;
  readonly tags: readonly Tag[];
  readonly lastUsed?: RoleLastUsed;
}

/** Active keys authenticate; Inactive keys fail with `InvalidClientTokenId`. */
export type AccessKeyStatus = 'Active' | 'Inactive';

/** When, where and for which service an access key was last used. */
export interface AccessKeyLastUsed {
  readonly at: Date;
  readonly service: string;
  readonly region: string;
}

/** A long-term access key of an IAM user, or of the account root when `userName` is absent. */
export interface AccessKey {
  /** `AKIA…`, unique across the store. */
  readonly id: string;
  readonly accountId: string;
  /** The owning user's current name; absent for root keys. */
  readonly userName?: string;
  readonly status: AccessKeyStatus;
  /** The secret access key, sealed by `SecretBox` with the key id as context. */
  readonly secret: SealedSecret;
  readonly createdAt: Date;
  readonly lastUsed?: AccessKeyLastUsed;
}

/** Principals that carry inline policies and attachments. */
export type PrincipalKind = 'user' | 'role' | 'group';

/** Names a user, role or group by account and name (matched case-insensitively). */
export interface PrincipalRef {
  readonly kind: PrincipalKind;
  readonly accountId: string;
  readonly name: string;
}

/**
 * An IAM group. `(accountId, name)` is unique case-insensitively; `id` is unique. Its users are
 * kept by the store as memberships (`groups.addUser`), which follow renames of either side.
 */
export interface Group {
  readonly accountId: string;
  readonly name: string;
  /** `/` or `/a/b/`. */
  readonly path: string;
  /** `AGPA…`. */
  readonly id: string;
  readonly createdAt: Date;
}

/** An inline policy embedded in a user, role or group; names are unique per owner case-insensitively. */
export interface InlinePolicy {
  readonly name: string;
  /** JSON text as the caller sent it. */
  readonly document: string;
}

/**
 * A customer managed policy (or an AWS managed one kept under the pseudo-account `aws`).
 * `(accountId, name)` is unique case-insensitively; `id` and `arn` are unique.
 */
export interface ManagedPolicy {
  readonly accountId: string;
  readonly name: string;
  readonly path: string;
  /** `ANPA…`. */
  readonly id: string;
  readonly arn: string;
  readonly description?: string;
  /** `v<N>` of the version in force. */
  readonly defaultVersionId: string;
  readonly isAttachable: boolean;
  /** Derived: how many users and roles have it attached. */
  readonly attachmentCount: number;
  readonly createdAt: Date;
  /** Changes when a version is created or the default switches. */
  readonly updatedAt: Date;
  readonly tags: readonly Tag[];
}

/** What creating a managed policy needs: the policy plus its first document (becomes `v1`). */
export interface NewManagedPolicy {
  readonly accountId: string;
  readonly name: string;
  readonly path: string;
  readonly id: string;
  readonly arn: string;
  readonly description?: string;
  readonly isAttachable?: boolean;
  readonly createdAt: Date;
  readonly tags: readonly Tag[];
  readonly document: string;
}

/** A version of a managed policy; ids are `v1`, `v2`… and never reused. */
export interface PolicyVersion {
  readonly versionId: string;
  readonly document: string;
  readonly isDefault: boolean;
  readonly createdAt: Date;
}

/** At most this many versions of a managed policy exist at once (a fixed IAM quota). */
export const MAX_POLICY_VERSIONS = 5;

/** An IAM instance profile and the names of the roles in it (IAM allows one; the store does not care). */
export interface InstanceProfile {
  readonly accountId: string;
  readonly name: string;
  readonly path: string;
  /** `AIPA…`. */
  readonly id: string;
  readonly createdAt: Date;
  readonly tags: readonly Tag[];
  /** Current names of the roles in the profile, in the order they were added. */
  readonly roleNames: readonly string[];
}

/** What creating an instance profile needs: a profile starts empty. */
export type NewInstanceProfile = Omit<InstanceProfile, 'roleNames'>;

/** Who a set of temporary credentials acts as. */
export type SessionPrincipal =
  | {
      /** AssumeRole (and the EC2/ECS credential endpoints). */
      readonly type: 'AssumedRole';
      readonly roleId: string;
      readonly roleName: string;
      readonly sessionName: string;
    }
  | {
      /** GetSessionToken by an IAM user: acts as the user. */
      readonly type: 'User';
      readonly userId: string;
      readonly userName: string;
    }
  | {
      /** GetSessionToken by the account root. */
      readonly type: 'Root';
    };

/**
 * Temporary credentials issued by STS, kept so that they verify after a restart. Only a hash of
 * the session token is stored: verifying compares hashes, and a stolen database yields no token.
 */
export interface StsSession {
  /** `ASIA…`, unique across the store. */
  readonly accessKeyId: string;
  readonly secret: SealedSecret;
  /** `hashSessionToken(token)` (hex SHA-256). */
  readonly sessionTokenHash: string;
  /** The account of the identity (the role's account for AssumeRole). */
  readonly accountId: string;
  readonly principal: SessionPrincipal;
  readonly issuedAt: Date;
  readonly expiresAt: Date;
  /** The inline session policy (`Policy`), JSON text. */
  readonly sessionPolicy?: string;
  /** Managed session policies (`PolicyArns`). */
  readonly sessionPolicyArns: readonly string[];
  /** Session tags after merging inherited transitive tags and request tags. */
  readonly tags: readonly Tag[];
  /** Keys of `tags` that pass on to a chained session. */
  readonly transitiveTagKeys: readonly string[];
  readonly sourceIdentity?: string;
  /** Issued to role-session credentials (role chaining: 1 hour cap, no GetSessionToken). */
  readonly chained: boolean;
}

// ---- Organizations: OUs and service control policies ----------------------------------------
//
// The tree of an organization is its root (`Organization.rootId`), organizational units under the
// root or another OU, and accounts under either. An account without a recorded parent sits under
// the root (accounts created before OUs existed). Policies are attached to targets by id (the root,
// an OU or an account); AWS managed policies (`p-FullAWSAccess`) are not stored, only attached.

/** An organizational unit. Names are unique among the OUs of one parent, case-insensitively. */
export interface OrganizationalUnit {
  /** `ou-` + the root's 4–32 characters + `-` + 8–32 lowercase alphanumerics. */
  readonly id: string;
  readonly organizationId: string;
  /** The root id or another OU's id. */
  readonly parentId: string;
  readonly name: string;
}

/** Organizations policy types (crossdock enforces service control policies). */
export type OrgPolicyType = 'SERVICE_CONTROL_POLICY';

/** A customer managed Organizations policy. `(organizationId, name)` is unique case-insensitively. */
export interface OrgPolicy {
  /** `p-` + 8–128 lowercase alphanumerics or underscores. */
  readonly id: string;
  readonly organizationId: string;
  readonly type: OrgPolicyType;
  readonly name: string;
  readonly description: string;
  /** The policy document as the caller sent it (JSON text). */
  readonly content: string;
}

// ---- ECR -----------------------------------------------------------------------------------
//
// Everything ECR keeps belongs to a registry, which is (account, region): a repository `app` in
// 111111111111/us-east-1 and one in 111111111111/eu-west-1 are unrelated. Digests are the OCI
// `<algorithm>:<hex>` strings as the service validated them; the store compares them exactly.

/** Names a repository: the registry's account and region, and the repository name. */
export interface RepositoryRef {
  readonly accountId: string;
  readonly region: string;
  /** ECR's lowercase, `/`-separated name (the service validates it; the store only keys on it). */
  readonly name: string;
}

/** ECR's tag mutability settings; the `*_WITH_EXCLUSION` forms flip the rule for matching tags. */
export type ImageTagMutability =
  'MUTABLE' | 'IMMUTABLE' | 'MUTABLE_WITH_EXCLUSION' | 'IMMUTABLE_WITH_EXCLUSION';

/** A tag pattern exempted from the repository's mutability rule. */
export interface ImageTagMutabilityExclusionFilter {
  readonly filterType: 'WILDCARD';
  readonly filter: string;
}

/** ECR's server-side encryption kinds (crossdock records them; blobs are not encrypted by kind). */
export type EncryptionType = 'AES256' | 'KMS' | 'KMS_DSSE';

/** A repository's (or a template's) encryption settings, fixed at creation in ECR. */
export interface EncryptionConfiguration {
  readonly encryptionType: EncryptionType;
  readonly kmsKey?: string;
}

/**
 * An ECR repository. `(accountId, region, name)` is unique. The repository URI is derived by the
 * service from its configured addressing style; the ARN is kept because policies and tags address
 * the repository by it.
 */
export interface Repository extends RepositoryRef {
  readonly arn: string;
  readonly createdAt: Date;
  readonly imageTagMutability: ImageTagMutability;
  /** Empty unless the mutability is a `*_WITH_EXCLUSION` form. */
  readonly imageTagMutabilityExclusionFilters: readonly ImageTagMutabilityExclusionFilter[];
  /** `imageScanningConfiguration.scanOnPush`. */
  readonly scanOnPush: boolean;
  readonly encryption: EncryptionConfiguration;
  readonly tags: readonly Tag[];
  /** The repository policy as set (JSON text). */
  readonly policyText?: string;
  /** The users and roles the repository policy named when it was set (absent: none). */
  readonly policyPrincipals?: PrincipalBindings;
  /** The lifecycle policy as set (JSON text). */
  readonly lifecyclePolicyText?: string;
  /** When the lifecycle evaluator last ran over this repository. */
  readonly lifecycleEvaluatedAt?: Date;
  /**
   * The policy text of the last StartLifecyclePolicyPreview (the repository's policy or the one
   * the caller gave), so that GetLifecyclePolicyPreview answers it on any node.
   */
  readonly lifecyclePreviewText?: string;
  /** When that preview was started. */
  readonly lifecyclePreviewStartedAt?: Date;
  /** ECR Public's repository catalog data (JSON text, as the service keeps it). */
  readonly catalogDataText?: string;
  /**
   * A store-wide change number assigned by the store on create and on every update (never
   * reused, even after delete and re-create), so a node that caches a repository's policy can
   * tell with one read whether its copy is current.
   */
  readonly version: number;
}

/** What creating a repository needs: all of it but the store-assigned version. */
export type NewRepository = Omit<Repository, 'version'>;

/**
 * A manifest (image, index or artifact) in a repository, without its bytes: what lists,
 * DescribeImages and the referrers API need. `(repository, digest)` is unique.
 */
export interface ImageInfo {
  /** The digest of the manifest bytes. */
  readonly digest: string;
  /** The manifest's media type as pushed (`Content-Type` on pull). */
  readonly mediaType: string;
  /**
   * The OCI artifact type as the referrers API reports it: the manifest's `artifactType`, else
   * its config media type; absent for an index without one. The service computes it.
   */
  readonly artifactType?: string;
  readonly configDigest?: string;
  /** The config descriptor's media type (ECR's `artifactMediaType`). */
  readonly configMediaType?: string;
  /** `subject.digest`: the manifest this one refers to (the subject need not exist). */
  readonly subjectDigest?: string;
  /** The manifest's annotations (the referrers API copies them into its descriptors). */
  readonly annotations?: Readonly<Record<string, string>>;
  /** Length of the manifest bytes. */
  readonly manifestSize: number;
  /** ECR's `imageSizeInBytes`, as the service computed it from the descriptors. */
  readonly imageSize: number;
  /** When the manifest was first pushed (a later push of the same bytes keeps it). */
  readonly pushedAt: Date;
  /** ECR's `lastRecordedPullTime`. */
  readonly lastPulledAt?: Date;
  /** Tags pointing at this manifest, in lexical (byte) order. */
  readonly tags: readonly string[];
}

/** A manifest with its exact bytes (at most 4 MiB, so kept in the metadata store). */
export interface Image extends ImageInfo {
  /** The bytes as pushed; drivers hand out a fresh `Buffer`. */
  readonly manifest: Uint8Array;
}

/** What pushing a manifest stores. */
export interface NewImage {
  readonly digest: string;
  readonly mediaType: string;
  readonly artifactType?: string;
  readonly configDigest?: string;
  readonly configMediaType?: string;
  readonly subjectDigest?: string;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly manifest: Uint8Array;
  readonly imageSize: number;
  /** The time of this push (also the tag's `updatedAt` when the push moves a tag). */
  readonly pushedAt: Date;
  /** Blobs the manifest references (config, layers): each must be linked into the repository. */
  readonly blobs: readonly string[];
  /** Manifests an index references: each must already be an image of the repository. */
  readonly children: readonly string[];
}

/** A tag of a repository and the manifest it points at. `(repository, tag)` is unique. */
export interface ImageTag {
  readonly tag: string;
  readonly digest: string;
  /** When the tag was created or last moved to another digest. */
  readonly updatedAt: Date;
}

/** A blob linked into a repository: OCI makes a blob visible only where it is linked. */
export interface BlobLink {
  readonly digest: string;
  readonly size: number;
  /** When the blob was first linked (pushed or mounted) into the repository. */
  readonly linkedAt: Date;
  /** Derived: how many images of the repository reference the blob (0 = uploaded, unused). */
  readonly imageCount: number;
}

/** States of a blob upload session. */
export type UploadState = 'IN_PROGRESS' | 'COMPLETING' | 'COMPLETE' | 'CANCELLED';

/** A blob upload session (registry or ECR layer upload), kept so a restart can resume or clean it. */
export interface Upload {
  /** The upload id (a UUID), unique across the store. */
  readonly id: string;
  readonly repository: RepositoryRef;
  readonly state: UploadState;
  /** Bytes received so far. */
  readonly size: number;
  /** Parts received so far (ECR caps them). */
  readonly partCount: number;
  /** The size of the last part received. */
  readonly lastPartSize?: number;
  /** The number (1-based) of the first part that was followed by another while under 5 MiB. */
  readonly firstSmallPart?: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  /** The verified digest, once known. */
  readonly digest?: string;
}

/** What starting an upload needs: it starts `IN_PROGRESS` and empty. */
export interface NewUpload {
  readonly id: string;
  readonly repository: RepositoryRef;
  readonly createdAt: Date;
}

/** States of a replication job (DescribeImageReplicationStatus shows them). */
export type ReplicationState = 'PENDING' | 'IN_PROGRESS' | 'COMPLETE' | 'FAILED';

/** The image a replication job copies. */
export interface ReplicationSource {
  readonly accountId: string;
  readonly region: string;
  readonly repositoryName: string;
  readonly digest: string;
}

/** Where a replication job copies to (a destination of a replication rule). */
export interface ReplicationDestination {
  readonly region: string;
  readonly registryId: string;
}

/** One image to copy to one destination: an entry of the durable replication queue. */
export interface ReplicationJob {
  readonly id: string;
  readonly source: ReplicationSource;
  readonly destination: ReplicationDestination;
  /** Tags to set at the destination. */
  readonly tags: readonly string[];
  readonly state: ReplicationState;
  /** How many times the job was claimed; a claim's fencing token (see `ReplicationOps.update`). */
  readonly attempts: number;
  /**
   * PENDING: when the job becomes due. IN_PROGRESS: when the claim lapses and the job may be
   * claimed again (a worker that died mid-copy). Unused once COMPLETE or FAILED.
   */
  readonly nextAttemptAt: Date;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  /** Who holds the current claim. */
  readonly worker?: string;
  /** ECR's failure reason of the last failed attempt. */
  readonly failureReason?: string;
}

/** What enqueuing a replication job needs; it is due at `nextAttemptAt` (default `createdAt`). */
export interface NewReplicationJob {
  readonly id: string;
  readonly source: ReplicationSource;
  readonly destination: ReplicationDestination;
  readonly tags: readonly string[];
  readonly createdAt: Date;
  readonly nextAttemptAt?: Date;
}

/** A repository name filter of a replication rule. */
export interface ReplicationRepositoryFilter {
  readonly filter: string;
  readonly filterType: 'PREFIX_MATCH';
}

/** A replication rule: images of matching repositories go to every destination. */
export interface ReplicationRule {
  readonly destinations: readonly ReplicationDestination[];
  /** Empty: every repository. */
  readonly repositoryFilters: readonly ReplicationRepositoryFilter[];
}

/** PutReplicationConfiguration's document. */
export interface ReplicationConfiguration {
  readonly rules: readonly ReplicationRule[];
}

/** A rule of the registry scanning configuration. */
export interface ScanningRule {
  readonly scanFrequency: 'SCAN_ON_PUSH' | 'CONTINUOUS_SCAN' | 'MANUAL';
  readonly repositoryFilters: readonly { readonly filter: string; readonly filterType: 'WILDCARD' }[];
}

/** PutRegistryScanningConfiguration's document. */
export interface RegistryScanningConfiguration {
  readonly scanType: 'BASIC' | 'ENHANCED';
  readonly rules: readonly ScanningRule[];
}

/** A pull-through cache rule: repositories under `prefix` mirror an upstream registry. */
export interface PullThroughCacheRule {
  /** ECR's `ecrRepositoryPrefix` (`ROOT` allowed); unique within the registry. */
  readonly prefix: string;
  readonly upstreamRegistryUrl: string;
  /** ECR's `upstreamRegistry` kind (`docker-hub`, `ecr`...). */
  readonly upstreamRegistry?: string;
  readonly upstreamRepositoryPrefix?: string;
  /** Secrets Manager ARN of the upstream credentials. */
  readonly credentialArn?: string;
  /** Role assumed to reach an ECR upstream. */
  readonly customRoleArn?: string;
  readonly createdAt: Date;
  readonly updatedAt?: Date;
}

/** What a repository creation template applies to. */
export type CreationTemplateUse = 'REPLICATION' | 'PULL_THROUGH_CACHE' | 'CREATE_ON_PUSH';

/** Settings for repositories that crossdock creates itself (replication, pull-through, push). */
export interface RepositoryCreationTemplate {
  /** The repository name prefix, or `ROOT`; unique within the registry. */
  readonly prefix: string;
  readonly description?: string;
  readonly encryption?: EncryptionConfiguration;
  readonly resourceTags: readonly Tag[];
  readonly imageTagMutability?: ImageTagMutability;
  readonly imageTagMutabilityExclusionFilters?: readonly ImageTagMutabilityExclusionFilter[];
  readonly repositoryPolicy?: string;
  readonly lifecyclePolicy?: string;
  readonly appliedFor: readonly CreationTemplateUse[];
  readonly customRoleArn?: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/**
 * The registry-level settings of one (account, region). Small documents that services read whole
 * (longest-prefix matching of pull-through rules and templates, replication rules on every push)
 * and change rarely, so they live in one record guarded by its `version`.
 */
export interface Registry {
  readonly accountId: string;
  readonly region: string;
  readonly policyText?: string;
  /** The users and roles the registry policy named when it was set (absent: none). */
  readonly policyPrincipals?: PrincipalBindings;
  readonly replicationConfiguration?: ReplicationConfiguration;
  readonly scanningConfiguration?: RegistryScanningConfiguration;
  /** Ordered by prefix. */
  readonly pullThroughCacheRules: readonly PullThroughCacheRule[];
  /** Ordered by prefix. */
  readonly creationTemplates: readonly RepositoryCreationTemplate[];
  /** GetAccountSetting/PutAccountSetting values (`REGISTRY_POLICY_SCOPE` → `V2`...). */
  readonly accountSettings: Readonly<Record<string, string>>;
  /** ECR Public's registry catalog data (JSON text, as the service keeps it). */
  readonly catalogDataText?: string;
  /** A store-wide change number, as `Repository.version`. */
  readonly version: number;
  readonly updatedAt: Date;
}

/** Whether a secret version holds text (`SecretString`) or bytes (`SecretBinary`, sealed as base64). */
export type SecretValueKind = 'string' | 'binary';

/** One version of a Secrets Manager secret; its value is sealed before it reaches the store. */
export interface SecretVersion {
  /** The version id (the request's `ClientRequestToken`, a UUID). */
  readonly id: string;
  /** Staging labels (`AWSCURRENT`, `AWSPREVIOUS`, ...); a version without labels is deprecated. */
  readonly stages: readonly string[];
  readonly kind: SecretValueKind;
  /** Sealed by the service with the secret's ARN and the version id as context. */
  readonly value: SealedSecret;
  readonly createdAt: Date;
}

/**
 * A Secrets Manager secret of one (account, region): its metadata and versions. The name is unique
 * in its (account, region) and the ARN (`…:secret:<name>-<6 random characters>`) store-wide, so a
 * secret deleted and created again under the same name gets a new ARN, as in AWS.
 */
export interface Secret {
  readonly accountId: string;
  readonly region: string;
  readonly name: string;
  readonly arn: string;
  readonly description?: string;
  readonly tags: readonly Tag[];
  /** Newest first. */
  readonly versions: readonly SecretVersion[];
  readonly createdAt: Date;
  readonly lastChangedAt: Date;
  /** When DeleteSecret scheduled the deletion; such a secret refuses reads and changes. */
  readonly deletedAt?: Date;
  /** When the recovery window ends and the secret is gone for good. */
  readonly deletionDate?: Date;
}
