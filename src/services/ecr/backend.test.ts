// The ECR data path end to end below HTTP: the RegistryBackend (registry requests) and the data-path
// API operations against the in-memory metadata store, the in-memory blob store, the real door
// (Authorizer) and engine, and a fixed clock. One table of scenarios; each runs in a fresh world
// and reads as the sentence that names it.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import {
  addAccessKey,
  addAccounts,
  addUser,
  ecrDeps,
  policyDoc,
  registryBasic,
} from '../../../test/helpers/world.js';
import type { EcrDataOps } from '../../api/ecr/data.js';
import type { RequestInfo } from '../../auth/caller.js';
import { REGISTRY_TOKEN_TTL_MS } from '../../auth/tokens.js';
import { digestOf } from '../../store/blobs/BlobStore.js';
import { createMemoryBlobStore } from '../../store/blobs/memory/MemoryBlobStore.js';
import { MemoryMetadataStore } from '../../store/meta/memory/MemoryMetadataStore.js';
import type { ImageTagMutability, RepositoryRef } from '../../store/meta/records.js';
import { SecretBox } from '../../store/meta/secrets.js';
import { AccessDeniedError } from '../errors.js';
import { createRegistryBackend } from './backend.js';
import { TOKEN_EXPIRED_MESSAGE, authenticateRegistryToken } from './registryAuth.js';
import { EcrDataService } from './dataOps.js';
import type { EcrDeps } from './deps.js';
import { MANIFEST_MEDIA_TYPES as MT, OCI_EMPTY_MEDIA_TYPE } from './manifests.js';
import type { RegistryBackend } from './registry.js';
import { UploadService } from './uploads.js';

const A = '111111111111';
const B = '222222222222';
const REGION = 'us-east-1';
const T0 = Date.parse('2026-11-23T12:00:00.000Z');
const REQUEST: RequestInfo = { sourceIp: '127.0.0.1', secure: false, region: REGION };

const policy = (statements: object[]) => policyDoc(statements);
const allow = (actions: string[], resource: string | string[]) =>
  policy([{ Effect: 'Allow', Action: actions, Resource: resource }]);
const repoArn = (account: string, name: string) => `arn:aws:ecr:${REGION}:${account}:repository/${name}`;
const PULL = ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'];
const PUSH = [
  'ecr:BatchCheckLayerAvailability',
  'ecr:InitiateLayerUpload',
  'ecr:UploadLayerPart',
  'ecr:CompleteLayerUpload',
  'ecr:PutImage',
  'ecr:BatchGetImage',
];

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

async function rejects(p: Promise<unknown>, code: string, message?: string | RegExp): Promise<Error> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof Error, `expected an Error, got ${String(e)}`);
    assert.equal((e as { code?: unknown }).code, code, e.message);
    if (typeof message === 'string') assert.equal(e.message, message);
    else if (message !== undefined) assert.match(e.message, message);
    return e;
  }
  assert.fail(`expected ${code}`);
}

const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const descriptor = (mediaType: string, bytes: Buffer) => ({
  mediaType,
  digest: digestOf(bytes),
  size: bytes.length,
});

/** An OCI image: config, layers and the manifest naming them. */
function image(seed: string, extra: Record<string, unknown> = {}) {
  const config = json({ architecture: 'amd64', os: 'linux', seed });
  const layers = [Buffer.from(`layer one of ${seed}`), Buffer.from(`layer two of ${seed}`.repeat(100))];
  const manifest = json({
    schemaVersion: 2,
    mediaType: MT.ociManifest,
    config: descriptor('application/vnd.oci.image.config.v1+json', config),
    layers: layers.map((l) => descriptor('application/vnd.oci.image.layer.v1.tar+gzip', l)),
    ...extra,
  });
  return { config, layers, manifest, digest: digestOf(manifest) };
}

/** A small world: accounts A and B, users with access keys and registry tokens, repositories. */
class World {
  now = T0;
  readonly clock = { now: () => this.now };
  readonly store = new MemoryMetadataStore();
  readonly box = SecretBox.fromKey(Buffer.alloc(32, 7));
  private uploadCounter = 0;
  readonly blobs = createMemoryBlobStore({
    clock: () => this.now,
    newUploadId: () => `00000000-0000-4000-8000-${String(++this.uploadCounter).padStart(12, '0')}`,
  });
  readonly tokenKey = Buffer.alloc(32, 9);
  private keyCounter = 0;
  readonly deps: EcrDeps = ecrDeps({
    store: this.store,
    clock: this.clock,
    box: this.box,
    blobs: this.blobs,
    registryTokenKey: this.tokenKey,
  });
  readonly backend: RegistryBackend = createRegistryBackend(this.deps);
  /** Typed as the api adapter's contract: tsc proves EcrDataService implements it. */
  readonly data: EcrDataOps = new EcrDataService(this.deps);

  static async create(): Promise<World> {
    const w = new World();
    await addAccounts(w.store, [A, B], T0);
    return w;
  }

  async repo(
    accountId: string,
    name: string,
    opts: { mutability?: ImageTagMutability; filters?: string[]; policyText?: string } = {},
  ): Promise<RepositoryRef> {
    await this.store.repositories.create({
      accountId,
      region: REGION,
      name,
      arn: repoArn(accountId, name),
      createdAt: new Date(this.now),
      imageTagMutability: opts.mutability ?? 'MUTABLE',
      imageTagMutabilityExclusionFilters: (opts.filters ?? []).map((filter) => ({
        filterType: 'WILDCARD',
        filter,
      })),
      scanOnPush: false,
      encryption: { encryptionType: 'AES256' },
      tags: [],
      ...(opts.policyText !== undefined && { policyText: opts.policyText }),
    });
    return { accountId, region: REGION, name };
  }

  /** An IAM user with inline policies and an access key; returns the key id and a Basic header. */
  async user(accountId: string, name: string, policies: string[]) {
    const id = `AIDA${name.toUpperCase().padEnd(16, 'X')}`;
    await addUser(this.store, { accountId, name, id, at: this.now, policies });
    const keyId = `AKIA${String(++this.keyCounter).padStart(16, '0')}`;
    await addAccessKey(this.store, this.box, { id: keyId, accountId, userName: name, at: this.now });
    return { keyId, authorization: this.basic(keyId, accountId) };
  }

  basic(accessKeyId: string, registryId: string, ttl = REGISTRY_TOKEN_TTL_MS): string {
    const t = { accessKeyId, registryId, region: REGION, issuedAt: this.now, expiresAt: this.now + ttl };
    return registryBasic(this.tokenKey, t);
  }

  async caller(accountId: string, name: string, policies: string[]) {
    const u = await this.user(accountId, name, policies);
    return this.backend.authenticate(u.authorization, REQUEST);
  }

  /** Pushes a blob through the registry, chunked (two PATCHes) or in one POST. */
  async pushBlob(
    caller: Awaited<ReturnType<World['caller']>>,
    ref: RepositoryRef,
    bytes: Buffer,
    style: 'chunked' | 'monolithic' = 'chunked',
  ): Promise<string> {
    const digest = digestOf(bytes);
    if (style === 'monolithic') {
      await this.backend.putBlob(caller, ref, digest, Readable.from([bytes]), bytes.length);
      return digest;
    }
    const u = await this.backend.startUpload(caller, ref);
    const half = Math.floor(bytes.length / 2);
    await this.backend.appendUpload(caller, ref, u.uploadId, Readable.from([bytes.subarray(0, half)]), 0);
    await this.backend.appendUpload(caller, ref, u.uploadId, Readable.from([bytes.subarray(half)]), half);
    await this.backend.completeUpload(caller, ref, u.uploadId, digest);
    return digest;
  }

  /** Pushes an image's blobs and its manifest under `tag`. */
  async pushImage(
    caller: Awaited<ReturnType<World['caller']>>,
    ref: RepositoryRef,
    img: ReturnType<typeof image>,
    tag: string,
    style: 'chunked' | 'monolithic' = 'chunked',
  ) {
    await this.pushBlob(caller, ref, img.config, style);
    for (const l of img.layers) await this.pushBlob(caller, ref, l, style);
    return this.backend.putManifest(caller, ref, tag, MT.ociManifest, img.manifest);
  }
}

type Caller = Awaited<ReturnType<World['caller']>>;

interface Scenario {
  readonly name: string;
  run(w: World): Promise<void>;
}

/** A pusher in A with every repository action on A's repositories. */
const pusherOfA = (w: World): Promise<Caller> =>
  w.caller(A, 'pusher', [allow(['ecr:*'], `arn:aws:ecr:${REGION}:${A}:repository/*`)]);

async function pullImage(w: World, caller: Caller, ref: RepositoryRef, reference: string) {
  const m = await w.backend.getManifest(caller, ref, reference, [MT.ociManifest]);
  const doc = JSON.parse(m.bytes.toString('utf8')) as {
    config: { digest: string };
    layers: { digest: string }[];
  };
  const config = await readAll((await w.backend.openBlob(caller, ref, doc.config.digest)).body);
  const layers: Buffer[] = [];
  for (const l of doc.layers)
    layers.push(await readAll((await w.backend.openBlob(caller, ref, l.digest)).body));
  return { manifest: m, config, layers };
}

const scenarios: Scenario[] = [
  // ---- push and pull ------------------------------------------------------------------------
  ...(['chunked', 'monolithic'] as const).map((style): Scenario => ({
    name: `a ${style} push then a pull returns the config, the layers and the manifest byte for byte`,
    async run(w) {
      const ref = await w.repo(A, 'app');
      const me = await pusherOfA(w);
      const img = image(style);
      const put = await w.pushImage(me, ref, img, 'v1', style);
      assert.equal(put.digest, img.digest);
      assert.equal(put.subject, undefined);
      for (const reference of ['v1', img.digest]) {
        const got = await pullImage(w, me, ref, reference);
        assert.ok(got.manifest.bytes.equals(img.manifest));
        assert.equal(got.manifest.mediaType, MT.ociManifest);
        assert.equal(got.manifest.digest, img.digest);
        assert.ok(got.config.equals(img.config));
        assert.deepEqual(got.layers, img.layers);
      }
      const stored = await w.store.images.get(ref, img.digest);
      const expectedSize =
        img.manifest.length + img.config.length + img.layers[0]!.length + img.layers[1]!.length;
      assert.equal(stored?.imageSize, expectedSize, 'imageSizeInBytes = manifest + config + layers');
      assert.deepEqual(stored?.tags, ['v1']);
      assert.equal(stored?.lastPulledAt?.getTime(), T0, 'the pull is recorded');
      assert.deepEqual(await w.blobs.temporaries(), [], 'no upload or staging is left behind');
      assert.equal((await w.store.uploads.list()).items.length, 0, 'no session record is left behind');
      assert.deepEqual(await w.backend.listTags(me, ref, {}), ['v1']);
    },
  })),
  {
    name: 'a blob pushed through a streamed upload (PATCH without offset) and a final PUT body is whole',
    async run(w) {
      const ref = await w.repo(A, 'app');
      const me = await pusherOfA(w);
      const bytes = Buffer.from('0123456789abcdef');
      const u = await w.backend.startUpload(me, ref);
      assert.equal(
        (await w.backend.appendUpload(me, ref, u.uploadId, Readable.from([bytes.subarray(0, 10)]))).size,
        10,
      );
      assert.equal((await w.backend.uploadStatus(me, ref, u.uploadId)).size, 10);
      await w.backend.completeUpload(
        me,
        ref,
        u.uploadId,
        digestOf(bytes),
        Readable.from([bytes.subarray(10)]),
      );
      assert.deepEqual(await w.backend.statBlob(me, ref, digestOf(bytes)), { size: 16 });
    },
  },
  {
    name: 'an empty blob can be pushed and read back (OCI allows zero-byte blobs)',
    async run(w) {
      const ref = await w.repo(A, 'app');
      const me = await pusherOfA(w);
      const empty = Buffer.alloc(0);
      const u = await w.backend.startUpload(me, ref);
      await w.backend.completeUpload(me, ref, u.uploadId, digestOf(empty));
      assert.deepEqual(await w.backend.statBlob(me, ref, digestOf(empty)), { size: 0 });
    },
  },
  {
    name: 'ranges read the inclusive slice; a range past the end is RangeInvalid carrying the size',
    async run(w) {
      const ref = await w.repo(A, 'app');
      const me = await pusherOfA(w);
      const bytes = Buffer.from('abcdefghijklmnopqrstuvwxyz');
      const digest = await w.pushBlob(me, ref, bytes);
      const cases = [
        { range: { start: 0, end: 0 }, want: 'a' },
        { range: { start: 3, end: 7 }, want: 'defgh' },
        { range: { start: 20, end: 25 }, want: 'uvwxyz' },
      ];
      for (const c of cases) {
        const r = await w.backend.openBlob(me, ref, digest, c.range);
        assert.equal(r.size, 26, 'size is the whole blob');
        assert.equal((await readAll(r.body)).toString(), c.want);
      }
      const e = await rejects(w.backend.openBlob(me, ref, digest, { start: 20, end: 26 }), 'RangeInvalid');
      assert.equal((e as unknown as { size: number }).size, 26);
    },
  },
  {
    name: 'chunks out of order are refused with InvalidLayerPartException naming the last valid byte',
    async run(w) {
      const ref = await w.repo(A, 'app');
      const me = await pusherOfA(w);
      const u = await w.backend.startUpload(me, ref);
      const e0 = await rejects(
        w.backend.appendUpload(me, ref, u.uploadId, Readable.from([Buffer.from('late')]), 4),
        'InvalidLayerPartException',
      );
      assert.equal((e0 as unknown as { fields: Record<string, number> }).fields.lastValidByteReceived, -1);
      await w.backend.appendUpload(me, ref, u.uploadId, Readable.from([Buffer.from('0123')]), 0);
      const e1 = await rejects(
        w.backend.appendUpload(me, ref, u.uploadId, Readable.from([Buffer.from('0123')]), 0),
        'InvalidLayerPartException',
      );
      assert.equal((e1 as unknown as { fields: Record<string, number> }).fields.lastValidByteReceived, 3);
      assert.equal((await w.backend.uploadStatus(me, ref, u.uploadId)).size, 4, 'nothing was appended');
    },
  },
  {
    name: 'an upload is its repository’s: another repository, a cancelled or unknown id is UploadNotFound',
    async run(w) {
      const ref = await w.repo(A, 'app');
      const other = await w.repo(A, 'other');
      const me = await pusherOfA(w);
      const u = await w.backend.startUpload(me, ref);
      await rejects(w.backend.uploadStatus(me, other, u.uploadId), 'UploadNotFoundException');
      await rejects(w.backend.uploadStatus(me, ref, 'no-such-upload'), 'UploadNotFoundException');
      await rejects(w.backend.uploadStatus(me, ref, '../../etc/passwd'), 'UploadNotFoundException');
      await w.backend.cancelUpload(me, ref, u.uploadId);
      await rejects(w.backend.uploadStatus(me, ref, u.uploadId), 'UploadNotFoundException');
      assert.deepEqual(await w.blobs.temporaries(), []);
    },
  },
  // ---- nothing half-visible -----------------------------------------------------------------
  {
    name: 'a chunked upload whose digest does not match is InvalidLayerException and stores nothing',
    async run(w) {
      const ref = await w.repo(A, 'app');
      const me = await pusherOfA(w);
      const u = await w.backend.startUpload(me, ref);
      await w.backend.appendUpload(me, ref, u.uploadId, Readable.from([Buffer.from('actual bytes')]), 0);
      const claimed = digestOf('other bytes');
      await rejects(w.backend.completeUpload(me, ref, u.uploadId, claimed), 'InvalidLayerException');
      assert.equal(await w.blobs.store.stat(digestOf('actual bytes')), undefined);
      assert.equal(await w.blobs.store.stat(claimed), undefined);
      assert.equal(await w.store.blobs.isLinked(ref, claimed), false);
      await rejects(w.backend.uploadStatus(me, ref, u.uploadId), 'UploadNotFoundException', /does not exist/);
      assert.deepEqual(await w.blobs.temporaries(), []);
      assert.equal((await w.store.uploads.list()).items.length, 0);
    },
  },
  {
    name: 'a monolithic upload whose digest does not match is InvalidLayerException and stores nothing',
    async run(w) {
      const ref = await w.repo(A, 'app');
      const me = await pusherOfA(w);
      const claimed = digestOf('claimed');
      await rejects(
        w.backend.putBlob(me, ref, claimed, Readable.from([Buffer.from('sent')])),
        'InvalidLayerException',
      );
      assert.equal(await w.blobs.store.stat(claimed), undefined);
      assert.equal(await w.blobs.store.stat(digestOf('sent')), undefined);
      assert.equal(await w.store.blobs.isLinked(ref, claimed), false);
      await rejects(
        w.backend.putBlob(me, ref, digestOf('sent'), Readable.from([Buffer.from('sent')]), 99),
        'SizeMismatch',
      );
      assert.deepEqual(await w.blobs.temporaries(), []);
    },
  },
  {
    name: 'a manifest referencing a blob not linked in the repository is refused and nothing is stored',
    async run(w) {
      const ref = await w.repo(A, 'app');
      const elsewhere = await w.repo(A, 'elsewhere');
      const me = await pusherOfA(w);
      const img = image('missing');
      await w.pushBlob(me, ref, img.config);
      await w.pushBlob(me, ref, img.layers[0]!);
      // The second layer exists in storage, but only linked into another repository.
      await w.pushBlob(me, elsewhere, img.layers[1]!);
      await rejects(
        w.backend.putManifest(me, ref, 'v1', MT.ociManifest, img.manifest),
        'LayersNotFoundException',
        `Layers with digests '[${digestOf(img.layers[1]!)}]' required for pushing image into repository with name 'app' in the registry with id '${A}' do not exist`,
      );
      await rejects(w.backend.getManifest(me, ref, 'v1', []), 'ImageNotFoundException');
      await rejects(w.backend.getManifest(me, ref, img.digest, []), 'ImageNotFoundException');
      assert.deepEqual(await w.backend.listTags(me, ref, {}), []);
      assert.equal((await w.store.images.list(ref)).items.length, 0);
    },
  },
  {
    name: 'a manifest pushed by a digest that is not its own is refused and nothing is stored',
    async run(w) {
      const ref = await w.repo(A, 'app');
      const me = await pusherOfA(w);
      const img = image('by-digest');
      await w.pushBlob(me, ref, img.config);
      for (const l of img.layers) await w.pushBlob(me, ref, l);
      const wrong = digestOf('something else');
      await rejects(
        w.backend.putManifest(me, ref, wrong, MT.ociManifest, img.manifest),
        'ImageDigestDoesNotMatchException',
      );
      assert.equal((await w.store.images.list(ref)).items.length, 0);
      const ok = await w.backend.putManifest(me, ref, img.digest, MT.ociManifest, img.manifest);
      assert.equal(ok.digest, img.digest);
      assert.deepEqual(await w.backend.listTags(me, ref, {}), [], 'a push by digest tags nothing');
    },
  },
  {
    name: 'a garbage manifest or a Content-Type contradicting the document is InvalidParameterException',
    async run(w) {
      const ref = await w.repo(A, 'app');
      const me = await pusherOfA(w);
      await rejects(
        w.backend.putManifest(me, ref, 'v1', MT.ociManifest, Buffer.from('not json')),
        'InvalidParameterException',
      );
      const index = json({ schemaVersion: 2, mediaType: MT.ociIndex, manifests: [] });
      await rejects(
        w.backend.putManifest(me, ref, 'v1', MT.dockerManifest, index),
        'InvalidParameterException',
      );
      assert.equal((await w.store.images.list(ref)).items.length, 0);
    },
  },
  // ---- indexes, referrers -------------------------------------------------------------------
  {
    name: 'an index of two platform manifests is stored after its children and served as pushed',
    async run(w) {
      const ref = await w.repo(A, 'multi');
      const me = await pusherOfA(w);
      const amd = image('amd64');
      const arm = image('arm64');
      const index = json({
        schemaVersion: 2,
        mediaType: MT.ociIndex,
        manifests: [
          { ...descriptor(MT.ociManifest, amd.manifest), platform: { architecture: 'amd64', os: 'linux' } },
          { ...descriptor(MT.ociManifest, arm.manifest), platform: { architecture: 'arm64', os: 'linux' } },
        ],
      });
      await w.pushImage(me, ref, amd, amd.digest);
      await rejects(
        w.backend.putManifest(me, ref, 'latest', MT.ociIndex, index),
        'ReferencedImagesNotFoundException',
        new RegExp(arm.digest),
      );
      assert.equal((await w.store.images.list(ref)).items.length, 1, 'the refused index left nothing');
      await w.pushImage(me, ref, arm, arm.digest);
      const put = await w.backend.putManifest(me, ref, 'latest', MT.ociIndex, index);
      const got = await w.backend.getManifest(me, ref, 'latest', [MT.ociIndex, MT.ociManifest]);
      assert.equal(got.digest, put.digest);
      assert.equal(got.mediaType, MT.ociIndex);
      assert.ok(got.bytes.equals(index));
      const sizes = await Promise.all([amd.digest, arm.digest].map((d) => w.store.images.get(ref, d)));
      const stored = await w.store.images.get(ref, put.digest);
      assert.equal(
        stored?.imageSize,
        Math.max(...sizes.map((s) => s!.imageSize)),
        'an index is its largest child',
      );
      // A child an index references cannot be deleted out from under it.
      await rejects(
        w.backend.deleteManifest(me, ref, amd.digest),
        'InvalidParameterException',
        /manifest list/,
      );
      await w.backend.deleteManifest(me, ref, 'latest');
      await w.backend.deleteManifest(me, ref, amd.digest);
    },
  },
  {
    name: 'referrers list the manifests whose subject is the digest, filtered by artifactType',
    async run(w) {
      const ref = await w.repo(A, 'app');
      const me = await pusherOfA(w);
      const subject = image('subject');
      await w.pushImage(me, ref, subject, 'v1');
      const emptyConfig = Buffer.from('{}');
      await w.pushBlob(me, ref, emptyConfig);
      const artifact = (type: string, n: number) => {
        const layer = Buffer.from(`${type} payload ${n}`);
        return {
          layer,
          manifest: json({
            schemaVersion: 2,
            mediaType: MT.ociManifest,
            artifactType: type,
            config: descriptor(OCI_EMPTY_MEDIA_TYPE, emptyConfig),
            layers: [descriptor('application/octet-stream', layer)],
            subject: descriptor(MT.ociManifest, subject.manifest),
            annotations: { n: String(n) },
          }),
        };
      };
      const sbom = artifact('application/vnd.example.sbom', 1);
      const sig = artifact('application/vnd.example.signature', 2);
      for (const a of [sbom, sig]) {
        await w.pushBlob(me, ref, a.layer);
        const put = await w.backend.putManifest(me, ref, digestOf(a.manifest), MT.ociManifest, a.manifest);
        assert.equal(put.subject, subject.digest, 'the registry answers OCI-Subject');
      }
      const all = await w.backend.referrers(me, ref, subject.digest);
      assert.deepEqual(
        all.map((r) => [r.digest, r.artifactType, r.size, r.annotations?.n]),
        [
          [digestOf(sbom.manifest), 'application/vnd.example.sbom', sbom.manifest.length, '1'],
          [digestOf(sig.manifest), 'application/vnd.example.signature', sig.manifest.length, '2'],
        ].sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1)),
      );
      const sboms = await w.backend.referrers(me, ref, subject.digest, 'application/vnd.example.sbom');
      assert.deepEqual(
        sboms.map((r) => r.digest),
        [digestOf(sbom.manifest)],
      );
      assert.deepEqual(await w.backend.referrers(me, ref, digestOf('no such subject')), []);
      // A subject that was never pushed is still a valid subject (OCI 1.1).
      const orphan = json({
        schemaVersion: 2,
        mediaType: MT.ociManifest,
        artifactType: 'application/vnd.example.sbom',
        config: descriptor(OCI_EMPTY_MEDIA_TYPE, emptyConfig),
        layers: [],
        subject: { mediaType: MT.ociManifest, digest: digestOf('never pushed'), size: 1 },
      });
      await w.backend.putManifest(me, ref, digestOf(orphan), MT.ociManifest, orphan);
      assert.deepEqual(
        (await w.backend.referrers(me, ref, digestOf('never pushed'))).map((r) => r.digest),
        [digestOf(orphan)],
      );
    },
  },
  // ---- tags ---------------------------------------------------------------------------------
  {
    name: 'an IMMUTABLE repository refuses to move a tag, and a registry re-push of the same manifest succeeds',
    async run(w) {
      const ref = await w.repo(A, 'frozen', { mutability: 'IMMUTABLE' });
      const me = await pusherOfA(w);
      const one = image('one');
      const two = image('two');
      await w.pushImage(me, ref, one, 'v1');
      await rejects(
        w.pushImage(me, ref, two, 'v1'),
        'ImageTagAlreadyExistsException',
        "The image tag 'v1' already exists in the 'frozen' repository and cannot be overwritten because the repository is immutable.",
      );
      assert.equal((await w.store.tags.get(ref, 'v1'))?.digest, one.digest);
      assert.equal(
        await w.store.images.get(ref, two.digest),
        undefined,
        'the refused manifest is not stored',
      );
      const again = await w.backend.putManifest(me, ref, 'v1', MT.ociManifest, one.manifest);
      assert.equal(again.digest, one.digest);
      await w.backend.putManifest(me, ref, 'v2', MT.ociManifest, one.manifest);
      assert.deepEqual(
        await w.backend.listTags(me, ref, {}),
        ['v1', 'v2'],
        'a new tag on an existing image is fine',
      );
    },
  },
  {
    name: 'a MUTABLE repository moves the tag; the old image stays by digest',
    async run(w) {
      const ref = await w.repo(A, 'app');
      const me = await pusherOfA(w);
      const one = image('one');
      const two = image('two');
      await w.pushImage(me, ref, one, 'latest');
      await w.pushImage(me, ref, two, 'latest');
      assert.equal((await w.backend.getManifest(me, ref, 'latest', [])).digest, two.digest);
      assert.equal((await w.backend.getManifest(me, ref, one.digest, [])).digest, one.digest);
    },
  },
  {
    name: 'IMMUTABLE_WITH_EXCLUSION lets tags matching a filter move and keeps the others fixed',
    async run(w) {
      const ref = await w.repo(A, 'app', {
        mutability: 'IMMUTABLE_WITH_EXCLUSION',
        filters: ['dev-*', 'latest'],
      });
      const me = await pusherOfA(w);
      const one = image('one');
      const two = image('two');
      for (const tag of ['dev-1', 'latest', 'v1']) await w.pushImage(me, ref, one, tag);
      await w.pushImage(me, ref, two, 'dev-1');
      await w.backend.putManifest(me, ref, 'latest', MT.ociManifest, two.manifest);
      await rejects(
        w.backend.putManifest(me, ref, 'v1', MT.ociManifest, two.manifest),
        'ImageTagAlreadyExistsException',
      );
    },
  },
  {
    name: 'deleting the last tag deletes the image; deleting one of two tags keeps it; by digest takes every tag',
    async run(w) {
      const ref = await w.repo(A, 'app');
      const me = await pusherOfA(w);
      const one = image('one');
      const two = image('two');
      await w.pushImage(me, ref, one, 'a');
      await w.backend.putManifest(me, ref, 'b', MT.ociManifest, one.manifest);
      await w.pushImage(me, ref, two, 'c');
      await w.backend.deleteManifest(me, ref, 'a');
      assert.equal(
        (await w.backend.getManifest(me, ref, one.digest, [])).digest,
        one.digest,
        'still tagged b',
      );
      await w.backend.deleteManifest(me, ref, 'b');
      await rejects(w.backend.getManifest(me, ref, one.digest, []), 'ImageNotFoundException');
      await w.backend.putManifest(me, ref, 'd', MT.ociManifest, two.manifest);
      await w.backend.deleteManifest(me, ref, two.digest);
      assert.deepEqual(await w.backend.listTags(me, ref, {}), []);
      await rejects(w.backend.deleteManifest(me, ref, 'zzz'), 'ImageNotFoundException');
    },
  },
  {
    name: 'tags list in lexical order with n and last',
    async run(w) {
      const ref = await w.repo(A, 'app');
      const me = await pusherOfA(w);
      const one = image('one');
      await w.pushImage(me, ref, one, 'b');
      for (const t of ['a', 'c', 'd']) await w.backend.putManifest(me, ref, t, MT.ociManifest, one.manifest);
      assert.deepEqual(await w.backend.listTags(me, ref, { n: 2 }), ['a', 'b']);
      assert.deepEqual(await w.backend.listTags(me, ref, { n: 2, last: 'b' }), ['c', 'd']);
      assert.deepEqual(await w.backend.listTags(me, ref, { last: 'c' }), ['d']);
      assert.deepEqual(await w.backend.listTags(me, ref, { n: 0 }), []);
    },
  },
  // ---- who may: cross-account, visibility, mount ---------------------------------------------
  {
    name: 'a blob is visible only in the repositories it is linked into',
    async run(w) {
      const ref = await w.repo(A, 'app');
      const other = await w.repo(A, 'other');
      const me = await pusherOfA(w);
      const digest = await w.pushBlob(me, ref, Buffer.from('private bytes'));
      await rejects(w.backend.statBlob(me, other, digest), 'LayersNotFoundException');
      await rejects(w.backend.openBlob(me, other, digest), 'LayersNotFoundException');
      await rejects(w.backend.statBlob(me, { ...ref, name: 'nope' }, digest), 'RepositoryNotFoundException');
    },
  },
  {
    name: 'a pull from another account without a repository policy is denied with the IAM sentence',
    async run(w) {
      const ref = await w.repo(A, 'app');
      const me = await pusherOfA(w);
      const img = image('x');
      await w.pushImage(me, ref, img, 'v1');
      const puller = await w.caller(B, 'puller', [allow(PULL, repoArn(A, 'app'))]);
      const e = await rejects(w.backend.getManifest(puller, ref, 'v1', []), 'AccessDenied');
      assert.ok(e instanceof AccessDeniedError);
      assert.equal(
        e.message,
        `User: arn:aws:iam::${B}:user/puller is not authorized to perform: ecr:BatchGetImage on resource: ${repoArn(A, 'app')} because no resource-based policy allows the ecr:BatchGetImage action`,
      );
      await rejects(w.backend.openBlob(puller, ref, digestOf(img.config)), 'AccessDenied');
      // Denied before existence is revealed.
      await rejects(w.backend.getManifest(puller, { ...ref, name: 'ghost' }, 'v1', []), 'AccessDenied');
    },
  },
  {
    name: 'a pull from another account is allowed when the repository policy names the account and an identity policy allows it',
    async run(w) {
      const repoPolicy = policy([
        { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${B}:root` }, Action: PULL },
      ]);
      const ref = await w.repo(A, 'shared', { policyText: repoPolicy });
      const me = await pusherOfA(w);
      const img = image('shared');
      await w.pushImage(me, ref, img, 'v1');
      const puller = await w.caller(B, 'puller', [allow(PULL, repoArn(A, 'shared'))]);
      const got = await pullImage(w, puller, ref, 'v1');
      assert.ok(got.manifest.bytes.equals(img.manifest));
      assert.deepEqual(got.layers, img.layers);
      const bare = await w.caller(B, 'bare', []);
      await rejects(
        w.backend.getManifest(bare, ref, 'v1', []),
        'AccessDenied',
        /no identity-based policy allows/,
      );
      await rejects(w.backend.startUpload(puller, ref), 'AccessDenied', /ecr:InitiateLayerUpload/);
    },
  },
  {
    name: 'a cross-repository mount needs pull on the source and push on the target',
    async run(w) {
      const src = await w.repo(A, 'base');
      const dst = await w.repo(A, 'app');
      const me = await pusherOfA(w);
      const digest = await w.pushBlob(me, src, Buffer.from('shared base layer'));
      const pushOnly = await w.caller(A, 'pushonly', [
        allow(
          PUSH.filter((a) => a !== 'ecr:BatchGetImage'),
          repoArn(A, 'app'),
        ),
      ]);
      await rejects(w.backend.mountBlob(pushOnly, dst, digest, src), 'AccessDenied', /ecr:BatchGetImage/);
      const pullOnly = await w.caller(A, 'pullonly', [
        allow(PULL, `arn:aws:ecr:${REGION}:${A}:repository/*`),
      ]);
      await rejects(
        w.backend.mountBlob(pullOnly, dst, digest, src),
        'AccessDenied',
        /ecr:InitiateLayerUpload/,
      );
      assert.equal(await w.store.blobs.isLinked(dst, digest), false, 'a denied mount links nothing');
      const both = await w.caller(A, 'both', [
        allow(PULL, repoArn(A, 'base')),
        allow(PUSH, repoArn(A, 'app')),
      ]);
      assert.equal(await w.backend.mountBlob(both, dst, digestOf('not in base'), src), undefined);
      assert.deepEqual(await w.backend.mountBlob(both, dst, digest, src), { size: 17 });
      assert.deepEqual(await w.backend.statBlob(both, dst, digest), { size: 17 });
    },
  },
  {
    name: 'a cross-account mount is allowed only when the source repository policy lets the account pull',
    async run(w) {
      const src = await w.repo(A, 'base');
      const me = await pusherOfA(w);
      const digest = await w.pushBlob(me, src, Buffer.from('base layer of A'));
      const dst = await w.repo(B, 'app');
      const b = await w.caller(B, 'builder', [
        allow(PULL, repoArn(A, 'base')),
        allow(PUSH, `arn:aws:ecr:${REGION}:${B}:repository/*`),
      ]);
      await rejects(w.backend.mountBlob(b, dst, digest, src), 'AccessDenied', /no resource-based policy/);
      await w.store.repositories.update(A, REGION, 'base', {
        policyText: policy([{ Effect: 'Allow', Principal: { AWS: B }, Action: PULL }]),
      });
      assert.deepEqual(await w.backend.mountBlob(b, dst, digest, src), { size: 15 });
    },
  },
  {
    name: 'the catalog lists only the repositories the caller may describe',
    async run(w) {
      for (const n of ['a1', 'a2', 'b1']) await w.repo(A, n);
      const me = await w.caller(A, 'lister', [
        allow(['ecr:DescribeRepositories'], [repoArn(A, 'a1'), repoArn(A, 'b1')]),
      ]);
      assert.deepEqual(await w.backend.catalog(me, A, REGION, {}), ['a1', 'b1']);
      assert.deepEqual(await w.backend.catalog(me, A, REGION, { n: 1 }), ['a1']);
      assert.deepEqual(await w.backend.catalog(me, A, REGION, { last: 'a1' }), ['b1']);
    },
  },
  // ---- authentication -----------------------------------------------------------------------
  {
    name: 'a token stands for its user: it authenticates as them until it expires',
    async run(w) {
      const u = await w.user(A, 'dev', []);
      const c = await w.backend.authenticate(u.authorization, REQUEST);
      assert.equal(c.principal.arn, `arn:aws:iam::${A}:user/dev`);
      assert.equal(c.accessKeyId, u.keyId);
      assert.deepEqual(c.request, REQUEST);
      w.now += REGISTRY_TOKEN_TTL_MS;
      await rejects(
        w.backend.authenticate(u.authorization, REQUEST),
        'Unauthenticated',
        TOKEN_EXPIRED_MESSAGE,
      );
    },
  },
  {
    name: "a token opens the registries of its own region only, and any region's ping",
    async run(w) {
      const u = await w.user(A, 'dev', []);
      const elsewhere: RequestInfo = { ...REQUEST, region: 'eu-central-1' };
      await rejects(
        w.backend.authenticate(u.authorization, elsewhere, { regionKnown: true }),
        'Unauthenticated',
        /issued in region `us-east-1`; get one in `eu-central-1`/,
      );
      // A path-style `/v2/` names no registry: the login of `docker login HOST/<acct>.<region>` works.
      const ping = await w.backend.authenticate(u.authorization, elsewhere, { regionKnown: false });
      assert.equal(ping.principal.arn, `arn:aws:iam::${A}:user/dev`);
      const home = await w.backend.authenticate(u.authorization, REQUEST, { regionKnown: true });
      assert.equal(home.principal.arn, `arn:aws:iam::${A}:user/dev`);
    },
  },
  {
    name: 'a deleted or deactivated key, a forged token or a wrong user is Unauthenticated',
    async run(w) {
      const gone = await w.user(A, 'gone', []);
      await w.store.accessKeys.delete(gone.keyId);
      await rejects(w.backend.authenticate(gone.authorization, REQUEST), 'Unauthenticated');
      const off = await w.user(A, 'off', []);
      await w.store.accessKeys.update(off.keyId, { status: 'Inactive' });
      await rejects(w.backend.authenticate(off.authorization, REQUEST), 'Unauthenticated');
      const ok = await w.user(A, 'ok', []);
      const token = Buffer.from(ok.authorization.slice(6), 'base64').toString().slice(4);
      const forged = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;
      for (const header of [
        undefined,
        '',
        'Bearer x',
        `Basic ${Buffer.from(`AWS:${forged}`).toString('base64')}`,
        `Basic ${Buffer.from(`root:${token}`).toString('base64')}`,
      ]) {
        const e = await rejects(w.backend.authenticate(header, REQUEST), 'Unauthenticated');
        assert.notEqual(e.message, TOKEN_EXPIRED_MESSAGE);
      }
      await w.backend.authenticate(ok.authorization, REQUEST);
    },
  },
  {
    name: 'a token of a role session dies with the session: expired says so, a deleted role does not',
    async run(w) {
      const role = await w.store.roles.create({
        accountId: A,
        name: 'ci',
        path: '/',
        id: 'AROACIROLE0000000000',
        createdAt: new Date(T0),
        assumeRolePolicyDocument: '{}',
        maxSessionDuration: 3600,
        tags: [],
      });
      const session = (id: string) =>
        w.store.sessions.create({
          accessKeyId: id,
          secret: w.box.seal('s', id),
          sessionTokenHash: '00',
          accountId: A,
          principal: { type: 'AssumedRole', roleId: role.id, roleName: role.name, sessionName: 'build' },
          issuedAt: new Date(T0),
          expiresAt: new Date(T0 + 3600_000),
          sessionPolicyArns: [],
          tags: [],
          transitiveTagKeys: [],
          chained: false,
        });
      await session('ASIASESSION000000001');
      const header = w.basic('ASIASESSION000000001', A);
      const c = await authenticateRegistryToken(w.deps, header, REQUEST);
      assert.equal(c.principal.arn, `arn:aws:sts::${A}:assumed-role/ci/build`);
      w.now = T0 + 3600_000;
      await rejects(w.backend.authenticate(header, REQUEST), 'Unauthenticated', TOKEN_EXPIRED_MESSAGE);
      w.now = T0;
      await w.store.roles.delete(A, 'ci');
      const e = await rejects(w.backend.authenticate(header, REQUEST), 'Unauthenticated');
      assert.notEqual(e.message, TOKEN_EXPIRED_MESSAGE);
    },
  },
  // ---- the ECR API's data path --------------------------------------------------------------
  {
    name: 'InitiateLayerUpload, UploadLayerPart and CompleteLayerUpload store a layer as ECR does',
    async run(w) {
      await w.repo(A, 'app');
      const me = await pusherOfA(w);
      const bytes = Buffer.from('0123456789');
      const { uploadId, partSize } = await w.data.initiateLayerUpload(me, { repositoryName: 'app' });
      assert.match(uploadId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      assert.equal(partSize, 10 * 1024 * 1024);
      const part = (first: number, last: number, b: Buffer) =>
        w.data.uploadLayerPart(me, {
          repositoryName: 'app',
          uploadId,
          partFirstByte: first,
          partLastByte: last,
          layerPartBlob: b,
        });
      await rejects(
        w.data.completeLayerUpload(me, { repositoryName: 'app', uploadId, layerDigests: [digestOf(bytes)] }),
        'EmptyUploadException',
      );
      await rejects(part(1, 4, bytes.subarray(0, 4)), 'InvalidLayerPartException');
      await rejects(part(0, 4, bytes.subarray(0, 4)), 'InvalidLayerPartException', /do not match/);
      assert.deepEqual(await part(0, 3, bytes.subarray(0, 4)), {
        registryId: A,
        repositoryName: 'app',
        uploadId,
        lastByteReceived: 3,
      });
      const e = await rejects(part(0, 3, bytes.subarray(0, 4)), 'InvalidLayerPartException');
      assert.equal((e as unknown as { fields: Record<string, number> }).fields.lastValidByteReceived, 3);
      assert.equal((await part(4, 9, bytes.subarray(4))).lastByteReceived, 9);
      // Every part but the last must be at least 5 MiB (CompleteLayerUpload refuses, as ECR's model says).
      await rejects(
        w.data.completeLayerUpload(me, { repositoryName: 'app', uploadId, layerDigests: [digestOf(bytes)] }),
        'LayerPartTooSmallException',
        /part 1 of the upload/,
      );
      const big = Buffer.concat([Buffer.alloc(5 * 1024 * 1024, 7), bytes]);
      const sized = await w.data.initiateLayerUpload(me, { repositoryName: 'app' });
      const sizedPart = (first: number, b: Buffer) =>
        w.data.uploadLayerPart(me, {
          repositoryName: 'app',
          uploadId: sized.uploadId,
          partFirstByte: first,
          partLastByte: first + b.length - 1,
          layerPartBlob: b,
        });
      await sizedPart(0, big.subarray(0, 5 * 1024 * 1024));
      await sizedPart(5 * 1024 * 1024, bytes);
      const done = { repositoryName: 'app', uploadId: sized.uploadId, layerDigests: [digestOf(big)] };
      assert.deepEqual(await w.data.completeLayerUpload(me, done), {
        registryId: A,
        repositoryName: 'app',
        uploadId: sized.uploadId,
        layerDigest: digestOf(big),
      });
      await rejects(w.data.completeLayerUpload(me, done), 'UploadNotFoundException');
      // One small part is the last part: fine. The same layer a second time: LayerAlreadyExists.
      const onePart = async () => {
        const u = await w.data.initiateLayerUpload(me, { repositoryName: 'app' });
        await w.data.uploadLayerPart(me, {
          repositoryName: 'app',
          uploadId: u.uploadId,
          partFirstByte: 0,
          partLastByte: 9,
          layerPartBlob: bytes,
        });
        return w.data.completeLayerUpload(me, {
          repositoryName: 'app',
          uploadId: u.uploadId,
          layerDigests: [digestOf(bytes)],
        });
      };
      assert.equal((await onePart()).layerDigest, digestOf(bytes));
      await rejects(onePart(), 'LayerAlreadyExistsException');
      const bad = await w.data.initiateLayerUpload(me, { repositoryName: 'app' });
      await w.data.uploadLayerPart(me, {
        repositoryName: 'app',
        uploadId: bad.uploadId,
        partFirstByte: 0,
        partLastByte: 2,
        layerPartBlob: Buffer.from('abc'),
      });
      await rejects(
        w.data.completeLayerUpload(me, {
          repositoryName: 'app',
          uploadId: bad.uploadId,
          layerDigests: [digestOf('abd')],
        }),
        'InvalidLayerException',
      );
      assert.equal(await w.blobs.store.stat(digestOf('abc')), undefined);
      assert.deepEqual(await w.blobs.temporaries(), []);
    },
  },
  {
    name: 'BatchCheckLayerAvailability and GetDownloadUrlForLayer see only the repository’s layers',
    async run(w) {
      const ref = await w.repo(A, 'app');
      const me = await pusherOfA(w);
      const img = image('api');
      await w.pushBlob(me, ref, img.config);
      for (const l of img.layers) await w.pushBlob(me, ref, l);
      const layer = digestOf(img.layers[0]!);
      const r = await w.data.batchCheckLayerAvailability(me, {
        repositoryName: 'app',
        layerDigests: [layer, digestOf('absent'), 'sha256:nothex'],
      });
      assert.deepEqual(r.layers, [
        { layerDigest: layer, layerAvailability: 'AVAILABLE', layerSize: img.layers[0]!.length },
      ]);
      assert.deepEqual(
        r.failures.map((f) => f.failureCode),
        ['MissingLayerDigest', 'InvalidLayerDigest'],
      );
      await rejects(
        w.data.getDownloadUrlForLayer(me, { repositoryName: 'app', layerDigest: layer }),
        'LayerInaccessibleException',
      );
      await w.backend.putManifest(me, ref, 'v1', MT.ociManifest, img.manifest);
      const got = await w.data.getDownloadUrlForLayer(me, { repositoryName: 'app', layerDigest: layer });
      assert.equal(got.layerDigest, layer);
      const url = new URL(got.downloadUrl);
      assert.equal(url.origin + url.pathname, `http://127.0.0.1:5000/v2/${A}/app/blobs/${layer}`);
      const opened = await w.backend.openPresignedBlob(ref, layer, url.searchParams);
      assert.ok((await readAll(opened.body)).equals(img.layers[0]!), 'the presigned URL opens the layer');
      await rejects(
        w.data.getDownloadUrlForLayer(me, { repositoryName: 'app', layerDigest: digestOf('absent') }),
        'LayersNotFoundException',
        `The layer with digest ${digestOf('absent')} does not exist within the repository with name 'app' in the registry with id '${A}'`,
      );
      await rejects(
        w.data.batchCheckLayerAvailability(me, { repositoryName: 'app', layerDigests: [] }),
        'InvalidParameterException',
      );
    },
  },
  {
    name: 'PutImage and BatchGetImage: re-put is ImageAlreadyExists, missing images are failures',
    async run(w) {
      const ref = await w.repo(A, 'app', { mutability: 'IMMUTABLE' });
      const me = await pusherOfA(w);
      const img = image('api-put');
      await w.pushBlob(me, ref, img.config);
      for (const l of img.layers) await w.pushBlob(me, ref, l);
      const manifest = img.manifest.toString('utf8');
      const put = await w.data.putImage(me, {
        repositoryName: 'app',
        imageManifest: manifest,
        imageTag: 'v1',
      });
      assert.deepEqual(put.image, {
        registryId: A,
        repositoryName: 'app',
        imageId: { imageDigest: img.digest, imageTag: 'v1' },
        imageManifest: manifest,
        imageManifestMediaType: MT.ociManifest,
      });
      await rejects(
        w.data.putImage(me, { repositoryName: 'app', imageManifest: manifest, imageTag: 'v1' }),
        'ImageAlreadyExistsException',
        `Image with digest '${img.digest}' and tag 'v1' already exists in the repository with name 'app' in registry with id '${A}'`,
      );
      await w.data.putImage(me, { repositoryName: 'app', imageManifest: manifest, imageTag: 'v2' });
      const other = image('other');
      await rejects(
        w.data.putImage(me, {
          repositoryName: 'app',
          imageManifest: other.manifest.toString(),
          imageTag: 'v1',
        }),
        'ImageTagAlreadyExistsException',
      );
      await rejects(
        w.data.putImage(me, {
          repositoryName: 'app',
          imageManifest: manifest,
          imageDigest: digestOf('x'),
          imageTag: 'v3',
        }),
        'ImageDigestDoesNotMatchException',
      );
      const got = await w.data.batchGetImage(me, {
        repositoryName: 'app',
        imageIds: [
          { imageTag: 'v2' },
          { imageDigest: img.digest },
          { imageTag: 'nope' },
          {},
          { imageTag: 'v1', imageDigest: digestOf('x') },
        ],
        acceptedMediaTypes: [MT.dockerManifest],
      });
      assert.deepEqual(
        got.images.map((i) => [i.imageId, i.imageManifest === manifest, i.imageManifestMediaType]),
        [
          [{ imageDigest: img.digest, imageTag: 'v2' }, true, MT.ociManifest],
          [{ imageDigest: img.digest }, true, MT.ociManifest],
        ],
      );
      assert.deepEqual(
        got.failures.map((f) => [f.imageId, f.failureCode, f.failureReason]),
        [
          [{ imageTag: 'nope' }, 'ImageNotFound', 'Requested image not found'],
          [{}, 'MissingDigestAndTag', 'Invalid request parameters: both tag and digest cannot be null'],
          [
            { imageTag: 'v1', imageDigest: digestOf('x') },
            'ImageTagDoesNotMatchDigest',
            'Invalid request parameters: the tag does not point to the digest',
          ],
        ],
      );
      const b = await w.caller(B, 'outsider', [allow(PULL, repoArn(A, 'app'))]);
      await rejects(
        w.data.batchGetImage(b, { registryId: A, repositoryName: 'app', imageIds: [{ imageTag: 'v1' }] }),
        'AccessDenied',
      );
      await rejects(
        w.data.putImage(me, { repositoryName: 'Bad_Name', imageManifest: manifest }),
        'InvalidParameterException',
      );
    },
  },
  {
    name: 'abandoned upload sessions are cleaned: records and bytes',
    async run(w) {
      const ref = await w.repo(A, 'app');
      const me = await pusherOfA(w);
      const u = await w.backend.startUpload(me, ref);
      await w.backend.appendUpload(me, ref, u.uploadId, Readable.from([Buffer.from('half')]), 0);
      const uploads = new UploadService(w.deps);
      assert.equal(await uploads.cleanup(60_000), 0, 'a fresh session stays');
      w.now += 120_000;
      assert.equal(await uploads.cleanup(60_000), 1);
      await rejects(w.backend.uploadStatus(me, ref, u.uploadId), 'UploadNotFoundException');
      assert.deepEqual(await w.blobs.temporaries(), []);
    },
  },
];

describe('ECR data path (registry backend and API operations)', () => {
  for (const s of scenarios) {
    test(s.name, async () => s.run(await World.create()));
  }
});
