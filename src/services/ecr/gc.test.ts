// Blob garbage collection against the in-memory store and blobs, with a clock the test moves:
// what each sweep removes and keeps, and the interleavings with pushes that must never lose bytes.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { addAccounts, callerOf, ecrDeps } from '../../../test/helpers/world.js';
import type { Caller } from '../../auth/caller.js';
import { PolicyCache } from '../../iam/index.js';
import { digestOf, type Digest } from '../../store/blobs/BlobStore.js';
import type { MetadataStore } from '../../store/meta/MetadataStore.js';
import { MemoryMetadataStore } from '../../store/meta/memory/MemoryMetadataStore.js';
import { openSqliteMetadataStore } from '../../store/meta/sqlite/SqliteMetadataStore.js';
import type { RepositoryRef } from '../../store/meta/records.js';
import { IdFactory } from '../ids.js';
import type { EcrDeps } from './deps.js';
import { BlobCollector, holdBlob } from './gc.js';
import { LayerService } from './layers.js';
import { EcrService } from './service.js';

const A = '111111111111';
const REGION = 'us-east-1';
const T0 = Date.parse('2026-11-23T12:00:00.000Z');
const HOUR = 3600_000;
const GRACE = 24 * HOUR;

/** The drivers every case runs on. */
const DRIVERS: { name: string; open: () => Promise<MetadataStore> }[] = [
  { name: 'memory', open: async () => new MemoryMetadataStore() },
  { name: 'sqlite', open: () => openSqliteMetadataStore({ inMemory: true }) },
];

class World {
  now = T0;
  readonly clock = { now: () => this.now };
  readonly cache = new PolicyCache();
  private seq = 0;
  readonly deps: EcrDeps;
  readonly layers: LayerService;
  readonly gc: BlobCollector;

  constructor(readonly store: MetadataStore) {
    this.deps = this.depsOf(store);
    this.layers = new LayerService(this.deps);
    this.gc = new BlobCollector(this.deps, { graceMs: GRACE });
  }

  private depsOf = (store: MetadataStore): EcrDeps =>
    ecrDeps({
      store,
      clock: this.clock,
      cache: this.cache,
      ids: new IdFactory({
        bytes: (n) => Buffer.alloc(n, 1),
        uuid: () => `00000000-0000-4000-a000-${String(++this.seq).padStart(12, '0')}`,
      }),
    });
  readonly app: RepositoryRef = { accountId: A, region: REGION, name: 'app' };
  readonly other: RepositoryRef = { accountId: A, region: REGION, name: 'other' };
  root!: Caller;

  static async create(open: () => Promise<MetadataStore> = DRIVERS[0]!.open): Promise<World> {
    const w = new World(await open());
    const [account] = await addAccounts(w.store, [A], T0);
    w.root = callerOf(account!, { kind: 'root' });
    const ecr = new EcrService(w.deps);
    await ecr.createRepository(w.root, { repositoryName: 'app' });
    await ecr.createRepository(w.root, { repositoryName: 'other' });
    return w;
  }

  /** Stores and links a blob through the monolithic push path. */
  async blob(ref: RepositoryRef, text: string): Promise<Digest> {
    const d = digestOf(text);
    await this.layers.put(this.root, ref, d, Readable.from([Buffer.from(text)]));
    return d;
  }

  /** An image referencing `blobs` (already linked), pushed now. */
  async image(ref: RepositoryRef, label: string, blobs: string[]): Promise<string> {
    const manifest = Buffer.from(JSON.stringify({ label, blobs }));
    const digest = digestOf(manifest);
    await this.store.images.put(ref, {
      digest,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      manifest,
      imageSize: 1,
      pushedAt: new Date(this.now),
      blobs,
      children: [],
    });
    return digest;
  }

  async stored(d: string): Promise<boolean> {
    return (await this.deps.blobs.store.stat(d as Digest)) !== undefined;
  }
}

for (const driver of DRIVERS)
  describe(`blob garbage collection (${driver.name} store)`, () => {
    const World_ = { create: () => World.create(driver.open) };
    test('blobs of deleted images go once their links are idle for the grace period; used ones stay', async () => {
      const w = await World_.create();
      const shared = await w.blob(w.app, 'shared');
      const mine = await w.blob(w.app, 'mine');
      const kept = await w.blob(w.app, 'kept');
      const gone = await w.image(w.app, 'gone', [shared, mine]);
      await w.image(w.app, 'stays', [shared, kept]);
      await w.store.images.delete(w.app, [gone]);

      w.now = T0 + GRACE - 1;
      let report = await w.gc.collect();
      assert.deepEqual(report.deleted, [], 'a link younger than the grace period keeps its blob');
      assert.ok(await w.stored(mine));

      w.now = T0 + GRACE;
      report = await w.gc.collect();
      assert.deepEqual(
        report.unlinked.map((u) => u.digest),
        [mine],
      );
      assert.deepEqual(report.deleted, [{ digest: mine, size: 4 }]);
      assert.equal(report.freedBytes, 4);
      assert.equal(await w.stored(mine), false);
      assert.ok(await w.stored(shared));
      assert.ok(await w.stored(kept));
      assert.deepEqual((await w.gc.collect()).deleted, [], 'a second collection finds nothing');
    });

    test('bytes no repository links are deleted at once and a blob linked elsewhere is kept', async () => {
      const w = await World_.create();
      const loose = digestOf('loose');
      await w.deps.blobs.store.put(loose, Readable.from([Buffer.from('loose')]));
      const both = await w.blob(w.app, 'both');
      await w.blob(w.other, 'both');
      await w.image(w.other, 'img', [both]);
      w.now = T0 + 2 * GRACE;
      const report = await w.gc.collect();
      assert.deepEqual(
        report.deleted.map((d) => d.digest),
        [loose],
      );
      assert.deepEqual(
        report.unlinked.map((u) => `${u.repository.name} ${u.digest}`),
        [`app ${both}`],
      );
      assert.ok(await w.stored(both));
    });

    test('a push that stores bytes already there, while a collection runs, keeps them', async () => {
      const w = await World_.create();
      const d = digestOf('again');
      await w.deps.blobs.store.put(d, Readable.from([Buffer.from('again')]));
      const body = new PassThrough();
      // The push names the digest before it reads a byte; the collection runs in the middle of it.
      const pushing = w.layers.put(w.root, w.app, d, body);
      for (let i = 0; !(await w.store.blobs.referencedAnywhere(d)); i++) {
        assert.ok(i < 1000, 'the push names its digest before reading the body');
        await new Promise((r) => setImmediate(r));
      }
      const report = await w.gc.collect();
      assert.deepEqual(report.deleted, [], 'the held blob is not collected');
      body.end(Buffer.from('again'));
      await pushing;
      assert.ok(await w.stored(d));
      await w.image(w.app, 'img', [d]);
    });

    test('without the hold the same interleaving loses the bytes (the race the hold closes)', async () => {
      const w = await World_.create();
      const d = digestOf('again');
      await w.deps.blobs.store.put(d, Readable.from([Buffer.from('again')]));
      // What a push without holdBlob would do: find the bytes, then link later.
      assert.ok(await w.stored(d));
      await w.gc.collect();
      await w.store.blobs.link(w.app, { digest: d, size: 5, linkedAt: new Date(w.now) });
      assert.equal(await w.stored(d), false, 'linked, but the bytes are gone');
    });

    test('a mount held across a collection keeps the blob it links', async () => {
      const w = await World_.create();
      const d = await w.blob(w.other, 'mounted');
      w.now = T0 + 2 * GRACE;
      let mounted: { size: number } | undefined;
      await holdBlob(w.deps, w.app, d, async () => {
        await w.gc.collect();
        mounted = await w.layers.mount(w.root, w.app, d, w.other);
      });
      assert.equal(mounted, undefined, 'the source link was pruned, so there is nothing to mount');
      assert.equal(await w.stored(d), true, 'the bytes stayed while held');
      w.now += 1;
      assert.deepEqual(
        (await w.gc.collect()).deleted.map((x) => x.digest),
        [d],
        'and go once released',
      );
    });

    test('a HEAD of an idle link restarts its grace period so the push that follows succeeds', async () => {
      const w = await World_.create();
      const d = await w.blob(w.app, 'reused');
      w.now = T0 + GRACE - 1000;
      await w.layers.stat(w.root, w.app, d);
      w.now = T0 + GRACE + 1000;
      const report = await w.gc.collect();
      assert.deepEqual(report.unlinked, []);
      await w.image(w.app, 'img', [d]);
      assert.ok(await w.stored(d));
    });

    test('BatchCheckLayerAvailability of an idle link restarts its grace period as a HEAD does', async () => {
      const w = await World_.create();
      const d = await w.blob(w.app, 'checked');
      const idle = await w.blob(w.app, 'idle');
      w.now = T0 + GRACE - 1000;
      const out = await w.layers.checkAvailability(w.root, w.app, [d]);
      assert.deepEqual(
        out.layers.map((l) => l.layerDigest),
        [d],
      );
      w.now = T0 + GRACE + 1000;
      const report = await w.gc.collect();
      assert.deepEqual(
        report.unlinked.map((u) => u.digest),
        [idle],
        'only the link nobody looked at goes',
      );
      assert.ok(await w.stored(d));
    });

    test('a grace period no longer than the link refresh interval is refused', () => {
      const w = new World(new MemoryMetadataStore());
      assert.throws(() => new BlobCollector(w.deps, { graceMs: 1000 }));
    });
  });
