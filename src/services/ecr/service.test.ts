// EcrService against the in-memory store and blobs, the real door (Authorizer) and the real
// engine, with a fixed clock: every operation's happy path and every error code, and the seeds'
// decisions (001's tag-conditioned repository policy and its GetAuthorizationToken trap, 002's
// 2008-10-17 policy, 004's CloudFormation policies).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  addAccounts,
  addRole,
  addUser,
  allowDoc as allow,
  callerIn,
  ecrDeps,
  policyDoc as doc,
  putInlinePolicies,
  roleSessionRecord,
} from '../../../test/helpers/world.js';
import type { Caller, CallerIdentity } from '../../auth/caller.js';
import { verifyRegistryToken } from '../../auth/tokens.js';
import type { UploadId } from '../../store/blobs/BlobStore.js';
import { MemoryMetadataStore } from '../../store/meta/memory/MemoryMetadataStore.js';
import type { RepositoryRef, Role } from '../../store/meta/records.js';
import { AccessDeniedError, ServiceError } from '../errors.js';
import type { EcrDeps } from './deps.js';
import { EcrService } from './service.js';
import { UploadService } from './uploads.js';

const A = '111111111111';
const B = '222222222222';
const REGION = 'us-east-1';
const T0 = Date.parse('2026-11-23T12:00:00.000Z');
const KEY = Buffer.alloc(32, 7);
const SCHEMA2 = 'application/vnd.docker.distribution.manifest.v2+json';
const INDEX = 'application/vnd.oci.image.index.v1+json';
const CONFIG = 'application/vnd.docker.container.image.v1+json';

const arnOf = (account: string, name: string, region = REGION) =>
  `arn:aws:ecr:${region}:${account}:repository/${name}`;

/** Seed 001's repository policy (step 1), with account B filled in. */
const SEED_001 = JSON.stringify(
  {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: [
          'ecr:GetAuthorizationToken',
          'ecr:BatchCheckLayerAvailability',
          'ecr:GetDownloadUrlForLayer',
          'ecr:GetRepositoryPolicy',
          'ecr:DescribeRepositories',
          'ecr:ListImages',
          'ecr:DescribeImages',
          'ecr:BatchGetImage',
          'ecr:InitiateLayerUpload',
          'ecr:UploadLayerPart',
          'ecr:CompleteLayerUpload',
          'ecr:PutImage',
        ],
        Condition: { StringLike: { 'aws:ResourceTag/Team': 'Payments' } },
        Principal: { AWS: [`arn:aws:iam::${B}:user/devusr2`] },
        Sid: 'AllowCrossAccountPushAndPull',
      },
    ],
  },
  null,
  4,
);

/** Seed 002's repository policy (step 3), as the console generated it. */
const SEED_002 = JSON.stringify(
  {
    Version: '2008-10-17',
    Statement: [
      {
        Sid: 'new statement',
        Effect: 'Allow',
        Principal: { AWS: [`arn:aws:iam::${B}:root`, `arn:aws:iam::${A}:role/ECS-AssumeRole-MIQDevOps`] },
        Action: [
          'ecr:GetDownloadUrlForLayer',
          'ecr:BatchGetImage',
          'ecr:BatchCheckLayerAvailability',
          'ecr:PutImage',
          'ecr:InitiateLayerUpload',
          'ecr:UploadLayerPart',
          'ecr:CompleteLayerUpload',
          'ecr:ListImages',
        ],
      },
    ],
  },
  null,
  4,
);

/** Seed 004's Lambda policy. */
const SEED_004_LAMBDA = doc([
  {
    Sid: 'AllowPull',
    Effect: 'Allow',
    Principal: { Service: 'lambda.amazonaws.com' },
    Action: [
      'ecr:BatchGetImage',
      'ecr:GetDownloadUrlForLayer',
      'ecr:BatchCheckLayerAvailability',
      'ecr:GetRepositoryPolicy',
      'ecr:SetRepositoryPolicy',
    ],
  },
]);

const digestOf = (bytes: string) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

class World {
  readonly store = new MemoryMetadataStore();
  readonly clock = { now: () => T0 };
  readonly deps: EcrDeps = ecrDeps({ store: this.store, clock: this.clock, registryTokenKey: KEY });
  readonly ecr = new EcrService(this.deps);
  private seq = 0;

  static async create(): Promise<World> {
    const w = new World();
    await addAccounts(w.store, [A, B], T0);
    return w;
  }

  caller(accountId: string, identity: CallerIdentity, region = REGION): Promise<Caller> {
    const accessKeyId = identity.kind === 'role-session' ? 'ASIATESTTESTTESTTEST' : 'AKIATESTTESTTESTTEST';
    return callerIn(this.store, accountId, identity, { accessKeyId, region });
  }

  root(accountId = A, region = REGION): Promise<Caller> {
    return this.caller(accountId, { kind: 'root' }, region);
  }

  /** An IAM user with inline policies, as a caller. */
  async user(name: string, policies: string[] = [], accountId = A): Promise<Caller> {
    const id = `AIDA${String(++this.seq).padStart(16, 'X')}`;
    const user = await addUser(this.store, { accountId, name, id, at: T0, policies });
    return this.caller(accountId, { kind: 'user', user });
  }

  async role(name: string, accountId = A): Promise<Role> {
    return addRole(this.store, {
      accountId,
      name,
      id: `AROA${String(++this.seq).padStart(16, 'X')}`,
      at: T0,
      trust: doc([
        { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
      ]),
    });
  }

  async roleSession(role: Role, expiresAt: number, policies: string[] = []): Promise<Caller> {
    await putInlinePolicies(
      this.store,
      { kind: 'role', accountId: role.accountId, name: role.name },
      policies,
    );
    const session = roleSessionRecord(role, { box: this.deps.box, issuedAt: T0, expiresAt });
    return this.caller(role.accountId, { kind: 'role-session', role, session });
  }

  async repo(
    name: string,
    opts: { accountId?: string; tags?: Record<string, string> } = {},
  ): Promise<RepositoryRef> {
    const root = await this.root(opts.accountId ?? A);
    await this.ecr.createRepository(root, {
      repositoryName: name,
      ...(opts.tags && { tags: Object.entries(opts.tags).map(([Key, Value]) => ({ Key, Value })) }),
    });
    return { accountId: opts.accountId ?? A, region: REGION, name };
  }

  /** Stores an image manifest (config + one layer) directly, as a push would, with tags. */
  async image(ref: RepositoryRef, label: string, tags: string[] = [], at = T0): Promise<string> {
    const config = digestOf(`config-${label}`);
    const layer = digestOf(`layer-${label}`);
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: SCHEMA2,
      config: { mediaType: CONFIG, digest: config, size: 100 },
      layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: layer, size: 1000 }],
    });
    const digest = digestOf(manifest);
    for (const [d, size] of [
      [config, 100],
      [layer, 1000],
    ] as const) {
      await this.store.blobs.link(ref, { digest: d, size, linkedAt: new Date(at) });
    }
    await this.store.images.put(ref, {
      digest,
      mediaType: SCHEMA2,
      configDigest: config,
      configMediaType: CONFIG,
      manifest: Buffer.from(manifest),
      imageSize: 1100 + manifest.length,
      pushedAt: new Date(at),
      blobs: [config, layer],
      children: [],
    });
    for (const t of tags) await this.store.tags.put(ref, t, digest, new Date(at));
    return digest;
  }

  /** Stores an index over `children`, with tags. */
  async index(ref: RepositoryRef, children: string[], tags: string[] = []): Promise<string> {
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: INDEX,
      manifests: children.map((d) => ({ mediaType: SCHEMA2, digest: d, size: 500 })),
    });
    const digest = digestOf(manifest);
    await this.store.images.put(ref, {
      digest,
      mediaType: INDEX,
      manifest: Buffer.from(manifest),
      imageSize: manifest.length,
      pushedAt: new Date(T0),
      blobs: [],
      children,
    });
    for (const t of tags) await this.store.tags.put(ref, t, digest, new Date(T0));
    return digest;
  }
}

async function rejects(p: Promise<unknown>, code: string, message?: string | RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ServiceError, `expected a ServiceError, got ${String(e)}`);
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
  readonly run: (w: World) => Promise<void>;
}

const cases: Case[] = [
  // ── CreateRepository ──
  {
    name: 'CreateRepository answers the repository in AWS member order with AWS defaults and a path-style URI',
    async run(w) {
      const { repository } = await w.ecr.createRepository(await w.root(), { repositoryName: 'team/app' });
      assert.deepEqual(Object.keys(repository), [
        'repositoryArn',
        'registryId',
        'repositoryName',
        'repositoryUri',
        'createdAt',
        'imageTagMutability',
        'imageScanningConfiguration',
        'encryptionConfiguration',
      ]);
      assert.equal(repository.repositoryArn, arnOf(A, 'team/app'));
      assert.equal(repository.registryId, A);
      assert.equal(repository.repositoryUri, `127.0.0.1:5000/${A}/team/app`);
      assert.equal(repository.createdAt.getTime(), T0);
      assert.equal(repository.imageTagMutability, 'MUTABLE');
      assert.deepEqual(repository.imageScanningConfiguration, { scanOnPush: false });
      assert.deepEqual(repository.encryptionConfiguration, { encryptionType: 'AES256' });
    },
  },
  {
    name: 'CreateRepository in another region writes the region into the ARN and the URI',
    async run(w) {
      const { repository } = await w.ecr.createRepository(await w.root(A, 'eu-central-1'), {
        repositoryName: 'app',
      });
      assert.equal(repository.repositoryArn, arnOf(A, 'app', 'eu-central-1'));
      assert.equal(repository.repositoryUri, `127.0.0.1:5000/${A}.eu-central-1/app`);
      // The same name in us-east-1 is another repository.
      await w.ecr.createRepository(await w.root(), { repositoryName: 'app' });
    },
  },
  {
    name: 'CreateRepository keeps tags, exclusion filters, scanOnPush and a KMS key',
    async run(w) {
      const root = await w.root();
      const { repository } = await w.ecr.createRepository(root, {
        repositoryName: 'app',
        tags: [{ Key: 'Team', Value: 'Payments' }],
        imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
        imageTagMutabilityExclusionFilters: [{ filterType: 'WILDCARD', filter: 'latest*' }],
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfiguration: {
          encryptionType: 'KMS',
          kmsKey: 'arn:aws:kms:us-east-1:111111111111:key/k',
        },
      });
      assert.equal(repository.imageTagMutability, 'IMMUTABLE_WITH_EXCLUSION');
      assert.deepEqual(repository.imageTagMutabilityExclusionFilters, [
        { filterType: 'WILDCARD', filter: 'latest*' },
      ]);
      assert.deepEqual(repository.imageScanningConfiguration, { scanOnPush: true });
      assert.deepEqual(repository.encryptionConfiguration, {
        encryptionType: 'KMS',
        kmsKey: 'arn:aws:kms:us-east-1:111111111111:key/k',
      });
      const { tags } = await w.ecr.listTagsForResource(root, { resourceArn: repository.repositoryArn });
      assert.deepEqual(tags, [{ Key: 'Team', Value: 'Payments' }]);
    },
  },
  {
    name: 'CreateRepository with a one-character name is InvalidParameterException on length',
    async run(w) {
      await rejects(
        w.ecr.createRepository(await w.root(), { repositoryName: 'a' }),
        'InvalidParameterException',
        "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must have length greater than or equal to 2'",
      );
    },
  },
  {
    name: 'CreateRepository with uppercase letters is InvalidParameterException with the pattern',
    async run(w) {
      await rejects(
        w.ecr.createRepository(await w.root(), { repositoryName: 'My-App' }),
        'InvalidParameterException',
        "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression '(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*''",
      );
      for (const bad of ['app/', '/app', 'a..b', 'a//b', '-app']) {
        await rejects(
          w.ecr.createRepository(await w.root(), { repositoryName: bad }),
          'InvalidParameterException',
        );
      }
      await rejects(
        w.ecr.createRepository(await w.root(), { repositoryName: 'a'.repeat(257) }),
        'InvalidParameterException',
        /must have length less than or equal to 256/,
      );
      // botocore's pattern allows double underscores and runs of dashes.
      await w.ecr.createRepository(await w.root(), { repositoryName: 'a__b--c/d.e' });
    },
  },
  {
    name: 'CreateRepository of an existing name is RepositoryAlreadyExistsException',
    async run(w) {
      await w.repo('app');
      await rejects(
        w.ecr.createRepository(await w.root(), { repositoryName: 'app' }),
        'RepositoryAlreadyExistsException',
        `The repository with name 'app' already exists in the registry with id '${A}'`,
      );
    },
  },
  {
    name: 'CreateRepository validates mutability, exclusion filters, encryption and tags',
    async run(w) {
      const root = await w.root();
      const bad: [object, string, RegExp?][] = [
        [{ imageTagMutability: 'FROZEN' }, 'InvalidParameterException', /enum value set/],
        [{ imageTagMutability: 'MUTABLE_WITH_EXCLUSION' }, 'InvalidParameterException', /can't be null/],
        [
          { imageTagMutabilityExclusionFilters: [{ filterType: 'WILDCARD', filter: 'x*' }] },
          'InvalidParameterException',
        ],
        [
          {
            imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
            imageTagMutabilityExclusionFilters: [{ filterType: 'REGEX', filter: 'x' }],
          },
          'InvalidParameterException',
        ],
        [
          {
            imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
            imageTagMutabilityExclusionFilters: Array.from({ length: 6 }, (_, i) => ({
              filterType: 'WILDCARD',
              filter: `v${i}*`,
            })),
          },
          'InvalidParameterException',
        ],
        [{ encryptionConfiguration: { encryptionType: 'ROT13' } }, 'InvalidParameterException'],
        [{ encryptionConfiguration: { encryptionType: 'AES256', kmsKey: 'k' } }, 'InvalidParameterException'],
        [{ tags: [{ Key: 'k'.repeat(129), Value: 'v' }] }, 'InvalidTagParameterException'],
        [{ tags: [{ Key: 'k', Value: 'v'.repeat(257) }] }, 'InvalidTagParameterException'],
        [{ tags: [{ Key: '', Value: 'v' }] }, 'InvalidTagParameterException'],
        [
          { tags: Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: 'v' })) },
          'TooManyTagsException',
        ],
      ];
      for (const [extra, code, message] of bad) {
        await rejects(w.ecr.createRepository(root, { repositoryName: 'app', ...extra }), code, message);
      }
      await rejects(
        w.ecr.createRepository(root, { repositoryName: 'app', registryId: '1234' }),
        'InvalidParameterException',
        "Invalid parameter at 'registryId' failed to satisfy constraint: 'must satisfy regular expression '[0-9]{12}''",
      );
      assert.equal((await w.store.repositories.list(A, REGION)).items.length, 0);
    },
  },
  {
    name: 'a same-account user without ECR permissions is AccessDenied with AWS sentence',
    async run(w) {
      const dev = await w.user('dev');
      await denied(
        w.ecr.createRepository(dev, { repositoryName: 'app' }),
        `User: arn:aws:iam::${A}:user/dev is not authorized to perform: ecr:CreateRepository on resource: ${arnOf(A, 'app')} because no identity-based policy allows the ecr:CreateRepository action`,
      );
      await w.repo('app');
      await denied(
        w.ecr.describeRepositories(dev, { repositoryNames: ['app'] }),
        `User: arn:aws:iam::${A}:user/dev is not authorized to perform: ecr:DescribeRepositories on resource: ${arnOf(A, 'app')} because no identity-based policy allows the ecr:DescribeRepositories action`,
      );
      await denied(
        w.ecr.describeRepositories(dev, {}),
        `User: arn:aws:iam::${A}:user/dev is not authorized to perform: ecr:DescribeRepositories on resource: ${arnOf(A, '*')} because no identity-based policy allows the ecr:DescribeRepositories action`,
      );
      await denied(w.ecr.deleteRepository(dev, { repositoryName: 'app' }), /ecr:DeleteRepository/);
      await denied(w.ecr.listImages(dev, { repositoryName: 'app' }), /ecr:ListImages/);
      await denied(w.ecr.describeRegistry(dev), /ecr:DescribeRegistry on resource: \*/);
      // Authorization comes before existence: a missing repository is not revealed.
      await denied(w.ecr.listImages(dev, { repositoryName: 'nope' }), /repository\/nope because/);
    },
  },
  {
    name: 'CreateRepository sees aws:RequestTag and aws:TagKeys: a tag-conditioned identity policy allows only tagged creates',
    async run(w) {
      const dev = await w.user('dev', [
        allow('ecr:CreateRepository', '*', {
          StringEquals: { 'aws:RequestTag/Team': 'Payments' },
          'ForAllValues:StringEquals': { 'aws:TagKeys': ['Team'] },
        }),
      ]);
      await w.ecr.createRepository(dev, {
        repositoryName: 'payments',
        tags: [{ Key: 'Team', Value: 'Payments' }],
      });
      await denied(w.ecr.createRepository(dev, { repositoryName: 'untagged' }), /ecr:CreateRepository/);
      await denied(
        w.ecr.createRepository(dev, {
          repositoryName: 'other',
          tags: [
            { Key: 'Team', Value: 'Payments' },
            { Key: 'Cost', Value: '1' },
          ],
        }),
      );
    },
  },
  {
    name: 'CreateRepository in another account registry is AccessDenied even when its registry policy allows',
    async run(w) {
      const root = await w.root(B);
      await denied(
        w.ecr.createRepository(root, { repositoryName: 'app', registryId: A }),
        `User: arn:aws:iam::${B}:root is not authorized to perform: ecr:CreateRepository on resource: ${arnOf(A, 'app')} because no resource-based policy allows the ecr:CreateRepository action`,
      );
      await w.ecr.putRegistryPolicy(await w.root(), {
        policyText: doc([
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${B}:root` },
            Action: ['ecr:CreateRepository', 'ecr:ReplicateImage'],
            Resource: `arn:aws:ecr:${REGION}:${A}:repository/*`,
          },
        ]),
      });
      await denied(
        w.ecr.createRepository(root, { repositoryName: 'app', registryId: A }),
        /no resource-based policy/,
      );
      assert.equal(await w.store.repositories.get(A, REGION, 'app'), undefined);
    },
  },

  // ── DescribeRepositories ──
  {
    name: 'DescribeRepositories by names answers in the order asked, and a missing name fails the call',
    async run(w) {
      await w.repo('b-app');
      await w.repo('a-app');
      const root = await w.root();
      const { repositories } = await w.ecr.describeRepositories(root, {
        repositoryNames: ['b-app', 'a-app'],
      });
      assert.deepEqual(
        repositories.map((r) => r.repositoryName),
        ['b-app', 'a-app'],
      );
      await rejects(
        w.ecr.describeRepositories(root, { repositoryNames: ['a-app', 'nope'] }),
        'RepositoryNotFoundException',
        `The repository with name 'nope' does not exist in the registry with id '${A}'`,
      );
      await rejects(
        w.ecr.describeRepositories(root, { repositoryNames: ['a-app'], maxResults: 10 }),
        'InvalidParameterException',
      );
      await rejects(
        w.ecr.describeRepositories(root, { repositoryNames: ['a-app'], nextToken: 'x' }),
        'InvalidParameterException',
      );
      await rejects(w.ecr.describeRepositories(root, { repositoryNames: [] }), 'InvalidParameterException');
    },
  },
  {
    name: 'DescribeRepositories pages by maxResults with a nextToken until the last page',
    async run(w) {
      for (const n of ['r1', 'r2', 'r3', 'r4', 'r5']) await w.repo(n);
      const root = await w.root();
      const names: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const p = await w.ecr.describeRepositories(root, {
          maxResults: 2,
          ...(token && { nextToken: token }),
        });
        names.push(...p.repositories.map((r) => r.repositoryName));
        token = p.nextToken;
        pages++;
      } while (token !== undefined);
      assert.deepEqual(names, ['r1', 'r2', 'r3', 'r4', 'r5']);
      assert.equal(pages, 3);
      const all = await w.ecr.describeRepositories(root, {});
      assert.equal(all.repositories.length, 5);
      assert.equal(all.nextToken, undefined);
      for (const maxResults of [0, 1001]) {
        await rejects(w.ecr.describeRepositories(root, { maxResults }), 'InvalidParameterException');
      }
      await rejects(w.ecr.describeRepositories(root, { nextToken: 'garbage' }), 'InvalidParameterException');
      const deep = Buffer.from('['.repeat(5000)).toString('base64url');
      await rejects(w.ecr.describeRepositories(root, { nextToken: deep }), 'InvalidParameterException');
    },
  },
  {
    name: 'DescribeRepositories and ListImages answer 100 entries a page when maxResults is absent',
    async run(w) {
      const root = await w.root();
      for (let i = 0; i < 101; i++) {
        await w.ecr.createRepository(root, { repositoryName: `r${String(i).padStart(3, '0')}` });
      }
      const first = await w.ecr.describeRepositories(root, {});
      assert.equal(first.repositories.length, 100);
      assert.ok(first.nextToken !== undefined);
      const second = await w.ecr.describeRepositories(root, { nextToken: first.nextToken });
      assert.deepEqual(
        second.repositories.map((r) => r.repositoryName),
        ['r100'],
      );
      assert.equal(second.nextToken, undefined);
      const ref = { accountId: A, region: REGION, name: 'r000' };
      await w.image(
        ref,
        'many',
        Array.from({ length: 101 }, (_, i) => `t${i}`),
      );
      const images = await w.ecr.listImages(root, { repositoryName: 'r000' });
      assert.equal(images.imageIds.length, 100);
      assert.ok(images.nextToken !== undefined);
    },
  },
  {
    name: 'DescribeRepositories without names lists only what the caller may describe; allowed on none of an empty registry is an empty list',
    async run(w) {
      for (const n of ['team-a/app', 'team-a/api', 'team-b/app']) await w.repo(n);
      const dev = await w.user('dev', [
        allow('ecr:DescribeRepositories', `arn:aws:ecr:${REGION}:${A}:repository/team-a/*`),
      ]);
      const { repositories } = await w.ecr.describeRepositories(dev, {});
      assert.deepEqual(
        repositories.map((r) => r.repositoryName),
        ['team-a/api', 'team-a/app'],
      );
      const ops = await w.user('ops', [allow('ecr:DescribeRepositories')], B);
      assert.deepEqual(await w.ecr.describeRepositories(ops, {}), { repositories: [] });
    },
  },
  {
    name: 'an explicit Deny on one repository hides it from the listing',
    async run(w) {
      await w.repo('public');
      await w.repo('secret');
      const dev = await w.user('dev', [
        doc([
          { Effect: 'Allow', Action: 'ecr:*', Resource: '*' },
          { Effect: 'Deny', Action: 'ecr:DescribeRepositories', Resource: arnOf(A, 'secret') },
        ]),
      ]);
      const { repositories } = await w.ecr.describeRepositories(dev, {});
      assert.deepEqual(
        repositories.map((r) => r.repositoryName),
        ['public'],
      );
    },
  },

  // ── DeleteRepository ──
  {
    name: 'DeleteRepository refuses a repository with images unless forced, and answers the repository',
    async run(w) {
      const ref = await w.repo('app');
      await w.image(ref, 'one', ['v1']);
      const root = await w.root();
      await rejects(
        w.ecr.deleteRepository(root, { repositoryName: 'app' }),
        'RepositoryNotEmptyException',
        `The repository with name 'app' in registry with id '${A}' cannot be deleted because it still contains images`,
      );
      const { repository } = await w.ecr.deleteRepository(root, { repositoryName: 'app', force: true });
      assert.equal(repository.repositoryName, 'app');
      assert.equal(await w.store.repositories.get(A, REGION, 'app'), undefined);
      await rejects(w.ecr.deleteRepository(root, { repositoryName: 'app' }), 'RepositoryNotFoundException');
      await w.repo('empty');
      await w.ecr.deleteRepository(root, { repositoryName: 'empty' });
    },
  },
  {
    name: 'DeleteRepository ends the repository’s open upload sessions, bytes included',
    async run(w) {
      const ref = await w.repo('busy');
      const root = await w.root();
      const uploads = new UploadService(w.deps);
      const u = await uploads.start(root, ref);
      await uploads.append(root, ref, u.uploadId, Readable.from([Buffer.from('half a layer')]));
      const id = u.uploadId as UploadId;
      assert.equal((await w.deps.blobs.uploads.status(id))?.size, 12);
      await w.ecr.deleteRepository(root, { repositoryName: 'busy' });
      assert.equal(await w.store.uploads.get(id), undefined);
      assert.equal(await w.deps.blobs.uploads.status(id), undefined, 'the bytes are gone too');
    },
  },

  // ── repository policies ──
  {
    name: 'Set/Get/DeleteRepositoryPolicy round-trip the text; Get and Delete without a policy are RepositoryPolicyNotFoundException',
    async run(w) {
      await w.repo('app');
      await w.role('ECS-AssumeRole-MIQDevOps');
      const root = await w.root();
      await rejects(
        w.ecr.getRepositoryPolicy(root, { repositoryName: 'app' }),
        'RepositoryPolicyNotFoundException',
        `Repository policy does not exist for the repository with name 'app' in the registry with id '${A}'`,
      );
      const set = await w.ecr.setRepositoryPolicy(root, {
        repositoryName: 'app',
        policyText: SEED_002,
        force: false,
      });
      assert.deepEqual(set, { registryId: A, repositoryName: 'app', policyText: SEED_002 });
      assert.deepEqual(await w.ecr.getRepositoryPolicy(root, { repositoryName: 'app' }), set);
      assert.deepEqual(await w.ecr.deleteRepositoryPolicy(root, { repositoryName: 'app' }), set);
      await rejects(
        w.ecr.deleteRepositoryPolicy(root, { repositoryName: 'app' }),
        'RepositoryPolicyNotFoundException',
      );
      await rejects(
        w.ecr.setRepositoryPolicy(root, { repositoryName: 'nope', policyText: SEED_002 }),
        'RepositoryNotFoundException',
      );
    },
  },
  {
    name: 'seed 002 policy (Version 2008-10-17, Sid "new statement") is accepted and lets account B pull',
    async run(w) {
      const ref = await w.repo('miqp-devops');
      await w.role('ECS-AssumeRole-MIQDevOps');
      await w.ecr.setRepositoryPolicy(await w.root(), {
        repositoryName: 'miqp-devops',
        policyText: SEED_002,
      });
      await w.image(ref, 'one', ['latest']);
      const puller = await w.user('ci', [allow('ecr:*')], B);
      const { imageIds } = await w.ecr.listImages(puller, { repositoryName: 'miqp-devops', registryId: A });
      assert.equal(imageIds.length, 1);
      // DescribeImages is not in the policy: the resource side has no Allow.
      await denied(
        w.ecr.describeImages(puller, { repositoryName: 'miqp-devops', registryId: A }),
        `User: arn:aws:iam::${B}:user/ci is not authorized to perform: ecr:DescribeImages on resource: ${arnOf(A, 'miqp-devops')} because no resource-based policy allows the ecr:DescribeImages action`,
      );
    },
  },
  {
    name: 'seed 004 policies (a Lambda service principal, an account root) are accepted',
    async run(w) {
      await w.repo('my-ecr-repository');
      const root = await w.root();
      await w.ecr.setRepositoryPolicy(root, {
        repositoryName: 'my-ecr-repository',
        policyText: SEED_004_LAMBDA,
      });
      await w.ecr.setRepositoryPolicy(root, {
        repositoryName: 'my-ecr-repository',
        policyText: doc([
          {
            Sid: 'AllowPull',
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${B}:root` },
            Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'],
          },
        ]),
      });
    },
  },
  {
    name: 'a repository policy with a Resource element, bad JSON, no Principal or an unknown principal is refused with ECR sentence',
    async run(w) {
      await w.repo('app');
      await w.user('alice', [], B);
      const root = await w.root();
      const message =
        "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'";
      const bad = [
        doc([{ Effect: 'Allow', Principal: '*', Action: 'ecr:BatchGetImage', Resource: arnOf(A, 'app') }]),
        '{"Version": "2012-10-17", "Statement": [',
        doc([{ Effect: 'Allow', Action: 'ecr:BatchGetImage' }]),
        doc([
          { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${B}:user/bob` }, Action: 'ecr:BatchGetImage' },
        ]),
        doc([
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${B}:user/ALICE` },
            Action: 'ecr:BatchGetImage',
          },
        ]),
        doc([
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${B}:role/ghost` },
            Action: 'ecr:BatchGetImage',
          },
        ]),
        doc([{ Effect: 'Allow', Principal: { AWS: 'AIDAXXXXXXXXXXXXXXXX' }, Action: 'ecr:BatchGetImage' }]),
        doc([{ Effect: 'Allow', Principal: { AWS: 'not-an-arn' }, Action: 'ecr:BatchGetImage' }]),
      ];
      for (const policyText of bad) {
        await rejects(
          w.ecr.setRepositoryPolicy(root, { repositoryName: 'app', policyText }),
          'InvalidParameterException',
          message,
        );
      }
      await w.ecr.setRepositoryPolicy(root, {
        repositoryName: 'app',
        policyText: doc([
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${B}:user/alice` },
            Action: 'ecr:BatchGetImage',
          },
        ]),
      });
      await rejects(
        w.ecr.setRepositoryPolicy(root, { repositoryName: 'app', policyText: ' '.repeat(10_241) }),
        'InvalidParameterException',
        "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Member must have length less than or equal to 10240'",
      );
    },
  },
  {
    name: 'seed 001: the tag-conditioned repository policy lets devusr2 of B act on the Team=Payments repository only',
    async run(w) {
      const tagged = await w.repo('my-first-repo', { tags: { Team: 'Payments' } });
      const plain = await w.repo('other-repo');
      await w.image(tagged, 'one', ['v1']);
      await w.image(plain, 'two', ['v1']);
      const devusr2 = await w.user('devusr2', [allow('ecr:*')], B);
      const root = await w.root();
      for (const repositoryName of ['my-first-repo', 'other-repo']) {
        await w.ecr.setRepositoryPolicy(root, { repositoryName, policyText: SEED_001 });
      }
      const ok = await w.ecr.describeImages(devusr2, { repositoryName: 'my-first-repo', registryId: A });
      assert.equal(ok.imageDetails.length, 1);
      await w.ecr.listImages(devusr2, { repositoryName: 'my-first-repo', registryId: A });
      const { repositories } = await w.ecr.describeRepositories(devusr2, { registryId: A });
      assert.deepEqual(
        repositories.map((r) => r.repositoryName),
        ['my-first-repo'],
      );
      await denied(
        w.ecr.describeImages(devusr2, { repositoryName: 'other-repo', registryId: A }),
        `User: arn:aws:iam::${B}:user/devusr2 is not authorized to perform: ecr:DescribeImages on resource: ${arnOf(A, 'other-repo')} because no resource-based policy allows the ecr:DescribeImages action`,
      );
      // Tagging the other repository opens it at once.
      await w.ecr.tagResource(root, {
        resourceArn: arnOf(A, 'other-repo'),
        tags: [{ Key: 'Team', Value: 'Payments' }],
      });
      await w.ecr.describeImages(devusr2, { repositoryName: 'other-repo', registryId: A });
      // Without an identity policy in B, the repository policy alone is not enough across accounts.
      const devusr3 = await w.user('devusr3', [], B);
      await denied(
        w.ecr.listImages(devusr3, { repositoryName: 'my-first-repo', registryId: A }),
        /because no identity-based policy allows the ecr:ListImages action/,
      );
    },
  },

  // ── GetAuthorizationToken ──
  {
    name: 'seed 001 trap: GetAuthorizationToken is denied without an identity policy even though the repository policy lists it',
    async run(w) {
      await w.repo('my-first-repo', { tags: { Team: 'Payments' } });
      const devusr2 = await w.user('devusr2', [], B);
      await w.ecr.setRepositoryPolicy(await w.root(), {
        repositoryName: 'my-first-repo',
        policyText: SEED_001,
      });
      await denied(
        w.ecr.getAuthorizationToken(devusr2, { registryIds: [A] }),
        `User: arn:aws:iam::${B}:user/devusr2 is not authorized to perform: ecr:GetAuthorizationToken on resource: * because no identity-based policy allows the ecr:GetAuthorizationToken action`,
      );
      await w.store.inlinePolicies.put(
        { kind: 'user', accountId: B, name: 'devusr2' },
        { name: 'login', document: allow('ecr:GetAuthorizationToken') },
      );
      const { authorizationData } = await w.ecr.getAuthorizationToken(devusr2, { registryIds: [A] });
      assert.equal(authorizationData.length, 1);
      assert.equal(authorizationData[0]!.proxyEndpoint, `http://127.0.0.1:5000/${A}`);
    },
  },
  {
    name: 'GetAuthorizationToken: base64 of AWS:<password>, the password verifies and names the caller key, 12 hours',
    async run(w) {
      const root = await w.root();
      const { authorizationData } = await w.ecr.getAuthorizationToken(root, {});
      assert.equal(authorizationData.length, 1);
      const d = authorizationData[0]!;
      assert.deepEqual(Object.keys(d), ['authorizationToken', 'expiresAt', 'proxyEndpoint']);
      const decoded = Buffer.from(d.authorizationToken, 'base64').toString('utf8');
      assert.ok(decoded.startsWith('AWS:'));
      const verified = verifyRegistryToken(KEY, decoded.slice(4), T0 + 1000);
      assert.ok(verified.ok);
      assert.equal(verified.claims.accessKeyId, 'AKIATESTTESTTESTTEST');
      assert.equal(verified.claims.registryId, A);
      assert.equal(d.expiresAt.getTime(), T0 + 12 * 3600_000);
      assert.equal(verified.claims.expiresAt, d.expiresAt.getTime());
      assert.equal(d.proxyEndpoint, `http://127.0.0.1:5000/${A}`);
      assert.equal(verifyRegistryToken(KEY, decoded.slice(4), T0 + 12 * 3600_000).ok, false);
    },
  },
  {
    name: 'GetAuthorizationToken answers one entry per registry id, and refuses more than 10 or a malformed id',
    async run(w) {
      const root = await w.root(A, 'eu-central-1');
      const { authorizationData } = await w.ecr.getAuthorizationToken(root, { registryIds: [A, B] });
      assert.deepEqual(
        authorizationData.map((d) => d.proxyEndpoint),
        [`http://127.0.0.1:5000/${A}.eu-central-1`, `http://127.0.0.1:5000/${B}.eu-central-1`],
      );
      const second = Buffer.from(authorizationData[1]!.authorizationToken, 'base64')
        .toString('utf8')
        .slice(4);
      const v = verifyRegistryToken(KEY, second, T0);
      assert.ok(v.ok && v.claims.registryId === B);
      await rejects(
        w.ecr.getAuthorizationToken(root, { registryIds: Array.from({ length: 11 }, () => A) }),
        'InvalidParameterException',
      );
      await rejects(w.ecr.getAuthorizationToken(root, { registryIds: ['12'] }), 'InvalidParameterException');
    },
  },
  {
    name: 'GetAuthorizationToken for a role session expires with the session',
    async run(w) {
      const role = await w.role('Puller');
      const session = await w.roleSession(role, T0 + 3600_000, [allow('ecr:GetAuthorizationToken')]);
      const { authorizationData } = await w.ecr.getAuthorizationToken(session, {});
      assert.equal(authorizationData[0]!.expiresAt.getTime(), T0 + 3600_000);
      const password = Buffer.from(authorizationData[0]!.authorizationToken, 'base64')
        .toString('utf8')
        .slice(4);
      const v = verifyRegistryToken(KEY, password, T0);
      assert.ok(v.ok && v.claims.accessKeyId === 'ASIATESTTESTTESTTEST');
    },
  },

  // ── registry policy and DescribeRegistry ──
  {
    name: 'Put/Get/DeleteRegistryPolicy round-trip; Get and Delete without one are RegistryPolicyNotFoundException',
    async run(w) {
      const root = await w.root();
      const text = doc([
        {
          Sid: 'ReplicationAccessCrossAccount',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${B}:root` },
          Action: ['ecr:CreateRepository', 'ecr:ReplicateImage'],
          Resource: `arn:aws:ecr:${REGION}:${A}:repository/*`,
        },
      ]);
      await rejects(
        w.ecr.getRegistryPolicy(root),
        'RegistryPolicyNotFoundException',
        `Registry policy does not exist in the registry with id '${A}'`,
      );
      assert.deepEqual(await w.ecr.putRegistryPolicy(root, { policyText: text }), {
        registryId: A,
        policyText: text,
      });
      assert.deepEqual(await w.ecr.getRegistryPolicy(root), { registryId: A, policyText: text });
      assert.deepEqual(await w.ecr.deleteRegistryPolicy(root), { registryId: A, policyText: text });
      await rejects(w.ecr.deleteRegistryPolicy(root), 'RegistryPolicyNotFoundException');
      await rejects(
        w.ecr.putRegistryPolicy(root, {
          policyText: doc([
            { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${B}:root` }, Action: 'ecr:ReplicateImage' },
          ]),
        }),
        'InvalidParameterException',
        "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid registry policy provided'",
      );
      const dev = await w.user('dev');
      await denied(
        w.ecr.putRegistryPolicy(dev, { policyText: text }),
        /ecr:PutRegistryPolicy on resource: \*/,
      );
    },
  },
  {
    name: 'DescribeRegistry answers empty rules when unset and the stored replication rules otherwise',
    async run(w) {
      const root = await w.root();
      assert.deepEqual(await w.ecr.describeRegistry(root), {
        registryId: A,
        replicationConfiguration: { rules: [] },
      });
      await w.store.registries.put(A, REGION, {
        replicationConfiguration: {
          rules: [
            {
              destinations: [{ region: 'eu-west-1', registryId: B }],
              repositoryFilters: [{ filter: 'prod', filterType: 'PREFIX_MATCH' }],
            },
            { destinations: [{ region: 'us-west-2', registryId: A }], repositoryFilters: [] },
          ],
        },
        updatedAt: new Date(T0),
      });
      assert.deepEqual(await w.ecr.describeRegistry(root), {
        registryId: A,
        replicationConfiguration: {
          rules: [
            {
              destinations: [{ region: 'eu-west-1', registryId: B }],
              repositoryFilters: [{ filter: 'prod', filterType: 'PREFIX_MATCH' }],
            },
            { destinations: [{ region: 'us-west-2', registryId: A }] },
          ],
        },
      });
    },
  },

  // ── tags ──
  {
    name: 'TagResource upserts by key, UntagResource ignores absent keys, ListTagsForResource keeps the order',
    async run(w) {
      await w.repo('app', { tags: { Team: 'Payments' } });
      const root = await w.root();
      const resourceArn = arnOf(A, 'app');
      assert.deepEqual(
        await w.ecr.tagResource(root, {
          resourceArn,
          tags: [
            { Key: 'Env', Value: 'prod' },
            { Key: 'Team', Value: 'Core' },
          ],
        }),
        {},
      );
      assert.deepEqual((await w.ecr.listTagsForResource(root, { resourceArn })).tags, [
        { Key: 'Team', Value: 'Core' },
        { Key: 'Env', Value: 'prod' },
      ]);
      await w.ecr.untagResource(root, { resourceArn, tagKeys: ['Team', 'missing'] });
      assert.deepEqual((await w.ecr.listTagsForResource(root, { resourceArn })).tags, [
        { Key: 'Env', Value: 'prod' },
      ]);
    },
  },
  {
    name: 'tag operations refuse a malformed or foreign-region ARN, a missing repository, bad tags and a 51st tag',
    async run(w) {
      await w.repo('app', { tags: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v'])) });
      const root = await w.root();
      for (const resourceArn of [
        'app',
        `arn:aws:ecr:eu-west-1:${A}:repository/app`,
        `arn:aws:s3:::bucket`,
        `arn:aws:ecr:${REGION}:${A}:repository/App`,
      ]) {
        await rejects(
          w.ecr.listTagsForResource(root, { resourceArn }),
          'InvalidParameterException',
          "Invalid parameter at 'resourceArn' failed to satisfy constraint: 'Invalid ARN'",
        );
      }
      await rejects(
        w.ecr.listTagsForResource(root, { resourceArn: arnOf(A, 'nope') }),
        'RepositoryNotFoundException',
      );
      await rejects(
        w.ecr.tagResource(root, { resourceArn: arnOf(A, 'app'), tags: [{ Key: 'k50', Value: 'v' }] }),
        'TooManyTagsException',
      );
      await w.ecr.tagResource(root, { resourceArn: arnOf(A, 'app'), tags: [{ Key: 'k0', Value: 'new' }] });
      await rejects(
        w.ecr.tagResource(root, {
          resourceArn: arnOf(A, 'app'),
          tags: [{ Key: 'x'.repeat(129), Value: 'v' }],
        }),
        'InvalidTagParameterException',
      );
      await rejects(
        w.ecr.untagResource(root, { resourceArn: arnOf(A, 'app'), tagKeys: [''] }),
        'InvalidTagParameterException',
      );
    },
  },
  {
    name: 'TagResource sees aws:RequestTag and UntagResource aws:TagKeys',
    async run(w) {
      await w.repo('app');
      const dev = await w.user('dev', [
        allow(['ecr:TagResource', 'ecr:UntagResource'], '*', {
          'ForAllValues:StringEquals': { 'aws:TagKeys': ['Env'] },
        }),
      ]);
      const resourceArn = arnOf(A, 'app');
      await w.ecr.tagResource(dev, { resourceArn, tags: [{ Key: 'Env', Value: 'prod' }] });
      await denied(
        w.ecr.tagResource(dev, { resourceArn, tags: [{ Key: 'Team', Value: 'x' }] }),
        /ecr:TagResource/,
      );
      await w.ecr.untagResource(dev, { resourceArn, tagKeys: ['Env'] });
      await denied(w.ecr.untagResource(dev, { resourceArn, tagKeys: ['Team'] }), /ecr:UntagResource/);
    },
  },

  // ── images ──
  {
    name: 'ListImages answers one entry per tag and digest-only for untagged images, filtered by tagStatus',
    async run(w) {
      const ref = await w.repo('app');
      const one = await w.image(ref, 'one', ['v1', 'latest']);
      const two = await w.image(ref, 'two');
      const root = await w.root();
      const all = await w.ecr.listImages(root, { repositoryName: 'app' });
      const expected = [
        { imageDigest: one, imageTag: 'latest' },
        { imageDigest: one, imageTag: 'v1' },
        { imageDigest: two },
      ].sort((a, b) => (a.imageDigest + (a.imageTag ?? '') < b.imageDigest + (b.imageTag ?? '') ? -1 : 1));
      assert.deepEqual(all, { imageIds: expected });
      assert.deepEqual(
        (await w.ecr.listImages(root, { repositoryName: 'app', filter: { tagStatus: 'UNTAGGED' } })).imageIds,
        [{ imageDigest: two }],
      );
      assert.equal(
        (await w.ecr.listImages(root, { repositoryName: 'app', filter: { tagStatus: 'TAGGED' } })).imageIds
          .length,
        2,
      );
      await rejects(
        w.ecr.listImages(root, { repositoryName: 'app', filter: { tagStatus: 'SOME' } }),
        'InvalidParameterException',
      );
      await rejects(w.ecr.listImages(root, { repositoryName: 'nope' }), 'RepositoryNotFoundException');
    },
  },
  {
    name: 'ListImages pages through entries, splitting an image tags across pages',
    async run(w) {
      const ref = await w.repo('app');
      await w.image(ref, 'one', ['a', 'b', 'c']);
      await w.image(ref, 'two', ['d']);
      const root = await w.root();
      const seen: string[] = [];
      let token: string | undefined;
      do {
        const p = await w.ecr.listImages(root, {
          repositoryName: 'app',
          maxResults: 3,
          ...(token && { nextToken: token }),
        });
        assert.ok(p.imageIds.length <= 3);
        seen.push(...p.imageIds.map((i) => i.imageTag ?? '-'));
        token = p.nextToken;
      } while (token !== undefined);
      assert.deepEqual([...seen].sort(), ['a', 'b', 'c', 'd']);
      const first = await w.ecr.describeImages(root, { repositoryName: 'app', maxResults: 1 });
      await rejects(
        w.ecr.listImages(root, { repositoryName: 'app', nextToken: first.nextToken! }),
        'InvalidParameterException',
      );
    },
  },
  {
    name: 'DescribeImages shows size, push time, tags and media types; a missing id is ImageNotFoundException',
    async run(w) {
      const ref = await w.repo('app');
      const one = await w.image(ref, 'one', ['v1', 'latest']);
      const root = await w.root();
      const { imageDetails } = await w.ecr.describeImages(root, {
        repositoryName: 'app',
        imageIds: [{ imageTag: 'v1' }, { imageDigest: one }],
      });
      assert.equal(imageDetails.length, 1);
      const d = imageDetails[0]!;
      assert.deepEqual(Object.keys(d), [
        'registryId',
        'repositoryName',
        'imageDigest',
        'imageTags',
        'imageSizeInBytes',
        'imagePushedAt',
        'imageManifestMediaType',
        'artifactMediaType',
      ]);
      assert.equal(d.imageDigest, one);
      assert.deepEqual(d.imageTags, ['latest', 'v1']);
      assert.ok(d.imageSizeInBytes > 1100);
      assert.equal(d.imagePushedAt.getTime(), T0);
      assert.equal(d.imageManifestMediaType, SCHEMA2);
      assert.equal(d.artifactMediaType, CONFIG);
      await rejects(
        w.ecr.describeImages(root, {
          repositoryName: 'app',
          imageIds: [{ imageTag: 'v1' }, { imageTag: 'nope' }],
        }),
        'ImageNotFoundException',
        `The image with imageId {imageDigest:'null', imageTag:'nope'} does not exist within the repository with name 'app' in the registry with id '${A}'`,
      );
      await rejects(
        w.ecr.describeImages(root, {
          repositoryName: 'app',
          imageIds: [{ imageTag: 'v1', imageDigest: digestOf('x') }],
        }),
        'ImageNotFoundException',
      );
      await rejects(
        w.ecr.describeImages(root, { repositoryName: 'app', imageIds: [{ imageTag: 'v1' }], maxResults: 5 }),
        'InvalidParameterException',
      );
    },
  },
  {
    name: 'DescribeImages without ids pages by digest and filters by tagStatus',
    async run(w) {
      const ref = await w.repo('app');
      for (const l of ['a', 'b', 'c']) await w.image(ref, l, [l]);
      await w.image(ref, 'untagged');
      const root = await w.root();
      const digests: string[] = [];
      let token: string | undefined;
      do {
        const p = await w.ecr.describeImages(root, {
          repositoryName: 'app',
          maxResults: 2,
          ...(token && { nextToken: token }),
        });
        digests.push(...p.imageDetails.map((d) => d.imageDigest));
        token = p.nextToken;
      } while (token !== undefined);
      assert.equal(digests.length, 4);
      assert.deepEqual(digests, [...digests].sort());
      const tagged = await w.ecr.describeImages(root, {
        repositoryName: 'app',
        filter: { tagStatus: 'TAGGED' },
      });
      assert.equal(tagged.imageDetails.length, 3);
    },
  },
  {
    name: 'BatchDeleteImage by digest deletes the image and all its tags',
    async run(w) {
      const ref = await w.repo('app');
      const one = await w.image(ref, 'one', ['v1', 'latest']);
      const out = await w.ecr.batchDeleteImage(await w.root(), {
        repositoryName: 'app',
        imageIds: [{ imageDigest: one }],
      });
      assert.deepEqual(out, {
        imageIds: [
          { imageDigest: one, imageTag: 'latest' },
          { imageDigest: one, imageTag: 'v1' },
        ],
        failures: [],
      });
      assert.equal(await w.store.images.get(ref, one), undefined);
    },
  },
  {
    name: 'BatchDeleteImage by tag removes the tag, and the image with its last tag',
    async run(w) {
      const ref = await w.repo('app');
      const one = await w.image(ref, 'one', ['v1', 'latest']);
      const root = await w.root();
      const first = await w.ecr.batchDeleteImage(root, {
        repositoryName: 'app',
        imageIds: [{ imageTag: 'latest' }],
      });
      assert.deepEqual(first, { imageIds: [{ imageDigest: one, imageTag: 'latest' }], failures: [] });
      assert.deepEqual((await w.store.images.get(ref, one))?.tags, ['v1']);
      const last = await w.ecr.batchDeleteImage(root, {
        repositoryName: 'app',
        imageIds: [{ imageTag: 'v1', imageDigest: one }],
      });
      assert.deepEqual(last, { imageIds: [{ imageDigest: one, imageTag: 'v1' }], failures: [] });
      assert.equal(await w.store.images.get(ref, one), undefined);
    },
  },
  {
    name: 'BatchDeleteImage reports missing, malformed and index-referenced images as failures and keeps them',
    async run(w) {
      const ref = await w.repo('app');
      const child = await w.image(ref, 'child', ['amd64']);
      const idx = await w.index(ref, [child], ['multi']);
      const root = await w.root();
      const out = await w.ecr.batchDeleteImage(root, {
        repositoryName: 'app',
        imageIds: [
          { imageTag: 'amd64' },
          { imageDigest: child },
          { imageTag: 'nope' },
          {},
          { imageDigest: 'sha256:xyz' },
        ],
      });
      assert.deepEqual(out.imageIds, []);
      const referenced = {
        failureCode: 'ImageReferencedByManifestList',
        failureReason: `Requested image referenced by manifest list: [${idx}]`,
      };
      assert.deepEqual(out.failures, [
        { imageId: { imageTag: 'amd64' }, ...referenced },
        { imageId: { imageDigest: child }, ...referenced },
        {
          imageId: { imageTag: 'nope' },
          failureCode: 'ImageNotFound',
          failureReason: 'Requested image not found',
        },
        {
          imageId: {},
          failureCode: 'MissingDigestAndTag',
          failureReason: 'Invalid request parameters: both tag and digest cannot be null',
        },
        {
          imageId: { imageDigest: 'sha256:xyz' },
          failureCode: 'InvalidImageDigest',
          failureReason:
            "Invalid request parameters: image digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'",
        },
      ]);
      assert.deepEqual((await w.store.images.get(ref, child))?.tags, ['amd64']);
      // The index and its child together go.
      const both = await w.ecr.batchDeleteImage(root, {
        repositoryName: 'app',
        imageIds: [{ imageTag: 'multi' }, { imageDigest: child }],
      });
      assert.deepEqual(both.failures, []);
      assert.deepEqual(both.imageIds, [
        { imageDigest: idx, imageTag: 'multi' },
        { imageDigest: child, imageTag: 'amd64' },
      ]);
      await rejects(
        w.ecr.batchDeleteImage(root, { repositoryName: 'app', imageIds: [] }),
        'InvalidParameterException',
      );
    },
  },

  // ── PutImageTagMutability ──
  {
    name: 'PutImageTagMutability changes the setting and echoes it; a missing repository is RepositoryNotFoundException',
    async run(w) {
      await w.repo('app');
      const root = await w.root();
      assert.deepEqual(
        await w.ecr.putImageTagMutability(root, { repositoryName: 'app', imageTagMutability: 'IMMUTABLE' }),
        {
          registryId: A,
          repositoryName: 'app',
          imageTagMutability: 'IMMUTABLE',
        },
      );
      const out = await w.ecr.putImageTagMutability(root, {
        repositoryName: 'app',
        imageTagMutability: 'MUTABLE_WITH_EXCLUSION',
        imageTagMutabilityExclusionFilters: [{ filterType: 'WILDCARD', filter: 'release-*' }],
      });
      assert.deepEqual(out.imageTagMutabilityExclusionFilters, [
        { filterType: 'WILDCARD', filter: 'release-*' },
      ]);
      assert.equal(
        (await w.store.repositories.get(A, REGION, 'app'))?.imageTagMutability,
        'MUTABLE_WITH_EXCLUSION',
      );
      await rejects(
        w.ecr.putImageTagMutability(root, { repositoryName: 'nope', imageTagMutability: 'IMMUTABLE' }),
        'RepositoryNotFoundException',
      );
      await rejects(
        w.ecr.putImageTagMutability(root, { repositoryName: 'app', imageTagMutability: 'SOMETIMES' }),
        'InvalidParameterException',
      );
    },
  },
];

describe('EcrService', () => {
  for (const c of cases) {
    test(c.name, async () => {
      const w = await World.create();
      await c.run(w);
    });
  }
});
