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

/** Principals that carry inline policies and attachments (groups come later). */
export type PrincipalKind = 'user' | 'role';

/** Names a user or role by account and name (matched case-insensitively). */
export interface PrincipalRef {
  readonly kind: PrincipalKind;
  readonly accountId: string;
  readonly name: string;
}

/** An inline policy embedded in a user or role; names are unique per owner case-insensitively. */
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
