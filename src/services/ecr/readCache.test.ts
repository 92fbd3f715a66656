// The registry's stamped read cache (readCache.ts) and the verified-token cache of backend.ts:
// values are kept only while nothing is written, so every change a request could observe without
// them (a key deactivated, an account suspended, a policy removed, a tag moved, time passing) is
// observed on the very next request with them. The backend runs here over the SQLite store, the
// one that has a change stamp (the in-memory store has none, so the other backend tests run
// uncached).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import type { RequestInfo } from '../../auth/caller.js';
import {
  addAccessKey,
  addAccounts,
  addUser,
  ecrDeps,
  policyDoc,
  registryBasic,
} from '../../../test/helpers/world.js';
import { REGISTRY_TOKEN_TTL_MS } from '../../auth/tokens.js';
import { PolicyCache } from '../../iam/index.js';
import { digestOf } from '../../store/blobs/BlobStore.js';
import { createMemoryBlobStore } from '../../store/blobs/memory/MemoryBlobStore.js';
import { MemoryMetadataStore } from '../../store/meta/memory/MemoryMetadataStore.js';
import type { MetadataStore } from '../../store/meta/MetadataStore.js';
import type { RepositoryRef } from '../../store/meta/records.js';
import { SecretBox } from '../../store/meta/secrets.js';
import { openSqliteMetadataStore } from '../../store/meta/sqlite/SqliteMetadataStore.js';
import { createRegistryBackend } from './backend.js';
import { TOKEN_EXPIRED_MESSAGE } from './registryAuth.js';
import type { EcrDeps } from './deps.js';
import { StampedCache } from '../stampedCache.js';
import { withReadCache } from './readCache.js';
import type { RegistryBackend } from './registry.js';

const A = '111111111111';
const B = '222222222222';
const REGION = 'us-east-1';
const T0 = Date.parse('2026-11-23T12:00:00.000Z');
const REQUEST: RequestInfo = { sourceIp: '127.0.0.1', secure: false, region: REGION };
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const allow = (actions: string[], resource: string, principal?: object) =>
  policyDoc([
    { Effect: 'Allow', Action: actions, Resource: resource, ...(principal && { Principal: principal }) },
  ]);
const EVERYTHING = allow(['ecr:*'], '*');

async function rejects(p: Promise<unknown>, code: string, message?: string): Promise<Error> {
  try {
    await p;
  } catch (e) {
    const err = e as Error & { code?: string };
    assert.equal(err.code ?? err.name, code, `expected ${code}, got ${err.code ?? err.name}: ${err.message}`);
    if (message !== undefined) assert.equal(err.message, message);
    return err;
  }
  assert.fail(`expected ${code}, but it succeeded`);
}

// ---- the cache on its own -----------------------------------------------------------------

describe('StampedCache', () => {
  const cases: { name: string; run(): Promise<void> }[] = [
    {
      name: 'a read is answered from memory while the stamp holds, and read again once it moves',
      async run() {
        let stamp = 's1';
        let loads = 0;
        const cache = new StampedCache(() => stamp);
        const load = async () => ++loads;
        assert.equal(await cache.read('k', load), 1);
        assert.equal(await cache.read('k', load), 1);
        assert.equal(await cache.read('other', load), 2);
        stamp = 's2';
        assert.equal(await cache.read('k', load), 3);
        assert.equal(await cache.read('k', load), 3);
        assert.deepEqual([cache.hits, cache.misses], [2, 3]);
      },
    },
    {
      name: 'a value whose read overlapped a write is returned but not kept',
      async run() {
        let stamp = 's1';
        let loads = 0;
        const cache = new StampedCache(() => stamp);
        const racing = async () => {
          loads++;
          stamp = `s${loads + 1}`; // a write lands while the read runs
          return 'old';
        };
        assert.equal(await cache.read('k', racing), 'old');
        assert.equal(await cache.read('k', async () => 'new'), 'new');
        assert.equal(await cache.read('k', async () => 'newer'), 'new');
      },
    },
    {
      name: 'a cache at its size drops everything instead of growing',
      async run() {
        let loads = 0;
        const cache = new StampedCache(() => 's', 2);
        const load = async () => ++loads;
        await cache.read('a', load);
        await cache.read('b', load);
        await cache.read('c', load); // full: a and b are dropped, c is kept
        assert.equal(await cache.read('c', load), 3);
        assert.equal(await cache.read('a', load), 4);
      },
    },
  ];
  for (const c of cases) test(c.name, c.run);
});

// ---- the store's stamp and the wrapped store ------------------------------------------------

async function sqliteStore(): Promise<MetadataStore> {
  return openSqliteMetadataStore({ inMemory: true });
}

async function account(store: MetadataStore, id: string): Promise<void> {
  await addAccounts(store, [id], T0);
}

describe('withReadCache over a metadata store', () => {
  test('the SQLite store’s stamp moves with every write and stays with reads', async () => {
    const store = await sqliteStore();
    try {
      const s0 = store.changeStamp!();
      await store.accounts.get(A);
      assert.equal(store.changeStamp!(), s0);
      await account(store, A);
      const s1 = store.changeStamp!();
      assert.notEqual(s1, s0);
      await store.accounts.update(A, { status: 'SUSPENDED' });
      assert.notEqual(store.changeStamp!(), s1);
    } finally {
      await store.close();
    }
  });

  test('a closed store answers no read from memory: it says it is closed', async () => {
    const plain = await sqliteStore();
    const { store } = withReadCache(plain);
    await account(plain, A);
    assert.equal((await store.accounts.get(A))?.id, A);
    await plain.close();
    await assert.rejects(store.accounts.get(A), { name: 'StoreMisuse' });
  });

  test('a store without a stamp is used as it is', () => {
    const store = new MemoryMetadataStore();
    const wrapped = withReadCache(store);
    assert.equal(wrapped.store, store);
    assert.equal(wrapped.cache, undefined);
  });

  test('kept reads see writes made through the plain store, and transactions reach the store', async () => {
    const plain = await sqliteStore();
    try {
      const { store, cache } = withReadCache(plain);
      await account(plain, A);
      assert.equal((await store.accounts.get(A))?.status, 'ACTIVE');
      assert.equal((await store.accounts.get(A))?.status, 'ACTIVE');
      assert.equal(cache!.hits, 1);
      await plain.accounts.update(A, { status: 'SUSPENDED' });
      assert.equal((await store.accounts.get(A))?.status, 'SUSPENDED');
      await store.transaction(async (tx) => {
        await tx.accounts.update(A, { status: 'ACTIVE' });
        assert.equal((await tx.accounts.get(A))?.status, 'ACTIVE');
      });
      assert.equal((await store.accounts.get(A))?.status, 'ACTIVE');
      assert.equal((await store.accounts.list()).items.length, 1, 'reads not kept pass through');
    } finally {
      await plain.close();
    }
  });
});

// ---- the registry backend over the cached SQLite store --------------------------------------

/** Accounts A and B, a repository of A holding one image, on the SQLite store. */
class World {
  now = T0;
  readonly clock = { now: () => this.now };
  readonly box = SecretBox.fromKey(Buffer.alloc(32, 7));
  readonly cache = new PolicyCache();
  readonly tokenKey = Buffer.alloc(32, 9);
  readonly repo: RepositoryRef = { accountId: A, region: REGION, name: 'app' };
  readonly backend: RegistryBackend;
  private keys = 0;

  private constructor(readonly store: MetadataStore) {
    const deps: EcrDeps = ecrDeps({
      store,
      clock: this.clock,
      cache: this.cache,
      box: this.box,
      blobs: createMemoryBlobStore({ clock: () => this.now }),
      registryTokenKey: this.tokenKey,
    });
    this.backend = createRegistryBackend(deps);
  }

  static async create(): Promise<World> {
    const w = new World(await sqliteStore());
    for (const id of [A, B]) await account(w.store, id);
    await w.store.repositories.create({
      ...w.repo,
      arn: `arn:aws:ecr:${REGION}:${A}:repository/app`,
      createdAt: new Date(T0),
      imageTagMutability: 'MUTABLE',
      imageTagMutabilityExclusionFilters: [],
      scanOnPush: false,
      encryption: { encryptionType: 'AES256' },
      tags: [],
    });
    return w;
  }

  basic(accessKeyId: string, registryId: string): string {
    const t = { accessKeyId, registryId, issuedAt: this.now, expiresAt: this.now + REGISTRY_TOKEN_TTL_MS };
    return registryBasic(this.tokenKey, t);
  }

  /** An IAM user with inline policies `p0`, `p1`... and an access key. */
  async user(accountId: string, name: string, policies: string[]) {
    const id = `AIDA${name.toUpperCase().padEnd(16, 'X')}`;
    await addUser(this.store, { accountId, name, id, at: this.now, policies });
    const keyId = `AKIA${String(++this.keys).padStart(16, '0')}`;
    await addAccessKey(this.store, this.box, { id: keyId, accountId, userName: name, at: this.now });
    return { keyId, authorization: this.basic(keyId, accountId) };
  }

  /** Pushes a one-layer image under `tag` as `authorization`'s caller; returns its digest. */
  async push(authorization: string, tag: string, seed: string): Promise<string> {
    const caller = await this.backend.authenticate(authorization, REQUEST);
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', seed }));
    const layer = Buffer.from(`layer ${seed}`);
    for (const b of [config, layer]) {
      await this.backend.putBlob(caller, this.repo, digestOf(b), Readable.from([b]), b.length);
    }
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
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
      }),
    );
    return (await this.backend.putManifest(caller, this.repo, tag, OCI_MANIFEST, manifest)).digest;
  }

  /** Authenticates and pulls the manifest of `reference`, as one registry request does. */
  async pull(authorization: string, reference = 'v1'): Promise<string> {
    const caller = await this.backend.authenticate(authorization, REQUEST);
    return (await this.backend.getManifest(caller, this.repo, reference, [OCI_MANIFEST])).digest;
  }
}

describe('the registry backend over the cached SQLite store', () => {
  const cases: { name: string; run(w: World): Promise<void> }[] = [
    {
      name: 'a token dies with its key at once: deactivated after cached requests, then deleted',
      async run(w) {
        const u = await w.user(A, 'dev', [EVERYTHING]);
        await w.push(u.authorization, 'v1', 'a');
        await w.pull(u.authorization);
        await w.pull(u.authorization);
        await w.store.accessKeys.update(u.keyId, { status: 'Inactive' });
        await rejects(w.pull(u.authorization), 'Unauthenticated');
        await w.store.accessKeys.update(u.keyId, { status: 'Active' });
        await w.pull(u.authorization);
        await w.store.accessKeys.delete(u.keyId);
        await rejects(w.pull(u.authorization), 'Unauthenticated');
      },
    },
    {
      name: 'a token dies with its account at once: a suspended account authenticates no more',
      async run(w) {
        const u = await w.user(A, 'dev', [EVERYTHING]);
        await w.push(u.authorization, 'v1', 'a');
        await w.pull(u.authorization);
        await w.store.accounts.update(A, { status: 'SUSPENDED' });
        await rejects(w.pull(u.authorization), 'Unauthenticated');
      },
    },
    {
      name: 'removing the policy that allowed a pull denies the very next pull',
      async run(w) {
        const pusher = await w.user(A, 'pusher', [EVERYTHING]);
        await w.push(pusher.authorization, 'v1', 'a');
        const reader = await w.user(A, 'reader', [allow(['ecr:BatchGetImage'], '*')]);
        await w.pull(reader.authorization);
        await w.pull(reader.authorization);
        await w.store.inlinePolicies.delete({ kind: 'user', accountId: A, name: 'reader' }, 'p0');
        await rejects(w.pull(reader.authorization), 'AccessDenied');
      },
    },
    {
      name: 'a repository policy for another account opens the next pull, and its removal closes it',
      async run(w) {
        const pusher = await w.user(A, 'pusher', [EVERYTHING]);
        await w.push(pusher.authorization, 'v1', 'a');
        const other = await w.user(B, 'ci', [EVERYTHING]);
        await rejects(w.pull(other.authorization), 'AccessDenied');
        await w.store.repositories.update(A, REGION, 'app', {
          policyText: allow(['ecr:BatchGetImage'], '*', { AWS: `arn:aws:iam::${B}:root` }).replace(
            '"Resource":"*",',
            '',
          ),
        });
        await w.pull(other.authorization);
        await w.store.repositories.update(A, REGION, 'app', { policyText: null });
        await rejects(w.pull(other.authorization), 'AccessDenied');
      },
    },
    {
      name: 'a moved tag is served on the next pull, and a deleted image is gone',
      async run(w) {
        const u = await w.user(A, 'dev', [EVERYTHING]);
        const first = await w.push(u.authorization, 'v1', 'a');
        assert.equal(await w.pull(u.authorization), first);
        const second = await w.push(u.authorization, 'v1', 'b');
        assert.notEqual(second, first);
        assert.equal(await w.pull(u.authorization), second);
        const caller = await w.backend.authenticate(u.authorization, REQUEST);
        await w.backend.deleteManifest(caller, w.repo, second);
        await rejects(w.pull(u.authorization), 'ImageNotFoundException');
        assert.equal(await w.pull(u.authorization, first), first);
      },
    },
    {
      name: 'expiry is checked on every request: a kept token expires, and so does a kept session',
      async run(w) {
        const u = await w.user(A, 'dev', [EVERYTHING]);
        await w.push(u.authorization, 'v1', 'a');
        await w.pull(u.authorization);
        w.now = T0 + REGISTRY_TOKEN_TTL_MS;
        await rejects(w.pull(u.authorization), 'Unauthenticated', TOKEN_EXPIRED_MESSAGE);
        w.now = T0;
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
        await w.store.inlinePolicies.put(
          { kind: 'role', accountId: A, name: 'ci' },
          {
            name: 'all',
            document: EVERYTHING,
          },
        );
        await w.store.sessions.create({
          accessKeyId: 'ASIASESSION000000001',
          secret: w.box.seal('s', 'ASIASESSION000000001'),
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
        const session = w.basic('ASIASESSION000000001', A);
        await w.pull(session);
        await w.pull(session);
        w.now = T0 + 3600_000;
        await rejects(w.pull(session), 'Unauthenticated', TOKEN_EXPIRED_MESSAGE);
        w.now = T0;
        await w.pull(session);
        await w.store.inlinePolicies.delete({ kind: 'role', accountId: A, name: 'ci' }, 'all');
        await w.store.roles.delete(A, 'ci');
        const e = await rejects(w.pull(session), 'Unauthenticated');
        assert.notEqual(e.message, TOKEN_EXPIRED_MESSAGE);
      },
    },
    {
      name: 'a kept token does not vouch for a forged variant of it',
      async run(w) {
        const u = await w.user(A, 'dev', [EVERYTHING]);
        await w.push(u.authorization, 'v1', 'a');
        await w.pull(u.authorization);
        const token = Buffer.from(u.authorization.slice(6), 'base64').toString().slice(4);
        const forged = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;
        await rejects(w.pull(`Basic ${Buffer.from(`AWS:${forged}`).toString('base64')}`), 'Unauthenticated');
        await rejects(w.pull(`Basic ${Buffer.from(`root:${token}`).toString('base64')}`), 'Unauthenticated');
        await w.pull(u.authorization);
      },
    },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const w = await World.create();
      try {
        await c.run(w);
      } finally {
        await w.store.close();
      }
    });
  }
});
