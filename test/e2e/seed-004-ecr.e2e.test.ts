// Seed 004 end to end ("Cross account Amazon ECR images", the resource-based policy approach):
// the CI account A's `my-ecr-repository` with each of the post's three `RepositoryPolicyText`s,
// the YAML written as the JSON CloudFormation hands ECR, set with `aws ecr set-repository-policy`
// (crossdock has no CloudFormation): the production account B's `ecs-task-role`, the Lambda
// service, and B's root. B's ECS tasks get their role's credentials from `crossdock
// instance-profile --ecs` (AWS_CONTAINER_CREDENTIALS_FULL_URI) and pull with
// `aws ecr get-login-password | skopeo login` and skopeo. Then the denials the post implies: a
// role the policy does not name (and one that does not exist yet), a push with the pull-only
// grant, the Lambda policy granting no role, a third account, and an explicit Deny.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startInstanceProfile, type RunningInstanceProfile } from '../../src/cli/instanceProfile.js';
import { keyEnv } from '../helpers/awscli.js';
import { makeOciLayout, type OciLayout } from '../helpers/image.js';
import {
  deniedSentence,
  layoutDigest,
  listedTags,
  SeedShell,
  seedClientsMissing,
} from '../helpers/seedShell.js';
import { startServer, type TestServer } from '../helpers/server.js';

const skip = seedClientsMissing !== undefined ? { skip: seedClientsMissing } : {};

const A = '111111111111';
const B = '222222222222';
const C = '333333333333';
const REPO = `arn:aws:ecr:us-east-1:${A}:repository/my-ecr-repository`;
const POWER_USER = 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPowerUser';
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A task's session of a role of B, as crossdock's ECS endpoint names it. */
const taskSession = (role: string) => `arn:aws:sts::${B}:assumed-role/${role}/[0-9a-f]{32}`;
/** The AccessDenied sentence for `who` (a regular expression) on the repository. */
const deniedRe = (who: string, action: string, why: Parameters<typeof deniedSentence>[3]) =>
  new RegExp(escape(deniedSentence('WHO', action, REPO, why)).replace('WHO', who));

const PULL = ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'];
const policy = (statements: object[]) =>
  JSON.stringify({ Version: '2012-10-17', Statement: statements }, null, 2);
/** "ECS resource-based policy". */
const ECS_POLICY = (role = 'ecs-task-role') =>
  policy([
    { Sid: 'AllowPull', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${B}:role/${role}` }, Action: PULL },
  ]);
/** "Lambda function resource-based policy". */
const LAMBDA_POLICY = policy([
  {
    Sid: 'AllowPull',
    Effect: 'Allow',
    Principal: { Service: 'lambda.amazonaws.com' },
    Action: [...PULL, 'ecr:GetRepositoryPolicy', 'ecr:SetRepositoryPolicy'],
  },
]);
/** "Root account resource-based policy". */
const ROOT_STATEMENT = {
  Sid: 'AllowPull',
  Effect: 'Allow',
  Principal: { AWS: `arn:aws:iam::${B}:root` },
  Action: PULL,
};
/** The root policy plus a Deny for one role of B. */
const ROOT_WITH_DENY = policy([
  ROOT_STATEMENT,
  {
    Sid: 'NotTheBatchJobs',
    Effect: 'Deny',
    Principal: { AWS: `arn:aws:iam::${B}:role/batch-task-role` },
    Action: 'ecr:BatchGetImage',
  },
]);
const TRUST_ECS = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' },
  ],
});

let t: TestServer;
let sh: SeedShell;
let image: OciLayout;
let build2: OciLayout;
const tasks: RunningInstanceProfile[] = [];
const env: Record<'A' | 'B' | 'C' | 'task' | 'batch', Record<string, string>> = {} as never;

const setPolicy = (file: string, note?: string) =>
  sh.ok(
    `aws ecr set-repository-policy --repository-name my-ecr-repository --policy-text file://${file} --query repositoryName --output text`,
    env.A,
    note !== undefined ? { note } : {},
  );
/** A task (or anyone) logs in to A's registry and pulls `my-ecr-repository:v1`. */
const pullV1 = (who: Record<string, string>, dir: string, note?: string) =>
  sh.run(
    `aws ecr get-login-password | skopeo login --tls-verify=false --username AWS --password-stdin ${sh.registry}/${A}
skopeo copy --insecure-policy --src-tls-verify=false docker://${sh.registry}/${A}/my-ecr-repository:v1 oci:${sh.pulled(dir)}:v1`,
    who,
    note !== undefined ? { note } : {},
  );

before(async () => {
  if (seedClientsMissing !== undefined) return;
  t = await startServer();
  sh = await SeedShell.create(t.endpoint, 'seed-004');
  const [a, b, c] = await Promise.all([
    t.createAccount('cicd', A),
    t.createAccount('production', B),
    t.createAccount('stranger', C),
  ]);
  env.A = await sh.identity('a-root', keyEnv(a));
  env.B = await sh.identity('b-root', keyEnv(b));
  env.C = await sh.identity('c-root', keyEnv(c));
  [image, build2] = await Promise.all([
    makeOciLayout([{ 'main.js': 'console.log("v1")\n' }, { 'package.json': '{}\n' }], 'v1'),
    makeOciLayout([{ 'main.js': 'console.log("v2")\n' }], 'v2'),
  ]);
  await Promise.all([
    writeFile(join(sh.work, 'ecs.json'), ECS_POLICY()),
    writeFile(join(sh.work, 'ecs-typo.json'), ECS_POLICY('ecs-task-rol')),
    writeFile(join(sh.work, 'lambda.json'), LAMBDA_POLICY),
    writeFile(join(sh.work, 'root.json'), policy([ROOT_STATEMENT])),
    writeFile(join(sh.work, 'root-deny.json'), ROOT_WITH_DENY),
    writeFile(join(sh.work, 'trust-ecs.json'), TRUST_ECS),
  ]);
  await Promise.all([
    sh.ok(
      `aws ecr create-repository --repository-name my-ecr-repository --query repository.repositoryUri --output text
aws ecr get-login-password | skopeo login --tls-verify=false --username AWS --password-stdin ${sh.registry}/${A}
skopeo copy --insecure-policy --dest-tls-verify=false oci:${image.dir}:v1 docker://${sh.registry}/${A}/my-ecr-repository:v1`,
      env.A,
      { note: 'the CI account creates the repository and pushes a build' },
    ),
    // Production's task roles, with ECR rights of their own: only A's policy limits them.
    ...['ecs-task-role', 'batch-task-role'].map((role) =>
      sh.ok(
        `aws iam create-role --role-name ${role} --assume-role-policy-document file://trust-ecs.json --query Role.Arn --output text
aws iam attach-role-policy --role-name ${role} --policy-arn ${POWER_USER}`,
        env.B,
        { note: `the production account's ${role}, trusted by ECS tasks` },
      ),
    ),
  ]);
  for (const [who, role] of [
    ['task', 'ecs-task-role'],
    ['batch', 'batch-task-role'],
  ] as const) {
    const task = await startInstanceProfile(
      {
        endpoint: t.endpoint,
        roleArn: `arn:aws:iam::${B}:role/${role}`,
        port: 0,
        host: '127.0.0.1',
        ecs: true,
      },
      {
        credentials: { accessKeyId: b.AccessKeyId, secretAccessKey: b.SecretAccessKey },
        region: 'us-east-1',
      },
    );
    tasks.push(task);
    env[who] = await sh.identity(who, { AWS_CONTAINER_CREDENTIALS_FULL_URI: task.url });
  }
});

after(async () => {
  for (const task of tasks) await task.server.close();
  await t?.stop();
  if (sh !== undefined) await rm(sh.work, { recursive: true, force: true });
  for (const l of [image, build2]) if (l !== undefined) await rm(l.dir, { recursive: true, force: true });
});

describe(
  "seed 004: production's ECS task pulls the CI account's image through the repository policy",
  skip,
  () => {
    test('a policy naming a role that does not exist is refused, as CloudFormation would report it', async () => {
      const r = await sh.run(
        `aws ecr set-repository-policy --repository-name my-ecr-repository --policy-text file://ecs-typo.json`,
        env.A,
        { note: 'a typo in the role name' },
      );
      assert.notEqual(r.code, 0);
      assert.ok(
        r.stderr.includes(
          "An error occurred (InvalidParameterException) when calling the SetRepositoryPolicy operation: Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'",
        ),
        r.stderr,
      );
    });

    test('with the ECS policy, the task of ecs-task-role pulls v1 and the digest round-trips', async () => {
      await setPolicy('ecs.json', 'the ECS resource-based policy');
      const r = await pullV1(env.task, 'task', 'an ECS task with ecs-task-role pulls');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await layoutDigest(sh.pulled('task'), 'v1'), image.manifestDigest);
    });

    test('the pull-only grant refuses a push by the same task, and nothing is pushed', async () => {
      const r = await sh.run(
        `aws ecr get-login-password | skopeo login --tls-verify=false --username AWS --password-stdin ${sh.registry}/${A}
skopeo copy --insecure-policy --dest-tls-verify=false oci:${build2.dir}:v2 docker://${sh.registry}/${A}/my-ecr-repository:v2`,
        env.task,
        { note: 'the task tries to push' },
      );
      assert.notEqual(r.code, 0);
      assert.match(
        r.stderr,
        deniedRe(taskSession('ecs-task-role'), 'ecr:InitiateLayerUpload', 'no-resource'),
      );
      assert.deepEqual(
        listedTags(await sh.ok(`aws ecr list-images --repository-name my-ecr-repository`, env.A)),
        ['v1'],
      );
    });

    test('another role of production, not named in the policy, is denied', async () => {
      const r = await pullV1(env.batch, 'batch', 'an ECS task with batch-task-role pulls');
      assert.notEqual(r.code, 0);
      assert.match(r.stdout, /Login Succeeded/);
      assert.match(r.stderr, deniedRe(taskSession('batch-task-role'), 'ecr:BatchGetImage', 'no-resource'));
    });

    test('the Lambda policy names only the service: it reads back as set, and grants the ECS task nothing', async () => {
      await setPolicy('lambda.json', 'the Lambda resource-based policy');
      const text = await sh.ok(
        `aws ecr get-repository-policy --repository-name my-ecr-repository --query policyText --output text`,
        env.A,
      );
      assert.deepEqual(JSON.parse(text), JSON.parse(LAMBDA_POLICY));
      const r = await pullV1(env.task, 'task-lambda');
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, deniedRe(taskSession('ecs-task-role'), 'ecr:BatchGetImage', 'no-resource'));
    });

    test("with the root policy every role of production pulls, and a third account's root is still denied", async () => {
      await setPolicy('root.json', 'the root account resource-based policy');
      const [task, batch, stranger] = await Promise.all([
        pullV1(env.task, 'task-root', 'ecs-task-role pulls'),
        pullV1(env.batch, 'batch-root', 'batch-task-role pulls'),
        pullV1(env.C, 'stranger', "a third account's root pulls"),
      ]);
      assert.equal(task.code, 0, task.stderr);
      assert.equal(batch.code, 0, batch.stderr);
      assert.equal(await layoutDigest(sh.pulled('batch-root'), 'v1'), image.manifestDigest);
      assert.notEqual(stranger.code, 0);
      assert.ok(
        stranger.stderr.includes(
          `denied: ${deniedSentence(`arn:aws:iam::${C}:root`, 'ecr:BatchGetImage', REPO, 'no-resource')}`,
        ),
        stranger.stderr,
      );
    });

    test('an explicit Deny for one role wins over the root grant; the other role still pulls', async () => {
      await setPolicy('root-deny.json', 'the root policy with a Deny for batch-task-role');
      const [batch, task] = await Promise.all([
        pullV1(env.batch, 'batch-deny', 'batch-task-role pulls'),
        pullV1(env.task, 'task-deny', 'ecs-task-role pulls'),
      ]);
      assert.notEqual(batch.code, 0);
      assert.match(
        batch.stderr,
        deniedRe(taskSession('batch-task-role'), 'ecr:BatchGetImage', 'explicit-resource'),
      );
      assert.equal(task.code, 0, task.stderr);
      assert.equal(await layoutDigest(sh.pulled('task-deny'), 'v1'), image.manifestDigest);
    });

    test('ecs-task-role deleted and created again (a stack replacement) is not the role the policy named', async () => {
      await setPolicy('ecs.json', 'the ECS policy again, naming ecs-task-role');
      const oldId = await sh.ok(
        `aws iam get-role --role-name ecs-task-role --query Role.RoleId --output text`,
        env.B,
      );
      await sh.ok(
        `aws iam detach-role-policy --role-name ecs-task-role --policy-arn ${POWER_USER}
aws iam delete-role --role-name ecs-task-role
aws iam create-role --role-name ecs-task-role --assume-role-policy-document file://trust-ecs.json --query Role.RoleId --output text
aws iam attach-role-policy --role-name ecs-task-role --policy-arn ${POWER_USER}`,
        env.B,
        { note: 'production replaces ecs-task-role' },
      );
      const task = await startInstanceProfile(
        {
          endpoint: t.endpoint,
          roleArn: `arn:aws:iam::${B}:role/ecs-task-role`,
          port: 0,
          host: '127.0.0.1',
          ecs: true,
        },
        {
          credentials: {
            accessKeyId: env.B.AWS_ACCESS_KEY_ID!,
            secretAccessKey: env.B.AWS_SECRET_ACCESS_KEY!,
          },
          region: 'us-east-1',
        },
      );
      tasks.push(task);
      const r = await pullV1(
        await sh.identity('task2', { AWS_CONTAINER_CREDENTIALS_FULL_URI: task.url }),
        'task2',
      );
      assert.notEqual(r.code, 0, 'the new ecs-task-role pulled through a grant to the old one');
      assert.match(r.stderr, deniedRe(taskSession('ecs-task-role'), 'ecr:BatchGetImage', 'no-resource'));
      const shown = await sh.ok(
        `aws ecr get-repository-policy --repository-name my-ecr-repository --query policyText --output text`,
        env.A,
        { note: 'the policy names the replaced role by its old unique id, as AWS shows it' },
      );
      assert.ok(shown.includes(`"${oldId.trim()}"`), shown);
      assert.ok(!shown.includes(`arn:aws:iam::${B}:role/ecs-task-role"`), shown);
      await setPolicy('ecs.json', 'the ECS policy saved again binds the new ecs-task-role');
      const again = await pullV1(
        await sh.identity('task3', { AWS_CONTAINER_CREDENTIALS_FULL_URI: task.url }),
        'task3',
      );
      assert.equal(again.code, 0, again.stderr);
    });
  },
);
