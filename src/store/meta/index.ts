/**
 * The metadata store as the layers above see it: the interface, its records and errors, the
 * secret box, and the two drivers' constructors. The conformance suite is imported by tests
 * directly from `./conformance.js`.
 */
export type {
  AccessKeyOps,
  AccessKeyOwner,
  AccessKeyPatch,
  AccountOps,
  AccountPatch,
  AttachmentOps,
  CreateAccountRequestOps,
  CreateAccountRequestPatch,
  InlinePolicyOps,
  InstanceProfileOps,
  InstanceProfilePatch,
  ManagedPolicyOps,
  ManagedPolicyPatch,
  MetadataStore,
  MetadataTx,
  OrganizationOps,
  RoleOps,
  RolePatch,
  SessionOps,
  UserOps,
  UserPatch,
} from './MetadataStore.js';
export type {
  AccessKey,
  AccessKeyLastUsed,
  AccessKeyStatus,
  Account,
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
  SessionPrincipal,
  StsSession,
  Tag,
  User,
} from './records.js';
export { MAX_POLICY_VERSIONS } from './records.js';
export type { ListOptions, Page, PathListOptions } from './pagination.js';
export { DEFAULT_MAX_ITEMS } from './pagination.js';
export type { ConflictReason, EntityKind, StoreErrorCode, UniqueField } from './errors.js';
export { AlreadyExists, Conflict, InvalidMarker, NotFound, StoreError } from './errors.js';
export { StoreMisuse } from './txScope.js';
export type { SealedSecret } from './secrets.js';
export { SECRET_KEY_FILE, SecretBox, SecretError, hashSessionToken, sessionTokenMatches } from './secrets.js';
export { MemoryMetadataStore } from './memory/MemoryMetadataStore.js';
export type { SqliteLocation } from './sqlite/SqliteMetadataStore.js';
export { METADATA_DB_FILE, openSqliteMetadataStore } from './sqlite/SqliteMetadataStore.js';
