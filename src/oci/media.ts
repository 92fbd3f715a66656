/**
 * What the client reads of manifests: media types, descriptors, and the structure of an image
 * manifest (config and layers) or an index (child manifests with their platforms), for OCI and
 * Docker v2 alike, so that a copy or a cache can walk an image without knowing which format it got.
 */
import { isDigest } from './digest.js';
import { RegistryError } from './errors.js';

/** The manifest media types the client understands. */
export const MediaTypes = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
} as const;

/** The `Accept` header of a manifest request: every type above. */
export const MANIFEST_ACCEPT = Object.values(MediaTypes).join(', ');

/** A platform of an index entry (`linux/arm64/v8`). */
export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

/** A content descriptor: what a manifest says about a blob or another manifest. */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly platform?: Platform;
  readonly urls?: readonly string[];
  readonly annotations?: Readonly<Record<string, string>>;
  readonly artifactType?: string;
}

/** A manifest's structure: an index of manifests, or an image (config + layers). */
export type ManifestContent =
  | { readonly kind: 'index'; readonly mediaType: string; readonly manifests: readonly Descriptor[] }
  | {
      readonly kind: 'image';
      readonly mediaType: string;
      readonly config: Descriptor;
      readonly layers: readonly Descriptor[];
      readonly subject?: Descriptor;
    };

/** Whether a media type is an index (OCI image index or Docker manifest list). */
export function isIndexMediaType(mediaType: string): boolean {
  return mediaType === MediaTypes.ociIndex || mediaType === MediaTypes.dockerList;
}

/**
 * Whether a layer may not be copied to another registry: foreign (Windows base) and
 * non-distributable layers live at their `urls`, and registries are not expected to hold them.
 */
export function isNondistributable(d: Descriptor): boolean {
  return /\.(?:foreign|nondistributable)\./.test(d.mediaType);
}

function invalid(what: string, why: string): RegistryError {
  return new RegistryError('MANIFEST_INVALID', `${what}: ${why}`);
}

function descriptor(v: unknown, what: string): Descriptor {
  const o = v as Partial<Record<keyof Descriptor, unknown>> | null;
  if (typeof o !== 'object' || o === null) throw invalid(what, 'a descriptor is not an object');
  if (typeof o.digest !== 'string' || !isDigest(o.digest))
    throw invalid(what, 'a descriptor has no valid digest');
  if (typeof o.size !== 'number' || !Number.isSafeInteger(o.size) || o.size < 0)
    throw invalid(what, `descriptor ${o.digest} has no valid size`);
  if (typeof o.mediaType !== 'string') throw invalid(what, `descriptor ${o.digest} has no media type`);
  const p = o.platform as Partial<Record<keyof Platform, unknown>> | undefined;
  const platform =
    typeof p === 'object' && p !== null && typeof p.os === 'string' && typeof p.architecture === 'string'
      ? {
          os: p.os,
          architecture: p.architecture,
          ...(typeof p.variant === 'string' && { variant: p.variant }),
        }
      : undefined;
  return {
    mediaType: o.mediaType,
    digest: o.digest,
    size: o.size,
    ...(platform !== undefined && { platform }),
    ...(Array.isArray(o.urls) && { urls: o.urls.filter((u): u is string => typeof u === 'string') }),
    ...(typeof o.annotations === 'object' &&
      o.annotations !== null && { annotations: o.annotations as Record<string, string> }),
    ...(typeof o.artifactType === 'string' && { artifactType: o.artifactType }),
  };
}

/**
 * Reads a manifest's structure from its bytes. The media type is the body's `mediaType` field
 * when it has one, else the `Content-Type` the registry sent (OCI manifests may omit the field).
 */
export function parseManifest(bytes: Buffer, contentType?: string, what = 'manifest'): ManifestContent {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw invalid(what, 'not JSON');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw invalid(what, 'not a JSON object');
  const declared = typeof doc.mediaType === 'string' ? doc.mediaType : undefined;
  const type = declared ?? contentType?.split(';')[0]?.trim();
  if (doc.schemaVersion === 1)
    throw new RegistryError('UNSUPPORTED', `${what}: Docker schema 1 manifests are not supported`);
  if (Array.isArray(doc.manifests) || (type !== undefined && isIndexMediaType(type))) {
    if (!Array.isArray(doc.manifests)) throw invalid(what, 'an index without `manifests`');
    return {
      kind: 'index',
      mediaType: type ?? MediaTypes.ociIndex,
      manifests: doc.manifests.map((m) => descriptor(m, what)),
    };
  }
  if (doc.config === undefined) throw invalid(what, 'neither `manifests` nor `config`');
  const layers = doc.layers ?? [];
  if (!Array.isArray(layers)) throw invalid(what, '`layers` is not a list');
  return {
    kind: 'image',
    mediaType: type ?? MediaTypes.ociManifest,
    config: descriptor(doc.config, what),
    layers: layers.map((l) => descriptor(l, what)),
    ...(doc.subject !== undefined && { subject: descriptor(doc.subject, what) }),
  };
}

/** `os/arch[/variant]`; throws on anything else. */
export function parsePlatform(s: string): Platform {
  const parts = s.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9._-]+$/i.test(p)))
    throw new RegistryError('UNSUPPORTED', `\`${s}\` is not a platform (os/arch[/variant])`);
  return { os: parts[0]!, architecture: parts[1]!, ...(parts[2] !== undefined && { variant: parts[2] }) };
}

/** `os/arch[/variant]`. */
export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, ...(p.variant !== undefined ? [p.variant] : [])].join('/');
}

/**
 * The entry of an index for a platform: os and architecture equal, and the variant too when
 * one is asked for (`linux/arm64` takes any arm64 entry, the first in the index's order).
 */
export function selectPlatform(manifests: readonly Descriptor[], want: Platform): Descriptor | undefined {
  return manifests.find(
    (m) =>
      m.platform !== undefined &&
      m.platform.os === want.os &&
      m.platform.architecture === want.architecture &&
      (want.variant === undefined || m.platform.variant === want.variant),
  );
}
