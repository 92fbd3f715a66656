/**
 * Inputs and outputs of the IAM operations in AWS's own member names (`RoleName`,
 * `AssumeRolePolicyDocument`, …), so that the api adapter hands decoded requests straight in and
 * encodes answers straight out. Output interfaces list members in the order of the IAM API model
 * (botocore `iam/2010-05-08`), and the service builds every output object in that order, which is
 * the order the awsQuery encoder writes them.
 */

/** A tag as IAM's API spells it. */
export interface TagInput {
  readonly Key: string;
  readonly Value: string;
}

/** Marker/MaxItems of IAM list operations. */
export interface Paging {
  readonly Marker?: string;
  readonly MaxItems?: number;
}

/** The tail of every paginated IAM answer. */
export interface PageOut {
  readonly IsTruncated: boolean;
  readonly Marker?: string;
}

/** `AttachedPermissionsBoundary`. */
export interface PermissionsBoundaryOut {
  readonly PermissionsBoundaryType: 'PermissionsBoundaryPolicy';
  readonly PermissionsBoundaryArn: string;
}

/** `User` (GetUser, CreateUser, ListUsers). The root user has no Path or UserName. */
export interface UserOut {
  readonly Path?: string;
  readonly UserName?: string;
  readonly UserId: string;
  readonly Arn: string;
  readonly CreateDate: Date;
  readonly PermissionsBoundary?: PermissionsBoundaryOut;
  readonly Tags?: TagInput[];
}

/** `Group`. */
export interface GroupOut {
  readonly Path: string;
  readonly GroupName: string;
  readonly GroupId: string;
  readonly Arn: string;
  readonly CreateDate: Date;
}

/** ListEntitiesForPolicy's `PolicyGroups`, `PolicyUsers` and `PolicyRoles` members. */
export interface PolicyEntitiesOut {
  readonly PolicyGroups: { readonly GroupName: string; readonly GroupId: string }[];
  readonly PolicyUsers: { readonly UserName: string; readonly UserId: string }[];
  readonly PolicyRoles: { readonly RoleName: string; readonly RoleId: string }[];
}

/** `RoleLastUsed`. */
export interface RoleLastUsedOut {
  readonly LastUsedDate?: Date;
  readonly Region?: string;
}

/** `Role`; the trust policy is URL-encoded as IAM returns it. */
export interface RoleOut {
  readonly Path: string;
  readonly RoleName: string;
  readonly RoleId: string;
  readonly Arn: string;
  readonly CreateDate: Date;
  readonly AssumeRolePolicyDocument: string;
  readonly Description?: string;
  readonly MaxSessionDuration: number;
  readonly PermissionsBoundary?: PermissionsBoundaryOut;
  readonly Tags?: TagInput[];
  readonly RoleLastUsed?: RoleLastUsedOut;
}

/** `AccessKey` (CreateAccessKey only: the one time the secret is shown). */
export interface AccessKeyOut {
  readonly UserName?: string;
  readonly AccessKeyId: string;
  readonly Status: string;
  readonly SecretAccessKey: string;
  readonly CreateDate: Date;
}

/** `AccessKeyMetadata`. */
export interface AccessKeyMetadataOut {
  readonly UserName?: string;
  readonly AccessKeyId: string;
  readonly Status: string;
  readonly CreateDate: Date;
}

/** `Policy` (managed policy, customer or AWS). */
export interface PolicyOut {
  readonly PolicyName: string;
  readonly PolicyId?: string;
  readonly Arn: string;
  readonly Path: string;
  readonly DefaultVersionId: string;
  readonly AttachmentCount: number;
  readonly PermissionsBoundaryUsageCount: number;
  readonly IsAttachable: boolean;
  readonly Description?: string;
  readonly CreateDate?: Date;
  readonly UpdateDate?: Date;
  readonly Tags?: TagInput[];
}

/** `PolicyVersion`; `Document` is URL-encoded (and left out of CreatePolicyVersion/ListPolicyVersions). */
export interface PolicyVersionOut {
  readonly Document?: string;
  readonly VersionId: string;
  readonly IsDefaultVersion: boolean;
  readonly CreateDate: Date;
}

/** `AttachedPolicy`. */
export interface AttachedPolicyOut {
  readonly PolicyName: string;
  readonly PolicyArn: string;
}

/** `InstanceProfile`. */
export interface InstanceProfileOut {
  readonly Path: string;
  readonly InstanceProfileName: string;
  readonly InstanceProfileId: string;
  readonly Arn: string;
  readonly CreateDate: Date;
  readonly Roles: RoleOut[];
  readonly Tags?: TagInput[];
}

/** A policy scope of ListPolicies. */
export type PolicyScope = 'All' | 'AWS' | 'Local';

/** Inputs of the IAM operations, member names as in the IAM API (what the awsQuery codec decodes). */
export interface IamInputs {
  CreateUser: { Path?: string; UserName: string; PermissionsBoundary?: string; Tags?: TagInput[] };
  GetUser: { UserName?: string };
  ListUsers: Paging & { PathPrefix?: string };
  DeleteUser: { UserName: string };
  CreateRole: {
    Path?: string;
    RoleName: string;
    AssumeRolePolicyDocument: string;
    Description?: string;
    MaxSessionDuration?: number;
    PermissionsBoundary?: string;
    Tags?: TagInput[];
  };
  GetRole: { RoleName: string };
  ListRoles: Paging & { PathPrefix?: string };
  DeleteRole: { RoleName: string };
  UpdateAssumeRolePolicy: { RoleName: string; PolicyDocument: string };
  UpdateRole: { RoleName: string; Description?: string; MaxSessionDuration?: number };
  CreateAccessKey: { UserName?: string };
  ListAccessKeys: Paging & { UserName?: string };
  UpdateAccessKey: { UserName?: string; AccessKeyId: string; Status: string };
  DeleteAccessKey: { UserName?: string; AccessKeyId: string };
  PutUserPolicy: { UserName: string; PolicyName: string; PolicyDocument: string };
  GetUserPolicy: { UserName: string; PolicyName: string };
  DeleteUserPolicy: { UserName: string; PolicyName: string };
  ListUserPolicies: Paging & { UserName: string };
  PutRolePolicy: { RoleName: string; PolicyName: string; PolicyDocument: string };
  GetRolePolicy: { RoleName: string; PolicyName: string };
  DeleteRolePolicy: { RoleName: string; PolicyName: string };
  ListRolePolicies: Paging & { RoleName: string };
  CreatePolicy: {
    PolicyName: string;
    Path?: string;
    PolicyDocument: string;
    Description?: string;
    Tags?: TagInput[];
  };
  GetPolicy: { PolicyArn: string };
  DeletePolicy: { PolicyArn: string };
  ListPolicies: Paging & {
    Scope?: string;
    OnlyAttached?: boolean;
    PathPrefix?: string;
    PolicyUsageFilter?: string;
  };
  CreatePolicyVersion: { PolicyArn: string; PolicyDocument: string; SetAsDefault?: boolean };
  GetPolicyVersion: { PolicyArn: string; VersionId: string };
  ListPolicyVersions: Paging & { PolicyArn: string };
  DeletePolicyVersion: { PolicyArn: string; VersionId: string };
  SetDefaultPolicyVersion: { PolicyArn: string; VersionId: string };
  AttachUserPolicy: { UserName: string; PolicyArn: string };
  DetachUserPolicy: { UserName: string; PolicyArn: string };
  ListAttachedUserPolicies: Paging & { UserName: string; PathPrefix?: string };
  AttachRolePolicy: { RoleName: string; PolicyArn: string };
  DetachRolePolicy: { RoleName: string; PolicyArn: string };
  ListAttachedRolePolicies: Paging & { RoleName: string; PathPrefix?: string };
  TagUser: { UserName: string; Tags: TagInput[] };
  UntagUser: { UserName: string; TagKeys: string[] };
  ListUserTags: Paging & { UserName: string };
  TagRole: { RoleName: string; Tags: TagInput[] };
  UntagRole: { RoleName: string; TagKeys: string[] };
  ListRoleTags: Paging & { RoleName: string };
  CreateInstanceProfile: { InstanceProfileName: string; Path?: string; Tags?: TagInput[] };
  GetInstanceProfile: { InstanceProfileName: string };
  AddRoleToInstanceProfile: { InstanceProfileName: string; RoleName: string };
  RemoveRoleFromInstanceProfile: { InstanceProfileName: string; RoleName: string };
  ListInstanceProfiles: Paging & { PathPrefix?: string };
  ListInstanceProfilesForRole: Paging & { RoleName: string };
  DeleteInstanceProfile: { InstanceProfileName: string };
  PutRolePermissionsBoundary: { RoleName: string; PermissionsBoundary: string };
  PutUserPermissionsBoundary: { UserName: string; PermissionsBoundary: string };
  DeleteRolePermissionsBoundary: { RoleName: string };
  DeleteUserPermissionsBoundary: { UserName: string };
  CreateGroup: { Path?: string; GroupName: string };
  GetGroup: Paging & { GroupName: string };
  ListGroups: Paging & { PathPrefix?: string };
  UpdateGroup: { GroupName: string; NewPath?: string; NewGroupName?: string };
  DeleteGroup: { GroupName: string };
  AddUserToGroup: { GroupName: string; UserName: string };
  RemoveUserFromGroup: { GroupName: string; UserName: string };
  ListGroupsForUser: Paging & { UserName: string };
  PutGroupPolicy: { GroupName: string; PolicyName: string; PolicyDocument: string };
  GetGroupPolicy: { GroupName: string; PolicyName: string };
  DeleteGroupPolicy: { GroupName: string; PolicyName: string };
  ListGroupPolicies: Paging & { GroupName: string };
  AttachGroupPolicy: { GroupName: string; PolicyArn: string };
  DetachGroupPolicy: { GroupName: string; PolicyArn: string };
  ListAttachedGroupPolicies: Paging & { GroupName: string; PathPrefix?: string };
  ListEntitiesForPolicy: Paging & {
    PolicyArn: string;
    EntityFilter?: string;
    PathPrefix?: string;
    PolicyUsageFilter?: string;
  };
  CreateAccountAlias: { AccountAlias: string };
  ListAccountAliases: Paging;
  DeleteAccountAlias: { AccountAlias: string };
}
