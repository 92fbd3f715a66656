// IAM groups and Organizations service control policies with the real AWS CLI v2 against a started
// crossdock, as an administrator would type them: a user that may pull only through its group's
// policy (and no longer once removed from the group); an SCP Deny of ecr:BatchGetImage on an OU that
// blocks a member account's role although IAM allows it, while the management account in the same
// OU is unaffected; and FullAWSAccess detached from the OU, which leaves everything else implicitly
// denied. Images are pushed with the SDK; every pull and denial goes through `aws`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateRepositoryCommand, PutImageCommand } from '@aws-sdk/client-ecr';
import { aws, awsCliMissing, cliEnv, keyEnv } from '../helpers/awscli.js';
import { ecrClient, makeImage, pushBlobApi } from '../helpers/ecr.js';
import { startServer, type AccountCredentials, type TestServer } from '../helpers/server.js';

const skip = awsCliMissing !== undefined ? { skip: awsCliMissing } : {};

let t: TestServer;
let M: AccountCredentials; // the management account
let W: AccountCredentials; // a member account running workloads

const doc = (...Statement: object[]) => JSON.stringify({ Version: '2012-10-17', Statement });
const repoArn = (account: string, name: string) => `arn:aws:ecr:us-east-1:${account}:repository/${name}`;

type Creds = AccountCredentials | Record<string, string>;
const envOf = (creds: Creds) =>
  cliEnv(
    t.endpoint,
    'AccessKeyId' in creds ? keyEnv(creds as AccountCredentials) : (creds as Record<string, string>),
  );

/** Runs `aws`, expecting success, and returns its JSON output (or `{}`). */
async function ok(args: string[], creds: Creds): Promise<any> {
  const r = await aws([...args, '--output', 'json'], envOf(creds));
  assert.equal(r.code, 0, `aws ${args.join(' ')}: ${r.stderr}`);
  return r.stdout === '' ? {} : JSON.parse(r.stdout);
}

/** Runs `aws`, expecting it to fail with `code`; returns the CLI's error text. */
async function fails(args: string[], creds: Creds, code: string): Promise<string> {
  const r = await aws(args, envOf(creds));
  assert.notEqual(r.code, 0, `aws ${args.join(' ')} succeeded`);
  assert.match(r.stderr, new RegExp(`\\(${code}\\)`), r.stderr);
  return r.stderr;
}

/** Pushes a small image tagged `v1` into a new repository of the account. */
async function imageIn(owner: AccountCredentials, repositoryName: string): Promise<string> {
  const ecr = ecrClient(t.endpoint, owner);
  try {
    await ecr.send(new CreateRepositoryCommand({ repositoryName }));
    const img = makeImage([512]);
    for (const blob of [img.config, ...img.layers]) await pushBlobApi(ecr, repositoryName, blob);
    await ecr.send(
      new PutImageCommand({
        repositoryName,
        imageManifest: img.manifest,
        imageManifestMediaType: img.mediaType,
        imageTag: 'v1',
      }),
    );
    return img.digest;
  } finally {
    ecr.destroy();
  }
}

/** `aws ecr batch-get-image` of tag v1: the pull of a manifest. */
const pull = (account: string, repo: string) => [
  'ecr',
  'batch-get-image',
  '--registry-id',
  account,
  '--repository-name',
  repo,
  '--image-ids',
  'imageTag=v1',
];

before(async () => {
  t = await startServer();
  M = t.management;
  W = await t.createAccount('workloads');
});

after(async () => {
  await t?.stop();
});

describe('IAM groups with the AWS CLI', skip, () => {
  test('a user pulls only through its group policy, and is denied once removed from the group', async () => {
    const digest = await imageIn(W, 'team-app');
    await ok(['iam', 'create-user', '--user-name', 'dev'], W);
    const key = (await ok(['iam', 'create-access-key', '--user-name', 'dev'], W)).AccessKey;
    const dev = { AWS_ACCESS_KEY_ID: key.AccessKeyId, AWS_SECRET_ACCESS_KEY: key.SecretAccessKey };

    const group = (await ok(['iam', 'create-group', '--group-name', 'pullers', '--path', '/ci/'], W)).Group;
    assert.match(group.GroupId, /^AGPA/);
    assert.equal(group.Arn, `arn:aws:iam::${W.AccountId}:group/ci/pullers`);
    await ok(
      [
        'iam',
        'put-group-policy',
        '--group-name',
        'pullers',
        '--policy-name',
        'pull-team-app',
        '--policy-document',
        doc({
          Effect: 'Allow',
          Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
          Resource: repoArn(W.AccountId, 'team-app'),
        }),
      ],
      W,
    );
    // The CLI decodes the URL-encoded document it gets back.
    const got = await ok(
      ['iam', 'get-group-policy', '--group-name', 'pullers', '--policy-name', 'pull-team-app'],
      W,
    );
    assert.deepEqual(got.PolicyDocument.Statement[0].Action, [
      'ecr:BatchGetImage',
      'ecr:GetDownloadUrlForLayer',
    ]);

    const before = await fails(pull(W.AccountId, 'team-app'), dev, 'AccessDeniedException');
    assert.match(before, /because no identity-based policy allows the ecr:BatchGetImage action/);

    await ok(['iam', 'add-user-to-group', '--group-name', 'pullers', '--user-name', 'dev'], W);
    const members = await ok(['iam', 'get-group', '--group-name', 'pullers'], W);
    assert.deepEqual(
      members.Users.map((u: any) => u.UserName),
      ['dev'],
    );
    assert.deepEqual(
      (await ok(['iam', 'list-groups-for-user', '--user-name', 'dev'], W)).Groups.map(
        (g: any) => g.GroupName,
      ),
      ['pullers'],
    );
    const pulled = await ok(pull(W.AccountId, 'team-app'), dev);
    assert.equal(pulled.images[0].imageId.imageDigest, digest);

    // The user cannot be deleted, nor the group, while the membership stands.
    await fails(['iam', 'delete-user', '--user-name', 'dev'], W, 'DeleteConflict');
    await fails(['iam', 'delete-group', '--group-name', 'pullers'], W, 'DeleteConflict');

    await ok(['iam', 'remove-user-from-group', '--group-name', 'pullers', '--user-name', 'dev'], W);
    await fails(pull(W.AccountId, 'team-app'), dev, 'AccessDeniedException');
    await fails(
      ['iam', 'remove-user-from-group', '--group-name', 'pullers', '--user-name', 'nobody'],
      W,
      'NoSuchEntity',
    );

    // Attached managed policies of a group count as well, and ListEntitiesForPolicy names the group.
    const readOnly = 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly';
    await ok(['iam', 'attach-group-policy', '--group-name', 'pullers', '--policy-arn', readOnly], W);
    await ok(['iam', 'add-user-to-group', '--group-name', 'pullers', '--user-name', 'dev'], W);
    await ok(pull(W.AccountId, 'team-app'), dev);
    const entities = await ok(['iam', 'list-entities-for-policy', '--policy-arn', readOnly], W);
    assert.deepEqual(
      entities.PolicyGroups.map((g: any) => g.GroupName),
      ['pullers'],
    );
    await ok(['iam', 'detach-group-policy', '--group-name', 'pullers', '--policy-arn', readOnly], W);
    await ok(['iam', 'delete-group-policy', '--group-name', 'pullers', '--policy-name', 'pull-team-app'], W);
    await fails(pull(W.AccountId, 'team-app'), dev, 'AccessDeniedException');
  });
});

describe('service control policies with the AWS CLI', skip, () => {
  test('an SCP deny on an OU blocks a member role IAM allows; the management account is unaffected; FullAWSAccess detached leaves implicit deny', async () => {
    await imageIn(W, 'prod-app');
    await imageIn(M, 'mgmt-app');
    // An operator of the management account acts in W through OrganizationAccountAccessRole
    // (AdministratorAccess); roots may not assume roles, so a user of M does.
    await ok(['iam', 'create-user', '--user-name', 'ops'], M);
    await ok(
      [
        'iam',
        'put-user-policy',
        '--user-name',
        'ops',
        '--policy-name',
        'assume',
        '--policy-document',
        doc({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }),
      ],
      M,
    );
    const opsKey = (await ok(['iam', 'create-access-key', '--user-name', 'ops'], M)).AccessKey;
    const ops = { AWS_ACCESS_KEY_ID: opsKey.AccessKeyId, AWS_SECRET_ACCESS_KEY: opsKey.SecretAccessKey };
    const session = (
      await ok(
        [
          'sts',
          'assume-role',
          '--role-arn',
          `arn:aws:iam::${W.AccountId}:role/OrganizationAccountAccessRole`,
          '--role-session-name',
          'ops',
        ],
        ops,
      )
    ).Credentials;
    const admin = {
      AWS_ACCESS_KEY_ID: session.AccessKeyId,
      AWS_SECRET_ACCESS_KEY: session.SecretAccessKey,
      AWS_SESSION_TOKEN: session.SessionToken,
    };
    await ok(pull(W.AccountId, 'prod-app'), admin);

    // Only the management account manages the organization.
    await fails(['organizations', 'list-roots'], W, 'AccessDeniedException');

    const root = (await ok(['organizations', 'list-roots'], M)).Roots[0];
    assert.deepEqual(root.PolicyTypes, []);
    const enabled = await ok(
      [
        'organizations',
        'enable-policy-type',
        '--root-id',
        root.Id,
        '--policy-type',
        'SERVICE_CONTROL_POLICY',
      ],
      M,
    );
    assert.deepEqual(enabled.Root.PolicyTypes, [{ Type: 'SERVICE_CONTROL_POLICY', Status: 'ENABLED' }]);
    const ou = (
      await ok(
        ['organizations', 'create-organizational-unit', '--parent-id', root.Id, '--name', 'Production'],
        M,
      )
    ).OrganizationalUnit;
    for (const account of [W.AccountId, M.AccountId]) {
      await ok(
        [
          'organizations',
          'move-account',
          '--account-id',
          account,
          '--source-parent-id',
          root.Id,
          '--destination-parent-id',
          ou.Id,
        ],
        M,
      );
    }
    assert.deepEqual((await ok(['organizations', 'list-parents', '--child-id', W.AccountId], M)).Parents, [
      { Id: ou.Id, Type: 'ORGANIZATIONAL_UNIT' },
    ]);
    const forOu = await ok(
      [
        'organizations',
        'list-policies-for-target',
        '--target-id',
        ou.Id,
        '--filter',
        'SERVICE_CONTROL_POLICY',
      ],
      M,
    );
    assert.deepEqual(
      forOu.Policies.map((p: any) => [p.Id, p.AwsManaged]),
      [['p-FullAWSAccess', true]],
    );
    await ok(pull(W.AccountId, 'prod-app'), admin);

    const created = await ok(
      [
        'organizations',
        'create-policy',
        '--name',
        'deny-ecr-pull',
        '--description',
        'no image pulls in production',
        '--type',
        'SERVICE_CONTROL_POLICY',
        '--content',
        doc({ Effect: 'Deny', Action: 'ecr:BatchGetImage', Resource: '*' }),
      ],
      M,
    );
    const denyId = created.Policy.PolicySummary.Id;
    await ok(['organizations', 'attach-policy', '--policy-id', denyId, '--target-id', ou.Id], M);
    const targets = await ok(['organizations', 'list-targets-for-policy', '--policy-id', denyId], M);
    assert.deepEqual(
      targets.Targets.map((x: any) => [x.TargetId, x.Type, x.Name]),
      [[ou.Id, 'ORGANIZATIONAL_UNIT', 'Production']],
    );

    const denied = await fails(pull(W.AccountId, 'prod-app'), admin, 'AccessDeniedException');
    assert.match(denied, /with an explicit deny in a service control policy/);
    // The role's identity policy still allows it: IAM alone would let the pull through.
    await ok(['ecr', 'describe-images', '--repository-name', 'prod-app'], admin);
    // The management account sits in the same OU and is not bound by SCPs.
    await ok(pull(M.AccountId, 'mgmt-app'), M);

    // A target keeps at least one SCP; with the deny still attached, FullAWSAccess may go.
    await fails(
      ['organizations', 'detach-policy', '--policy-id', denyId, '--target-id', W.AccountId],
      M,
      'PolicyNotAttachedException',
    );
    await fails(
      ['organizations', 'detach-policy', '--policy-id', 'p-FullAWSAccess', '--target-id', W.AccountId],
      M,
      'ConstraintViolationException',
    );
    await ok(['organizations', 'detach-policy', '--policy-id', 'p-FullAWSAccess', '--target-id', ou.Id], M);
    const implicit = await fails(
      ['ecr', 'describe-images', '--repository-name', 'prod-app'],
      admin,
      'AccessDeniedException',
    );
    assert.match(implicit, /because no service control policy allows the ecr:DescribeImages action/);
    await ok(pull(M.AccountId, 'mgmt-app'), M);

    // A policy in use cannot be deleted; disabling SCPs detaches them all and lifts them.
    await fails(['organizations', 'delete-policy', '--policy-id', denyId], M, 'PolicyInUseException');
    await ok(
      [
        'organizations',
        'disable-policy-type',
        '--root-id',
        root.Id,
        '--policy-type',
        'SERVICE_CONTROL_POLICY',
      ],
      M,
    );
    await ok(pull(W.AccountId, 'prod-app'), admin);
    await ok(['organizations', 'delete-policy', '--policy-id', denyId], M);
  });
});
