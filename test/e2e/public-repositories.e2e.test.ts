// Public repositories (seed 004's "public ECR repository" method) end to end, with the real AWS
// CLI v2 (`aws ecr-public ...`) and skopeo: account A creates a public repository with catalog
// data and pushes to it with `aws ecr-public get-login-password`; anybody pulls it with no
// credentials at all; pushing still needs IAM (`ecr-public:*` actions, the repository policy
// across accounts, and sts:GetServiceBearerToken for the login); and a PRIVATE repository whose
// policy allows `Principal: "*"` still refuses an anonymous pull, as ECR does. A second crossdock
// can cache A's public images with a pull-through rule, as ECR caches `public.ecr.aws`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { CreatePullThroughCacheRuleCommand } from '@aws-sdk/client-ecr';
import { keyEnv } from '../helpers/awscli.js';
import { ecrClient } from '../helpers/ecr.js';
import { makeOciLayout, type OciLayout } from '../helpers/image.js';
import { deniedSentence, layoutDigest, seedClientsMissing, SeedShell } from '../helpers/seedShell.js';
import { startServer, type TestServer } from '../helpers/server.js';

const A = '111111111111';
const B = '222222222222';
const skip = seedClientsMissing;

const allow = (actions: string[]) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }],
  });

describe('public repositories with the real CLI and skopeo', { skip: skip ?? false }, () => {
  let t: TestServer;
  let sh: SeedShell;
  let rootA: Record<string, string>;
  let rootB: Record<string, string>;
  let anyone: Record<string, string>;
  let v1: OciLayout;
  let v2: OciLayout;
  let alias: string;
  const image = (name: string) => `${sh.registry}/public/${alias}/${name}`;

  /** A user of `root`'s account with an identity policy allowing `actions`, as an identity. */
  const user = async (root: Record<string, string>, name: string, actions: string[]) => {
    const key = JSON.parse(
      await sh.ok(
        `aws iam create-user --user-name ${name} >/dev/null
aws iam put-user-policy --user-name ${name} --policy-name p --policy-document '${allow(actions)}'
aws iam create-access-key --user-name ${name} --query AccessKey`,
        root,
      ),
    ) as { AccessKeyId: string; SecretAccessKey: string };
    return sh.identity(name, {
      AWS_ACCESS_KEY_ID: key.AccessKeyId,
      AWS_SECRET_ACCESS_KEY: key.SecretAccessKey,
    });
  };

  /** skopeo pushes `layout` to `ref`, logged in with the identity's `ecr-public` password. */
  const push = (who: Record<string, string>, layout: OciLayout, ref: string, note?: string) =>
    sh.run(
      `aws ecr-public get-login-password --region us-east-1 | skopeo login --tls-verify=false --username AWS --password-stdin ${sh.registry} >/dev/null
skopeo copy --dest-tls-verify=false oci:${layout.dir}:${layout.tag} docker://${ref}`,
      who,
      note === undefined ? {} : { note },
    );

  before(async () => {
    if (skip !== undefined) return;
    t = await startServer();
    sh = await SeedShell.create(t.endpoint, 'public-repositories');
    const a = await t.createAccount('publisher', A);
    const b = await t.createAccount('partner', B);
    rootA = await sh.identity('rootA', {
      AWS_ACCESS_KEY_ID: a.AccessKeyId,
      AWS_SECRET_ACCESS_KEY: a.SecretAccessKey,
    });
    rootB = await sh.identity('rootB', {
      AWS_ACCESS_KEY_ID: b.AccessKeyId,
      AWS_SECRET_ACCESS_KEY: b.SecretAccessKey,
    });
    // Nobody: no AWS credentials at all, a home of its own (no skopeo login).
    anyone = await sh.identity('anyone', {});
    v1 = await makeOciLayout([{ 'hello.txt': 'public hello' }], 'v1');
    v2 = await makeOciLayout([{ 'hello.txt': 'from the partner' }], 'v2');
  });

  after(async () => {
    await t?.stop();
    for (const l of [v1, v2]) if (l !== undefined) await rm(l.dir, { recursive: true, force: true });
  });

  test('A creates a public repository with catalog data; its URI names the registry alias', async () => {
    const registries = JSON.parse(
      await sh.ok('aws ecr-public describe-registries --region us-east-1', rootA, {
        note: "A's public registry and its default alias",
      }),
    ) as { registries: { registryId: string; registryUri: string; aliases: { name: string }[] }[] };
    const reg = registries.registries[0]!;
    assert.equal(reg.registryId, A);
    alias = reg.aliases[0]!.name;
    assert.match(alias, /^[a-z][a-z0-9]{7}$/);
    assert.equal(reg.registryUri, `${sh.registry}/public/${alias}`);
    const created = JSON.parse(
      await sh.ok(
        `aws ecr-public create-repository --region us-east-1 --repository-name tools/hello \\
  --catalog-data 'description=Hello for everyone,architectures=x86-64,operatingSystems=Linux,usageText=pull it'`,
        rootA,
        { note: 'A creates a public repository' },
      ),
    ) as { repository: Record<string, string>; catalogData: Record<string, unknown> };
    assert.equal(created.repository.repositoryArn, `arn:aws:ecr-public::${A}:repository/tools/hello`);
    assert.equal(created.repository.repositoryUri, image('tools/hello'));
    assert.equal(created.catalogData.description, 'Hello for everyone');
    const catalog = JSON.parse(
      await sh.ok(
        'aws ecr-public get-repository-catalog-data --region us-east-1 --repository-name tools/hello',
        rootA,
      ),
    ) as { catalogData: Record<string, unknown> };
    assert.deepEqual(catalog.catalogData.architectures, ['x86-64']);
    assert.equal(catalog.catalogData.usageText, 'pull it');
    const elsewhere = await sh.run('aws ecr-public describe-repositories --region eu-west-1', rootA);
    assert.notEqual(elsewhere.code, 0);
    assert.match(elsewhere.stderr, /UnsupportedCommandException/);
    // The private registry of us-east-1 does not show it.
    const privateRepos = await sh.ok(
      'aws ecr describe-repositories --query "repositories[].repositoryName"',
      rootA,
    );
    assert.deepEqual(JSON.parse(privateRepos), []);
  });

  test('A pushes with the ecr-public password; anybody pulls with no credentials at all', async () => {
    const pushed = await push(rootA, v1, `${image('tools/hello')}:v1`, 'A pushes to its public repository');
    assert.equal(pushed.code, 0, pushed.stderr);
    const pulled = await sh.run(
      `skopeo copy --src-tls-verify=false --src-no-creds docker://${image('tools/hello')}:v1 oci:${sh.pulled('anon')}:v1`,
      anyone,
      { note: 'somebody with no AWS identity pulls it' },
    );
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.equal(await layoutDigest(sh.pulled('anon'), 'v1'), v1.manifestDigest);
    const tags = JSON.parse(
      await sh.ok(`skopeo list-tags --tls-verify=false --no-creds docker://${image('tools/hello')}`, anyone),
    ) as { Tags: string[] };
    assert.deepEqual(tags.Tags, ['v1']);
    const described = JSON.parse(
      await sh.ok(
        'aws ecr-public describe-image-tags --region us-east-1 --repository-name tools/hello',
        rootA,
      ),
    ) as { imageTagDetails: { imageTag: string; imageDetail: { imageDigest: string } }[] };
    assert.deepEqual(
      described.imageTagDetails.map((d) => [d.imageTag, d.imageDetail.imageDigest]),
      [['v1', v1.manifestDigest]],
    );
  });

  test('nobody pushes without an identity', async () => {
    const r = await sh.run(
      `skopeo copy --dest-tls-verify=false --dest-no-creds oci:${v2.dir}:v2 docker://${image('tools/hello')}:anon`,
      anyone,
      { note: 'an anonymous push is refused' },
    );
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /unauthorized|authentication required/i);
    const tags = JSON.parse(
      await sh.ok(`skopeo list-tags --tls-verify=false --no-creds docker://${image('tools/hello')}`, anyone),
    ) as { Tags: string[] };
    assert.deepEqual(tags.Tags, ['v1']);
  });

  test('the login needs ecr-public:GetAuthorizationToken and sts:GetServiceBearerToken', async () => {
    const half = await user(rootA, 'half', ['ecr-public:*']);
    const r = await sh.run('aws ecr-public get-login-password --region us-east-1', half, {
      note: 'a user with ecr-public:* but not sts:GetServiceBearerToken cannot log in',
    });
    assert.notEqual(r.code, 0);
    assert.ok(
      r.stderr.includes(
        deniedSentence(`arn:aws:iam::${A}:user/half`, 'sts:GetServiceBearerToken', '*', 'no-identity'),
      ),
      r.stderr,
    );
  });

  test("B's pusher is denied until A's repository policy names B; then B's image is public", async () => {
    const pusher = await user(rootB, 'pusher', ['ecr-public:*', 'sts:GetServiceBearerToken']);
    const ref = `${image('tools/hello')}:v2`;
    const denied = await push(pusher, v2, ref, "B's pusher pushes to A's repository, no policy names B");
    assert.notEqual(denied.code, 0);
    const resource = `arn:aws:ecr-public::${A}:repository/tools/hello`;
    assert.ok(
      denied.stderr.includes(
        deniedSentence(
          `arn:aws:iam::${B}:user/pusher`,
          'ecr-public:InitiateLayerUpload',
          resource,
          'no-resource',
        ),
      ) ||
        denied.stderr.includes(
          deniedSentence(`arn:aws:iam::${B}:user/pusher`, 'ecr-public:PutImage', resource, 'no-resource'),
        ),
      denied.stderr,
    );
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'PartnerPush',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${B}:root` },
          Action: [
            'ecr-public:BatchCheckLayerAvailability',
            'ecr-public:InitiateLayerUpload',
            'ecr-public:UploadLayerPart',
            'ecr-public:CompleteLayerUpload',
            'ecr-public:PutImage',
          ],
        },
      ],
    });
    await sh.ok(
      `aws ecr-public set-repository-policy --region us-east-1 --repository-name tools/hello --policy-text '${policy}'`,
      rootA,
      { note: "A's repository policy lets account B push" },
    );
    const pushed = await push(pusher, v2, ref, "B's pusher pushes again");
    assert.equal(pushed.code, 0, pushed.stderr);
    const pulled = await sh.run(
      `skopeo copy --src-tls-verify=false --src-no-creds docker://${ref} oci:${sh.pulled('anon2')}:v2`,
      anyone,
    );
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.equal(await layoutDigest(sh.pulled('anon2'), 'v2'), v2.manifestDigest);
  });

  test('a private repository whose policy allows Principal "*" is still not anonymous', async () => {
    await sh.ok(
      `aws ecr create-repository --repository-name internal/app >/dev/null
aws ecr set-repository-policy --repository-name internal/app --policy-text '${JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: '*',
            Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'],
          },
        ],
      })}' >/dev/null
aws ecr get-login-password | skopeo login --tls-verify=false --username AWS --password-stdin ${sh.registry} >/dev/null
skopeo copy --dest-tls-verify=false oci:${v1.dir}:v1 docker://${sh.registry}/${A}/internal/app:v1`,
      rootA,
      { note: 'A makes a private repository with a Principal "*" policy' },
    );
    const anon = await sh.run(
      `skopeo copy --src-tls-verify=false --src-no-creds docker://${sh.registry}/${A}/internal/app:v1 oci:${sh.pulled('private-anon')}:v1`,
      anyone,
      { note: 'an anonymous pull of the private repository' },
    );
    assert.notEqual(anon.code, 0);
    assert.match(anon.stderr, /unauthorized|authentication required/i);
    // Any authenticated AWS identity is "*": B's user with a pull policy of its own pulls.
    const reader = await user(rootB, 'reader', [
      'ecr:GetAuthorizationToken',
      'ecr:BatchGetImage',
      'ecr:GetDownloadUrlForLayer',
    ]);
    const authed = await sh.run(
      `aws ecr get-login-password | skopeo login --tls-verify=false --username AWS --password-stdin ${sh.registry} >/dev/null
skopeo copy --src-tls-verify=false docker://${sh.registry}/${A}/internal/app:v1 oci:${sh.pulled('private-b')}:v1`,
      reader,
      { note: 'an authenticated identity of another account pulls it' },
    );
    assert.equal(authed.code, 0, authed.stderr);
    assert.equal(await layoutDigest(sh.pulled('private-b'), 'v1'), v1.manifestDigest);
  });

  test("another crossdock's pull-through cache serves A's public image (ECR's public.ecr.aws upstream, here)", async () => {
    const other = await startServer();
    try {
      const C = '333333333333';
      const keys = await other.createAccount('mirror', C);
      const ecr = ecrClient(other.endpoint, keys);
      try {
        await ecr.send(
          new CreatePullThroughCacheRuleCommand({
            ecrRepositoryPrefix: 'ecr-public',
            upstreamRegistryUrl: sh.registry,
            upstreamRepositoryPrefix: 'public',
          }),
        );
      } finally {
        ecr.destroy();
      }
      const mirror = await SeedShell.create(other.endpoint, 'public-repositories-mirror');
      const root = await mirror.identity('rootC', keyEnv(keys));
      const ref = `${mirror.registry}/${C}/ecr-public/${alias}/tools/hello:v1`;
      const r = await mirror.run(
        `aws ecr get-login-password | skopeo login --tls-verify=false --username AWS --password-stdin ${mirror.registry} >/dev/null
skopeo copy --src-tls-verify=false docker://${ref} oci:${mirror.pulled('mirrored')}:v1`,
        root,
        { note: "a second crossdock pulls A's public image through its cache" },
      );
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await layoutDigest(mirror.pulled('mirrored'), 'v1'), v1.manifestDigest);
    } finally {
      await other.stop();
    }
  });

  test('deleting the public repository (force) takes its images; pulls then find no name', async () => {
    await sh.ok(
      'aws ecr-public delete-repository --region us-east-1 --repository-name tools/hello --force',
      rootA,
      {
        note: 'A deletes the public repository',
      },
    );
    const r = await sh.run(
      `skopeo inspect --tls-verify=false --no-creds docker://${image('tools/hello')}:v1`,
      anyone,
    );
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /name unknown|not found|manifest unknown/i);
  });
});
