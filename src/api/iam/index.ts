/**
 * IAM over awsQuery: the input shapes of the operations crossdock serves (member names exactly as
 * the IAM API spells them) and the adapter that hands each decoded request to {@link IamService}.
 * The service already answers in AWS's member names and order, so the adapter only dispatches.
 */
import type { Caller } from '../../auth/caller.js';
import type { IamInputs, IamService } from '../../services/iam/index.js';
import type { ApiAdapter } from '../adapter.js';
import { list, required, struct, type Infer } from '../protocol/shape.js';
import type { OutputValue } from '../protocol/wire.js';

const Tag = struct({ Key: required('string'), Value: required('string') });
const Tags = list(Tag);
const paging = { Marker: 'string', MaxItems: 'integer' } as const;
const req = required('string');

/** The IAM operations crossdock serves and their inputs (awsQuery `Tags.member.N.Key`…). */
export const IAM_OPERATIONS = {
  CreateUser: struct({ Path: 'string', UserName: req, PermissionsBoundary: 'string', Tags }),
  GetUser: struct({ UserName: 'string' }),
  ListUsers: struct({ PathPrefix: 'string', ...paging }),
  DeleteUser: struct({ UserName: req }),
  CreateRole: struct({
    Path: 'string',
    RoleName: req,
    AssumeRolePolicyDocument: req,
    Description: 'string',
    MaxSessionDuration: 'integer',
    PermissionsBoundary: 'string',
    Tags,
  }),
  GetRole: struct({ RoleName: req }),
  ListRoles: struct({ PathPrefix: 'string', ...paging }),
  DeleteRole: struct({ RoleName: req }),
  UpdateAssumeRolePolicy: struct({ RoleName: req, PolicyDocument: req }),
  UpdateRole: struct({ RoleName: req, Description: 'string', MaxSessionDuration: 'integer' }),
  CreateAccessKey: struct({ UserName: 'string' }),
  ListAccessKeys: struct({ UserName: 'string', ...paging }),
  UpdateAccessKey: struct({ UserName: 'string', AccessKeyId: req, Status: req }),
  DeleteAccessKey: struct({ UserName: 'string', AccessKeyId: req }),
  PutUserPolicy: struct({ UserName: req, PolicyName: req, PolicyDocument: req }),
  GetUserPolicy: struct({ UserName: req, PolicyName: req }),
  DeleteUserPolicy: struct({ UserName: req, PolicyName: req }),
  ListUserPolicies: struct({ UserName: req, ...paging }),
  PutRolePolicy: struct({ RoleName: req, PolicyName: req, PolicyDocument: req }),
  GetRolePolicy: struct({ RoleName: req, PolicyName: req }),
  DeleteRolePolicy: struct({ RoleName: req, PolicyName: req }),
  ListRolePolicies: struct({ RoleName: req, ...paging }),
  CreatePolicy: struct({ PolicyName: req, Path: 'string', PolicyDocument: req, Description: 'string', Tags }),
  GetPolicy: struct({ PolicyArn: req }),
  DeletePolicy: struct({ PolicyArn: req }),
  ListPolicies: struct({
    Scope: 'string',
    OnlyAttached: 'boolean',
    PathPrefix: 'string',
    PolicyUsageFilter: 'string',
    ...paging,
  }),
  CreatePolicyVersion: struct({ PolicyArn: req, PolicyDocument: req, SetAsDefault: 'boolean' }),
  GetPolicyVersion: struct({ PolicyArn: req, VersionId: req }),
  ListPolicyVersions: struct({ PolicyArn: req, ...paging }),
  DeletePolicyVersion: struct({ PolicyArn: req, VersionId: req }),
  SetDefaultPolicyVersion: struct({ PolicyArn: req, VersionId: req }),
  AttachUserPolicy: struct({ UserName: req, PolicyArn: req }),
  DetachUserPolicy: struct({ UserName: req, PolicyArn: req }),
  ListAttachedUserPolicies: struct({ UserName: req, PathPrefix: 'string', ...paging }),
  AttachRolePolicy: struct({ RoleName: req, PolicyArn: req }),
  DetachRolePolicy: struct({ RoleName: req, PolicyArn: req }),
  ListAttachedRolePolicies: struct({ RoleName: req, PathPrefix: 'string', ...paging }),
  TagUser: struct({ UserName: req, Tags: required(Tags) }),
  UntagUser: struct({ UserName: req, TagKeys: required(list('string')) }),
  ListUserTags: struct({ UserName: req, ...paging }),
  TagRole: struct({ RoleName: req, Tags: required(Tags) }),
  UntagRole: struct({ RoleName: req, TagKeys: required(list('string')) }),
  ListRoleTags: struct({ RoleName: req, ...paging }),
  CreateInstanceProfile: struct({ InstanceProfileName: req, Path: 'string', Tags }),
  GetInstanceProfile: struct({ InstanceProfileName: req }),
  AddRoleToInstanceProfile: struct({ InstanceProfileName: req, RoleName: req }),
  RemoveRoleFromInstanceProfile: struct({ InstanceProfileName: req, RoleName: req }),
  ListInstanceProfiles: struct({ PathPrefix: 'string', ...paging }),
  ListInstanceProfilesForRole: struct({ RoleName: req, ...paging }),
  DeleteInstanceProfile: struct({ InstanceProfileName: req }),
  PutRolePermissionsBoundary: struct({ RoleName: req, PermissionsBoundary: req }),
  PutUserPermissionsBoundary: struct({ UserName: req, PermissionsBoundary: req }),
  DeleteRolePermissionsBoundary: struct({ RoleName: req }),
  DeleteUserPermissionsBoundary: struct({ UserName: req }),
  CreateGroup: struct({ Path: 'string', GroupName: req }),
  GetGroup: struct({ GroupName: req, ...paging }),
  ListGroups: struct({ PathPrefix: 'string', ...paging }),
  UpdateGroup: struct({ GroupName: req, NewPath: 'string', NewGroupName: 'string' }),
  DeleteGroup: struct({ GroupName: req }),
  AddUserToGroup: struct({ GroupName: req, UserName: req }),
  RemoveUserFromGroup: struct({ GroupName: req, UserName: req }),
  ListGroupsForUser: struct({ UserName: req, ...paging }),
  PutGroupPolicy: struct({ GroupName: req, PolicyName: req, PolicyDocument: req }),
  GetGroupPolicy: struct({ GroupName: req, PolicyName: req }),
  DeleteGroupPolicy: struct({ GroupName: req, PolicyName: req }),
  ListGroupPolicies: struct({ GroupName: req, ...paging }),
  AttachGroupPolicy: struct({ GroupName: req, PolicyArn: req }),
  DetachGroupPolicy: struct({ GroupName: req, PolicyArn: req }),
  ListAttachedGroupPolicies: struct({ GroupName: req, PathPrefix: 'string', ...paging }),
  ListEntitiesForPolicy: struct({
    PolicyArn: req,
    EntityFilter: 'string',
    PathPrefix: 'string',
    PolicyUsageFilter: 'string',
    ...paging,
  }),
  CreateAccountAlias: struct({ AccountAlias: req }),
  ListAccountAliases: struct({ ...paging }),
  DeleteAccountAlias: struct({ AccountAlias: req }),
};

type Ops = typeof IAM_OPERATIONS;

/** One handler per operation; the decoded input must fit the service's input (checked here). */
type Handlers = {
  [K in keyof Ops & keyof IamInputs]: (
    s: IamService,
    caller: Caller,
    input: Infer<Ops[K]>,
  ) => Promise<OutputValue | void>;
};

const HANDLERS: Handlers = {
  CreateUser: (s, c, i) => s.createUser(c, i),
  GetUser: (s, c, i) => s.getUser(c, i),
  ListUsers: (s, c, i) => s.listUsers(c, i),
  DeleteUser: (s, c, i) => s.deleteUser(c, i),
  CreateRole: (s, c, i) => s.createRole(c, i),
  GetRole: (s, c, i) => s.getRole(c, i),
  ListRoles: (s, c, i) => s.listRoles(c, i),
  DeleteRole: (s, c, i) => s.deleteRole(c, i),
  UpdateAssumeRolePolicy: (s, c, i) => s.updateAssumeRolePolicy(c, i),
  UpdateRole: (s, c, i) => s.updateRole(c, i),
  CreateAccessKey: (s, c, i) => s.createAccessKey(c, i),
  ListAccessKeys: (s, c, i) => s.listAccessKeys(c, i),
  UpdateAccessKey: (s, c, i) => s.updateAccessKey(c, i),
  DeleteAccessKey: (s, c, i) => s.deleteAccessKey(c, i),
  PutUserPolicy: (s, c, i) => s.putUserPolicy(c, i),
  GetUserPolicy: (s, c, i) => s.getUserPolicy(c, i),
  DeleteUserPolicy: (s, c, i) => s.deleteUserPolicy(c, i),
  ListUserPolicies: (s, c, i) => s.listUserPolicies(c, i),
  PutRolePolicy: (s, c, i) => s.putRolePolicy(c, i),
  GetRolePolicy: (s, c, i) => s.getRolePolicy(c, i),
  DeleteRolePolicy: (s, c, i) => s.deleteRolePolicy(c, i),
  ListRolePolicies: (s, c, i) => s.listRolePolicies(c, i),
  CreatePolicy: (s, c, i) => s.createPolicy(c, i),
  GetPolicy: (s, c, i) => s.getPolicy(c, i),
  DeletePolicy: (s, c, i) => s.deletePolicy(c, i),
  ListPolicies: (s, c, i) => s.listPolicies(c, i),
  CreatePolicyVersion: (s, c, i) => s.createPolicyVersion(c, i),
  GetPolicyVersion: (s, c, i) => s.getPolicyVersion(c, i),
  ListPolicyVersions: (s, c, i) => s.listPolicyVersions(c, i),
  DeletePolicyVersion: (s, c, i) => s.deletePolicyVersion(c, i),
  SetDefaultPolicyVersion: (s, c, i) => s.setDefaultPolicyVersion(c, i),
  AttachUserPolicy: (s, c, i) => s.attachUserPolicy(c, i),
  DetachUserPolicy: (s, c, i) => s.detachUserPolicy(c, i),
  ListAttachedUserPolicies: (s, c, i) => s.listAttachedUserPolicies(c, i),
  AttachRolePolicy: (s, c, i) => s.attachRolePolicy(c, i),
  DetachRolePolicy: (s, c, i) => s.detachRolePolicy(c, i),
  ListAttachedRolePolicies: (s, c, i) => s.listAttachedRolePolicies(c, i),
  TagUser: (s, c, i) => s.tagUser(c, i),
  UntagUser: (s, c, i) => s.untagUser(c, i),
  ListUserTags: (s, c, i) => s.listUserTags(c, i),
  TagRole: (s, c, i) => s.tagRole(c, i),
  UntagRole: (s, c, i) => s.untagRole(c, i),
  ListRoleTags: (s, c, i) => s.listRoleTags(c, i),
  CreateInstanceProfile: (s, c, i) => s.createInstanceProfile(c, i),
  GetInstanceProfile: (s, c, i) => s.getInstanceProfile(c, i),
  AddRoleToInstanceProfile: (s, c, i) => s.addRoleToInstanceProfile(c, i),
  RemoveRoleFromInstanceProfile: (s, c, i) => s.removeRoleFromInstanceProfile(c, i),
  ListInstanceProfiles: (s, c, i) => s.listInstanceProfiles(c, i),
  ListInstanceProfilesForRole: (s, c, i) => s.listInstanceProfilesForRole(c, i),
  DeleteInstanceProfile: (s, c, i) => s.deleteInstanceProfile(c, i),
  PutRolePermissionsBoundary: (s, c, i) => s.putRolePermissionsBoundary(c, i),
  PutUserPermissionsBoundary: (s, c, i) => s.putUserPermissionsBoundary(c, i),
  DeleteRolePermissionsBoundary: (s, c, i) => s.deleteRolePermissionsBoundary(c, i),
  DeleteUserPermissionsBoundary: (s, c, i) => s.deleteUserPermissionsBoundary(c, i),
  CreateGroup: (s, c, i) => s.createGroup(c, i),
  GetGroup: (s, c, i) => s.getGroup(c, i),
  ListGroups: (s, c, i) => s.listGroups(c, i),
  UpdateGroup: (s, c, i) => s.updateGroup(c, i),
  DeleteGroup: (s, c, i) => s.deleteGroup(c, i),
  AddUserToGroup: (s, c, i) => s.addUserToGroup(c, i),
  RemoveUserFromGroup: (s, c, i) => s.removeUserFromGroup(c, i),
  ListGroupsForUser: (s, c, i) => s.listGroupsForUser(c, i),
  PutGroupPolicy: (s, c, i) => s.putGroupPolicy(c, i),
  GetGroupPolicy: (s, c, i) => s.getGroupPolicy(c, i),
  DeleteGroupPolicy: (s, c, i) => s.deleteGroupPolicy(c, i),
  ListGroupPolicies: (s, c, i) => s.listGroupPolicies(c, i),
  AttachGroupPolicy: (s, c, i) => s.attachGroupPolicy(c, i),
  DetachGroupPolicy: (s, c, i) => s.detachGroupPolicy(c, i),
  ListAttachedGroupPolicies: (s, c, i) => s.listAttachedGroupPolicies(c, i),
  ListEntitiesForPolicy: (s, c, i) => s.listEntitiesForPolicy(c, i),
  CreateAccountAlias: (s, c, i) => s.createAccountAlias(c, i),
  ListAccountAliases: (s, c, i) => s.listAccountAliases(c, i),
  DeleteAccountAlias: (s, c, i) => s.deleteAccountAlias(c, i),
};

/**
 * The IAM awsQuery adapter: decode (by the codec, against {@link IAM_OPERATIONS}) → service →
 * encode. Operations without output answer `undefined`, so no `<XResult>` element is written.
 */
export function iamApi(service: IamService): ApiAdapter<typeof IAM_OPERATIONS> {
  return {
    service: 'iam',
    operations: IAM_OPERATIONS,
    async handle(op, { caller }) {
      // The union of handlers cannot be called with the union of inputs without this widening;
      // each handler's own input type is checked against the shapes in `Handlers` above.
      const handler = HANDLERS[op.operation] as (
        s: IamService,
        c: Caller,
        i: unknown,
      ) => Promise<OutputValue>;
      return handler(service, caller, op.input);
    },
  };
}
