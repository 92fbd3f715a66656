import type { Account, CreateAccountRequest, Organization } from '../../store/meta/records.js';
import { orgArns, type OrganizationsService } from '../../services/organizations/service.js';
import type { ApiAdapter } from '../adapter.js';
import { list, required, struct } from '../protocol/shape.js';

const Tag = struct({ Key: required('string'), Value: required('string') });
const req = required('string');
const paging = { NextToken: 'string', MaxResults: 'integer' } as const;

/** The Organizations operations crossdock serves, with AWS's member names. */
export const ORGANIZATIONS_OPERATIONS = {
  CreateAccount: struct({
    Email: required('string'),
    AccountName: required('string'),
    RoleName: 'string',
    IamUserAccessToBilling: 'string',
    Tags: list(Tag),
  }),
  DescribeCreateAccountStatus: struct({ CreateAccountRequestId: required('string') }),
  ListAccounts: struct({ NextToken: 'string', MaxResults: 'integer' }),
  DescribeAccount: struct({ AccountId: required('string') }),
  DescribeOrganization: struct({}),
  ListRoots: struct({ ...paging }),
  EnablePolicyType: struct({ RootId: req, PolicyType: req }),
  DisablePolicyType: struct({ RootId: req, PolicyType: req }),
  CreatePolicy: struct({ Content: req, Description: req, Name: req, Type: req, Tags: list(Tag) }),
  DescribePolicy: struct({ PolicyId: req }),
  UpdatePolicy: struct({ PolicyId: req, Name: 'string', Description: 'string', Content: 'string' }),
  DeletePolicy: struct({ PolicyId: req }),
  ListPolicies: struct({ Filter: req, ...paging }),
  AttachPolicy: struct({ PolicyId: req, TargetId: req }),
  DetachPolicy: struct({ PolicyId: req, TargetId: req }),
  ListPoliciesForTarget: struct({ TargetId: req, Filter: req, ...paging }),
  ListTargetsForPolicy: struct({ PolicyId: req, ...paging }),
  ListParents: struct({ ChildId: req, ...paging }),
  ListChildren: struct({ ParentId: req, ChildType: req, ...paging }),
  CreateOrganizationalUnit: struct({ ParentId: req, Name: req, Tags: list(Tag) }),
  DescribeOrganizationalUnit: struct({ OrganizationalUnitId: req }),
  UpdateOrganizationalUnit: struct({ OrganizationalUnitId: req, Name: 'string' }),
  DeleteOrganizationalUnit: struct({ OrganizationalUnitId: req }),
  ListOrganizationalUnitsForParent: struct({ ParentId: req, ...paging }),
  MoveAccount: struct({ AccountId: req, SourceParentId: req, DestinationParentId: req }),
  ListAccountsForParent: struct({ ParentId: req, ...paging }),
};

/** CreateAccountStatus in AWS's member order. */
export function createAccountStatus(r: CreateAccountRequest) {
  return {
    Id: r.id,
    AccountName: r.accountName,
    State: r.state,
    RequestedTimestamp: r.requestedAt,
    ...(r.completedAt !== undefined && { CompletedTimestamp: r.completedAt }),
    ...(r.accountId !== undefined && { AccountId: r.accountId }),
    ...(r.failureReason !== undefined && { FailureReason: r.failureReason }),
  };
}

function account(org: Organization, a: Account) {
  return {
    Id: a.id,
    Arn: orgArns.account(org, a.id),
    Email: a.email,
    Name: a.name,
    Status: a.status,
    JoinedMethod: a.joinedMethod,
    JoinedTimestamp: a.joinedAt,
  };
}

/** The Organizations awsJson1_1 adapter: decode → service → encode, nothing else. */
export function organizationsApi(service: OrganizationsService): ApiAdapter<typeof ORGANIZATIONS_OPERATIONS> {
  return {
    service: 'organizations',
    operations: ORGANIZATIONS_OPERATIONS,
    async handle(op, { caller }) {
      const tree = service.tree;
      switch (op.operation) {
        case 'ListRoots':
          return tree.listRoots(caller, op.input);
        case 'EnablePolicyType':
          return tree.enablePolicyType(caller, op.input);
        case 'DisablePolicyType':
          return tree.disablePolicyType(caller, op.input);
        case 'CreatePolicy':
          return tree.createPolicy(caller, op.input);
        case 'DescribePolicy':
          return tree.describePolicy(caller, op.input);
        case 'UpdatePolicy':
          return tree.updatePolicy(caller, op.input);
        case 'DeletePolicy':
          await tree.deletePolicy(caller, op.input);
          return {};
        case 'ListPolicies':
          return tree.listPolicies(caller, op.input);
        case 'AttachPolicy':
          await tree.attachPolicy(caller, op.input);
          return {};
        case 'DetachPolicy':
          await tree.detachPolicy(caller, op.input);
          return {};
        case 'ListPoliciesForTarget':
          return tree.listPoliciesForTarget(caller, op.input);
        case 'ListTargetsForPolicy':
          return tree.listTargetsForPolicy(caller, op.input);
        case 'ListParents':
          return tree.listParents(caller, op.input);
        case 'ListChildren':
          return tree.listChildren(caller, op.input);
        case 'CreateOrganizationalUnit':
          return tree.createOrganizationalUnit(caller, op.input);
        case 'DescribeOrganizationalUnit':
          return tree.describeOrganizationalUnit(caller, op.input);
        case 'UpdateOrganizationalUnit':
          return tree.updateOrganizationalUnit(caller, op.input);
        case 'DeleteOrganizationalUnit':
          await tree.deleteOrganizationalUnit(caller, op.input);
          return {};
        case 'ListOrganizationalUnitsForParent':
          return tree.listOrganizationalUnitsForParent(caller, op.input);
        case 'MoveAccount':
          await tree.moveAccount(caller, op.input);
          return {};
        case 'ListAccountsForParent': {
          const r = await tree.listAccountsForParent(caller, op.input);
          return {
            Accounts: r.Accounts.map((a) => account(r.org, a)),
            ...(r.NextToken !== undefined && { NextToken: r.NextToken }),
          };
        }
        case 'CreateAccount': {
          const { status } = await service.createAccount(caller, {
            Email: op.input.Email,
            AccountName: op.input.AccountName,
            ...(op.input.RoleName !== undefined && { RoleName: op.input.RoleName }),
            ...(op.input.Tags !== undefined && { Tags: op.input.Tags }),
          });
          return { CreateAccountStatus: createAccountStatus(status) };
        }
        case 'DescribeCreateAccountStatus':
          return {
            CreateAccountStatus: createAccountStatus(
              await service.describeCreateAccountStatus(caller, op.input.CreateAccountRequestId),
            ),
          };
        case 'ListAccounts': {
          const r = await service.listAccounts(caller, {
            ...(op.input.NextToken !== undefined && { NextToken: op.input.NextToken }),
            ...(op.input.MaxResults !== undefined && { MaxResults: op.input.MaxResults }),
          });
          return {
            Accounts: r.accounts.map((a) => account(r.org, a)),
            ...(r.nextToken !== undefined && { NextToken: r.nextToken }),
          };
        }
        case 'DescribeAccount': {
          const r = await service.describeAccount(caller, op.input.AccountId);
          return { Account: account(r.org, r.account) };
        }
        case 'DescribeOrganization': {
          const { org, management } = await service.describeOrganization(caller);
          return {
            Organization: {
              Id: org.id,
              Arn: orgArns.organization(org),
              FeatureSet: org.featureSet,
              MasterAccountArn: orgArns.account(org, management.id),
              MasterAccountId: management.id,
              MasterAccountEmail: management.email,
              AvailablePolicyTypes: [{ Type: 'SERVICE_CONTROL_POLICY', Status: 'ENABLED' }],
            },
          };
        }
      }
    },
  };
}
