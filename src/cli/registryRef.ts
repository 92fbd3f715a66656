/**
 * Registry references as users type them on the command line and as credential helpers receive
 * them, read once for `crossdock login` and `docker-credential-crossdock`:
 *
 * - path-style crossdock: `HOST:PORT/<accountId>[.<region>][/<repository>][:tag|@digest]`;
 * - host-style: `<accountId>.dkr.ecr.<region>.<domain>[:PORT][/<repository>][:tag|@digest]`, which
 *   includes Amazon ECR itself (`<domain>` = `amazonaws.com`);
 * - either with an `http://` or `https://` prefix (a `proxyEndpoint` pasted as is).
 *
 * The grammar of names, tags, digests and the `<account>[.<region>]` component is the registry's
 * own (`registry/names.ts`): the CLI accepts exactly what the server will.
 */
import { hostRegistry, isDigest, isRepositoryName, isTag, tryResolveName } from '../registry/names.js';

/** What a registry reference names; `host` is the key registry clients file credentials under. */
export interface RegistryRef {
  /** `host[:port]`, lowercased, no scheme: what docker and skopeo look credentials up by. */
  readonly host: string;
  /** The scheme written in front of the reference, if any. */
  readonly scheme?: 'http' | 'https';
  /** `host` when the host name carries the registry, `path` when the first path component does. */
  readonly style: 'path' | 'host';
  /** Whether `host` is an Amazon ECR host name (`*.dkr.ecr.<region>.amazonaws.com`). */
  readonly aws: boolean;
  readonly accountId?: string;
  /** The region the reference names; absent when it leaves it to the server's default. */
  readonly region?: string;
  readonly repository?: string;
  readonly tag?: string;
  readonly digest?: string;
}

/** A reference that cannot name a registry; the message says which part is wrong. */
export class RegistryRefError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegistryRefError';
  }
}

/** ECR's registry host names, commercial and China partitions, FIPS endpoints included. */
const ECR_HOST = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/;
/** A host-style host of any domain: `<account>.dkr.ecr.<region>.<domain>`. */
const HOST_STYLE = /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.(.+)$/;

/** Splits `host[:port]` (IPv6 in brackets) into the host name and the port text. */
function splitPort(host: string): { name: string; port?: string } {
  const m = /^(\[[^\]]+\]|[^:]*)(?::(\d+))?$/.exec(host);
  if (m === null) return { name: host };
  return { name: m[1]!, ...(m[2] !== undefined && { port: m[2] }) };
}

/** Whether a `host[:port]` is an Amazon ECR registry host (credentials come from AWS itself). */
export function isEcrHost(host: string): boolean {
  return ECR_HOST.test(splitPort(host.toLowerCase()).name);
}

/** Whether a `host[:port]` is this machine: plain HTTP is then the sensible default. */
export function isLoopbackHost(host: string): boolean {
  const name = splitPort(host.toLowerCase()).name;
  return (
    name === 'localhost' ||
    name.endsWith('.localhost') ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name) ||
    name === '[::1]'
  );
}

/**
 * The registry host a credential helper is asked about: docker sends `host[:port]` for most
 * registries but URLs (`https://host/v1/`) for some, and config files carry either form.
 */
export function normalizeServerUrl(serverUrl: string): string {
  let s = serverUrl.trim().toLowerCase();
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//.exec(s);
  if (scheme !== null) s = s.slice(scheme[0].length);
  const slash = s.indexOf('/');
  if (slash !== -1) s = s.slice(0, slash);
  return s.endsWith('.') ? s.slice(0, -1) : s;
}

/** Splits the last path component's `:tag` and `@digest` off a repository path. */
function splitReference(path: string): { name: string; tag?: string; digest?: string } {
  let name = path;
  let digest: string | undefined;
  const at = name.indexOf('@');
  if (at !== -1) {
    digest = name.slice(at + 1);
    name = name.slice(0, at);
    if (!isDigest(digest)) throw new RegistryRefError(`\`${digest}\` is not a digest`);
  }
  let tag: string | undefined;
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) {
    tag = name.slice(colon + 1);
    name = name.slice(0, colon);
    if (!isTag(tag)) throw new RegistryRefError(`\`${tag}\` is not a tag`);
  }
  return { name, ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) };
}

/**
 * The account and region of a path-style first component (`<account>[.<region>]`), asked of the
 * registry's own grammar with a placeholder repository so that both sides agree on what is valid.
 */
function accountComponent(component: string): { accountId: string; region?: string } | undefined {
  const a = tryResolveName(`${component}/r`, undefined, '');
  if (a === undefined) return undefined;
  return { accountId: a.repo.accountId, ...(a.repo.region !== '' && { region: a.repo.region }) };
}

/** Reads a registry reference in any of the forms above; throws {@link RegistryRefError}. */
export function parseRegistryRef(input: string): RegistryRef {
  let s = input.trim();
  let scheme: 'http' | 'https' | undefined;
  const m = /^(https?):\/\//i.exec(s);
  if (m !== null) {
    scheme = m[1]!.toLowerCase() as 'http' | 'https';
    s = s.slice(m[0].length);
  }
  if (s.endsWith('/')) s = s.slice(0, -1);
  const slash = s.indexOf('/');
  const host = (slash === -1 ? s : s.slice(0, slash)).toLowerCase();
  const path = slash === -1 ? '' : s.slice(slash + 1);
  if (host === '' || !/^(?:\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::\d{1,5})?$/.test(host))
    throw new RegistryRefError(`\`${input}\` does not start with a registry host`);
  const aws = isEcrHost(host);
  const base = { host, ...(scheme !== undefined && { scheme }), aws };

  const hostName = splitPort(host).name;
  const ecr = ECR_HOST.exec(hostName);
  const styled = HOST_STYLE.exec(hostName);
  const named =
    ecr !== null
      ? { accountId: ecr[1]!, region: ecr[2]! }
      : styled === null
        ? undefined
        : hostRegistry(host, styled[1]!);
  if (named !== undefined) {
    const ref = { ...base, style: 'host' as const, accountId: named.accountId, region: named.region };
    if (path === '') return ref;
    const { name, ...at } = splitReference(path);
    if (!isRepositoryName(name) || name.length > 256)
      throw new RegistryRefError(`\`${name}\` is not a repository name`);
    return { ...ref, repository: name, ...at };
  }

  if (path === '') return { ...base, style: 'path' };
  const first = path.indexOf('/');
  const component = first === -1 ? path : path.slice(0, first);
  const account = accountComponent(component);
  if (account === undefined) {
    throw new RegistryRefError(
      `\`${component}\` is not a registry id: path-style references read HOST:PORT/<accountId>[.<region>]/<repository>`,
    );
  }
  const ref = { ...base, style: 'path' as const, ...account };
  if (first === -1) return ref;
  const { name, ...at } = splitReference(path.slice(first + 1));
  if (!isRepositoryName(name) || name.length > 256)
    throw new RegistryRefError(`\`${name}\` is not a repository name`);
  return { ...ref, repository: name, ...at };
}

/**
 * The narrowest auth-file key that still covers the whole registry: `HOST:PORT/<account>[.<region>]`
 * for path-style (skopeo and podman match keys per namespace, most specific first), the host for
 * host-style, where the host already names one registry.
 */
export function registryScopeKey(ref: RegistryRef): string {
  if (ref.style === 'host' || ref.accountId === undefined) return ref.host;
  return `${ref.host}/${ref.accountId}${ref.region !== undefined ? `.${ref.region}` : ''}`;
}

/**
 * Where the ECR API of a registry host is served. Amazon ECR hosts talk to AWS (`undefined`: the
 * SDK's regional endpoint) unless an endpoint is given explicitly; any other host is a crossdock
 * server that serves the API on the same port as the registry, over plain HTTP on this machine
 * and HTTPS elsewhere unless the reference said otherwise. `*.localhost` names are sent to
 * 127.0.0.1 because the system resolver does not always know them.
 */
export function apiEndpointFor(
  ref: Pick<RegistryRef, 'host' | 'scheme' | 'aws'>,
  opts: { explicit?: string; environment?: string } = {},
): string | undefined {
  if (opts.explicit !== undefined && opts.explicit !== '') return opts.explicit;
  if (ref.aws) return undefined;
  if (opts.environment !== undefined && opts.environment !== '') return opts.environment;
  const loopback = isLoopbackHost(ref.host);
  const scheme = ref.scheme ?? (loopback ? 'http' : 'https');
  const { name, port } = splitPort(ref.host);
  const target = name === 'localhost' || name.endsWith('.localhost') ? '127.0.0.1' : name;
  return `${scheme}://${target}${port !== undefined ? `:${port}` : ''}`;
}
