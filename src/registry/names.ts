/**
 * What a registry URL names, validated before any storage is touched: repository names (OCI
 * grammar, several `/` components), tags, digests, upload ids, and crossdock's two addressing
 * styles (DESIGN.md):
 *
 * - path-style: `HOST:PORT/<accountId>/<repo>` (the server's default region) or
 *   `HOST:PORT/<accountId>.<region>/<repo>`; the first name component picks the registry;
 * - host-style: `Host: <accountId>.dkr.ecr.<region>.<domain>[:PORT]`, the whole name is the repo.
 *
 * Nothing here decodes percent-escapes: `%`, `.`-only components and empty components are not in
 * the grammar, so `..` and `%2e%2e` can never reach the backend as a name.
 */
import type { RepositoryRef } from '../services/ecr/registry.js';
import { OciError } from './errors.js';

/** One component of an OCI `<name>`. */
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
/** ECR's longest repository name; the whole path name is allowed its account prefix on top. */
const MAX_REPOSITORY_NAME = 256;
const ACCOUNT_COMPONENT = /^(\d{12})(?:\.([a-z]{2}(?:-[a-z]+)+-\d{1,2}))?$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const DIGEST = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
const UPLOAD_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** The registry a host-style `Host` header names. */
export interface HostRegistry {
  readonly accountId: string;
  readonly region: string;
}

/** A repository as addressed by one request, and the URL prefix answers must keep using. */
export interface Address {
  readonly repo: RepositoryRef;
  /** `/v2/<name as the client wrote it>`, so that `Location` keeps the request's style. */
  readonly base: string;
  /** The name as the client wrote it (`tags/list` answers it back). */
  readonly name: string;
}

/** Whether `name` follows the OCI `<name>` grammar (each component; at most 256 + 30 chars). */
export function isRepositoryName(name: string): boolean {
  if (name.length === 0 || name.length > MAX_REPOSITORY_NAME + 30) return false;
  for (const c of name.split('/')) if (!COMPONENT.test(c)) return false;
  return true;
}

/** Whether `s` is an OCI tag. */
export function isTag(s: string): boolean {
  return TAG.test(s);
}

/** Whether `s` is a digest crossdock stores (`sha256:` + 64 hex or `sha512:` + 128, lowercase). */
export function isDigest(s: string): boolean {
  return DIGEST.test(s);
}

/** A digest from a URL or query, or `DIGEST_INVALID` (before any backend call). */
export function requireDigest(s: string | null | undefined): string {
  if (s === null || s === undefined || !DIGEST.test(s)) {
    throw new OciError('DIGEST_INVALID', {
      message: 'invalid digest',
      detail: { digest: typeof s === 'string' ? s.slice(0, 160) : null },
    });
  }
  return s;
}

/** A manifest reference: a digest (`DIGEST_INVALID` when malformed) or a tag (`TAG_INVALID`). */
export function requireReference(s: string): string {
  if (s.includes(':')) return requireDigest(s);
  if (!TAG.test(s))
    throw new OciError('TAG_INVALID', { message: 'invalid tag', detail: { tag: s.slice(0, 160) } });
  return s;
}

/** An upload id from a URL; any other shape cannot name a session (`BLOB_UPLOAD_UNKNOWN`). */
export function requireUploadId(s: string): string {
  if (!UPLOAD_ID.test(s)) throw new OciError('BLOB_UPLOAD_UNKNOWN', { detail: { uuid: s.slice(0, 160) } });
  return s;
}

/**
 * The registry a host-style `Host` header names (`<account>.dkr.ecr.<region>.<domain>[:port]`,
 * case-insensitive), or `undefined` for any other host (path-style addressing applies).
 */
export function hostRegistry(host: string | undefined, domain: string): HostRegistry | undefined {
  if (host === undefined || host.length > 300) return undefined;
  let h = host.toLowerCase();
  const colon = h.lastIndexOf(':');
  if (colon !== -1 && !h.endsWith(']') && /^\d+$/.test(h.slice(colon + 1))) h = h.slice(0, colon);
  if (h.endsWith('.')) h = h.slice(0, -1);
  const suffix = `.${domain.toLowerCase()}`;
  if (!h.endsWith(suffix)) return undefined;
  // An AWS region name (never ECR Public's partition label, which is no region).
  const m = /^(\d{12})\.dkr\.ecr\.([a-z]{2}(?:-[a-z]+)+-\d{1,2})$/.exec(h.slice(0, -suffix.length));
  return m === null ? undefined : { accountId: m[1]!, region: m[2]! };
}

/** The first name component of ECR Public's path-style names: `HOST:PORT/public/<alias>/<repo>`. */
export const PUBLIC_PATH_PREFIX = 'public/';

/** Whether a `Host` header names ECR Public's registry: `public.ecr.<domain>[:port]`. */
export function isPublicHost(host: string | undefined, domain: string): boolean {
  if (host === undefined || host.length > 300) return false;
  let h = host.toLowerCase();
  const colon = h.lastIndexOf(':');
  if (colon !== -1 && !h.endsWith(']') && /^\d+$/.test(h.slice(colon + 1))) h = h.slice(0, colon);
  if (h.endsWith('.')) h = h.slice(0, -1);
  return h === `public.ecr.${domain.toLowerCase()}`;
}

/** A name of ECR Public's registry: the registry alias and the repository name after it. */
export interface PublicName {
  readonly alias: string;
  readonly repository: string;
}

/** ECR Public's registry aliases: 2–50 lowercase letters, digits, `-` and `_` (AWS's pattern). */
const PUBLIC_ALIAS = /^[a-z][a-z0-9]+(?:[._-][a-z0-9]+)*$/;

/**
 * The public registry name a request addresses — `public/<alias>/<repo>` path-style, or
 * `<alias>/<repo>` on the public host — or `undefined` when it addresses a private registry.
 * Throws `NAME_INVALID` for a public name with a bad alias or repository.
 */
export function publicName(pathName: string | undefined, publicHost: boolean): PublicName | undefined {
  if (pathName === undefined) return undefined;
  let rest: string;
  if (publicHost) rest = pathName;
  else if (pathName.startsWith(PUBLIC_PATH_PREFIX)) rest = pathName.slice(PUBLIC_PATH_PREFIX.length);
  else return undefined;
  const slash = rest.indexOf('/');
  const alias = slash === -1 ? '' : rest.slice(0, slash);
  const repository = slash === -1 ? '' : rest.slice(slash + 1);
  if (alias.length < 2 || alias.length > 50 || !PUBLIC_ALIAS.test(alias) || !isRepositoryName(repository))
    throw new OciError('NAME_INVALID', {
      message: 'a public repository is named <registry alias>/<repository>',
      detail: { name: pathName.slice(0, 300) },
    });
  if (repository.length > MAX_PUBLIC_REPOSITORY_NAME)
    throw new OciError('NAME_INVALID', {
      message: 'repository name too long',
      detail: { name: pathName.slice(0, 300) },
    });
  return { alias, repository };
}

/** ECR Public's longest repository name. */
const MAX_PUBLIC_REPOSITORY_NAME = 205;

/** The region a path name addresses, if it is recognisable; used before validation, for auth. */
export function regionHint(pathName: string | undefined, defaultRegion: string): string {
  if (pathName === undefined) return defaultRegion;
  const slash = pathName.indexOf('/');
  const m = ACCOUNT_COMPONENT.exec(slash === -1 ? pathName : pathName.slice(0, slash));
  return m?.[2] ?? defaultRegion;
}

/**
 * Resolves the `<name>` of a registry URL to the repository it addresses, in the style of the
 * request, or throws `NAME_INVALID` (bad grammar, traversal, no account component).
 */
export function resolveName(
  pathName: string,
  host: HostRegistry | undefined,
  defaultRegion: string,
): Address {
  const invalid = (message: string) =>
    new OciError('NAME_INVALID', { message, detail: { name: pathName.slice(0, 300) } });
  if (!isRepositoryName(pathName)) throw invalid('invalid repository name');
  if (host !== undefined) {
    if (pathName.length > MAX_REPOSITORY_NAME) throw invalid('repository name too long');
    return {
      repo: { accountId: host.accountId, region: host.region, name: pathName },
      base: `/v2/${pathName}`,
      name: pathName,
    };
  }
  const slash = pathName.indexOf('/');
  const m = slash === -1 ? null : ACCOUNT_COMPONENT.exec(pathName.slice(0, slash));
  if (m === null) {
    throw invalid(
      'repository name must start with a 12-digit registry id: <accountId>[.<region>]/<repository>',
    );
  }
  const name = pathName.slice(slash + 1);
  if (name.length > MAX_REPOSITORY_NAME) throw invalid('repository name too long');
  return {
    repo: { accountId: m[1]!, region: m[2] ?? defaultRegion, name },
    base: `/v2/${pathName}`,
    name: pathName,
  };
}

/** Like {@link resolveName} but `undefined` instead of throwing (a mount's `from`). */
export function tryResolveName(
  pathName: string,
  host: HostRegistry | undefined,
  defaultRegion: string,
): Address | undefined {
  try {
    return resolveName(pathName, host, defaultRegion);
  } catch {
    return undefined;
  }
}
