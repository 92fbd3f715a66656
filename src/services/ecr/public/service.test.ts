// EcrPublicService against the in-memory store and blobs, the real door (Authorizer) and engine,
// and a fixed clock: public repositories (ARN, URI, catalog data, limits), the us-east-1-only API,
// the `ecr-public:` actions (and `sts:GetServiceBearerToken`) as IAM decides them, registries and
// their catalog data, tags on public ARNs, the push path and DescribeImageTags, the wall between
// the public partition and private ECR, and a cross-account push granted by a repository policy.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  addAccounts,
  addUser,
  allowDoc as allow,
  callerIn,
  ecrDeps,
  PATH_STYLE,
  policyDoc as doc,
} from '../../../../test/helpers/world.js';
import type { Caller, CallerIdentity } from '../../../auth/caller.js';
import { verifyRegistryToken } from '../../../auth/tokens.js';
import { digestOf } from '../../../store/blobs/BlobStore.js';
import { MemoryMetadataStore } from '../../../store/meta/memory/MemoryMetadataStore.js';
import { AccessDeniedError, ServiceError } from '../../errors.js';
import type { RegistryAddressing } from '../addressing.js';
import type { EcrDeps } from '../deps.js';
import { MANIFEST_MEDIA_TYPES as MT } from '../manifests.js';
import { EcrService } from '../service.js';
import { defaultRegistryAlias, PUBLIC_REGION } from './partition.js';
import { EcrPublicService } from './service.js';

const A = '111111111111';
const B = '222222222222';
const REGION = 'us-east-1';
const T0 = Date.parse('2026-11-23T12:00:00.000Z');
const KEY = Buffer.alloc(32, 9);
const ALIAS_A = defaultRegistryAlias(KEY, A);
const ALIAS_B = defaultRegistryAlias(KEY, B);

const pubArn = (account: string, name: string) => `arn:aws:ecr-public::${account}:repository/${name}`;
const privArn = (account: string, name: string) => `arn:aws:ecr:${REGION}:${account}:repository/${name}`;

class World {
  readonly store = new MemoryMetadataStore();
  readonly clock = { now: () => T0 };
  readonly deps: EcrDeps;
  readonly pub: EcrPublicService;
  readonly ecr: EcrService;
  private seq = 0;

  constructor(addressing: RegistryAddressing) {
    this.deps = ecrDeps({ store: this.store, clock: this.clock, registryTokenKey: KEY, addressing });
    this.pub = new EcrPublicService(this.deps);
    this.ecr = new EcrService(this.deps);
  }

  static async create(addressing: RegistryAddressing = PATH_STYLE): Promise<World> {
    const w = new World(addressing);
    await addAccounts(w.store, [A, B], T0);
    return w;
  }

  caller(accountId: string, identity: CallerIdentity, region = REGION): Promise<Caller> {
    const accessKeyId = `AKIA${String(++this.seq).padStart(16, '0')}`;
    return callerIn(this.store, accountId, identity, { accessKeyId, region });
  }

  root(accountId = A, region = REGION): Promise<Caller> {
    return this.caller(accountId, { kind: 'root' }, region);
  }

  /** An IAM user with inline policies, as a caller. */
  async user(name: string, policies: string[] = [], accountId = A, region = REGION): Promise<Caller> {
    const id = `AIDA${String(++this.seq).padStart(16, 'X')}`;
    const user = await addUser(this.store, { accountId, name, id, at: T0, policies });
    return this.caller(accountId, { kind: 'user', user }, region);
  }

  /** Pushes a blob through InitiateLayerUpload / UploadLayerPart / CompleteLayerUpload. */
  async pushBlob(c: Caller, repositoryName: string, bytes: Buffer, registryId?: string): Promise<string> {
    const r = { repositoryName, ...(registryId !== undefined && { registryId }) };
    const { uploadId } = await this.pub.initiateLayerUpload(c, r);
    // One part: a part under 5 MiB may only be the last (LayerPartTooSmallException).
    await this.pub.uploadLayerPart(c, {
      ...r,
      uploadId,
      partFirstByte: 0,
      partLastByte: bytes.length - 1,
      layerPartBlob: bytes,
    });
    const done = await this.pub.completeLayerUpload(c, { ...r, uploadId, layerDigests: [digestOf(bytes)] });
    assert.equal(done.layerDigest, digestOf(bytes));
    return done.layerDigest;
  }

  /** Pushes an OCI image (config + one layer) and its manifest under `tag`; answers its digest. */
  async pushImage(c: Caller, repositoryName: string, seed: string, tag: string, registryId?: string) {
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', seed }));
    const layer = Buffer.from(`layer of ${seed}`.repeat(20));
    await this.pushBlob(c, repositoryName, config, registryId);
    await this.pushBlob(c, repositoryName, layer, registryId);
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: MT.ociManifest,
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: digestOf(config),
        size: config.length,
      },
      layers: [
        {
          mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
          digest: digestOf(layer),
          size: layer.length,
        },
      ],
    });
    await this.pub.putImage(c, {
      repositoryName,
      imageManifest: manifest,
      imageManifestMediaType: MT.ociManifest,
      imageTag: tag,
      ...(registryId !== undefined && { registryId }),
    });
    return { digest: digestOf(Buffer.from(manifest)), size: config.length + layer.length + manifest.length };
  }
}

async function rejects(p: Promise<unknown>, code: string, message?: string | RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ServiceError, `expected a ServiceError, got ${String(e)}`);
    assert.ok(!(e instanceof AccessDeniedError), `expected ${code}, got AccessDenied: ${e.message}`);
    assert.equal(e.code, code, e.message);
    if (typeof message === 'string') assert.equal(e.message, message);
    else if (message !== undefined) assert.match(e.message, message);
    return true;
  });
}

async function denied(p: Promise<unknown>, message?: string | RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof AccessDeniedError, `expected AccessDenied, got ${String(e)}`);
    if (typeof message === 'string') assert.equal(e.message, message);
    else if (message !== undefined) assert.match(e.message, message);
    return true;
  });
}

interface Case {
  readonly name: string;
  /** Why the case is expected to fail for now (a known product bug). */
  readonly todo?: string;
  readonly run: (w: World) => Promise<void>;
}

const cases: Case[] = [
  // ── CreateRepository ──
  {
    name: 'CreateRepository answers a region-less ecr-public ARN and a path-style public URI',
    async run(w) {
      const { repository, catalogData } = await w.pub.createRepository(await w.root(), {
        repositoryName: 'team/app',
      });
      assert.deepEqual(repository, {
        repositoryArn: pubArn(A, 'team/app'),
        registryId: A,
        repositoryName: 'team/app',
        repositoryUri: `127.0.0.1:5000/public/${ALIAS_A}/team/app`,
        createdAt: new Date(T0),
      });
      assert.equal(catalogData, undefined);
      const stored = await w.store.repositories.get(A, PUBLIC_REGION, 'team/app');
      assert.equal(stored?.arn, pubArn(A, 'team/app'));
      assert.equal(await w.store.repositories.get(A, REGION, 'team/app'), undefined);
    },
  },
  {
    name: 'CreateRepository on host-style addressing answers a public.ecr.<domain> URI',
    async run() {
      const w = await World.create({ ...PATH_STYLE, style: 'host', port: '5000' });
      const { repository } = await w.pub.createRepository(await w.root(), { repositoryName: 'app' });
      assert.equal(repository.repositoryUri, `public.ecr.localhost:5000/${ALIAS_A}/app`);
    },
  },
  {
    name: 'CreateRepository keeps its catalog data and answers it without a logo URL',
    async run(w) {
      const root = await w.root();
      const made = await w.pub.createRepository(root, {
        repositoryName: 'app',
        catalogData: {
          description: 'an app',
          architectures: ['x86-64', 'x86-64'],
          operatingSystems: ['Linux'],
        },
      });
      const want = {
        description: 'an app',
        architectures: ['x86-64'],
        operatingSystems: ['Linux'],
        marketplaceCertified: false,
      };
      assert.deepEqual(made.catalogData, want);
      assert.deepEqual(
        (await w.pub.getRepositoryCatalogData(root, { repositoryName: 'app' })).catalogData,
        want,
      );
    },
  },
  {
    name: 'CreateRepository refuses a name over 205 characters and accepts one of 205',
    async run(w) {
      const root = await w.root();
      await rejects(
        w.pub.createRepository(root, { repositoryName: 'a'.repeat(206) }),
        'InvalidParameterException',
        "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must have length less than or equal to 205'",
      );
      await w.pub.createRepository(root, { repositoryName: 'a'.repeat(205) });
      assert.equal((await w.store.repositories.list(A, PUBLIC_REGION)).items.length, 1);
    },
  },
  {
    name: 'CreateRepository with bad catalog data creates nothing',
    async run(w) {
      await rejects(
        w.pub.createRepository(await w.root(), {
          repositoryName: 'app',
          catalogData: { architectures: ['amd64'] },
        }),
        'InvalidParameterException',
      );
      assert.equal(await w.store.repositories.get(A, PUBLIC_REGION, 'app'), undefined);
    },
  },
  {
    name: 'a duplicate public repository is RepositoryAlreadyExistsException, but a private one of the same name is not',
    async run(w) {
      const root = await w.root();
      await w.ecr.createRepository(root, { repositoryName: 'app' });
      await w.pub.createRepository(root, { repositoryName: 'app' });
      await rejects(
        w.pub.createRepository(root, { repositoryName: 'app' }),
        'RepositoryAlreadyExistsException',
        `The repository with name 'app' already exists in the registry with id '${A}'`,
      );
    },
  },
  // ── the API's region ──
  {
    name: 'a call signed for another region than us-east-1 is UnsupportedCommandException',
    async run(w) {
      const root = await w.root(A, 'eu-west-1');
      const calls: [string, () => Promise<unknown>][] = [
        ['CreateRepository', () => w.pub.createRepository(root, { repositoryName: 'app' })],
        ['DescribeRepositories', () => w.pub.describeRepositories(root, {})],
        ['GetAuthorizationToken', () => w.pub.getAuthorizationToken(root)],
        ['DescribeRegistries', () => w.pub.describeRegistries(root, {})],
        ['GetRegistryCatalogData', () => w.pub.getRegistryCatalogData(root)],
        ['PutRegistryCatalogData', () => w.pub.putRegistryCatalogData(root, { displayName: 'x' })],
        ['GetRepositoryCatalogData', () => w.pub.getRepositoryCatalogData(root, { repositoryName: 'app' })],
        ['InitiateLayerUpload', () => w.pub.initiateLayerUpload(root, { repositoryName: 'app' })],
        ['DescribeImageTags', () => w.pub.describeImageTags(root, { repositoryName: 'app' })],
        [
          'ListTagsForResource',
          async () => w.pub.listTagsForResource(root, { resourceArn: pubArn(A, 'app') }),
        ],
        ['GetRepositoryPolicy', async () => w.pub.getRepositoryPolicy(root, { repositoryName: 'app' })],
      ];
      for (const [op, call] of calls) {
        await assert.rejects(call, (e: unknown) => {
          assert.ok(e instanceof ServiceError, `${op}: ${String(e)}`);
          assert.equal(e.code, 'UnsupportedCommandException', `${op}: ${e.message}`);
          assert.match(e.message, /us-east-1/);
          return true;
        });
      }
      assert.equal((await w.store.repositories.list(A, PUBLIC_REGION)).items.length, 0);
    },
  },
  {
    name: 'every operation refused for its region rejects its promise rather than throwing synchronously',
    async run(w) {
      const root = await w.root(A, 'eu-west-1');
      const sync: [string, () => Promise<unknown>][] = [
        ['GetRepositoryPolicy', () => w.pub.getRepositoryPolicy(root, { repositoryName: 'app' })],
        ['ListTagsForResource', () => w.pub.listTagsForResource(root, { resourceArn: pubArn(A, 'app') })],
        [
          'BatchDeleteImage',
          () => w.pub.batchDeleteImage(root, { repositoryName: 'app', imageIds: [{ imageTag: 'x' }] }),
        ],
      ];
      for (const [op, call] of sync) {
        let p: Promise<unknown> | undefined;
        assert.doesNotThrow(() => {
          p = call();
        }, op);
        await assert.rejects(p!, op);
      }
    },
  },
  // ── ecr-public: actions ──
  {
    name: 'a user allowed only ecr:* is denied with the ecr-public action and ARN; one allowed ecr-public:* creates',
    async run(w) {
      const ecrOnly = await w.user('ecronly', [allow('ecr:*')]);
      await denied(
        w.pub.createRepository(ecrOnly, { repositoryName: 'app' }),
        `User: arn:aws:iam::${A}:user/ecronly is not authorized to perform: ecr-public:CreateRepository on resource: ${pubArn(A, 'app')} because no identity-based policy allows the ecr-public:CreateRepository action`,
      );
      const pubUser = await w.user('pubuser', [allow('ecr-public:*')]);
      const { repository } = await w.pub.createRepository(pubUser, { repositoryName: 'app' });
      assert.equal(repository.repositoryArn, pubArn(A, 'app'));
      // And ecr-public:* grants nothing in private ECR.
      await denied(w.ecr.createRepository(pubUser, { repositoryName: 'app' }), /ecr:CreateRepository/);
    },
  },
  {
    name: 'an identity policy scoped to the public repository ARN allows exactly that repository',
    async run(w) {
      const dev = await w.user('dev', [allow('ecr-public:CreateRepository', pubArn(A, 'team/*'))]);
      await w.pub.createRepository(dev, { repositoryName: 'team/app' });
      await denied(w.pub.createRepository(dev, { repositoryName: 'other' }), /repository\/other because/);
      const privScoped = await w.user('priv', [allow('ecr-public:CreateRepository', privArn(A, '*'))]);
      await denied(w.pub.createRepository(privScoped, { repositoryName: 'x1' }));
    },
  },
  {
    name: 'DescribeRepositories without permission is denied on the public repository/* ARN',
    async run(w) {
      await w.pub.createRepository(await w.root(), { repositoryName: 'app' });
      const dev = await w.user('dev', [allow('ecr:*')]);
      await denied(
        w.pub.describeRepositories(dev, {}),
        `User: arn:aws:iam::${A}:user/dev is not authorized to perform: ecr-public:DescribeRepositories on resource: ${pubArn(A, '*')} because no identity-based policy allows the ecr-public:DescribeRepositories action`,
      );
    },
  },
  // ── GetAuthorizationToken ──
  {
    name: 'GetAuthorizationToken needs both ecr-public:GetAuthorizationToken and sts:GetServiceBearerToken',
    async run(w) {
      const noSts = await w.user('nosts', [allow('ecr-public:GetAuthorizationToken')]);
      await denied(
        w.pub.getAuthorizationToken(noSts),
        `User: arn:aws:iam::${A}:user/nosts is not authorized to perform: sts:GetServiceBearerToken on resource: * because no identity-based policy allows the sts:GetServiceBearerToken action`,
      );
      const noEcr = await w.user('noecr', [allow('sts:GetServiceBearerToken')]);
      await denied(
        w.pub.getAuthorizationToken(noEcr),
        `User: arn:aws:iam::${A}:user/noecr is not authorized to perform: ecr-public:GetAuthorizationToken on resource: * because no identity-based policy allows the ecr-public:GetAuthorizationToken action`,
      );
      const privateOnly = await w.user('private', [
        allow(['ecr:GetAuthorizationToken', 'sts:GetServiceBearerToken']),
      ]);
      await denied(w.pub.getAuthorizationToken(privateOnly), /ecr-public:GetAuthorizationToken/);
      const both = await w.user('both', [
        allow(['ecr-public:GetAuthorizationToken', 'sts:GetServiceBearerToken']),
      ]);
      const { authorizationData } = await w.pub.getAuthorizationToken(both);
      assert.equal(authorizationData.expiresAt.getTime(), T0 + 12 * 3600_000);
      const decoded = Buffer.from(authorizationData.authorizationToken, 'base64').toString('utf8');
      assert.ok(decoded.startsWith('AWS:'), decoded);
      const v = verifyRegistryToken(KEY, decoded.slice(4), T0);
      assert.ok(v.ok);
      assert.equal(v.claims.accessKeyId, both.accessKeyId);
      assert.equal(v.claims.region, PUBLIC_REGION);
    },
  },
  // ── registries ──
  {
    name: 'DescribeRegistries answers the caller one registry with its alias and URI',
    async run(w) {
      const root = await w.root();
      const out = await w.pub.describeRegistries(root, {});
      assert.deepEqual(out, {
        registries: [
          {
            registryId: A,
            registryArn: `arn:aws:ecr-public::${A}:registry/${A}`,
            registryUri: `127.0.0.1:5000/public/${ALIAS_A}`,
            verified: false,
            aliases: [
              { name: ALIAS_A, status: 'ACTIVE', primaryRegistryAlias: true, defaultRegistryAlias: true },
            ],
          },
        ],
      });
      const ofB = await w.pub.describeRegistries(await w.root(B), {});
      assert.notEqual(ALIAS_A, ALIAS_B);
      assert.equal(
        (ofB.registries[0] as { registryUri: string }).registryUri,
        `127.0.0.1:5000/public/${ALIAS_B}`,
      );
      const dev = await w.user('dev', [allow('ecr:*')]);
      await denied(w.pub.describeRegistries(dev, {}), /ecr-public:DescribeRegistries/);
    },
  },
  {
    name: 'Put/GetRegistryCatalogData keep the display name, at most 100 characters',
    async run(w) {
      const root = await w.root();
      assert.deepEqual(await w.pub.getRegistryCatalogData(root), { registryCatalogData: {} });
      assert.deepEqual(await w.pub.putRegistryCatalogData(root, { displayName: 'd'.repeat(100) }), {
        registryCatalogData: { displayName: 'd'.repeat(100) },
      });
      assert.deepEqual(await w.pub.getRegistryCatalogData(root), {
        registryCatalogData: { displayName: 'd'.repeat(100) },
      });
      await rejects(
        w.pub.putRegistryCatalogData(root, { displayName: 'd'.repeat(101) }),
        'InvalidParameterException',
      );
      // Another account's registry is its own.
      assert.deepEqual(await w.pub.getRegistryCatalogData(await w.root(B)), { registryCatalogData: {} });
      const dev = await w.user('dev', [allow('ecr-public:GetRegistryCatalogData')]);
      await denied(
        w.pub.putRegistryCatalogData(dev, { displayName: 'x' }),
        `User: arn:aws:iam::${A}:user/dev is not authorized to perform: ecr-public:PutRegistryCatalogData on resource: arn:aws:ecr-public::${A}:registry/${A} because no identity-based policy allows the ecr-public:PutRegistryCatalogData action`,
      );
      assert.deepEqual(await w.pub.getRegistryCatalogData(dev), {
        registryCatalogData: { displayName: 'd'.repeat(100) },
      });
    },
  },
  // ── repository catalog data ──
  {
    name: 'Put/GetRepositoryCatalogData: none reads as no content, a put replaces the whole',
    async run(w) {
      const root = await w.root();
      await w.pub.createRepository(root, { repositoryName: 'app', catalogData: { aboutText: '# about' } });
      await w.pub.createRepository(root, { repositoryName: 'bare' });
      assert.deepEqual(await w.pub.getRepositoryCatalogData(root, { repositoryName: 'bare' }), {
        catalogData: { marketplaceCertified: false },
      });
      const put = await w.pub.putRepositoryCatalogData(root, {
        repositoryName: 'app',
        catalogData: { description: 'new', operatingSystems: ['Windows'] },
      });
      const want = { description: 'new', operatingSystems: ['Windows'], marketplaceCertified: false };
      assert.deepEqual(put, { catalogData: want });
      assert.deepEqual(await w.pub.getRepositoryCatalogData(root, { repositoryName: 'app' }), {
        catalogData: want,
      });
      await rejects(
        w.pub.putRepositoryCatalogData(root, { repositoryName: 'nope', catalogData: {} }),
        'RepositoryNotFoundException',
      );
      await rejects(
        w.pub.getRepositoryCatalogData(root, { repositoryName: 'nope' }),
        'RepositoryNotFoundException',
      );
      await rejects(
        w.pub.putRepositoryCatalogData(root, {
          repositoryName: 'app',
          catalogData: { description: 'x'.repeat(1025) },
        }),
        'InvalidParameterException',
      );
      const dev = await w.user('dev', [allow('ecr:*')]);
      await denied(
        w.pub.getRepositoryCatalogData(dev, { repositoryName: 'app' }),
        /ecr-public:GetRepositoryCatalogData on resource: arn:aws:ecr-public::111111111111:repository\/app/,
      );
      await denied(w.pub.putRepositoryCatalogData(dev, { repositoryName: 'app', catalogData: {} }));
    },
  },
  {
    name: 'catalog data of a private repository is not reachable through ECR Public',
    async run(w) {
      const root = await w.root();
      await w.ecr.createRepository(root, { repositoryName: 'private-only' });
      await rejects(
        w.pub.getRepositoryCatalogData(root, { repositoryName: 'private-only' }),
        'RepositoryNotFoundException',
      );
      await rejects(
        w.pub.putRepositoryCatalogData(root, {
          repositoryName: 'private-only',
          catalogData: { description: 'x' },
        }),
        'RepositoryNotFoundException',
      );
    },
  },
  {
    name: 'a registryId that is not 12 digits is InvalidParameterException on the repository operations',
    async run(w) {
      const root = await w.root();
      await w.pub.createRepository(root, { repositoryName: 'app' });
      const registryId = 'not-an-account';
      await rejects(
        w.pub.getRepositoryCatalogData(root, { repositoryName: 'app', registryId }),
        'InvalidParameterException',
      );
      await rejects(
        w.pub.putRepositoryCatalogData(root, { repositoryName: 'app', registryId, catalogData: {} }),
        'InvalidParameterException',
      );
      await rejects(
        w.pub.describeImageTags(root, { repositoryName: 'app', registryId }),
        'InvalidParameterException',
      );
    },
  },
  {
    name: 'DescribeRepositories takes the registry alias as registryId',
    async run(w) {
      const root = await w.root();
      await w.pub.createRepository(root, { repositoryName: 'app' });
      const out = await w.pub.describeRepositories(root, { registryId: ALIAS_A });
      assert.deepEqual(
        out.repositories.map((r) => r.repositoryName),
        ['app'],
      );
      await rejects(
        w.pub.describeRepositories(root, { registryId: 'zzzzzzzz' }),
        'RegistryNotFoundException',
      );
    },
  },
  // ── tags ──
  {
    name: 'TagResource and ListTagsForResource take the public ARN; a private ARN is an invalid one',
    async run(w) {
      const root = await w.root();
      await w.pub.createRepository(root, { repositoryName: 'app', tags: [{ Key: 'team', Value: 'a' }] });
      await w.ecr.createRepository(root, { repositoryName: 'app' });
      await w.pub.tagResource(root, { resourceArn: pubArn(A, 'app'), tags: [{ Key: 'env', Value: 'prod' }] });
      assert.deepEqual(await w.pub.listTagsForResource(root, { resourceArn: pubArn(A, 'app') }), {
        tags: [
          { Key: 'team', Value: 'a' },
          { Key: 'env', Value: 'prod' },
        ],
      });
      const invalidArn = "Invalid parameter at 'resourceArn' failed to satisfy constraint: 'Invalid ARN'";
      await rejects(
        w.pub.listTagsForResource(root, { resourceArn: privArn(A, 'app') }),
        'InvalidParameterException',
        invalidArn,
      );
      await rejects(
        w.pub.tagResource(root, { resourceArn: privArn(A, 'app'), tags: [{ Key: 'k', Value: 'v' }] }),
        'InvalidParameterException',
        invalidArn,
      );
      await rejects(
        w.pub.listTagsForResource(root, { resourceArn: `arn:aws:ecr-public:us-east-1:${A}:repository/app` }),
        'InvalidParameterException',
        invalidArn,
      );
      // Private ECR does not take public ARNs either, and its repository kept no public tags.
      await rejects(
        w.ecr.listTagsForResource(root, { resourceArn: pubArn(A, 'app') }),
        'InvalidParameterException',
      );
      assert.deepEqual(await w.ecr.listTagsForResource(root, { resourceArn: privArn(A, 'app') }), {
        tags: [],
      });
      await w.pub.untagResource(root, { resourceArn: pubArn(A, 'app'), tagKeys: ['team'] });
      assert.deepEqual(await w.pub.listTagsForResource(root, { resourceArn: pubArn(A, 'app') }), {
        tags: [{ Key: 'env', Value: 'prod' }],
      });
      const dev = await w.user('dev', [allow('ecr:*')]);
      await denied(
        w.pub.listTagsForResource(dev, { resourceArn: pubArn(A, 'app') }),
        /ecr-public:ListTagsForResource on resource: arn:aws:ecr-public::111111111111:repository\/app/,
      );
    },
  },
  // ── push path, images, tags ──
  {
    name: 'DescribeImageTags pages the tags of images pushed through the data operations',
    async run(w) {
      const root = await w.root();
      await w.pub.createRepository(root, { repositoryName: 'app' });
      const one = await w.pushImage(root, 'app', 'one', 'v1');
      const two = await w.pushImage(root, 'app', 'two', 'v2');
      const first = await w.pub.describeImageTags(root, { repositoryName: 'app', maxResults: 1 });
      assert.equal(first.imageTagDetails.length, 1);
      assert.ok(first.nextToken !== undefined);
      const detail = first.imageTagDetails[0] as {
        imageTag: string;
        createdAt: Date;
        imageDetail: { imageDigest: string; imageSizeInBytes: number; imageManifestMediaType: string };
      };
      assert.equal(detail.imageTag, 'v1');
      assert.equal(detail.createdAt.getTime(), T0);
      assert.equal(detail.imageDetail.imageDigest, one.digest);
      assert.equal(detail.imageDetail.imageManifestMediaType, MT.ociManifest);
      assert.equal(detail.imageDetail.imageSizeInBytes, one.size);
      const second = await w.pub.describeImageTags(root, {
        repositoryName: 'app',
        maxResults: 1,
        nextToken: first.nextToken,
      });
      assert.equal(second.nextToken, undefined);
      assert.equal((second.imageTagDetails[0] as { imageTag: string }).imageTag, 'v2');
      assert.equal(
        (second.imageTagDetails[0] as { imageDetail: { imageDigest: string } }).imageDetail.imageDigest,
        two.digest,
      );
      const all = await w.pub.describeImageTags(root, { repositoryName: 'app' });
      assert.deepEqual(
        all.imageTagDetails.map((d) => (d as { imageTag: string }).imageTag),
        ['v1', 'v2'],
      );
      assert.equal(all.nextToken, undefined);
      await rejects(
        w.pub.describeImageTags(root, { repositoryName: 'app', maxResults: 0 }),
        'InvalidParameterException',
      );
      await rejects(
        w.pub.describeImageTags(root, { repositoryName: 'app', nextToken: 'garbage' }),
        'InvalidParameterException',
      );
      await rejects(w.pub.describeImageTags(root, { repositoryName: 'nope' }), 'RepositoryNotFoundException');
      const dev = await w.user('dev', [allow('ecr:*')]);
      await denied(w.pub.describeImageTags(dev, { repositoryName: 'app' }), /ecr-public:DescribeImageTags/);
    },
  },
  {
    name: 'DescribeImages answers the pushed images in ECR Public shape; the store keeps them in the public partition',
    async run(w) {
      const root = await w.root();
      await w.pub.createRepository(root, { repositoryName: 'app' });
      const one = await w.pushImage(root, 'app', 'one', 'v1');
      const { imageDetails } = await w.pub.describeImages(root, { repositoryName: 'app' });
      assert.equal(imageDetails.length, 1);
      assert.deepEqual(Object.keys(imageDetails[0]!).sort(), [
        'artifactMediaType',
        'imageDigest',
        'imageManifestMediaType',
        'imagePushedAt',
        'imageSizeInBytes',
        'imageTags',
        'registryId',
        'repositoryName',
      ]);
      assert.equal(imageDetails[0]!.imageDigest, one.digest);
      assert.deepEqual(imageDetails[0]!.imageTags, ['v1']);
      assert.equal(
        (await w.store.tags.get({ accountId: A, region: PUBLIC_REGION, name: 'app' }, 'v1'))?.digest,
        one.digest,
      );
    },
  },
  {
    name: 'a user allowed only ecr:* cannot push to a public repository',
    async run(w) {
      await w.pub.createRepository(await w.root(), { repositoryName: 'app' });
      const dev = await w.user('dev', [allow('ecr:*')]);
      await denied(
        w.pub.initiateLayerUpload(dev, { repositoryName: 'app' }),
        `User: arn:aws:iam::${A}:user/dev is not authorized to perform: ecr-public:InitiateLayerUpload on resource: ${pubArn(A, 'app')} because no identity-based policy allows the ecr-public:InitiateLayerUpload action`,
      );
      await denied(
        w.pub.putImage(dev, { repositoryName: 'app', imageManifest: '{}', imageTag: 'x' }),
        /ecr-public:PutImage/,
      );
    },
  },
  {
    name: 'the push operations take a registry alias as registryId, and an unknown one is RegistryNotFoundException',
    async run(w) {
      const root = await w.root();
      await w.pub.createRepository(root, { repositoryName: 'app' });
      const img = await w.pushImage(root, 'app', 'alias', 'v1', ALIAS_A);
      assert.equal(
        (await w.store.tags.get({ accountId: A, region: PUBLIC_REGION, name: 'app' }, 'v1'))?.digest,
        img.digest,
      );
      await rejects(
        w.pub.initiateLayerUpload(root, { repositoryName: 'app', registryId: 'zzzzzzzz' }),
        'RegistryNotFoundException',
      );
    },
  },
  // ── the wall between partitions ──
  {
    name: 'a public repository is invisible to private ECR in us-east-1, and a private one to ECR Public',
    async run(w) {
      const root = await w.root();
      await w.pub.createRepository(root, { repositoryName: 'public-app' });
      await w.ecr.createRepository(root, { repositoryName: 'private-app' });
      const priv = await w.ecr.describeRepositories(root, {});
      assert.deepEqual(
        priv.repositories.map((r) => r.repositoryName),
        ['private-app'],
      );
      await rejects(
        w.ecr.describeRepositories(root, { repositoryNames: ['public-app'] }),
        'RepositoryNotFoundException',
      );
      const pub = await w.pub.describeRepositories(root, {});
      assert.deepEqual(
        pub.repositories.map((r) => [r.repositoryName, r.repositoryArn]),
        [['public-app', pubArn(A, 'public-app')]],
      );
      await rejects(
        w.pub.describeRepositories(root, { repositoryNames: ['private-app'] }),
        'RepositoryNotFoundException',
      );
      // Deleting through one API does not reach the other partition's repository of the same name.
      await w.ecr.createRepository(root, { repositoryName: 'public-app' });
      await w.pub.deleteRepository(root, { repositoryName: 'public-app' });
      assert.ok((await w.store.repositories.get(A, REGION, 'public-app')) !== undefined);
      assert.equal(await w.store.repositories.get(A, PUBLIC_REGION, 'public-app'), undefined);
      await rejects(
        w.ecr.listImages(root, { repositoryName: 'nothing-here' }),
        'RepositoryNotFoundException',
      );
    },
  },
  {
    name: 'DeleteRepository answers the public repository it deleted',
    async run(w) {
      const root = await w.root();
      await w.pub.createRepository(root, { repositoryName: 'app' });
      const out = await w.pub.deleteRepository(root, { repositoryName: 'app' });
      assert.deepEqual(out.repository, {
        repositoryArn: pubArn(A, 'app'),
        registryId: A,
        repositoryName: 'app',
        repositoryUri: `127.0.0.1:5000/public/${ALIAS_A}/app`,
        createdAt: new Date(T0),
      });
      await rejects(w.pub.deleteRepository(root, { repositoryName: 'app' }), 'RepositoryNotFoundException');
    },
  },
  // ── cross-account ──
  {
    name: "a repository policy in A granting B's user ecr-public:* lets B push, as ECR does",
    async run(w) {
      const rootA = await w.root();
      await w.pub.createRepository(rootA, { repositoryName: 'shared' });
      const pusher = await w.user('pusher', [allow('ecr-public:*', pubArn(A, 'shared'))], B);
      await denied(
        w.pub.initiateLayerUpload(pusher, { repositoryName: 'shared', registryId: A }),
        `User: arn:aws:iam::${B}:user/pusher is not authorized to perform: ecr-public:InitiateLayerUpload on resource: ${pubArn(A, 'shared')} because no resource-based policy allows the ecr-public:InitiateLayerUpload action`,
      );
      await w.pub.setRepositoryPolicy(rootA, {
        repositoryName: 'shared',
        policyText: doc([
          {
            Sid: 'PushFromB',
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${B}:user/pusher` },
            Action: 'ecr-public:*',
          },
        ]),
      });
      const img = await w.pushImage(pusher, 'shared', 'from-b', 'v1', A);
      const { imageDetails } = await w.pub.describeImages(rootA, { repositoryName: 'shared' });
      assert.deepEqual(
        imageDetails.map((d) => [d.registryId, d.imageDigest, d.imageTags]),
        [[A, img.digest, ['v1']]],
      );
      // Nothing landed in B's own registry.
      assert.equal((await w.store.repositories.list(B, PUBLIC_REGION)).items.length, 0);
    },
  },
  {
    name: 'a cross-account push still needs the pusher identity policy to allow ecr-public, not ecr',
    async run(w) {
      const rootA = await w.root();
      await w.pub.createRepository(rootA, { repositoryName: 'shared' });
      const pusher = await w.user('pusher', [allow('ecr:*')], B);
      await w.pub.setRepositoryPolicy(rootA, {
        repositoryName: 'shared',
        policyText: doc([
          { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${B}:user/pusher` }, Action: 'ecr-public:*' },
        ]),
      });
      await denied(
        w.pub.initiateLayerUpload(pusher, { repositoryName: 'shared', registryId: A }),
        /because no identity-based policy allows the ecr-public:InitiateLayerUpload action/,
      );
    },
  },
  {
    name: 'a repository policy granting only ecr: actions grants nothing on a public repository',
    async run(w) {
      const rootA = await w.root();
      await w.pub.createRepository(rootA, { repositoryName: 'shared' });
      const pusher = await w.user('pusher', [allow(['ecr:*', 'ecr-public:*'])], B);
      await w.pub.setRepositoryPolicy(rootA, {
        repositoryName: 'shared',
        policyText: doc([{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${B}:root` }, Action: 'ecr:*' }]),
      });
      await denied(
        w.pub.initiateLayerUpload(pusher, { repositoryName: 'shared', registryId: A }),
        /because no resource-based policy allows the ecr-public:InitiateLayerUpload action/,
      );
    },
  },
  {
    name: "CreateRepository creates in the caller's own registry (ECR Public's CreateRepository has no registryId)",
    async run(w) {
      const rootB = await w.root(B);
      // ECR Public's CreateRepository has no registryId: the caller's own registry is the only target.
      const { repository } = await w.pub.createRepository(rootB, { repositoryName: 'mine' });
      assert.equal(repository.registryId, B);
      assert.equal(repository.repositoryUri, `127.0.0.1:5000/public/${ALIAS_B}/mine`);
    },
  },
];

describe('EcrPublicService', () => {
  for (const c of cases) {
    test(c.name, c.todo === undefined ? {} : { todo: c.todo }, async () => {
      await c.run(await World.create());
    });
  }
});
