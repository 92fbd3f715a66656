// Seed 003 end to end ("Cross-Account ECR: The Ultimate Solution for Effortless Docker Image
// Sharing"): account A's repository `example` with the tutorial's read-only repository policy for
// account B's root, an IAM entity of B with the tutorial's identity policy (the repository's three
// read actions + ecr:GetAuthorizationToken), and the tutorial's `aws ecr get-login --registry-ids
// <A>` (AWS CLI v1; v2's `get-login-password` when v1 is absent), then skopeo pulls. The
// tutorial's account ids have 10 digits; they are 111111111111 and 222222222222 here. Then the
// denials it implies: a push with the read-only grant, an entity of B without (or with only the
// login part of) the identity policy, a repository the identity policy does not name, and a third
// account.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { keyEnv } from '../helpers/awscli.js';
import { makeOciLayout, type OciLayout } from '../helpers/image.js';
import {
  awsCliV1,
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
const exampleArn = `arn:aws:ecr:us-east-1:${A}:repository/example`;
const puller = `arn:aws:iam::${B}:user/puller`;

/** Section 1: the repository policy, as the tutorial prints it (account id of B filled in). */
const REPOSITORY_POLICY = `{
    "Version": "2012-10-17",
    "Statement": [{
        "Sid": "Allow2222222222Access",
        "Effect": "Allow",
        "Action": [
            "ecr:GetDownloadUrlForLayer",
            "ecr:BatchGetImage",
            "ecr:BatchCheckLayerAvailability"
        ],
        "Principal": {
            "AWS": "arn:aws:iam::${B}:root"
        }
    }]
}
`;

/** Section 2: the identity policy of the IAM entity in B. */
const IDENTITY_POLICY = `{
    "Version": "2012-10-17",
    "Statement": [{
        "Sid": "AllowAccessToExampleRepo",
        "Effect": "Allow",
        "Action": [
            "ecr:GetDownloadUrlForLayer",
            "ecr:BatchGetImage",
            "ecr:BatchCheckLayerAvailability"
        ],
        "Resource": [
            "arn:aws:ecr:us-east-1:${A}:repository/example"
        ]
    }, {
        "Sid": "AllowLogin",
        "Effect": "Allow",
        "Action": [
            "ecr:GetAuthorizationToken"
        ],
        "Resource": ["*"]
    }]
}
`;

/** Only the login statement of the identity policy. */
const LOGIN_ONLY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Sid: 'AllowLogin', Effect: 'Allow', Action: ['ecr:GetAuthorizationToken'], Resource: ['*'] }],
});

let t: TestServer;
let sh: SeedShell;
let image: OciLayout;
let other: OciLayout;
const env: Record<'A' | 'B' | 'C' | 'puller' | 'newcomer', Record<string, string>> = {} as never;

async function userKey(owner: Record<string, string>, user: string): Promise<Record<string, string>> {
  const out = await sh.ok(
    `aws iam create-user --user-name ${user} --query User.Arn --output text
aws iam create-access-key --user-name ${user} --query 'AccessKey.[AccessKeyId,SecretAccessKey]' --output text`,
    owner,
  );
  const [, id, secret] = out.split(/\s+/);
  return { AWS_ACCESS_KEY_ID: id!, AWS_SECRET_ACCESS_KEY: secret! };
}

/** Logs in to A's registry with get-login-password and pulls `ref` into a fresh layout. */
function pullAs(who: Record<string, string>, ref: string, dir: string) {
  return sh.run(
    `aws ecr get-login-password | skopeo login --tls-verify=false --username AWS --password-stdin ${sh.registry}/${A}
skopeo copy --insecure-policy --src-tls-verify=false docker://${sh.registry}/${A}/${ref} oci:${sh.pulled(dir)}:pulled`,
    who,
  );
}

before(async () => {
  if (seedClientsMissing !== undefined) return;
  t = await startServer();
  sh = await SeedShell.create(t.endpoint, 'seed-003');
  const [a, b, c] = await Promise.all([
    t.createAccount('images-a', A),
    t.createAccount('client-b', B),
    t.createAccount('stranger', C),
  ]);
  env.A = await sh.identity('a-root', keyEnv(a));
  env.B = await sh.identity('b-root', keyEnv(b));
  env.C = await sh.identity('c-root', keyEnv(c));
  [image, other] = await Promise.all([
    makeOciLayout([{ 'index.html': '<h1>example</h1>\n' }], 'v1'),
    makeOciLayout([{ 'other.txt': 'another repository\n' }], 'v1'),
  ]);
  await writeFile(join(sh.work, 'repository-policy.json'), REPOSITORY_POLICY);
  await writeFile(join(sh.work, 'identity-policy.json'), IDENTITY_POLICY);

  // Account A: the repository, its policy (section 1), and an image pushed by A itself; a second
  // repository `other` with the same policy. Account B: the IAM entity with section 2's policy,
  // and a newcomer with no policy yet.
  const [pullerKey, newcomerKey] = await Promise.all([
    userKey(env.B, 'puller').then(async (key) => {
      await sh.ok(
        `aws iam put-user-policy --user-name puller --policy-name AllowAccessToExampleRepo --policy-document file://identity-policy.json`,
        env.B,
        { note: "section 2: the IAM entity's permissions in account B" },
      );
      return key;
    }),
    userKey(env.B, 'newcomer'),
    sh.ok(
      `aws ecr create-repository --repository-name example --query repository.repositoryUri --output text
aws ecr create-repository --repository-name other --query repository.repositoryUri --output text
aws ecr get-login-password | skopeo login --tls-verify=false --username AWS --password-stdin ${sh.registry}/${A}
skopeo copy --insecure-policy --dest-tls-verify=false oci:${image.dir}:v1 docker://${sh.registry}/${A}/example:v1
skopeo copy --insecure-policy --dest-tls-verify=false oci:${other.dir}:v1 docker://${sh.registry}/${A}/other:v1`,
      env.A,
      { note: 'account A creates `example` (and `other`) and pushes an image to each' },
    ),
  ]);
  await Promise.all(
    ['example', 'other'].map((repo) =>
      sh.ok(
        `aws ecr set-repository-policy --repository-name ${repo} --policy-text file://repository-policy.json --query repositoryName --output text`,
        env.A,
        { note: `section 1: read-only access for account B on ${repo}` },
      ),
    ),
  );
  env.puller = await sh.identity('puller', pullerKey);
  env.newcomer = await sh.identity('newcomer', newcomerKey);
});

after(async () => {
  await t?.stop();
  if (sh !== undefined) await rm(sh.work, { recursive: true, force: true });
  for (const l of [image, other]) if (l !== undefined) await rm(l.dir, { recursive: true, force: true });
});

describe("seed 003: read-only access to A's `example` for an IAM entity of B", skip, () => {
  test("`aws ecr get-login --registry-ids <A>` prints a docker login for A's registry, and the entity pulls example:v1", async (ctx) => {
    if (awsCliV1() !== undefined) {
      const printed = await sh.ok(`aws ecr get-login --registry-ids ${A}`, env.puller, {
        cli: 1,
        note: 'section 3: the login command, as printed',
      });
      assert.match(
        printed,
        new RegExp(`^docker login -u AWS -p CDT1\\.\\S+ -e none http://${sh.registry}/${A}$`),
      );
      const login = await sh.ok(`$(aws ecr get-login --registry-ids ${A})`, env.puller, {
        cli: 1,
        note: 'section 3: and run',
      });
      assert.match(login, /Login Succeeded/);
    } else {
      ctx.diagnostic('AWS CLI v1 not found: logging in with get-login-password instead of get-login');
      await sh.ok(
        `aws ecr get-login-password | docker login --username AWS --password-stdin http://${sh.registry}/${A}`,
        env.puller,
      );
    }
    const r = await sh.run(
      `skopeo copy --insecure-policy --src-tls-verify=false docker://${sh.registry}/${A}/example:v1 oci:${sh.pulled('v1')}:v1`,
      env.puller,
      { note: 'docker pull, done by skopeo' },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await layoutDigest(sh.pulled('v1'), 'v1'), image.manifestDigest);
  });

  test('the grant is the three pull actions: skopeo inspect works, listing the tags (ecr:ListImages) does not', async () => {
    const inspect = await sh.ok(
      `skopeo inspect --tls-verify=false docker://${sh.registry}/${A}/example:v1`,
      env.puller,
      { note: 'the entity inspects the image, then lists the tags' },
    );
    assert.equal((JSON.parse(inspect) as { Digest: string }).Digest, image.manifestDigest);
    const tags = await sh.run(
      `skopeo list-tags --tls-verify=false docker://${sh.registry}/${A}/example`,
      env.puller,
    );
    assert.notEqual(tags.code, 0);
    assert.match(tags.stderr, /403 \(Forbidden\)/);
  });

  test('a push with the read-only grant is refused at its first write, and nothing is pushed', async () => {
    const fresh = await sh.run(
      `skopeo copy --insecure-policy --dest-tls-verify=false oci:${other.dir}:v1 docker://${sh.registry}/${A}/example:v2`,
      env.puller,
      { note: 'the entity tries to push a new image' },
    );
    assert.notEqual(fresh.code, 0);
    assert.ok(
      fresh.stderr.includes(
        `denied: ${deniedSentence(puller, 'ecr:InitiateLayerUpload', exampleArn, 'no-identity')}`,
      ),
      fresh.stderr,
    );
    const retag = await sh.run(
      `skopeo copy --insecure-policy --dest-tls-verify=false oci:${image.dir}:v1 docker://${sh.registry}/${A}/example:v2`,
      env.puller,
      { note: 'and to retag the image it may read (its layers exist)' },
    );
    assert.notEqual(retag.code, 0);
    assert.ok(
      retag.stderr.includes(`denied: ${deniedSentence(puller, 'ecr:PutImage', exampleArn, 'no-identity')}`),
      retag.stderr,
    );
    const listed = await sh.ok(`aws ecr list-images --repository-name example`, env.A, {
      note: 'account A lists its repository',
    });
    assert.deepEqual(listedTags(listed), ['v1']);
  });

  test('the repository policy alone is not enough: no identity policy, no login; the login statement alone, no pull', async () => {
    const newcomer = `arn:aws:iam::${B}:user/newcomer`;
    const noLogin = await sh.run(`aws ecr get-login-password`, env.newcomer, {
      note: 'a B user without the identity policy',
    });
    assert.notEqual(noLogin.code, 0);
    assert.ok(
      noLogin.stderr.includes(
        cliDenied(
          'GetAuthorizationToken',
          deniedSentence(newcomer, 'ecr:GetAuthorizationToken', '*', 'no-identity'),
        ),
      ),
      noLogin.stderr,
    );
    await writeFile(join(sh.work, 'login-only.json'), LOGIN_ONLY);
    await sh.ok(
      `aws iam put-user-policy --user-name newcomer --policy-name AllowLogin --policy-document file://login-only.json`,
      env.B,
    );
    const r = await pullAs(env.newcomer, 'example:v1', 'newcomer');
    assert.notEqual(r.code, 0);
    assert.match(r.stdout, /Login Succeeded/);
    assert.ok(
      r.stderr.includes(
        `denied: ${deniedSentence(newcomer, 'ecr:BatchGetImage', exampleArn, 'no-identity')}`,
      ),
      r.stderr,
    );
  });

  test('the identity policy names only `example`: the entity cannot pull `other`, though its repository policy is the same', async () => {
    const r = await pullAs(env.puller, 'other:v1', 'other');
    assert.notEqual(r.code, 0);
    assert.ok(
      r.stderr.includes(
        `denied: ${deniedSentence(puller, 'ecr:BatchGetImage', `arn:aws:ecr:us-east-1:${A}:repository/other`, 'no-identity')}`,
      ),
      r.stderr,
    );
  });

  test('a third account C is denied: the repository policy names only account B', async () => {
    const cRoot = `arn:aws:iam::${C}:root`;
    const api = await sh.run(
      `aws ecr batch-get-image --registry-id ${A} --repository-name example --image-ids imageTag=v1`,
      env.C,
      { note: 'the root user of a third account' },
    );
    assert.notEqual(api.code, 0);
    assert.ok(
      api.stderr.includes(
        cliDenied('BatchGetImage', deniedSentence(cRoot, 'ecr:BatchGetImage', exampleArn, 'no-resource')),
      ),
      api.stderr,
    );
    const r = await pullAs(env.C, 'example:v1', 'c');
    assert.notEqual(r.code, 0);
    assert.ok(
      r.stderr.includes(`denied: ${deniedSentence(cRoot, 'ecr:BatchGetImage', exampleArn, 'no-resource')}`),
      r.stderr,
    );
  });
});
