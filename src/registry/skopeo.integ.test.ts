// The real client: skopeo pushes an OCI layout built here to the registry (over plain HTTP, Basic
// `AWS:<token>` after the 401 challenge) and pulls it back, against the in-memory fake backend.
// Also: a denied push shows the IAM sentence, and a forged token is refused as unauthorized.
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
import { serveRegistry, type ServedRegistry } from '../../test/helpers/world.js';
import { FakeRegistryBackend } from './testkit.js';

const run = promisify(execFile);
const SKOPEO = '/usr/bin/skopeo';
const skip = existsSync(SKOPEO)
  ? false
  : `${SKOPEO} is not installed (Debian package skopeo; .ci/run installs it)`;

const A = '111111111111';
const TOKEN = 'skopeo-token';
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A one-file ustar archive: 512-byte header, the data padded to 512, two zero blocks. */
function tarOf(name: string, data: Buffer): Buffer {
  const header = Buffer.alloc(512);
  const field = (offset: number, length: number, value: string) =>
    header.write(value, offset, length, 'ascii');
  field(0, 100, name);
  field(100, 8, '0000644\0');
  field(108, 8, '0000000\0');
  field(116, 8, '0000000\0');
  field(124, 12, `${data.length.toString(8).padStart(11, '0')}\0`);
  field(136, 12, '00000000000\0');
  field(148, 8, '        ');
  field(156, 1, '0');
  field(257, 6, 'ustar\0');
  field(263, 2, '00');
  let sum = 0;
  for (const b of header) sum += b;
  field(148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  const pad = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([header, data, pad, Buffer.alloc(1024)]);
}

/** Writes an OCI image layout with one image tagged `tag`; returns the manifest digest and layer digests. */
async function buildLayout(dir: string, tag: string): Promise<{ manifest: string; blobs: string[] }> {
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  const put = async (b: Buffer) => {
    const hex = sha256(b);
    await writeFile(join(dir, 'blobs', 'sha256', hex), b);
    return { digest: `sha256:${hex}`, size: b.length };
  };
  const tars = [
    tarOf('hello.txt', Buffer.from('hello from crossdock\n')),
    tarOf('noise.bin', randomBytes(3 << 20)),
  ];
  const layers = [];
  for (const t of tars) layers.push({ ...(await put(gzipSync(t))), diffId: `sha256:${sha256(t)}` });
  const config = await put(
    Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
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
        layers: layers.map((l) => ({
          mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
          digest: l.digest,
          size: l.size,
        })),
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
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          ...manifest,
          annotations: { 'org.opencontainers.image.ref.name': tag },
        },
      ],
    }),
  );
  return { manifest: manifest.digest, blobs: [config.digest, ...layers.map((l) => l.digest)] };
}

describe('skopeo against the registry', { skip }, () => {
  let served: ServedRegistry | undefined;
  let port = 0;
  let work = '';
  const fake = new FakeRegistryBackend();
  const env = { ...process.env };

  async function skopeo(args: string[]): Promise<{ ok: boolean; out: string }> {
    try {
      const r = await run(SKOPEO, args, { timeout: 120_000, env });
      return { ok: true, out: r.stdout + r.stderr };
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      return { ok: false, out: `${e.stdout ?? ''}${e.stderr ?? ''}${e.message}` };
    }
  }

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'crossdock-skopeo-'));
    // keep skopeo's blob-info cache and auth files out of the real home directory
    env.HOME = work;
    env.XDG_RUNTIME_DIR = work;
    env.XDG_CONFIG_HOME = join(work, 'config');
    env.XDG_DATA_HOME = join(work, 'data');
    fake.addToken(TOKEN, A);
    fake.createRepository({ accountId: A, region: 'us-east-1', name: 'team/app' });
    fake.createRepository({ accountId: A, region: 'eu-west-1', name: 'app' });
    served = await serveRegistry(fake, { defaultRegion: 'us-east-1' });
    port = served.port;
  });

  after(async () => {
    await served?.close();
    if (work !== '') await rm(work, { recursive: true, force: true });
  });

  test('push an OCI layout with copy --dest-creds AWS:<token>, pull it back identical', async () => {
    const src = join(work, 'src');
    const built = await buildLayout(src, 'v1');
    const ref = `docker://127.0.0.1:${port}/${A}/team/app:v1`;
    const push = await skopeo([
      'copy',
      '--insecure-policy',
      '--dest-tls-verify=false',
      '--dest-creds',
      `AWS:${TOKEN}`,
      `oci:${src}:v1`,
      ref,
    ]);
    assert.ok(push.ok, push.out);
    const repo = fake.repo({ accountId: A, region: 'us-east-1', name: 'team/app' });
    assert.equal(repo.tags.get('v1'), built.manifest);
    for (const d of built.blobs) assert.ok(repo.blobs.has(d), `blob ${d} pushed`);

    const dest = join(work, 'dest');
    const pull = await skopeo([
      'copy',
      '--insecure-policy',
      '--src-tls-verify=false',
      '--src-creds',
      `AWS:${TOKEN}`,
      ref,
      `oci:${dest}:v1`,
    ]);
    assert.ok(pull.ok, pull.out);
    const index = JSON.parse(await readFile(join(dest, 'index.json'), 'utf8'));
    assert.equal(index.manifests[0].digest, built.manifest);
    for (const d of built.blobs) {
      const bytes = await readFile(join(dest, 'blobs', 'sha256', d.slice('sha256:'.length)));
      assert.equal(`sha256:${sha256(bytes)}`, d);
    }

    const tags = await skopeo([
      'list-tags',
      '--tls-verify=false',
      '--creds',
      `AWS:${TOKEN}`,
      `docker://127.0.0.1:${port}/${A}/team/app`,
    ]);
    assert.ok(tags.ok, tags.out);
    assert.deepEqual(JSON.parse(tags.out.slice(0, tags.out.lastIndexOf('}') + 1)).Tags, ['v1']);
  });

  test('a path-style name with a region reaches that region’s repository', async () => {
    const src = join(work, 'src-region');
    const built = await buildLayout(src, 'v2');
    const r = await skopeo([
      'copy',
      '--insecure-policy',
      '--dest-tls-verify=false',
      '--dest-creds',
      `AWS:${TOKEN}`,
      `oci:${src}:v2`,
      `docker://127.0.0.1:${port}/${A}.eu-west-1/app:v2`,
    ]);
    assert.ok(r.ok, r.out);
    assert.equal(
      fake.repo({ accountId: A, region: 'eu-west-1', name: 'app' }).tags.get('v2'),
      built.manifest,
    );
  });

  test('a push IAM denies fails with the IAM sentence; a forged token fails as unauthorized', async () => {
    const src = join(work, 'src-denied');
    await buildLayout(src, 'v3');
    const target = `docker://127.0.0.1:${port}/${A}/team/app:v3`;
    fake.denied.add('ecr:InitiateLayerUpload');
    try {
      const denied = await skopeo([
        'copy',
        '--insecure-policy',
        '--dest-tls-verify=false',
        '--dest-creds',
        `AWS:${TOKEN}`,
        `oci:${src}:v3`,
        target,
      ]);
      assert.equal(denied.ok, false);
      assert.match(denied.out, /denied/i);
      assert.match(denied.out, /is not authorized to perform: ecr:InitiateLayerUpload/);
    } finally {
      fake.denied.clear();
    }
    const forged = await skopeo([
      'copy',
      '--insecure-policy',
      '--dest-tls-verify=false',
      '--dest-creds',
      'AWS:forged',
      `oci:${src}:v3`,
      target,
    ]);
    assert.equal(forged.ok, false);
    assert.match(forged.out, /unauthorized|authentication required/i);
    assert.equal(fake.repo({ accountId: A, region: 'us-east-1', name: 'team/app' }).tags.has('v3'), false);
  });
});
