// The registry over HTTP on port 0 against the in-memory fake backend: every route, status code,
// header and error code, the spec's edge cases and bad input. Raw `node:http` requests, so that
// paths reach the server exactly as written (no `..` normalisation).
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Agent, createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ServiceError } from '../services/errors.js';
import { createRegistryHandler, isRegistryPath } from './index.js';
import { MANIFEST_LIMIT } from './manifests.js';
import { FakeRegistryBackend } from './testkit.js';

const A = '111111111111';
const B = '222222222222';
const TOKEN_A = 'token-for-account-a';
const TOKEN_B = 'token-for-user-in-b';
const auth = (token: string) => `Basic ${Buffer.from(`AWS:${token}`).toString('base64')}`;
const AUTH_A = auth(TOKEN_A);
const AUTH_B = auth(TOKEN_B);
const sha256 = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const APP = { accountId: A, region: 'us-east-1', name: 'app' };

interface Res {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  json(): any;
}

interface Req {
  method?: string;
  path: string;
  headers?: Record<string, string | number>;
  body?: Buffer | string | Buffer[];
  /** Send the body with chunked encoding (no Content-Length). */
  chunked?: boolean;
  agent?: Agent;
  /** Authorization: defaults to account A's token; `null` sends none. */
  auth?: string | null;
}

let port = 0;
let server: Server;
const fake = new FakeRegistryBackend();
const logged: object[] = [];

function call(r: Req): Promise<Res> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...r.headers };
    const authz = r.auth === undefined ? AUTH_A : r.auth;
    if (authz !== null) headers.Authorization = authz;
    const chunks = r.body === undefined ? [] : Array.isArray(r.body) ? r.body : [Buffer.from(r.body)];
    if (!r.chunked && r.body !== undefined && headers['Content-Length'] === undefined) {
      headers['Content-Length'] = chunks.reduce((n, c) => n + c.length, 0);
    }
    const req = request(
      { host: '127.0.0.1', port, method: r.method ?? 'GET', path: r.path, headers, agent: r.agent ?? false },
      (res) => {
        const body: Buffer[] = [];
        res.on('data', (c: Buffer) => body.push(c));
        res.on('end', () => {
          const b = Buffer.concat(body);
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            body: b,
            json: () => JSON.parse(b.toString()),
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    for (const c of chunks) req.write(c);
    req.end();
  });
}

function code(r: Res): string {
  return r.json().errors[0].code;
}

before(async () => {
  fake.addToken(TOKEN_A, A);
  fake.addToken(TOKEN_B, B, 'ci');
  const handler = createRegistryHandler({
    backend: fake,
    defaultRegion: 'us-east-1',
    log: { error: (obj) => logged.push(obj) },
  });
  server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (isRegistryPath(path)) void handler(req, res);
    else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

beforeEach(() => {
  fake.repos.clear();
  fake.uploads.clear();
  fake.denied.clear();
  fake.calls.length = 0;
  fake.failNext = undefined;
  logged.length = 0;
  fake.createRepository(APP);
  fake.createRepository({ accountId: A, region: 'us-east-1', name: 'team/app' });
  fake.createRepository({ accountId: A, region: 'eu-west-1', name: 'app' });
  fake.createRepository({ accountId: B, region: 'us-east-1', name: 'base' });
});

/** Pushes config + layer blobs and an OCI image manifest; returns its digest and bytes. */
function seedImage(
  repo = APP,
  extra: Record<string, unknown> = {},
  layer = 'layer-bytes',
): { digest: string; bytes: Buffer; config: string; layer: string } {
  const config = fake.seedBlob(repo, Buffer.from('{"architecture":"amd64"}'));
  const layerDigest = fake.seedBlob(repo, Buffer.from(layer));
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: 24 },
    layers: [
      { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layerDigest, size: layer.length },
    ],
    ...extra,
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  return { digest: sha256(bytes), bytes, config, layer: layerDigest };
}

async function putManifest(
  name: string,
  ref: string,
  bytes: Buffer,
  type = 'application/vnd.oci.image.manifest.v1+json',
) {
  return call({
    method: 'PUT',
    path: `/v2/${name}/manifests/${ref}`,
    headers: { 'Content-Type': type },
    body: bytes,
  });
}

describe('authentication: every request, even /v2/, needs a valid token', () => {
  test('GET /v2/ without credentials is 401 with ECR’s Basic challenge', async () => {
    const r = await call({ path: '/v2/', auth: null });
    assert.equal(r.status, 401);
    assert.equal(
      r.headers['www-authenticate'],
      `Basic realm="http://127.0.0.1:${port}/",service="ecr.amazonaws.com"`,
    );
    assert.equal(r.headers['docker-distribution-api-version'], 'registry/2.0');
    assert.equal(code(r), 'UNAUTHORIZED');
  });

  const refused = [
    { name: 'a forged token', auth: auth('forged') },
    { name: 'a user other than AWS', auth: `Basic ${Buffer.from(`admin:${TOKEN_A}`).toString('base64')}` },
    { name: 'a Bearer token', auth: `Bearer ${TOKEN_A}` },
    { name: 'garbage', auth: 'Basic !!!' },
    { name: 'an 8 KiB header of garbage', auth: `Basic ${'A'.repeat(8192)}` },
  ];
  for (const c of refused) {
    test(`${c.name} is 401 with the challenge, so the client re-authenticates`, async () => {
      const r = await call({ path: `/v2/${A}/app/manifests/latest`, auth: c.auth });
      assert.equal(r.status, 401);
      assert.match(String(r.headers['www-authenticate']), /^Basic realm="/);
      assert.equal(code(r), 'UNAUTHORIZED');
      assert.equal(fake.calls.length, 0);
    });
  }

  test('a valid token on /v2/ is 200 with the API version header (docker login)', async () => {
    for (const path of ['/v2/', '/v2']) {
      const r = await call({ path });
      assert.equal(r.status, 200);
      assert.equal(r.headers['docker-distribution-api-version'], 'registry/2.0');
      assert.deepEqual(r.json(), {});
    }
    const h = await call({ method: 'HEAD', path: '/v2/' });
    assert.equal(h.status, 200);
    assert.equal(h.body.length, 0);
  });

  test('HEAD without credentials is 401 with the challenge and no body', async () => {
    const r = await call({ method: 'HEAD', path: `/v2/${A}/app/manifests/latest`, auth: null });
    assert.equal(r.status, 401);
    assert.ok(r.headers['www-authenticate']);
    assert.equal(r.body.length, 0);
  });

  test('a valid identity without permission is 403 DENIED with the IAM sentence', async () => {
    fake.denied.add('ecr:BatchGetImage');
    const r = await call({ path: `/v2/${A}/app/manifests/latest`, auth: AUTH_B });
    assert.equal(r.status, 403);
    assert.equal(r.headers['www-authenticate'], undefined);
    assert.equal(code(r), 'DENIED');
    assert.equal(
      r.json().errors[0].message,
      `User: arn:aws:iam::${B}:user/ci is not authorized to perform: ecr:BatchGetImage on resource: ` +
        `arn:aws:ecr:us-east-1:${A}:repository/app because no resource-based policy allows the ecr:BatchGetImage action`,
    );
  });

  test('headers beyond the server’s limit are refused by Node before the registry (431, not 5xx)', async () => {
    const r = await call({ path: '/v2/', headers: { 'X-Huge': 'x'.repeat(64 * 1024) } });
    assert.equal(r.status, 431);
  });
});

describe('addressing: path-style, path-style with region, host-style', () => {
  test('each style reaches its repository and Location keeps the style', async () => {
    const cases = [
      { host: undefined, name: `${A}/app`, repo: APP },
      {
        host: undefined,
        name: `${A}.eu-west-1/app`,
        repo: { accountId: A, region: 'eu-west-1', name: 'app' },
      },
      {
        host: undefined,
        name: `${A}/team/app`,
        repo: { accountId: A, region: 'us-east-1', name: 'team/app' },
      },
      {
        host: `${A}.dkr.ecr.eu-west-1.localhost:${port}`,
        name: 'app',
        repo: { accountId: A, region: 'eu-west-1', name: 'app' },
      },
      {
        host: `${A}.dkr.ecr.us-east-1.localhost`,
        name: 'team/app',
        repo: { accountId: A, region: 'us-east-1', name: 'team/app' },
      },
    ];
    for (const c of cases) {
      fake.calls.length = 0;
      const r = await call({
        method: 'POST',
        path: `/v2/${c.name}/blobs/uploads/`,
        headers: c.host === undefined ? {} : { Host: c.host },
      });
      assert.equal(r.status, 202, c.name);
      assert.deepEqual(fake.calls[0]?.repo, c.repo, c.name);
      assert.match(
        String(r.headers.location),
        new RegExp(`^/v2/${c.name}/blobs/uploads/[A-Za-z0-9-]+$`),
        c.name,
      );
    }
  });

  test('bad names and traversal are NAME_INVALID, and the backend is never asked', async () => {
    const paths = [
      `/v2/${A}/../${B}/base/tags/list`,
      `/v2/${A}/%2e%2e/${B}/base/tags/list`,
      `/v2/${A}/./app/tags/list`,
      `/v2/${A}//app/tags/list`,
      `/v2/${A}/App/tags/list`,
      `/v2/${A}/app%2fx/tags/list`,
      '/v2/library/ubuntu/manifests/latest',
      `/v2/${A}/tags/list`,
      `/v2/${A}/${'a'.repeat(300)}/tags/list`,
    ];
    for (const path of paths) {
      const r = await call({ path });
      assert.equal(r.status, 400, path);
      assert.equal(code(r), 'NAME_INVALID', path);
    }
    assert.equal(fake.calls.length, 0);
  });

  test('a repository that does not exist is 404 NAME_UNKNOWN with ECR’s message', async () => {
    const r = await call({ path: `/v2/${A}/nope/manifests/latest` });
    assert.equal(r.status, 404);
    assert.equal(code(r), 'NAME_UNKNOWN');
    assert.equal(
      r.json().errors[0].message,
      `The repository with name 'nope' does not exist in the registry with id '${A}'`,
    );
  });

  test('a path naming no endpoint is 404 UNSUPPORTED; a wrong method is 405 with Allow', async () => {
    const none = await call({ path: `/v2/${A}/app/nothing` });
    assert.equal(none.status, 404);
    assert.equal(code(none), 'UNSUPPORTED');
    const wrong = await call({ method: 'POST', path: `/v2/${A}/app/tags/list` });
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.allow, 'GET');
    assert.equal(code(wrong), 'UNSUPPORTED');
  });
});

describe('manifests', () => {
  test('PUT by tag is 201 with Location, digest; GET and HEAD give the exact bytes back', async () => {
    const img = seedImage();
    const put = await putManifest(`${A}/app`, 'v1', img.bytes);
    assert.equal(put.status, 201);
    assert.equal(put.headers.location, `/v2/${A}/app/manifests/${img.digest}`);
    assert.equal(put.headers['docker-content-digest'], img.digest);
    assert.equal(put.headers['oci-subject'], undefined);
    assert.equal(put.headers['content-length'], '0');

    const accept =
      'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json;q=0.9';
    for (const ref of ['v1', img.digest]) {
      fake.calls.length = 0;
      const get = await call({ path: `/v2/${A}/app/manifests/${ref}`, headers: { Accept: accept } });
      assert.equal(get.status, 200);
      assert.deepEqual(get.body, img.bytes);
      assert.equal(get.headers['content-type'], 'application/vnd.oci.image.manifest.v1+json');
      assert.equal(get.headers['content-length'], String(img.bytes.length));
      assert.equal(get.headers['docker-content-digest'], img.digest);
      assert.deepEqual(fake.calls[0]?.args, [
        ref,
        [
          'application/vnd.oci.image.manifest.v1+json',
          'application/vnd.docker.distribution.manifest.v2+json',
        ],
      ]);
    }
    const head = await call({ method: 'HEAD', path: `/v2/${A}/app/manifests/v1` });
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    assert.equal(head.headers['content-length'], String(img.bytes.length));
    assert.equal(head.headers['docker-content-digest'], img.digest);
  });

  test('PUT by digest checks the body against the digest before the backend sees it', async () => {
    const img = seedImage();
    assert.equal((await putManifest(`${A}/app`, img.digest, img.bytes)).status, 201);
    fake.calls.length = 0;
    const bad = await putManifest(`${A}/app`, sha256('other'), img.bytes);
    assert.equal(bad.status, 400);
    assert.equal(code(bad), 'DIGEST_INVALID');
    assert.equal(fake.calls.length, 0);
  });

  test('a manifest with a subject is answered with OCI-Subject', async () => {
    const img = seedImage();
    await putManifest(`${A}/app`, 'v1', img.bytes);
    const ref = seedImage(APP, {
      artifactType: 'application/vnd.example.sbom',
      subject: {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: img.digest,
        size: img.bytes.length,
      },
    });
    const r = await putManifest(`${A}/app`, ref.digest, ref.bytes);
    assert.equal(r.status, 201);
    assert.equal(r.headers['oci-subject'], img.digest);
  });

  test('re-pushing the identical manifest under its tag is a success', async () => {
    const img = seedImage();
    await putManifest(`${A}/app`, 'v1', img.bytes);
    const again = await putManifest(`${A}/app`, 'v1', img.bytes);
    assert.equal(again.status, 201);
    assert.equal(again.headers['docker-content-digest'], img.digest);
  });

  test('bad manifests come back with the backend’s verdict', async () => {
    const img = seedImage();
    const missing = seedImage(APP, {
      layers: [
        { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256('never pushed'), size: 12 },
      ],
    });
    const cases = [
      {
        name: 'garbage bytes',
        body: Buffer.from('\x00\x01 not json'),
        status: 400,
        code: 'MANIFEST_INVALID',
      },
      { name: 'an empty body', body: Buffer.alloc(0), status: 400, code: 'MANIFEST_INVALID' },
      { name: 'JSON of another shape', body: Buffer.from('[1,2,3]'), status: 400, code: 'MANIFEST_INVALID' },
      { name: 'a layer never pushed', body: missing.bytes, status: 400, code: 'MANIFEST_BLOB_UNKNOWN' },
      {
        name: 'a Content-Type that contradicts mediaType',
        body: img.bytes,
        type: 'application/vnd.docker.distribution.manifest.v2+json',
        status: 400,
        code: 'MANIFEST_INVALID',
      },
    ];
    for (const c of cases) {
      fake.calls.length = 0;
      const r = await putManifest(`${A}/app`, 'bad', c.body, c.type);
      assert.equal(r.status, c.status, c.name);
      assert.equal(code(r), c.code, c.name);
      assert.equal(fake.calls[0]?.method, 'putManifest', `${c.name}: passed through to the backend`);
    }
    assert.equal(fake.repo(APP).tags.has('bad'), false);
  });

  test('a manifest over 4 MiB is 413 SIZE_INVALID, declared or streamed, and is not stored', async () => {
    const huge = Buffer.alloc(MANIFEST_LIMIT + 1, 0x20);
    const declared = await putManifest(`${A}/app`, 'big', huge);
    assert.equal(declared.status, 413);
    assert.equal(code(declared), 'SIZE_INVALID');
    const chunked = await call({
      method: 'PUT',
      path: `/v2/${A}/app/manifests/big`,
      headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
      body: [huge.subarray(0, 1 << 20), huge.subarray(1 << 20)],
      chunked: true,
    });
    assert.equal(chunked.status, 413);
    const endless = await call({
      method: 'PUT',
      path: `/v2/${A}/app/manifests/big`,
      headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
      body: Array.from({ length: 24 }, () => Buffer.alloc(1 << 20, 0x20)),
      chunked: true,
    });
    assert.equal(endless.status, 413, 'a 24 MiB chunked body is cut short with an answer, not a reset');
    assert.equal(code(endless), 'SIZE_INVALID');
    assert.equal(fake.calls.length, 0);
    // exactly 4 MiB is read and handed on
    const edge = await putManifest(`${A}/app`, 'edge', Buffer.alloc(MANIFEST_LIMIT, 0x20));
    assert.equal(code(edge), 'MANIFEST_INVALID');
  });

  test('an immutable tag is 400 TAG_INVALID with ECR’s message', async () => {
    fake.repo(APP).immutable = true;
    const one = seedImage();
    const two = seedImage(APP, {}, 'other layer');
    await putManifest(`${A}/app`, 'v1', one.bytes);
    const r = await putManifest(`${A}/app`, 'v1', two.bytes);
    assert.equal(r.status, 400);
    assert.equal(code(r), 'TAG_INVALID');
    assert.match(r.json().errors[0].message, /cannot be overwritten because the repository is immutable/);
  });

  test('unknown and malformed references', async () => {
    const cases = [
      { ref: 'nope', status: 404, code: 'MANIFEST_UNKNOWN', message: 'Requested image not found' },
      { ref: sha256('nope'), status: 404, code: 'MANIFEST_UNKNOWN' },
      { ref: 'sha256:totallywrong', status: 400, code: 'DIGEST_INVALID' },
      { ref: `sha384:${'a'.repeat(96)}`, status: 400, code: 'DIGEST_INVALID' },
      { ref: '-bad', status: 400, code: 'TAG_INVALID' },
      { ref: 'a'.repeat(129), status: 400, code: 'TAG_INVALID' },
    ];
    for (const c of cases) {
      const r = await call({ path: `/v2/${A}/app/manifests/${c.ref}` });
      assert.equal(r.status, c.status, c.ref);
      assert.equal(code(r), c.code, c.ref);
      if (c.message !== undefined) assert.equal(r.json().errors[0].message, c.message);
      const h = await call({ method: 'HEAD', path: `/v2/${A}/app/manifests/${c.ref}` });
      assert.equal(h.status, c.status, c.ref);
      assert.equal(h.body.length, 0);
    }
  });

  test('DELETE by tag removes the tag; by digest the image and all its tags (202)', async () => {
    const img = seedImage();
    await putManifest(`${A}/app`, 'v1', img.bytes);
    await putManifest(`${A}/app`, 'v2', img.bytes);
    const delTag = await call({ method: 'DELETE', path: `/v2/${A}/app/manifests/v1` });
    assert.equal(delTag.status, 202);
    assert.equal((await call({ path: `/v2/${A}/app/manifests/v1` })).status, 404);
    assert.equal((await call({ path: `/v2/${A}/app/manifests/v2` })).status, 200);
    const delImage = await call({ method: 'DELETE', path: `/v2/${A}/app/manifests/${img.digest}` });
    assert.equal(delImage.status, 202);
    assert.equal((await call({ path: `/v2/${A}/app/manifests/v2` })).status, 404);
    assert.equal((await call({ path: `/v2/${A}/app/manifests/${img.digest}` })).status, 404);
    assert.deepEqual((await call({ path: `/v2/${A}/app/tags/list` })).json().tags, []);
    const again = await call({ method: 'DELETE', path: `/v2/${A}/app/manifests/${img.digest}` });
    assert.equal(again.status, 404);
    assert.equal(code(again), 'MANIFEST_UNKNOWN');
  });
});

describe('blobs', () => {
  const bytes = Buffer.from('0123456789');
  let d = '';
  beforeEach(() => {
    d = fake.seedBlob(APP, bytes);
  });

  test('HEAD gives size and digest without a body; GET the bytes', async () => {
    const h = await call({ method: 'HEAD', path: `/v2/${A}/app/blobs/${d}` });
    assert.equal(h.status, 200);
    assert.equal(h.headers['content-length'], '10');
    assert.equal(h.headers['docker-content-digest'], d);
    assert.equal(h.body.length, 0);
    const g = await call({ path: `/v2/${A}/app/blobs/${d}` });
    assert.equal(g.status, 200);
    assert.deepEqual(g.body, bytes);
    assert.equal(g.headers['docker-content-digest'], d);
    assert.equal(g.headers['content-type'], 'application/octet-stream');
  });

  test('a blob unknown to the repository is 404 BLOB_UNKNOWN, HEAD included', async () => {
    const g = await call({ path: `/v2/${A}/app/blobs/${sha256('nope')}` });
    assert.equal(g.status, 404);
    assert.equal(code(g), 'BLOB_UNKNOWN');
    const h = await call({ method: 'HEAD', path: `/v2/${A}/app/blobs/${sha256('nope')}` });
    assert.equal(h.status, 404);
    assert.equal(h.body.length, 0);
    // blobs are scoped per repository
    const other = await call({ path: `/v2/${A}/team/app/blobs/${d}` });
    assert.equal(other.status, 404);
  });

  test('the empty blob is served with Content-Length 0', async () => {
    const empty = fake.seedBlob(APP, Buffer.alloc(0));
    const g = await call({ path: `/v2/${A}/app/blobs/${empty}` });
    assert.equal(g.status, 200);
    assert.equal(g.headers['content-length'], '0');
    assert.equal(g.body.length, 0);
  });

  test('Range requests: 206 with Content-Range, 416 when unsatisfiable, ignored when odd', async () => {
    const cases = [
      { range: 'bytes=2-5', status: 206, body: '2345', contentRange: 'bytes 2-5/10' },
      { range: 'bytes=7-', status: 206, body: '789', contentRange: 'bytes 7-9/10' },
      { range: 'bytes=-3', status: 206, body: '789', contentRange: 'bytes 7-9/10' },
      { range: 'bytes=0-999', status: 206, body: '0123456789', contentRange: 'bytes 0-9/10' },
      { range: 'bytes=10-', status: 416, contentRange: 'bytes */10' },
      { range: 'bytes=0-1,3-4', status: 200, body: '0123456789' },
      { range: 'lines=1-2', status: 200, body: '0123456789' },
    ];
    for (const c of cases) {
      const r = await call({ path: `/v2/${A}/app/blobs/${d}`, headers: { Range: c.range } });
      assert.equal(r.status, c.status, c.range);
      if (c.body !== undefined) assert.equal(r.body.toString(), c.body, c.range);
      if (c.contentRange !== undefined) assert.equal(r.headers['content-range'], c.contentRange, c.range);
      if (c.status === 206) assert.equal(r.headers['content-length'], String(c.body!.length));
      if (c.status === 416) assert.equal(code(r), 'RANGE_INVALID');
    }
  });

  test('a large blob streams through intact', async () => {
    const big = Buffer.alloc(8 * 1024 * 1024 + 3);
    for (let i = 0; i < big.length; i += 4096) big[i] = i & 0xff;
    const bd = fake.seedBlob(APP, big);
    const g = await call({ path: `/v2/${A}/app/blobs/${bd}` });
    assert.equal(g.status, 200);
    assert.equal(sha256(g.body), bd);
  });

  test('bad digests are DIGEST_INVALID; DELETE is 405 UNSUPPORTED as ECR', async () => {
    for (const bad of ['sha256:xyz', 'sha256', `SHA256:${'a'.repeat(64)}`]) {
      const r = await call({ path: `/v2/${A}/app/blobs/${bad}` });
      assert.equal(r.status, 400, bad);
      assert.equal(code(r), 'DIGEST_INVALID', bad);
    }
    const del = await call({ method: 'DELETE', path: `/v2/${A}/app/blobs/${d}` });
    assert.equal(del.status, 405);
    assert.equal(code(del), 'UNSUPPORTED');
    assert.equal((await call({ path: `/v2/${A}/app/blobs/${d}` })).status, 200);
  });
});

describe('uploads', () => {
  async function start(name = `${A}/app`): Promise<string> {
    const r = await call({ method: 'POST', path: `/v2/${name}/blobs/uploads/` });
    assert.equal(r.status, 202);
    return String(r.headers.location);
  }

  test('POST starts a session: 202, Location, Range 0-0, Docker-Upload-UUID', async () => {
    const r = await call({ method: 'POST', path: `/v2/${A}/app/blobs/uploads/` });
    assert.equal(r.status, 202);
    const id = String(r.headers['docker-upload-uuid']);
    assert.equal(r.headers.location, `/v2/${A}/app/blobs/uploads/${id}`);
    assert.equal(r.headers.range, '0-0');
    assert.equal(r.headers['content-length'], '0');
  });

  test('streamed: PATCH without Content-Range, then PUT ?digest= (201, Location, digest)', async () => {
    const loc = await start();
    const p = await call({ method: 'PATCH', path: loc, body: 'hello world', chunked: true });
    assert.equal(p.status, 202);
    assert.equal(p.headers.range, '0-10');
    assert.equal(p.headers.location, loc);
    const d = sha256('hello world');
    const put = await call({ method: 'PUT', path: `${loc}?digest=${d}` });
    assert.equal(put.status, 201);
    assert.equal(put.headers.location, `/v2/${A}/app/blobs/${d}`);
    assert.equal(put.headers['docker-content-digest'], d);
    assert.equal((await call({ path: `/v2/${A}/app/blobs/${d}` })).body.toString(), 'hello world');
  });

  test('chunked: in order is 202, a repeated or out-of-order chunk is 416 with the current Range', async () => {
    const data = Buffer.from('abcdefghijklmnopqrstuvwxy');
    const loc = await start();
    const patch = (from: number, to: number) =>
      call({
        method: 'PATCH',
        path: loc,
        headers: { 'Content-Range': `${from}-${to}` },
        body: data.subarray(from, to + 1),
      });
    const first = await patch(0, 9);
    assert.equal(first.status, 202);
    assert.equal(first.headers.range, '0-9');
    const repeated = await patch(0, 9);
    assert.equal(repeated.status, 416);
    assert.equal(repeated.headers.range, '0-9');
    assert.equal(code(repeated), 'RANGE_INVALID');
    const skipped = await patch(15, 19);
    assert.equal(skipped.status, 416);
    assert.equal(skipped.headers.range, '0-9');
    const status = await call({ path: loc });
    assert.equal(status.status, 204);
    assert.equal(status.headers.range, '0-9');
    assert.equal(status.headers.location, loc);
    assert.equal((await patch(10, 19)).headers.range, '0-19');
    const d = sha256(data);
    const put = await call({
      method: 'PUT',
      path: `${loc}?digest=${d}`,
      headers: { 'Content-Range': '20-24', 'Content-Type': 'application/octet-stream' },
      body: data.subarray(20),
    });
    assert.equal(put.status, 201);
    assert.deepEqual(fake.repo(APP).blobs.get(d), data);
  });

  test('a final chunk at the wrong offset is 416; Content-Range vs Content-Length is SIZE_INVALID', async () => {
    const loc = await start();
    await call({ method: 'PATCH', path: loc, body: 'abc' });
    const put = await call({
      method: 'PUT',
      path: `${loc}?digest=${sha256('abcdef')}`,
      headers: { 'Content-Range': '5-7' },
      body: 'def',
    });
    assert.equal(put.status, 416);
    assert.equal(put.headers.range, '0-2');
    const mismatch = await call({
      method: 'PATCH',
      path: loc,
      headers: { 'Content-Range': '3-9' },
      body: 'de',
    });
    assert.equal(mismatch.status, 400);
    assert.equal(code(mismatch), 'SIZE_INVALID');
    const malformed = await call({
      method: 'PATCH',
      path: loc,
      headers: { 'Content-Range': 'bytes=x' },
      body: 'de',
    });
    assert.equal(malformed.status, 400);
    assert.equal(code(malformed), 'BLOB_UPLOAD_INVALID');
    const overflow = await call({
      method: 'PATCH',
      path: loc,
      headers: { 'Content-Range': '3-4' },
      body: 'defgh',
      chunked: true,
    });
    assert.equal(overflow.status, 400);
    assert.equal(code(overflow), 'SIZE_INVALID');
  });

  test('PUT with a wrong or missing digest is DIGEST_INVALID and stores nothing', async () => {
    const loc = await start();
    await call({ method: 'PATCH', path: loc, body: 'abc' });
    const wrong = await call({ method: 'PUT', path: `${loc}?digest=${sha256('xyz')}` });
    assert.equal(wrong.status, 400);
    assert.equal(code(wrong), 'DIGEST_INVALID');
    const missing = await call({ method: 'PUT', path: loc });
    assert.equal(code(missing), 'DIGEST_INVALID');
    const malformed = await call({ method: 'PUT', path: `${loc}?digest=sha256:abc` });
    assert.equal(code(malformed), 'DIGEST_INVALID');
    assert.equal(fake.repo(APP).blobs.size, 0);
  });

  test('the empty blob: POST then PUT with no body', async () => {
    const loc = await start();
    const d = sha256('');
    const put = await call({ method: 'PUT', path: `${loc}?digest=${d}` });
    assert.equal(put.status, 201);
    const g = await call({ path: `/v2/${A}/app/blobs/${d}` });
    assert.equal(g.status, 200);
    assert.equal(g.headers['content-length'], '0');
  });

  test('monolithic POST ?digest= is 201; a wrong digest is DIGEST_INVALID', async () => {
    const body = Buffer.from('monolithic blob');
    const d = sha256(body);
    const r = await call({
      method: 'POST',
      path: `/v2/${A}/app/blobs/uploads/?digest=${d}`,
      headers: { 'Content-Type': 'application/octet-stream' },
      body,
    });
    assert.equal(r.status, 201);
    assert.equal(r.headers.location, `/v2/${A}/app/blobs/${d}`);
    assert.equal(r.headers['docker-content-digest'], d);
    assert.equal((await call({ path: `/v2/${A}/app/blobs/${d}` })).status, 200);
    const bad = await call({
      method: 'POST',
      path: `/v2/${A}/app/blobs/uploads/?digest=${sha256('x')}`,
      body,
    });
    assert.equal(bad.status, 400);
    assert.equal(code(bad), 'DIGEST_INVALID');
  });

  test('mount: 201 when the blob is readable in `from`, else a normal session (202)', async () => {
    const d = fake.seedBlob({ accountId: B, region: 'us-east-1', name: 'base' }, Buffer.from('shared layer'));
    const mounted = await call({
      method: 'POST',
      path: `/v2/${A}/app/blobs/uploads/?mount=${d}&from=${B}/base`,
    });
    assert.equal(mounted.status, 201);
    assert.equal(mounted.headers.location, `/v2/${A}/app/blobs/${d}`);
    assert.equal(mounted.headers['docker-content-digest'], d);
    assert.equal((await call({ path: `/v2/${A}/app/blobs/${d}` })).status, 200);

    const cases = [
      { name: 'blob not in from', query: `mount=${sha256('absent')}&from=${B}/base` },
      { name: 'no from', query: `mount=${d}` },
      { name: 'from is not a name', query: `mount=${d}&from=../etc` },
      { name: 'from does not exist', query: `mount=${d}&from=${B}/nope` },
    ];
    for (const c of cases) {
      const r = await call({ method: 'POST', path: `/v2/${A}/team/app/blobs/uploads/?${c.query}` });
      assert.equal(r.status, 202, c.name);
      assert.match(String(r.headers.location), new RegExp(`^/v2/${A}/team/app/blobs/uploads/`), c.name);
    }
    fake.denied.add('ecr:GetDownloadUrlForLayer');
    const denied = await call({
      method: 'POST',
      path: `/v2/${A}/team/app/blobs/uploads/?mount=${d}&from=${B}/base`,
    });
    assert.equal(denied.status, 202, 'a mount the caller may not read falls back to an upload');
    fake.denied.add('ecr:InitiateLayerUpload');
    const pushDenied = await call({
      method: 'POST',
      path: `/v2/${A}/team/app/blobs/uploads/?mount=${d}&from=${B}/base`,
    });
    assert.equal(pushDenied.status, 403);
    const badDigest = await call({
      method: 'POST',
      path: `/v2/${A}/app/blobs/uploads/?mount=sha256:x&from=${B}/base`,
    });
    assert.equal(code(badDigest), 'DIGEST_INVALID');
  });

  test('DELETE cancels (204); the session is then BLOB_UPLOAD_UNKNOWN', async () => {
    const loc = await start();
    const del = await call({ method: 'DELETE', path: loc });
    assert.equal(del.status, 204);
    const gone = await call({ path: loc });
    assert.equal(gone.status, 404);
    assert.equal(code(gone), 'BLOB_UPLOAD_UNKNOWN');
    const patch = await call({ method: 'PATCH', path: loc, body: 'x' });
    assert.equal(code(patch), 'BLOB_UPLOAD_UNKNOWN');
  });

  test('an upload id of another repository or of a bad shape is BLOB_UPLOAD_UNKNOWN', async () => {
    const loc = await start();
    const id = loc.split('/').pop()!;
    const other = await call({ path: `/v2/${A}/team/app/blobs/uploads/${id}` });
    assert.equal(code(other), 'BLOB_UPLOAD_UNKNOWN');
    const bad = await call({ path: `/v2/${A}/app/blobs/uploads/bad.id$` });
    assert.equal(bad.status, 404);
    assert.equal(code(bad), 'BLOB_UPLOAD_UNKNOWN');
  });

  test('a refused chunk leaves the connection usable or closes it, never hangs', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const loc = await start();
      const small = await call({
        method: 'PATCH',
        path: loc,
        headers: { 'Content-Range': '5-9' },
        body: '56789',
        agent,
      });
      assert.equal(small.status, 416);
      const big = Buffer.alloc(2 * 1024 * 1024, 1);
      const large = await call({
        method: 'PATCH',
        path: loc,
        headers: { 'Content-Range': `7-${7 + big.length - 1}` },
        body: big,
        agent,
      });
      assert.equal(large.status, 416);
      assert.equal(large.headers.connection, 'close', 'a large unread body closes the connection');
      assert.equal(small.headers.connection, 'keep-alive', 'a small one is drained and the connection kept');
      assert.equal((await call({ path: loc, agent })).status, 204);
    } finally {
      agent.destroy();
    }
  });
});

describe('tags list', () => {
  beforeEach(() => {
    const r = fake.repo(APP);
    for (const t of ['e', 'a', 'c', 'b', 'd']) r.tags.set(t, sha256(t));
  });

  test('all tags in lexical order, with the name as addressed, and no Link', async () => {
    const r = await call({ path: `/v2/${A}/app/tags/list` });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json(), { name: `${A}/app`, tags: ['a', 'b', 'c', 'd', 'e'] });
    assert.equal(r.headers.link, undefined);
  });

  test('n and last paginate, Link leads to the next page until the end', async () => {
    let path: string | undefined = `/v2/${A}/app/tags/list?n=2`;
    const pages: string[][] = [];
    while (path !== undefined) {
      const r = await call({ path });
      assert.equal(r.status, 200);
      pages.push(r.json().tags);
      const link = r.headers.link as string | undefined;
      path = link === undefined ? undefined : /^<([^>]+)>; rel="next"$/.exec(link)![1];
    }
    assert.deepEqual(pages, [['a', 'b'], ['c', 'd'], ['e']]);
  });

  test('n=0 is an empty list without Link; last alone starts after it; bad n is 400', async () => {
    const zero = await call({ path: `/v2/${A}/app/tags/list?n=0` });
    assert.deepEqual(zero.json().tags, []);
    assert.equal(zero.headers.link, undefined);
    const after = await call({ path: `/v2/${A}/app/tags/list?last=c` });
    assert.deepEqual(after.json().tags, ['d', 'e']);
    const exact = await call({ path: `/v2/${A}/app/tags/list?n=5` });
    assert.equal(exact.headers.link, undefined);
    for (const n of ['abc', '-1', '1e3']) {
      const bad = await call({ path: `/v2/${A}/app/tags/list?n=${n}` });
      assert.equal(bad.status, 400, n);
      assert.equal(code(bad), 'PAGINATION_NUMBER_INVALID', n);
    }
  });

  test('an empty repository lists `[]`, never null; a missing one is NAME_UNKNOWN', async () => {
    const r = await call({ path: `/v2/${A}/team/app/tags/list` });
    assert.deepEqual(r.json(), { name: `${A}/team/app`, tags: [] });
    assert.equal(code(await call({ path: `/v2/${A}/nope/tags/list` })), 'NAME_UNKNOWN');
  });
});

describe('referrers', () => {
  test('an index of the manifests whose subject is the digest; filtered with OCI-Filters-Applied', async () => {
    const img = seedImage();
    await putManifest(`${A}/app`, 'v1', img.bytes);
    const subject = {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: img.digest,
      size: img.bytes.length,
    };
    const sbom = seedImage(APP, {
      artifactType: 'application/vnd.example.sbom',
      subject,
      annotations: { k: 'sbom' },
    });
    const sig = seedImage(APP, {
      artifactType: 'application/vnd.example.sig',
      subject,
      annotations: { k: 'sig' },
    });
    await putManifest(`${A}/app`, sbom.digest, sbom.bytes);
    await putManifest(`${A}/app`, sig.digest, sig.bytes);

    const all = await call({ path: `/v2/${A}/app/referrers/${img.digest}` });
    assert.equal(all.status, 200);
    assert.equal(all.headers['content-type'], 'application/vnd.oci.image.index.v1+json');
    assert.equal(all.headers['oci-filters-applied'], undefined);
    const index = all.json();
    assert.equal(index.schemaVersion, 2);
    assert.equal(index.mediaType, 'application/vnd.oci.image.index.v1+json');
    assert.deepEqual(
      index.manifests.map((m: any) => [m.digest, m.artifactType, m.annotations.k, m.size]).sort(),
      [
        [sbom.digest, 'application/vnd.example.sbom', 'sbom', sbom.bytes.length],
        [sig.digest, 'application/vnd.example.sig', 'sig', sig.bytes.length],
      ].sort(),
    );

    const filtered = await call({
      path: `/v2/${A}/app/referrers/${img.digest}?artifactType=application/vnd.example.sig`,
    });
    assert.equal(filtered.headers['oci-filters-applied'], 'artifactType');
    assert.deepEqual(
      filtered.json().manifests.map((m: any) => m.digest),
      [sig.digest],
    );
  });

  test('an unknown subject is 200 with an empty index; a bad digest is 400', async () => {
    const r = await call({ path: `/v2/${A}/app/referrers/${sha256('nothing')}` });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json().manifests, []);
    const bad = await call({ path: `/v2/${A}/app/referrers/sha256:nope` });
    assert.equal(bad.status, 400);
    assert.equal(code(bad), 'DIGEST_INVALID');
  });
});

describe('catalog', () => {
  test('path-style: the caller’s registry in the default region, names pullable as written', async () => {
    const r = await call({ path: '/v2/_catalog' });
    assert.deepEqual(r.json(), { repositories: [`${A}/app`, `${A}/team/app`] });
    const page = await call({ path: '/v2/_catalog?n=1' });
    assert.deepEqual(page.json().repositories, [`${A}/app`]);
    assert.equal(page.headers.link, `</v2/_catalog?n=1&last=${encodeURIComponent(`${A}/app`)}>; rel="next"`);
    const next = await call({ path: `/v2/_catalog?n=1&last=${A}/app` });
    assert.deepEqual(next.json().repositories, [`${A}/team/app`]);
  });

  test('host-style: the host’s registry, bare names', async () => {
    const r = await call({ path: '/v2/_catalog', headers: { Host: `${A}.dkr.ecr.eu-west-1.localhost` } });
    assert.deepEqual(r.json(), { repositories: ['app'] });
  });
});

describe('failures of the backend', () => {
  test('an unexpected error is a logged 500 that reveals nothing', async () => {
    fake.failNext = new Error('disk on fire at /secret/path');
    const r = await call({ path: `/v2/${A}/app/tags/list` });
    assert.equal(r.status, 500);
    assert.equal(code(r), 'UNKNOWN');
    assert.doesNotMatch(r.body.toString(), /fire|secret/);
    assert.equal(logged.length, 1);
  });

  test('throttling is 429 TOOMANYREQUESTS', async () => {
    fake.failNext = new ServiceError('ThrottlingException', 'Rate exceeded');
    const r = await call({ path: `/v2/${A}/app/tags/list` });
    assert.equal(r.status, 429);
    assert.equal(code(r), 'TOOMANYREQUESTS');
  });

  test('a storage failure in the middle of a blob cuts the connection instead of lying', async () => {
    const { Readable } = await import('node:stream');
    const d = sha256('whatever');
    const original = fake.openBlob.bind(fake);
    fake.openBlob = async () => ({
      size: 100,
      body: new Readable({
        read() {
          this.push(Buffer.alloc(10));
          this.destroy(new Error('disk gone'));
        },
      }),
    });
    try {
      await assert.rejects(call({ path: `/v2/${A}/app/blobs/${d}` }));
    } finally {
      fake.openBlob = original;
    }
  });
});
