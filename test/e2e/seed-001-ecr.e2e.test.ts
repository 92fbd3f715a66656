// Seed 001 end to end ("Grant access to another AWS Account B to pull or push images to Account A
// ECR Repo", tag-based): account A's repository tagged Team=Payments in eu-central-1 (not the
// server's default region, so images are `127.0.0.1:PORT/<A>.eu-central-1/my-first-repo`), the
// tutorial's repository policy pasted as is (Principal devusr2 of B, aws:ResourceTag/Team
// condition), devusr2 logging in with the tutorial's `$(aws ecr get-login --registry-ids ...
// --region eu-central-1 --profile dev-acc)` (AWS CLI v1; `get-login-password` with v2 when v1 is
// absent), and skopeo in place of `docker tag` + `docker push`. Then the denials the seed implies:
// no identity policy in B, a repository tagged for another team (and a retag), the B user the
// policy does not name, and a user of the same name in a third account.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { keyEnv } from '../helpers/awscli.js';
import { makeOciLayout, type OciLayout } from '../helpers/image.js';
import {
  awsCliV1,
  cliDenied,
  deniedSentence,
  dirDigest,
  listedTags,
  SeedShell,
  seedClientsMissing,
} from '../helpers/seedShell.js';
import { startServer, type TestServer } from '../helpers/server.js';

const skip = seedClientsMissing !== undefined ? { skip: seedClientsMissing } : {};

const REGION = 'eu-central-1';
const A = '111111111111';
const B = '222222222222';
const C = '333333333333';
const POWER_USER = 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPowerUser';
const repoArn = (name: string) => `arn:aws:ecr:${REGION}:${A}:repository/${name}`;
const devusr2 = `arn:aws:iam::${B}:user/devusr2`;

/** The tutorial's repository policy, YOUR-ACCOUNT-B-ID filled in. */
const TUTORIAL_POLICY = `{
    "Version": "2012-10-17",
    "Statement": [
      {
        "Effect": "Allow",
        "Action": [
          "ecr:GetAuthorizationToken",
          "ecr:BatchCheckLayerAvailability",
          "ecr:GetDownloadUrlForLayer",
          "ecr:GetRepositoryPolicy",
          "ecr:DescribeRepositories",
          "ecr:ListImages",
          "ecr:DescribeImages",
          "ecr:BatchGetImage",
          "ecr:InitiateLayerUpload",
          "ecr:UploadLayerPart",
          "ecr:CompleteLayerUpload",
          "ecr:PutImage"
        ],
        "Condition": {
          "StringLike": {
            "aws:ResourceTag/Team": "Payments"
          }
        },
        "Principal": {
          "AWS": [
            "arn:aws:iam::${B}:user/devusr2"
          ]
        },
        "Sid": "AllowCrossAccountPushAndPull"
      }
    ]
  }
`;

let t: TestServer;
let sh: SeedShell;
let image: OciLayout;
/** The digest of the Docker manifest devusr2 pushed (skopeo converts the OCI layout's, as docker would push). */
let pushed = '';
/** Shell environments: the root users of A, B, C and the users under test. */
const env: Record<'A' | 'B' | 'C' | 'devusr2' | 'devusr' | 'cDevusr2', Record<string, string>> = {} as never;
const pull = (dir: string) => sh.pulled(dir);
const sha256File = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** The tutorial's login line as devusr2 (profile dev-acc): `get-login` with CLI v1, else v2's form. */
function loginLine(): { script: string; cli: 1 | 2 } {
  if (awsCliV1() !== undefined)
    return {
      script: `$(aws ecr get-login --registry-ids ${A} --region ${REGION} --profile dev-acc)`,
      cli: 1,
    };
  return {
    script: `aws ecr get-login-password --region ${REGION} --profile dev-acc | docker login --username AWS --password-stdin http://${sh.registry}/${A}.${REGION}`,
    cli: 2,
  };
}

/** An access key of a new IAM user, as `create-access-key` prints it. */
async function userKey(owner: Record<string, string>, user: string): Promise<Record<string, string>> {
  const out = await sh.ok(
    `aws iam create-access-key --user-name ${user} --query 'AccessKey.[AccessKeyId,SecretAccessKey]' --output text`,
    owner,
  );
  const [id, secret] = out.split(/\s+/);
  return { AWS_ACCESS_KEY_ID: id!, AWS_SECRET_ACCESS_KEY: secret! };
}

before(async () => {
  if (seedClientsMissing !== undefined) return;
  t = await startServer();
  sh = await SeedShell.create(t.endpoint, 'seed-001');
  const [a, b, c] = await Promise.all([
    t.createAccount('payments-ci', A),
    t.createAccount('payments-dev', B),
    t.createAccount('stranger', C),
  ]);
  env.A = await sh.identity('a-root', keyEnv(a));
  env.B = await sh.identity('b-root', keyEnv(b));
  env.C = await sh.identity('c-root', keyEnv(c));
  image = await makeOciLayout(
    [{ 'app.txt': 'payments service v1\n' }, { 'config.yaml': 'team: payments\n' }],
    'latest',
  );

  // Prerequisites: A's tagged repositories, B's users (devusr2; devusr has CLI access with ECR
  // power-user rights but is not in the policy), and a devusr2 of a third account.
  const [, , devusr2Key, devusrKey, cKey] = await Promise.all([
    sh.ok(
      `aws ecr create-repository --repository-name my-first-repo --region ${REGION} --tags Key=Team,Value=Payments`,
      env.A,
      { note: 'prerequisite: a repository of account A tagged Team=Payments' },
    ),
    sh.ok(
      `aws ecr create-repository --repository-name other-team-repo --region ${REGION} --tags Key=Team,Value=Other`,
      env.A,
    ),
    sh.ok(`aws iam create-user --user-name devusr2`, env.B).then(() => userKey(env.B, 'devusr2')),
    sh
      .ok(
        `aws iam create-user --user-name devusr && aws iam attach-user-policy --user-name devusr --policy-arn ${POWER_USER}`,
        env.B,
      )
      .then(() => userKey(env.B, 'devusr')),
    sh
      .ok(
        `aws iam create-user --user-name devusr2 && aws iam attach-user-policy --user-name devusr2 --policy-arn ${POWER_USER}`,
        env.C,
      )
      .then(() => userKey(env.C, 'devusr2')),
  ]);

  // devusr2's CLI is configured as profile `dev-acc`, as the tutorial says.
  env.devusr2 = await sh.identity('devusr2', {});
  const aws = join(env.devusr2.HOME!, '.aws');
  await mkdir(aws, { recursive: true });
  await writeFile(
    join(aws, 'credentials'),
    `[dev-acc]\naws_access_key_id = ${devusr2Key.AWS_ACCESS_KEY_ID}\naws_secret_access_key = ${devusr2Key.AWS_SECRET_ACCESS_KEY}\n`,
  );
  await writeFile(join(aws, 'config'), `[profile dev-acc]\nregion = ${REGION}\n`);
  env.devusr2.AWS_SHARED_CREDENTIALS_FILE = join(aws, 'credentials');
  env.devusr2.AWS_CONFIG_FILE = join(aws, 'config');
  env.devusr = await sh.identity('devusr', devusrKey);
  env.cDevusr2 = await sh.identity('c-devusr2', cKey);

  // Step 1: the repository policy, pasted, on both repositories (only their tags differ).
  await writeFile(join(sh.work, 'policy.json'), TUTORIAL_POLICY);
  await Promise.all(
    ['my-first-repo', 'other-team-repo'].map((repo) =>
      sh.ok(
        `aws ecr set-repository-policy --repository-name ${repo} --region ${REGION} --policy-text file://policy.json --query repositoryName --output text`,
        env.A,
        { note: `step 1: set the tutorial's repository policy on ${repo}` },
      ),
    ),
  );
});

after(async () => {
  await t?.stop();
  if (sh !== undefined) await rm(sh.work, { recursive: true, force: true });
  if (image !== undefined) await rm(image.dir, { recursive: true, force: true });
});

describe('seed 001: devusr2 of B pushes to and pulls from A repositories tagged Team=Payments', skip, () => {
  test('without an identity policy in B, the login fails: listing ecr:GetAuthorizationToken in a repository policy grants nothing', async () => {
    const { script, cli } = loginLine();
    const r = await sh.run(script, env.devusr2, { cli, note: 'devusr2 has no policy in B yet' });
    assert.notEqual(r.code, 0);
    assert.ok(
      r.stderr.includes(
        cliDenied(
          'GetAuthorizationToken',
          deniedSentence(devusr2, 'ecr:GetAuthorizationToken', '*', 'no-identity'),
        ),
      ),
      r.stderr,
    );
  });

  test("with ECR rights in B, devusr2 logs in with the tutorial's line and pushes my-first-repo:v1", async (ctx) => {
    await sh.ok(`aws iam attach-user-policy --user-name devusr2 --policy-arn ${POWER_USER}`, env.B, {
      note: "account B gives devusr2 AWS CLI access to ECR (the tutorial's prerequisite)",
    });
    const { script, cli } = loginLine();
    if (cli === 2)
      ctx.diagnostic('AWS CLI v1 not found: logging in with get-login-password instead of get-login');
    const login = await sh.ok(script, env.devusr2, { cli, note: 'step 2.1: get ECR credentials' });
    assert.match(login, /Login Succeeded/);
    const push = await sh.run(
      `skopeo copy --insecure-policy --format v2s2 --dest-tls-verify=false oci:${image.dir}:latest docker://${sh.registry}/${A}.${REGION}/my-first-repo:v1`,
      env.devusr2,
      {
        note: 'steps 2.2 and 2.3: docker tag + docker push, done by skopeo (Docker manifest, as docker pushes)',
      },
    );
    assert.equal(push.code, 0, push.stderr);
    const described = JSON.parse(
      await sh.ok(
        `aws ecr describe-images --registry-id ${A} --repository-name my-first-repo --region ${REGION} --profile dev-acc --query 'imageDetails[].[imageTags,imageManifestMediaType,imageDigest]'`,
        env.devusr2,
        { note: "devusr2 describes the image in A's repository" },
      ),
    ) as [string[], string, string][];
    assert.equal(described.length, 1);
    const [tags, mediaType, digest] = described[0]!;
    assert.deepEqual(tags, ['v1']);
    assert.equal(mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
    assert.match(digest, /^sha256:[0-9a-f]{64}$/);
    pushed = digest;
  });

  test('devusr2 pulls v1 back and the manifest digest round-trips', async () => {
    const r = await sh.run(
      `skopeo copy --insecure-policy --src-tls-verify=false docker://${sh.registry}/${A}.${REGION}/my-first-repo:v1 dir:${pull('v1')}`,
      env.devusr2,
      { note: 'devusr2 pulls the image back' },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await dirDigest(pull('v1')), pushed);
    // The layers are the ones built here, byte for byte (skopeo names them by digest).
    for (const layer of image.layerDigests)
      assert.equal(sha256File(await readFile(join(pull('v1'), layer.slice('sha256:'.length)))), layer);
  });

  test('a repository tagged Team=Other refuses the same push with 403 and stays empty', async () => {
    const push = await sh.run(
      `skopeo copy --insecure-policy --dest-tls-verify=false oci:${image.dir}:latest docker://${sh.registry}/${A}.${REGION}/other-team-repo:v1`,
      env.devusr2,
      { note: 'the same policy on a repository tagged Team=Other' },
    );
    assert.notEqual(push.code, 0);
    assert.match(push.stderr, /403 \(Forbidden\)|denied/);
    const describe = await sh.run(
      `aws ecr describe-repositories --registry-id ${A} --repository-names other-team-repo --region ${REGION} --profile dev-acc`,
      env.devusr2,
    );
    assert.notEqual(describe.code, 0);
    assert.ok(
      describe.stderr.includes(
        cliDenied(
          'DescribeRepositories',
          deniedSentence(devusr2, 'ecr:DescribeRepositories', repoArn('other-team-repo'), 'no-resource'),
        ),
      ),
      describe.stderr,
    );
    const listed = await sh.ok(
      `aws ecr list-images --repository-name other-team-repo --region ${REGION}`,
      env.A,
    );
    assert.deepEqual(listedTags(listed), []);
  });

  test('retagging my-first-repo Team=Other cuts devusr2 off at the next pull; tagging it back restores access', async () => {
    await sh.ok(
      `aws ecr tag-resource --resource-arn ${repoArn('my-first-repo')} --tags Key=Team,Value=Other --region ${REGION}`,
      env.A,
      { note: 'account A retags the repository' },
    );
    const denied = await sh.run(
      `skopeo copy --insecure-policy --src-tls-verify=false docker://${sh.registry}/${A}.${REGION}/my-first-repo:v1 oci:${pull('retagged')}:v1`,
      env.devusr2,
    );
    assert.notEqual(denied.code, 0);
    assert.ok(
      denied.stderr.includes(
        `denied: ${deniedSentence(devusr2, 'ecr:BatchGetImage', repoArn('my-first-repo'), 'no-resource')}`,
      ),
      denied.stderr,
    );
    await sh.ok(
      `aws ecr tag-resource --resource-arn ${repoArn('my-first-repo')} --tags Key=Team,Value=Payments --region ${REGION}`,
      env.A,
    );
    const again = await sh.run(
      `skopeo copy --insecure-policy --src-tls-verify=false docker://${sh.registry}/${A}.${REGION}/my-first-repo:v1 dir:${pull('restored')}`,
      env.devusr2,
    );
    assert.equal(again.code, 0, again.stderr);
    assert.equal(await dirDigest(pull('restored')), pushed);
  });

  test('devusr of B, not named in the policy, is denied although his own policy allows ECR', async () => {
    const devusr = `arn:aws:iam::${B}:user/devusr`;
    const r = await sh.run(
      `aws ecr get-login-password --region ${REGION} | skopeo login --tls-verify=false --username AWS --password-stdin ${sh.registry}/${A}.${REGION}
skopeo copy --insecure-policy --src-tls-verify=false docker://${sh.registry}/${A}.${REGION}/my-first-repo:v1 oci:${pull('devusr')}:v1`,
      env.devusr,
      { note: 'devusr: a B user with ECR rights whom the policy does not name' },
    );
    assert.notEqual(r.code, 0);
    assert.match(r.stdout, /Login Succeeded/);
    assert.ok(
      r.stderr.includes(
        `denied: ${deniedSentence(devusr, 'ecr:BatchGetImage', repoArn('my-first-repo'), 'no-resource')}`,
      ),
      r.stderr,
    );
    const push = await sh.run(
      `skopeo copy --insecure-policy --dest-tls-verify=false oci:${image.dir}:latest docker://${sh.registry}/${A}.${REGION}/my-first-repo:devusr`,
      env.devusr,
    );
    assert.notEqual(push.code, 0);
    assert.match(push.stderr, /403 \(Forbidden\)|denied/);
    const listed = await sh.ok(
      `aws ecr list-images --repository-name my-first-repo --region ${REGION}`,
      env.A,
    );
    assert.deepEqual(listedTags(listed), ['v1']);
  });

  test('a devusr2 of a third account C is denied: the policy names the user of account B', async () => {
    const cUser = `arn:aws:iam::${C}:user/devusr2`;
    const r = await sh.run(
      `aws ecr list-images --registry-id ${A} --repository-name my-first-repo --region ${REGION}`,
      env.cDevusr2,
      { note: 'devusr2 of account C' },
    );
    assert.notEqual(r.code, 0);
    assert.ok(
      r.stderr.includes(
        cliDenied(
          'ListImages',
          deniedSentence(cUser, 'ecr:ListImages', repoArn('my-first-repo'), 'no-resource'),
        ),
      ),
      r.stderr,
    );
    const pulled = await sh.run(
      `aws ecr get-login-password --region ${REGION} | skopeo login --tls-verify=false --username AWS --password-stdin ${sh.registry}/${A}.${REGION}
skopeo copy --insecure-policy --src-tls-verify=false docker://${sh.registry}/${A}.${REGION}/my-first-repo:v1 oci:${pull('c')}:v1`,
      env.cDevusr2,
    );
    assert.notEqual(pulled.code, 0);
    assert.ok(
      pulled.stderr.includes(
        `denied: ${deniedSentence(cUser, 'ecr:BatchGetImage', repoArn('my-first-repo'), 'no-resource')}`,
      ),
      pulled.stderr,
    );
  });

  test('a token got in another region does not open the eu-central-1 registry (AWS refuses such a login with 400)', async () => {
    const wrongRegion = await sh.identity('devusr2-us-east-1', {
      AWS_SHARED_CREDENTIALS_FILE: env.devusr2.AWS_SHARED_CREDENTIALS_FILE!,
      AWS_CONFIG_FILE: env.devusr2.AWS_CONFIG_FILE!,
    });
    const r = await sh.run(
      `aws ecr get-login-password --region us-east-1 --profile dev-acc | skopeo login --tls-verify=false --username AWS --password-stdin ${sh.registry}/${A}.${REGION}
skopeo copy --insecure-policy --src-tls-verify=false docker://${sh.registry}/${A}.${REGION}/my-first-repo:v1 oci:${pull('wrong-region')}:v1`,
      wrongRegion,
    );
    assert.notEqual(r.code, 0, 'a us-east-1 token pulled from the eu-central-1 registry');
    assert.match(r.stderr, /issued in region `us-east-1`; get one in `eu-central-1`/, r.stderr);
  });
});
