/**
 * Typed errors of the metadata store. The store knows data, not AWS: services catch these and
 * map them once to their wire form (IAM `EntityAlreadyExists` / `NoSuchEntity` / `DeleteConflict` /
 * `LimitExceeded`, Organizations `DuplicateAccountException`...). Messages name the entity and its
 * key only; a record's contents (and so a sealed secret) never appear in an error.
 */

/** The entities the store keeps; an error says which one it is about. */
export type EntityKind =
  | 'organization'
  | 'account'
  | 'createAccountRequest'
  | 'user'
  | 'role'
  | 'group'
  | 'groupMember'
  | 'accessKey'
  | 'inlinePolicy'
  | 'managedPolicy'
  | 'policyVersion'
  | 'policyAttachment'
  | 'instanceProfile'
  | 'session'
  | 'organizationalUnit'
  | 'orgPolicy'
  | 'orgPolicyAttachment'
  | 'repository'
  | 'image'
  | 'tag'
  | 'blob'
  | 'upload'
  | 'replicationJob'
  | 'registry'
  | 'pullThroughCacheRule'
  | 'repositoryCreationTemplate'
  | 'secret';

/** The codes services switch on (never on message text). */
export type StoreErrorCode = 'AlreadyExists' | 'NotFound' | 'Conflict' | 'InvalidMarker';

/** Which unique key an insert or rename collided with, so a service can pick AWS's message. */
export type UniqueField = 'id' | 'name' | 'alias' | 'email' | 'arn' | 'member' | 'prefix';

/**
 * Why a change was refused although every entity exists: dependents still reference the entity
 * (AWS `DeleteConflict`, ECR `RepositoryNotEmptyException`), the default policy version cannot be
 * deleted, a hard IAM invariant would break (the five-version cap, AWS `LimitExceeded`), or a
 * conditional write found the record changed since the caller read it.
 */
export type ConflictReason =
  | 'HasAccessKeys'
  | 'HasInlinePolicies'
  | 'HasAttachedPolicies'
  | 'InInstanceProfiles'
  /** A user is still a member of a group, or a group still has members (IAM DeleteConflict). */
  | 'InGroups'
  | 'HasMembers'
  /** An organizational unit still has child OUs or accounts. */
  | 'HasChildren'
  | 'HasRoles'
  | 'HasAttachments'
  | 'HasAccounts'
  | 'IsDefaultVersion'
  | 'VersionLimitReached'
  /** A repository still has images (delete without `force`). */
  | 'HasImages'
  /** An image is a child of an index that stays (ECR `ImageReferencedByManifestList`). */
  | 'ReferencedByIndex'
  /** A blob is referenced by an image of the repository, so it cannot be unlinked. */
  | 'BlobInUse'
  /** `expect.version` did not match: someone else changed the record first. */
  | 'VersionMismatch'
  /** An upload's size or state was not what the caller expected (a racing chunk). */
  | 'UploadChanged'
  /** A replication job was claimed again since this worker's claim (its claim lapsed). */
  | 'StaleClaim';

/** Base class so callers can test `err instanceof StoreError` and switch on `code`. */
export abstract class StoreError extends Error {
  abstract readonly code: StoreErrorCode;
  protected constructor(
    message: string,
    /** The entity the error is about. */
    readonly entity: EntityKind,
    /** The entity's key as the caller gave it (a name, an id, `account/name`); never secret. */
    readonly key: string,
  ) {
    super(message);
  }
}

/** An insert or rename would duplicate a unique key (names compare case-insensitively). */
export class AlreadyExists extends StoreError {
  readonly code = 'AlreadyExists' as const;
  constructor(
    entity: EntityKind,
    key: string,
    /** The unique key that collided. */
    readonly field: UniqueField,
  ) {
    super(`${entity} \`${key}\` already exists (duplicate ${field})`, entity, key);
    this.name = 'AlreadyExists';
  }
}

/** The entity addressed (or one it must hang from) does not exist. */
export class NotFound extends StoreError {
  readonly code = 'NotFound' as const;
  constructor(entity: EntityKind, key: string) {
    super(`${entity} \`${key}\` not found`, entity, key);
    this.name = 'NotFound';
  }
}

/** The change would break an invariant of the data; `reason` says which. */
export class Conflict extends StoreError {
  readonly code = 'Conflict' as const;
  constructor(
    entity: EntityKind,
    key: string,
    /** What stands in the way. */
    readonly reason: ConflictReason,
  ) {
    super(`${entity} \`${key}\` cannot be changed: ${reason}`, entity, key);
    this.name = 'Conflict';
  }
}

/** A pagination marker that this store did not hand out (services answer `InvalidInput`). */
export class InvalidMarker extends StoreError {
  readonly code = 'InvalidMarker' as const;
  constructor(entity: EntityKind) {
    super(`invalid pagination marker for ${entity} list`, entity, '');
    this.name = 'InvalidMarker';
  }
}
