/**
 * The IAM service: what the IAM api adapter and other services import. Named exports only.
 */
export { IamService } from './service.js';
export { iamErrors, QUOTAS } from './errors.js';
export { encodeDocument, instanceProfileArn, parseEntityArn, parsePolicyArn, policyArn } from './present.js';
export type {
  AccessKeyMetadataOut,
  AccessKeyOut,
  AttachedPolicyOut,
  IamInputs,
  InstanceProfileOut,
  PageOut,
  Paging,
  PermissionsBoundaryOut,
  PolicyOut,
  PolicyScope,
  PolicyVersionOut,
  RoleLastUsedOut,
  RoleOut,
  TagInput,
  UserOut,
} from './types.js';
