// Seeds 000 and 002 as the tutorials write them, with the real AWS CLI v2 against a started
// crossdock: the cross-account role in account A, the EC2 role in account B (its instance emulated
// by `crossdock instance-profile`'s IMDSv2 endpoint, so the CLI finds credentials as on EC2), and
// the tutorial's `export $(printf ... $(aws sts assume-role ...))` line pasted unmodified. Then the
// denials the seeds imply: no sts:AssumeRole permission, a third account, root, and a trust policy
// naming a role that does not exist.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startInstanceProfile, type RunningInstanceProfile } from '../../src/cli/instanceProfile.js';
import { awsCliMissing, aws, cliEnv, keyEnv, sh } from '../helpers/awscli.js';
import { startServer, type AccountCredentials, type TestServer } from '../helpers/server.js';

const skip = awsCliMissing !== undefined ? { skip: awsCliMissing } : {};

const trustAccount = (account: string) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${account}:root` },
        Action: 'sts:AssumeRole',
        Condition: {},
      },
    ],
  });
const trustEc2 = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});
const allowAssume = (roleArn: string) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: roleArn }],
  });
const POWER_USER = 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPowerUser';

let t: TestServer;
let A: AccountCredentials, B: AccountCredentials, C: AccountCredentials;
const instances: RunningInstanceProfile[] = [];

async function ok(args: string[], creds: AccountCredentials | Record<string, string>): Promise<string> {
  const env = cliEnv(t.endpoint, 'AccessKeyId' in creds ? keyEnv(creds as AccountCredentials) : creds);
  const r = await aws(args, env);
  assert.equal(r.code, 0, `aws ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** An EC2 instance in account B running with `roleArn`: the IMDSv2 endpoint `crossdock instance-profile` serves. */
async function instance(owner: AccountCredentials, roleArn: string): Promise<Record<string, string>> {
  const running = await startInstanceProfile(
    { endpoint: t.endpoint, roleArn, port: 0, host: '127.0.0.1', ecs: false },
    {
      credentials: { accessKeyId: owner.AccessKeyId, secretAccessKey: owner.SecretAccessKey },
      region: 'us-east-1',
    },
  );
  instances.push(running);
  return { AWS_EC2_METADATA_SERVICE_ENDPOINT: running.url };
}

before(async () => {
  if (awsCliMissing !== undefined) return;
  t = await startServer();
  [A, B, C] = await Promise.all([
    t.createAccount('seed-a'),
    t.createAccount('seed-b'),
    t.createAccount('seed-c'),
  ]);
});
after(async () => {
  for (const i of instances) await i.server.close();
  await t?.stop();
});

describe('seed 000: RoleForCrossAccountEcrUser in A, assumed from an EC2 instance in B', skip, () => {
  let roleArn: string;
  before(async () => {
    if (awsCliMissing !== undefined) return;
    roleArn = await ok(
      [
        'iam',
        'create-role',
        '--role-name',
        'RoleForCrossAccountEcrUser',
        '--assume-role-policy-document',
        trustAccount(B.AccountId),
        '--query',
        'Role.Arn',
        '--output',
        'text',
      ],
      A,
    );
    await ok(
      ['iam', 'attach-role-policy', '--role-name', 'RoleForCrossAccountEcrUser', '--policy-arn', POWER_USER],
      A,
    );
    await ok(
      [
        'iam',
        'create-role',
        '--role-name',
        'RoleToUseCrossAccountECR',
        '--assume-role-policy-document',
        trustEc2,
      ],
      B,
    );
    await ok(
      [
        'iam',
        'put-role-policy',
        '--role-name',
        'RoleToUseCrossAccountECR',
        '--policy-name',
        'AssumeCrossAccountEcr',
        '--policy-document',
        allowAssume(roleArn),
      ],
      B,
    );
  });

  test('the role ARN is the one the tutorial pastes', () => {
    assert.equal(roleArn, `arn:aws:iam::${A.AccountId}:role/RoleForCrossAccountEcrUser`);
  });

  test('on the instance, the tutorial line assumes the role and the CLI then acts in account A', async () => {
    const env = cliEnv(
      t.endpoint,
      await instance(B, `arn:aws:iam::${B.AccountId}:role/RoleToUseCrossAccountECR`),
    );
    const r = await sh(
      `aws sts get-caller-identity --query Arn --output text
export $(printf "AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s AWS_SESSION_TOKEN=%s" $(aws sts assume-role --role-arn "${roleArn}" --role-session-name "ConsumingCrossAccountECR" --query "Credentials.[AccessKeyId,SecretAccessKey,SessionToken]" --output text))
aws sts get-caller-identity --query Arn --output text`,
      env,
    );
    assert.equal(r.code, 0, r.stderr);
    const [before, afterAssume] = r.stdout.split('\n');
    assert.match(
      before ?? '',
      new RegExp(`^arn:aws:sts::${B.AccountId}:assumed-role/RoleToUseCrossAccountECR/i-[0-9a-f]{17}$`),
    );
    assert.equal(
      afterAssume,
      `arn:aws:sts::${A.AccountId}:assumed-role/RoleForCrossAccountEcrUser/ConsumingCrossAccountECR`,
    );
  });

  test('the assumed session has PowerUser, not IAM: iam:CreateUser is denied', async () => {
    const creds = JSON.parse(
      await ok(
        [
          'sts',
          'assume-role',
          '--role-arn',
          roleArn,
          '--role-session-name',
          'audit',
          '--query',
          'Credentials',
        ],
        await instance(B, `arn:aws:iam::${B.AccountId}:role/RoleToUseCrossAccountECR`),
      ),
    ) as Record<string, string>;
    const r = await aws(
      ['iam', 'create-user', '--user-name', 'x'],
      cliEnv(t.endpoint, {
        AWS_ACCESS_KEY_ID: creds.AccessKeyId!,
        AWS_SECRET_ACCESS_KEY: creds.SecretAccessKey!,
        AWS_SESSION_TOKEN: creds.SessionToken!,
      }),
    );
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /AccessDenied/);
  });

  test('a user in B without sts:AssumeRole permission is denied although the trust names B', async () => {
    await ok(['iam', 'create-user', '--user-name', 'dev'], B);
    const key = JSON.parse(
      await ok(['iam', 'create-access-key', '--user-name', 'dev', '--query', 'AccessKey'], B),
    ) as Record<string, string>;
    const r = await aws(
      ['sts', 'assume-role', '--role-arn', roleArn, '--role-session-name', 'probe'],
      cliEnv(t.endpoint, {
        AWS_ACCESS_KEY_ID: key.AccessKeyId!,
        AWS_SECRET_ACCESS_KEY: key.SecretAccessKey!,
      }),
    );
    assert.notEqual(r.code, 0);
    assert.match(
      r.stderr,
      new RegExp(
        `AccessDenied.*arn:aws:iam::${B.AccountId}:user/dev is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
      ),
    );
  });

  test('an administrator of a third account C is denied: the trust policy names only B', async () => {
    await ok(['iam', 'create-user', '--user-name', 'admin'], C);
    await ok(
      [
        'iam',
        'attach-user-policy',
        '--user-name',
        'admin',
        '--policy-arn',
        'arn:aws:iam::aws:policy/AdministratorAccess',
      ],
      C,
    );
    const key = JSON.parse(
      await ok(['iam', 'create-access-key', '--user-name', 'admin', '--query', 'AccessKey'], C),
    ) as Record<string, string>;
    const r = await aws(
      ['sts', 'assume-role', '--role-arn', roleArn, '--role-session-name', 'probe'],
      cliEnv(t.endpoint, {
        AWS_ACCESS_KEY_ID: key.AccessKeyId!,
        AWS_SECRET_ACCESS_KEY: key.SecretAccessKey!,
      }),
    );
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /AccessDenied/);
  });

  test('the root user of B cannot assume roles', async () => {
    const r = await aws(
      ['sts', 'assume-role', '--role-arn', roleArn, '--role-session-name', 'probe'],
      cliEnv(t.endpoint, keyEnv(B)),
    );
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /AccessDenied.*Roles may not be assumed by root accounts/);
  });
});

describe('seed 002: ECS-AssumeRole-MIQDevOps trusted by B root, B instance role trusted by EC2', skip, () => {
  let roleArn: string;
  const bRole = () => `arn:aws:iam::${B.AccountId}:role/miq-instance-role`;
  before(async () => {
    if (awsCliMissing !== undefined) return;
    roleArn = await ok(
      [
        'iam',
        'create-role',
        '--role-name',
        'ECS-AssumeRole-MIQDevOps',
        '--assume-role-policy-document',
        trustEc2,
        '--query',
        'Role.Arn',
        '--output',
        'text',
      ],
      A,
    );
    await ok(
      ['iam', 'attach-role-policy', '--role-name', 'ECS-AssumeRole-MIQDevOps', '--policy-arn', POWER_USER],
      A,
    );
    // Step 2: edit the trust relationship to trust account B (with the console's empty Condition).
    await ok(
      [
        'iam',
        'update-assume-role-policy',
        '--role-name',
        'ECS-AssumeRole-MIQDevOps',
        '--policy-document',
        trustAccount(B.AccountId),
      ],
      A,
    );
    // Step 4: the instance role in B, its trust policy modified to the EC2 service.
    await ok(
      [
        'iam',
        'create-role',
        '--role-name',
        'miq-instance-role',
        '--assume-role-policy-document',
        trustAccount(B.AccountId),
      ],
      B,
    );
    await ok(
      ['iam', 'update-assume-role-policy', '--role-name', 'miq-instance-role', '--policy-document', trustEc2],
      B,
    );
  });

  test('the trust policy reads back as written, Condition {} included', async () => {
    const doc = JSON.parse(
      await ok(
        [
          'iam',
          'get-role',
          '--role-name',
          'ECS-AssumeRole-MIQDevOps',
          '--query',
          'Role.AssumeRolePolicyDocument',
        ],
        A,
      ),
    ) as { Statement: { Condition: unknown }[] };
    assert.deepEqual(doc.Statement[0]?.Condition, {});
  });

  test('the instance cannot assume the role until its own policy allows sts:AssumeRole', async () => {
    const env = cliEnv(t.endpoint, await instance(B, bRole()));
    const denied = await aws(
      ['sts', 'assume-role', '--role-arn', roleArn, '--role-session-name', 'deploy'],
      env,
    );
    assert.notEqual(denied.code, 0);
    assert.match(
      denied.stderr,
      /AccessDenied.*because no identity-based policy allows the sts:AssumeRole action/,
    );
    await ok(
      [
        'iam',
        'put-role-policy',
        '--role-name',
        'miq-instance-role',
        '--policy-name',
        'assume',
        '--policy-document',
        allowAssume(roleArn),
      ],
      B,
    );
    const arn = await ok(
      [
        'sts',
        'assume-role',
        '--role-arn',
        roleArn,
        '--role-session-name',
        'deploy',
        '--query',
        'AssumedRoleUser.Arn',
        '--output',
        'text',
      ],
      env,
    );
    assert.equal(arn, `arn:aws:sts::${A.AccountId}:assumed-role/ECS-AssumeRole-MIQDevOps/deploy`);
  });

  test('the EC2 role cannot be handed to an instance through a trust policy that does not name EC2', async () => {
    await assert.rejects(instance(B, `arn:aws:iam::${A.AccountId}:role/ECS-AssumeRole-MIQDevOps`));
  });

  test('a trust policy naming a role that does not exist is MalformedPolicyDocument', async () => {
    const doc = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${B.AccountId}:role/NoSuchRole` },
          Action: 'sts:AssumeRole',
        },
      ],
    });
    const r = await aws(
      [
        'iam',
        'update-assume-role-policy',
        '--role-name',
        'ECS-AssumeRole-MIQDevOps',
        '--policy-document',
        doc,
      ],
      cliEnv(t.endpoint, keyEnv(A)),
    );
    assert.notEqual(r.code, 0);
    assert.match(
      r.stderr,
      new RegExp(
        `MalformedPolicyDocument.*Invalid principal in policy: "AWS":"arn:aws:iam::${B.AccountId}:role/NoSuchRole"`,
      ),
    );
  });

  test('a user the trust policy names, deleted and created again, is not that principal any more', async () => {
    const userArn = `arn:aws:iam::${B.AccountId}:user/ops`;
    const roleArn = `arn:aws:iam::${A.AccountId}:role/OpsAccess`;
    await ok(['iam', 'create-user', '--user-name', 'ops'], B);
    await ok(
      [
        'iam',
        'put-user-policy',
        '--user-name',
        'ops',
        '--policy-name',
        'assume',
        '--policy-document',
        allowAssume(roleArn),
      ],
      B,
    );
    const doc = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: userArn }, Action: 'sts:AssumeRole' }],
    });
    await ok(['iam', 'create-role', '--role-name', 'OpsAccess', '--assume-role-policy-document', doc], A);
    const keysOf = async () =>
      JSON.parse(await ok(['iam', 'create-access-key', '--user-name', 'ops', '--query', 'AccessKey'], B)) as {
        AccessKeyId: string;
        SecretAccessKey: string;
      };
    const assume = async (k: { AccessKeyId: string; SecretAccessKey: string }) =>
      aws(
        ['sts', 'assume-role', '--role-arn', roleArn, '--role-session-name', 'ops'],
        cliEnv(t.endpoint, { AWS_ACCESS_KEY_ID: k.AccessKeyId, AWS_SECRET_ACCESS_KEY: k.SecretAccessKey }),
      );
    const first = await keysOf();
    assert.equal((await assume(first)).code, 0, 'the user the policy was written for assumes the role');
    const oldId = (
      await ok(['iam', 'get-user', '--user-name', 'ops', '--query', 'User.UserId', '--output', 'text'], B)
    ).trim();
    await ok(['iam', 'delete-access-key', '--user-name', 'ops', '--access-key-id', first.AccessKeyId], B);
    await ok(['iam', 'delete-user-policy', '--user-name', 'ops', '--policy-name', 'assume'], B);
    await ok(['iam', 'delete-user', '--user-name', 'ops'], B);
    await ok(['iam', 'create-user', '--user-name', 'ops'], B);
    await ok(
      [
        'iam',
        'put-user-policy',
        '--user-name',
        'ops',
        '--policy-name',
        'assume',
        '--policy-document',
        allowAssume(roleArn),
      ],
      B,
    );
    const r = await assume(await keysOf());
    assert.notEqual(r.code, 0, 'the new user of the same name assumed the role');
    assert.match(r.stderr, /AccessDenied.*no resource-based policy allows the sts:AssumeRole action/);
    const shown = JSON.parse(
      await ok(
        ['iam', 'get-role', '--role-name', 'OpsAccess', '--query', 'Role.AssumeRolePolicyDocument'],
        A,
      ),
    ) as { Statement: { Principal: { AWS: string } }[] };
    assert.equal(
      shown.Statement[0]!.Principal.AWS,
      oldId,
      'the trust policy shows the old user by its unique id',
    );
    await ok(['iam', 'update-assume-role-policy', '--role-name', 'OpsAccess', '--policy-document', doc], A);
    assert.equal((await assume(await keysOf())).code, 0, 'saved again, the policy names the new user');
  });
});
