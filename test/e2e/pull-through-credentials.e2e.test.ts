// A pull-through cache rule whose upstream needs credentials, end to end with the real AWS CLI v2,
// the SDK (Debian's CLI 2.9 predates `--credential-arn` and ValidatePullThroughCacheRule) and
// skopeo. The upstream is a SECOND crossdock: account U keeps team/app:v1 in a private repository
// that only its user `upuller` may pull; its registry wants HTTP Basic `AWS:<get-login-password>`.
// On the cache server, account A keeps that password in Secrets Manager
// (`ecr-pullthroughcache/upstream`, `{"username": "AWS", "accessToken": ...}`) and its rule `up/`
// names the secret. A rule naming no such secret, or a secret without the prefix, is refused; with
// a token the upstream refuses, validation says so and the pull fails as ECR fails it (`manifest
// unknown` with the reason); after `put-secret-value` with a good token, the next pull works.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import {
  CreatePullThroughCacheRuleCommand,
  ValidatePullThroughCacheRuleCommand,
  type ECRClient,
} from '@aws-sdk/client-ecr';
import { ecrClient } from '../helpers/ecr.js';
import { makeOciLayout, type OciLayout } from '../helpers/image.js';
import { layoutDigest, seedClientsMissing, SeedShell } from '../helpers/seedShell.js';
import { startServer, type AccountCredentials, type TestServer } from '../helpers/server.js';

const A = '111111111111';
const U = '333333333333';
const SECRET = 'ecr-pullthroughcache/upstream';

const policy = (actions: string[], resource = '*') =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: actions, Resource: resource }],
  });
const PULL = ['ecr:GetAuthorizationToken', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'];
const IMPORT = [...PULL, 'ecr:BatchImportUpstreamImage', 'ecr:CreateRepository'];
const creds = (token: string) => JSON.stringify({ username: 'AWS', accessToken: token });

describe(
  'pull-through cache with upstream credentials in Secrets Manager',
  { skip: seedClientsMissing ?? false },
  () => {
    let upstream: TestServer;
    let cache: TestServer;
    let up: SeedShell;
    let sh: SeedShell;
    let upRoot: Record<string, string>;
    let upPuller: Record<string, string>;
    let root: Record<string, string>;
    let puller: Record<string, string>;
    let rootKeys: AccountCredentials;
    let ecr: ECRClient;
    let image: OciLayout;
    let secretArn: string;
    let goodToken: string;

    const pull = (into: string) =>
      sh.run(
        `skopeo login --tls-verify=false -u AWS -p "$(aws ecr get-login-password)" ${sh.registry} >/dev/null
skopeo copy --src-tls-verify=false docker://${sh.registry}/${A}/up/${U}/team/app:v1 oci:${sh.pulled(into)}:v1`,
        puller,
        { note: `the puller pulls up/${U}/team/app:v1 through the cache` },
      );
    const createRule = (credentialArn: string) =>
      ecr.send(
        new CreatePullThroughCacheRuleCommand({
          ecrRepositoryPrefix: 'up',
          upstreamRegistryUrl: up.registry,
          credentialArn,
        }),
      );
    const refusal = async (p: Promise<unknown>): Promise<string> => {
      try {
        await p;
      } catch (e) {
        return (e as Error).name;
      }
      return 'accepted';
    };

    before(async () => {
      if (seedClientsMissing !== undefined) return;
      upstream = await startServer();
      up = await SeedShell.create(upstream.endpoint, 'pull-through-credentials-upstream');
      const uKeys = await upstream.createAccount('upstream', U);
      upRoot = await up.identity('upstream-root', {
        AWS_ACCESS_KEY_ID: uKeys.AccessKeyId,
        AWS_SECRET_ACCESS_KEY: uKeys.SecretAccessKey,
      });
      image = await makeOciLayout([{ 'hello.txt': 'behind credentials' }], 'v1');
      await up.ok(
        `aws ecr create-repository --repository-name team/app >/dev/null
skopeo login --tls-verify=false -u AWS -p "$(aws ecr get-login-password)" ${up.registry} >/dev/null
skopeo copy --dest-tls-verify=false oci:${image.dir}:v1 docker://${up.registry}/${U}/team/app:v1
aws iam create-user --user-name upuller >/dev/null
aws iam put-user-policy --user-name upuller --policy-name pull --policy-document '${policy(PULL)}'`,
        upRoot,
        { note: 'the upstream crossdock keeps team/app:v1 privately; upuller may pull it' },
      );
      const upKey = JSON.parse(
        await up.ok('aws iam create-access-key --user-name upuller --query AccessKey', upRoot),
      ) as { AccessKeyId: string; SecretAccessKey: string };
      upPuller = await up.identity('upuller', {
        AWS_ACCESS_KEY_ID: upKey.AccessKeyId,
        AWS_SECRET_ACCESS_KEY: upKey.SecretAccessKey,
      });
      goodToken = await up.ok('aws ecr get-login-password', upPuller);

      cache = await startServer();
      sh = await SeedShell.create(cache.endpoint, 'pull-through-credentials');
      rootKeys = await cache.createAccount('cache', A);
      root = await sh.identity('root', {
        AWS_ACCESS_KEY_ID: rootKeys.AccessKeyId,
        AWS_SECRET_ACCESS_KEY: rootKeys.SecretAccessKey,
      });
      await sh.ok(
        `aws iam create-user --user-name puller >/dev/null
aws iam put-user-policy --user-name puller --policy-name pull --policy-document '${policy(IMPORT)}'`,
        root,
      );
      const key = JSON.parse(
        await sh.ok('aws iam create-access-key --user-name puller --query AccessKey', root),
      ) as { AccessKeyId: string; SecretAccessKey: string };
      puller = await sh.identity('puller', {
        AWS_ACCESS_KEY_ID: key.AccessKeyId,
        AWS_SECRET_ACCESS_KEY: key.SecretAccessKey,
      });
      ecr = ecrClient(cache.endpoint, rootKeys);
    });

    after(async () => {
      ecr?.destroy();
      await cache?.stop();
      await upstream?.stop();
      if (image !== undefined) await rm(image.dir, { recursive: true, force: true });
    });

    test('a rule naming no secret, or a secret without the ecr-pullthroughcache/ prefix, is refused', async () => {
      const missing = `arn:aws:secretsmanager:us-east-1:${A}:secret:${SECRET}-AbCdEf`;
      assert.equal(await refusal(createRule(missing)), 'SecretNotFoundException');
      const other = JSON.parse(
        await sh.ok(
          `aws secretsmanager create-secret --name upstream-creds --secret-string '${creds(goodToken)}'`,
          root,
          {
            note: 'a secret whose name lacks the prefix ECR requires',
          },
        ),
      ) as { ARN: string };
      assert.equal(await refusal(createRule(other.ARN)), 'InvalidParameterException');
      const rules = JSON.parse(
        await sh.ok('aws ecr describe-pull-through-cache-rules --query pullThroughCacheRules', root),
      ) as unknown[];
      assert.deepEqual(rules, []);
    });

    test('with a token the upstream refuses, validation says so and the pull fails as ECR fails it', async () => {
      const made = JSON.parse(
        await sh.ok(
          `aws secretsmanager create-secret --name ${SECRET} --secret-string '${creds('not-a-valid-token')}'`,
          root,
          { note: 'the upstream credentials, with a bad token' },
        ),
      ) as { ARN: string; Name: string };
      secretArn = made.ARN;
      assert.match(
        secretArn,
        new RegExp(`^arn:aws:secretsmanager:us-east-1:${A}:secret:${SECRET}-[A-Za-z0-9]{6}$`),
      );
      const rule = await createRule(secretArn);
      assert.equal(rule.credentialArn, secretArn);
      const valid = await ecr.send(new ValidatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'up' }));
      assert.equal(valid.isValid, false);
      assert.match(valid.failure ?? '', /did not accept the credentials/);
      const r = await pull('bad');
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /manifest unknown/i);
      assert.doesNotMatch(r.stderr, /not-a-valid-token/);
      const repos = await sh.ok(
        'aws ecr describe-repositories --query "repositories[].repositoryName"',
        root,
      );
      assert.deepEqual(JSON.parse(repos), [], 'nothing was created');
    });

    test('after put-secret-value with a good token, the next pull brings the image in', async () => {
      await sh.ok(
        `aws secretsmanager put-secret-value --secret-id ${SECRET} --secret-string '${creds(goodToken)}' >/dev/null`,
        root,
        {
          note: "rotate the secret to upuller's registry password",
        },
      );
      const valid = await ecr.send(new ValidatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'up' }));
      assert.equal(valid.isValid, true, valid.failure);
      const r = await pull('good');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await layoutDigest(sh.pulled('good'), 'v1'), image.manifestDigest);
      const stages = JSON.parse(
        await sh.ok(
          `aws secretsmanager describe-secret --secret-id ${SECRET} --query VersionIdsToStages`,
          root,
        ),
      ) as Record<string, string[]>;
      assert.deepEqual(Object.values(stages).sort(), [['AWSCURRENT'], ['AWSPREVIOUS']]);
    });

    test('a secret scheduled for deletion answers InvalidRequestException and stops new imports', async () => {
      await sh.ok(
        `aws secretsmanager delete-secret --secret-id ${secretArn} --recovery-window-in-days 7 >/dev/null`,
        root,
      );
      const get = await sh.run(`aws secretsmanager get-secret-value --secret-id ${SECRET}`, root);
      assert.notEqual(get.code, 0);
      assert.match(get.stderr, /InvalidRequestException/);
      const valid = await ecr.send(new ValidatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'up' }));
      assert.equal(valid.isValid, false);
      // The image already cached is still served.
      const r = await pull('cached');
      assert.equal(r.code, 0, r.stderr);
    });
  },
);
