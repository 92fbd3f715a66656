import { list, required, struct } from '../protocol/shape.js';

const Tag = struct({ Key: required('string'), Value: required('string') });

/**
 * The STS operations crossdock serves over awsQuery, with AWS's member names (botocore
 * `sts/2011-06-15`) so the real CLI and SDKs are decoded as sent: `PolicyArns.member.N.arn`,
 * `Tags.member.N.Key`, `TransitiveTagKeys.member.N`. Constraints live in the service.
 */
export const STS_OPERATIONS = {
  GetCallerIdentity: struct({}),
  AssumeRole: struct({
    RoleArn: required('string'),
    RoleSessionName: required('string'),
    PolicyArns: list(struct({ arn: 'string' })),
    Policy: 'string',
    DurationSeconds: 'integer',
    Tags: list(Tag),
    TransitiveTagKeys: list('string'),
    ExternalId: 'string',
    SerialNumber: 'string',
    TokenCode: 'string',
    SourceIdentity: 'string',
    ProvidedContexts: list(struct({ ProviderArn: 'string', ContextAssertion: 'string' })),
  }),
  GetSessionToken: struct({
    DurationSeconds: 'integer',
    SerialNumber: 'string',
    TokenCode: 'string',
  }),
};

/**
 * Input of crossdock's `CrossdockV20261101.IssueServiceRoleCredentials` (awsJson1_1), the call
 * behind `crossdock instance-profile`: `Service` is `ec2.amazonaws.com` or
 * `ecs-tasks.amazonaws.com`; the role is named by `RoleArn` or by `InstanceProfileName`.
 */
export const ISSUE_SERVICE_ROLE_CREDENTIALS = struct({
  RoleArn: 'string',
  InstanceProfileName: 'string',
  Service: required('string'),
  SessionName: 'string',
});
