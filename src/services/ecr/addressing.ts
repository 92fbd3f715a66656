/**
 * How registry addresses are written in API answers (`repositoryUri`, `proxyEndpoint`), per
 * DESIGN.md: path-style by default — `HOST:PORT/<account>/<repo>` for the server's default region,
 * `HOST:PORT/<account>.<region>/<repo>` for another — or host-style
 * `<account>.dkr.ecr.<region>.<domain>[:PORT]/<repo>`.
 */
export interface RegistryAddressing {
  readonly style: 'path' | 'host';
  /** `http` or `https`, as the listener serves. */
  readonly scheme: 'http' | 'https';
  /** `HOST:PORT` clients reach the server at (path-style). */
  readonly authority: string;
  /** The domain of host-style names (default `localhost`). */
  readonly domain: string;
  /** The port clients use with host-style names ('' for the scheme's default). */
  readonly port: string;
  /** The server's default region. */
  readonly defaultRegion: string;
}

/** The registry host (and first path segment, path-style) for an account and region, no scheme. */
export function registryPrefix(a: RegistryAddressing, accountId: string, region: string): string {
  if (a.style === 'host')
    return `${accountId}.dkr.ecr.${region}.${a.domain}${a.port === '' ? '' : `:${a.port}`}`;
  return region === a.defaultRegion ? `${a.authority}/${accountId}` : `${a.authority}/${accountId}.${region}`;
}

/** ECR's `repositoryUri`. */
export function repositoryUri(
  a: RegistryAddressing,
  accountId: string,
  region: string,
  name: string,
): string {
  return `${registryPrefix(a, accountId, region)}/${name}`;
}

/** ECR's `proxyEndpoint`: `http(s)://HOST:PORT/<registryId>` path-style, `https://<id>.dkr.ecr.<region>.<domain>` host-style. */
export function proxyEndpoint(a: RegistryAddressing, accountId: string, region: string): string {
  return `${a.scheme}://${registryPrefix(a, accountId, region)}`;
}
