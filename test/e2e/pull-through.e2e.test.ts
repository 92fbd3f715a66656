// The pull-through cache end to end, with the real AWS CLI v2 and skopeo: Debian's docker-registry
// on loopback is the upstream, a rule maps crossdock's `mirror/` to it, and skopeo pulls
// `HOST/<account>/mirror/library/app:v1` from crossdock. The first pull needs
// ecr:BatchImportUpstreamImage and ecr:CreateRepository besides the pull permissions, creates the
// repository and brings the image in; later pulls are served from the cache even with the upstream
// stopped; a tag moved upstream is seen again only after its 24-hour refresh (injected clock).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import {
  ECRClient,
  GetAuthorizationTokenCommand,
  ValidatePullThroughCacheRuleCommand,
} from '@aws-sdk/client-ecr';
import { ecrClient } from '../helpers/ecr.js';
import { makeOciLayout, type OciLayout } from '../helpers/image.js';
import { distributionMissing, startDistribution, type Distribution } from '../helpers/distribution.js';
import { deniedSentence, layoutDigest, seedClientsMissing, SeedShell } from '../helpers/seedShell.js';
import { startServer, type AccountCredentials, type TestServer } from '../helpers/server.js';

const A = '111111111111';
const HOUR = 3600_000;
const skip = seedClientsMissing ?? distributionMissing;

const policy = (actions: string[]) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }],
  });
const PULL = ['ecr:GetAuthorizationToken', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'];
const IMPORT = [...PULL, 'ecr:BatchImportUpstreamImage', 'ecr:CreateRepository'];

describe('pull-through cache from a loopback CNCF distribution', { skip: skip ?? false }, () => {
  let t: TestServer;
  let upstream: Distribution;
  let sh: SeedShell;
  let root: Record<string, string>;
  let puller: Record<string, string>;
  let pullerKey: { AccessKeyId: string; SecretAccessKey: string };
  let rootKeys: AccountCredentials;
  let v1: OciLayout;
  let v1b: OciLayout;
  let advanced = 0;
  const clock = { now: () => Date.now() + advanced };
  const image = () => `${sh.registry}/${A}/mirror/library/app`;

  /**
   * skopeo pulls `tag` from crossdock as the puller, into a fresh layout; answers the result. Once
   * the server's clock runs ahead, the token comes from the SDK told the same offset (the CLI signs
   * with the machine's clock, which the server would refuse as skewed).
   */
  const pull = async (tag: string, into: string) => {
    let password = '"$(aws ecr get-login-password)"';
    if (advanced !== 0) {
      const ecr = new ECRClient({
        endpoint: t.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: pullerKey.AccessKeyId, secretAccessKey: pullerKey.SecretAccessKey },
        systemClockOffset: advanced,
      });
      try {
        const out = await ecr.send(new GetAuthorizationTokenCommand({}));
        const token = Buffer.from(out.authorizationData![0]!.authorizationToken!, 'base64').toString();
        password = `'${token.slice('AWS:'.length)}'`;
      } finally {
        ecr.destroy();
      }
    }
    return sh.run(
      `skopeo login --tls-verify=false -u AWS -p ${password} ${sh.registry} >/dev/null
skopeo copy --src-tls-verify=false docker://${image()}:${tag} oci:${sh.pulled(into)}:${tag}`,
      puller,
      { note: `the puller pulls mirror/library/app:${tag}` },
    );
  };

  before(async () => {
    if (skip !== undefined) return;
    upstream = await startDistribution();
    t = await startServer({ clock });
    sh = await SeedShell.create(t.endpoint, 'pull-through');
    const keys: AccountCredentials = await t.createAccount('cache', A);
    rootKeys = keys;
    root = await sh.identity('root', {
      AWS_ACCESS_KEY_ID: keys.AccessKeyId,
      AWS_SECRET_ACCESS_KEY: keys.SecretAccessKey,
    });
    v1 = await makeOciLayout([{ 'hello.txt': 'first' }], 'v1');
    v1b = await makeOciLayout([{ 'hello.txt': 'second' }], 'v1');
    await sh.ok(
      `skopeo copy --dest-tls-verify=false oci:${v1.dir}:v1 docker://${upstream.host}/library/app:v1`,
      root,
      { note: 'the upstream registry has library/app:v1' },
    );
    await sh.ok(
      `aws iam create-user --user-name puller >/dev/null
aws iam put-user-policy --user-name puller --policy-name pull --policy-document '${policy(PULL)}'`,
      root,
    );
    pullerKey = JSON.parse(
      await sh.ok('aws iam create-access-key --user-name puller --query AccessKey', root),
    ) as { AccessKeyId: string; SecretAccessKey: string };
    puller = await sh.identity('puller', {
      AWS_ACCESS_KEY_ID: pullerKey.AccessKeyId,
      AWS_SECRET_ACCESS_KEY: pullerKey.SecretAccessKey,
    });
  });

  after(async () => {
    await upstream?.close();
    await t?.stop();
    for (const l of [v1, v1b]) if (l !== undefined) await rm(l.dir, { recursive: true, force: true });
  });

  test('a rule is created, described and validated against the upstream', async () => {
    const created = JSON.parse(
      await sh.ok(
        `aws ecr create-pull-through-cache-rule --ecr-repository-prefix mirror --upstream-registry-url ${upstream.host}`,
        root,
        { note: 'crossdock mirror/ pulls through from the loopback registry' },
      ),
    ) as Record<string, unknown>;
    assert.equal(created.ecrRepositoryPrefix, 'mirror');
    assert.equal(created.upstreamRegistryUrl, upstream.host);
    assert.equal(created.registryId, A);
    const again = await sh.run(
      `aws ecr create-pull-through-cache-rule --ecr-repository-prefix mirror --upstream-registry-url ${upstream.host}`,
      root,
    );
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /PullThroughCacheRuleAlreadyExistsException/);
    const rules = JSON.parse(
      await sh.ok('aws ecr describe-pull-through-cache-rules --query pullThroughCacheRules', root),
    ) as { ecrRepositoryPrefix: string }[];
    assert.deepEqual(
      rules.map((r) => r.ecrRepositoryPrefix),
      ['mirror'],
    );
    // Debian's CLI (2.9) predates ValidatePullThroughCacheRule: the SDK asks.
    const ecr = ecrClient(t.endpoint, rootKeys);
    try {
      const valid = await ecr.send(
        new ValidatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'mirror' }),
      );
      assert.equal(valid.isValid, true);
      assert.equal(valid.upstreamRegistryUrl, upstream.host);
    } finally {
      ecr.destroy();
    }
    const missing = await sh.run('aws ecr delete-pull-through-cache-rule --ecr-repository-prefix nope', root);
    assert.match(missing.stderr, /PullThroughCacheRuleNotFoundException/);
  });

  test('a first pull without ecr:BatchImportUpstreamImage and ecr:CreateRepository is denied and creates nothing', async () => {
    const r = await pull('v1', 'denied');
    assert.notEqual(r.code, 0);
    const resource = `arn:aws:ecr:us-east-1:${A}:repository/mirror/library/app`;
    assert.ok(
      r.stderr.includes(
        deniedSentence(`arn:aws:iam::${A}:user/puller`, 'ecr:CreateRepository', resource, 'no-identity'),
      ),
      r.stderr,
    );
    const repos = await sh.ok('aws ecr describe-repositories --query "repositories[].repositoryName"', root);
    assert.deepEqual(JSON.parse(repos), []);
  });

  test('with them, the first pull creates the repository and brings the image in, digests intact', async () => {
    await sh.ok(
      `aws iam put-user-policy --user-name puller --policy-name pull --policy-document '${policy(IMPORT)}'`,
      root,
    );
    const r = await pull('v1', 'first');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await layoutDigest(sh.pulled('first'), 'v1'), v1.manifestDigest);
    const images = JSON.parse(
      await sh.ok(
        'aws ecr describe-images --repository-name mirror/library/app --query "imageDetails[].[imageDigest,imageTags[0]]"',
        root,
        { note: 'the cached image is an ordinary image of the new repository' },
      ),
    ) as string[][];
    assert.deepEqual(images, [[v1.manifestDigest, 'v1']]);
  });

  test('later pulls are served from the cache, with the upstream stopped', async () => {
    await upstream.stop();
    try {
      const r = await pull('v1', 'cached');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await layoutDigest(sh.pulled('cached'), 'v1'), v1.manifestDigest);
      const miss = await pull('v9', 'uncached');
      assert.notEqual(miss.code, 0, 'a tag never cached cannot come from a stopped upstream');
    } finally {
      await upstream.start();
    }
  });

  test('a tag moved upstream is refreshed only after 24 hours', async () => {
    await sh.ok(
      `skopeo copy --dest-tls-verify=false oci:${v1b.dir}:v1 docker://${upstream.host}/library/app:v1`,
      root,
      { note: 'upstream moves library/app:v1 to new content' },
    );
    const soon = await pull('v1', 'soon');
    assert.equal(soon.code, 0, soon.stderr);
    assert.equal(await layoutDigest(sh.pulled('soon'), 'v1'), v1.manifestDigest, 'within 24 hours: cached');
    advanced += 24 * HOUR + 60_000;
    const later = await pull('v1', 'later');
    assert.equal(later.code, 0, later.stderr);
    assert.equal(
      await layoutDigest(sh.pulled('later'), 'v1'),
      v1b.manifestDigest,
      'after 24 hours: refreshed',
    );
  });
});
