/**
 * Image references as docker and skopeo read them: `[host[:port]/]path[:tag][@digest]`, where
 * the first component is a registry host when it has a dot or a port or is `localhost`, and
 * Docker Hub is the registry otherwise (`alpine` is `docker.io/library/alpine`). A `docker://`
 * (skopeo) or `http(s)://` prefix is accepted; the scheme is kept for the registry's URL.
 */
import { isDigest } from './digest.js';
import { RegistryError } from './errors.js';

/** What an image reference names. */
export interface ImageReference {
  /** `host[:port]`, lowercased: the key auth files use (`docker.io` for Docker Hub). */
  readonly registry: string;
  /** The repository path, as the registry's `/v2/<name>/` takes it. */
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
  /** The scheme written in front of the reference, if any. */
  readonly scheme?: 'http' | 'https';
}

/** Docker Hub's name in references and auth files. */
export const DOCKER_HUB = 'docker.io';

/** The repository grammar of the distribution spec. */
const NAME = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/** Whether a repository name is valid (so that it is safe in a URL path). */
export function isRepositoryName(s: string): boolean {
  return s.length <= 255 && NAME.test(s);
}

/** Whether a tag is valid. */
export function isTag(s: string): boolean {
  return TAG.test(s);
}

/** Reads a reference; throws `RegistryError` with code `UNSUPPORTED` when it names no image. */
export function parseImageReference(input: string): ImageReference {
  let s = input.trim();
  let scheme: 'http' | 'https' | undefined;
  const m = /^(docker|https?):\/\//i.exec(s);
  if (m !== null) {
    const p = m[1]!.toLowerCase();
    if (p !== 'docker') scheme = p as 'http' | 'https';
    s = s.slice(m[0].length);
  }
  const bad = (why: string) => new RegistryError('UNSUPPORTED', `\`${input}\` ${why}`);
  let digest: string | undefined;
  const at = s.indexOf('@');
  if (at !== -1) {
    digest = s.slice(at + 1);
    s = s.slice(0, at);
    if (!isDigest(digest)) throw bad('has no valid digest after `@`');
  }
  let tag: string | undefined;
  const colon = s.lastIndexOf(':');
  if (colon > s.lastIndexOf('/')) {
    tag = s.slice(colon + 1);
    s = s.slice(0, colon);
    if (!isTag(tag)) throw bad('has no valid tag after `:`');
  }
  const slash = s.indexOf('/');
  const first = slash === -1 ? '' : s.slice(0, slash);
  const isHost = first !== '' && (/[.:]/.test(first) || first === 'localhost' || /^\[/.test(first));
  let registry = isHost ? first.toLowerCase() : DOCKER_HUB;
  let repository = isHost ? s.slice(slash + 1) : s;
  if (registry === 'index.docker.io' || registry === 'registry-1.docker.io') registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  if (!isRepositoryName(repository)) throw bad('has no valid repository name');
  return {
    registry,
    repository,
    ...(tag !== undefined && { tag }),
    ...(digest !== undefined && { digest }),
    ...(scheme !== undefined && { scheme }),
  };
}

/** Whether a `host[:port]` is this machine, where plain HTTP is the sensible default. */
export function isLoopback(host: string): boolean {
  const name = host.toLowerCase().replace(/:\d+$/, '');
  return (
    name === 'localhost' ||
    name.endsWith('.localhost') ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name) ||
    name === '[::1]'
  );
}

/**
 * The base URL of a registry: Docker Hub's API host for `docker.io`, plain HTTP on this machine
 * unless the reference said `https://`, HTTPS elsewhere.
 */
export function registryUrl(ref: Pick<ImageReference, 'registry' | 'scheme'>): URL {
  if (ref.registry === DOCKER_HUB) return new URL('https://registry-1.docker.io');
  const scheme = ref.scheme ?? (isLoopback(ref.registry) ? 'http' : 'https');
  return new URL(`${scheme}://${ref.registry}`);
}

/** The reference as text: `registry/repository[:tag][@digest]`. */
export function formatImageReference(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag !== undefined ? `:${ref.tag}` : ''}${
    ref.digest !== undefined ? `@${ref.digest}` : ''
  }`;
}
