// `crossdock grant` and `crossdock verify` against a started crossdock: a consumer in account B
// that cannot pull A's image (seed 003's half-done setup: B's side granted, A's repository policy
// missing; seed 000's role not created yet) is shown failing by verify at the step AWS stops it,
// `grant --apply` writes the missing policies, and verify then passes every step. A second grant
// changes nothing, and a statement someone else wrote in the repository policy survives. Both
// commands run in-process with the SDK configurations injected (no profiles, no environment).
// Seeds 002 and 004 then run where their consumers run: an EC2 instance of B (seed 002, through
// `crossdock instance-profile`'s IMDS) and an ECS task of B (seed 004, its credential endpoint).
// There `crossdock verify` runs as a command in bash, and the seed's own lines (the real `aws` CLI
// and skopeo in place of docker) are denied before `grant --apply` and succeed after it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CreateRepositoryCommand,
  GetRepositoryPolicyCommand,
  SetRepositoryPolicyCommand,
} from '@aws-sdk/client-ecr';
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  GetRoleCommand,
  IAMClient,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { DescribeOrganizationCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { evaluate, PolicyCache, type RequestPrincipal } from '../../src/iam/index.js';
import { grantCommand, type GrantDeps } from '../../src/cli/grant.js';
import { startInstanceProfile, type RunningInstanceProfile } from '../../src/cli/instanceProfile.js';
import { verifyCommand, type VerifyDeps } from '../../src/cli/verify.js';
import type { AwsClientConfig } from '../../src/cli/aws.js';
import { keyEnv } from '../helpers/awscli.js';
import { ecrClient, makeImage, pushBlobV2, registryLogin, v2 } from '../helpers/ecr.js';
import { makeOciLayout, type OciLayout } from '../helpers/image.js';
import { deniedSentence, layoutDigest, SeedShell, seedClientsMissing } from '../helpers/seedShell.js';
import { startServer, type AccountCredentials, type TestServer } from '../helpers/server.js';

const REGION = 'us-east-1';
type Keys = { accessKeyId: string; secretAccessKey: string };

let t: TestServer;
let A: AccountCredentials;
let B: AccountCredentials;
let dev: Keys; // B's user, seed 003 style
let ops: Keys; // B's user, seed 000 style
const keys = (c: AccountCredentials): Keys => ({
  accessKeyId: c.AccessKeyId,
  secretAccessKey: c.SecretAccessKey,
});
const config = (credentials: Keys): AwsClientConfig => ({
  endpoint: t.endpoint,
  region: REGION,
  credentials: async () => credentials,
  maxAttempts: 1,
});
const repoArn = (name: string) => `arn:aws:ecr:${REGION}:${A.AccountId}:repository/${name}`;
const doc = (...Statement: object[]) => JSON.stringify({ Version: '2012-10-17', Statement });

/** Runs a command with injected configurations, capturing what it prints. */
async function run(
  cmd: 'grant' | 'verify',
  args: string[],
  as?: Keys,
): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const print = (l: string) => out.push(l);
  const printError = (l: string) => err.push(l);
  const code =
    cmd === 'grant'
      ? await grantCommand(args, {
          config: (side) => config(side === 'owner' ? keys(A) : keys(B)),
          print,
          printError,
        } satisfies GrantDeps)
      : await verifyCommand(args, {
          baseConfig: () => config(as as Keys),
          print,
          printError,
        } satisfies VerifyDeps);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

async function user(
  iam: IAMClient,
  name: string,
  policy?: string,
  tags: Record<string, string> = {},
): Promise<Keys> {
  const Tags = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
  await iam.send(new CreateUserCommand({ UserName: name, ...(Tags.length > 0 && { Tags }) }));
  if (policy !== undefined)
    await iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: 'team', PolicyDocument: policy }));
  const k = await iam.send(new CreateAccessKeyCommand({ UserName: name }));
  return { accessKeyId: k.AccessKey!.AccessKeyId!, secretAccessKey: k.AccessKey!.SecretAccessKey! };
}

/** A repository of A holding one image tagged v1, pushed by A through the registry. */
async function repositoryWithImage(name: string): Promise<void> {
  const ecrA = ecrClient(t.endpoint, A);
  await ecrA.send(new CreateRepositoryCommand({ repositoryName: name }));
  const { header } = await registryLogin(ecrA);
  const image = makeImage([512]);
  const path = `${A.AccountId}/${name}`;
  for (const b of [image.config, ...image.layers]) await pushBlobV2(t.endpoint, header, path, b);
  const put = await v2(t.endpoint, 'PUT', `/v2/${path}/manifests/v1`, {
    auth: header,
    headers: { 'Content-Type': image.mediaType },
    body: image.manifest,
  });
  assert.equal(put.status, 201, put.body.toString());
  ecrA.destroy();
}

before(async () => {
  t = await startServer({ region: REGION });
  [A, B] = await Promise.all([t.createAccount('grant-owner'), t.createAccount('grant-consumer')]);
  await Promise.all([repositoryWithImage('payments'), repositoryWithImage('shared')]);
  const iamB = new IAMClient(config(keys(B)));
  // Seed 003, step 2 done by B's admin: dev may log in and pull A's repository, as far as B is concerned.
  dev = await user(
    iamB,
    'dev',
    doc(
      { Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
      {
        Effect: 'Allow',
        Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'],
        Resource: repoArn('payments'),
      },
    ),
  );
  ops = await user(iamB, 'ops');
  iamB.destroy();
});

after(async () => {
  await t?.stop();
});

describe('grant then verify', () => {
  const devArn = () => `arn:aws:iam::${B.AccountId}:user/dev`;

  test('seed 003: without a repository policy verify stops at the manifest with 403 DENIED', async () => {
    // Someone else's statement in A's repository policy, which grant must keep.
    const ecrA = ecrClient(t.endpoint, A);
    await ecrA.send(
      new SetRepositoryPolicyCommand({
        repositoryName: 'payments',
        policyText: doc({
          Sid: 'KeepMe',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${B.AccountId}:root` },
          Action: 'ecr:DescribeRepositories',
        }),
      }),
    );
    ecrA.destroy();
    const r = await run('verify', ['--repository', repoArn('payments'), '--tag', 'v1', '--as', 'dev'], dev);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /✓ ecr:GetAuthorizationToken/);
    assert.match(r.out, /✓ registry login/);
    assert.match(r.out, /✗ manifest HEAD v1: 403 DENIED: .*ecr:BatchGetImage/);
  });

  test('grant without --apply shows the change and writes nothing', async () => {
    const r = await run('grant', ['--repository', repoArn('payments'), '--to', devArn(), '--pull']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /repository policy of `payments`.*: update \(\+crossdock-pull-\d+-user-dev\)/);
    assert.match(r.out, /dry run: 2 documents to change/);
    const again = await run(
      'verify',
      ['--repository', repoArn('payments'), '--tag', 'v1', '--as', 'dev'],
      dev,
    );
    assert.equal(again.code, 1);
  });

  test('grant --apply makes verify pass and keeps the foreign statement', async () => {
    const r = await run('grant', [
      '--repository',
      repoArn('payments'),
      '--to',
      devArn(),
      '--pull',
      '--apply',
    ]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /applied 2 changes/);
    const v = await run('verify', ['--repository', repoArn('payments'), '--tag', 'v1', '--as', 'dev'], dev);
    assert.equal(v.code, 0, v.out);
    assert.match(v.out, /✓ manifest HEAD v1: sha256:/);
    assert.match(v.out, /✓ blob HEAD sha256:/);
    const ecrA = ecrClient(t.endpoint, A);
    const policy = await ecrA.send(new GetRepositoryPolicyCommand({ repositoryName: 'payments' }));
    ecrA.destroy();
    const sids = (JSON.parse(policy.policyText!) as { Statement: { Sid: string }[] }).Statement.map(
      (s) => s.Sid,
    );
    assert.deepEqual(sids, ['KeepMe', `crossdock-pull-${B.AccountId}-user-dev`]);
  });

  test('a second grant --apply changes nothing', async () => {
    const r = await run('grant', [
      '--repository',
      repoArn('payments'),
      '--to',
      devArn(),
      '--pull',
      '--apply',
      '--json',
    ]);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as { applied: number; documents: { change: string }[] };
    assert.equal(j.applied, 0);
    assert.deepEqual(
      j.documents.map((d) => d.change),
      ['none', 'none'],
    );
  });

  test('verify --push fails at the upload until grant --push, then starts and cancels one', async () => {
    const args = ['--repository', repoArn('payments'), '--tag', 'v1', '--as', 'dev', '--push'];
    const before = await run('verify', args, dev);
    assert.equal(before.code, 1);
    assert.match(before.out, /✗ upload start.*403 DENIED/);
    const g = await run('grant', [
      '--repository',
      repoArn('payments'),
      '--to',
      devArn(),
      '--push',
      '--apply',
    ]);
    assert.equal(g.code, 0, g.err);
    const after = await run('verify', args, dev);
    assert.equal(after.code, 0, after.out);
    assert.match(after.out, /✓ upload cancel/);
  });

  test('seed 000: grant --via-role creates the role in A that B assumes, and verify passes through it', async () => {
    const role = `arn:aws:iam::${A.AccountId}:role/RoleForCrossAccountEcrUser`;
    const opsArn = `arn:aws:iam::${B.AccountId}:user/ops`;
    const args = ['--repository', repoArn('shared'), '--as', role];
    const denied = await run('verify', args, ops);
    assert.equal(denied.code, 1);
    assert.match(denied.out, /✗ sts:AssumeRole/);
    const grant = [
      '--repository',
      repoArn('shared'),
      '--to',
      opsArn,
      '--via-role',
      'RoleForCrossAccountEcrUser',
      '--apply',
    ];
    const g = await run('grant', grant);
    assert.equal(g.code, 0, g.err);
    assert.match(g.out, /trust policy of role `RoleForCrossAccountEcrUser`.*: create the role/);
    assert.match(g.out, /applied 3 changes/);
    // Without a tag verify must list images, which a least-privilege pull does not allow: it says so.
    const untagged = await run('verify', args, ops);
    assert.equal(untagged.code, 1);
    assert.match(untagged.out, /✗ find an image .*ecr:ListImages.*pass --tag/);
    // The image reference as a user pastes it (path-style URI with the tag) passes every step.
    const uri = `${new URL(t.endpoint).host}/${A.AccountId}/shared:v1`;
    const v = await run('verify', ['--repository', uri, '--as', role], ops);
    assert.equal(v.code, 0, v.out);
    assert.match(
      v.out,
      /✓ sts:GetCallerIdentity: arn:aws:sts::\d+:assumed-role\/RoleForCrossAccountEcrUser\//,
    );
    const again = await run('grant', grant);
    assert.match(again.out, /no change/);
  });

  test('usage errors exit 2', async () => {
    assert.equal((await run('grant', ['--to', devArn()])).code, 2);
    assert.equal((await run('verify', ['--as', 'dev'])).code, 2);
    // --as takes a profile or a role ARN: a user ARN is neither.
    assert.equal((await run('verify', ['--repository', repoArn('payments'), '--as', devArn()])).code, 2);
  });
});

describe('grant flags, proven on the server', () => {
  /** The identity side every consumer of B gets from B's admin: log in, pull `repo` of A. */
  const pullPolicy = (repo: string) =>
    doc(
      { Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
      {
        Effect: 'Allow',
        Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'],
        Resource: repoArn(repo),
      },
    );
  const verifyAs = (repo: string, who: Keys) =>
    run('verify', ['--repository', repoArn(repo), '--tag', 'v1'], who);
  const storedStatements = async (repo: string) => {
    const ecrA = ecrClient(t.endpoint, A);
    const out = await ecrA.send(new GetRepositoryPolicyCommand({ repositoryName: repo }));
    ecrA.destroy();
    return (JSON.parse(out.policyText!) as { Statement: Record<string, unknown>[] }).Statement;
  };

  test('--condition-tag Team=Payments: the tagged user of B pulls, a user tagged Team=Ops does not', async () => {
    await repositoryWithImage('tagged');
    const iamB = new IAMClient(config(keys(B)));
    const payments = await user(iamB, 'payments-dev', pullPolicy('tagged'), { Team: 'Payments' });
    const ops = await user(iamB, 'ops-dev', pullPolicy('tagged'), { Team: 'Ops' });
    iamB.destroy();
    // Both users' own policies allow the pull: only the repository policy can tell them apart.
    const g = await run('grant', [
      '--repository',
      repoArn('tagged'),
      '--to',
      B.AccountId,
      '--condition-tag',
      'Team=Payments',
      '--apply',
    ]);
    assert.equal(g.code, 0, g.err);
    assert.match(g.out, /applied 1 change\b/);
    assert.match(g.out, new RegExp(`note: account ${B.AccountId} must still allow its users`));
    assert.deepEqual(await storedStatements('tagged'), [
      {
        Sid: `crossdock-pull-${B.AccountId}`,
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${B.AccountId}:root` },
        Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'],
        Condition: { StringEquals: { 'aws:PrincipalTag/Team': 'Payments' } },
      },
    ]);
    const allowed = await verifyAs('tagged', payments);
    assert.equal(allowed.code, 0, allowed.out);
    assert.match(allowed.out, /✓ blob HEAD sha256:/);
    const denied = await verifyAs('tagged', ops);
    assert.equal(denied.code, 1, denied.out);
    assert.match(
      denied.out,
      new RegExp(
        `✗ manifest HEAD v1: 403 DENIED: User: arn:aws:iam::${B.AccountId}:user/ops-dev is not authorized to perform: ` +
          'ecr:BatchGetImage .* because no resource-based policy allows the ecr:BatchGetImage action',
      ),
    );
  });

  test('--org: a statement for another organization lets nobody in; one for B’s organization lets its user pull', async () => {
    await repositoryWithImage('org-shared');
    const iamB = new IAMClient(config(keys(B)));
    const member = await user(iamB, 'org-dev', pullPolicy('org-shared'));
    iamB.destroy();
    const orgs = new OrganizationsClient(config(keys(B)));
    const orgId = (await orgs.send(new DescribeOrganizationCommand({}))).Organization!.Id!;
    orgs.destroy();
    const other = orgId === 'o-aaaaaaaaaa' ? 'o-bbbbbbbbbb' : 'o-aaaaaaaaaa';

    const wrong = await run('grant', ['--repository', repoArn('org-shared'), '--org', other, '--apply']);
    assert.equal(wrong.code, 0, wrong.err);
    assert.match(wrong.out, new RegExp(`note: each account of ${other} must still allow its users`));
    const before = await verifyAs('org-shared', member);
    assert.equal(before.code, 1, before.out);
    assert.match(before.out, /✗ manifest HEAD v1: 403 DENIED: .*no resource-based policy allows/);

    const right = await run('grant', ['--repository', repoArn('org-shared'), '--org', orgId, '--apply']);
    assert.equal(right.code, 0, right.err);
    // Principal "*" narrowed by aws:PrincipalOrgID: lint's public-principal finding stays away.
    assert.doesNotMatch(right.out, /public-principal/);
    assert.deepEqual(
      (await storedStatements('org-shared')).map((s) => [s.Sid, s.Principal, s.Condition]),
      [other, orgId].map((o) => [
        `crossdock-pull-org-${o}`,
        '*',
        { StringEquals: { 'aws:PrincipalOrgID': o } },
      ]),
    );
    const after = await verifyAs('org-shared', member);
    assert.equal(after.code, 0, after.out);
    assert.match(after.out, /✓ manifest HEAD v1: sha256:/);
  });

  test('--service lambda --source-arn: the server accepts it, it opens nothing to B’s users, and the engine lets only that function’s Lambda pull', async () => {
    await repositoryWithImage('function-image');
    const fn = `arn:aws:lambda:${REGION}:${B.AccountId}:function:payments`;
    const iamB = new IAMClient(config(keys(B)));
    const bystander = await user(iamB, 'bystander', pullPolicy('function-image'));
    await user(iamB, 'deployer');
    iamB.destroy();
    const g = await run('grant', [
      '--repository',
      repoArn('function-image'),
      '--to',
      `arn:aws:iam::${B.AccountId}:user/deployer`,
      '--service',
      'lambda',
      '--source-arn',
      fn,
      '--apply',
    ]);
    assert.equal(g.code, 0, g.err);
    assert.match(g.out, /applied 2 changes/);
    assert.doesNotMatch(g.out, /service-principal-without-source/);
    const statements = await storedStatements('function-image');
    const lambda = statements.find((s) => s.Sid === `crossdock-lambda-pull-${B.AccountId}`);
    assert.deepEqual(lambda, {
      Sid: `crossdock-lambda-pull-${B.AccountId}`,
      Effect: 'Allow',
      Principal: { Service: 'lambda.amazonaws.com' },
      Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
      Condition: {
        ArnLike: { 'aws:SourceArn': fn },
        StringEquals: { 'aws:SourceAccount': B.AccountId },
      },
    });
    // The server: a user of B whose own policies allow the pull is still denied.
    const v = await verifyAs('function-image', bystander);
    assert.equal(v.code, 1, v.out);
    assert.match(
      v.out,
      /✗ manifest HEAD v1: 403 DENIED: .*user\/bystander .*no resource-based policy allows/,
    );
    // crossdock does not run Lambda, so no service principal can call it: the stored policy is
    // decided by the engine the server authorizes with, as ECR decides Lambda's pull.
    const ecrA = ecrClient(t.endpoint, A);
    const text = (await ecrA.send(new GetRepositoryPolicyCommand({ repositoryName: 'function-image' })))
      .policyText!;
    ecrA.destroy();
    const policy = new PolicyCache().get(text, 'repository', { stored: true });
    const lambdaPrincipal: RequestPrincipal = { type: 'Service', arn: 'lambda.amazonaws.com' };
    const decide = (context: Record<string, string>) =>
      evaluate({
        principal: lambdaPrincipal,
        action: 'ecr:BatchGetImage',
        resource: repoArn('function-image'),
        resourceAccount: A.AccountId,
        context,
        policies: { identity: [], resource: [{ id: 'repository-policy', policy }] },
      }).decision;
    const cases: [string, Record<string, string>, string][] = [
      ['the function', { 'aws:SourceArn': fn, 'aws:SourceAccount': B.AccountId }, 'Allow'],
      [
        'another function of B',
        { 'aws:SourceArn': `${fn}-v2`, 'aws:SourceAccount': B.AccountId },
        'ImplicitDeny',
      ],
      [
        'a function of the same name in another account',
        { 'aws:SourceArn': fn.replace(B.AccountId, '999999999999'), 'aws:SourceAccount': '999999999999' },
        'ImplicitDeny',
      ],
      ['Lambda acting for no resource', {}, 'ImplicitDeny'],
    ];
    for (const [name, context, expected] of cases) assert.equal(decide(context), expected, name);
  });

  test('a grantee that does not exist: grant says so and writes nothing, where ECR only says the policy is invalid', async () => {
    await repositoryWithImage('typo');
    const typo = `arn:aws:iam::${B.AccountId}:role/ecs-task-rol`;
    const g = await run('grant', ['--repository', repoArn('typo'), '--to', typo, '--apply']);
    assert.equal(g.code, 1, g.out);
    assert.equal(
      g.err,
      `crossdock grant: role \`${typo}\` does not exist: AWS refuses a policy naming it ` +
        "('Invalid repository policy provided'); create it first or fix --to",
    );
    const ecrA = ecrClient(t.endpoint, A);
    await assert.rejects(ecrA.send(new GetRepositoryPolicyCommand({ repositoryName: 'typo' })), {
      name: 'RepositoryPolicyNotFoundException',
    });
    // What the owner gets writing the same statement by hand.
    await assert.rejects(
      ecrA.send(
        new SetRepositoryPolicyCommand({
          repositoryName: 'typo',
          policyText: doc({ Effect: 'Allow', Principal: { AWS: typo }, Action: 'ecr:BatchGetImage' }),
        }),
      ),
      {
        name: 'InvalidParameterException',
        message:
          "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'",
      },
    );
    ecrA.destroy();
  });
});

// ---------------------------------------------------------------------------------------------
// Seeds 002 and 004, on the consumer's machine.

const seedSkip = seedClientsMissing !== undefined ? { skip: seedClientsMissing } : {};
const POWER_USER = 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPowerUser';
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const trustOf = (service: string) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }],
  });
/** `crossdock` in bash, run from the sources as `npx crossdock` would run it. */
const CROSSDOCK_ENV = {
  XD_NODE: process.execPath,
  XD_TSX: import.meta.resolve('tsx'),
  XD_MAIN: `const m = await import(${JSON.stringify(pathToFileURL(join(import.meta.dirname, '../../src/cli/main.ts')).href)}); process.exitCode = await m.main(process.argv.slice(1));`,
};
const CROSSDOCK_FN =
  'crossdock() { "$XD_NODE" --import "$XD_TSX" --input-type=module -e "$XD_MAIN" -- "$@"; }\n';

/** A's repository `name` holding `layout` as `tag`, created and pushed by A with the CLI and skopeo. */
async function seedRepository(sh: SeedShell, name: string, layout: OciLayout): Promise<void> {
  await sh.ok(
    `aws ecr create-repository --repository-name ${name} --query repository.repositoryUri --output text
aws ecr get-login-password | skopeo login --tls-verify=false --username AWS --password-stdin ${sh.registry}/${A.AccountId}
skopeo copy --insecure-policy --dest-tls-verify=false oci:${layout.dir}:${layout.tag} docker://${sh.registry}/${A.AccountId}/${name}:v1`,
    await sh.identity('a-admin', keyEnv(A)),
    { note: `account A creates ${name} and pushes v1` },
  );
}

describe("seed 002: grant --via-role lets B's EC2 instance push to and pull from A", seedSkip, () => {
  const ROLE = 'ECS-AssumeRole-MIQDevOps';
  const roleArn = () => `arn:aws:iam::${A.AccountId}:role/${ROLE}`;
  const instanceRole = () => `arn:aws:iam::${B.AccountId}:role/miq-instance-role`;
  const image = (tag: string) => `${new URL(t.endpoint).host}/${A.AccountId}/miqp-devops:${tag}`;
  let sh: SeedShell;
  let layout: OciLayout;
  let instance: RunningInstanceProfile | undefined;
  let ec2: Record<string, string>;
  /** The seed's line that assumes A's role on the instance. */
  const assumeLine = () =>
    `export $(printf "AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s AWS_SESSION_TOKEN=%s" $(aws sts assume-role --role-arn "${roleArn()}" --role-session-name "miq-deploy" --query "Credentials.[AccessKeyId,SecretAccessKey,SessionToken]" --output text))`;
  const login = () =>
    `aws ecr get-login-password | skopeo login --tls-verify=false --username AWS --password-stdin ${sh.registry}/${A.AccountId}`;

  before(async () => {
    if (seedClientsMissing !== undefined) return;
    sh = await SeedShell.create(t.endpoint, 'toolkit-seed-002');
    layout = await makeOciLayout([{ 'service.txt': 'miq v1\n' }], 'v1');
    await writeFile(join(sh.work, 'trust-ec2.json'), trustOf('ec2.amazonaws.com'));
    await seedRepository(sh, 'miqp-devops', layout);
    // Step 4: B's instance role, trusted by EC2, with no permission of its own yet.
    await sh.ok(
      `aws iam create-role --role-name miq-instance-role --assume-role-policy-document file://trust-ec2.json --query Role.Arn --output text`,
      await sh.identity('b-admin', keyEnv(B)),
      { note: 'account B, step 4: the instance role' },
    );
    instance = await startInstanceProfile(
      { endpoint: t.endpoint, roleArn: instanceRole(), port: 0, host: '127.0.0.1', ecs: false },
      { credentials: keys(B), region: REGION },
    );
    ec2 = await sh.identity('ec2', { AWS_EC2_METADATA_SERVICE_ENDPOINT: instance.url, ...CROSSDOCK_ENV });
  });

  after(async () => {
    await instance?.server.close();
    if (sh !== undefined) await rm(sh.work, { recursive: true, force: true });
    if (layout !== undefined) await rm(layout.dir, { recursive: true, force: true });
  });

  test('before the grant, verify on the instance stops at sts:AssumeRole, as the seed line does', async () => {
    const v = await sh.run(
      `${CROSSDOCK_FN}crossdock verify --repository ${image('v1')} --as ${roleArn()} --push`,
      ec2,
      { note: 'on the instance, before grant' },
    );
    assert.equal(v.code, 1, v.stdout + v.stderr);
    assert.match(v.stdout, /^✗ sts:AssumeRole: AccessDenied: /m);
    assert.doesNotMatch(v.stdout, /✓/);
    // `export $(...)` succeeds whatever the inner call does: the instance is still itself.
    const seed = await sh.run(`${assumeLine()}\naws sts get-caller-identity --query Arn --output text`, ec2, {
      note: "the seed's assume-role line, before grant",
    });
    assert.match(seed.stderr, /An error occurred \(AccessDenied\) when calling the AssumeRole operation/);
    assert.match(seed.stdout, new RegExp(`^arn:aws:sts::${B.AccountId}:assumed-role/miq-instance-role/`));
  });

  test('grant --via-role --push --apply creates the role trusting only the instance role; verify --push passes', async () => {
    const g = await run('grant', [
      '--repository',
      repoArn('miqp-devops'),
      '--to',
      instanceRole(),
      '--push',
      '--via-role',
      ROLE,
      '--apply',
    ]);
    assert.equal(g.code, 0, g.err);
    assert.match(g.out, new RegExp(`trust policy of role \`${ROLE}\`.*: create the role`));
    assert.match(g.out, /inline policy `crossdock-ecr` of role `miq-instance-role`.*: create/);
    assert.match(g.out, /applied 3 changes/);
    // The seed trusts B's root; grant trusts the one role that needs it.
    const iamA = new IAMClient(config(keys(A)));
    const r = await iamA.send(new GetRoleCommand({ RoleName: ROLE }));
    iamA.destroy();
    const trust = JSON.parse(decodeURIComponent(r.Role!.AssumeRolePolicyDocument!)) as {
      Statement: { Principal: { AWS: string }; Action: string }[];
    };
    assert.deepEqual(
      trust.Statement.map((s) => [s.Principal.AWS, s.Action]),
      [[instanceRole(), 'sts:AssumeRole']],
    );
    const v = await sh.run(
      `${CROSSDOCK_FN}crossdock verify --repository ${image('v1')} --as ${roleArn()} --push`,
      ec2,
      { note: 'on the instance, after grant' },
    );
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /^✓ sts:AssumeRole: /m);
    assert.match(
      v.stdout,
      new RegExp(`^✓ sts:GetCallerIdentity: arn:aws:sts::${A.AccountId}:assumed-role/${ROLE}/`, 'm'),
    );
    assert.match(v.stdout, /^✓ manifest HEAD v1: sha256:/m);
    assert.match(v.stdout, /^✓ upload cancel/m);
    assert.equal(v.stderr, '');
  });

  test("the seed's own lines on the instance: assume the role, log in, push v2, pull it back", async () => {
    const out = await sh.ok(
      `${assumeLine()}
${login()}
skopeo copy --insecure-policy --dest-tls-verify=false oci:${layout.dir}:v1 docker://${image('v2')}
skopeo copy --insecure-policy --src-tls-verify=false docker://${image('v2')} oci:${sh.pulled('v2')}:v2
aws sts get-caller-identity --query Arn --output text`,
      ec2,
      { note: "the seed's lines on the instance, after grant" },
    );
    assert.match(out, new RegExp(`arn:aws:sts::${A.AccountId}:assumed-role/${escape(ROLE)}/miq-deploy$`));
    assert.equal(await layoutDigest(sh.pulled('v2'), 'v2'), layout.manifestDigest);
  });
});

// Seed 004 grants the role its tasks run as, and so does this test: the task's own pulls (with the
// task role's credentials from the ECS endpoint). ECS's agent pulls a task's image with the task
// execution role instead; toolkit-explain.e2e.test.ts shows explain naming that case.
describe(
  "seed 004: grant --to the task role lets production's ECS task pull the CI account's image",
  seedSkip,
  () => {
    const image = () => `${new URL(t.endpoint).host}/${A.AccountId}/my-ecr-repository:v1`;
    const taskRole = (name: string) => `arn:aws:iam::${B.AccountId}:role/${name}`;
    const session = (name: string) => `arn:aws:sts::${B.AccountId}:assumed-role/${name}/[0-9a-f]{32}`;
    const denied = (who: string) =>
      new RegExp(
        escape(
          deniedSentence('WHO', 'ecr:BatchGetImage', repoArn('my-ecr-repository'), 'no-resource'),
        ).replace('WHO', who),
      );
    let sh: SeedShell;
    let layout: OciLayout;
    const tasks: RunningInstanceProfile[] = [];
    const env: Record<'task' | 'batch', Record<string, string>> = {} as never;
    const pull = (who: Record<string, string>, dir: string, note: string) =>
      sh.run(
        `aws ecr get-login-password | skopeo login --tls-verify=false --username AWS --password-stdin ${sh.registry}/${A.AccountId}
skopeo copy --insecure-policy --src-tls-verify=false docker://${image()} oci:${sh.pulled(dir)}:v1`,
        who,
        { note },
      );

    before(async () => {
      if (seedClientsMissing !== undefined) return;
      sh = await SeedShell.create(t.endpoint, 'toolkit-seed-004');
      layout = await makeOciLayout([{ 'main.js': 'console.log("v1")\n' }], 'v1');
      await writeFile(join(sh.work, 'trust-ecs.json'), trustOf('ecs-tasks.amazonaws.com'));
      await seedRepository(sh, 'my-ecr-repository', layout);
      // Production's task roles have ECR rights of their own: only A's repository policy is missing.
      const envB = await sh.identity('b-admin', keyEnv(B));
      for (const role of ['ecs-task-role', 'batch-task-role'])
        await sh.ok(
          `aws iam create-role --role-name ${role} --assume-role-policy-document file://trust-ecs.json --query Role.Arn --output text
aws iam attach-role-policy --role-name ${role} --policy-arn ${POWER_USER}`,
          envB,
          { note: `production's ${role}` },
        );
      for (const [who, role] of [
        ['task', 'ecs-task-role'],
        ['batch', 'batch-task-role'],
      ] as const) {
        const task = await startInstanceProfile(
          { endpoint: t.endpoint, roleArn: taskRole(role), port: 0, host: '127.0.0.1', ecs: true },
          { credentials: keys(B), region: REGION },
        );
        tasks.push(task);
        env[who] = await sh.identity(who, { AWS_CONTAINER_CREDENTIALS_FULL_URI: task.url, ...CROSSDOCK_ENV });
      }
    });

    after(async () => {
      for (const task of tasks) await task.server.close();
      if (sh !== undefined) await rm(sh.work, { recursive: true, force: true });
      if (layout !== undefined) await rm(layout.dir, { recursive: true, force: true });
    });

    test('without a repository policy the task is denied: verify (as itself) and skopeo say so', async () => {
      const v = await sh.run(`${CROSSDOCK_FN}crossdock verify --repository ${image()}`, env.task, {
        note: 'in the task, before grant',
      });
      assert.equal(v.code, 1, v.stdout + v.stderr);
      assert.match(v.stdout, new RegExp(`^✓ sts:GetCallerIdentity: ${session('ecs-task-role')}$`, 'm'));
      assert.match(v.stdout, /^✓ registry login/m);
      assert.match(v.stdout, /^✗ manifest HEAD v1: 403 DENIED: /m);
      assert.match(v.stdout, denied(session('ecs-task-role')));
      const r = await pull(env.task, 'before', 'the task pulls, before grant');
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, denied(session('ecs-task-role')));
    });

    test("grant --to the task role writes the seed's ECS statement; verify and the task's pull pass", async () => {
      const g = await run('grant', [
        '--repository',
        repoArn('my-ecr-repository'),
        '--to',
        taskRole('ecs-task-role'),
        '--pull',
        '--apply',
      ]);
      assert.equal(g.code, 0, g.err);
      assert.match(g.out, /applied 2 changes/);
      const ecrA = ecrClient(t.endpoint, A);
      const stored = await ecrA.send(new GetRepositoryPolicyCommand({ repositoryName: 'my-ecr-repository' }));
      ecrA.destroy();
      // The post's "ECS resource-based policy": the role as Principal, the three pull actions.
      const [statement, ...rest] = (
        JSON.parse(stored.policyText!) as {
          Statement: { Effect: string; Principal: { AWS: string }; Action: string[]; Condition?: unknown }[];
        }
      ).Statement;
      assert.deepEqual(rest, []);
      assert.equal(statement!.Effect, 'Allow');
      assert.deepEqual(statement!.Principal, { AWS: taskRole('ecs-task-role') });
      assert.deepEqual([...statement!.Action].sort(), [
        'ecr:BatchCheckLayerAvailability',
        'ecr:BatchGetImage',
        'ecr:GetDownloadUrlForLayer',
      ]);
      assert.equal(statement!.Condition, undefined);

      const v = await sh.run(`${CROSSDOCK_FN}crossdock verify --repository ${image()}`, env.task, {
        note: 'in the task, after grant',
      });
      assert.equal(v.code, 0, v.stdout + v.stderr);
      assert.match(v.stdout, /^✓ blob HEAD sha256:/m);
      assert.equal(v.stderr, '');
      const r = await pull(env.task, 'after', 'the task pulls, after grant');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await layoutDigest(sh.pulled('after'), 'v1'), layout.manifestDigest);
    });

    test('the grant names one role: another role of production is still denied', async () => {
      const v = await sh.run(`${CROSSDOCK_FN}crossdock verify --repository ${image()}`, env.batch, {
        note: 'batch-task-role, after the grant to ecs-task-role',
      });
      assert.equal(v.code, 1, v.stdout);
      assert.match(v.stdout, denied(session('batch-task-role')));
      const r = await pull(env.batch, 'batch', 'batch-task-role pulls');
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, denied(session('batch-task-role')));
    });
  },
);
