// Seed 000's registry part ("Setup Cross-Account Access to ECR", identity policy on a role): on
// an EC2 instance of account B (its role's credentials served by `crossdock instance-profile`'s
// IMDSv2 endpoint), the tutorial's `export $(printf ... $(aws sts assume-role ...))` line pasted
// unmodified, then its `aws ecr list-images --repository-name ...`, and a push and pull of A's
// repositories with `aws ecr get-login-password | skopeo login` and skopeo (no repository policy:
// the role's identity policy reaches every repository of A). seeds-iam-sts.e2e.test.ts covers the
// STS part. Then the denials the seed implies: the instance role without the assumption, a
// repository of a third account, a role with read-only rights, and an explicit Deny on the role.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startInstanceProfile, type RunningInstanceProfile } from '../../src/cli/instanceProfile.js';
import { keyEnv } from '../helpers/awscli.js';
import { makeOciLayout, type OciLayout } from '../helpers/image.js';
import {
  cliDenied,
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
const ROLE = `arn:aws:iam::${A}:role/RoleForCrossAccountEcrUser`;
const READER = `arn:aws:iam::${A}:role/RoleForCrossAccountEcrReader`;
const SESSION = `arn:aws:sts::${A}:assumed-role/RoleForCrossAccountEcrUser/ConsumingCrossAccountECR`;
const repoArn = (account: string, name: string) => `arn:aws:ecr:us-east-1:${account}:repository/${name}`;
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const trustB = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${B}:root` }, Action: 'sts:AssumeRole' }],
});
const trustEc2 = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});
const assumeBoth = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: [ROLE, READER] }],
});
const denyPushToApp = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'NoPushToApp',
      Effect: 'Deny',
      Action: ['ecr:PutImage', 'ecr:InitiateLayerUpload'],
      Resource: repoArn(A, 'app'),
    },
  ],
});

let t: TestServer;
let sh: SeedShell;
let image: OciLayout;
let image2: OciLayout;
let instance: RunningInstanceProfile | undefined;
const env: Record<'A' | 'B' | 'C' | 'ec2', Record<string, string>> = {} as never;

/** The tutorial's step 2.2, with the ARN of `role` pasted in. */
const assumeLine = (role: string) =>
  `export $(printf "AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s AWS_SESSION_TOKEN=%s" $(aws sts assume-role --role-arn "${role}" --role-session-name "ConsumingCrossAccountECR" --query "Credentials.[AccessKeyId,SecretAccessKey,SessionToken]" --output text))`;
const login = () =>
  `aws ecr get-login-password | skopeo login --tls-verify=false --username AWS --password-stdin ${sh.registry}/${A}`;

before(async () => {
  if (seedClientsMissing !== undefined) return;
  t = await startServer();
  sh = await SeedShell.create(t.endpoint, 'seed-000');
  const [a, b, c] = await Promise.all([
    t.createAccount('ecr-host-a', A),
    t.createAccount('ecr-user-b', B),
    t.createAccount('stranger', C),
  ]);
  env.A = await sh.identity('a-root', keyEnv(a));
  env.B = await sh.identity('b-root', keyEnv(b));
  env.C = await sh.identity('c-root', keyEnv(c));
  [image, image2] = await Promise.all([
    makeOciLayout([{ 'app.txt': 'app v1\n' }, { 'lib.txt': 'shared lib\n' }], 'v1'),
    makeOciLayout([{ 'app.txt': 'app v2\n' }], 'v2'),
  ]);
  await Promise.all([
    writeFile(join(sh.work, 'trust-b.json'), trustB),
    writeFile(join(sh.work, 'trust-ec2.json'), trustEc2),
    writeFile(join(sh.work, 'assume.json'), assumeBoth),
    writeFile(join(sh.work, 'deny-push.json'), denyPushToApp),
  ]);
  await Promise.all([
    // Account A, steps 1.1-1.3: the role B may assume, with ECR rights; and the repositories.
    sh.ok(
      `aws iam create-role --role-name RoleForCrossAccountEcrUser --assume-role-policy-document file://trust-b.json --query Role.Arn --output text
aws iam attach-role-policy --role-name RoleForCrossAccountEcrUser --policy-arn arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPowerUser`,
      env.A,
      { note: 'account A, steps 1.1-1.3: the role account B may assume, with ECR power-user rights' },
    ),
    sh.ok(
      `aws ecr create-repository --repository-name app --query repository.repositoryUri --output text
aws ecr create-repository --repository-name tools --query repository.repositoryUri --output text`,
      env.A,
      { note: 'account A: two repositories, no repository policy' },
    ),
    sh.ok(
      `aws iam create-role --role-name RoleForCrossAccountEcrReader --assume-role-policy-document file://trust-b.json --query Role.Arn --output text
aws iam attach-role-policy --role-name RoleForCrossAccountEcrReader --policy-arn arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly`,
      env.A,
    ),
    // Account B, step 2.1: the instance role, allowed to assume A's roles.
    sh.ok(
      `aws iam create-role --role-name RoleToUseCrossAccountECR --assume-role-policy-document file://trust-ec2.json --query Role.Arn --output text
aws iam put-role-policy --role-name RoleToUseCrossAccountECR --policy-name AssumeCrossAccountEcr --policy-document file://assume.json`,
      env.B,
      { note: "account B, step 2.1: the instance role may assume A's roles" },
    ),
    sh.ok(
      `aws ecr create-repository --repository-name c-images --query repository.repositoryUri --output text`,
      env.C,
    ),
  ]);
  instance = await startInstanceProfile(
    {
      endpoint: t.endpoint,
      roleArn: `arn:aws:iam::${B}:role/RoleToUseCrossAccountECR`,
      port: 0,
      host: '127.0.0.1',
      ecs: false,
    },
    { credentials: { accessKeyId: b.AccessKeyId, secretAccessKey: b.SecretAccessKey }, region: 'us-east-1' },
  );
  env.ec2 = await sh.identity('ec2', { AWS_EC2_METADATA_SERVICE_ENDPOINT: instance.url });
});

after(async () => {
  await instance?.server.close();
  await t?.stop();
  if (sh !== undefined) await rm(sh.work, { recursive: true, force: true });
  for (const l of [image, image2]) if (l !== undefined) await rm(l.dir, { recursive: true, force: true });
});

describe(
  "seed 000: from B's EC2 instance, RoleForCrossAccountEcrUser reaches every repository of A",
  skip,
  () => {
    test('the tutorial line assumes the role; list-images shows what the session pushed; pulls round-trip', async () => {
      const out = await sh.ok(
        `${assumeLine(ROLE)}
${login()}
skopeo copy --insecure-policy --dest-tls-verify=false oci:${image.dir}:v1 docker://${sh.registry}/${A}/app:v1
skopeo copy --insecure-policy --dest-tls-verify=false oci:${image.dir}:v1 docker://${sh.registry}/${A}/tools:v1
aws ecr list-images --repository-name app
skopeo copy --insecure-policy --src-tls-verify=false docker://${sh.registry}/${A}/tools:v1 oci:${sh.pulled('tools')}:v1`,
        env.ec2,
        { note: 'on the instance in B: step 2.2 (assume the role), then push and list (step 2.3), pull' },
      );
      const listing = out.slice(out.indexOf('{'), out.lastIndexOf('}') + 1);
      assert.deepEqual(JSON.parse(listing), {
        imageIds: [{ imageDigest: image.manifestDigest, imageTag: 'v1' }],
      });
      assert.equal(await layoutDigest(sh.pulled('tools'), 'v1'), image.manifestDigest);
    });

    test("without assuming the role, the instance's own role can neither log in nor list A's images", async () => {
      const who = `arn:aws:sts::${B}:assumed-role/RoleToUseCrossAccountECR/i-[0-9a-f]{17}`;
      const noToken = await sh.run(`aws ecr get-login-password`, env.ec2, {
        note: "the instance's own role, not assumed into A",
      });
      assert.notEqual(noToken.code, 0);
      assert.match(
        noToken.stderr,
        new RegExp(
          escape(
            cliDenied(
              'GetAuthorizationToken',
              deniedSentence('WHO', 'ecr:GetAuthorizationToken', '*', 'no-identity'),
            ),
          ).replace('WHO', who),
        ),
      );
      const list = await sh.run(`aws ecr list-images --registry-id ${A} --repository-name app`, env.ec2);
      assert.notEqual(list.code, 0);
      assert.match(
        list.stderr,
        new RegExp(
          escape(
            cliDenied(
              'ListImages',
              deniedSentence('WHO', 'ecr:ListImages', repoArn(A, 'app'), 'no-identity'),
            ),
          ).replace('WHO', who),
        ),
      );
    });

    test("A's role does not reach a repository of account C: its PowerUser policy is no grant from C", async () => {
      const r = await sh.run(
        `${assumeLine(ROLE)}
aws ecr get-login-password | skopeo login --tls-verify=false --username AWS --password-stdin ${sh.registry}/${C}
skopeo copy --insecure-policy --dest-tls-verify=false oci:${image.dir}:v1 docker://${sh.registry}/${C}/c-images:v1`,
        env.ec2,
        { note: 'the assumed role pushes to a repository of account C' },
      );
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /403 \(Forbidden\)|denied/);
      const api = await sh.run(
        `${assumeLine(ROLE)}
aws ecr describe-images --registry-id ${C} --repository-name c-images`,
        env.ec2,
      );
      assert.notEqual(api.code, 0);
      assert.ok(
        api.stderr.includes(
          cliDenied(
            'DescribeImages',
            deniedSentence(SESSION, 'ecr:DescribeImages', repoArn(C, 'c-images'), 'no-resource'),
          ),
        ),
        api.stderr,
      );
      assert.deepEqual(listedTags(await sh.ok(`aws ecr list-images --repository-name c-images`, env.C)), []);
    });

    test('a role with the read-only managed policy pulls but cannot push, and nothing is pushed', async () => {
      const reader = `arn:aws:sts::${A}:assumed-role/RoleForCrossAccountEcrReader/ConsumingCrossAccountECR`;
      const r = await sh.run(
        `${assumeLine(READER)}
${login()}
skopeo copy --insecure-policy --src-tls-verify=false docker://${sh.registry}/${A}/app:v1 oci:${sh.pulled('reader')}:v1
skopeo copy --insecure-policy --dest-tls-verify=false oci:${image2.dir}:v2 docker://${sh.registry}/${A}/app:v2`,
        env.ec2,
        { note: 'a role of A with AmazonEC2ContainerRegistryReadOnly: pull, then push' },
      );
      assert.notEqual(r.code, 0);
      assert.equal(await layoutDigest(sh.pulled('reader'), 'v1'), image.manifestDigest);
      assert.ok(
        r.stderr.includes(
          `denied: ${deniedSentence(reader, 'ecr:InitiateLayerUpload', repoArn(A, 'app'), 'no-identity')}`,
        ),
        r.stderr,
      );
      assert.deepEqual(listedTags(await sh.ok(`aws ecr list-images --repository-name app`, env.A)), ['v1']);
    });

    test('an explicit Deny on the role wins over its PowerUser policy: app refuses the push, tools still takes it', async () => {
      await sh.ok(
        `aws iam put-role-policy --role-name RoleForCrossAccountEcrUser --policy-name NoPushToApp --policy-document file://deny-push.json`,
        env.A,
        { note: 'account A denies pushes to app for the role' },
      );
      const r = await sh.run(
        `${assumeLine(ROLE)}
${login()}
skopeo copy --insecure-policy --dest-tls-verify=false oci:${image2.dir}:v2 docker://${sh.registry}/${A}/tools:v2
skopeo copy --insecure-policy --dest-tls-verify=false oci:${image2.dir}:v2 docker://${sh.registry}/${A}/app:v2`,
        env.ec2,
      );
      assert.notEqual(r.code, 0);
      assert.ok(
        r.stderr.includes(
          `denied: ${deniedSentence(SESSION, 'ecr:InitiateLayerUpload', repoArn(A, 'app'), 'explicit-identity')}`,
        ),
        r.stderr,
      );
      const [app, tools] = await Promise.all([
        sh.ok(`aws ecr list-images --repository-name app`, env.A),
        sh.ok(`aws ecr list-images --repository-name tools`, env.A),
      ]);
      assert.deepEqual(listedTags(app), ['v1']);
      assert.deepEqual(listedTags(tools), ['v1', 'v2']);
    });
  },
);
