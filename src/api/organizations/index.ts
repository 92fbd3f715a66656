import type { Account, CreateAccountRequest, Organization } from '../../store/meta/records.js';
import { orgArns, type OrganizationsService } from '../../services/organizations/service.js';
import type { ApiAdapter } from '../adapter.js';
import { list, required, struct } from '../protocol/shape.js';

const Tag = struct({ Key: required('string'), Value: required('string') });

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
      switch (op.operation) {
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
