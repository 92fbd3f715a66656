// Seed 002's registry part ("How to access AWS container registry service from another AWS
// account using IAM…"): the role ECS-AssumeRole-MIQDevOps in A (PowerUser, trusting B's root), the
// repository miqp-devops with the tutorial's generated policy pasted as is (Version 2008-10-17,
// Sid "new statement", principals B's root and A's role, eight actions), and an EC2 instance of B
// (its role trusted by ec2.amazonaws.com, served by `crossdock instance-profile`) pushing and
// pulling with `aws ecr get-login-password | skopeo login` and skopeo, through the role and then
// directly. seeds-iam-sts.e2e.test.ts covers the STS part. Then the denials the seed implies: the
// instance role without ECR rights in B, an action the policy leaves out, a third account, and an
// explicit Deny added to the repository policy.
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
const ROLE = `arn:aws:iam::${A}:role/ECS-AssumeRole-MIQDevOps`;
const REPO = `arn:aws:ecr:us-east-1:${A}:repository/miqp-devops`;
const POWER_USER = 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPowerUser';
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** The instance role's session, as crossdock's IMDS names it (`i-` + 17 hex digits). */
const INSTANCE_SESSION = `arn:aws:sts::${B}:assumed-role/miq-instance-role/i-[0-9a-f]{17}`;

/** Step 2's trust policy, `Condition: {}` included. */
const TRUST_B = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {
        "AWS": "arn:aws:iam::${B}:root"
      },
      "Action": "sts:AssumeRole",
      "Condition": {}
    }
  ]
}
`;
/** Step 4's trust policy of the instance role. */
const TRUST_EC2 = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {
        "Service": "ec2.amazonaws.com"
      },
      "Action": "sts:AssumeRole"
    }
  ]
}
`;
/** Step 3's statement, as the console generated it. */
const STATEMENT = {
  Sid: 'new statement',
  Effect: 'Allow',
  Principal: { AWS: [`arn:aws:iam::${B}:root`, ROLE] },
  Action: [
    'ecr:GetDownloadUrlForLayer',
    'ecr:BatchGetImage',
    'ecr:BatchCheckLayerAvailability',
    'ecr:PutImage',
    'ecr:InitiateLayerUpload',
    'ecr:UploadLayerPart',
    'ecr:CompleteLayerUpload',
    'ecr:ListImages',
  ],
};
const REPOSITORY_POLICY = JSON.stringify({ Version: '2008-10-17', Statement: [STATEMENT] }, null, 4);
/** The same policy with a statement denying account B any write. */
const WITH_DENY = JSON.stringify(
  {
    Version: '2008-10-17',
    Statement: [
      STATEMENT,
      {
        Sid: 'no direct pushes from B',
        Effect: 'Deny',
        Principal: { AWS: `arn:aws:iam::${B}:root` },
        Action: ['ecr:PutImage', 'ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload'],
      },
    ],
  },
  null,
  4,
);

let t: TestServer;
let sh: SeedShell;
let v1: OciLayout;
let v2: OciLayout;
let instance: RunningInstanceProfile | undefined;
const env: Record<'A' | 'B' | 'C' | 'ec2', Record<string, string>> = {} as never;

const assumeLine = `export $(printf "AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s AWS_SESSION_TOKEN=%s" $(aws sts assume-role --role-arn "${ROLE}" --role-session-name "miq-deploy" --query "Credentials.[AccessKeyId,SecretAccessKey,SessionToken]" --output text))`;
const login = () =>
  `aws ecr get-login-password | skopeo login --tls-verify=false --username AWS --password-stdin ${sh.registry}/${A}`;
const push = (layout: OciLayout, tag: string) =>
  `skopeo copy --insecure-policy --dest-tls-verify=false oci:${layout.dir}:${layout.tag} docker://${sh.registry}/${A}/miqp-devops:${tag}`;
const pull = (tag: string, dir: string) =>
  `skopeo copy --insecure-policy --src-tls-verify=false docker://${sh.registry}/${A}/miqp-devops:${tag} oci:${sh.pulled(dir)}:${tag}`;
const tagsInA = async () =>
  listedTags(await sh.ok(`aws ecr list-images --repository-name miqp-devops`, env.A));

before(async () => {
  if (seedClientsMissing !== undefined) return;
  t = await startServer();
  sh = await SeedShell.create(t.endpoint, 'seed-002');
  const [a, b, c] = await Promise.all([
    t.createAccount('miq-images-a', A),
    t.createAccount('miq-compute-b', B),
    t.createAccount('stranger', C),
  ]);
  env.A = await sh.identity('a-root', keyEnv(a));
  env.B = await sh.identity('b-root', keyEnv(b));
  env.C = await sh.identity('c-root', keyEnv(c));
  [v1, v2] = await Promise.all([
    makeOciLayout([{ 'service.txt': 'miq v1\n' }, { 'deps.txt': 'deps\n' }], 'v1'),
    makeOciLayout([{ 'service.txt': 'miq v2\n' }], 'v2'),
  ]);
  await Promise.all([
    writeFile(join(sh.work, 'trust-b.json'), TRUST_B),
    writeFile(join(sh.work, 'trust-ec2.json'), TRUST_EC2),
    writeFile(join(sh.work, 'repository-policy.json'), REPOSITORY_POLICY),
    writeFile(join(sh.work, 'with-deny.json'), WITH_DENY),
    writeFile(
      join(sh.work, 'assume.json'),
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: ROLE }],
      }),
    ),
  ]);
  await Promise.all([
    sh.ok(
      `aws iam create-role --role-name ECS-AssumeRole-MIQDevOps --assume-role-policy-document file://trust-b.json --query Role.Arn --output text
aws iam attach-role-policy --role-name ECS-AssumeRole-MIQDevOps --policy-arn ${POWER_USER}
aws ecr create-repository --repository-name miqp-devops --query repository.repositoryUri --output text
aws ecr set-repository-policy --repository-name miqp-devops --policy-text file://repository-policy.json --query repositoryName --output text`,
      env.A,
      {
        note: "account A, steps 1-3: the role with PowerUser trusting B's root, the repository and its policy",
      },
    ),
    // Step 4, and the permission to assume A's role that B's instance role needs on its side.
    sh.ok(
      `aws iam create-role --role-name miq-instance-role --assume-role-policy-document file://trust-ec2.json --query Role.Arn --output text
aws iam put-role-policy --role-name miq-instance-role --policy-name assume-miq-devops --policy-document file://assume.json`,
      env.B,
      { note: 'account B, step 4: the instance role, trusted by EC2, allowed to assume the role of A' },
    ),
  ]);
  instance = await startInstanceProfile(
    {
      endpoint: t.endpoint,
      roleArn: `arn:aws:iam::${B}:role/miq-instance-role`,
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
  for (const l of [v1, v2]) if (l !== undefined) await rm(l.dir, { recursive: true, force: true });
});

describe("seed 002: an EC2 instance of B pushes to and pulls from A's miqp-devops", skip, () => {
  test('the instance assumes ECS-AssumeRole-MIQDevOps, pushes v1, lists it and pulls it back', async () => {
    const out = await sh.ok(
      `${assumeLine}
${login()}
${push(v1, 'v1')}
aws ecr list-images --repository-name miqp-devops --query 'imageIds[].[imageTag,imageDigest]' --output text
${pull('v1', 'via-role')}`,
      env.ec2,
      { note: 'on the instance: assume the role of A, push, list, pull' },
    );
    assert.match(out, new RegExp(`^v1\\s+${escape(v1.manifestDigest)}$`, 'm'));
    assert.equal(await layoutDigest(sh.pulled('via-role'), 'v1'), v1.manifestDigest);
  });

  test('without ECR rights in B, the instance role cannot log in on its own', async () => {
    const r = await sh.run(`aws ecr get-login-password`, env.ec2, {
      note: 'the instance role itself, before B grants it ECR rights',
    });
    assert.notEqual(r.code, 0);
    assert.match(
      r.stderr,
      new RegExp(
        escape(
          cliDenied(
            'GetAuthorizationToken',
            deniedSentence('WHO', 'ecr:GetAuthorizationToken', '*', 'no-identity'),
          ),
        ).replace('WHO', INSTANCE_SESSION),
      ),
    );
  });

  test("with ECR rights in B, the policy's B-root principal lets the instance role push and pull directly; DescribeImages is not in the policy", async () => {
    await sh.ok(
      `aws iam attach-role-policy --role-name miq-instance-role --policy-arn ${POWER_USER}`,
      env.B,
      {
        note: 'account B gives its instance role ECR rights',
      },
    );
    const out = await sh.ok(
      `${login()}
${pull('v1', 'direct')}
${push(v2, 'v2')}
aws ecr list-images --registry-id ${A} --repository-name miqp-devops --query 'imageIds[].imageTag' --output text`,
      env.ec2,
      { note: 'the instance role, directly: pull, push, list' },
    );
    assert.equal(await layoutDigest(sh.pulled('direct'), 'v1'), v1.manifestDigest);
    assert.deepEqual(out.split('\n').pop()!.split(/\s+/).sort(), ['v1', 'v2']);
    const listed = JSON.parse(
      await sh.ok(`skopeo list-tags --tls-verify=false docker://${sh.registry}/${A}/miqp-devops`, env.ec2),
    ) as { Tags: string[] };
    assert.deepEqual(listed.Tags.sort(), ['v1', 'v2']);
    const described = await sh.run(
      `aws ecr describe-images --registry-id ${A} --repository-name miqp-devops`,
      env.ec2,
    );
    assert.notEqual(described.code, 0);
    assert.match(
      described.stderr,
      new RegExp(
        escape(
          cliDenied('DescribeImages', deniedSentence('WHO', 'ecr:DescribeImages', REPO, 'no-resource')),
        ).replace('WHO', INSTANCE_SESSION),
      ),
    );
  });

  test('the root user of a third account is denied pull and push, and nothing is pushed', async () => {
    const cRoot = `arn:aws:iam::${C}:root`;
    const r = await sh.run(
      `${login()}
${pull('v1', 'c')}`,
      env.C,
      { note: 'account C, which the policy does not name' },
    );
    assert.notEqual(r.code, 0);
    assert.ok(
      r.stderr.includes(`denied: ${deniedSentence(cRoot, 'ecr:BatchGetImage', REPO, 'no-resource')}`),
      r.stderr,
    );
    const p = await sh.run(push(v1, 'from-c'), env.C);
    assert.notEqual(p.code, 0);
    assert.match(p.stderr, /403 \(Forbidden\)|denied/);
    assert.deepEqual(await tagsInA(), ['v1', 'v2']);
  });

  test("an explicit Deny for B's root in the repository policy stops B's direct pushes, not its pulls nor the role of A", async () => {
    await sh.ok(
      `aws ecr set-repository-policy --repository-name miqp-devops --policy-text file://with-deny.json --query repositoryName --output text`,
      env.A,
      { note: "account A adds a Deny statement for account B's writes" },
    );
    const direct = await sh.run(
      `${login()}
${pull('v2', 'after-deny')}
${push(v1, 'v3')}`,
      env.ec2,
      { note: 'the instance role, directly' },
    );
    assert.notEqual(direct.code, 0);
    assert.equal(await layoutDigest(sh.pulled('after-deny'), 'v2'), v2.manifestDigest);
    // v1's layers are in the repository already (HEAD finds them), so the manifest PUT is the write.
    assert.match(
      direct.stderr,
      new RegExp(
        `denied: ${escape(deniedSentence('WHO', 'ecr:PutImage', REPO, 'explicit-resource')).replace('WHO', INSTANCE_SESSION)}`,
      ),
    );
    assert.deepEqual(await tagsInA(), ['v1', 'v2']);
    const viaRole = await sh.run(
      `${assumeLine}
${login()}
${push(v1, 'v3')}`,
      env.ec2,
      { note: 'the same instance through the role of A' },
    );
    assert.equal(viaRole.code, 0, viaRole.stderr);
    assert.deepEqual(await tagsInA(), ['v1', 'v2', 'v3']);
  });
});
