// parseManifest against every manifest kind ECR stores and the ways a push can be malformed: one
// table, each row a pushed document (and declared media type) with what the parser must answer.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { digestOf } from '../../store/blobs/BlobStore.js';
import { ServiceError } from '../errors.js';
import {
  MANIFEST_MEDIA_TYPES as MT,
  MANIFEST_SIZE_LIMIT,
  OCI_EMPTY_MEDIA_TYPE,
  parseManifest,
  referrerArtifactType,
  type ParsedManifest,
} from './manifests.js';

const d = (s: string) => digestOf(s);
const CONFIG = { mediaType: 'application/vnd.oci.image.config.v1+json', digest: d('config'), size: 6 };
const LAYER = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: d('layer'), size: 5 };
const json = (v: unknown) => Buffer.from(JSON.stringify(v));

interface Case {
  name: string;
  doc: Buffer;
  declared?: string;
  expect: Partial<Pick<ParsedManifest, 'kind' | 'mediaType' | 'artifactType'>> & {
    blobs?: string[];
    children?: string[];
    subject?: string;
    referrerType?: string;
  };
}

const ok: Case[] = [
  {
    name: 'an OCI image manifest names its config and layers as blobs',
    doc: json({ schemaVersion: 2, mediaType: MT.ociManifest, config: CONFIG, layers: [LAYER] }),
    declared: MT.ociManifest,
    expect: { kind: 'image', mediaType: MT.ociManifest, blobs: [CONFIG.digest, LAYER.digest], children: [] },
  },
  {
    name: 'a Docker v2 schema 2 manifest is an image manifest',
    doc: json({ schemaVersion: 2, mediaType: MT.dockerManifest, config: CONFIG, layers: [LAYER, LAYER] }),
    declared: MT.dockerManifest,
    expect: { kind: 'image', blobs: [CONFIG.digest, LAYER.digest] },
  },
  {
    name: 'a manifest without mediaType takes the declared type (Helm charts)',
    doc: json({ schemaVersion: 2, config: CONFIG, layers: [LAYER] }),
    declared: MT.ociManifest,
    expect: { kind: 'image', mediaType: MT.ociManifest },
  },
  {
    name: 'an undeclared push takes the document type',
    doc: json({ schemaVersion: 2, mediaType: MT.dockerManifestList, manifests: [] }),
    expect: { kind: 'index', mediaType: MT.dockerManifestList, children: [] },
  },
  {
    name: 'an OCI index names its manifests as children',
    doc: json({
      schemaVersion: 2,
      mediaType: MT.ociIndex,
      manifests: [
        { mediaType: MT.ociManifest, digest: d('amd64'), size: 10, platform: { os: 'linux' } },
        { mediaType: MT.ociManifest, digest: d('arm64'), size: 10 },
      ],
    }),
    declared: MT.ociIndex,
    expect: { kind: 'index', blobs: [], children: [d('amd64'), d('arm64')], referrerType: undefined },
  },
  {
    name: 'an OCI 1.1 artifact with the empty config and a subject reports its artifactType',
    doc: json({
      schemaVersion: 2,
      mediaType: MT.ociManifest,
      artifactType: 'application/vnd.example.sbom',
      config: { mediaType: OCI_EMPTY_MEDIA_TYPE, digest: d('{}'), size: 2 },
      layers: [LAYER],
      subject: { mediaType: MT.ociManifest, digest: d('subject'), size: 100 },
    }),
    declared: MT.ociManifest,
    expect: {
      artifactType: 'application/vnd.example.sbom',
      subject: d('subject'),
      referrerType: 'application/vnd.example.sbom',
    },
  },
  {
    name: 'an artifact without artifactType is typed by its config media type',
    doc: json({ schemaVersion: 2, mediaType: MT.ociManifest, config: CONFIG, layers: [] }),
    expect: { referrerType: CONFIG.mediaType, blobs: [CONFIG.digest] },
  },
  {
    name: 'foreign layers with urls need not be in the registry',
    doc: json({
      schemaVersion: 2,
      mediaType: MT.dockerManifest,
      config: CONFIG,
      layers: [
        {
          mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
          digest: d('windows'),
          size: 1,
          urls: ['https://example.com/layer'],
        },
        LAYER,
      ],
    }),
    expect: { blobs: [CONFIG.digest, LAYER.digest] },
  },
  {
    name: 'schema 1 is recognised by schemaVersion 1 and names its fsLayers',
    doc: json({ schemaVersion: 1, name: 'x', tag: 't', fsLayers: [{ blobSum: LAYER.digest }], history: [] }),
    expect: { kind: 'schema1', mediaType: MT.dockerSchema1, blobs: [LAYER.digest] },
  },
  {
    name: 'a signed schema 1 manifest is prettyjws',
    doc: json({ schemaVersion: 1, fsLayers: [{ blobSum: LAYER.digest }], signatures: [] }),
    expect: { kind: 'schema1', mediaType: MT.dockerSchema1Signed },
  },
];

const bad: { name: string; doc: Buffer; declared?: string; message: RegExp }[] = [
  { name: 'an empty body', doc: Buffer.alloc(0), message: /length greater than or equal to 1/ },
  {
    name: 'a body over 4 MiB',
    doc: Buffer.alloc(MANIFEST_SIZE_LIMIT + 1, 32),
    message: /less than or equal/,
  },
  { name: 'not JSON', doc: Buffer.from('{nope'), message: /Invalid JSON syntax/ },
  { name: 'a JSON array', doc: json([1]), message: /Invalid JSON syntax/ },
  {
    name: 'JSON nested 129 levels deep (refused before parsing: deep JSON parses slowly)',
    doc: Buffer.from(
      `{"schemaVersion":2,"mediaType":"${MT.ociManifest}","annotations":${'['.repeat(129)}${']'.repeat(129)}}`,
    ),
    message: /nest deeper than 128 levels/,
  },
  {
    name: 'no media type anywhere (ECR requires imageManifestMediaType)',
    doc: json({ schemaVersion: 2, config: CONFIG, layers: [] }),
    message: /Invalid JSON syntax/,
  },
  {
    name: 'a declared type that contradicts the document',
    doc: json({ schemaVersion: 2, mediaType: MT.ociIndex, manifests: [] }),
    declared: MT.ociManifest,
    message: /does not match/,
  },
  {
    name: 'an unsupported media type',
    doc: json({ schemaVersion: 2, mediaType: 'application/json', config: CONFIG, layers: [] }),
    message: /unsupported manifest media type/,
  },
  {
    name: 'schemaVersion 3',
    doc: json({ schemaVersion: 3, mediaType: MT.ociManifest, config: CONFIG, layers: [] }),
    message: /schemaVersion/,
  },
  {
    name: 'an image manifest without config (an index pushed as a manifest)',
    doc: json({ schemaVersion: 2, manifests: [] }),
    declared: MT.ociManifest,
    message: /config is required/,
  },
  {
    name: 'a descriptor with a malformed digest',
    doc: json({
      schemaVersion: 2,
      mediaType: MT.ociManifest,
      config: { ...CONFIG, digest: 'sha256:XYZ' },
      layers: [],
    }),
    message: /config.digest/,
  },
  {
    name: 'a descriptor with a negative size',
    doc: json({
      schemaVersion: 2,
      mediaType: MT.ociManifest,
      config: CONFIG,
      layers: [{ ...LAYER, size: -1 }],
    }),
    message: /layers\[0\].size/,
  },
  {
    name: 'annotations that are not strings',
    doc: json({
      schemaVersion: 2,
      mediaType: MT.ociManifest,
      config: CONFIG,
      layers: [],
      annotations: { a: 1 },
    }),
    message: /annotations/,
  },
  {
    name: 'layers that are not a list',
    doc: json({ schemaVersion: 2, mediaType: MT.ociManifest, config: CONFIG, layers: {} }),
    message: /layers must be a list/,
  },
  {
    name: 'schema 1 without layers',
    doc: json({ schemaVersion: 1, fsLayers: [] }),
    message: /fsLayers/,
  },
];

describe('parseManifest', () => {
  for (const c of ok) {
    test(c.name, () => {
      const m = parseManifest(c.doc, c.declared === undefined ? {} : { mediaType: c.declared });
      assert.equal(m.digest, digestOf(c.doc), 'the digest is the sha256 of the exact bytes');
      assert.ok(m.bytes.equals(c.doc));
      const e = c.expect;
      if (e.kind !== undefined) assert.equal(m.kind, e.kind);
      if (e.mediaType !== undefined) assert.equal(m.mediaType, e.mediaType);
      if (e.artifactType !== undefined) assert.equal(m.artifactType, e.artifactType);
      if (e.blobs !== undefined) assert.deepEqual(m.blobs, e.blobs);
      if (e.children !== undefined) assert.deepEqual(m.children, e.children);
      if (e.subject !== undefined) assert.equal(m.subject?.digest, e.subject);
      if ('referrerType' in e) assert.equal(referrerArtifactType(m), e.referrerType);
    });
  }
  for (const c of bad) {
    test(`refuses ${c.name} with InvalidParameterException`, () => {
      assert.throws(
        () => parseManifest(c.doc, c.declared === undefined ? {} : { mediaType: c.declared }),
        (e: unknown) =>
          e instanceof ServiceError && e.code === 'InvalidParameterException' && c.message.test(e.message),
      );
    });
  }
  test('a push by sha512 digest names the manifest with sha512', () => {
    const doc = json({ schemaVersion: 2, mediaType: MT.ociManifest, config: CONFIG, layers: [] });
    assert.equal(parseManifest(doc, { algorithm: 'sha512' }).digest, digestOf(doc, 'sha512'));
  });
});
