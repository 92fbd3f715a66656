import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { digestOf, VerifyingStream } from './digest.js';
import { RegistryError } from './errors.js';
import { MediaTypes, parseManifest, parsePlatform, selectPlatform, type Descriptor } from './media.js';

const d = (c: string) => `sha256:${c.repeat(64)}`;
const desc = (c: string, extra: object = {}) => ({ mediaType: 'x', digest: d(c), size: 1, ...extra });

test('an image manifest: config, layers and subject', () => {
  const m = parseManifest(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaTypes.dockerManifest,
        config: desc('a'),
        layers: [desc('b')],
      }),
    ),
  );
  assert.equal(m.kind, 'image');
  assert.equal(m.mediaType, MediaTypes.dockerManifest);
  assert.deepEqual(m.kind === 'image' && m.layers.map((l) => l.digest), [d('b')]);
});

test('an OCI index without mediaType takes the Content-Type, and keeps platforms', () => {
  const m = parseManifest(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        manifests: [desc('a', { platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } })],
      }),
    ),
    'application/vnd.oci.image.index.v1+json; charset=utf-8',
  );
  assert.equal(m.kind, 'index');
  assert.equal(m.mediaType, MediaTypes.ociIndex);
  assert.deepEqual(m.kind === 'index' && m.manifests[0]!.platform, {
    os: 'linux',
    architecture: 'arm64',
    variant: 'v8',
  });
});

const invalid = [
  { name: 'not JSON', body: '{', code: 'MANIFEST_INVALID' },
  {
    name: 'a descriptor without a valid digest',
    body: JSON.stringify({ config: { mediaType: 'x', digest: 'sha256:1', size: 1 } }),
    code: 'MANIFEST_INVALID',
  },
  {
    name: 'a negative size',
    body: JSON.stringify({ config: desc('a', { size: -1 }) }),
    code: 'MANIFEST_INVALID',
  },
  { name: 'Docker schema 1', body: JSON.stringify({ schemaVersion: 1, fsLayers: [] }), code: 'UNSUPPORTED' },
];
for (const c of invalid)
  test(`${c.name} is refused`, () => {
    assert.throws(
      () => parseManifest(Buffer.from(c.body)),
      (e) => e instanceof RegistryError && e.code === c.code,
    );
  });

test('platform selection: os and architecture, and the variant when asked', () => {
  const list: Descriptor[] = [
    desc('a', { platform: { os: 'linux', architecture: 'amd64' } }),
    desc('b', { platform: { os: 'linux', architecture: 'arm', variant: 'v6' } }),
    desc('c', { platform: { os: 'linux', architecture: 'arm', variant: 'v7' } }),
  ];
  assert.equal(selectPlatform(list, parsePlatform('linux/arm'))?.digest, d('b'));
  assert.equal(selectPlatform(list, parsePlatform('linux/arm/v7'))?.digest, d('c'));
  assert.equal(selectPlatform(list, parsePlatform('windows/amd64')), undefined);
  assert.throws(() => parsePlatform('linux'), RegistryError);
});

const streams = [
  { name: 'the right bytes pass', bytes: 'hello', size: 5, code: undefined },
  { name: 'other bytes fail with DIGEST_INVALID', bytes: 'hellO', size: 5, code: 'DIGEST_INVALID' },
  { name: 'fewer bytes fail with SIZE_INVALID', bytes: 'hell', size: 5, code: 'SIZE_INVALID' },
  { name: 'more bytes fail with SIZE_INVALID', bytes: 'hello!', size: 5, code: 'SIZE_INVALID' },
];
for (const c of streams)
  test(`verifying stream: ${c.name}`, async () => {
    const v = Readable.from([Buffer.from(c.bytes)]).pipe(
      new VerifyingStream(digestOf(Buffer.from('hello')), c.size),
    );
    const read = (async () => {
      const out: Buffer[] = [];
      for await (const x of v) out.push(x as Buffer);
      return Buffer.concat(out).toString();
    })();
    if (c.code === undefined) assert.equal(await read, 'hello');
    else await assert.rejects(read, (e) => e instanceof RegistryError && e.code === c.code);
  });
