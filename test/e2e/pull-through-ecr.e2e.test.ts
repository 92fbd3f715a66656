// ECR to ECR pull-through cache end to end, with the real AWS CLI v2, the SDK (Debian's CLI 2.9
// predates `--custom-role-arn` and ValidatePullThroughCacheRule) and skopeo. Account A (the
// upstream) holds team/app in us-east-1 and team/west in us-west-2; account B makes the role AWS's
// documentation describes (trusting pullthroughcache.ecr.amazonaws.com, allowed the pull actions)
// and rules with upstreamRegistry `ecr` and that role; B's puller pulls through B's prefixes with
// skopeo. The upstream is the same crossdock server, read as B's role: A's registry policy must
// grant B, or the pull fails as ECR fails it (`manifest unknown: Requested image not found`); a
// role whose trust policy does not name the service cannot be used; once imported, pulls are
// served from B's cache even with A's repository gone.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import {
  CreatePullThroughCacheRuleCommand,
  DescribePullThroughCacheRulesCommand,
  ValidatePullThroughCacheRuleCommand,
  type ECRClient,
} from '@aws-sdk/client-ecr';
import { ecrClient } from '../helpers/ecr.js';
import { makeOciLayout, type OciLayout } from '../helpers/image.js';
import { layoutDigest, seedClientsMissing, SeedShell } from '../helpers/seedShell.js';
import { startServer, type AccountCredentials, type TestServer } from '../helpers/server.js';

const A = '111111111111';
const B = '222222222222';
const WEST = 'us-west-2';
const SERVICE = 'pullthroughcache.ecr.amazonaws.com';

const json = (v: unknown) => JSON.stringify(v);
const trust = (service: string) =>
  json({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }],
  });
/** The role's permissions policy from AWS's "Setting up permissions for cross-account ECR to ECR PTC". */
const ROLE_POLICY = json({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: [
        'ecr:GetDownloadUrlForLayer',
        'ecr:GetAuthorizationToken',
        'ecr:BatchImportUpstreamImage',
        'ecr:BatchGetImage',
        'ecr:GetImageCopyStatus',
        'ecr:InitiateLayerUpload',
        'ecr:UploadLayerPart',
        'ecr:CompleteLayerUpload',
        'ecr:PutImage',
      ],
      Resource: '*',
    },
  ],
});
/** The upstream registry policy from the same page, granting the cache account B. */
const upstreamPolicy = (region: string) =>
  json({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'PullThroughCacheFromB',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${B}:root` },
        Action: [
          'ecr:BatchGetImage',
          'ecr:GetDownloadUrlForLayer',
          'ecr:BatchImportUpstreamImage',
          'ecr:GetImageCopyStatus',
        ],
        Resource: `arn:aws:ecr:${region}:${A}:repository/*`,
      },
    ],
  });
const PULLER = json({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: [
        'ecr:GetAuthorizationToken',
        'ecr:BatchGetImage',
        'ecr:GetDownloadUrlForLayer',
        'ecr:BatchImportUpstreamImage',
        'ecr:CreateRepository',
      ],
      Resource: '*',
    },
  ],
});

describe(
  'pull-through cache from another account and region of the same server (ECR to ECR)',
  {
    skip: seedClientsMissing ?? false,
  },
  () => {
    let t: TestServer;
    let sh: SeedShell;
    let rootA: Record<string, string>;
    let rootB: Record<string, string>;
    let puller: Record<string, string>;
    let keysB: AccountCredentials;
    let ecrB: ECRClient;
    let app: OciLayout;
    let west: OciLayout;
    const roleArn = (name: string) => `arn:aws:iam::${B}:role/${name}`;

    /** skopeo pulls `<B>/<name>:<tag>` from crossdock as B's puller into a fresh layout. */
    const pull = (name: string, tag: string, into: string, note?: string) =>
      sh.run(
        `skopeo login --tls-verify=false -u AWS -p "$(aws ecr get-login-password)" ${sh.registry} >/dev/null
skopeo copy --src-tls-verify=false docker://${sh.registry}/${B}/${name}:${tag} oci:${sh.pulled(into)}:${tag}`,
        puller,
        { note: note ?? `B's puller pulls ${name}:${tag}` },
      );

    /** B's repositories, by name. */
    const reposOfB = async (): Promise<string[]> =>
      JSON.parse(
        await sh.ok('aws ecr describe-repositories --query "repositories[].repositoryName"', rootB),
      ) as string[];

    before(async () => {
      if (seedClientsMissing !== undefined) return;
      t = await startServer();
      sh = await SeedShell.create(t.endpoint, 'pull-through-ecr');
      const keysA = await t.createAccount('upstream', A);
      keysB = await t.createAccount('cache', B);
      rootA = await sh.identity('root-a', {
        AWS_ACCESS_KEY_ID: keysA.AccessKeyId,
        AWS_SECRET_ACCESS_KEY: keysA.SecretAccessKey,
      });
      rootB = await sh.identity('root-b', {
        AWS_ACCESS_KEY_ID: keysB.AccessKeyId,
        AWS_SECRET_ACCESS_KEY: keysB.SecretAccessKey,
      });
      ecrB = ecrClient(t.endpoint, keysB);
      app = await makeOciLayout([{ 'app.txt': 'from account A' }], 'v1');
      west = await makeOciLayout([{ 'west.txt': 'from account A in us-west-2' }], 'v1');
      await sh.ok(
        `aws ecr create-repository --repository-name team/app >/dev/null
skopeo login --tls-verify=false -u AWS -p "$(aws ecr get-login-password)" ${sh.registry} >/dev/null
skopeo copy --dest-tls-verify=false oci:${app.dir}:v1 docker://${sh.registry}/${A}/team/app:v1
aws ecr create-repository --region ${WEST} --repository-name team/west >/dev/null
skopeo login --tls-verify=false -u AWS -p "$(aws ecr get-login-password --region ${WEST})" ${sh.registry} >/dev/null
skopeo copy --dest-tls-verify=false oci:${west.dir}:v1 docker://${sh.registry}/${A}.${WEST}/team/west:v1`,
        rootA,
        { note: 'account A (the upstream) pushes team/app:v1 in us-east-1 and team/west:v1 in us-west-2' },
      );
      await sh.ok(
        `aws iam create-role --role-name ptc-reader --assume-role-policy-document '${trust(SERVICE)}' >/dev/null
aws iam put-role-policy --role-name ptc-reader --policy-name pull-upstream --policy-document '${ROLE_POLICY}'
aws iam create-role --role-name ec2-reader --assume-role-policy-document '${trust('ec2.amazonaws.com')}' >/dev/null
aws iam put-role-policy --role-name ec2-reader --policy-name pull-upstream --policy-document '${ROLE_POLICY}'
aws iam create-user --user-name puller >/dev/null
aws iam put-user-policy --user-name puller --policy-name pull --policy-document '${PULLER}'`,
        rootB,
        {
          note: 'account B makes the pull-through role (trusting the ECR service), a wrongly trusted one, and a puller',
        },
      );
      const key = JSON.parse(
        await sh.ok('aws iam create-access-key --user-name puller --query AccessKey', rootB),
      ) as { AccessKeyId: string; SecretAccessKey: string };
      puller = await sh.identity('puller', {
        AWS_ACCESS_KEY_ID: key.AccessKeyId,
        AWS_SECRET_ACCESS_KEY: key.SecretAccessKey,
      });
    });

    after(async () => {
      ecrB?.destroy();
      await t?.stop();
      for (const l of [app, west]) if (l !== undefined) await rm(l.dir, { recursive: true, force: true });
    });

    test('rules with upstreamRegistry ecr and a custom role are created, described and validated', async () => {
      const rules = [
        { prefix: 'ecr-a', region: 'us-east-1', role: 'ptc-reader' },
        { prefix: 'ecr-a-west', region: WEST, role: 'ptc-reader' },
        { prefix: 'ecr-a-ec2', region: 'us-east-1', role: 'ec2-reader' },
      ];
      for (const r of rules) {
        const out = await ecrB.send(
          new CreatePullThroughCacheRuleCommand({
            ecrRepositoryPrefix: r.prefix,
            upstreamRegistry: 'ecr',
            upstreamRegistryUrl: `${A}.dkr.ecr.${r.region}.amazonaws.com`,
            customRoleArn: roleArn(r.role),
          }),
        );
        assert.equal(out.customRoleArn, roleArn(r.role));
        assert.equal(out.upstreamRegistry, 'ecr');
      }
      const described = JSON.parse(
        await sh.ok(
          'aws ecr describe-pull-through-cache-rules --query "pullThroughCacheRules[].[ecrRepositoryPrefix,upstreamRegistryUrl]"',
          rootB,
          { note: "B's rules read A's registries" },
        ),
      ) as string[][];
      assert.deepEqual(described, [
        ['ecr-a', `${A}.dkr.ecr.us-east-1.amazonaws.com`],
        ['ecr-a-ec2', `${A}.dkr.ecr.us-east-1.amazonaws.com`],
        ['ecr-a-west', `${A}.dkr.ecr.${WEST}.amazonaws.com`],
      ]);
      // CLI 2.9's model has no upstreamRegistry nor customRoleArn in the answer: the SDK reads them.
      const sdk = await ecrB.send(
        new DescribePullThroughCacheRulesCommand({ ecrRepositoryPrefixes: ['ecr-a'] }),
      );
      assert.equal(sdk.pullThroughCacheRules?.[0]?.upstreamRegistry, 'ecr');
      assert.equal(sdk.pullThroughCacheRules?.[0]?.customRoleArn, roleArn('ptc-reader'));
      const ok = await ecrB.send(new ValidatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'ecr-a' }));
      assert.equal(ok.isValid, true, ok.failure);
      const bad = await ecrB.send(
        new ValidatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'ecr-a-ec2' }),
      );
      assert.equal(bad.isValid, false);
      assert.match(bad.failure ?? '', /trust policy does not allow pullthroughcache\.ecr\.amazonaws\.com/);
    });

    test('a rule naming a role of another account is refused', async () => {
      const r = await ecrClient(t.endpoint, keysB)
        .send(
          new CreatePullThroughCacheRuleCommand({
            ecrRepositoryPrefix: 'ecr-x',
            upstreamRegistry: 'ecr',
            upstreamRegistryUrl: `${A}.dkr.ecr.us-east-1.amazonaws.com`,
            customRoleArn: `arn:aws:iam::${A}:role/ptc-reader`,
          }),
        )
        .then(
          () => undefined,
          (e: Error) => e,
        );
      assert.equal(r?.name, 'InvalidParameterException');
    });

    test("without a policy of A granting B, the role may not read A's repository: the pull fails as in ECR", async () => {
      const r = await pull('ecr-a/team/app', 'v1', 'denied', 'the pull fails: A has not granted B');
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /manifest unknown/);
      assert.match(r.stderr, /Requested image not found/);
      assert.deepEqual(await reposOfB(), [], 'nothing was created or imported');
    });

    test('a role whose trust policy does not name the pull-through cache service cannot be used', async () => {
      await sh.ok(
        `aws ecr put-registry-policy --policy-text '${upstreamPolicy('us-east-1')}' >/dev/null`,
        rootA,
      );
      const r = await pull('ecr-a-ec2/team/app', 'v1', 'ec2', 'the rule whose role trusts only EC2');
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /manifest unknown/);
      assert.match(r.stderr, /cannot assume the role/);
      assert.deepEqual(await reposOfB(), []);
    });

    test("once A's registry policy grants B, the first pull imports the image, digests intact", async () => {
      await sh.ok(
        `aws ecr put-registry-policy --policy-text '${upstreamPolicy('us-east-1')}' --query registryId`,
        rootA,
        { note: "A's registry policy grants B the pull-through actions (AWS's documented statement)" },
      );
      const r = await pull('ecr-a/team/app', 'v1', 'first');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await layoutDigest(sh.pulled('first'), 'v1'), app.manifestDigest);
      const images = JSON.parse(
        await sh.ok(
          'aws ecr describe-images --repository-name ecr-a/team/app --query "imageDetails[].[imageDigest,imageTags[0]]"',
          rootB,
          { note: "the cached image is an ordinary image of B's new repository" },
        ),
      ) as string[][];
      assert.deepEqual(images, [[app.manifestDigest, 'v1']]);
    });

    test('another region of A is read the same way, with that region granting B', async () => {
      const denied = await pull('ecr-a-west/team/west', 'v1', 'west-denied');
      assert.notEqual(denied.code, 0, "us-east-1's registry policy does not cover us-west-2");
      await sh.ok(
        `aws ecr put-registry-policy --region ${WEST} --policy-text '${upstreamPolicy(WEST)}' >/dev/null`,
        rootA,
      );
      const r = await pull('ecr-a-west/team/west', 'v1', 'west');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await layoutDigest(sh.pulled('west'), 'v1'), west.manifestDigest);
    });

    test("later pulls are served from B's cache, even with A's repository deleted", async () => {
      await sh.ok('aws ecr delete-repository --repository-name team/app --force >/dev/null', rootA, {
        note: 'A deletes the upstream repository',
      });
      const r = await pull('ecr-a/team/app', 'v1', 'cached', 'B still pulls the cached image');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await layoutDigest(sh.pulled('cached'), 'v1'), app.manifestDigest);
      const miss = await pull('ecr-a/team/app', 'v2', 'never');
      assert.notEqual(miss.code, 0, 'a tag never cached cannot come from a deleted upstream');
      assert.match(miss.stderr, /manifest unknown/);
    });
  },
);
