// `crossdock grant` and `crossdock verify` against a started crossdock: a consumer in account B
// that cannot pull A's image (seed 003's half-done setup: B's side granted, A's repository policy
// missing; seed 000's role not created yet) is shown failing by verify at the step AWS stops it,
// `grant --apply` writes the missing policies, and verify then passes every step. A second grant
// changes nothing, and a statement someone else wrote in the repository policy survives. Both
// commands run in-process with the SDK configurations injected (no profiles, no environment).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateRepositoryCommand,
  GetRepositoryPolicyCommand,
  SetRepositoryPolicyCommand,
} from '@aws-sdk/client-ecr';
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  IAMClient,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { grantCommand, type GrantDeps } from '../../src/cli/grant.js';
import { verifyCommand, type VerifyDeps } from '../../src/cli/verify.js';
import type { AwsClientConfig } from '../../src/cli/aws.js';
import { ecrClient, makeImage, pushBlobV2, registryLogin, v2 } from '../helpers/ecr.js';
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

async function user(iam: IAMClient, name: string, policy?: string): Promise<Keys> {
  await iam.send(new CreateUserCommand({ UserName: name }));
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
    assert.equal((await run('verify', ['--repository', repoArn('payments')])).code, 2);
  });
});
