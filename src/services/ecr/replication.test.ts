// Private image replication against the in-memory store, the real door and engine, and an injected
// clock: PutReplicationConfiguration's validation, jobs queued with the push that caused them, the
// worker's copy (cross-region, cross-account with and without the destination registry policy,
// indexes, creation templates), its convergence and fencing across a restart, retries with
// backoff, and DescribeImageReplicationStatus. No wall-clock time anywhere.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { addAccounts, addUser, callerIn, ecrDeps, policyDoc as doc } from '../../../test/helpers/world.js';
import type { Caller } from '../../auth/caller.js';
import type { MetadataStore } from '../../store/meta/MetadataStore.js';
import { MemoryMetadataStore } from '../../store/meta/memory/MemoryMetadataStore.js';
import { openSqliteMetadataStore } from '../../store/meta/sqlite/SqliteMetadataStore.js';
import type { ReplicationJob, RepositoryRef } from '../../store/meta/records.js';
import { listAll } from '../authz.js';
import { AccessDeniedError, ServiceError } from '../errors.js';
import { IdFactory } from '../ids.js';
import type { EcrDeps } from './deps.js';
import { ImageService } from './images.js';
import { replicationCaller, ReplicationWorker } from './replicationWorker.js';
import { EcrService } from './service.js';

const A = '111111111111';
const B = '222222222222';
const EAST = 'us-east-1';
const WEST = 'us-west-2';
const T0 = Date.parse('2026-11-23T12:00:00.000Z');
const SCHEMA2 = 'application/vnd.docker.distribution.manifest.v2+json';
const INDEX = 'application/vnd.oci.image.index.v1+json';
const CONFIG = 'application/vnd.docker.container.image.v1+json';
const LEASE = 60_000;

const sha = (s: string | Buffer) => `sha256:${createHash('sha256').update(s).digest('hex')}`;
/** The destination registry policy of AWS's documentation, for source account `src`. */
const replicationPolicy = (src: string, actions = ['ecr:CreateRepository', 'ecr:ReplicateImage'], dest = B) =>
  doc([
    {
      Sid: 'AllowReplication',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${src}:root` },
      Action: actions,
      Resource: `arn:aws:ecr:*:${dest}:repository/*`,
    },
  ]);

/** The drivers the worker's suite runs against: its transactions and fencing are the store's. */
const DRIVERS: { name: string; open: () => Promise<MetadataStore> }[] = [
  { name: 'memory', open: () => Promise.resolve(new MemoryMetadataStore()) },
  { name: 'sqlite', open: () => openSqliteMetadataStore({ inMemory: true }) },
];

class WorldOf {
  now = T0;
  readonly clock = { now: () => this.now };
  readonly deps: EcrDeps;
  readonly ecr: EcrService;
  readonly images: ImageService;
  private n = 0;

  private constructor(readonly store: MetadataStore) {
    this.deps = ecrDeps({
      store,
      clock: this.clock,
      ids: new IdFactory({ bytes: (k) => Buffer.alloc(k, ++this.n % 256) }),
      region: EAST,
    });
    this.ecr = new EcrService(this.deps);
    this.images = new ImageService(this.deps);
  }

  static async create(open: () => Promise<MetadataStore> = DRIVERS[0]!.open): Promise<WorldOf> {
    const w = new WorldOf(await open());
    await addAccounts(w.store, [A, B], T0);
    return w;
  }

  worker(
    id = 'w1',
    store: MetadataStore = this.store,
    opts: { maxAttempts?: number } = {},
  ): ReplicationWorker {
    return new ReplicationWorker(
      { ...this.deps, store },
      { id, leaseMs: LEASE, baseBackoffMs: 1_000, ...opts },
    );
  }

  root(accountId = A, region = EAST): Promise<Caller> {
    return callerIn(this.store, accountId, { kind: 'root' }, { region });
  }

  async user(name: string, policy: string, accountId = A): Promise<Caller> {
    const id = `AIDA${name.toUpperCase().padEnd(16, 'X')}`;
    const user = await addUser(this.store, {
      accountId,
      name,
      id,
      at: T0,
      policies: [{ name: 'p', document: policy }],
    });
    return callerIn(this.store, accountId, { kind: 'user', user }, { region: EAST });
  }

  async repo(name: string, accountId = A, region = EAST, mutability?: string): Promise<RepositoryRef> {
    await this.ecr.createRepository(await this.root(accountId, region), {
      repositoryName: name,
      ...(mutability !== undefined && { imageTagMutability: mutability }),
    });
    return { accountId, region, name };
  }

  async configure(rules: object[], accountId = A, region = EAST): Promise<void> {
    await this.ecr.putReplicationConfiguration(await this.root(accountId, region), {
      replicationConfiguration: { rules: rules as never },
    });
  }

  async registryPolicy(accountId: string, text: string, region = EAST): Promise<void> {
    await this.ecr.putRegistryPolicy(await this.root(accountId, region), { policyText: text });
  }

  /** Links a config and a layer and pushes an image manifest over them (by tag, or by digest). */
  async push(ref: RepositoryRef, label: string, tag?: string, images = this.images): Promise<string> {
    const config = sha(`config-${label}`);
    const layer = sha(`layer-${label}`);
    for (const [d, size] of [
      [config, 100],
      [layer, 1000],
    ] as const) {
      await this.store.blobs.link(ref, { digest: d, size, linkedAt: new Date(this.now) });
    }
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: SCHEMA2,
      config: { mediaType: CONFIG, digest: config, size: 100 },
      layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: layer, size: 1000 }],
    });
    const r = await images.push(
      await this.root(ref.accountId, ref.region),
      ref,
      { manifest: Buffer.from(manifest), ...(tag !== undefined && { tag }) },
      'registry',
    );
    return r.image.digest;
  }

  async pushIndex(ref: RepositoryRef, children: string[], tag: string): Promise<string> {
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: INDEX,
      manifests: children.map((d) => ({ mediaType: SCHEMA2, digest: d, size: 500 })),
    });
    const r = await this.images.push(
      await this.root(ref.accountId, ref.region),
      ref,
      { manifest: Buffer.from(manifest), tag },
      'registry',
    );
    return r.image.digest;
  }

  jobs(): Promise<ReplicationJob[]> {
    return listAll((marker) => this.store.replication.list({ ...(marker !== undefined && { marker }) }));
  }

  async status(ref: RepositoryRef, digest: string) {
    const r = await this.ecr.describeImageReplicationStatus(await this.root(ref.accountId, ref.region), {
      repositoryName: ref.name,
      imageId: { imageDigest: digest },
    });
    return r.replicationStatuses;
  }
}

/** The memory-backed world of the suites that do not depend on the driver. */
const World = { create: () => WorldOf.create() };

async function rejects(p: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ServiceError, `expected a ServiceError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (message !== undefined) assert.match(e.message, message);
    return true;
  });
}

const dest = (registryId: string, region: string) => ({ registryId, region });

describe('PutReplicationConfiguration', () => {
  const many = (n: number, f: (i: number) => object) => Array.from({ length: n }, (_, i) => f(i));
  const regions = (n: number) => many(n, (i) => dest(B, `ap-region-${i + 1}`));
  const invalid: { name: string; rules: object[]; member: RegExp }[] = [
    {
      name: 'more than 10 rules',
      rules: many(11, () => ({ destinations: [dest(B, WEST)] })),
      member: /'replicationConfiguration.rules'/,
    },
    {
      name: 'more than 25 destinations in a rule',
      rules: [{ destinations: regions(26) }],
      member: /destinations'/,
    },
    {
      name: 'more than 25 distinct destinations in all',
      rules: [
        { destinations: regions(13) },
        { destinations: many(13, (i) => dest(A, `eu-region-${i + 1}`)) },
      ],
      member: /unique destinations/,
    },
    {
      name: 'a registry id that is not 12 digits',
      rules: [{ destinations: [dest('12345', WEST)] }],
      member: /registryId/,
    },
    {
      name: 'a region outside the pattern',
      rules: [{ destinations: [dest(B, 'US_EAST')] }],
      member: /region/,
    },
    {
      name: 'the source registry in its own region',
      rules: [{ destinations: [dest(A, EAST)] }],
      member: /source registry/,
    },
    {
      name: 'the same destination twice in a rule',
      rules: [{ destinations: [dest(B, WEST), dest(B, WEST)] }],
      member: /Duplicate/,
    },
    {
      name: 'a filter type other than PREFIX_MATCH',
      rules: [
        { destinations: [dest(B, WEST)], repositoryFilters: [{ filter: 'prod', filterType: 'WILDCARD' }] },
      ],
      member: /filterType/,
    },
    {
      name: 'a one-character filter',
      rules: [
        { destinations: [dest(B, WEST)], repositoryFilters: [{ filter: 'p', filterType: 'PREFIX_MATCH' }] },
      ],
      member: /greater than or equal to 2/,
    },
    {
      name: 'a filter with upper-case letters',
      rules: [
        {
          destinations: [dest(B, WEST)],
          repositoryFilters: [{ filter: 'Prod', filterType: 'PREFIX_MATCH' }],
        },
      ],
      member: /regular expression/,
    },
    {
      name: 'an empty filter list',
      rules: [{ destinations: [dest(B, WEST)], repositoryFilters: [] }],
      member: /repositoryFilters/,
    },
  ];
  for (const c of invalid) {
    test(`refuses ${c.name} with InvalidParameterException`, async () => {
      const w = await World.create();
      await rejects(w.configure(c.rules), 'InvalidParameterException', c.member);
      assert.deepEqual((await w.ecr.describeRegistry(await w.root())).replicationConfiguration, {
        rules: [],
      });
    });
  }

  test('stores the rules, echoes them, and DescribeRegistry shows them in AWS member order', async () => {
    const w = await World.create();
    const rules = [
      {
        destinations: [dest(B, WEST), dest(A, WEST)],
        repositoryFilters: [{ filter: 'prod', filterType: 'PREFIX_MATCH' }],
      },
      { destinations: [dest(B, EAST)] },
    ];
    const put = await w.ecr.putReplicationConfiguration(await w.root(), {
      replicationConfiguration: { rules },
    });
    assert.deepEqual(put, { replicationConfiguration: { rules } });
    const d = await w.ecr.describeRegistry(await w.root());
    assert.deepEqual(d, { registryId: A, replicationConfiguration: { rules } });
    assert.deepEqual(Object.keys(d.replicationConfiguration.rules[0]!), [
      'destinations',
      'repositoryFilters',
    ]);
    await w.configure([]);
    assert.deepEqual((await w.ecr.describeRegistry(await w.root())).replicationConfiguration, { rules: [] });
  });

  test('needs ecr:PutReplicationConfiguration on * in an identity policy', async () => {
    const w = await World.create();
    const rules = [{ destinations: [dest(B, WEST)] }];
    const onRepo = await w.user(
      'onrepo',
      doc([
        {
          Effect: 'Allow',
          Action: 'ecr:PutReplicationConfiguration',
          Resource: `arn:aws:ecr:${EAST}:${A}:repository/*`,
        },
      ]),
    );
    await assert.rejects(
      w.ecr.putReplicationConfiguration(onRepo, { replicationConfiguration: { rules } }),
      (e: unknown) =>
        e instanceof AccessDeniedError &&
        e.message ===
          `User: arn:aws:iam::${A}:user/onrepo is not authorized to perform: ecr:PutReplicationConfiguration on resource: * because no identity-based policy allows the ecr:PutReplicationConfiguration action`,
    );
    const ok = await w.user(
      'ok',
      doc([{ Effect: 'Allow', Action: 'ecr:PutReplicationConfiguration', Resource: '*' }]),
    );
    await w.ecr.putReplicationConfiguration(ok, { replicationConfiguration: { rules } });
  });
});

describe('replication jobs are queued by the push', () => {
  test('one job per distinct destination of every matching rule, with the pushed tag', async () => {
    const w = await World.create();
    await w.configure([
      {
        destinations: [dest(A, WEST), dest(B, EAST)],
        repositoryFilters: [{ filter: 'prod', filterType: 'PREFIX_MATCH' }],
      },
      { destinations: [dest(B, EAST)] },
    ]);
    const prod = await w.repo('prod/app');
    const digest = await w.push(prod, 'one', 'v1');
    const source = { accountId: A, region: EAST, repositoryName: 'prod/app', digest };
    const jobs = (await w.jobs()).map((j) => ({
      destination: j.destination,
      tags: j.tags,
      state: j.state,
      source: j.source,
    }));
    const key = (j: { destination: { registryId: string; region: string } }) =>
      `${j.destination.registryId}/${j.destination.region}`;
    assert.deepEqual(
      jobs.sort((x, y) => key(x).localeCompare(key(y))),
      [
        { destination: { region: WEST, registryId: A }, tags: ['v1'], state: 'PENDING', source },
        { destination: { region: EAST, registryId: B }, tags: ['v1'], state: 'PENDING', source },
      ],
    );
    const other = await w.repo('dev/app');
    await w.push(other, 'two', 'v1');
    assert.equal((await w.jobs()).length, 3, 'only the rule without filters takes dev/app');
  });

  test('a push that fails or changes nothing queues nothing, and neither do images pushed before the configuration', async () => {
    const w = await World.create();
    const app = await w.repo('app');
    await w.push(app, 'before', 'old');
    await w.configure([{ destinations: [dest(A, WEST)] }]);
    assert.equal((await w.jobs()).length, 0);
    await w.push(app, 'before', 'old');
    assert.equal((await w.jobs()).length, 0, 'a re-push of the same image and tag is no push');
    const bad = JSON.stringify({
      schemaVersion: 2,
      mediaType: SCHEMA2,
      config: { mediaType: CONFIG, digest: sha('nope'), size: 1 },
      layers: [],
    });
    await rejects(
      w.images.push(await w.root(), app, { manifest: Buffer.from(bad), tag: 'x' }, 'api'),
      'LayersNotFoundException',
    );
    assert.equal((await w.jobs()).length, 0, 'nothing of a failed push remains, its jobs included');
  });
});

for (const driver of DRIVERS) {
  describe(`the replication worker (${driver.name} store)`, () => {
    const World = { create: () => WorldOf.create(driver.open) };
    test('copies an image to another region of the same account without any policy', async () => {
      const w = await World.create();
      await w.configure([{ destinations: [dest(A, WEST)] }]);
      const app = await w.repo('team/app');
      const digest = await w.push(app, 'one', 'v1');
      assert.deepEqual(await w.status(app, digest), [{ region: WEST, registryId: A, status: 'IN_PROGRESS' }]);
      w.now += 5_000;
      assert.equal(await w.worker().drain(), 1);
      assert.deepEqual(await w.status(app, digest), [{ region: WEST, registryId: A, status: 'COMPLETE' }]);
      const there = { accountId: A, region: WEST, name: 'team/app' };
      const repo = await w.store.repositories.get(A, WEST, 'team/app');
      assert.equal(repo?.imageTagMutability, 'MUTABLE');
      assert.deepEqual(repo?.encryption, { encryptionType: 'AES256' });
      const copied = await w.store.images.getByTag(there, 'v1');
      const source = await w.store.images.get(app, digest);
      assert.equal(copied?.digest, digest);
      assert.deepEqual(Buffer.from(copied!.manifest), Buffer.from(source!.manifest));
      assert.deepEqual(copied?.pushedAt, new Date(T0 + 5_000));
      assert.deepEqual(
        (await w.store.blobs.list(there)).items.map((l) => l.digest).sort(),
        [sha('config-one'), sha('layer-one')].sort(),
      );
      assert.deepEqual(
        await w.store.replication
          .list({ source: { accountId: A, region: WEST, repositoryName: 'team/app' } })
          .then((p) => p.items),
        [],
        'a replica is not replicated again',
      );
    });

    test('replicates an index with all its child manifests', async () => {
      const w = await World.create();
      const app = await w.repo('app');
      const amd = await w.push(app, 'amd64');
      const arm = await w.push(app, 'arm64');
      await w.configure([{ destinations: [dest(A, WEST)] }]);
      const index = await w.pushIndex(app, [amd, arm], 'multi');
      assert.equal(await w.worker().drain(), 1, 'the children were pushed before the configuration: one job');
      const there = { accountId: A, region: WEST, name: 'app' };
      assert.equal((await w.store.images.getByTag(there, 'multi'))?.digest, index);
      for (const d of [amd, arm]) assert.ok(await w.store.images.get(there, d), `child ${d} is there`);
      assert.deepEqual((await w.store.images.references(there, index))?.children, [amd, arm].sort());
    });

    describe('across accounts', () => {
      test('the principal is the source account, and the destination registry policy decides', async () => {
        const w = await World.create();
        const caller = await replicationCaller(w.store, A, WEST);
        assert.equal(caller.principal.type, 'Account');
        assert.equal(caller.principal.arn, `arn:aws:iam::${A}:root`);
        assert.equal(caller.request.region, WEST);
      });

      test('fails with AccessDeniedException without the destination registry policy, then a new push completes once it allows', async () => {
        const w = await World.create();
        await w.configure([{ destinations: [dest(B, EAST)] }]);
        const app = await w.repo('app');
        const first = await w.push(app, 'one', 'v1');
        const worker = w.worker();
        assert.equal(await worker.drain(), 1);
        assert.deepEqual(await w.status(app, first), [
          {
            region: EAST,
            registryId: B,
            status: 'FAILED',
            failureCode: 'AccessDeniedException',
            failureReason: `User: arn:aws:iam::${A}:root is not authorized to perform: ecr:CreateRepository on resource: arn:aws:ecr:${EAST}:${B}:repository/app because no resource-based policy allows the ecr:CreateRepository action`,
          },
        ]);
        assert.equal(await w.store.repositories.get(B, EAST, 'app'), undefined, 'nothing was created');
        assert.equal(await worker.drain(), 0, 'a refusal is final');

        await w.registryPolicy(B, replicationPolicy(A));
        const second = await w.push(app, 'two', 'v2');
        assert.equal(await worker.drain(), 1);
        assert.deepEqual(await w.status(app, second), [{ region: EAST, registryId: B, status: 'COMPLETE' }]);
        assert.equal(
          (await w.store.images.getByTag({ accountId: B, region: EAST, name: 'app' }, 'v2'))?.digest,
          second,
        );
        assert.equal((await w.status(app, first))[0]?.status, 'FAILED', 'the first image stays failed');
      });

      const decisions: { name: string; policy?: string; existing: boolean; expect: 'COMPLETE' | RegExp }[] = [
        {
          name: 'ReplicateImage alone replicates into an existing repository',
          policy: replicationPolicy(A, ['ecr:ReplicateImage']),
          existing: true,
          expect: 'COMPLETE',
        },
        {
          name: 'ReplicateImage alone cannot create a missing repository',
          policy: replicationPolicy(A, ['ecr:ReplicateImage']),
          existing: false,
          expect: /ecr:CreateRepository/,
        },
        {
          name: 'CreateRepository alone is not enough',
          policy: replicationPolicy(A, ['ecr:CreateRepository']),
          existing: false,
          expect: /perform: ecr:ReplicateImage/,
        },
        {
          name: 'an existing repository without a policy is refused ReplicateImage',
          existing: true,
          expect:
            /perform: ecr:ReplicateImage on resource: arn:aws:ecr:us-east-1:222222222222:repository\/app because no resource-based policy/,
        },
        {
          name: 'a policy naming an IAM user of the source account does not name the replication principal',
          policy: doc([
            {
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${A}:user/ci` },
              Action: ['ecr:CreateRepository', 'ecr:ReplicateImage'],
              Resource: '*',
            },
          ]),
          existing: false,
          expect: /ecr:CreateRepository/,
        },
        {
          name: 'an explicit deny in the destination registry policy wins',
          policy: doc([
            { Effect: 'Allow', Principal: { AWS: A }, Action: 'ecr:*', Resource: '*' },
            { Effect: 'Deny', Principal: '*', Action: 'ecr:ReplicateImage', Resource: '*' },
          ]),
          existing: true,
          expect: /explicit deny in a resource-based policy/,
        },
      ];
      for (const c of decisions) {
        test(c.name, async () => {
          const w = await World.create();
          if (c.policy !== undefined) {
            if (c.policy.includes(':user/ci')) {
              await w.store.users.create({
                accountId: A,
                name: 'ci',
                path: '/',
                id: 'AIDACIXXXXXXXXXXXXXX',
                createdAt: new Date(T0),
                tags: [],
              });
            }
            await w.registryPolicy(B, c.policy);
          }
          if (c.existing) await w.repo('app', B);
          await w.configure([{ destinations: [dest(B, EAST)] }]);
          const digest = await w.push(await w.repo('app'), 'one', 'v1');
          await w.worker().drain();
          const [s] = await w.status({ accountId: A, region: EAST, name: 'app' }, digest);
          if (c.expect === 'COMPLETE') assert.equal(s?.status, 'COMPLETE', s?.failureReason);
          else {
            assert.equal(s?.status, 'FAILED');
            assert.equal(s?.failureCode, 'AccessDeniedException');
            assert.match(s?.failureReason ?? '', c.expect);
          }
        });
      }
    });

    test('a missing destination repository takes the REPLICATION template with the longest prefix, else ROOT', async () => {
      const w = await World.create();
      const rootB = await w.root(B);
      await w.registryPolicy(B, replicationPolicy(A));
      const policy = doc([
        { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${B}:root` }, Action: 'ecr:BatchGetImage' },
      ]);
      await w.ecr.createRepositoryCreationTemplate(rootB, {
        prefix: 'ROOT',
        appliedFor: ['REPLICATION'],
        imageTagMutability: 'IMMUTABLE',
      });
      await w.ecr.createRepositoryCreationTemplate(rootB, {
        prefix: 'team',
        appliedFor: ['REPLICATION'],
        resourceTags: [{ Key: 'from', Value: 'team' }],
        repositoryPolicy: policy,
        encryptionConfiguration: { encryptionType: 'KMS' },
      });
      await w.ecr.createRepositoryCreationTemplate(rootB, {
        prefix: 'team/svc',
        appliedFor: ['PULL_THROUGH_CACHE'],
        imageTagMutability: 'IMMUTABLE',
      });
      await w.configure([{ destinations: [dest(B, EAST)] }]);
      await w.push(await w.repo('team/svc/api'), 'a', 'v1');
      await w.push(await w.repo('teammate'), 'b', 'v1');
      assert.equal(await w.worker().drain(), 2);
      const svc = await w.store.repositories.get(B, EAST, 'team/svc/api');
      assert.equal(
        svc?.imageTagMutability,
        'MUTABLE',
        'team (REPLICATION) wins over team/svc (pull-through only)',
      );
      assert.deepEqual(svc?.tags, [{ key: 'from', value: 'team' }]);
      assert.equal(svc?.policyText, policy);
      assert.equal(svc?.encryption.encryptionType, 'KMS');
      const mate = await w.store.repositories.get(B, EAST, 'teammate');
      assert.equal(mate?.imageTagMutability, 'IMMUTABLE', '`team` is a namespace: teammate falls to ROOT');
      assert.deepEqual(mate?.tags, []);
    });

    test('an immutable destination tag on another image fails the job with ImageTagAlreadyExistsException', async () => {
      const w = await World.create();
      const there = await w.repo('app', A, WEST, 'IMMUTABLE');
      await w.push(there, 'theirs', 'v1');
      await w.configure([{ destinations: [dest(A, WEST)] }]);
      const app = await w.repo('app');
      const digest = await w.push(app, 'ours', 'v1');
      await w.worker().drain();
      const [s] = await w.status(app, digest);
      assert.equal(s?.status, 'FAILED');
      assert.equal(s?.failureCode, 'ImageTagAlreadyExistsException');
      assert.equal(await w.store.images.get(there, digest), undefined, 'nothing of the image arrived');
    });

    test('a re-run over a half-copied destination converges (links, children and an equal tag are kept)', async () => {
      const w = await World.create();
      const app = await w.repo('app');
      const amd = await w.push(app, 'amd64');
      const arm = await w.push(app, 'arm64');
      await w.configure([{ destinations: [dest(A, WEST)] }]);
      const index = await w.pushIndex(app, [amd, arm], 'v1');
      // What a copy that stopped halfway would have left (had it not been one transaction).
      const there = await w.repo('app', A, WEST, 'IMMUTABLE');
      await w.push(there, 'amd64');
      await w.store.blobs.link(there, { digest: sha('config-arm64'), size: 100, linkedAt: new Date(T0) });
      assert.equal(await w.worker().drain(), 1);
      assert.equal((await w.status(app, index))[0]?.status, 'COMPLETE');
      // The same job once more (a worker that crashed after the commit): still the same state.
      const [job] = await w.jobs();
      await w.store.replication.update(job!.id, {
        state: 'PENDING',
        nextAttemptAt: new Date(w.now),
        updatedAt: new Date(w.now),
      });
      assert.equal(
        (await w.worker().runOnce())?.outcome,
        'COMPLETE',
        'an immutable tag already on the same digest is fine',
      );
      assert.equal((await w.store.images.getByTag(there, 'v1'))?.digest, index);
      assert.equal((await w.store.images.list(there)).items.length, 3);
    });

    test('a restart mid-replication resumes: the lapsed claim is taken again and the first worker is fenced out', async () => {
      const w = await World.create();
      await w.configure([{ destinations: [dest(A, WEST)] }]);
      const app = await w.repo('app');
      const digest = await w.push(app, 'one', 'v1');
      const first = w.worker('first');
      const claimed = await first.claim();
      assert.equal(claimed?.attempts, 1);
      // `first` dies here. Within its lease nobody else takes the job.
      const second = w.worker('second');
      w.now += LEASE - 1;
      assert.equal(await second.runOnce(), undefined);
      w.now += 2;
      const r = await second.runOnce();
      assert.equal(r?.job.attempts, 2);
      assert.equal(r?.outcome, 'COMPLETE');
      // `first` comes back and finishes its stale attempt: discarded, nothing changes.
      assert.equal(await first.process(claimed!), 'STALE');
      const [job] = await w.jobs();
      assert.equal(job?.state, 'COMPLETE');
      assert.equal(job?.attempts, 2);
      assert.equal(
        (await w.store.images.getByTag({ accountId: A, region: WEST, name: 'app' }, 'v1'))?.digest,
        digest,
      );
    });

    test('transient failures are retried with exponential backoff, then FAILED as ServerException', async () => {
      const w = await World.create();
      await w.configure([{ destinations: [dest(A, WEST)] }]);
      const app = await w.repo('app');
      const digest = await w.push(app, 'one', 'v1');
      let failures = 3;
      const flaky = new Proxy(w.store, {
        get(target, p) {
          if (p === 'transaction' && failures > 0) {
            return () => {
              failures--;
              return Promise.reject(new Error('database is locked'));
            };
          }
          const v = Reflect.get(target, p) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      }) as MetadataStore;
      const worker = w.worker('w', flaky);
      const delays: number[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await worker.runOnce();
        assert.equal(r?.outcome, 'RETRY');
        const job = (await w.jobs())[0]!;
        delays.push(job.nextAttemptAt.getTime() - w.now);
        assert.equal(await worker.runOnce(), undefined, 'not due before its backoff');
        assert.deepEqual(await w.status(app, digest), [
          { region: WEST, registryId: A, status: 'IN_PROGRESS' },
        ]);
        w.now = job.nextAttemptAt.getTime();
      }
      assert.deepEqual(delays, [1_000, 2_000, 4_000]);
      assert.equal((await worker.runOnce())?.outcome, 'COMPLETE');

      const w2 = await World.create();
      await w2.configure([{ destinations: [dest(A, WEST)] }]);
      const app2 = await w2.repo('app');
      const d2 = await w2.push(app2, 'one', 'v1');
      const broken = new Proxy(w2.store, {
        get(target, p) {
          if (p === 'transaction') return () => Promise.reject(new Error('disk full'));
          const v = Reflect.get(target, p) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      }) as MetadataStore;
      const giving = w2.worker('w', broken, { maxAttempts: 2 });
      assert.equal((await giving.runOnce())?.outcome, 'RETRY');
      w2.now += 1_000;
      assert.equal((await giving.runOnce())?.outcome, 'FAILED');
      const [s] = await w2.status(app2, d2);
      assert.equal(s?.failureCode, 'ServerException');
      assert.match(s?.failureReason ?? '', /after 2 attempts: disk full/);
    });

    test('a push wakes the running worker, which copies without being asked again; stop waits for it', async () => {
      const w = await World.create();
      await w.configure([{ destinations: [dest(A, WEST)] }]);
      const app = await w.repo('app');
      const worker = new ReplicationWorker(w.deps, { id: 'bg', leaseMs: LEASE });
      // Polls once an hour: only the push's wake-up can get the job done in time.
      worker.start(3_600_000);
      try {
        await w.push(
          app,
          'one',
          'v1',
          new ImageService({ ...w.deps, replicationQueued: () => worker.wake() }),
        );
        let state: string | undefined;
        for (let i = 0; i < 1_000 && state !== 'COMPLETE'; i++) {
          await new Promise((resolve) => setImmediate(resolve));
          state = (await w.jobs())[0]?.state;
        }
        assert.equal(state, 'COMPLETE');
      } finally {
        await worker.stop();
      }
      await w.push(app, 'two', 'v2', new ImageService({ ...w.deps, replicationQueued: () => worker.wake() }));
      for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(
        (await w.jobs()).map((j) => j.state).sort(),
        ['COMPLETE', 'PENDING'],
        'a stopped worker is not woken',
      );
    });

    test('a tag the source moved before the job ran is left to the newer image', async () => {
      const w = await World.create();
      await w.configure([{ destinations: [dest(A, WEST)] }]);
      const app = await w.repo('app');
      const old = await w.push(app, 'old', 'latest');
      w.now += 1;
      const fresh = await w.push(app, 'new', 'latest');
      const worker = w.worker();
      // The newer job first, then the older one (a retry, say): the tag must stay on the newer image.
      const jobs = (await w.jobs()).sort((a, b) =>
        a.source.digest === fresh ? -1 : b.source.digest === fresh ? 1 : 0,
      );
      for (const j of jobs)
        await w.store.replication.update(j.id, {
          state: 'PENDING',
          nextAttemptAt: new Date(j.source.digest === fresh ? T0 : T0 + 1),
          updatedAt: new Date(T0),
        });
      assert.equal(await worker.drain(), 2);
      const there = { accountId: A, region: WEST, name: 'app' };
      assert.equal((await w.store.images.getByTag(there, 'latest'))?.digest, fresh);
      assert.ok(await w.store.images.get(there, old), 'the older image is still copied');
    });
  });
}

describe('DescribeImageReplicationStatus', () => {
  test('finds the image by tag or digest, answers ImageNotFoundException otherwise, and [] for an image never queued', async () => {
    const w = await World.create();
    const app = await w.repo('app');
    const digest = await w.push(app, 'one', 'v1');
    const root = await w.root();
    const r = await w.ecr.describeImageReplicationStatus(root, {
      repositoryName: 'app',
      imageId: { imageTag: 'v1' },
    });
    assert.deepEqual(r, {
      repositoryName: 'app',
      imageId: { imageDigest: digest, imageTag: 'v1' },
      replicationStatuses: [],
    });
    await rejects(
      w.ecr.describeImageReplicationStatus(root, { repositoryName: 'app', imageId: { imageTag: 'nope' } }),
      'ImageNotFoundException',
    );
    await rejects(
      w.ecr.describeImageReplicationStatus(root, {
        repositoryName: 'app',
        imageId: { imageDigest: sha('x'), imageTag: 'v1' },
      }),
      'ImageNotFoundException',
    );
    await rejects(
      w.ecr.describeImageReplicationStatus(root, { repositoryName: 'nope', imageId: { imageTag: 'v1' } }),
      'RepositoryNotFoundException',
    );
    await rejects(
      w.ecr.describeImageReplicationStatus(root, { repositoryName: 'app', imageId: {} }),
      'InvalidParameterException',
    );
  });

  test('is authorized as ecr:DescribeImageReplicationStatus on the repository', async () => {
    const w = await World.create();
    const app = await w.repo('app');
    await w.push(app, 'one', 'v1');
    const reader = await w.user(
      'reader',
      doc([{ Effect: 'Allow', Action: 'ecr:DescribeImages', Resource: '*' }]),
    );
    await assert.rejects(
      w.ecr.describeImageReplicationStatus(reader, { repositoryName: 'app', imageId: { imageTag: 'v1' } }),
      (e: unknown) =>
        e instanceof AccessDeniedError &&
        /ecr:DescribeImageReplicationStatus on resource: arn:aws:ecr:us-east-1:111111111111:repository\/app/.test(
          e.message,
        ),
    );
  });
});

describe('repository creation templates', () => {
  test('are created, described, updated and deleted, with AWS defaults and member order', async () => {
    const w = await World.create();
    const root = await w.root();
    const c = await w.ecr.createRepositoryCreationTemplate(root, {
      prefix: 'prod',
      appliedFor: ['REPLICATION'],
      description: 'prod repos',
    });
    assert.equal(c.registryId, A);
    assert.deepEqual(Object.keys(c.repositoryCreationTemplate), [
      'prefix',
      'description',
      'encryptionConfiguration',
      'resourceTags',
      'imageTagMutability',
      'appliedFor',
      'createdAt',
      'updatedAt',
    ]);
    assert.deepEqual(c.repositoryCreationTemplate.encryptionConfiguration, { encryptionType: 'AES256' });
    assert.equal(c.repositoryCreationTemplate.imageTagMutability, 'MUTABLE');
    await rejects(
      w.ecr.createRepositoryCreationTemplate(root, { prefix: 'prod/', appliedFor: ['REPLICATION'] }),
      'TemplateAlreadyExistsException',
    );
    await w.ecr.createRepositoryCreationTemplate(root, {
      prefix: 'ROOT',
      appliedFor: ['PULL_THROUGH_CACHE', 'REPLICATION'],
    });
    w.now += 1000;
    const u = await w.ecr.updateRepositoryCreationTemplate(root, {
      prefix: 'prod',
      imageTagMutability: 'IMMUTABLE',
      resourceTags: [{ Key: 'k', Value: 'v' }],
    });
    assert.equal(u.repositoryCreationTemplate.imageTagMutability, 'IMMUTABLE');
    assert.equal(u.repositoryCreationTemplate.description, 'prod repos', 'members not sent stay');
    assert.deepEqual(u.repositoryCreationTemplate.updatedAt, new Date(T0 + 1000));
    const all = await w.ecr.describeRepositoryCreationTemplates(root, {});
    assert.deepEqual(
      all.repositoryCreationTemplates.map((t) => t.prefix),
      ['ROOT', 'prod'],
    );
    const page = await w.ecr.describeRepositoryCreationTemplates(root, { maxResults: 1 });
    assert.deepEqual(
      page.repositoryCreationTemplates.map((t) => t.prefix),
      ['ROOT'],
    );
    const next = await w.ecr.describeRepositoryCreationTemplates(root, {
      maxResults: 1,
      nextToken: page.nextToken!,
    });
    assert.deepEqual(
      next.repositoryCreationTemplates.map((t) => t.prefix),
      ['prod'],
    );
    assert.equal(next.nextToken, undefined);
    const some = await w.ecr.describeRepositoryCreationTemplates(root, { prefixes: ['prod', 'nope'] });
    assert.deepEqual(
      some.repositoryCreationTemplates.map((t) => t.prefix),
      ['prod'],
    );
    const d = await w.ecr.deleteRepositoryCreationTemplate(root, { prefix: 'prod' });
    assert.equal(d.repositoryCreationTemplate.prefix, 'prod');
    await rejects(
      w.ecr.deleteRepositoryCreationTemplate(root, { prefix: 'prod' }),
      'TemplateNotFoundException',
    );
    await rejects(
      w.ecr.updateRepositoryCreationTemplate(root, { prefix: 'prod', description: 'x' }),
      'TemplateNotFoundException',
    );
  });

  const invalid: { name: string; input: { prefix: string; appliedFor: string[]; [k: string]: unknown } }[] = [
    { name: 'an upper-case prefix', input: { prefix: 'Prod', appliedFor: ['REPLICATION'] } },
    { name: 'an unknown use', input: { prefix: 'prod', appliedFor: ['PUSH'] } },
    { name: 'no use at all', input: { prefix: 'prod', appliedFor: [] } },
    {
      name: 'a repository policy that is not one',
      input: { prefix: 'prod', appliedFor: ['REPLICATION'], repositoryPolicy: '{"nope":1}' },
    },
    {
      name: 'a custom role of another account',
      input: { prefix: 'prod', appliedFor: ['REPLICATION'], customRoleArn: `arn:aws:iam::${B}:role/r` },
    },
    {
      name: 'a mutability outside the enum',
      input: { prefix: 'prod', appliedFor: ['REPLICATION'], imageTagMutability: 'SOMETIMES' },
    },
  ];
  for (const c of invalid) {
    test(`refuses ${c.name} with InvalidParameterException`, async () => {
      const w = await World.create();
      await rejects(
        w.ecr.createRepositoryCreationTemplate(await w.root(), c.input as never),
        'InvalidParameterException',
      );
    });
  }

  test('the template operations are authorized on *', async () => {
    const w = await World.create();
    const u = await w.user(
      'u',
      doc([{ Effect: 'Allow', Action: 'ecr:DescribeRepositoryCreationTemplates', Resource: '*' }]),
    );
    await w.ecr.describeRepositoryCreationTemplates(u, {});
    await assert.rejects(
      w.ecr.createRepositoryCreationTemplate(u, { prefix: 'prod', appliedFor: ['REPLICATION'] }),
      (e: unknown) =>
        e instanceof AccessDeniedError &&
        /ecr:CreateRepositoryCreationTemplate on resource: \*/.test(e.message),
    );
  });
});
