/**
 * The errors IAM answers, with AWS's wording, in one place so that every operation says the same
 * thing for the same situation and the report of sources stays in one file. Where each sentence
 * was read (issue threads quoting real responses, botocore models, the IAM User Guide):
 * - NoSuchEntity: "The role with name X cannot be found." / "The user with name X cannot be found."
 *   (sts-iam-api.md §7, aws-cli and terraform threads); "The role policy with name X cannot be
 *   found." / "The user policy with name X cannot be found." (aws-cli transcripts); "Instance Profile
 *   X cannot be found." and "The Access Key with id X cannot be found." (many SDK fakes quoting
 *   AWS); "Policy ARN does not exist or is not attachable." (terraform-provider-aws, eksctl); "Policy
 *   ARN was not found." (GetPolicy, DetachRolePolicy of a policy that is not attached); "Policy ARN
 *   version V does not exist or is not attachable." (GetPolicyVersion).
 * - EntityAlreadyExists: "Role with name X already exists.", "User with name X already exists.",
 *   "Instance Profile X already exists.", "A policy called X already exists. Duplicate names are not
 *   allowed." (terraform and AWSGoat threads).
 * - DeleteConflict: "Cannot delete entity, must delete policies first." / "…must detach all policies
 *   first." / "…must remove roles from instance profile first." / "…must delete access keys first."
 *   (aws-nuke, iamy, nixops, cloud-custodian threads); "Cannot delete a policy attached to entities."
 *   (serverless/components#312); "This policy has more than one version. Before you delete a policy,
 *   you must delete the policy's versions. The default version is deleted with the policy."
 *   (boto3 transcripts); "Cannot delete the default version of a policy." (moto, matching AWS).
 *   "Cannot delete entity, must remove users from group first." answers both DeleteGroup with members
 *   and DeleteUser of a member (hashicorp/terraform#29147, mozilla-services/userplex#17).
 * - LimitExceeded: "Cannot exceed quota for AccessKeysPerUser: 2", "Cannot exceed quota for
 *   PoliciesPerRole: 10", "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1",
 *   "Cannot exceed quota for PolicySize: 6144" (issue threads); "Maximum policy size of 10240 bytes
 *   exceeded for role X" (CloudFormation transcripts; the user form by analogy); "A managed policy
 *   can have up to 5 versions. Before you create a new version, you must delete an existing
 *   version." (boto3 transcripts).
 * - ValidationError: "Must specify userName when calling with non-User credentials" (AWS docs
 *   example and CLI transcripts).
 * - InvalidInput: "Duplicate tag keys found. Please note that Tag keys are case insensitive."
 *   (SDK test suites quoting AWS); "ARN X is not valid." (CLI transcripts).
 */
import { ServiceError } from '../errors.js';

/** Fixed IAM quotas crossdock enforces (AWS defaults). */
export const QUOTAS = {
  accessKeysPerUser: 2,
  policiesPerRole: 10,
  policiesPerUser: 10,
  policiesPerGroup: 10,
  groupsPerUser: 10,
  groupsPerAccount: 300,
  groupPolicySize: 5120,
  rolePolicySize: 10240,
  userPolicySize: 2048,
  policyVersions: 5,
  rolesPerInstanceProfile: 1,
  tagsPerEntity: 50,
} as const;

const err = (code: string, message: string): ServiceError => new ServiceError(code, message);

/** IAM's error sentences, one constructor per situation. */
export const iamErrors = {
  noSuchUser: (name: string) => err('NoSuchEntity', `The user with name ${name} cannot be found.`),
  noSuchRole: (name: string) => err('NoSuchEntity', `The role with name ${name} cannot be found.`),
  noSuchRolePolicy: (name: string) =>
    err('NoSuchEntity', `The role policy with name ${name} cannot be found.`),
  noSuchUserPolicy: (name: string) =>
    err('NoSuchEntity', `The user policy with name ${name} cannot be found.`),
  noSuchGroup: (name: string) => err('NoSuchEntity', `The group with name ${name} cannot be found.`),
  noSuchGroupPolicy: (name: string) =>
    err('NoSuchEntity', `The group policy with name ${name} cannot be found.`),
  noSuchInstanceProfile: (name: string) => err('NoSuchEntity', `Instance Profile ${name} cannot be found.`),
  noSuchAccessKey: (id: string) => err('NoSuchEntity', `The Access Key with id ${id} cannot be found.`),
  notAttachable: (arn: string) => err('NoSuchEntity', `Policy ${arn} does not exist or is not attachable.`),
  noSuchPolicy: (arn: string) => err('NoSuchEntity', `Policy ${arn} was not found.`),
  noSuchPolicyVersion: (arn: string, version: string) =>
    err('NoSuchEntity', `Policy ${arn} version ${version} does not exist or is not attachable.`),

  userExists: (name: string) => err('EntityAlreadyExists', `User with name ${name} already exists.`),
  roleExists: (name: string) => err('EntityAlreadyExists', `Role with name ${name} already exists.`),
  groupExists: (name: string) => err('EntityAlreadyExists', `Group with name ${name} already exists.`),
  instanceProfileExists: (name: string) =>
    err('EntityAlreadyExists', `Instance Profile ${name} already exists.`),
  policyExists: (name: string) =>
    err('EntityAlreadyExists', `A policy called ${name} already exists. Duplicate names are not allowed.`),
  aliasExists: (alias: string) => err('EntityAlreadyExists', `The account alias ${alias} already exists.`),

  mustDeletePolicies: () => err('DeleteConflict', 'Cannot delete entity, must delete policies first.'),
  mustDetachPolicies: () => err('DeleteConflict', 'Cannot delete entity, must detach all policies first.'),
  mustRemoveRoles: () =>
    err('DeleteConflict', 'Cannot delete entity, must remove roles from instance profile first.'),
  mustRemoveUsers: () => err('DeleteConflict', 'Cannot delete entity, must remove users from group first.'),
  mustDeleteAccessKeys: () => err('DeleteConflict', 'Cannot delete entity, must delete access keys first.'),
  policyAttached: () => err('DeleteConflict', 'Cannot delete a policy attached to entities.'),
  policyHasVersions: () =>
    err(
      'DeleteConflict',
      "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
    ),
  defaultVersion: () => err('DeleteConflict', 'Cannot delete the default version of a policy.'),

  quota: (name: string, value: number) => err('LimitExceeded', `Cannot exceed quota for ${name}: ${value}`),
  inlineSize: (kind: 'user' | 'role' | 'group', name: string, max: number) =>
    err('LimitExceeded', `Maximum policy size of ${max} bytes exceeded for ${kind} ${name}`),
  versionLimit: () =>
    err(
      'LimitExceeded',
      'A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.',
    ),
  tagLimit: () => err('LimitExceeded', 'The number of tags has reached the maximum limit.'),

  nonUserCaller: () => err('ValidationError', 'Must specify userName when calling with non-User credentials'),
  duplicateTags: () =>
    err('InvalidInput', 'Duplicate tag keys found. Please note that Tag keys are case insensitive.'),
  invalidArn: (arn: string) => err('InvalidInput', `ARN ${arn} is not valid.`),
  invalidMarker: () => err('InvalidInput', 'Invalid Marker.'),
  reservedTag: () => err('InvalidInput', 'User-defined tag keys cannot start with the reserved prefix aws:.'),
  expiredStatus: () => err('InvalidInput', 'The status Expired cannot be set by the caller.'),
  temporaryCredentials: () =>
    err('InvalidClientTokenId', 'The security token included in the request is invalid'),
};
