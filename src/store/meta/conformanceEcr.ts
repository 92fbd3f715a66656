/**
 * The ECR cases of the one `MetadataStore` conformance suite (registered by
 * `runMetadataStoreSuite`, so every driver runs them unchanged): repositories, images, tags, blob
 * links, uploads, the replication queue and registry settings, their keys, atomicity, cascades,
 * orders and persistence.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe } from 'node:test';
import { drain, rejectsWith, type WithStore } from './conformanceKit.js';
import type { AlreadyExists, Conflict } from './errors.js';
import type { MetadataStore, MetadataTx } from './MetadataStore.js';
import type {
  NewImage,
  NewReplicationJob,
  NewRepository,
  PullThroughCacheRule,
  RepositoryCreationTemplate,
  RepositoryRef,
} from './records.js';

const A = '111111111111';
const B = '222222222222';
const EAST = 'us-east-1';
const WEST = 'eu-west-1';
const T0 = new Date('2026-01-01T00:00:00.000Z');
const at = (minutes: number): Date => new Date(T0.getTime() + minutes * 60_000);

const ref = (name = 'app', accountId = A, region = EAST): RepositoryRef => ({ accountId, region, name });

const newRepo = (name: string, over: Partial<NewRepository> = {}): NewRepository => {
  const accountId = over.accountId ?? A;
  const region = over.region ?? EAST;
  return {
    accountId,
    region,
    name,
    arn: `arn:aws:ecr:${region}:${accountId}:repository/${name}`,
    createdAt: T0,
    imageTagMutability: 'MUTABLE',
    imageTagMutabilityExclusionFilters: [],
    scanOnPush: false,
    encryption: { encryptionType: 'AES256' },
    tags: [],
    ...over,
  };
};

const sha = (s: string): string => `sha256:${createHash('sha256').update(s).digest('hex')}`;
const blob = (n: string): string => sha(`blob ${n}`);

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

/** A manifest whose digest is the sha256 of its bytes, referencing the given blobs. */
const image = (label: string, over: Partial<NewImage> = {}): NewImage => {
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, label }));
  return {
    digest: sha(manifest.toString('utf8')),
    mediaType: OCI_MANIFEST,
    manifest,
    imageSize: 1000 + manifest.length,
    pushedAt: T0,
    blobs: [],
    children: [],
    ...over,
  };
};

/** Links the blobs of `img` into the repository, then puts it. */
async function push(s: MetadataTx, r: RepositoryRef, img: NewImage, tag?: string) {
  for (const d of img.blobs) await s.blobs.link(r, { digest: d, size: 10, linkedAt: img.pushedAt });
  return s.images.put(r, img, tag === undefined ? undefined : { tag });
}

const job = (id: string, over: Partial<NewReplicationJob> = {}): NewReplicationJob => ({
  id,
  source: { accountId: A, region: EAST, repositoryName: 'app', digest: sha('img') },
  destination: { region: WEST, registryId: B },
  tags: ['latest'],
  createdAt: T0,
  ...over,
});

const ptcRule = (prefix: string, over: Partial<PullThroughCacheRule> = {}): PullThroughCacheRule => ({
  prefix,
  upstreamRegistryUrl: 'public.ecr.aws',
  createdAt: T0,
  ...over,
});

const template = (
  prefix: string,
  over: Partial<RepositoryCreationTemplate> = {},
): RepositoryCreationTemplate => ({
  prefix,
  resourceTags: [],
  appliedFor: ['REPLICATION'],
  createdAt: T0,
  updatedAt: T0,
  ...over,
});

const reason = (r: Conflict['reason']) => (e: unknown) => (e as Conflict).reason === r;
const entity = (k: string) => (e: { entity: string }) => e.entity === k;

/** Registers the ECR cases under the suite of one driver. */
export function registerEcrCases(withStore: WithStore, driver: string): void {
  describe('ecr repositories', () => {
    withStore('a repository round-trips every field and gets a version', async (s) => {
      const r = newRepo('team/app', {
        imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
        imageTagMutabilityExclusionFilters: [{ filterType: 'WILDCARD', filter: 'latest*' }],
        scanOnPush: true,
        encryption: { encryptionType: 'KMS', kmsKey: 'arn:aws:kms:us-east-1:111111111111:key/k' },
        tags: [
          { key: 'Team', value: 'Payments' },
          { key: 'a', value: '' },
        ],
        policyText: '{"Version":"2012-10-17","Statement":[]}',
        lifecyclePolicyText: '{"rules":[]}',
        lifecycleEvaluatedAt: at(1),
      });
      const created = await s.repositories.create(r);
      assert.ok(created.version > 0);
      assert.deepEqual(created, { ...r, version: created.version });
      assert.deepEqual(await s.repositories.get(A, EAST, 'team/app'), created);
      assert.equal(await s.repositories.get(A, WEST, 'team/app'), undefined, 'regions are separate');
      assert.equal(await s.repositories.get(B, EAST, 'team/app'), undefined, 'accounts are separate');
      assert.equal(await s.repositories.get(A, EAST, 'Team/App'), undefined, 'names match exactly');
    });

    withStore('names are unique per account and region', async (s) => {
      await s.repositories.create(newRepo('app'));
      await rejectsWith(
        s.repositories.create(newRepo('app', { createdAt: at(1) })),
        'AlreadyExists',
        (e) => e.entity === 'repository' && (e as AlreadyExists).field === 'name',
      );
      await s.repositories.create(newRepo('app', { region: WEST }));
      await s.repositories.create(newRepo('app', { accountId: B }));
      assert.equal((await s.repositories.list(A, EAST)).items.length, 1);
    });

    withStore('repositories list by name in byte order, by names or prefix, in pages', async (s) => {
      for (const n of ['b', 'a/z', 'a', 'a-b', 'c/d/e', 'a/b']) await s.repositories.create(newRepo(n));
      await s.repositories.create(newRepo('zz', { region: WEST }));
      const all = ['a', 'a-b', 'a/b', 'a/z', 'b', 'c/d/e'];
      assert.deepEqual(
        (await s.repositories.list(A, EAST)).items.map((r) => r.name),
        all,
      );
      const paged = await drain((marker) => s.repositories.list(A, EAST, { maxItems: 4, marker }), 4);
      assert.deepEqual(
        paged.map((r) => r.name),
        all,
      );
      assert.deepEqual(
        (await s.repositories.list(A, EAST, { names: ['b', 'missing', 'a', 'b'] })).items.map((r) => r.name),
        ['a', 'b'],
      );
      assert.deepEqual((await s.repositories.list(A, EAST, { names: [] })).items, []);
      assert.deepEqual(
        (await s.repositories.list(A, EAST, { namePrefix: 'a/' })).items.map((r) => r.name),
        ['a/b', 'a/z'],
      );
      await rejectsWith(s.repositories.list(A, EAST, { marker: 'nope' }), 'InvalidMarker');
    });

    withStore('updates change fields, clear with null and bump the store-wide version', async (s) => {
      const r0 = await s.repositories.create(
        newRepo('app', { policyText: 'p', lifecycleEvaluatedAt: at(1) }),
      );
      const other = await s.repositories.create(newRepo('other'));
      assert.ok(other.version > r0.version);
      const r1 = await s.repositories.update(A, EAST, 'app', {
        imageTagMutability: 'IMMUTABLE',
        scanOnPush: true,
        tags: [{ key: 'k', value: 'v' }],
        lifecyclePolicyText: 'lc',
      });
      assert.ok(r1.version > other.version, 'versions increase across repositories');
      assert.deepEqual(r1, {
        ...r0,
        imageTagMutability: 'IMMUTABLE',
        scanOnPush: true,
        tags: [{ key: 'k', value: 'v' }],
        lifecyclePolicyText: 'lc',
        version: r1.version,
      });
      const r2 = await s.repositories.update(A, EAST, 'app', {
        policyText: null,
        lifecyclePolicyText: null,
        lifecycleEvaluatedAt: null,
      });
      const { policyText: _p, lifecyclePolicyText: _l, lifecycleEvaluatedAt: _e, ...bare } = r1;
      assert.deepEqual(r2, { ...bare, version: r2.version });
      assert.ok(r2.version > r1.version, 'every update bumps the version, even an empty one');
      assert.ok((await s.repositories.update(A, EAST, 'app', {})).version > r2.version);
      await rejectsWith(s.repositories.update(A, EAST, 'ghost', {}), 'NotFound', entity('repository'));
    });

    withStore('repository and registry policy bindings round-trip and clear with null', async (s) => {
      const bound = { 'arn:aws:iam::222222222222:role/ci': 'AROAEXAMPLE1' };
      const r0 = await s.repositories.create(newRepo('bound', { policyText: 'p', policyPrincipals: bound }));
      assert.deepEqual(r0.policyPrincipals, bound);
      assert.deepEqual((await s.repositories.get(A, EAST, 'bound'))?.policyPrincipals, bound);
      const next = {
        'arn:aws:iam::333333333333:user/u': 'AIDAEXAMPLE2',
        'arn:aws:iam::222222222222:role/ci': 'AROAEXAMPLE3',
      };
      const r1 = await s.repositories.update(A, EAST, 'bound', { policyText: 'q', policyPrincipals: next });
      assert.deepEqual(r1.policyPrincipals, next);
      assert.deepEqual(
        (await s.repositories.update(A, EAST, 'bound', { scanOnPush: true })).policyPrincipals,
        next,
      );
      const r2 = await s.repositories.update(A, EAST, 'bound', { policyText: null, policyPrincipals: null });
      assert.equal(r2.policyPrincipals, undefined);
      assert.equal((await s.repositories.get(A, EAST, 'bound'))?.policyPrincipals, undefined);
      const g1 = await s.registries.put(A, EAST, { policyText: 'r', policyPrincipals: bound, updatedAt: T0 });
      assert.deepEqual(g1.policyPrincipals, bound);
      assert.deepEqual((await s.registries.put(A, EAST, { updatedAt: at(1) })).policyPrincipals, bound);
      const g2 = await s.registries.put(A, EAST, {
        policyText: null,
        policyPrincipals: null,
        updatedAt: at(2),
      });
      assert.equal(g2.policyPrincipals, undefined);
      assert.equal((await s.registries.get(A, EAST))?.policyPrincipals, undefined);
    });

    withStore('a lifecycle preview is kept with its start time and cleared with null', async (s) => {
      await s.repositories.create(newRepo('app'));
      const r1 = await s.repositories.update(A, EAST, 'app', {
        lifecyclePreviewText: '{"rules":[]}',
        lifecyclePreviewStartedAt: at(2),
      });
      assert.equal(r1.lifecyclePreviewText, '{"rules":[]}');
      assert.deepEqual(r1.lifecyclePreviewStartedAt, at(2));
      assert.deepEqual(await s.repositories.get(A, EAST, 'app'), r1);
      const r2 = await s.repositories.update(A, EAST, 'app', {
        lifecyclePreviewText: null,
        lifecyclePreviewStartedAt: null,
      });
      assert.equal('lifecyclePreviewText' in r2, false);
      assert.equal('lifecyclePreviewStartedAt' in r2, false);
    });

    withStore('catalog data of a repository and a registry is kept and cleared with null', async (s) => {
      await s.repositories.create({ ...newRepo('app'), catalogDataText: '{"description":"first"}' });
      assert.equal((await s.repositories.get(A, EAST, 'app'))?.catalogDataText, '{"description":"first"}');
      const r1 = await s.repositories.update(A, EAST, 'app', { catalogDataText: '{"aboutText":"x"}' });
      assert.equal(r1.catalogDataText, '{"aboutText":"x"}');
      assert.deepEqual(await s.repositories.get(A, EAST, 'app'), r1);
      const r2 = await s.repositories.update(A, EAST, 'app', { catalogDataText: null });
      assert.equal('catalogDataText' in r2, false);
      const g1 = await s.registries.put(A, EAST, {
        catalogDataText: '{"displayName":"Acme"}',
        updatedAt: at(1),
      });
      assert.equal(g1.catalogDataText, '{"displayName":"Acme"}');
      const g2 = await s.registries.put(A, EAST, { policyText: '{}', updatedAt: at(2) });
      assert.equal(g2.catalogDataText, '{"displayName":"Acme"}', 'a patch without it keeps it');
      assert.deepEqual(await s.registries.get(A, EAST), g2);
      const g3 = await s.registries.put(A, EAST, { catalogDataText: null, updatedAt: at(3) });
      assert.equal('catalogDataText' in g3, false);
    });

    withStore("every registry's repositories are listed by account, region and name", async (s) => {
      await s.repositories.create(newRepo('b', { accountId: B }));
      await s.repositories.create(newRepo('z', { region: WEST, lifecyclePolicyText: 'lc' }));
      await s.repositories.create(newRepo('a', { lifecyclePolicyText: 'lc' }));
      await s.repositories.create(newRepo('m'));
      const names = (rs: readonly { accountId: string; region: string; name: string }[]) =>
        rs.map((r) => `${r.accountId}/${r.region}/${r.name}`);
      assert.deepEqual(
        names(
          await drain(
            (marker) => s.repositories.listAll({ ...(marker !== undefined && { marker }), maxItems: 1 }),
            1,
          ),
        ),
        [`${A}/${WEST}/z`, `${A}/${EAST}/a`, `${A}/${EAST}/m`, `${B}/${EAST}/b`].sort(),
      );
      assert.deepEqual(
        names((await s.repositories.listAll({ withLifecyclePolicy: true })).items),
        [`${A}/${EAST}/a`, `${A}/${WEST}/z`].sort(),
      );
      await rejectsWith(s.repositories.listAll({ marker: 'nope' }), 'InvalidMarker');
    });

    withStore('a conditional update fails when the version moved', async (s) => {
      const r = await s.repositories.create(newRepo('app'));
      const next = await s.repositories.update(A, EAST, 'app', { policyText: 'x' }, { version: r.version });
      await rejectsWith(
        s.repositories.update(A, EAST, 'app', { policyText: 'y' }, { version: r.version }),
        'Conflict',
        reason('VersionMismatch'),
      );
      assert.equal((await s.repositories.get(A, EAST, 'app'))?.policyText, 'x');
      assert.equal((await s.repositories.get(A, EAST, 'app'))?.version, next.version);
    });

    withStore('a re-created repository never repeats a version', async (s) => {
      const first = await s.repositories.create(newRepo('app'));
      await s.repositories.delete(A, EAST, 'app');
      const again = await s.repositories.create(newRepo('app'));
      assert.ok(again.version > first.version);
    });

    withStore('a repository with images is deleted only by force, with everything in it', async (s) => {
      await s.repositories.create(newRepo('app'));
      await s.repositories.create(newRepo('keep'));
      const img = image('one', { blobs: [blob('cfg'), blob('layer')] });
      await push(s, ref(), img, 'v1');
      await s.blobs.link(ref(), { digest: blob('loose'), size: 1, linkedAt: T0 });
      await s.blobs.link(ref('keep'), { digest: blob('layer'), size: 1, linkedAt: T0 });
      await s.uploads.create({ id: 'u-1', repository: ref(), createdAt: T0 });
      await s.replication.enqueue(job('j-1'));
      await rejectsWith(s.repositories.delete(A, EAST, 'app'), 'Conflict', reason('HasImages'));
      await rejectsWith(
        s.repositories.delete(A, EAST, 'app', { force: false }),
        'Conflict',
        reason('HasImages'),
      );
      assert.ok(await s.images.get(ref(), img.digest), 'a refused delete removes nothing');
      const gone = await s.repositories.delete(A, EAST, 'app', { force: true });
      assert.equal(gone.name, 'app');
      assert.equal(await s.repositories.get(A, EAST, 'app'), undefined);
      assert.equal(await s.uploads.get('u-1'), undefined, 'uploads go with the repository');
      assert.ok(await s.replication.get('j-1'), 'replication jobs name their source and stay');
      assert.equal(await s.blobs.referencedAnywhere(blob('cfg')), false);
      assert.equal(await s.blobs.referencedAnywhere(blob('loose')), false);
      assert.equal(await s.blobs.referencedAnywhere(blob('layer')), true, 'still linked elsewhere');
      await s.repositories.create(newRepo('app'));
      assert.deepEqual((await s.images.list(ref())).items, [], 'a new repository of the same name is empty');
      assert.deepEqual((await s.tags.list(ref())).items, []);
      assert.deepEqual((await s.blobs.list(ref())).items, []);
      await rejectsWith(s.repositories.delete(A, EAST, 'ghost'), 'NotFound', entity('repository'));
    });

    withStore('a repository without images is deleted with its links', async (s) => {
      await s.repositories.create(newRepo('app'));
      await s.blobs.link(ref(), { digest: blob('x'), size: 1, linkedAt: T0 });
      await s.repositories.delete(A, EAST, 'app');
      assert.equal(await s.blobs.referencedAnywhere(blob('x')), false);
    });

    withStore('every repository-scoped call needs its repository', async (s) => {
      const r = ref('ghost');
      const calls: [string, () => Promise<unknown>][] = [
        ['images.put', () => s.images.put(r, image('x'))],
        ['images.get', () => s.images.get(r, sha('x'))],
        ['images.getByTag', () => s.images.getByTag(r, 'x')],
        ['images.list', () => s.images.list(r)],
        ['images.references', () => s.images.references(r, sha('x'))],
        ['images.referrers', () => s.images.referrers(r, sha('x'))],
        ['images.markPulled', () => s.images.markPulled(r, sha('x'), T0)],
        ['images.delete', () => s.images.delete(r, [sha('x')])],
        ['tags.get', () => s.tags.get(r, 'x')],
        ['tags.put', () => s.tags.put(r, 'x', sha('x'), T0)],
        ['tags.delete', () => s.tags.delete(r, 'x')],
        ['tags.list', () => s.tags.list(r)],
        ['blobs.link', () => s.blobs.link(r, { digest: blob('x'), size: 1, linkedAt: T0 })],
        ['blobs.get', () => s.blobs.get(r, blob('x'))],
        ['blobs.isLinked', () => s.blobs.isLinked(r, blob('x'))],
        ['blobs.getMany', () => s.blobs.getMany(r, [blob('x')])],
        ['blobs.list', () => s.blobs.list(r)],
        ['blobs.unlink', () => s.blobs.unlink(r, blob('x'))],
        ['uploads.create', () => s.uploads.create({ id: 'u', repository: r, createdAt: T0 })],
      ];
      for (const [what, call] of calls) {
        await rejectsWith(
          call(),
          'NotFound',
          (e) => e.entity === 'repository' && e.key === `${A}/${EAST}/ghost`,
        ).catch((e: unknown) => {
          throw new Error(`${what}: ${String(e)}`);
        });
      }
    });
  });

  describe('ecr images and tags', () => {
    withStore('a manifest is stored byte for byte with its references and tag', async (s) => {
      await s.repositories.create(newRepo('app'));
      const cfg = blob('config');
      const img = image('app v1', {
        artifactType: 'application/vnd.example+type',
        configDigest: cfg,
        configMediaType: 'application/vnd.oci.image.config.v1+json',
        annotations: { 'org.opencontainers.image.title': 'Ünïcode ✓', ['__proto__']: 'kept as data' },
        blobs: [blob('l2'), cfg, blob('l1'), cfg],
        imageSize: 123_456_789_012,
      });
      const res = await push(s, ref(), img, 'v1');
      assert.equal(res.created, true);
      assert.equal(res.previousTagDigest, undefined);
      const info = {
        digest: img.digest,
        mediaType: OCI_MANIFEST,
        artifactType: 'application/vnd.example+type',
        configDigest: cfg,
        configMediaType: 'application/vnd.oci.image.config.v1+json',
        annotations: img.annotations,
        manifestSize: img.manifest.byteLength,
        imageSize: 123_456_789_012,
        pushedAt: T0,
        tags: ['v1'],
      };
      assert.deepEqual(res.image, info);
      assert.ok(Object.hasOwn(res.image.annotations ?? {}, '__proto__'), 'an odd annotation key stays data');
      const got = await s.images.get(ref(), img.digest);
      assert.deepEqual(got, { ...info, manifest: Buffer.from(img.manifest) });
      assert.ok(Buffer.isBuffer(got?.manifest));
      assert.deepEqual(await s.images.getByTag(ref(), 'v1'), got);
      assert.equal(await s.images.getByTag(ref(), 'v2'), undefined);
      assert.equal(await s.images.get(ref(), sha('other')), undefined);
      assert.deepEqual(await s.images.references(ref(), img.digest), {
        blobs: [blob('l2'), cfg, blob('l1')].sort(),
        children: [],
      });
      assert.equal(await s.images.references(ref(), sha('other')), undefined);
      assert.equal((await s.blobs.get(ref(), cfg))?.imageCount, 1);
    });

    withStore('pushing the same manifest again keeps its record and only moves tags', async (s) => {
      await s.repositories.create(newRepo('app'));
      const a = image('a');
      const b = image('b');
      await push(s, ref(), a, 'latest');
      await push(s, ref(), b);
      const again = await s.images.put(ref(), { ...a, pushedAt: at(5) }, { tag: 'latest' });
      assert.equal(again.created, false);
      assert.equal(again.previousTagDigest, a.digest, 'the tag already pointed here: nothing to do');
      assert.deepEqual(again.image.pushedAt, T0, 'the first push time stays');
      assert.deepEqual(await s.tags.get(ref(), 'latest'), { tag: 'latest', digest: a.digest, updatedAt: T0 });
      const moved = await s.images.put(ref(), { ...b, pushedAt: at(7) }, { tag: 'latest' });
      assert.equal(moved.previousTagDigest, a.digest);
      assert.deepEqual(moved.image.tags, ['latest']);
      assert.deepEqual(await s.tags.get(ref(), 'latest'), {
        tag: 'latest',
        digest: b.digest,
        updatedAt: at(7),
      });
      assert.deepEqual(
        (await s.images.get(ref(), a.digest))?.tags,
        [],
        'moving the last tag keeps the image',
      );
      const viaTags = await s.tags.put(ref(), 'latest', a.digest, at(9));
      assert.deepEqual(viaTags, {
        tag: { tag: 'latest', digest: a.digest, updatedAt: at(9) },
        previousDigest: b.digest,
      });
      assert.deepEqual(await s.tags.put(ref(), 'new', a.digest, at(10)), {
        tag: { tag: 'new', digest: a.digest, updatedAt: at(10) },
      });
      await rejectsWith(s.tags.put(ref(), 'x', sha('ghost'), T0), 'NotFound', entity('image'));
    });

    withStore('a failing put leaves no image, tag or reference behind', async (s) => {
      await s.repositories.create(newRepo('app'));
      await s.blobs.link(ref(), { digest: blob('have'), size: 1, linkedAt: T0 });
      const img = image('x', { blobs: [blob('have'), blob('missing')] });
      await rejectsWith(
        s.images.put(ref(), img, { tag: 'v1' }),
        'NotFound',
        (e) => e.entity === 'blob' && e.key.endsWith(`@${blob('missing')}`),
      );
      const idx = image('idx', { mediaType: OCI_INDEX, children: [sha('absent child')] });
      await rejectsWith(s.images.put(ref(), idx, { tag: 'v1' }), 'NotFound', entity('image'));
      assert.equal(await s.images.get(ref(), img.digest), undefined);
      assert.equal(await s.tags.get(ref(), 'v1'), undefined);
      assert.deepEqual((await s.images.list(ref())).items, []);
      assert.equal((await s.blobs.get(ref(), blob('have')))?.imageCount, 0);
      await s.blobs.unlink(ref(), blob('have'));
      assert.equal(await s.blobs.referencedAnywhere(blob('have')), false, 'no reference row was left');
      // The same inside a transaction: links made before the failing put roll back with it.
      await rejectsWith(
        s.transaction(async (tx) => {
          await tx.blobs.link(ref(), { digest: blob('have'), size: 1, linkedAt: T0 });
          await tx.images.put(ref(), img, { tag: 'v1' });
        }),
        'NotFound',
      );
      assert.equal(await s.blobs.isLinked(ref(), blob('have')), false);
      assert.equal(await s.blobs.referencedAnywhere(blob('have')), false);
    });

    withStore('blobs must be linked into the same repository', async (s) => {
      await s.repositories.create(newRepo('app'));
      await s.repositories.create(newRepo('app', { region: WEST }));
      await s.blobs.link(ref('app', A, WEST), { digest: blob('b'), size: 1, linkedAt: T0 });
      await rejectsWith(s.images.put(ref(), image('x', { blobs: [blob('b')] })), 'NotFound', entity('blob'));
    });

    withStore('an index needs its children, which cannot go while it stays', async (s) => {
      await s.repositories.create(newRepo('app'));
      const amd = image('amd64', { blobs: [blob('a')] });
      const arm = image('arm64', { blobs: [blob('b')] });
      await push(s, ref(), amd);
      await push(s, ref(), arm);
      const idx = image('index', { mediaType: OCI_INDEX, children: [arm.digest, amd.digest] });
      await s.images.put(ref(), idx, { tag: 'multi' });
      const outer = image('outer', { mediaType: OCI_INDEX, children: [idx.digest] });
      await s.images.put(ref(), outer);
      assert.deepEqual(
        (await s.images.references(ref(), idx.digest))?.children,
        [amd.digest, arm.digest].sort(),
      );
      const refused = await s.images.delete(ref(), [amd.digest, idx.digest, sha('nothing')]);
      assert.deepEqual(refused, {
        deleted: [],
        notFound: [sha('nothing')],
        referencedByIndex: [amd.digest, idx.digest],
      });
      const res = await s.images.delete(ref(), [
        amd.digest,
        outer.digest,
        idx.digest,
        arm.digest,
        amd.digest,
      ]);
      assert.deepEqual(res, {
        deleted: [
          { digest: amd.digest, tags: [] },
          { digest: outer.digest, tags: [] },
          { digest: idx.digest, tags: ['multi'] },
          { digest: arm.digest, tags: [] },
        ],
        notFound: [],
        referencedByIndex: [],
      });
      assert.deepEqual((await s.images.list(ref())).items, []);
      assert.equal(await s.tags.get(ref(), 'multi'), undefined);
      assert.equal((await s.blobs.get(ref(), blob('a')))?.imageCount, 0, 'references go with the image');
      assert.deepEqual(await s.images.delete(ref(), []), {
        deleted: [],
        notFound: [],
        referencedByIndex: [],
      });
    });

    withStore('deleting an image removes its tags; deleting its last tag keeps it', async (s) => {
      await s.repositories.create(newRepo('app'));
      const img = image('x');
      await push(s, ref(), img, 'a');
      await s.tags.put(ref(), 'b', img.digest, at(1));
      assert.deepEqual(await s.tags.delete(ref(), 'a'), { tag: 'a', digest: img.digest, updatedAt: T0 });
      await rejectsWith(s.tags.delete(ref(), 'a'), 'NotFound', entity('tag'));
      await s.tags.delete(ref(), 'b');
      assert.ok(await s.images.get(ref(), img.digest), 'the store never deletes an image for a tag');
      await s.tags.put(ref(), 'c', img.digest, at(2));
      assert.deepEqual((await s.images.delete(ref(), [img.digest])).deleted, [
        { digest: img.digest, tags: ['c'] },
      ]);
      assert.deepEqual((await s.tags.list(ref())).items, []);
    });

    withStore('images list by digest, filtered by tag status, in pages', async (s) => {
      await s.repositories.create(newRepo('app'));
      const imgs = Array.from({ length: 7 }, (_, i) => image(`img${i}`));
      for (const [i, img] of imgs.entries()) await push(s, ref(), img, i % 2 === 0 ? `t${i}` : undefined);
      await s.tags.put(ref(), 'also', (imgs[0] as NewImage).digest, T0);
      const byDigest = [...imgs].sort((x, y) => (x.digest < y.digest ? -1 : 1));
      const all = await drain((marker) => s.images.list(ref(), { maxItems: 3, marker }), 3);
      assert.deepEqual(
        all.map((i) => i.digest),
        byDigest.map((i) => i.digest),
      );
      assert.deepEqual(all.find((i) => i.digest === imgs[0]?.digest)?.tags, ['also', 't0']);
      const tagged = await drain(
        (marker) => s.images.list(ref(), { filter: 'tagged', maxItems: 2, marker }),
        2,
      );
      assert.deepEqual(tagged.map((i) => i.digest).sort(), [0, 2, 4, 6].map((i) => imgs[i]?.digest).sort());
      const untagged = await drain(
        (marker) => s.images.list(ref(), { filter: 'untagged', maxItems: 2, marker }),
        2,
      );
      assert.deepEqual(untagged.map((i) => i.digest).sort(), [1, 3, 5].map((i) => imgs[i]?.digest).sort());
      assert.ok(untagged.every((i) => i.tags.length === 0));
    });

    withStore('tags list in lexical order with OCI n and last', async (s) => {
      await s.repositories.create(newRepo('app'));
      const img = image('x');
      await push(s, ref(), img);
      const tags = ['v1.10', 'latest', 'V2', 'v1.9', 'a', '_x', 'v1.0', '0'];
      for (const t of tags) await s.tags.put(ref(), t, img.digest, T0);
      const lexical = ['0', 'V2', '_x', 'a', 'latest', 'v1.0', 'v1.10', 'v1.9'];
      const names = (l: { items: { tag: string }[] }) => l.items.map((t) => t.tag);
      assert.deepEqual(names(await s.tags.list(ref())), lexical);
      assert.equal((await s.tags.list(ref())).more, false);
      assert.deepEqual(await s.tags.list(ref(), { n: 3 }), {
        items: lexical.slice(0, 3).map((tag) => ({ tag, digest: img.digest, updatedAt: T0 })),
        more: true,
      });
      assert.deepEqual(names(await s.tags.list(ref(), { n: 3, last: '_x' })), ['a', 'latest', 'v1.0']);
      assert.deepEqual(names(await s.tags.list(ref(), { last: 'v1.0' })), ['v1.10', 'v1.9']);
      assert.deepEqual(names(await s.tags.list(ref(), { last: 'b' })), ['latest', 'v1.0', 'v1.10', 'v1.9']);
      assert.deepEqual(await s.tags.list(ref(), { n: 5, last: 'latest' }), {
        items: ['v1.0', 'v1.10', 'v1.9'].map((tag) => ({ tag, digest: img.digest, updatedAt: T0 })),
        more: false,
      });
      assert.deepEqual(await s.tags.list(ref(), { n: 8 }), {
        items: (await s.tags.list(ref())).items,
        more: false,
      });
      assert.deepEqual(await s.tags.list(ref(), { n: 0 }), { items: [], more: false });
      assert.deepEqual(await s.tags.list(ref(), { n: -1 }), { items: [], more: false });
      assert.deepEqual(
        names(await s.tags.list(ref(), { n: Number.NaN })),
        lexical,
        'a non-number n means all',
      );
      assert.deepEqual(await s.tags.list(ref(), { last: 'zzz' }), { items: [], more: false });
      // Walking with n and last visits every tag once.
      const walked: string[] = [];
      let last: string | undefined;
      for (;;) {
        const page = await s.tags.list(ref(), { n: 3, last });
        walked.push(...names(page));
        if (!page.more) break;
        last = page.items[page.items.length - 1]?.tag;
      }
      assert.deepEqual(walked, lexical);
    });

    withStore('referrers are manifests with that subject, filtered by artifact type', async (s) => {
      await s.repositories.create(newRepo('app'));
      const subject = image('subject');
      await push(s, ref(), subject, 'v1');
      const sig = image('sig', {
        subjectDigest: subject.digest,
        artifactType: 'application/vnd.dev.cosign',
        annotations: { 'org.example': 'sig' },
      });
      const sbom = image('sbom', { subjectDigest: subject.digest, artifactType: 'application/spdx+json' });
      const sbom2 = image('sbom2', { subjectDigest: subject.digest, artifactType: 'application/spdx+json' });
      const orphan = image('orphan', { subjectDigest: sha('never pushed'), artifactType: 'x' });
      for (const r of [sig, sbom, sbom2, orphan]) await push(s, ref(), r);
      const digests = (p: { items: { digest: string }[] }) => p.items.map((i) => i.digest);
      assert.deepEqual(
        digests(await s.images.referrers(ref(), subject.digest)),
        [sig, sbom, sbom2].map((i) => i.digest).sort(),
      );
      assert.deepEqual(
        digests(await s.images.referrers(ref(), subject.digest, { artifactType: 'application/spdx+json' })),
        [sbom.digest, sbom2.digest].sort(),
      );
      const paged = await drain(
        (marker) => s.images.referrers(ref(), subject.digest, { maxItems: 2, marker }),
        2,
      );
      assert.equal(paged.length, 3);
      assert.deepEqual(digests(await s.images.referrers(ref(), sha('never pushed'))), [orphan.digest]);
      assert.deepEqual((await s.images.referrers(ref(), sha('nothing'))).items, []);
      const sigInfo = (
        await s.images.referrers(ref(), subject.digest, { artifactType: 'application/vnd.dev.cosign' })
      ).items[0];
      assert.deepEqual(sigInfo?.annotations, { 'org.example': 'sig' });
      assert.equal(sigInfo?.subjectDigest, subject.digest);
    });

    withStore('a pull time only moves forward', async (s) => {
      await s.repositories.create(newRepo('app'));
      const img = image('x');
      await push(s, ref(), img);
      await s.images.markPulled(ref(), img.digest, at(5));
      await s.images.markPulled(ref(), img.digest, at(3));
      assert.deepEqual((await s.images.get(ref(), img.digest))?.lastPulledAt, at(5));
      await s.images.markPulled(ref(), img.digest, at(8));
      assert.deepEqual((await s.images.list(ref())).items[0]?.lastPulledAt, at(8));
      await rejectsWith(s.images.markPulled(ref(), sha('ghost'), T0), 'NotFound', entity('image'));
    });

    withStore('a large manifest round-trips exactly', async (s) => {
      await s.repositories.create(newRepo('app'));
      const bytes = Buffer.alloc(4 * 1024 * 1024);
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + 7) & 0xff;
      const layers = Array.from({ length: 300 }, (_, i) => blob(`layer${i}`));
      const img = image('big', { manifest: bytes, digest: sha('big'), blobs: layers });
      await push(s, ref(), img);
      const got = await s.images.get(ref(), img.digest);
      assert.equal(got?.manifestSize, bytes.length);
      assert.ok(got && Buffer.compare(Buffer.from(got.manifest), bytes) === 0);
      assert.equal((await s.images.references(ref(), img.digest))?.blobs.length, 300);
    });
  });

  describe('ecr blob links', () => {
    withStore('links are idempotent, counted and visible only where linked', async (s) => {
      await s.repositories.create(newRepo('app'));
      await s.repositories.create(newRepo('other'));
      const d = blob('x');
      assert.deepEqual(await s.blobs.link(ref(), { digest: d, size: 42, linkedAt: at(1) }), {
        digest: d,
        size: 42,
        linkedAt: at(1),
        imageCount: 0,
      });
      assert.deepEqual(
        await s.blobs.link(ref(), { digest: d, size: 42, linkedAt: at(9) }),
        { digest: d, size: 42, linkedAt: at(1), imageCount: 0 },
        'linking again keeps the first link',
      );
      assert.equal(await s.blobs.isLinked(ref(), d), true);
      assert.equal(await s.blobs.isLinked(ref('other'), d), false);
      assert.equal(await s.blobs.get(ref('other'), d), undefined);
      const img = image('uses x', { blobs: [d] });
      await s.images.put(ref(), img);
      await s.images.put(ref(), image('uses x too', { blobs: [d] }));
      assert.equal((await s.blobs.get(ref(), d))?.imageCount, 2);
      await rejectsWith(s.blobs.unlink(ref(), d), 'Conflict', reason('BlobInUse'));
      await rejectsWith(s.blobs.unlink(ref(), blob('never')), 'NotFound', entity('blob'));
      await s.images.delete(ref(), [img.digest, image('uses x too', { blobs: [d] }).digest]);
      await s.blobs.unlink(ref(), d);
      assert.equal(await s.blobs.isLinked(ref(), d), false);
    });

    withStore('getMany keeps the order asked and drops duplicates and unknowns', async (s) => {
      await s.repositories.create(newRepo('app'));
      for (const n of ['a', 'b', 'c'])
        await s.blobs.link(ref(), { digest: blob(n), size: n.length, linkedAt: T0 });
      const got = await s.blobs.getMany(ref(), [blob('c'), blob('zz'), blob('a'), blob('c')]);
      assert.deepEqual(
        got.map((l) => l.digest),
        [blob('c'), blob('a')],
      );
      assert.deepEqual(await s.blobs.getMany(ref(), []), []);
      const paged = await drain((marker) => s.blobs.list(ref(), { maxItems: 2, marker }), 2);
      assert.deepEqual(
        paged.map((l) => l.digest),
        [blob('a'), blob('b'), blob('c')].sort(),
      );
    });

    withStore('a blob is referenced anywhere while any registry links or uses it', async (s) => {
      const d = blob('shared');
      assert.equal(await s.blobs.referencedAnywhere(d), false);
      await s.repositories.create(newRepo('app', { accountId: B, region: WEST }));
      const r = ref('app', B, WEST);
      await s.blobs.link(r, { digest: d, size: 1, linkedAt: T0 });
      assert.equal(await s.blobs.referencedAnywhere(d), true);
      const img = image('x', { blobs: [d] });
      await s.images.put(r, img);
      assert.equal(await s.blobs.referencedAnywhere(d), true);
      await s.images.delete(r, [img.digest]);
      await s.blobs.unlink(r, d);
      assert.equal(await s.blobs.referencedAnywhere(d), false);
      await s.uploads.create({ id: 'u', repository: r, createdAt: T0 });
      await s.uploads.update('u', { state: 'COMPLETING', digest: d, updatedAt: T0 });
      assert.equal(await s.blobs.referencedAnywhere(d), true, 'a completing upload holds its blob');
      await s.uploads.delete('u');
      assert.equal(await s.blobs.referencedAnywhere(d), false);
    });

    withStore(
      'the locked reference check agrees with referencedAnywhere, in and out of transactions',
      async (s) => {
        const d = blob('held');
        await s.repositories.create(newRepo('app'));
        assert.equal(await s.blobs.referencedAnywhereLocked(d), false);
        assert.equal(await s.transaction((tx) => tx.blobs.referencedAnywhereLocked(d)), false);
        await s.blobs.link(ref(), { digest: d, size: 1, linkedAt: T0 });
        assert.equal(await s.blobs.referencedAnywhereLocked(d), true);
        const inTx = await s.transaction(async (tx) => {
          const before = await tx.blobs.referencedAnywhereLocked(d);
          await tx.blobs.unlink(ref(), d);
          return [before, await tx.blobs.referencedAnywhereLocked(d)];
        });
        assert.deepEqual(inTx, [true, false]);
        const unchanged = (await s.repositories.get(A, EAST, 'app'))?.version;
        await s.blobs.referencedAnywhereLocked(d);
        assert.equal(
          (await s.repositories.get(A, EAST, 'app'))?.version,
          unchanged,
          'the lock changes no data',
        );
      },
    );
  });

  describe('ecr uploads', () => {
    withStore('an upload session starts empty, moves on and ends', async (s) => {
      await s.repositories.create(newRepo('app'));
      const u = await s.uploads.create({ id: 'u-1', repository: ref(), createdAt: T0 });
      assert.deepEqual(u, {
        id: 'u-1',
        repository: ref(),
        state: 'IN_PROGRESS',
        size: 0,
        partCount: 0,
        createdAt: T0,
        updatedAt: T0,
      });
      await rejectsWith(
        s.uploads.create({ id: 'u-1', repository: ref(), createdAt: T0 }),
        'AlreadyExists',
        (e) => (e as AlreadyExists).field === 'id',
      );
      const u1 = await s.uploads.update(
        'u-1',
        { size: 100, partCount: 1, lastPartSize: 100, updatedAt: at(1) },
        { size: 0 },
      );
      assert.deepEqual(u1, { ...u, size: 100, partCount: 1, lastPartSize: 100, updatedAt: at(1) });
      const u2 = await s.uploads.update('u-1', { firstSmallPart: 1, updatedAt: at(1) });
      assert.deepEqual(u2, { ...u1, firstSmallPart: 1 });
      assert.deepEqual(await s.uploads.get('u-1'), u2);
      await rejectsWith(
        s.uploads.update('u-1', { size: 200, updatedAt: at(2) }, { size: 0 }),
        'Conflict',
        reason('UploadChanged'),
      );
      await rejectsWith(
        s.uploads.update('u-1', { state: 'COMPLETE', updatedAt: at(2) }, { state: 'COMPLETING' }),
        'Conflict',
        reason('UploadChanged'),
      );
      assert.deepEqual(await s.uploads.get('u-1'), u2, 'a refused update changes nothing');
      const done = await s.uploads.update('u-1', { state: 'COMPLETE', digest: blob('d'), updatedAt: at(3) });
      assert.deepEqual(done, { ...u2, state: 'COMPLETE', digest: blob('d'), updatedAt: at(3) });
      assert.deepEqual(await s.uploads.update('u-1', { digest: null, updatedAt: at(4) }), {
        ...u2,
        state: 'COMPLETE',
        updatedAt: at(4),
      });
      await s.uploads.delete('u-1');
      assert.equal(await s.uploads.get('u-1'), undefined);
      await rejectsWith(s.uploads.delete('u-1'), 'NotFound', entity('upload'));
      await rejectsWith(s.uploads.update('u-1', { updatedAt: T0 }), 'NotFound', entity('upload'));
    });

    withStore('uploads list by repository, state and idleness', async (s) => {
      await s.repositories.create(newRepo('app'));
      await s.repositories.create(newRepo('app', { region: WEST }));
      for (let i = 0; i < 5; i++) {
        await s.uploads.create({
          id: `u-${i}`,
          repository: i < 3 ? ref() : ref('app', A, WEST),
          createdAt: at(i),
        });
      }
      await s.uploads.update('u-1', { state: 'CANCELLED', updatedAt: at(10) });
      const ids = (p: { items: { id: string }[] }) => p.items.map((u) => u.id);
      assert.deepEqual(ids(await s.uploads.list()), ['u-0', 'u-1', 'u-2', 'u-3', 'u-4']);
      assert.deepEqual(ids(await s.uploads.list({ repository: ref() })), ['u-0', 'u-1', 'u-2']);
      assert.deepEqual(ids(await s.uploads.list({ states: ['CANCELLED'] })), ['u-1']);
      assert.deepEqual(ids(await s.uploads.list({ states: [] })), []);
      assert.deepEqual(ids(await s.uploads.list({ updatedBefore: at(3) })), ['u-0', 'u-2']);
      const paged = await drain((marker) => s.uploads.list({ maxItems: 2, marker }), 2);
      assert.equal(paged.length, 5);
    });
  });

  describe('ecr replication queue', () => {
    withStore('jobs are queued, listed and claimed most overdue first', async (s) => {
      const j1 = await s.replication.enqueue(job('j-1', { nextAttemptAt: at(5) }));
      assert.deepEqual(j1, {
        ...job('j-1'),
        state: 'PENDING',
        attempts: 0,
        nextAttemptAt: at(5),
        updatedAt: T0,
      });
      await s.replication.enqueue(job('j-2', { source: { ...job('x').source, digest: sha('other') } }));
      await s.replication.enqueue(job('j-0', { nextAttemptAt: at(1) }));
      await rejectsWith(s.replication.enqueue(job('j-1')), 'AlreadyExists');
      const ids = (p: { items: { id: string }[] }) => p.items.map((j) => j.id);
      assert.deepEqual(ids(await s.replication.list()), ['j-0', 'j-1', 'j-2']);
      assert.deepEqual(ids(await s.replication.list({ source: job('x').source })), ['j-0', 'j-1']);
      assert.deepEqual(
        ids(await s.replication.list({ source: { accountId: A, region: EAST, repositoryName: 'app' } })),
        ['j-0', 'j-1', 'j-2'],
      );
      assert.deepEqual(ids(await s.replication.list({ states: ['IN_PROGRESS'] })), []);
      const first = await s.replication.claimNext(at(10), { worker: 'w1', leaseUntil: at(20) });
      assert.deepEqual(first, {
        ...job('j-2', { source: { ...job('x').source, digest: sha('other') } }),
        state: 'IN_PROGRESS',
        attempts: 1,
        nextAttemptAt: at(20),
        updatedAt: at(10),
        worker: 'w1',
      });
      assert.equal((await s.replication.claimNext(at(10)))?.id, 'j-0');
      assert.equal(await s.replication.claimNext(at(4)), undefined, 'nothing else is due yet');
      const third = await s.replication.claimNext(at(10));
      assert.equal(third?.id, 'j-1');
      assert.deepEqual(third?.nextAttemptAt, new Date(at(10).getTime() + 5 * 60_000), 'default lease');
      assert.equal(await s.replication.claimNext(at(10)), undefined);
      assert.deepEqual(ids(await s.replication.list({ states: ['IN_PROGRESS'] })), ['j-0', 'j-1', 'j-2']);
    });

    withStore('a lapsed claim is claimed again and fences the first worker out', async (s) => {
      await s.replication.enqueue(job('j'));
      const a = await s.replication.claimNext(T0, { worker: 'a', leaseUntil: at(1) });
      assert.equal(a?.attempts, 1);
      assert.equal(await s.replication.claimNext(at(0.5)), undefined, 'a live claim is not handed out');
      const b = await s.replication.claimNext(at(2), { worker: 'b', leaseUntil: at(3) });
      assert.equal(b?.attempts, 2);
      assert.equal(b?.worker, 'b');
      await rejectsWith(
        s.replication.update('j', { state: 'COMPLETE', updatedAt: at(2) }, { attempts: 1 }),
        'Conflict',
        reason('StaleClaim'),
      );
      const retry = await s.replication.update(
        'j',
        { state: 'PENDING', nextAttemptAt: at(10), failureReason: 'boom', updatedAt: at(2) },
        { attempts: 2 },
      );
      assert.equal(retry.worker, undefined, 'leaving IN_PROGRESS ends the claim');
      assert.equal(retry.failureReason, 'boom');
      assert.equal(await s.replication.claimNext(at(9)), undefined, 'backoff is honoured');
      const c = await s.replication.claimNext(at(10));
      assert.equal(c?.attempts, 3);
      const done = await s.replication.update('j', {
        state: 'COMPLETE',
        failureReason: null,
        updatedAt: at(11),
      });
      assert.equal(done.state, 'COMPLETE');
      assert.equal(done.failureReason, undefined);
      assert.equal(await s.replication.claimNext(at(100)), undefined, 'finished jobs are never claimed');
      await s.replication.enqueue(job('f'));
      await s.replication.claimNext(at(100));
      const failed = await s.replication.update('f', {
        state: 'FAILED',
        failureReason: 'REPLICATION_NOT_ALLOWED',
        updatedAt: at(101),
      });
      assert.equal(failed.state, 'FAILED');
      assert.equal(await s.replication.claimNext(at(1000)), undefined);
      await rejectsWith(s.replication.update('ghost', { state: 'FAILED', updatedAt: T0 }), 'NotFound');
      await s.replication.delete('j');
      await rejectsWith(s.replication.delete('j'), 'NotFound', entity('replicationJob'));
    });

    withStore('concurrent claims never hand out the same job twice', async (s) => {
      const n = 12;
      for (let i = 0; i < n; i++) {
        await s.replication.enqueue(job(`j-${String(i).padStart(2, '0')}`, { nextAttemptAt: at(i % 4) }));
      }
      const claims = await Promise.all(
        Array.from({ length: 3 * n }, (_, i) =>
          i % 3 === 0
            ? s.transaction((tx) => tx.replication.claimNext(at(10), { worker: `w${i}` }))
            : s.replication.claimNext(at(10), { worker: `w${i}` }),
        ),
      );
      const got = claims.flatMap((c) => (c === undefined ? [] : [c.id]));
      assert.equal(got.length, n, 'every job is claimed');
      assert.equal(new Set(got).size, n, 'and only once');
      assert.ok(claims.every((c) => c === undefined || c.attempts === 1));
    });
  });

  describe('ecr registry settings', () => {
    withStore('registry settings are created, patched, cleared and versioned', async (s) => {
      assert.equal(await s.registries.get(A, EAST), undefined);
      const replication = {
        rules: [
          {
            destinations: [
              { region: WEST, registryId: A },
              { region: EAST, registryId: B },
            ],
            repositoryFilters: [{ filter: 'prod', filterType: 'PREFIX_MATCH' as const }],
          },
        ],
      };
      const r1 = await s.registries.put(
        A,
        EAST,
        { policyText: '{"p":1}', replicationConfiguration: replication, updatedAt: T0 },
        { version: 0 },
      );
      assert.deepEqual(r1, {
        accountId: A,
        region: EAST,
        policyText: '{"p":1}',
        replicationConfiguration: replication,
        pullThroughCacheRules: [],
        creationTemplates: [],
        accountSettings: {},
        version: r1.version,
        updatedAt: T0,
      });
      assert.deepEqual(await s.registries.get(A, EAST), r1);
      assert.equal(await s.registries.get(A, WEST), undefined, 'registries are per region');
      const repo = await s.repositories.create(newRepo('app'));
      assert.ok(repo.version > r1.version, 'one change counter for repositories and registries');
      const scanning = {
        scanType: 'ENHANCED' as const,
        rules: [
          {
            scanFrequency: 'SCAN_ON_PUSH' as const,
            repositoryFilters: [{ filter: '*', filterType: 'WILDCARD' as const }],
          },
        ],
      };
      const r2 = await s.registries.put(A, EAST, {
        scanningConfiguration: scanning,
        pullThroughCacheRules: [
          ptcRule('quay', { upstreamRegistryUrl: 'quay.io', upstreamRegistry: 'quay', updatedAt: at(1) }),
          ptcRule('ecr-public', {
            credentialArn: 'arn:aws:secretsmanager:us-east-1:111111111111:secret:ecr-pullthroughcache/x',
            customRoleArn: 'arn:aws:iam::111111111111:role/ptc',
            upstreamRepositoryPrefix: 'library',
          }),
        ],
        creationTemplates: [
          template('ROOT', {
            description: 'defaults',
            encryption: { encryptionType: 'KMS', kmsKey: 'k' },
            resourceTags: [{ key: 'origin', value: 'replication' }],
            imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
            imageTagMutabilityExclusionFilters: [{ filterType: 'WILDCARD', filter: 'dev-*' }],
            repositoryPolicy: '{}',
            lifecyclePolicy: '{"rules":[]}',
            appliedFor: ['REPLICATION', 'PULL_THROUGH_CACHE'],
            customRoleArn: 'arn:aws:iam::111111111111:role/t',
          }),
        ],
        accountSettings: { REGISTRY_POLICY_SCOPE: 'V2' },
        updatedAt: at(2),
      });
      assert.ok(r2.version > repo.version);
      assert.equal(r2.policyText, '{"p":1}', 'absent fields stay');
      assert.deepEqual(r2.replicationConfiguration, replication);
      assert.deepEqual(r2.scanningConfiguration, scanning);
      assert.deepEqual(
        r2.pullThroughCacheRules.map((r) => r.prefix),
        ['ecr-public', 'quay'],
        'rules are ordered by prefix',
      );
      assert.deepEqual(
        r2.pullThroughCacheRules[1],
        ptcRule('quay', { upstreamRegistryUrl: 'quay.io', upstreamRegistry: 'quay', updatedAt: at(1) }),
      );
      assert.equal(r2.creationTemplates[0]?.description, 'defaults');
      assert.deepEqual(await s.registries.get(A, EAST), r2);
      await rejectsWith(
        s.registries.put(A, EAST, { policyText: null, updatedAt: at(3) }, { version: r1.version }),
        'Conflict',
        reason('VersionMismatch'),
      );
      await rejectsWith(
        s.registries.put(A, EAST, {
          pullThroughCacheRules: [ptcRule('a'), ptcRule('b'), ptcRule('a')],
          updatedAt: at(3),
        }),
        'AlreadyExists',
        (e) => e.entity === 'pullThroughCacheRule' && (e as AlreadyExists).field === 'prefix',
      );
      await rejectsWith(
        s.registries.put(A, EAST, { creationTemplates: [template('x'), template('x')], updatedAt: at(3) }),
        'AlreadyExists',
        entity('repositoryCreationTemplate'),
      );
      assert.deepEqual(await s.registries.get(A, EAST), r2, 'a refused put changes nothing');
      const r3 = await s.registries.put(
        A,
        EAST,
        {
          policyText: null,
          replicationConfiguration: null,
          scanningConfiguration: null,
          pullThroughCacheRules: [],
          updatedAt: at(4),
        },
        { version: r2.version },
      );
      assert.deepEqual(r3, {
        accountId: A,
        region: EAST,
        pullThroughCacheRules: [],
        creationTemplates: r2.creationTemplates,
        accountSettings: { REGISTRY_POLICY_SCOPE: 'V2' },
        version: r3.version,
        updatedAt: at(4),
      });
      await rejectsWith(
        s.registries.put(B, EAST, { updatedAt: T0 }, { version: 5 }),
        'Conflict',
        reason('VersionMismatch'),
      );
      assert.equal(await s.registries.get(B, EAST), undefined);
    });
  });

  describe('ecr persistence', () => {
    withStore('ecr data survives close and reopen', async (s0, h, t) => {
      if (h.reopen === undefined) {
        t.skip(`the ${driver} driver keeps nothing across close, so there is nothing to reopen`);
        return;
      }
      let s: MetadataStore = s0;
      await s.repositories.create(newRepo('app', { tags: [{ key: 'k', value: 'v' }], policyText: 'p' }));
      const child = image('child', { blobs: [blob('l')] });
      await push(s, ref(), child, 'c');
      await s.images.put(
        ref(),
        image('idx', { mediaType: OCI_INDEX, children: [child.digest], subjectDigest: sha('s') }),
        {
          tag: 'latest',
        },
      );
      await s.images.markPulled(ref(), child.digest, at(3));
      await s.uploads.create({ id: 'u', repository: ref(), createdAt: T0 });
      await s.replication.enqueue(job('j'));
      await s.replication.claimNext(at(1), { worker: 'w' });
      await s.registries.put(A, EAST, {
        pullThroughCacheRules: [ptcRule('p', { updatedAt: at(2) })],
        updatedAt: at(2),
      });
      const snapshot = async (x: MetadataStore): Promise<unknown[]> => [
        await x.repositories.list(A, EAST),
        await x.images.list(ref()),
        await x.images.get(ref(), child.digest),
        await x.images.references(ref(), image('idx').digest),
        await x.images.referrers(ref(), sha('s')),
        await x.tags.list(ref()),
        await x.blobs.list(ref()),
        await x.uploads.list(),
        await x.replication.list(),
        await x.registries.get(A, EAST),
      ];
      const before = await snapshot(s);
      const lastVersion = (await s.registries.get(A, EAST))?.version ?? 0;
      s = await h.reopen();
      assert.deepEqual(await snapshot(s), before);
      const after = await s.repositories.create(newRepo('new'));
      assert.ok(after.version > lastVersion, 'the change counter persists');
      assert.equal(await s.replication.claimNext(at(2)), undefined, 'a live claim survives a restart');
      assert.equal((await s.replication.claimNext(at(7)))?.attempts, 2, 'and lapses after it');
    });
  });
}
