// The real AWS SDK v3 clients against a tiny server that answers with crossdock's encoders: every
// field must deserialize, every error must surface with its code, status and fault. The server
// also decodes what the SDK sends, so the decoders are checked against the SDK's serializers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import {
  GetRoleCommand,
  IAMClient,
  ListRoleTagsCommand,
  ListRolesCommand,
  NoSuchEntityException,
} from '@aws-sdk/client-iam';
import {
  CreateRepositoryCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  RepositoryNotFoundException,
} from '@aws-sdk/client-ecr';
import {
  AccountNotFoundException,
  ConstraintViolationException,
  CreateAccountCommand,
  DescribeAccountCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { AwsError, toAwsError } from './errors.js';
import { list, required, struct, type DecodedOperation } from './shape.js';
import {
  decodeQueryOperation,
  encodeQueryError,
  encodeQueryResult,
  IAM_QUERY,
  STS_QUERY,
} from './awsQuery.js';
import {
  decodeJsonOperation,
  ECR_JSON,
  encodeJsonError,
  encodeJsonResult,
  ORGANIZATIONS_JSON,
} from './awsJson.js';
import type { WireResponse } from './wire.js';

const REQUEST_ID = '8f0e4a1c-5b7d-4c2e-9a3b-0d1e2f3a4b5c';
const CREATED = new Date('2026-09-30T12:00:00Z');
const USED = new Date('2026-10-01T08:30:15.250Z');
const TRUST =
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}]}';
const TRICKY = 'a<b & c>d "q" \'s\' \r\n tab\t ünïcødé 😀 ]]> &amp;';

const Tag = struct({ Key: required('string'), Value: required('string') });
const STS_OPS = {
  GetCallerIdentity: struct({}),
  AssumeRole: struct({
    RoleArn: required('string'),
    RoleSessionName: required('string'),
    DurationSeconds: 'integer',
    Policy: 'string',
    PolicyArns: list(struct({ arn: 'string' })),
    Tags: list(Tag),
    TransitiveTagKeys: list('string'),
    ExternalId: 'string',
  }),
};
const IAM_OPS = {
  GetRole: struct({ RoleName: required('string') }),
  ListRoles: struct({ PathPrefix: 'string', Marker: 'string', MaxItems: 'integer' }),
  ListRoleTags: struct({ RoleName: required('string') }),
};
const ECR_OPS = {
  DescribeRepositories: struct({
    registryId: 'string',
    repositoryNames: list('string'),
    maxResults: 'integer',
  }),
  CreateRepository: struct({
    repositoryName: required('string'),
    tags: list(Tag),
    imageTagMutability: 'string',
  }),
};
const ORG_OPS = {
  DescribeAccount: struct({ AccountId: required('string') }),
  CreateAccount: struct({ Email: required('string'), AccountName: required('string') }),
};

/** What the server decoded, by operation, so tests can compare it with what the SDK was given. */
const seen = new Map<string, unknown>();

function role(name: string) {
  return {
    Path: '/team/',
    RoleName: name,
    RoleId: 'AROA3XFRBF535EXAMPLE',
    Arn: `arn:aws:iam::111111111111:role/team/${name}`,
    CreateDate: CREATED,
    AssumeRolePolicyDocument: encodeURIComponent(TRUST),
    Description: TRICKY,
    MaxSessionDuration: 7200,
    Tags: [
      { Key: 'Team', Value: 'Payments' },
      { Key: 'Cost<Center>', Value: '' },
    ],
    RoleLastUsed: { LastUsedDate: USED, Region: 'us-east-1' },
  };
}

function sts(op: DecodedOperation<typeof STS_OPS>) {
  switch (op.operation) {
    case 'GetCallerIdentity':
      return {
        UserId: 'AIDAEXAMPLEUSERID123',
        Account: '111111111111',
        Arn: 'arn:aws:iam::111111111111:user/alice',
      };
    case 'AssumeRole':
      seen.set('AssumeRole', op.input);
      if (op.input.RoleSessionName === 'denied') {
        throw AwsError.of(
          'sts',
          'AccessDenied',
          `User: arn:aws:iam::222222222222:user/bob is not authorized to perform: sts:AssumeRole on resource: ${op.input.RoleArn}`,
        );
      }
      return {
        AssumedRoleUser: {
          AssumedRoleId: `AROA3XFRBF535EXAMPLE:${op.input.RoleSessionName}`,
          Arn: `arn:aws:sts::111111111111:assumed-role/X/${op.input.RoleSessionName}`,
        },
        Credentials: {
          AccessKeyId: 'ASIAEXAMPLEKEYID1234',
          SecretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY',
          SessionToken: 'FwoGZXIvYXdzE//////////token+/=',
          Expiration: new Date('2026-09-30T13:00:00Z'),
        },
        PackedPolicySize: 6,
      };
  }
}

function iam(op: DecodedOperation<typeof IAM_OPS>) {
  switch (op.operation) {
    case 'GetRole':
      if (op.input.RoleName !== 'X') {
        throw AwsError.of('iam', 'NoSuchEntity', `The role with name ${op.input.RoleName} cannot be found.`);
      }
      return { Role: role('X') };
    case 'ListRoles': {
      seen.set('ListRoles', op.input);
      const { Tags: _t, RoleLastUsed: _u, ...first } = role('X');
      const { Tags: _t2, RoleLastUsed: _u2, ...second } = role('Y');
      return { Roles: [first, second], IsTruncated: true, Marker: 'next/page+1=' };
    }
    case 'ListRoleTags':
      return { Tags: [], IsTruncated: false };
  }
}

function ecr(op: DecodedOperation<typeof ECR_OPS>) {
  switch (op.operation) {
    case 'DescribeRepositories': {
      seen.set('DescribeRepositories', op.input);
      if (op.input.registryId === '999999999999') throw new Error('a bug, not an AWS error');
      const missing = op.input.repositoryNames?.find((n) => n !== 'team/app');
      if (missing !== undefined) {
        throw AwsError.of(
          'ecr',
          'RepositoryNotFoundException',
          `The repository with name '${missing}' does not exist in the registry with id '111111111111'`,
        );
      }
      return {
        repositories: [
          {
            repositoryArn: 'arn:aws:ecr:us-east-1:111111111111:repository/team/app',
            registryId: '111111111111',
            repositoryName: 'team/app',
            repositoryUri: '127.0.0.1/111111111111/team/app',
            createdAt: USED,
            imageTagMutability: 'IMMUTABLE',
            imageScanningConfiguration: { scanOnPush: false },
            encryptionConfiguration: { encryptionType: 'AES256' },
          },
        ],
      };
    }
    case 'CreateRepository':
      seen.set('CreateRepository', op.input);
      throw AwsError.of(
        'ecr',
        'RepositoryAlreadyExistsException',
        `The repository with name '${op.input.repositoryName}' already exists in the registry with id '111111111111'`,
      );
  }
}

function organizations(op: DecodedOperation<typeof ORG_OPS>) {
  switch (op.operation) {
    case 'DescribeAccount':
      if (op.input.AccountId !== '222222222222') {
        throw AwsError.of(
          'organizations',
          'AccountNotFoundException',
          "You specified an account that doesn't exist.",
        );
      }
      return {
        Account: {
          Id: '222222222222',
          Arn: 'arn:aws:organizations::111111111111:account/o-exampleorgid/222222222222',
          Email: 'b@example.com',
          Name: 'prod',
          Status: 'ACTIVE',
          JoinedMethod: 'CREATED',
          JoinedTimestamp: USED,
        },
      };
    case 'CreateAccount':
      throw AwsError.of(
        'organizations',
        'ConstraintViolationException',
        'You have reached the maximum number of accounts in your organization.',
        { Reason: 'ACCOUNT_NUMBER_LIMIT_EXCEEDED' },
      );
  }
}

/** The SigV4 scope's service name (`Credential=AKID/date/region/<service>/aws4_request`). */
function scopeService(req: IncomingMessage): string | undefined {
  return /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(req.headers.authorization ?? '')?.[1];
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function answer(req: IncomingMessage, body: Buffer): WireResponse {
  const target = req.headers['x-amz-target'];
  const query = (req.url ?? '').split('?')[1];
  if (typeof target === 'string') {
    const service = target.startsWith(ORGANIZATIONS_JSON.targetPrefix) ? ORGANIZATIONS_JSON : ECR_JSON;
    try {
      const result =
        service === ECR_JSON
          ? ecr(decodeJsonOperation(service, ECR_OPS, { target, body }))
          : organizations(decodeJsonOperation(service, ORG_OPS, { target, body }));
      return encodeJsonResult(result, REQUEST_ID);
    } catch (err) {
      return encodeJsonError(service, toAwsError(err), REQUEST_ID);
    }
  }
  const service = scopeService(req) === 'sts' ? STS_QUERY : IAM_QUERY;
  try {
    if (service === STS_QUERY) {
      const op = decodeQueryOperation(service, STS_OPS, { body, query });
      return encodeQueryResult(service, op.operation, sts(op), REQUEST_ID);
    }
    const op = decodeQueryOperation(service, IAM_OPS, { body, query });
    return encodeQueryResult(service, op.operation, iam(op), REQUEST_ID);
  } catch (err) {
    return encodeQueryError(service, toAwsError(err), REQUEST_ID);
  }
}

let server: Server;
let endpoint: string;
const config = () => ({
  endpoint,
  region: 'us-east-1',
  maxAttempts: 1,
  credentials: {
    accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  },
});

/** Runs a command that must fail and returns what the SDK threw. */
async function failure(run: () => Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await run();
  } catch (err) {
    assert.ok(err instanceof Error);
    return err as Error & Record<string, unknown>;
  }
  assert.fail('expected the call to fail');
}

function metadata(err: Record<string, unknown>): { httpStatusCode?: number; requestId?: string } {
  return err.$metadata as { httpStatusCode?: number; requestId?: string };
}

before(async () => {
  server = createServer((req, res) => {
    readBody(req)
      .then((body) => {
        const wire = answer(req, body);
        res.writeHead(wire.status, wire.headers).end(wire.body);
      })
      .catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('awsQuery with @aws-sdk/client-sts', () => {
  test('GetCallerIdentity deserializes every member and the request id', async () => {
    const out = await new STSClient(config()).send(new GetCallerIdentityCommand({}));
    assert.equal(out.UserId, 'AIDAEXAMPLEUSERID123');
    assert.equal(out.Account, '111111111111');
    assert.equal(out.Arn, 'arn:aws:iam::111111111111:user/alice');
    assert.equal(out.$metadata.httpStatusCode, 200);
    assert.equal(out.$metadata.requestId, REQUEST_ID);
  });

  test('AssumeRole input with lists of structures and strings decodes exactly as the SDK encoded it', async () => {
    const input = {
      RoleArn: 'arn:aws:iam::111111111111:role/X',
      RoleSessionName: 'ci@build=1',
      DurationSeconds: 900,
      Policy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecr:*","Resource":"*"}]}',
      PolicyArns: [{ arn: 'arn:aws:iam::aws:policy/A' }, { arn: 'arn:aws:iam::aws:policy/B' }],
      Tags: [
        { Key: 'Project', Value: 'a b+c&d=e' },
        { Key: 'Dept', Value: 'ünïcødé 😀' },
      ],
      TransitiveTagKeys: ['Project'],
      ExternalId: 'ext/id:1',
    };
    const out = await new STSClient(config()).send(new AssumeRoleCommand(input));
    assert.deepEqual(seen.get('AssumeRole'), input);
    assert.equal(out.Credentials?.AccessKeyId, 'ASIAEXAMPLEKEYID1234');
    assert.equal(out.Credentials?.SecretAccessKey, 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY');
    assert.equal(out.Credentials?.SessionToken, 'FwoGZXIvYXdzE//////////token+/=');
    assert.deepEqual(out.Credentials?.Expiration, new Date('2026-09-30T13:00:00Z'));
    assert.equal(out.AssumedRoleUser?.AssumedRoleId, 'AROA3XFRBF535EXAMPLE:ci@build=1');
    assert.equal(out.AssumedRoleUser?.Arn, 'arn:aws:sts::111111111111:assumed-role/X/ci@build=1');
    assert.equal(out.PackedPolicySize, 6);
  });

  test('an empty list is sent as `Name=` and decodes as an empty list', async () => {
    await new STSClient(config()).send(
      new AssumeRoleCommand({
        RoleArn: 'arn:aws:iam::111111111111:role/X',
        RoleSessionName: 's',
        TransitiveTagKeys: [],
      }),
    );
    assert.deepEqual(seen.get('AssumeRole'), {
      RoleArn: 'arn:aws:iam::111111111111:role/X',
      RoleSessionName: 's',
      TransitiveTagKeys: [],
    });
  });

  test('AccessDenied surfaces with its code, 403 and client fault', async () => {
    const err = await failure(() =>
      new STSClient(config()).send(
        new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::111111111111:role/X', RoleSessionName: 'denied' }),
      ),
    );
    assert.equal(err.name, 'AccessDenied');
    assert.equal(err.$fault, 'client');
    assert.equal(metadata(err).httpStatusCode, 403);
    assert.equal(metadata(err).requestId, REQUEST_ID);
    assert.match(err.message, /^User: arn:aws:iam::222222222222:user\/bob is not authorized/);
  });
});

describe('awsQuery with @aws-sdk/client-iam', () => {
  test('GetRole deserializes nested structures, tags, dates and escaped text', async () => {
    const out = await new IAMClient(config()).send(new GetRoleCommand({ RoleName: 'X' }));
    const r = out.Role;
    assert.ok(r !== undefined);
    assert.equal(r.Path, '/team/');
    assert.equal(r.RoleName, 'X');
    assert.equal(r.RoleId, 'AROA3XFRBF535EXAMPLE');
    assert.equal(r.Arn, 'arn:aws:iam::111111111111:role/team/X');
    assert.deepEqual(r.CreateDate, CREATED);
    assert.equal(decodeURIComponent(r.AssumeRolePolicyDocument ?? ''), TRUST);
    assert.equal(r.Description, TRICKY);
    assert.equal(r.MaxSessionDuration, 7200);
    assert.deepEqual(r.Tags, [
      { Key: 'Team', Value: 'Payments' },
      { Key: 'Cost<Center>', Value: '' },
    ]);
    // awsQuery timestamps are whole seconds (IAM's form); the fraction is dropped.
    assert.deepEqual(r.RoleLastUsed?.LastUsedDate, new Date(Math.floor(USED.getTime() / 1000) * 1000));
    assert.equal(r.RoleLastUsed?.Region, 'us-east-1');
  });

  test('ListRoles deserializes a list of roles and the paging members', async () => {
    const out = await new IAMClient(config()).send(
      new ListRolesCommand({ PathPrefix: '/team/', MaxItems: 2 }),
    );
    assert.deepEqual(seen.get('ListRoles'), { PathPrefix: '/team/', MaxItems: 2 });
    assert.deepEqual(
      out.Roles?.map((r) => r.RoleName),
      ['X', 'Y'],
    );
    assert.deepEqual(out.Roles?.[1]?.CreateDate, CREATED);
    assert.equal(out.IsTruncated, true);
    assert.equal(out.Marker, 'next/page+1=');
  });

  test('an empty list in a response deserializes as an empty list', async () => {
    const out = await new IAMClient(config()).send(new ListRoleTagsCommand({ RoleName: 'X' }));
    assert.deepEqual(out.Tags, []);
    assert.equal(out.IsTruncated, false);
  });

  test('NoSuchEntity surfaces as the modelled NoSuchEntityException with 404', async () => {
    const err = await failure(() => new IAMClient(config()).send(new GetRoleCommand({ RoleName: 'nobody' })));
    assert.ok(err instanceof NoSuchEntityException);
    assert.equal(err.name, 'NoSuchEntityException');
    assert.equal(err.$fault, 'client');
    assert.equal(metadata(err).httpStatusCode, 404);
    assert.equal(err.message, 'The role with name nobody cannot be found.');
    assert.deepEqual((err as unknown as { Error: { Code: string } }).Error.Code, 'NoSuchEntity');
  });
});

describe('awsJson1_1 with @aws-sdk/client-ecr', () => {
  test('DescribeRepositories deserializes repositories and epoch-second timestamps with fractions', async () => {
    const out = await new ECRClient(config()).send(
      new DescribeRepositoriesCommand({ repositoryNames: ['team/app'] }),
    );
    assert.deepEqual(seen.get('DescribeRepositories'), { repositoryNames: ['team/app'] });
    assert.equal(out.$metadata.requestId, REQUEST_ID);
    const repo = out.repositories?.[0];
    assert.ok(repo !== undefined);
    assert.equal(repo.repositoryArn, 'arn:aws:ecr:us-east-1:111111111111:repository/team/app');
    assert.equal(repo.registryId, '111111111111');
    assert.equal(repo.repositoryName, 'team/app');
    assert.equal(repo.repositoryUri, '127.0.0.1/111111111111/team/app');
    assert.deepEqual(repo.createdAt, USED);
    assert.equal(repo.imageTagMutability, 'IMMUTABLE');
    assert.equal(repo.imageScanningConfiguration?.scanOnPush, false);
    assert.equal(repo.encryptionConfiguration?.encryptionType, 'AES256');
  });

  test('RepositoryNotFoundException surfaces as the modelled exception with 400', async () => {
    const err = await failure(() =>
      new ECRClient(config()).send(new DescribeRepositoriesCommand({ repositoryNames: ['nope'] })),
    );
    assert.ok(err instanceof RepositoryNotFoundException);
    assert.equal(err.name, 'RepositoryNotFoundException');
    assert.equal(err.$fault, 'client');
    assert.equal(metadata(err).httpStatusCode, 400);
    assert.equal(metadata(err).requestId, REQUEST_ID);
    assert.match(err.message, /The repository with name 'nope' does not exist/);
  });

  test('an unexpected failure is a bare InternalFailure 500 with a server fault', async () => {
    const err = await failure(() =>
      new ECRClient(config()).send(new DescribeRepositoriesCommand({ registryId: '999999999999' })),
    );
    assert.equal(err.name, 'InternalFailure');
    assert.equal(err.$fault, 'server');
    assert.equal(metadata(err).httpStatusCode, 500);
    assert.doesNotMatch(err.message, /bug/);
  });

  test('CreateRepository input with capitalised tag members decodes exactly as the SDK encoded it', async () => {
    const input = {
      repositoryName: 'team/app',
      tags: [{ Key: 'a', Value: 'b' }],
      imageTagMutability: 'IMMUTABLE' as const,
    };
    const err = await failure(() => new ECRClient(config()).send(new CreateRepositoryCommand(input)));
    assert.deepEqual(seen.get('CreateRepository'), input);
    assert.equal(err.name, 'RepositoryAlreadyExistsException');
  });
});

describe('awsJson1_1 with @aws-sdk/client-organizations', () => {
  test('DescribeAccount deserializes the account and its timestamp', async () => {
    const out = await new OrganizationsClient(config()).send(
      new DescribeAccountCommand({ AccountId: '222222222222' }),
    );
    assert.equal(out.Account?.Id, '222222222222');
    assert.equal(out.Account?.Name, 'prod');
    assert.equal(out.Account?.Status, 'ACTIVE');
    assert.deepEqual(out.Account?.JoinedTimestamp, USED);
  });

  test('AccountNotFoundException surfaces with 404 and its `Message` as the message', async () => {
    const err = await failure(() =>
      new OrganizationsClient(config()).send(new DescribeAccountCommand({ AccountId: '333333333333' })),
    );
    assert.ok(err instanceof AccountNotFoundException);
    assert.equal(err.name, 'AccountNotFoundException');
    assert.equal(metadata(err).httpStatusCode, 404);
    // Organizations' error shapes spell the member `Message`; the SDK folds it into `message`.
    assert.equal(err.message, "You specified an account that doesn't exist.");
  });

  test('ConstraintViolationException carries its extra `Reason` member', async () => {
    const err = await failure(() =>
      new OrganizationsClient(config()).send(
        new CreateAccountCommand({ Email: 'c@example.com', AccountName: 'c' }),
      ),
    );
    assert.ok(err instanceof ConstraintViolationException);
    assert.equal(metadata(err).httpStatusCode, 409);
    assert.equal(err.Reason, 'ACCOUNT_NUMBER_LIMIT_EXCEEDED');
  });
});

describe('bad input over HTTP answers AWS-shaped errors', () => {
  const cases: {
    name: string;
    headers: Record<string, string>;
    body: string;
    status: number;
    code: RegExp;
  }[] = [
    {
      name: 'a query request without Action is MissingAction',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Version=2010-05-08',
      status: 400,
      code: /<Code>MissingAction<\/Code>/,
    },
    {
      name: 'an unknown IAM action is InvalidAction',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=LaunchRockets&Version=2010-05-08',
      status: 400,
      code: /<Code>InvalidAction<\/Code>/,
    },
    {
      name: 'a malformed ECR body is SerializationException',
      headers: { 'x-amz-target': 'AmazonEC2ContainerRegistry_V20150921.DescribeRepositories' },
      body: '{"repositoryNames": [',
      status: 400,
      code: /"__type":"SerializationException"/,
    },
    {
      name: 'an unknown ECR operation is UnknownOperationException',
      headers: { 'x-amz-target': 'AmazonEC2ContainerRegistry_V20150921.LaunchRockets' },
      body: '{}',
      status: 400,
      code: /"__type":"UnknownOperationException"/,
    },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const res = await fetch(endpoint, { method: 'POST', headers: c.headers, body: c.body });
      assert.equal(res.status, c.status);
      assert.equal(res.headers.get('x-amzn-requestid'), REQUEST_ID);
      assert.match(await res.text(), c.code);
    });
  }

  test('a GET with the parameters in the query string works like a POST', async () => {
    const res = await fetch(`${endpoint}/?Action=GetRole&Version=2010-05-08&RoleName=X`);
    assert.equal(res.status, 200);
    assert.match(
      await res.text(),
      /^<GetRoleResponse xmlns="https:\/\/iam\.amazonaws\.com\/doc\/2010-05-08\/"><GetRoleResult><Role>/,
    );
  });
});
