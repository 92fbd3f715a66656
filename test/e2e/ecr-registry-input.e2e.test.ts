// Bad input to the OCI registry of a started crossdock (real port, SQLite, the fs blob store, real
// tokens and IAM), sent with node:http and raw sockets using Basic AWS:<token> from
// GetAuthorizationToken. src/registry/registry.integ.test.ts checks the HTTP shapes against a fake
// backend; here every refusal is followed by what only the whole server can show: nothing was
// stored (ListImages/DescribeImages through the API, blob HEAD 404, no file in the data directory,
// no temporary or upload file left behind), no answer is a 5xx, and tokens live and die with the
// identity and the injected clock.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import {
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  GetAuthorizationTokenCommand,
  ListImagesCommand,
  type ECRClient,
} from '@aws-sdk/client-ecr';
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  IAMClient,
  PutUserPolicyCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import {
  DOCKER_MANIFEST,
  ecrClient,
  makeImage,
  OCI_INDEX,
  OCI_MANIFEST,
  pushBlobV2,
  registryLogin,
  sha256,
  v2 as rawV2,
  type TestImage,
  type V2Response,
} from '../helpers/ecr.js';
import { startServer, type AccountCredentials, type TestServer } from '../helpers/server.js';

const REGION = 'us-east-1';
const HOUR = 3600_000;
/** The injected clock: near now (SigV4 needs it), moved by hand for expiries. */
const T0 = Math.floor(Date.now() / 1000) * 1000;
let advanced = 0;
const clock = { now: () => T0 + advanced };

let t: TestServer;
let A: AccountCredentials;
let ecrA: ECRClient;
/** Basic header of A's root. */
let auth: string;
/** A user of A allowed only ecr:GetAuthorizationToken. */
let loginOnly: { arn: string; auth: string };
const REPO = 'input/app';
let name: string;
/** Every registry answer of this file, to check that none was a 5xx. */
const statuses: { status: number; what: string }[] = [];

function v2(
  method: string,
  path: string,
  opts: { auth?: string; headers?: Record<string, string | number>; body?: Buffer | string } = {},
): Promise<V2Response> {
  return rawV2(t.endpoint, method, path, opts).then((r) => {
    statuses.push({ status: r.status, what: `${method} ${path.slice(0, 120)}` });
    return r;
  });
}

function assertRefused(r: V2Response, status: number, code: string, what = ''): void {
  assert.equal(r.status, status, `${what} ${r.body.toString().slice(0, 300)}`);
  assert.deepEqual(r.codes, [code], what);
}

/** The file the fs blob store keeps a blob in (layout of src/store/blobs/fs/FsBlobStore.ts). */
function blobFile(digest: string): string {
  const [alg, hex] = digest.split(':') as [string, string];
  return join(t.dataDir, 'blobs', alg, hex.slice(0, 2), hex);
}

/** Asserts a blob is nowhere: not in the repository (HEAD 404), not on disk. */
async function assertNoBlob(digest: string, repoName = name): Promise<void> {
  const head = await v2('HEAD', `/v2/${repoName}/blobs/${digest}`, { auth });
  assert.equal(head.status, 404, `HEAD ${digest}`);
  assert.equal(existsSync(blobFile(digest)), false, `no file for ${digest}`);
}

/** Waits (by polling, without timing anything) until the temporary and upload directories hold only `keep`. */
async function assertNoLeftovers(keepUploads: readonly string[] = []): Promise<void> {
  for (let i = 0; ; i++) {
    const tmp = await readdir(join(t.dataDir, 'blobs', '_tmp')).catch(() => []);
    const uploads = (await readdir(join(t.dataDir, 'uploads')).catch(() => [])).filter(
      (u) => !keepUploads.includes(u),
    );
    if (tmp.length === 0 && uploads.length === 0) return;
    if (i === 200) assert.fail(`left behind: _tmp ${tmp.join(',')} uploads ${uploads.join(',')}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The repository's images as the API lists them. */
async function imagesOf(repositoryName = REPO): Promise<string[]> {
  const out = await ecrA.send(new ListImagesCommand({ repositoryName }));
  return (out.imageIds ?? []).map((i) => `${i.imageDigest}:${i.imageTag ?? ''}`).sort();
}

/** Starts an upload session; returns its Location. */
async function startUpload(repoName = name, a = auth): Promise<string> {
  const r = await v2('POST', `/v2/${repoName}/blobs/uploads/`, { auth: a });
  assert.equal(r.status, 202);
  return String(r.headers.location);
}

/**
 * Writes raw bytes on a fresh connection and returns what came back before the server closed it
 * (or `end` ended it); `hangUp` closes our side right after writing, as a client that dies.
 */
function raw(data: Buffer | string, opts: { hangUp?: boolean } = {}): Promise<string> {
  const url = new URL(t.endpoint);
  return new Promise((resolve) => {
    const s = connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    s.on('data', (c) => chunks.push(c));
    s.on('error', () => resolve(Buffer.concat(chunks).toString('latin1')));
    s.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    s.write(data, () => {
      if (opts.hangUp) s.destroy();
    });
  });
}

function statusOf(response: string): number {
  const m = /^HTTP\/1\.1 (\d{3})/.exec(response);
  return m === null ? 0 : Number(m[1]);
}

before(async () => {
  t = await startServer({ clock });
  A = await t.createAccount('registry-input');
  ecrA = ecrClient(t.endpoint, A);
  name = `${A.AccountId}/${REPO}`;
  await ecrA.send(new CreateRepositoryCommand({ repositoryName: REPO }));
  await ecrA.send(new CreateRepositoryCommand({ repositoryName: 'input/other' }));
  auth = (await registryLogin(ecrA)).header;
  const iam = new IAMClient({
    endpoint: t.endpoint,
    region: REGION,
    credentials: { accessKeyId: A.AccessKeyId, secretAccessKey: A.SecretAccessKey },
    maxAttempts: 1,
  });
  const u = await iam.send(new CreateUserCommand({ UserName: 'login-only' }));
  await iam.send(
    new PutUserPolicyCommand({
      UserName: 'login-only',
      PolicyName: 'login',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' }],
      }),
    }),
  );
  const k = await iam.send(new CreateAccessKeyCommand({ UserName: 'login-only' }));
  const userEcr = ecrClient(t.endpoint, {
    accessKeyId: k.AccessKey!.AccessKeyId!,
    secretAccessKey: k.AccessKey!.SecretAccessKey!,
  });
  loginOnly = { arn: u.User!.Arn!, auth: (await registryLogin(userEcr)).header };
});

afterEach(async () => {
  // Nothing a test left half-done stays on disk, and the repository holds only what tests pushed.
  await assertNoLeftovers(openUploads);
});

after(async () => {
  await t?.stop();
});

/** Upload sessions a test deliberately leaves open (their files may stay). */
const openUploads: string[] = [];

describe('garbage manifests are MANIFEST_INVALID and store nothing', () => {
  let img: TestImage;
  before(async () => {
    img = makeImage([256]);
    for (const b of [img.config, ...img.layers]) await pushBlobV2(t.endpoint, auth, name, b);
  });

  const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
  const cases: { name: string; body: () => Buffer | string; type?: string }[] = [
    { name: 'an empty body', body: () => '' },
    { name: 'not JSON', body: () => 'this is not a manifest' },
    { name: 'a JSON array', body: () => '[1,2,3]' },
    { name: 'a JSON string', body: () => '"manifest"' },
    { name: 'invalid UTF-8', body: () => Buffer.from([0xff, 0xfe, 0x7b, 0x00, 0xc3]) },
    { name: 'JSON nested a million levels deep', body: () => deep(1_000_000) },
    {
      name: 'a config nested a hundred thousand levels deep',
      body: () => `{"schemaVersion":2,"mediaType":"${OCI_MANIFEST}","config":${deep(100_000)},"layers":[]}`,
    },
    { name: 'schemaVersion 3', body: () => img.manifest.replace('"schemaVersion":2', '"schemaVersion":3') },
    {
      name: 'no config',
      body: () => JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, layers: [] }),
    },
    {
      name: 'layers that are not a list',
      body: () => JSON.stringify({ ...JSON.parse(img.manifest), layers: { a: 1 } }),
    },
    {
      name: 'a malformed layer digest',
      body: () =>
        JSON.stringify({
          ...JSON.parse(img.manifest),
          layers: [
            { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: 'sha256:../../etc', size: 1 },
          ],
        }),
    },
    {
      name: 'a negative size',
      body: () =>
        JSON.stringify({
          ...JSON.parse(img.manifest),
          config: { ...JSON.parse(img.manifest).config, size: -1 },
        }),
    },
    {
      name: 'annotations that are not strings',
      body: () => JSON.stringify({ ...JSON.parse(img.manifest), annotations: { a: { b: 1 } } }),
    },
    { name: 'a Content-Type that disagrees with mediaType', body: () => img.manifest, type: DOCKER_MANIFEST },
    {
      name: 'an unknown media type',
      body: () => img.manifest.replace(OCI_MANIFEST, 'application/x-evil'),
      type: 'application/x-evil',
    },
    {
      name: 'no mediaType and no Content-Type',
      body: () => JSON.stringify({ ...JSON.parse(img.manifest), mediaType: undefined }),
      type: '',
    },
  ];
  for (const c of cases) {
    test(`${c.name}: 400 MANIFEST_INVALID, no tag, no image`, async () => {
      const r = await v2('PUT', `/v2/${name}/manifests/garbage`, {
        auth,
        headers: c.type === '' ? {} : { 'Content-Type': c.type ?? OCI_MANIFEST },
        body: c.body(),
      });
      assertRefused(r, 400, 'MANIFEST_INVALID', c.name);
      const get = await v2('GET', `/v2/${name}/manifests/garbage`, { auth });
      assertRefused(get, 404, 'MANIFEST_UNKNOWN');
      assert.deepEqual(await imagesOf(), []);
    });
  }

  test('a manifest over 4 MiB is 413 and not stored', async () => {
    const big = JSON.stringify({ ...JSON.parse(img.manifest), annotations: { pad: 'x'.repeat(4 << 20) } });
    const r = await v2('PUT', `/v2/${name}/manifests/big`, {
      auth,
      headers: { 'Content-Type': OCI_MANIFEST },
      body: big,
    });
    assert.equal(r.status, 413);
    assert.deepEqual(await imagesOf(), []);
  });

  test('a manifest pushed by a digest it does not have is DIGEST_INVALID', async () => {
    const r = await v2('PUT', `/v2/${name}/manifests/${sha256('another manifest')}`, {
      auth,
      headers: { 'Content-Type': OCI_MANIFEST },
      body: img.manifest,
    });
    assertRefused(r, 400, 'DIGEST_INVALID');
    assert.deepEqual(await imagesOf(), []);
    for (const ref of ['sha256:abc', 'sha256:' + 'G'.repeat(64), 'md5:' + 'a'.repeat(32)]) {
      const bad = await v2('PUT', `/v2/${name}/manifests/${ref}`, {
        auth,
        headers: { 'Content-Type': OCI_MANIFEST },
        body: img.manifest,
      });
      assertRefused(bad, 400, 'DIGEST_INVALID', ref);
    }
    const tag = await v2('PUT', `/v2/${name}/manifests/${'t'.repeat(129)}`, {
      auth,
      headers: { 'Content-Type': OCI_MANIFEST },
      body: img.manifest,
    });
    assertRefused(tag, 400, 'TAG_INVALID');
    assert.deepEqual(await imagesOf(), []);
  });

  test('the same manifest, well formed, is then accepted (the blobs were there all along)', async () => {
    const r = await v2('PUT', `/v2/${name}/manifests/good`, {
      auth,
      headers: { 'Content-Type': OCI_MANIFEST },
      body: img.manifest,
    });
    assert.equal(r.status, 201);
    assert.deepEqual(await imagesOf(), [`${img.digest}:good`]);
  });
});

describe('manifests naming what the repository lacks are MANIFEST_BLOB_UNKNOWN', () => {
  test('unknown layer and config blobs', async () => {
    const img = makeImage([100, 200]);
    await pushBlobV2(t.endpoint, auth, name, img.config);
    const r = await v2('PUT', `/v2/${name}/manifests/orphan`, {
      auth,
      headers: { 'Content-Type': OCI_MANIFEST },
      body: img.manifest,
    });
    assertRefused(r, 400, 'MANIFEST_BLOB_UNKNOWN');
    assert.ok(r.message?.includes(sha256(img.layers[0]!)), r.message);
    assert.ok(!(await imagesOf()).some((i) => i.endsWith(':orphan')));
    const described = await ecrA.send(new DescribeImagesCommand({ repositoryName: REPO }));
    assert.ok(!described.imageDetails?.some((d) => d.imageDigest === img.digest));
  });

  test('blobs pushed to another repository of the registry are not visible here', async () => {
    const img = makeImage([300]);
    const other = `${A.AccountId}/input/other`;
    for (const b of [img.config, ...img.layers]) await pushBlobV2(t.endpoint, auth, other, b);
    const r = await v2('PUT', `/v2/${name}/manifests/borrowed`, {
      auth,
      headers: { 'Content-Type': OCI_MANIFEST },
      body: img.manifest,
    });
    assertRefused(r, 400, 'MANIFEST_BLOB_UNKNOWN');
    const head = await v2('HEAD', `/v2/${name}/blobs/${sha256(img.layers[0]!)}`, { auth });
    assert.equal(head.status, 404);
    assert.equal(
      existsSync(blobFile(sha256(img.layers[0]!))),
      true,
      'the bytes are stored once, for the other repository',
    );
  });

  test('an index naming a manifest the repository does not have', async () => {
    const missing = makeImage([50]);
    const index = JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [
        { mediaType: OCI_MANIFEST, digest: missing.digest, size: Buffer.byteLength(missing.manifest) },
      ],
    });
    const r = await v2('PUT', `/v2/${name}/manifests/index`, {
      auth,
      headers: { 'Content-Type': OCI_INDEX },
      body: index,
    });
    assertRefused(r, 400, 'MANIFEST_BLOB_UNKNOWN');
    assert.ok(!(await imagesOf()).some((i) => i.endsWith(':index')));
  });
});

describe('uploads with wrong digests or sizes store nothing', () => {
  test('monolithic POST ?digest= with bytes of another digest is DIGEST_INVALID', async () => {
    const bytes = randomBytes(4096);
    const claimed = sha256('claimed');
    const r = await v2('POST', `/v2/${name}/blobs/uploads/?digest=${claimed}`, {
      auth,
      headers: { 'Content-Type': 'application/octet-stream' },
      body: bytes,
    });
    assertRefused(r, 400, 'DIGEST_INVALID');
    await assertNoBlob(claimed);
    await assertNoBlob(sha256(bytes));
  });

  test('PUT ?digest= closing a session with a wrong, malformed or missing digest', async () => {
    const cases = [
      // A well-formed digest the bytes do not have ends the session: the client starts over.
      { digest: sha256('wrong'), sessionEnds: true },
      // A malformed one is refused before the session is touched: it can still be closed.
      { digest: 'sha256:123', sessionEnds: false },
      { digest: `SHA256:${'a'.repeat(64)}`, sessionEnds: false },
      { digest: `sha256:${'A'.repeat(64)}`, sessionEnds: false },
      { digest: '', sessionEnds: false },
    ];
    for (const c of cases) {
      const bytes = randomBytes(3000);
      const loc = await startUpload();
      assert.equal((await v2('PATCH', loc, { auth, body: bytes })).status, 202);
      const put = await v2('PUT', c.digest === '' ? loc : `${loc}?digest=${encodeURIComponent(c.digest)}`, {
        auth,
      });
      assertRefused(put, 400, 'DIGEST_INVALID', c.digest);
      await assertNoBlob(sha256(bytes));
      if (c.sessionEnds) {
        assertRefused(await v2('GET', loc, { auth }), 404, 'BLOB_UPLOAD_UNKNOWN');
      } else {
        assert.equal((await v2('GET', loc, { auth })).headers.range, '0-2999', c.digest);
        await v2('DELETE', loc, { auth });
      }
    }
    await assertNoBlob(sha256('wrong'));
  });

  test('a final chunk at the wrong offset or with a lying Content-Length', async () => {
    const bytes = randomBytes(1000);
    const loc = await startUpload();
    const first = await v2('PATCH', loc, {
      auth,
      headers: { 'Content-Range': '0-499', 'Content-Type': 'application/octet-stream' },
      body: bytes.subarray(0, 500),
    });
    assert.equal(first.status, 202);
    assert.equal(first.headers.range, '0-499');
    const wrongOffset = await v2('PUT', `${loc}?digest=${sha256(bytes)}`, {
      auth,
      headers: { 'Content-Range': '400-999' },
      body: bytes.subarray(400),
    });
    assert.equal(wrongOffset.status, 416);
    assert.equal(wrongOffset.headers.range, '0-499');
    const lying = await v2('PATCH', loc, {
      auth,
      headers: { 'Content-Range': '500-999' },
      body: bytes.subarray(500, 900),
    });
    assertRefused(lying, 400, 'SIZE_INVALID');
    assert.equal((await v2('GET', loc, { auth })).headers.range, '0-499', 'nothing was appended');
    // Range and length agree, but the bytes are not the layer's: the digest says so at the end.
    const wrongBytes = await v2('PATCH', loc, {
      auth,
      headers: { 'Content-Range': '500-999' },
      body: randomBytes(500),
    });
    assert.equal(wrongBytes.status, 202);
    const put = await v2('PUT', `${loc}?digest=${sha256(bytes)}`, { auth });
    assertRefused(put, 400, 'DIGEST_INVALID');
    await assertNoBlob(sha256(bytes));
  });

  test('a chunk announcing 10 bytes that streams 20 (chunked encoding) is SIZE_INVALID', async () => {
    const loc = await startUpload();
    const url = new URL(t.endpoint);
    const body = 'y'.repeat(20);
    const response = await raw(
      `PATCH ${loc} HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: ${auth}\r\nContent-Range: 0-9\r\n` +
        `Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`,
    );
    assert.equal(statusOf(response), 400, response.slice(0, 300));
    assert.match(response, /SIZE_INVALID/);
    const status = await v2('GET', loc, { auth });
    assert.equal(status.status, 204);
    assert.equal(status.headers.range, '0-0', 'nothing was appended');
    await v2('DELETE', loc, { auth });
  });

  test('chunks out of order are 416 with the Range to resume from; in order the upload completes', async () => {
    const bytes = randomBytes(3000);
    const loc = await startUpload();
    const patch = (from: number, to: number) =>
      v2('PATCH', loc, {
        auth,
        headers: { 'Content-Range': `${from}-${to}`, 'Content-Type': 'application/octet-stream' },
        body: bytes.subarray(from, to + 1),
      });
    const skip = await patch(1000, 1999);
    assert.equal(skip.status, 416);
    assert.equal(skip.headers.range, '0-0');
    assert.equal((await patch(0, 999)).status, 202);
    const repeat = await patch(0, 999);
    assert.equal(repeat.status, 416);
    assert.equal(repeat.headers.range, '0-999');
    const gap = await patch(1500, 2999);
    assert.equal(gap.status, 416);
    assert.equal(gap.headers.range, '0-999');
    const overlap = await patch(900, 1999);
    assert.equal(overlap.status, 416);
    assert.equal((await patch(1000, 1999)).status, 202);
    assert.equal((await patch(2000, 2999)).status, 202);
    const done = await v2('PUT', `${loc}?digest=${sha256(bytes)}`, { auth });
    assert.equal(done.status, 201);
    const got = await v2('GET', `/v2/${name}/blobs/${sha256(bytes)}`, { auth });
    assert.ok(got.body.equals(bytes), 'the blob is exactly the chunks in order');
  });
});

describe('truncated uploads: a client that dies mid-body leaves nothing', () => {
  test('a monolithic POST cut after half its Content-Length', async () => {
    const bytes = randomBytes(64 * 1024);
    const url = new URL(t.endpoint);
    const head =
      `POST /v2/${name}/blobs/uploads/?digest=${sha256(bytes)} HTTP/1.1\r\nHost: ${url.host}\r\n` +
      `Authorization: ${auth}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${bytes.length}\r\n\r\n`;
    await raw(Buffer.concat([Buffer.from(head), bytes.subarray(0, bytes.length / 2)]), { hangUp: true });
    await assertNoLeftovers(openUploads);
    await assertNoBlob(sha256(bytes));
    // The same blob sent whole afterwards is stored normally.
    await pushBlobV2(t.endpoint, auth, name, bytes);
    const got = await v2('GET', `/v2/${name}/blobs/${sha256(bytes)}`, { auth });
    assert.ok(got.body.equals(bytes));
  });

  test('a PATCH cut mid-chunk appends nothing; the session resumes at its last whole chunk', async () => {
    const bytes = randomBytes(20_000);
    const loc = await startUpload();
    const uploadId = loc.split('/').pop()!;
    openUploads.push(uploadId);
    assert.equal(
      (
        await v2('PATCH', loc, {
          auth,
          headers: { 'Content-Range': '0-9999' },
          body: bytes.subarray(0, 10_000),
        })
      ).status,
      202,
    );
    const url = new URL(t.endpoint);
    const head =
      `PATCH ${loc} HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: ${auth}\r\n` +
      `Content-Range: 10000-19999\r\nContent-Length: 10000\r\n\r\n`;
    await raw(Buffer.concat([Buffer.from(head), bytes.subarray(10_000, 13_000)]), { hangUp: true });
    // Wait until the server has seen the hang-up (the session answers again with its offset).
    let range = '';
    for (let i = 0; i < 200; i++) {
      const s = await v2('GET', loc, { auth });
      assert.equal(s.status, 204);
      range = String(s.headers.range);
      if (range === '0-9999') break;
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(range, '0-9999', 'the cut chunk was not appended');
    const rest = await v2('PUT', `${loc}?digest=${sha256(bytes)}`, {
      auth,
      headers: { 'Content-Range': '10000-19999' },
      body: bytes.subarray(10_000),
    });
    assert.equal(rest.status, 201);
    openUploads.splice(openUploads.indexOf(uploadId), 1);
    const got = await v2('GET', `/v2/${name}/blobs/${sha256(bytes)}`, { auth });
    assert.ok(got.body.equals(bytes));
  });

  test('a manifest PUT cut mid-body stores no image', async () => {
    const img = makeImage([10]);
    for (const b of [img.config, ...img.layers]) await pushBlobV2(t.endpoint, auth, name, b);
    const url = new URL(t.endpoint);
    const head =
      `PUT /v2/${name}/manifests/cut HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: ${auth}\r\n` +
      `Content-Type: ${OCI_MANIFEST}\r\nContent-Length: ${Buffer.byteLength(img.manifest)}\r\n\r\n`;
    await raw(head + img.manifest.slice(0, 40), { hangUp: true });
    const get = await v2('GET', `/v2/${name}/manifests/cut`, { auth });
    assertRefused(get, 404, 'MANIFEST_UNKNOWN');
    assert.ok(!(await imagesOf()).some((i) => i.endsWith(':cut')));
  });
});

describe('races, restarts and repositories that go away', () => {
  test('the same chunk sent eight times at once: exactly one is appended, the rest are 416', async () => {
    const bytes = randomBytes(200_000);
    const loc = await startUpload();
    const answers = await Promise.all(
      Array.from({ length: 8 }, () =>
        v2('PATCH', loc, { auth, headers: { 'Content-Range': `0-${bytes.length - 1}` }, body: bytes }),
      ),
    );
    assert.deepEqual(answers.map((r) => r.status).sort(), [202, 416, 416, 416, 416, 416, 416, 416]);
    const done = await v2('PUT', `${loc}?digest=${sha256(bytes)}`, { auth });
    assert.equal(done.status, 201);
    const got = await v2('GET', `/v2/${name}/blobs/${sha256(bytes)}`, { auth });
    assert.ok(got.body.equals(bytes));
  });

  test('the same blob pushed eight times at once is stored once, whole', async () => {
    const bytes = randomBytes(300_000);
    const answers = await Promise.all(
      Array.from({ length: 8 }, () =>
        v2('POST', `/v2/${name}/blobs/uploads/?digest=${sha256(bytes)}`, { auth, body: bytes }),
      ),
    );
    assert.deepEqual(
      answers.map((r) => r.status),
      Array(8).fill(201),
    );
    const got = await v2('GET', `/v2/${name}/blobs/${sha256(bytes)}`, { auth });
    assert.ok(got.body.equals(bytes));
  });

  test('an upload survives a restart and completes after it', async () => {
    const bytes = randomBytes(5000);
    const loc = await startUpload();
    const first = await v2('PATCH', loc, {
      auth,
      headers: { 'Content-Range': '0-2499' },
      body: bytes.subarray(0, 2500),
    });
    assert.equal(first.status, 202);
    await t.restart();
    const status = await v2('GET', loc, { auth });
    assert.equal(status.status, 204);
    assert.equal(status.headers.range, '0-2499');
    const done = await v2('PUT', `${loc}?digest=${sha256(bytes)}`, {
      auth,
      headers: { 'Content-Range': '2500-4999' },
      body: bytes.subarray(2500),
    });
    assert.equal(done.status, 201);
  });

  test('an upload into a repository deleted meanwhile cannot complete, even once it is recreated', async () => {
    await ecrA.send(new CreateRepositoryCommand({ repositoryName: 'input/doomed' }));
    const doomed = `${A.AccountId}/input/doomed`;
    const bytes = randomBytes(1000);
    const loc = await startUpload(doomed);
    assert.equal((await v2('PATCH', loc, { auth, body: bytes })).status, 202);
    await ecrA.send(new DeleteRepositoryCommand({ repositoryName: 'input/doomed', force: true }));
    const gone = await v2('PUT', `${loc}?digest=${sha256(bytes)}`, { auth });
    assertRefused(gone, 404, 'NAME_UNKNOWN');
    await ecrA.send(new CreateRepositoryCommand({ repositoryName: 'input/doomed' }));
    const stale = await v2('PUT', `${loc}?digest=${sha256(bytes)}`, { auth });
    assertRefused(stale, 404, 'BLOB_UPLOAD_UNKNOWN');
    await assertNoBlob(sha256(bytes), doomed);
    await ecrA.send(new DeleteRepositoryCommand({ repositoryName: 'input/doomed', force: true }));
  });
});

describe('malformed HTTP', () => {
  test('huge headers are 431, not a 5xx', async () => {
    const r = await v2('GET', `/v2/${name}/tags/list`, { auth, headers: { 'X-Pad': 'x'.repeat(64 * 1024) } });
    assert.ok(r.status === 431 || r.status === 400, String(r.status));
    const hugeAuth = await v2('GET', '/v2/', { auth: `Basic ${'A'.repeat(200 * 1024)}` });
    assert.ok(hugeAuth.status === 431 || hugeAuth.status === 400, String(hugeAuth.status));
  });

  test('a header split across many lines of garbage is a 400 from the parser', async () => {
    const url = new URL(t.endpoint);
    const response = await raw(`GET /v2/ HTTP/1.1\r\nHost: ${url.host}\r\nBad Header Line\r\n\r\n`);
    assert.equal(statusOf(response), 400);
  });

  test('a request line that is not HTTP at all', async () => {
    const response = await raw('\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http\r\n\r\n');
    assert.ok(statusOf(response) === 400 || response === '', response.slice(0, 100));
  });
});

describe('names and paths', () => {
  test('invalid repository names are 400 NAME_INVALID, for reads and writes', async () => {
    const id = A.AccountId;
    const invalid = [
      `${id}/Input/App`,
      `${id}/input/app/`,
      `${id}/input//app`,
      `${id}/input/app%2Fx`,
      `${id}/input/-app`,
      `${id}/input/app.`,
      `${id}/input/${'a'.repeat(257)}`,
      'input/app',
      '12345678901/input/app',
      `${id}.mars-1/input/app`,
      `${id}/input/app%00`,
      `${id}/input/%C3%A4pp`,
    ];
    for (const n of invalid) {
      for (const [method, path] of [
        ['GET', `/v2/${n}/tags/list`],
        ['GET', `/v2/${n}/manifests/latest`],
        ['POST', `/v2/${n}/blobs/uploads/`],
        ['PUT', `/v2/${n}/manifests/latest`],
      ] as const) {
        const r = await v2(method, path, { auth, ...(method === 'PUT' && { body: '{}' }) });
        assertRefused(r, 400, 'NAME_INVALID', `${method} ${path}`);
      }
    }
    const { repositories } = await ecrA.send(new DescribeRepositoriesCommand({}));
    assert.deepEqual(repositories?.map((r) => r.repositoryName).sort(), ['input/app', 'input/other']);
  });

  test('a repository that does not exist is 404 NAME_UNKNOWN with ECR’s sentence, for every endpoint', async () => {
    const ghost = `${A.AccountId}/input/ghost`;
    const sentence = `The repository with name 'input/ghost' does not exist in the registry with id '${A.AccountId}'`;
    const requests: [string, string, Buffer | string | undefined][] = [
      ['GET', `/v2/${ghost}/manifests/latest`, undefined],
      ['PUT', `/v2/${ghost}/manifests/latest`, makeImage([1]).manifest],
      ['GET', `/v2/${ghost}/blobs/${sha256('x')}`, undefined],
      ['POST', `/v2/${ghost}/blobs/uploads/`, undefined],
      ['POST', `/v2/${ghost}/blobs/uploads/?digest=${sha256('x')}`, 'x'],
      ['GET', `/v2/${ghost}/tags/list`, undefined],
      ['GET', `/v2/${ghost}/referrers/${sha256('x')}`, undefined],
      ['DELETE', `/v2/${ghost}/manifests/${sha256('x')}`, undefined],
    ];
    for (const [method, path, body] of requests) {
      const r = await v2(method, path, {
        auth,
        ...(body !== undefined && { body, headers: { 'Content-Type': OCI_MANIFEST } }),
      });
      assertRefused(r, 404, 'NAME_UNKNOWN', `${method} ${path}`);
      assert.equal(r.message, sentence);
    }
    await assertNoBlob(sha256('x'));
  });

  test('path traversal reaches neither another repository nor a file outside the store', async () => {
    const img = makeImage([77]);
    const other = `${A.AccountId}/input/other`;
    for (const b of [img.config, ...img.layers]) await pushBlobV2(t.endpoint, auth, other, b);
    const layer = sha256(img.layers[0]!);
    const paths = [
      `/v2/${A.AccountId}/input/app/../other/blobs/${layer}`,
      `/v2/${A.AccountId}/input/app/%2e%2e/other/blobs/${layer}`,
      `/v2/${A.AccountId}/input/app/..%2fother/blobs/${layer}`,
      `/v2/${A.AccountId}/input/app/blobs/sha256:..%2f..%2f..%2fetc%2fpasswd`,
      `/v2/${A.AccountId}/input/app/blobs/..%2F..%2Fmanagement-credentials.json`,
      `/v2/${A.AccountId}/input/app/blobs/uploads/..%2F..%2Fmanagement-credentials.json`,
      `/v2/${A.AccountId}/input/app/blobs/uploads/../../../../etc/passwd`,
      `/v2/${A.AccountId}/input/app/manifests/..%2F..%2Fmanagement-credentials.json`,
      `/v2/../healthz`,
      `/v2/${A.AccountId}/input/app/blobs/uploads/${'%2e%2e%2f'.repeat(8)}etc%2fpasswd`,
    ];
    for (const path of paths) {
      for (const method of ['GET', 'HEAD', 'PATCH', 'PUT', 'DELETE']) {
        const r = await v2(method, path, {
          auth,
          body: method === 'PATCH' || method === 'PUT' ? 'x' : undefined,
        });
        assert.ok(r.status >= 400 && r.status < 500, `${method} ${path}: ${r.status}`);
        assert.ok(!r.body.toString('latin1').includes('SecretAccessKey'), `${method} ${path} leaked a file`);
        assert.ok(!r.body.toString('latin1').includes('root:'), `${method} ${path} leaked a file`);
      }
    }
    assert.equal(existsSync(join(t.dataDir, 'etc')), false);
  });
});

describe('authentication and authorization', () => {
  const challenge = /^Basic realm="http:\/\/127\.0\.0\.1:\d+\/",service="ecr\.amazonaws\.com"$/;

  test('missing credentials: 401 with the challenge on every endpoint; a body sent anyway is not stored', async () => {
    const bytes = randomBytes(2048);
    const requests: [string, string, Buffer | undefined][] = [
      ['GET', '/v2/', undefined],
      ['GET', `/v2/${name}/tags/list`, undefined],
      ['POST', `/v2/${name}/blobs/uploads/?digest=${sha256(bytes)}`, bytes],
      ['PUT', `/v2/${name}/manifests/anon`, Buffer.from(makeImage([1]).manifest)],
    ];
    for (const [method, path, body] of requests) {
      const r = await v2(method, path, body === undefined ? {} : { body });
      assertRefused(r, 401, 'UNAUTHORIZED', `${method} ${path}`);
      assert.match(String(r.headers['www-authenticate']), challenge);
    }
    await assertNoBlob(sha256(bytes));
    assert.ok(!(await imagesOf()).some((i) => i.endsWith(':anon')));
  });

  test('forged tokens: 401 with the challenge', async () => {
    const { password } = await registryLogin(ecrA);
    const [prefix, payload, mac] = password.split('.') as [string, string, string];
    const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const stretched = Buffer.from(
      JSON.stringify({ ...claims, exp: Number(claims.exp) + 10 * 24 * 3600 }),
    ).toString('base64url');
    const forged = [
      `${prefix}.${payload}.${flip(mac)}`,
      `${prefix}.${stretched}.${mac}`,
      `${prefix}.${payload}`,
      randomBytes(48).toString('base64'),
      '',
    ];
    for (const pw of forged) {
      const r = await v2('GET', `/v2/${name}/tags/list`, {
        auth: `Basic ${Buffer.from(`AWS:${pw}`).toString('base64')}`,
      });
      assertRefused(r, 401, 'UNAUTHORIZED', pw.slice(0, 40));
      assert.match(String(r.headers['www-authenticate']), challenge);
    }
    const other = await startServer();
    try {
      const o = await other.createAccount('elsewhere');
      const foreign = await registryLogin(ecrClient(other.endpoint, o));
      const r = await v2('GET', '/v2/', { auth: foreign.header });
      assertRefused(r, 401, 'UNAUTHORIZED', 'a token of another server');
    } finally {
      await other.stop();
    }
  });

  test('an expired token: 401 with the challenge and ECR’s sentence, at 12 hours of the injected clock', async () => {
    const fresh = await registryLogin(ecrA);
    const bytes = randomBytes(100);
    try {
      advanced += 12 * HOUR - 1000;
      assert.equal((await v2('GET', `/v2/${name}/tags/list`, { auth: fresh.header })).status, 200);
      advanced += 1000;
      const r = await v2('POST', `/v2/${name}/blobs/uploads/?digest=${sha256(bytes)}`, {
        auth: fresh.header,
        body: bytes,
      });
      assertRefused(r, 401, 'UNAUTHORIZED');
      assert.match(String(r.headers['www-authenticate']), challenge);
      assert.equal(r.message, 'Your authorization token has expired. Reauthenticate and try again.');
    } finally {
      advanced -= 12 * HOUR;
    }
    await assertNoBlob(sha256(bytes));
  });

  test('a token dies with its access key: deactivated, then deleted', async () => {
    const iam = new IAMClient({
      endpoint: t.endpoint,
      region: REGION,
      credentials: { accessKeyId: A.AccessKeyId, secretAccessKey: A.SecretAccessKey },
      maxAttempts: 1,
    });
    await iam.send(new CreateUserCommand({ UserName: 'short-lived' }));
    await iam.send(
      new PutUserPolicyCommand({
        UserName: 'short-lived',
        PolicyName: 'all',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'ecr:*', Resource: '*' }],
        }),
      }),
    );
    const k = (await iam.send(new CreateAccessKeyCommand({ UserName: 'short-lived' }))).AccessKey!;
    const userEcr = ecrClient(t.endpoint, {
      accessKeyId: k.AccessKeyId!,
      secretAccessKey: k.SecretAccessKey!,
    });
    const login = await registryLogin(userEcr);
    assert.equal((await v2('GET', `/v2/${name}/tags/list`, { auth: login.header })).status, 200);
    await iam.send(
      new UpdateAccessKeyCommand({
        UserName: 'short-lived',
        AccessKeyId: k.AccessKeyId!,
        Status: 'Inactive',
      }),
    );
    assertRefused(await v2('GET', `/v2/${name}/tags/list`, { auth: login.header }), 401, 'UNAUTHORIZED');
    await iam.send(
      new UpdateAccessKeyCommand({ UserName: 'short-lived', AccessKeyId: k.AccessKeyId!, Status: 'Active' }),
    );
    assert.equal((await v2('GET', `/v2/${name}/tags/list`, { auth: login.header })).status, 200);
    await iam.send(new DeleteAccessKeyCommand({ UserName: 'short-lived', AccessKeyId: k.AccessKeyId! }));
    assertRefused(await v2('GET', `/v2/${name}/tags/list`, { auth: login.header }), 401, 'UNAUTHORIZED');
  });

  test('a valid identity without permission: 403 DENIED with the IAM sentence, nothing stored', async () => {
    const arn = `arn:aws:ecr:${REGION}:${A.AccountId}:repository/${REPO}`;
    const sentence = (action: string) =>
      `User: ${loginOnly.arn} is not authorized to perform: ${action} on resource: ${arn} because no identity-based policy allows the ${action} action`;
    const base = await v2('GET', '/v2/', { auth: loginOnly.auth });
    assert.equal(base.status, 200, 'the token itself is valid');
    const bytes = randomBytes(512);
    const img = makeImage([5]);
    const requests: [string, string, string, Buffer | string | undefined][] = [
      ['GET', `/v2/${name}/manifests/good`, 'ecr:BatchGetImage', undefined],
      ['HEAD', `/v2/${name}/blobs/${sha256(bytes)}`, 'ecr:BatchCheckLayerAvailability', undefined],
      ['GET', `/v2/${name}/blobs/${sha256(bytes)}`, 'ecr:GetDownloadUrlForLayer', undefined],
      ['POST', `/v2/${name}/blobs/uploads/`, 'ecr:InitiateLayerUpload', undefined],
      ['POST', `/v2/${name}/blobs/uploads/?digest=${sha256(bytes)}`, 'ecr:InitiateLayerUpload', bytes],
      ['PUT', `/v2/${name}/manifests/denied`, 'ecr:PutImage', img.manifest],
      ['GET', `/v2/${name}/tags/list`, 'ecr:ListImages', undefined],
      ['DELETE', `/v2/${name}/manifests/good`, 'ecr:BatchDeleteImage', undefined],
    ];
    for (const [method, path, action, body] of requests) {
      const r = await v2(method, path, {
        auth: loginOnly.auth,
        ...(body !== undefined && { body, headers: { 'Content-Type': OCI_MANIFEST } }),
      });
      assert.equal(r.status, 403, `${method} ${path}`);
      assert.equal(r.headers['www-authenticate'], undefined);
      if (method !== 'HEAD') {
        assert.deepEqual(r.codes, ['DENIED']);
        assert.equal(r.message, sentence(action));
      }
    }
    // A session of A's cannot be driven by the user either.
    const loc = await startUpload();
    const patch = await v2('PATCH', loc, { auth: loginOnly.auth, body: bytes });
    assertRefused(patch, 403, 'DENIED');
    assert.equal(patch.message, sentence('ecr:UploadLayerPart'));
    const status = await v2('GET', loc, { auth });
    assert.equal(status.headers.range, '0-0');
    await v2('DELETE', loc, { auth });
    await assertNoBlob(sha256(bytes));
    assert.ok(!(await imagesOf()).some((i) => i.endsWith(':denied')));
    assert.ok(
      (await imagesOf()).some((i) => i.endsWith(':good')),
      'the denied DELETE removed nothing',
    );
  });

  test('a token for another registry id still stands for its caller (GetAuthorizationToken registryIds)', async () => {
    const out = await ecrA.send(new GetAuthorizationTokenCommand({ registryIds: ['999999999999'] }));
    const header = `Basic ${out.authorizationData![0]!.authorizationToken!}`;
    assert.equal((await v2('GET', `/v2/${name}/tags/list`, { auth: header })).status, 200);
  });
});

test('no registry answer of this file was a 5xx', () => {
  assert.ok(statuses.length > 100);
  assert.deepEqual(
    statuses.filter((s) => s.status >= 500),
    [],
  );
});
