import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { addAccounts, callerIn, ecrDeps, policyDoc as doc } from '../../../test/helpers/world.js';
import type { Caller } from '../../auth/caller.js';
import { parseDigest } from '../../store/blobs/BlobStore.js';
import { MemoryMetadataStore } from '../../store/meta/memory/MemoryMetadataStore.js';
import type { PullThroughCacheRule } from '../../store/meta/records.js';
import { AccessDeniedError, type ServiceError } from '../errors.js';
import { IamService } from '../iam/index.js';
import { IdFactory } from '../ids.js';
import { readSecretAsService, SecretsManagerService } from '../secretsManager/service.js';
import type { EcrDeps } from './deps.js';
import { ImageService } from './images.js';
import { LayerService } from './layers.js';
import {
  PULL_THROUGH_REFRESH_MS,
  PullThroughCache,
  ruleFor,
  upstreamBase,
  upstreamName,
} from './pullThrough.js';
import { ecrRegistryOf, PULL_THROUGH_SERVICE, PULL_THROUGH_SESSION_NAME } from './pullThroughEcr.js';
import { EcrService } from './service.js';

const T0 = new Date('2026-01-01T00:00:00Z');
const rule = (prefix: string, over: Partial<PullThroughCacheRule> = {}): PullThroughCacheRule => ({
  prefix,
  upstreamRegistryUrl: 'registry-1.docker.io',
  createdAt: T0,
  ...over,
});

test('a rule sends the path under its prefix upstream, behind the upstream prefix if it has one', () => {
  const cases = [
    {
      name: 'under the prefix',
      r: rule('docker-hub'),
      repo: 'docker-hub/library/nginx',
      up: 'library/nginx',
    },
    { name: 'the prefix alone is not under it', r: rule('docker-hub'), repo: 'docker-hub', up: undefined },
    { name: 'a longer name sharing the letters', r: rule('docker'), repo: 'docker-hub/x', up: undefined },
    { name: 'ROOT takes every name whole', r: rule('ROOT'), repo: 'team/app', up: 'team/app' },
    {
      name: 'an upstream prefix is put in front',
      r: rule('mirror', { upstreamRepositoryPrefix: 'team' }),
      repo: 'mirror/app',
      up: 'team/app',
    },
    {
      name: 'an upstream prefix of ROOT adds nothing',
      r: rule('mirror', { upstreamRepositoryPrefix: 'ROOT' }),
      repo: 'mirror/app',
      up: 'app',
    },
  ];
  for (const c of cases) assert.equal(upstreamName(c.r, c.repo), c.up, c.name);
});

test('the longest prefix holding the name wins; ROOT only when no other does', () => {
  const rules = [rule('ROOT'), rule('a'), rule('a/b'), rule('c')];
  const cases = [
    { repo: 'a/b/c', prefix: 'a/b' },
    { repo: 'a/x', prefix: 'a' },
    { repo: 'c/d', prefix: 'c' },
    { repo: 'z/y', prefix: 'ROOT' },
  ];
  for (const c of cases) assert.equal(ruleFor(rules, c.repo)?.prefix, c.prefix, c.repo);
  assert.equal(ruleFor([rule('a')], 'b/c'), undefined);
});

test('upstreams on this machine are plain HTTP unless said; others are HTTPS', () => {
  const cases = [
    { url: '127.0.0.1:5000', base: 'http://127.0.0.1:5000/' },
    { url: 'localhost:5000', base: 'http://localhost:5000/' },
    { url: 'quay.io', base: 'https://quay.io/' },
    { url: 'https://127.0.0.1:5443', base: 'https://127.0.0.1:5443/' },
    { url: 'http://registry.internal:80', base: 'http://registry.internal/' },
  ];
  for (const c of cases) assert.equal(upstreamBase(c.url).href, c.base, c.url);
});

// ---- ECR to ECR: the upstream is a registry of this server, read as the rule's role ----------
//
// Against the in-memory store, the real door and engine, and an injected clock: account A holds
// the upstream image, account B's rule `ecr-a/` reads it as B's role assumed by the pull-through
// cache service, and B's `puller` pulls `ecr-a/team/app` (the import). Each case names the one
// thing it changes from the working setup.

const A = '111111111111';
const B = '222222222222';
const EAST = 'us-east-1';
const WEST = 'us-west-2';
const T0_MS = Date.parse('2026-11-23T12:00:00.000Z');
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';
const ROLE = 'ptc-reader';
const roleArnOf = (account = B, name = ROLE) => `arn:aws:iam::${account}:role/${name}`;
const allow = (actions: string[]) => doc([{ Effect: 'Allow', Action: actions, Resource: '*' }]);
const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** AWS's documented trust policy for the rule's role. */
const TRUST_PTC = doc([
  { Effect: 'Allow', Principal: { Service: PULL_THROUGH_SERVICE }, Action: 'sts:AssumeRole' },
]);
/** AWS's documented permissions policy for the rule's role. */
const ROLE_POLICY = allow([
  'ecr:GetDownloadUrlForLayer',
  'ecr:GetAuthorizationToken',
  'ecr:BatchImportUpstreamImage',
  'ecr:BatchGetImage',
  'ecr:GetImageCopyStatus',
  'ecr:InitiateLayerUpload',
  'ecr:UploadLayerPart',
  'ecr:CompleteLayerUpload',
  'ecr:PutImage',
]);
/** AWS's documented upstream registry policy, granting the cache account. */
const upstreamPolicy = (cache = B, region = EAST) =>
  doc([
    {
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${cache}:root` },
      Action: [
        'ecr:BatchGetImage',
        'ecr:GetDownloadUrlForLayer',
        'ecr:BatchImportUpstreamImage',
        'ecr:GetImageCopyStatus',
      ],
      Resource: `arn:aws:ecr:${region}:${A}:repository/*`,
    },
  ]);
const PULLER = allow([
  'ecr:GetAuthorizationToken',
  'ecr:BatchGetImage',
  'ecr:GetDownloadUrlForLayer',
  'ecr:BatchImportUpstreamImage',
  'ecr:CreateRepository',
]);

class EcrWorld {
  now = T0_MS;
  readonly clock = { now: () => this.now };
  readonly store = new MemoryMetadataStore();
  readonly deps: EcrDeps;
  readonly ecr: EcrService;
  readonly iam: IamService;
  readonly images: ImageService;
  readonly ptc: PullThroughCache;
  private n = 0;

  constructor() {
    this.deps = ecrDeps({
      store: this.store,
      clock: this.clock,
      ids: new IdFactory({ bytes: (k) => Buffer.alloc(k, ++this.n % 256) }),
      region: EAST,
    });
    this.ecr = new EcrService(this.deps);
    this.iam = new IamService(this.deps);
    this.images = new ImageService(this.deps);
    this.ptc = new PullThroughCache(this.deps, this.images, new LayerService(this.deps));
  }

  /** Accounts A and B, A's `team/app:v1` in us-east-1 and us-west-2, and B's rule's role. */
  static async create(
    opts: { trust?: string; rolePolicy?: string; upstreamPolicy?: string | null } = {},
  ): Promise<EcrWorld> {
    const w = new EcrWorld();
    await addAccounts(w.store, [A, B], T0_MS);
    await w.iam.createRole(await w.root(B), {
      RoleName: ROLE,
      AssumeRolePolicyDocument: opts.trust ?? TRUST_PTC,
    });
    await w.iam.putRolePolicy(await w.root(B), {
      RoleName: ROLE,
      PolicyName: 'pull-upstream',
      PolicyDocument: opts.rolePolicy ?? ROLE_POLICY,
    });
    if (opts.upstreamPolicy !== null)
      await w.ecr.putRegistryPolicy(await w.root(A), { policyText: opts.upstreamPolicy ?? upstreamPolicy() });
    return w;
  }

  root(accountId: string, region = EAST): Promise<Caller> {
    return callerIn(this.store, accountId, { kind: 'root' }, { region });
  }

  async user(name: string, policy: string, accountId = B, region = EAST): Promise<Caller> {
    await this.iam.createUser(await this.root(accountId), { UserName: name });
    await this.iam.putUserPolicy(await this.root(accountId), {
      UserName: name,
      PolicyName: 'p',
      PolicyDocument: policy,
    });
    const user = (await this.store.users.get(accountId, name))!;
    return callerIn(this.store, accountId, { kind: 'user', user }, { region });
  }

  /** Pushes an image of one stored layer to `name:tag` in A's registry of `region`; its digest. */
  async pushUpstream(name: string, tag: string, label: string, region = EAST): Promise<string> {
    const ref = { accountId: A, region, name };
    if ((await this.store.repositories.get(A, region, name)) === undefined)
      await this.ecr.createRepository(await this.root(A, region), { repositoryName: name });
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', label }));
    const layer = Buffer.from(`layer of ${label}`);
    for (const b of [config, layer]) {
      const d = parseDigest(sha(b));
      await this.deps.blobs.store.put(d, Readable.from([b]), {});
      await this.store.blobs.link(ref, { digest: d, size: b.length, linkedAt: new Date(this.now) });
    }
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, digest: sha(config), size: config.length },
      layers: [{ mediaType: OCI_LAYER, digest: sha(layer), size: layer.length }],
    });
    const r = await this.images.push(
      await this.root(A, region),
      ref,
      { manifest: Buffer.from(manifest), tag },
      'registry',
    );
    return r.image.digest;
  }

  /** B's rule `ecr-a/` → A's registry of `region`, read as `role` (none: the service-linked role). */
  async rule(role: string | null = roleArnOf(), region = EAST, prefix = 'ecr-a'): Promise<void> {
    await this.ecr.createPullThroughCacheRule(await this.root(B), {
      ecrRepositoryPrefix: prefix,
      upstreamRegistry: 'ecr',
      upstreamRegistryUrl: `${A}.dkr.ecr.${region}.amazonaws.com`,
      ...(role !== null && { customRoleArn: role }),
    });
  }

  /** What a registry manifest GET of B's `ecr-a/team/app:<reference>` does: import, then read. */
  async pull(caller: Caller, reference = 'v1', name = 'ecr-a/team/app'): Promise<string> {
    const ref = { accountId: B, region: EAST, name };
    await this.ptc.beforePull(caller, ref, reference);
    return (await this.images.get(caller, ref, reference)).digest;
  }
}

async function rejectsWith(p: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    const got = e instanceof AccessDeniedError ? 'AccessDeniedException' : (e as ServiceError).code;
    assert.equal(got, code, String(e));
    if (message !== undefined) assert.match((e as Error).message, message);
    return true;
  });
}

describe('ECR to ECR pull through cache', () => {
  test('an Amazon ECR upstream URL names an account and a region; other URLs name none', () => {
    const cases = [
      { url: `${A}.dkr.ecr.us-east-1.amazonaws.com`, want: { accountId: A, region: 'us-east-1' } },
      { url: `https://${A}.dkr.ecr.eu-west-3.amazonaws.com/`, want: { accountId: A, region: 'eu-west-3' } },
      { url: `${A}.dkr.ecr.us-gov-west-1.amazonaws.com`, want: { accountId: A, region: 'us-gov-west-1' } },
      { url: 'public.ecr.aws', want: undefined },
      { url: '1234.dkr.ecr.us-east-1.amazonaws.com', want: undefined },
      { url: `${A}.dkr.ecr.us-east-1.amazonaws.com.evil.example`, want: undefined },
      { url: '127.0.0.1:5000', want: undefined },
    ];
    for (const c of cases) assert.deepEqual(ecrRegistryOf(c.url), c.want, c.url);
  });

  test('a first pull imports the upstream image as the role, and later pulls are served locally', async () => {
    const w = await EcrWorld.create();
    const digest = await w.pushUpstream('team/app', 'v1', 'one');
    await w.rule();
    const puller = await w.user('puller', PULLER);
    assert.equal(await w.pull(puller), digest);
    const cached = await w.store.repositories.get(B, EAST, 'ecr-a/team/app');
    assert.ok(cached !== undefined, 'the cache repository was created in B');
    // The upstream goes away entirely: the cached image is still served, and nothing asks upstream.
    await w.ecr.deleteRepository(await w.root(A), { repositoryName: 'team/app', force: true });
    assert.equal(await w.pull(puller), digest);
    assert.equal(await w.pull(puller, digest), digest, 'by digest too');
  });

  test('the upstream read is refused, and nothing is created, when the role cannot be used', async () => {
    const cases: {
      name: string;
      world: Parameters<typeof EcrWorld.create>[0];
      role?: string;
      code: string;
      message: RegExp;
    }[] = [
      {
        name: 'a trust policy that does not name the pull through cache service',
        world: {
          trust: doc([
            { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
          ]),
        },
        code: 'UnableToGetUpstreamImageException',
        message: /trust policy does not allow pullthroughcache\.ecr\.amazonaws\.com/,
      },
      {
        name: 'a trust policy that names only the account',
        world: {
          trust: doc([
            { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${B}:root` }, Action: 'sts:AssumeRole' },
          ]),
        },
        code: 'UnableToGetUpstreamImageException',
        message: /cannot assume the role/,
      },
      {
        name: 'a role deleted after the rule was made',
        world: {},
        role: roleArnOf(B, 'gone'),
        code: 'UnableToGetUpstreamImageException',
        message: /does not exist/,
      },
      {
        name: 'a role that may not log in (no ecr:GetAuthorizationToken)',
        world: { rolePolicy: allow(['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer']) },
        code: 'UnableToGetUpstreamImageException',
        message: /not authorized to perform: ecr:GetAuthorizationToken/,
      },
    ];
    for (const c of cases) {
      const w = await EcrWorld.create(c.world);
      await w.pushUpstream('team/app', 'v1', 'one');
      if (c.role !== undefined) {
        await w.iam.createRole(await w.root(B), { RoleName: 'gone', AssumeRolePolicyDocument: TRUST_PTC });
        await w.rule(c.role);
        await w.iam.deleteRole(await w.root(B), { RoleName: 'gone' });
      } else {
        await w.rule();
      }
      const puller = await w.user('puller', PULLER);
      await rejectsWith(w.pull(puller), c.code, c.message);
      assert.equal(await w.store.repositories.get(B, EAST, 'ecr-a/team/app'), undefined, c.name);
    }
  });

  test('a read the upstream does not allow, or an image it lacks, is an image not found', async () => {
    const cases: {
      name: string;
      world: Parameters<typeof EcrWorld.create>[0];
      reference?: string;
      name2?: string;
      layerRefused?: boolean;
      message: RegExp;
    }[] = [
      {
        name: 'no repository or registry policy of A names B',
        world: { upstreamPolicy: null },
        message: new RegExp(
          `assumed-role/${ROLE}/${PULL_THROUGH_SESSION_NAME} is not authorized to perform: ecr:BatchGetImage on resource: arn:aws:ecr:${EAST}:${A}:repository/team/app because no resource-based policy allows the ecr:BatchGetImage action`,
        ),
      },
      {
        name: "A's policy names another account",
        world: { upstreamPolicy: upstreamPolicy('333333333333') },
        message: /no resource-based policy allows the ecr:BatchGetImage action/,
      },
      {
        name: "the role's own policy does not allow ecr:GetDownloadUrlForLayer",
        world: { rolePolicy: allow(['ecr:GetAuthorizationToken', 'ecr:BatchGetImage']) },
        message: /ecr:GetDownloadUrlForLayer .*because no identity-based policy allows/,
        layerRefused: true,
      },
      {
        name: 'an explicit deny in the role policy',
        world: {
          rolePolicy: doc([
            { Effect: 'Allow', Action: 'ecr:*', Resource: '*' },
            { Effect: 'Deny', Action: 'ecr:BatchGetImage', Resource: `arn:aws:ecr:*:${A}:repository/team/*` },
          ]),
        },
        message: /explicit deny in an identity-based policy/,
      },
      {
        name: 'a tag upstream does not have',
        world: {},
        reference: 'v9',
        message: /Requested image not found/,
      },
      {
        name: 'a repository upstream does not have',
        world: {},
        name2: 'ecr-a/team/nope',
        message: /does not exist in the registry/,
      },
    ];
    for (const c of cases) {
      const w = await EcrWorld.create(c.world);
      await w.pushUpstream('team/app', 'v1', 'one');
      await w.rule();
      const puller = await w.user('puller', PULLER);
      await rejectsWith(w.pull(puller, c.reference ?? 'v1', c.name2), 'ImageNotFoundException', c.message);
      const ref = { accountId: B, region: EAST, name: c.name2 ?? 'ecr-a/team/app' };
      const created = await w.store.repositories.get(B, EAST, ref.name);
      // The repository is made once the upstream gave the manifest, so only a layer refused after
      // that leaves it behind, empty.
      assert.equal(created !== undefined, c.layerRefused === true, `${c.name}: repository`);
      if (created !== undefined) assert.equal((await w.store.images.list(ref, {})).items.length, 0, c.name);
    }
  });

  test("the puller's own permissions are checked first: without ecr:BatchImportUpstreamImage, AccessDenied", async () => {
    const w = await EcrWorld.create();
    await w.pushUpstream('team/app', 'v1', 'one');
    await w.rule();
    const puller = await w.user(
      'puller',
      allow(['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:CreateRepository']),
    );
    await rejectsWith(w.pull(puller), 'AccessDeniedException', /ecr:BatchImportUpstreamImage/);
  });

  test('within one account, another region needs no resource policy', async () => {
    const w = await EcrWorld.create({ upstreamPolicy: null });
    // The upstream is B's own registry in us-west-2.
    const ref = { accountId: B, region: WEST, name: 'team/app' };
    await w.ecr.createRepository(await w.root(B, WEST), { repositoryName: 'team/app' });
    const layer = Buffer.from('west layer');
    const config = Buffer.from('{"os":"linux"}');
    for (const b of [config, layer]) {
      await w.deps.blobs.store.put(parseDigest(sha(b)), Readable.from([b]), {});
      await w.store.blobs.link(ref, {
        digest: parseDigest(sha(b)),
        size: b.length,
        linkedAt: new Date(w.now),
      });
    }
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, digest: sha(config), size: config.length },
      layers: [{ mediaType: OCI_LAYER, digest: sha(layer), size: layer.length }],
    });
    await w.images.push(
      await w.root(B, WEST),
      ref,
      { manifest: Buffer.from(manifest), tag: 'v1' },
      'registry',
    );
    await w.ecr.createPullThroughCacheRule(await w.root(B), {
      ecrRepositoryPrefix: 'west',
      upstreamRegistry: 'ecr',
      upstreamRegistryUrl: `${B}.dkr.ecr.${WEST}.amazonaws.com`,
      customRoleArn: roleArnOf(),
    });
    const puller = await w.user('puller', PULLER);
    assert.equal(await w.pull(puller, 'v1', 'west/team/app'), sha(manifest));
  });

  test('without a role, a cross-account read needs the upstream to grant the cache account', async () => {
    const w = await EcrWorld.create({ upstreamPolicy: null });
    const digest = await w.pushUpstream('team/app', 'v1', 'one');
    await w.rule(null);
    const puller = await w.user('puller', PULLER);
    await rejectsWith(w.pull(puller), 'ImageNotFoundException', new RegExp(`arn:aws:iam::${B}:root`));
    await w.ecr.putRegistryPolicy(await w.root(A), { policyText: upstreamPolicy() });
    assert.equal(await w.pull(puller), digest);
  });

  test('a cached tag moved upstream is imported again after 24 hours, as the role', async () => {
    const w = await EcrWorld.create();
    const first = await w.pushUpstream('team/app', 'v1', 'one');
    await w.rule();
    const puller = await w.user('puller', PULLER);
    assert.equal(await w.pull(puller), first);
    const second = await w.pushUpstream('team/app', 'v1', 'two');
    assert.equal(await w.pull(puller), first, 'within 24 hours: cached');
    w.now += PULL_THROUGH_REFRESH_MS + 60_000;
    assert.equal(await w.pull(puller), second, 'after 24 hours: refreshed');
    // A refresh the upstream now refuses keeps serving the cached tag.
    await w.ecr.deleteRegistryPolicy(await w.root(A), {});
    await w.pushUpstream('team/app', 'v1', 'three');
    w.now += PULL_THROUGH_REFRESH_MS + 60_000;
    assert.equal(await w.pull(puller), second);
  });

  test('creating a rule with customRoleArn checks the role and iam:PassRole', async () => {
    const url = `${A}.dkr.ecr.${EAST}.amazonaws.com`;
    const cases: {
      name: string;
      input: object;
      caller?: 'admin' | 'no-pass';
      code: string;
      message?: RegExp;
    }[] = [
      {
        name: 'a role of another account',
        input: { customRoleArn: roleArnOf(A) },
        code: 'InvalidParameterException',
        message: /same account/,
      },
      {
        name: 'not a role ARN',
        input: { customRoleArn: `arn:aws:iam::${B}:user/bob` },
        code: 'InvalidParameterException',
        message: /customRoleArn/,
      },
      {
        name: 'upstreamRegistry ecr with a URL that is not an ECR registry',
        input: { upstreamRegistryUrl: 'quay.io' },
        code: 'InvalidParameterException',
        message: /dkr\.ecr/,
      },
      {
        name: 'a caller who may create rules but not pass the role',
        input: {},
        caller: 'no-pass',
        code: 'AccessDeniedException',
        message: new RegExp(
          `user/ops is not authorized to perform: iam:PassRole on resource: ${roleArnOf()} because no identity-based policy allows the iam:PassRole action`,
        ),
      },
    ];
    for (const c of cases) {
      const w = await EcrWorld.create();
      const caller =
        c.caller === 'no-pass'
          ? await w.user('ops', allow(['ecr:CreatePullThroughCacheRule']))
          : await w.root(B);
      await rejectsWith(
        w.ecr.createPullThroughCacheRule(caller, {
          ecrRepositoryPrefix: 'ecr-a',
          upstreamRegistry: 'ecr',
          upstreamRegistryUrl: url,
          customRoleArn: roleArnOf(),
          ...c.input,
        }),
        c.code,
        c.message,
      );
    }
    // Allowed to pass it to this service only: the condition key names the service.
    const w = await EcrWorld.create();
    const ops = await w.user(
      'ops',
      doc([
        { Effect: 'Allow', Action: 'ecr:*PullThroughCacheRule*', Resource: '*' },
        {
          Effect: 'Allow',
          Action: 'iam:PassRole',
          Resource: roleArnOf(),
          Condition: { StringEquals: { 'iam:PassedToService': PULL_THROUGH_SERVICE } },
        },
      ]),
    );
    const out = await w.ecr.createPullThroughCacheRule(ops, {
      ecrRepositoryPrefix: 'ecr-a',
      upstreamRegistry: 'ecr',
      upstreamRegistryUrl: url,
      customRoleArn: roleArnOf(),
    });
    assert.equal(out.customRoleArn, roleArnOf());
    assert.equal(out.upstreamRegistry, 'ecr');
    // UpdatePullThroughCacheRule checks a new role the same way.
    await rejectsWith(
      w.ecr.updatePullThroughCacheRule(ops, {
        ecrRepositoryPrefix: 'ecr-a',
        customRoleArn: roleArnOf(B, 'other'),
      }),
      'AccessDeniedException',
      /iam:PassRole on resource: arn:aws:iam::222222222222:role\/other/,
    );
    await rejectsWith(
      w.ecr.updatePullThroughCacheRule(ops, { ecrRepositoryPrefix: 'ecr-a', customRoleArn: roleArnOf(A) }),
      'InvalidParameterException',
      /same account/,
    );
  });

  test('ValidatePullThroughCacheRule says whether the role can be assumed and log in', async () => {
    const cases: { name: string; world: Parameters<typeof EcrWorld.create>[0]; failure?: RegExp }[] = [
      { name: 'the documented setup', world: {} },
      {
        name: 'a trust policy for another service',
        world: {
          trust: doc([
            { Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' },
          ]),
        },
        failure: /trust policy does not allow pullthroughcache\.ecr\.amazonaws\.com/,
      },
      {
        name: 'a role without ecr:GetAuthorizationToken',
        world: { rolePolicy: allow(['ecr:BatchGetImage']) },
        failure: /ecr:GetAuthorizationToken/,
      },
    ];
    for (const c of cases) {
      const w = await EcrWorld.create(c.world);
      await w.rule();
      const out = await w.ecr.validatePullThroughCacheRule(await w.root(B), { ecrRepositoryPrefix: 'ecr-a' });
      assert.equal(out.isValid, c.failure === undefined, c.name);
      if (c.failure !== undefined) assert.match(out.failure ?? '', c.failure, c.name);
      assert.equal(out.customRoleArn, roleArnOf());
    }
  });
});

// ---- upstream credentials in Secrets Manager (credentialArn) ---------------------------------
//
// The upstream is a loopback registry that wants HTTP Basic `AWS:<token>` (as ECR does) and holds
// `team/app:v1`; B keeps the token in `ecr-pullthroughcache/up` and its rule `up/` names it. The
// secret is read as ECR's service-linked role would (B's root stands in), at every import.

const CONFIG = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux' }));
const LAYER = Buffer.from('a layer only a credentialed puller may read');
const MANIFEST = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_CONFIG, digest: sha(CONFIG), size: CONFIG.length },
    layers: [{ mediaType: OCI_LAYER, digest: sha(LAYER), size: LAYER.length }],
  }),
);

/** A registry that answers only `Authorization: Basic AWS:<token>`; `token` may change. */
async function basicUpstream(): Promise<{ host: string; token: string; seen: string[]; close(): void }> {
  const state = { token: 'good-token', seen: [] as string[] };
  const server = createServer((req, res) => {
    const auth = req.headers.authorization ?? '';
    state.seen.push(auth);
    if (auth !== `Basic ${Buffer.from(`AWS:${state.token}`).toString('base64')}`) {
      res.writeHead(401, {
        'WWW-Authenticate': 'Basic realm="upstream"',
        'Content-Type': 'application/json',
      });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
      return;
    }
    const url = req.url ?? '';
    const send = (body: Buffer, type: string) => {
      res.writeHead(200, {
        'Content-Type': type,
        'Content-Length': body.length,
        'Docker-Content-Digest': sha(body),
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (url === '/v2/') return send(Buffer.from('{}'), 'application/json');
    if (url === '/v2/team/app/manifests/v1' || url === `/v2/team/app/manifests/${sha(MANIFEST)}`)
      return send(MANIFEST, OCI_MANIFEST);
    for (const b of [CONFIG, LAYER])
      if (url === `/v2/team/app/blobs/${sha(b)}`) return send(b, 'application/octet-stream');
    res.writeHead(404, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'not here' }] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    get token() {
      return state.token;
    },
    set token(t: string) {
      state.token = t;
    },
    seen: state.seen,
    close: () => server.close(),
  };
}

const creds = (token: string) => JSON.stringify({ username: 'AWS', accessToken: token });

describe('pull through cache with upstream credentials in Secrets Manager', () => {
  async function setup(secret: string | null = creds('good-token')) {
    const w = await EcrWorld.create({ upstreamPolicy: null });
    const up = await basicUpstream();
    const sm = new SecretsManagerService(w.deps);
    const arn =
      secret === null
        ? `arn:aws:secretsmanager:${EAST}:${B}:secret:ecr-pullthroughcache/up-AbCdEf`
        : (await sm.createSecret(await w.root(B), { Name: 'ecr-pullthroughcache/up', SecretString: secret }))
            .ARN;
    const createRule = async (credentialArn = arn) =>
      w.ecr.createPullThroughCacheRule(await w.root(B), {
        ecrRepositoryPrefix: 'up',
        upstreamRegistryUrl: up.host,
        credentialArn,
      });
    const pull = async (caller: Caller) => w.pull(caller, 'v1', 'up/team/app');
    return { w, up, sm, arn, createRule, pull };
  }

  test('a rule names a secret of its own account and Region whose name starts with ecr-pullthroughcache/', async () => {
    const { w, up, sm, createRule } = await setup();
    try {
      const other = await sm.createSecret(await w.root(B), {
        Name: 'upstream/token',
        SecretString: creds('x'),
      });
      const cases: { name: string; arn: string; code: string }[] = [
        { name: 'a name without the prefix', arn: other.ARN, code: 'InvalidParameterException' },
        { name: 'not a secret ARN', arn: roleArnOf(), code: 'InvalidParameterException' },
        {
          name: "another account's secret",
          arn: `arn:aws:secretsmanager:${EAST}:${A}:secret:ecr-pullthroughcache/up-AbCdEf`,
          code: 'InvalidParameterException',
        },
        {
          name: "another Region's secret",
          arn: `arn:aws:secretsmanager:${WEST}:${B}:secret:ecr-pullthroughcache/up-AbCdEf`,
          code: 'InvalidParameterException',
        },
        {
          name: 'a secret that does not exist',
          arn: `arn:aws:secretsmanager:${EAST}:${B}:secret:ecr-pullthroughcache/none-AbCdEf`,
          code: 'SecretNotFoundException',
        },
      ];
      for (const c of cases)
        await rejectsWith(createRule(c.arn), c.code, undefined).catch((e: unknown) => {
          throw new Error(`${c.name}: ${String(e)}`);
        });
      assert.equal((await w.store.registries.get(B, EAST))?.pullThroughCacheRules.length ?? 0, 0);
    } finally {
      up.close();
    }
  });

  test('a secret scheduled for deletion cannot be used, and no message shows its value', async () => {
    const { w, up, sm, arn, createRule } = await setup();
    try {
      await sm.deleteSecret(await w.root(B), { SecretId: arn, RecoveryWindowInDays: 7 });
      await assert.rejects(createRule(), (e: unknown) => {
        assert.equal((e as ServiceError).code, 'UnableToAccessSecretException');
        assert.doesNotMatch((e as Error).message, /good-token/);
        return true;
      });
    } finally {
      up.close();
    }
  });

  test('the import authenticates upstream with the secret, and reads it again at every import', async () => {
    const { w, up, sm, arn, createRule, pull } = await setup(creds('bad-token'));
    try {
      await createRule();
      const puller = await w.user('puller', PULLER);
      // Validation reads the secret and asks the upstream, which refuses the bad token.
      const invalid = await w.ecr.validatePullThroughCacheRule(await w.root(B), {
        ecrRepositoryPrefix: 'up',
      });
      assert.equal(invalid.isValid, false);
      assert.match(invalid.failure ?? '', /did not accept the credentials/);
      assert.doesNotMatch(invalid.failure ?? '', /bad-token/);
      // The pull fails as ECR fails an upstream it cannot read, and nothing is created.
      await rejectsWith(pull(puller), 'UnableToGetUpstreamImageException');
      assert.equal(await w.store.repositories.get(B, EAST, 'up/team/app'), undefined);
      // Rotating the token is enough: the next pull reads the new value.
      await sm.putSecretValue(await w.root(B), { SecretId: arn, SecretString: creds('good-token') });
      const valid = await w.ecr.validatePullThroughCacheRule(await w.root(B), { ecrRepositoryPrefix: 'up' });
      assert.equal(valid.isValid, true, valid.failure);
      assert.equal(await pull(puller), sha(MANIFEST));
      assert.ok(up.seen.includes(`Basic ${Buffer.from('AWS:good-token').toString('base64')}`));
      // A secret deleted later stops imports of images not cached yet (the cached one stays).
      await sm.deleteSecret(await w.root(B), { SecretId: arn, ForceDeleteWithoutRecovery: true });
      assert.equal(await pull(puller), sha(MANIFEST));
      await rejectsWith(w.pull(puller, 'v2', 'up/team/app'), 'UnableToAccessSecretException');
    } finally {
      up.close();
    }
  });

  test('the secret is read through the door: a reader of another account is refused', async () => {
    const { w, up, arn, createRule } = await setup();
    try {
      await createRule();
      // The secret is B's; a reader of another account is refused by the door (no resource policy).
      const other = await w.root(A);
      const read = await readSecretAsService(w.deps, other, arn);
      assert.equal(read.ok, false);
      assert.equal(read.ok ? undefined : read.failure, 'AccessDenied');
    } finally {
      up.close();
    }
  });
});
