// The STS adapter at the wire: what the SDKs send decodes to the service's input, and answers
// encode with AWS's members in AWS's order.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeQueryOperation,
  encodeQueryRequest,
  encodeQueryResult,
  STS_QUERY,
} from '../protocol/awsQuery.js';
import type { Caller } from '../../auth/caller.js';
import type { AssumeRoleInput, StsService } from '../../services/sts/index.js';
import { ServiceError } from '../../services/errors.js';
import { issueServiceRoleCredentials, STS_OPERATIONS, stsApi } from './index.js';

const EXPIRES = new Date('2026-11-23T13:00:00Z');
const CREDS = {
  accessKeyId: 'ASIAEXAMPLE000000001',
  secretAccessKey: 's'.repeat(40),
  sessionToken: 'tok',
  expiration: EXPIRES,
};
const caller = {} as Caller;

function fakeService(seen: unknown[]): StsService {
  const fake = {
    getCallerIdentity: () => ({
      userId: 'AIDAEXAMPLE000000001',
      account: '111111111111',
      arn: 'arn:aws:iam::111111111111:user/alice',
    }),
    assumeRole: async (_c: Caller, input: AssumeRoleInput) => {
      seen.push(input);
      return {
        credentials: CREDS,
        assumedRoleId: 'AROAEXAMPLE000000001:s1',
        arn: 'arn:aws:sts::111111111111:assumed-role/R/s1',
        packedPolicySize: 7,
        sourceIdentity: 'alice',
      };
    },
    getSessionToken: async () => CREDS,
    issueServiceRoleCredentials: async () => {
      throw new ServiceError('NoSuchEntity', 'The role with name R cannot be found.');
    },
  };
  return fake as unknown as StsService;
}

describe('STS adapter', () => {
  test('AssumeRole decodes every member the CLI and SDKs send', async () => {
    const input = {
      RoleArn: 'arn:aws:iam::111111111111:role/R',
      RoleSessionName: 's1',
      PolicyArns: [{ arn: 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly' }],
      Policy: '{"Version":"2012-10-17","Statement":[]}',
      DurationSeconds: 900,
      Tags: [{ Key: 'team', Value: 'blue & green' }],
      TransitiveTagKeys: ['team'],
      ExternalId: 'Example987',
      SerialNumber: 'arn:aws:iam::111111111111:mfa/alice',
      TokenCode: '123456',
      SourceIdentity: 'alice',
    };
    const body = encodeQueryRequest(STS_QUERY, 'AssumeRole', STS_OPERATIONS.AssumeRole, input);
    assert.match(body, /PolicyArns\.member\.1\.arn=/);
    assert.match(body, /Tags\.member\.1\.Key=team/);
    assert.match(body, /TransitiveTagKeys\.member\.1=team/);
    const op = decodeQueryOperation(STS_QUERY, STS_OPERATIONS, { body });
    const seen: unknown[] = [];
    const result = await stsApi(fakeService(seen)).handle(op, { caller, requestId: 'r1' });
    assert.deepEqual(seen, [input]);
    const xml = encodeQueryResult(STS_QUERY, 'AssumeRole', result, 'r1').body;
    assert.equal(
      xml,
      '<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>' +
        '<SourceIdentity>alice</SourceIdentity>' +
        '<AssumedRoleUser><AssumedRoleId>AROAEXAMPLE000000001:s1</AssumedRoleId><Arn>arn:aws:sts::111111111111:assumed-role/R/s1</Arn></AssumedRoleUser>' +
        `<Credentials><AccessKeyId>ASIAEXAMPLE000000001</AccessKeyId><SecretAccessKey>${'s'.repeat(40)}</SecretAccessKey><SessionToken>tok</SessionToken><Expiration>2026-11-23T13:00:00Z</Expiration></Credentials>` +
        '<PackedPolicySize>7</PackedPolicySize>' +
        '</AssumeRoleResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></AssumeRoleResponse>',
    );
  });

  test('GetCallerIdentity answers Arn, UserId, Account; GetSessionToken only Credentials', async () => {
    const api = stsApi(fakeService([]));
    const who = await api.handle(
      decodeQueryOperation(STS_QUERY, STS_OPERATIONS, {
        body: 'Action=GetCallerIdentity&Version=2011-06-15',
      }),
      { caller, requestId: 'r' },
    );
    assert.match(
      encodeQueryResult(STS_QUERY, 'GetCallerIdentity', who, 'r').body,
      /<GetCallerIdentityResult><Arn>arn:aws:iam::111111111111:user\/alice<\/Arn><UserId>AIDAEXAMPLE000000001<\/UserId><Account>111111111111<\/Account><\/GetCallerIdentityResult>/,
    );
    const gst = await api.handle(
      decodeQueryOperation(STS_QUERY, STS_OPERATIONS, {
        body: 'Action=GetSessionToken&Version=2011-06-15&DurationSeconds=900',
      }),
      { caller, requestId: 'r' },
    );
    assert.deepEqual(Object.keys(gst as object), ['Credentials']);
  });

  test('the extension answers errors in STS/IAM wire codes', async () => {
    await assert.rejects(
      issueServiceRoleCredentials(
        fakeService([]),
        { Service: 'ec2.amazonaws.com', RoleArn: 'arn:aws:iam::111111111111:role/R' },
        { caller, requestId: 'r' },
      ),
      (e: unknown) =>
        (e as { code: string; status: number }).code === 'NoSuchEntity' &&
        (e as { status: number }).status === 404,
    );
    await assert.rejects(
      issueServiceRoleCredentials(
        fakeService([]),
        { Service: 'lambda.amazonaws.com' },
        { caller, requestId: 'r' },
      ),
      (e: unknown) =>
        (e as { code: string }).code === 'ValidationError' && (e as { status: number }).status === 400,
    );
  });
});
