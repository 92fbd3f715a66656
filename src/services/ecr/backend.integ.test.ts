// The real client against the real halves: skopeo talks HTTP to the OCI registry layer
// (`src/registry`) mounted over THIS backend, with the in-memory stores, the real door and engine.
// A multi-arch OCI layout built here is pushed with `--all`, pulled back identical, copied to a
// second repository (cross-repository mount), and pulled from another account: denied without a
// repository policy, allowed with one. An expired token is refused as unauthorized.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import {
  addAccessKey,
  addAccounts,
  addUser,
  allowDoc,
  ecrDeps,
  PATH_STYLE,
  serveRegistry,
  type ServedRegistry,
} from '../../../test/helpers/world.js';
import { issueRegistryToken } from '../../auth/tokens.js';
import { createMemoryBlobStore } from '../../store/blobs/memory/MemoryBlobStore.js';
import { MemoryMetadataStore } from '../../store/meta/memory/MemoryMetadataStore.js';
import type { RepositoryRef } from '../../store/meta/records.js';
import { SecretBox } from '../../store/meta/secrets.js';
import { createRegistryBackend } from './backend.js';
import type { EcrDeps } from './deps.js';

const run = promisify(execFile);
const SKOPEO = '/usr/bin/skopeo';
const skip = existsSync(SKOPEO) ? false : `${SKOPEO} is not installed (Debian package skopeo)`;

const A = '111111111111';
const B = '222222222222';
const REGION = 'us-east-1';
const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const arn = (account: string, name: string) => `arn:aws:ecr:${REGION}:${account}:repository/${name}`;
const allow = (actions: string[], resource: string) => allowDoc(actions, resource);
const PULL = ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'];

/** A gzip'd one-file tar layer (512-byte ustar header, padded data, two zero blocks). */
function layerOf(name: string, data: Buffer): { gz: Buffer; diffId: string } {
  const h = Buffer.alloc(512);
  const f = (o: number, n: number, v: string) => h.write(v, o, n, 'ascii');
  f(0, 100, name);
  f(100, 8, '0000644\0');
  f(108, 8, '0000000\0');
  f(116, 8, '0000000\0');
  f(124, 12, `${data.length.toString(8).padStart(11, '0')}\0`);
  f(136, 12, '00000000000\0');
  f(148, 8, '        ');
  f(156, 1, '0');
  f(257, 6, 'ustar\0');
  f(263, 2, '00');
  let sum = 0;
  for (const b of h) sum += b;
  f(148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  const tar = Buffer.concat([h, data, Buffer.alloc((512 - (data.length % 512)) % 512), Buffer.alloc(1024)]);
  return { gz: gzipSync(tar), diffId: `sha256:${hex(tar)}` };
}

/** Writes an OCI layout whose `tag` is an index of an amd64 and an arm64 image. */
async function multiArchLayout(dir: string, tag: string): Promise<{ index: string; blobs: string[] }> {
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  const blobs: string[] = [];
  const put = async (b: Buffer) => {
    await writeFile(join(dir, 'blobs', 'sha256', hex(b)), b);
    blobs.push(`sha256:${hex(b)}`);
    return { digest: `sha256:${hex(b)}`, size: b.length };
  };
  const platforms = [];
  for (const architecture of ['amd64', 'arm64']) {
    const layers = [layerOf('arch.txt', Buffer.from(architecture)), layerOf('noise', randomBytes(256 << 10))];
    const ls = [];
    for (const l of layers) ls.push(await put(l.gz));
    const config = await put(
      Buffer.from(
        JSON.stringify({
          architecture,
          os: 'linux',
          config: {},
          rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
        }),
      ),
    );
    const manifest = await put(
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
          layers: ls.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...l })),
        }),
      ),
    );
    platforms.push({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      ...manifest,
      platform: { architecture, os: 'linux' },
    });
  }
  const index = await put(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: platforms,
      }),
    ),
  );
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.index.v1+json',
          ...index,
          annotations: { 'org.opencontainers.image.ref.name': tag },
        },
      ],
    }),
  );
  return { index: index.digest, blobs };
}

describe('skopeo against the registry layer over the ECR backend', { skip }, () => {
  const now = Date.parse('2026-11-23T12:00:00Z');
  const store = new MemoryMetadataStore();
  const box = SecretBox.fromKey(Buffer.alloc(32, 7));
  const tokenKey = Buffer.alloc(32, 9);
  const deps: EcrDeps = ecrDeps({
    store,
    clock: { now: () => now },
    box,
    blobs: createMemoryBlobStore({ clock: () => now }),
    registryTokenKey: tokenKey,
    addressing: { ...PATH_STYLE, authority: '127.0.0.1' },
  });
  let served: ServedRegistry | undefined;
  let host = '';
  let work = '';
  const env = { ...process.env };
  const tokens: Record<string, string> = {};
  const app: RepositoryRef = { accountId: A, region: REGION, name: 'team/app' };
  const copy: RepositoryRef = { accountId: A, region: REGION, name: 'team/copy' };

  async function skopeo(args: string[]): Promise<{ ok: boolean; out: string }> {
    try {
      const r = await run(SKOPEO, args, { timeout: 120_000, env });
      return { ok: true, out: r.stdout + r.stderr };
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      return { ok: false, out: `${e.stdout ?? ''}${e.stderr ?? ''}${e.message}` };
    }
  }

  async function user(
    accountId: string,
    name: string,
    policies: string[],
    expiresIn = 3600_000,
  ): Promise<string> {
    const userId = `AIDA${name.toUpperCase().padEnd(16, 'Q')}`;
    await addUser(store, { accountId, name, id: userId, at: now, policies });
    const id = `AKIA${name.toUpperCase().padEnd(16, 'Z')}`;
    await addAccessKey(store, box, { id, accountId, userName: name, at: now, secret: 's' });
    return issueRegistryToken(tokenKey, {
      accessKeyId: id,
      registryId: accountId,
      issuedAt: now - 1000,
      expiresAt: now + expiresIn,
    });
  }

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'crossdock-ecr-skopeo-'));
    env.HOME = work;
    env.XDG_RUNTIME_DIR = work;
    env.XDG_CONFIG_HOME = join(work, 'config');
    env.XDG_DATA_HOME = join(work, 'data');
    await addAccounts(store, [A, B], now);
    for (const r of [app, copy]) {
      await store.repositories.create({
        ...r,
        arn: arn(r.accountId, r.name),
        createdAt: new Date(now),
        imageTagMutability: 'MUTABLE',
        imageTagMutabilityExclusionFilters: [],
        scanOnPush: false,
        encryption: { encryptionType: 'AES256' },
        tags: [],
      });
    }
    tokens.pusher = await user(A, 'pusher', [allow(['ecr:*'], `arn:aws:ecr:${REGION}:${A}:repository/*`)]);
    tokens.puller = await user(B, 'puller', [allow(PULL, arn(A, 'team/app'))]);
    tokens.expired = await user(A, 'late', [allow(['ecr:*'], '*')], -1);
    served = await serveRegistry(createRegistryBackend(deps));
    host = `127.0.0.1:${served.port}`;
  });

  after(async () => {
    await served?.close();
    if (work !== '') await rm(work, { recursive: true, force: true });
  });

  test('a multi-arch push with --all stores the index, its children and blobs; a pull gets them back', async () => {
    const src = join(work, 'src');
    const built = await multiArchLayout(src, 'v1');
    const ref = `docker://${host}/${A}/team/app:v1`;
    const push = await skopeo([
      'copy',
      '--all',
      '--insecure-policy',
      '--dest-tls-verify=false',
      '--dest-creds',
      `AWS:${tokens.pusher}`,
      `oci:${src}:v1`,
      ref,
    ]);
    assert.ok(push.ok, push.out);
    assert.equal((await store.tags.get(app, 'v1'))?.digest, built.index);
    for (const d of built.blobs) {
      const present = (await store.blobs.isLinked(app, d)) || (await store.images.get(app, d)) !== undefined;
      assert.ok(present, `${d} is in the repository`);
    }
    const dest = join(work, 'dest');
    const pull = await skopeo([
      'copy',
      '--all',
      '--insecure-policy',
      '--src-tls-verify=false',
      '--src-creds',
      `AWS:${tokens.pusher}`,
      ref,
      `oci:${dest}:v1`,
    ]);
    assert.ok(pull.ok, pull.out);
    const index = JSON.parse(await readFile(join(dest, 'index.json'), 'utf8')) as {
      manifests: { digest: string }[];
    };
    assert.equal(index.manifests[0]?.digest, built.index);
    for (const d of built.blobs) {
      const bytes = await readFile(join(dest, 'blobs', 'sha256', d.slice(7)));
      assert.equal(`sha256:${hex(bytes)}`, d);
    }
  });

  test('copying to a second repository of the registry mounts or re-pushes every blob there', async () => {
    const r = await skopeo([
      'copy',
      '--all',
      '--insecure-policy',
      '--src-tls-verify=false',
      '--dest-tls-verify=false',
      '--src-creds',
      `AWS:${tokens.pusher}`,
      '--dest-creds',
      `AWS:${tokens.pusher}`,
      `docker://${host}/${A}/team/app:v1`,
      `docker://${host}/${A}/team/copy:v1`,
    ]);
    assert.ok(r.ok, r.out);
    assert.equal((await store.tags.get(copy, 'v1'))?.digest, (await store.tags.get(app, 'v1'))?.digest);
  });

  test('another account is denied with the IAM sentence until the repository policy names it', async () => {
    const ref = `docker://${host}/${A}/team/app:v1`;
    const denied = await skopeo([
      'inspect',
      '--raw',
      '--tls-verify=false',
      '--creds',
      `AWS:${tokens.puller}`,
      ref,
    ]);
    assert.ok(!denied.ok);
    assert.match(denied.out, /denied/);
    assert.match(denied.out, /because no resource-based policy allows the ecr:BatchGetImage action/);
    await store.repositories.update(A, REGION, 'team/app', {
      policyText: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${B}:root` }, Action: PULL }],
      }),
    });
    const dest = join(work, 'dest-b');
    const ok = await skopeo([
      'copy',
      '--insecure-policy',
      '--src-tls-verify=false',
      '--src-creds',
      `AWS:${tokens.puller}`,
      '--override-arch',
      'arm64',
      ref,
      `oci:${dest}:v1`,
    ]);
    assert.ok(ok.ok, ok.out);
  });

  test('an expired token is refused as unauthorized', async () => {
    const r = await skopeo([
      'inspect',
      '--raw',
      '--tls-verify=false',
      '--creds',
      `AWS:${tokens.expired}`,
      `docker://${host}/${A}/team/app:v1`,
    ]);
    assert.ok(!r.ok);
    assert.match(r.out, /unauthorized|authentication required|401/i);
  });
});
