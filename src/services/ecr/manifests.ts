/**
 * Pushed manifests, parsed and validated the way ECR's PutImage does before anything is stored:
 * Docker v2 schema 2 and manifest lists, OCI image manifests and indexes (with OCI 1.1
 * `artifactType`, `subject` and the empty config), and schema 1 (accepted, as ECR still does).
 * Pure: no store, no clock. What a manifest needs from its repository (linked blobs, child
 * manifests) is listed here and checked by `images.ts` in the transaction that stores it.
 *
 * The media type is the document's `mediaType` when it has one; the one the client declares
 * (registry `Content-Type`, API `imageManifestMediaType`) must then agree with it, else ECR's
 * InvalidParameterException. A document without `mediaType` takes the declared one; with neither,
 * schema 1 is recognised by `schemaVersion: 1` and anything else is ECR's "Invalid JSON syntax"
 * (aws/aws-sdk#193). The digest is always computed over the exact bytes, in the algorithm the
 * caller named (sha256 unless a push by `sha512:` digest), so a signed schema 1 manifest gets the
 * digest of its bytes rather than of its JWS payload (a documented deviation from Docker).
 */
import { digestOf, isDigest, type Digest, type DigestAlgorithm } from '../../store/blobs/BlobStore.js';
import { ServiceError } from '../errors.js';
import { jsonNestsDeeperThan, MAX_JSON_DEPTH } from '../json.js';

/** The manifest media types ECR accepts (shared/reference/ecr-api.md §7). */
export const MANIFEST_MEDIA_TYPES = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
} as const;

/** The OCI 1.1 empty descriptor's media type (config of artifacts without one). */
export const OCI_EMPTY_MEDIA_TYPE = 'application/vnd.oci.empty.v1+json';

/** ECR's manifest size limit: `imageManifest` is 1–4,194,304 long. */
export const MANIFEST_SIZE_LIMIT = 4 * 1024 * 1024;

/** What a manifest is: an image (or artifact) manifest, an index / manifest list, or schema 1. */
export type ManifestKind = 'image' | 'index' | 'schema1';

const KIND_OF: Readonly<Record<string, ManifestKind>> = {
  [MANIFEST_MEDIA_TYPES.dockerManifest]: 'image',
  [MANIFEST_MEDIA_TYPES.ociManifest]: 'image',
  [MANIFEST_MEDIA_TYPES.dockerManifestList]: 'index',
  [MANIFEST_MEDIA_TYPES.ociIndex]: 'index',
  [MANIFEST_MEDIA_TYPES.dockerSchema1]: 'schema1',
  [MANIFEST_MEDIA_TYPES.dockerSchema1Signed]: 'schema1',
};

/** Whether a media type is a manifest type ECR stores. */
export function isManifestMediaType(mediaType: string): boolean {
  return Object.hasOwn(KIND_OF, mediaType);
}

/** An OCI content descriptor as a manifest names it, validated. */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: Digest;
  readonly size: number;
  readonly artifactType?: string;
  readonly annotations?: Readonly<Record<string, string>>;
  /** Where a non-distributable (foreign) layer is fetched from instead of the registry. */
  readonly urls?: readonly string[];
}

/** A validated manifest and what it needs from its repository. */
export interface ParsedManifest {
  readonly kind: ManifestKind;
  /** The manifest's media type as stored and served (`Content-Type` on pull). */
  readonly mediaType: string;
  /** The digest of the exact bytes. */
  readonly digest: Digest;
  readonly bytes: Buffer;
  /** Image manifests: the config descriptor. */
  readonly config?: Descriptor;
  /** Image manifests: the layers (schema 1: one per `fsLayers` entry, size unknown → 0). */
  readonly layers: readonly Descriptor[];
  /** Indexes: the child manifests. */
  readonly manifests: readonly Descriptor[];
  /** OCI 1.1 `subject`: the manifest this one refers to (need not exist). */
  readonly subject?: Descriptor;
  /** The document's own `artifactType` (OCI 1.1). */
  readonly artifactType?: string;
  readonly annotations?: Readonly<Record<string, string>>;
  /** Blobs that must be linked into the repository (config and distributable layers), distinct. */
  readonly blobs: readonly Digest[];
  /** Manifests that must already be images of the repository (an index's children), distinct. */
  readonly children: readonly Digest[];
}

/**
 * The type the OCI referrers API reports for a manifest: its `artifactType`, else its config's
 * media type; absent for an index without `artifactType`.
 */
export function referrerArtifactType(m: ParsedManifest): string | undefined {
  return m.artifactType ?? m.config?.mediaType;
}

/** ECR's InvalidParameterException about the manifest, in its `Invalid parameter at` form. */
export function invalidManifest(constraint: string): ServiceError {
  return new ServiceError(
    'InvalidParameterException',
    `Invalid parameter at 'ImageManifest' failed to satisfy constraint: '${constraint}'`,
  );
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optionalString(doc: Json, key: string, where: string): string | undefined {
  const v = doc[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw invalidManifest(`${where}${key} must be a string`);
  return v;
}

function annotationsOf(v: unknown, where: string): Record<string, string> | undefined {
  if (v === undefined) return undefined;
  if (!isObject(v)) throw invalidManifest(`${where}annotations must be a map of strings`);
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string') throw invalidManifest(`${where}annotations must be a map of strings`);
    out[k] = x;
  }
  return out;
}

function descriptorOf(v: unknown, where: string): Descriptor {
  if (!isObject(v)) throw invalidManifest(`${where} must be a descriptor`);
  const mediaType = v.mediaType;
  if (typeof mediaType !== 'string' || mediaType === '')
    throw invalidManifest(`${where}.mediaType must be a non-empty string`);
  const digest = v.digest;
  if (typeof digest !== 'string' || !isDigest(digest))
    throw invalidManifest(`${where}.digest must be a sha256 or sha512 digest`);
  const size = v.size;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
    throw invalidManifest(`${where}.size must be a non-negative integer`);
  const artifactType = optionalString(v, 'artifactType', `${where}.`);
  const annotations = annotationsOf(v.annotations, `${where}.`);
  let urls: string[] | undefined;
  if (v.urls !== undefined) {
    if (!Array.isArray(v.urls) || v.urls.some((u) => typeof u !== 'string'))
      throw invalidManifest(`${where}.urls must be a list of strings`);
    urls = v.urls as string[];
  }
  return {
    mediaType,
    digest,
    size,
    ...(artifactType !== undefined && { artifactType }),
    ...(annotations !== undefined && { annotations }),
    ...(urls !== undefined && { urls }),
  };
}

function descriptorList(v: unknown, key: string): Descriptor[] {
  if (!Array.isArray(v)) throw invalidManifest(`${key} must be a list of descriptors`);
  return v.map((d, i) => descriptorOf(d, `${key}[${i}]`));
}

/**
 * A layer the registry does not hold: Docker foreign layers and OCI non-distributable layers that
 * name `urls` are fetched from elsewhere, so they need not be linked (as distribution treats them).
 */
function isExternalLayer(d: Descriptor): boolean {
  return (
    d.urls !== undefined &&
    d.urls.length > 0 &&
    (d.mediaType.includes('.foreign.') || d.mediaType.includes('.nondistributable.'))
  );
}

function distinct(digests: readonly Digest[]): Digest[] {
  return [...new Set(digests)];
}

/** The document's media type, reconciled with the declared one; see the module comment. */
function mediaTypeOf(doc: Json, declared: string | undefined): string {
  const own = doc.mediaType;
  if (own !== undefined && typeof own !== 'string') throw invalidManifest('Invalid JSON syntax');
  if (own !== undefined && declared !== undefined && own !== declared) {
    throw new ServiceError(
      'InvalidParameterException',
      `Invalid parameter at 'imageManifestMediaType' failed to satisfy constraint: 'the manifest's mediaType '${own}' does not match '${declared}''`,
    );
  }
  const type = own ?? declared;
  if (type !== undefined) return type;
  if (doc.schemaVersion === 1) {
    return doc.signatures !== undefined
      ? MANIFEST_MEDIA_TYPES.dockerSchema1Signed
      : MANIFEST_MEDIA_TYPES.dockerSchema1;
  }
  throw invalidManifest('Invalid JSON syntax');
}

/** Options of {@link parseManifest}. */
export interface ParseManifestOptions {
  /** The media type the client declared (`Content-Type`, `imageManifestMediaType`); '' = none. */
  readonly mediaType?: string;
  /** The digest algorithm to name the manifest with (a push by `sha512:` digest). Default sha256. */
  readonly algorithm?: DigestAlgorithm;
}

/**
 * Parses and validates a pushed manifest. Throws ECR's `InvalidParameterException` for anything
 * that is not a manifest ECR would store: empty or over 4 MiB, not a JSON object, an unknown or
 * mismatching media type, a wrong `schemaVersion`, malformed descriptors or annotations.
 */
export function parseManifest(bytes: Uint8Array, opts: ParseManifestOptions = {}): ParsedManifest {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length === 0) throw invalidManifest('Member must have length greater than or equal to 1');
  if (buf.length > MANIFEST_SIZE_LIMIT)
    throw invalidManifest(`Member must have length less than or equal to ${MANIFEST_SIZE_LIMIT}`);
  if (jsonNestsDeeperThan(buf))
    throw invalidManifest(`JSON must not nest deeper than ${MAX_JSON_DEPTH} levels`);
  let doc: unknown;
  try {
    doc = JSON.parse(buf.toString('utf8'));
  } catch {
    throw invalidManifest('Invalid JSON syntax');
  }
  if (!isObject(doc)) throw invalidManifest('Invalid JSON syntax');
  const declared = opts.mediaType === undefined || opts.mediaType === '' ? undefined : opts.mediaType;
  const mediaType = mediaTypeOf(doc, declared);
  const kind = KIND_OF[mediaType];
  if (kind === undefined) {
    throw new ServiceError(
      'InvalidParameterException',
      `Invalid parameter at 'imageManifestMediaType' failed to satisfy constraint: 'unsupported manifest media type '${mediaType}''`,
    );
  }
  const digest = digestOf(buf, opts.algorithm ?? 'sha256');
  const base = { mediaType, digest, bytes: buf };
  if (kind === 'schema1') return schema1(doc, base);
  if (doc.schemaVersion !== 2) throw invalidManifest('schemaVersion must be 2');
  const artifactType = optionalString(doc, 'artifactType', '');
  const annotations = annotationsOf(doc.annotations, '');
  const subject = doc.subject === undefined ? undefined : descriptorOf(doc.subject, 'subject');
  const common = {
    ...base,
    ...(subject !== undefined && { subject }),
    ...(artifactType !== undefined && { artifactType }),
    ...(annotations !== undefined && { annotations }),
  };
  if (kind === 'index') {
    const manifests = descriptorList(doc.manifests, 'manifests');
    return {
      ...common,
      kind,
      layers: [],
      manifests,
      blobs: [],
      children: distinct(manifests.map((m) => m.digest)),
    };
  }
  if (doc.config === undefined) throw invalidManifest('config is required');
  const config = descriptorOf(doc.config, 'config');
  const layers = descriptorList(doc.layers, 'layers');
  const blobs = [config.digest, ...layers.filter((l) => !isExternalLayer(l)).map((l) => l.digest)];
  return { ...common, kind, config, layers, manifests: [], blobs: distinct(blobs), children: [] };
}

function schema1(doc: Json, base: { mediaType: string; digest: Digest; bytes: Buffer }): ParsedManifest {
  if (doc.schemaVersion !== 1) throw invalidManifest('schemaVersion must be 1');
  const fsLayers = doc.fsLayers;
  if (!Array.isArray(fsLayers) || fsLayers.length === 0)
    throw invalidManifest('fsLayers must be a non-empty list');
  const layers: Descriptor[] = fsLayers.map((l, i) => {
    const blobSum = isObject(l) ? l.blobSum : undefined;
    if (typeof blobSum !== 'string' || !isDigest(blobSum))
      throw invalidManifest(`fsLayers[${i}].blobSum must be a sha256 or sha512 digest`);
    return {
      mediaType: 'application/vnd.docker.container.image.rootfs.diff+x-gtar',
      digest: blobSum,
      size: 0,
    };
  });
  return {
    ...base,
    kind: 'schema1',
    layers,
    manifests: [],
    blobs: distinct(layers.map((l) => l.digest)),
    children: [],
  };
}
