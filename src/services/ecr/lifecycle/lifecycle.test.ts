// The lifecycle operations and runner against the in-memory store, the real door (Authorizer)
// and the real engine, with a clock the test moves: AWS's answers and errors, preview == run.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { addAccounts, addUser, allowDoc, callerIn, ecrDeps } from '../../../../test/helpers/world.js';
import type { Caller } from '../../../auth/caller.js';
import { MemoryMetadataStore } from '../../../store/meta/memory/MemoryMetadataStore.js';
import type { RepositoryRef } from '../../../store/meta/records.js';
import { ServiceError } from '../../errors.js';
import type { EcrDeps } from '../deps.js';
import { EcrService } from '../service.js';
import { EcrMaintenance } from '../maintenance.js';
import { LifecycleRunner } from './runner.js';
import fc from 'fast-check';

const A = '111111111111';
const REGION = 'us-east-1';
const T0 = Date.parse('2026-11-23T12:00:00.000Z');
const DAY = 86_400_000;
const SCHEMA2 = 'application/vnd.docker.distribution.manifest.v2+json';
const INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI = 'application/vnd.oci.image.manifest.v1+json';

const sha = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;
const KEEP_3 = JSON.stringify({
  rules: [
    {
      rulePriority: 1,
      description: 'keep the last three images',
      selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 3 },
      action: { type: 'expire' },
    },
  ],
});

class World {
  readonly store = new MemoryMetadataStore();
  now = T0;
  readonly clock = { now: () => this.now };
  readonly deps: EcrDeps = ecrDeps({ store: this.store, clock: this.clock });
  readonly ecr = new EcrService(this.deps);
  readonly runner = new LifecycleRunner(this.deps);
  readonly ref: RepositoryRef = { accountId: A, region: REGION, name: 'app' };
  root!: Caller;

  static async create(): Promise<World> {
    const w = new World();
    await addAccounts(w.store, [A], T0);
    w.root = await w.caller({ kind: 'root' });
    await w.ecr.createRepository(w.root, { repositoryName: 'app' });
    return w;
  }

  caller(identity: Caller['identity']): Promise<Caller> {
    return callerIn(this.store, A, identity);
  }

  async user(name: string, actions: string[]): Promise<Caller> {
    const id = `AIDA${name.toUpperCase().padEnd(16, 'X')}`;
    const policies = [{ name: 'p', document: allowDoc(actions) }];
    const user = await addUser(this.store, { accountId: A, name, id, at: T0, policies });
    return this.caller({ kind: 'user', user });
  }

  /** An image pushed `daysAgo` before T0 (one layer of its own), with tags. */
  async image(
    label: string,
    daysAgo: number,
    tags: string[] = [],
    over: { subject?: string } = {},
  ): Promise<string> {
    const layer = sha(`layer-${label}`);
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: over.subject ? OCI : SCHEMA2,
      label,
      layers: [{ digest: layer }],
    });
    const digest = sha(manifest);
    const pushedAt = new Date(T0 - daysAgo * DAY);
    await this.store.blobs.link(this.ref, { digest: layer, size: 10, linkedAt: pushedAt });
    await this.store.images.put(this.ref, {
      digest,
      mediaType: over.subject ? OCI : SCHEMA2,
      manifest: Buffer.from(manifest),
      imageSize: 10,
      pushedAt,
      blobs: [layer],
      children: [],
      ...(over.subject !== undefined && { subjectDigest: over.subject }),
    });
    for (const t of tags) await this.store.tags.put(this.ref, t, digest, pushedAt);
    return digest;
  }

  async index(label: string, daysAgo: number, children: string[], tags: string[] = []): Promise<string> {
    const manifest = JSON.stringify({ schemaVersion: 2, mediaType: INDEX, label, manifests: children });
    const digest = sha(manifest);
    const pushedAt = new Date(T0 - daysAgo * DAY);
    await this.store.images.put(this.ref, {
      digest,
      mediaType: INDEX,
      manifest: Buffer.from(manifest),
      imageSize: 10,
      pushedAt,
      blobs: [],
      children,
    });
    for (const t of tags) await this.store.tags.put(this.ref, t, digest, pushedAt);
    return digest;
  }

  async digests(): Promise<string[]> {
    return (await this.store.images.list(this.ref)).items.map((i) => i.digest).sort();
  }
}

const code = (c: string) => (e: unknown) => e instanceof ServiceError && e.code === c;

describe('lifecycle policy operations', () => {
  test('a policy put is answered by get and by delete, which removes it', async () => {
    const w = await World.create();
    const put = await w.ecr.putLifecyclePolicy(w.root, {
      repositoryName: 'app',
      lifecyclePolicyText: KEEP_3,
    });
    assert.deepEqual(put, { registryId: A, repositoryName: 'app', lifecyclePolicyText: KEEP_3 });
    assert.deepEqual(await w.ecr.getLifecyclePolicy(w.root, { repositoryName: 'app' }), put);
    assert.deepEqual(await w.ecr.deleteLifecyclePolicy(w.root, { repositoryName: 'app' }), put);
    await assert.rejects(
      w.ecr.getLifecyclePolicy(w.root, { repositoryName: 'app' }),
      code('LifecyclePolicyNotFoundException'),
    );
    await assert.rejects(
      w.ecr.deleteLifecyclePolicy(w.root, { repositoryName: 'app' }),
      code('LifecyclePolicyNotFoundException'),
    );
  });

  const refused: { name: string; text: string }[] = [
    { name: 'a policy shorter than the model minimum of 100 characters is refused', text: '{"rules":[]}' },
    {
      name: 'a policy whose any rule is not last is refused',
      text: JSON.stringify({
        rules: [
          {
            rulePriority: 1,
            selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 },
            action: { type: 'expire' },
          },
          {
            rulePriority: 2,
            selection: { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 },
            action: { type: 'expire' },
          },
        ],
      }),
    },
    { name: 'a policy that is not JSON is refused', text: `{"rules": [${' '.repeat(120)}` },
  ];
  for (const c of refused) {
    test(c.name, async () => {
      const w = await World.create();
      await assert.rejects(
        w.ecr.putLifecyclePolicy(w.root, { repositoryName: 'app', lifecyclePolicyText: c.text }),
        code('InvalidParameterException'),
      );
      await assert.rejects(
        w.ecr.getLifecyclePolicy(w.root, { repositoryName: 'app' }),
        code('LifecyclePolicyNotFoundException'),
      );
    });
  }

  test('each operation needs its own ecr action on the repository', async () => {
    const w = await World.create();
    const reader = await w.user('reader', ['ecr:GetLifecyclePolicy', 'ecr:GetLifecyclePolicyPreview']);
    await assert.rejects(
      w.ecr.putLifecyclePolicy(reader, { repositoryName: 'app', lifecyclePolicyText: KEEP_3 }),
      code('AccessDenied'),
    );
    await assert.rejects(
      w.ecr.startLifecyclePolicyPreview(reader, { repositoryName: 'app' }),
      code('AccessDenied'),
    );
    await assert.rejects(
      w.ecr.deleteLifecyclePolicy(reader, { repositoryName: 'app' }),
      code('AccessDenied'),
    );
    await w.ecr.putLifecyclePolicy(w.root, { repositoryName: 'app', lifecyclePolicyText: KEEP_3 });
    assert.equal(
      (await w.ecr.getLifecyclePolicy(reader, { repositoryName: 'app' })).lifecyclePolicyText,
      KEEP_3,
    );
  });

  test('a policy on a repository that does not exist is RepositoryNotFoundException', async () => {
    const w = await World.create();
    await assert.rejects(
      w.ecr.putLifecyclePolicy(w.root, { repositoryName: 'ghost', lifecyclePolicyText: KEEP_3 }),
      code('RepositoryNotFoundException'),
    );
  });
});

describe('lifecycle policy preview', () => {
  test('reading a preview that was never started is LifecyclePolicyPreviewNotFoundException', async () => {
    const w = await World.create();
    await assert.rejects(
      w.ecr.getLifecyclePolicyPreview(w.root, { repositoryName: 'app' }),
      code('LifecyclePolicyPreviewNotFoundException'),
    );
  });

  test('starting a preview with neither a text nor a policy is LifecyclePolicyNotFoundException', async () => {
    const w = await World.create();
    await assert.rejects(
      w.ecr.startLifecyclePolicyPreview(w.root, { repositoryName: 'app' }),
      code('LifecyclePolicyNotFoundException'),
    );
  });

  test('a preview lists the images a run expires, and the run expires exactly those', async () => {
    const w = await World.create();
    const d: string[] = [];
    for (let i = 0; i < 6; i++) d.push(await w.image(`i${i}`, 10 - i, [`v${i}`]));
    await w.ecr.putLifecyclePolicy(w.root, { repositoryName: 'app', lifecyclePolicyText: KEEP_3 });
    const started = await w.ecr.startLifecyclePolicyPreview(w.root, { repositoryName: 'app' });
    assert.equal(started.status, 'IN_PROGRESS');
    const preview = await w.ecr.getLifecyclePolicyPreview(w.root, { repositoryName: 'app' });
    assert.equal(preview.status, 'COMPLETE');
    assert.deepEqual(preview.summary, { expiringImageTotalCount: 3 });
    assert.deepEqual(
      preview.previewResults,
      [0, 1, 2].map((i) => ({
        imageTags: [`v${i}`],
        imageDigest: d[i],
        imagePushedAt: new Date(T0 - (10 - i) * DAY),
        action: { type: 'EXPIRE' },
        appliedRulePriority: 1,
      })),
    );

    w.now = T0 + 1000;
    const report = await w.runner.run();
    const repoResult = report.repositories.find((r) => r.repository.name === 'app')!;
    assert.deepEqual(
      repoResult.expired.map((e) => e.digest),
      preview.previewResults.map((r) => r.imageDigest),
    );
    assert.deepEqual(await w.digests(), [d[3], d[4], d[5]].sort());
    const got = await w.ecr.getLifecyclePolicy(w.root, { repositoryName: 'app' });
    assert.deepEqual(got.lastEvaluatedAt, new Date(T0 + 1000));
    const again = await w.runner.run();
    assert.deepEqual(again.repositories.find((r) => r.repository.name === 'app')!.expired, []);
  });

  test('a preview of a given text does not change the policy in force', async () => {
    const w = await World.create();
    for (let i = 0; i < 3; i++) await w.image(`i${i}`, 10 - i);
    const keep1 = KEEP_3.replace('"countNumber":3', '"countNumber":1');
    await w.ecr.startLifecyclePolicyPreview(w.root, { repositoryName: 'app', lifecyclePolicyText: keep1 });
    const preview = await w.ecr.getLifecyclePolicyPreview(w.root, { repositoryName: 'app' });
    assert.equal(preview.lifecyclePolicyText, keep1);
    assert.equal(preview.summary.expiringImageTotalCount, 2);
    await assert.rejects(
      w.ecr.getLifecyclePolicy(w.root, { repositoryName: 'app' }),
      code('LifecyclePolicyNotFoundException'),
    );
    await w.runner.run();
    assert.equal((await w.digests()).length, 3, 'no policy, nothing expired');
  });

  test('preview results are filtered by tag status and paginated while the summary counts all', async () => {
    const w = await World.create();
    for (let i = 0; i < 5; i++) await w.image(`t${i}`, 20 - i, [`v${i}`]);
    for (let i = 0; i < 5; i++) await w.image(`u${i}`, 10 - i);
    const keep1 = KEEP_3.replace('"countNumber":3', '"countNumber":1');
    await w.ecr.startLifecyclePolicyPreview(w.root, { repositoryName: 'app', lifecyclePolicyText: keep1 });
    const untagged = await w.ecr.getLifecyclePolicyPreview(w.root, {
      repositoryName: 'app',
      filter: { tagStatus: 'UNTAGGED' },
    });
    assert.equal(untagged.previewResults.length, 4);
    assert.equal(untagged.summary.expiringImageTotalCount, 9);
    const seen: string[] = [];
    let nextToken: string | undefined;
    do {
      const p = await w.ecr.getLifecyclePolicyPreview(w.root, {
        repositoryName: 'app',
        maxResults: 4,
        ...(nextToken !== undefined && { nextToken }),
      });
      seen.push(...p.previewResults.map((r) => r.imageDigest));
      nextToken = p.nextToken;
    } while (nextToken !== undefined);
    assert.equal(seen.length, 9);
    assert.equal(new Set(seen).size, 9);
  });
});

describe('lifecycle runs', () => {
  test('a platform image of an index is not expired on its own and an expired subject takes its referrers', async () => {
    const w = await World.create();
    const amd = await w.image('amd64', 30);
    const arm = await w.image('arm64', 30);
    const idx = await w.index('multi', 30, [amd, arm], ['latest']);
    const old = await w.image('old', 20);
    const sig = await w.image('sig', 19, [], { subject: old });
    const fresh = await w.image('fresh', 1);
    const policy = JSON.stringify({
      rules: [
        {
          rulePriority: 1,
          description: 'expire untagged images older than a week',
          selection: {
            tagStatus: 'untagged',
            countType: 'sinceImagePushed',
            countUnit: 'days',
            countNumber: 7,
          },
          action: { type: 'expire' },
        },
      ],
    });
    await w.ecr.putLifecyclePolicy(w.root, { repositoryName: 'app', lifecyclePolicyText: policy });
    const report = await w.runner.run();
    const r = report.repositories[0]!;
    assert.deepEqual(
      r.expired.map((e) => e.digest),
      [old],
    );
    assert.deepEqual(r.referrers, [sig]);
    assert.deepEqual(await w.digests(), [amd, arm, idx, fresh].sort());
  });

  test('only repositories with a policy are evaluated', async () => {
    const w = await World.create();
    await w.ecr.createRepository(w.root, { repositoryName: 'other' });
    await w.ecr.putLifecyclePolicy(w.root, { repositoryName: 'app', lifecyclePolicyText: KEEP_3 });
    const report = await w.runner.run();
    assert.deepEqual(
      report.repositories.map((r) => r.repository.name),
      ['app'],
    );
    const other = await w.store.repositories.get(A, REGION, 'other');
    assert.equal(other?.lifecycleEvaluatedAt, undefined);
  });
});

describe('preview and run agree', () => {
  test('for any images and keep or age policy, the run deletes exactly what the preview listed', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            age: fc.integer({ min: 0, max: 30 }),
            tag: fc.option(fc.constantFrom('prod-1', 'prod-2', 'dev-1', 'rc'), { nil: undefined }),
          }),
          { maxLength: 8 },
        ),
        fc.constantFrom(
          { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 2 },
          { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 7 },
          { tagStatus: 'tagged', tagPrefixList: ['prod'], countType: 'imageCountMoreThan', countNumber: 1 },
          {
            tagStatus: 'tagged',
            tagPatternList: ['*-1'],
            countType: 'sinceImagePushed',
            countUnit: 'days',
            countNumber: 3,
          },
        ),
        async (images, selection) => {
          const w = await World.create();
          const tags = new Set<string>();
          for (const [i, im] of images.entries()) {
            const t = im.tag !== undefined && !tags.has(im.tag) ? [im.tag] : [];
            for (const x of t) tags.add(x);
            await w.image(`p${i}`, im.age, t);
          }
          const text = JSON.stringify({
            rules: [
              {
                rulePriority: 1,
                description: 'the policy under test',
                selection,
                action: { type: 'expire' },
              },
            ],
          });
          await w.ecr.putLifecyclePolicy(w.root, { repositoryName: 'app', lifecyclePolicyText: text });
          await w.ecr.startLifecyclePolicyPreview(w.root, { repositoryName: 'app' });
          const preview = await w.ecr.getLifecyclePolicyPreview(w.root, { repositoryName: 'app' });
          const before = await w.digests();
          await w.runner.run();
          const after = await w.digests();
          assert.deepEqual(
            preview.previewResults.map((r) => r.imageDigest).sort(),
            before.filter((d) => !after.includes(d)),
          );
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('running maintenance on demand', () => {
  test('only the management account of the organization may run it', async () => {
    const w = await World.create();
    const member = w.root;
    const maintenance = new EcrMaintenance(w.deps);
    await assert.rejects(maintenance.runAs(member), code('AccessDeniedException'));
    await w.store.organizations.create({
      id: 'o-aaaaaaaaaa',
      rootId: 'r-aaaa',
      managementAccountId: A,
      featureSet: 'ALL',
      createdAt: new Date(T0),
    });
    await w.store.accounts.update(A, { organizationId: 'o-aaaaaaaaaa' });
    const root = await w.caller({ kind: 'root' });
    await w.ecr.putLifecyclePolicy(root, { repositoryName: 'app', lifecyclePolicyText: KEEP_3 });
    for (let i = 0; i < 4; i++) await w.image(`m${i}`, 10 - i);
    const report = await maintenance.runAs(root);
    assert.equal(report.lifecycle.repositories[0]?.expired.length, 1);
    const reader = await w.user('reader', ['ecr:*']);
    await assert.rejects(maintenance.runAs(reader), code('AccessDenied'), 'crossdock:RunLifecycle is needed');
    const operator = await w.user('operator', ['crossdock:RunLifecycle']);
    assert.ok((await maintenance.runAs(operator)).lifecycle.repositories.length === 1);
  });
});
