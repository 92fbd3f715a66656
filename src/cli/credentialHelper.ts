/**
 * `docker-credential-crossdock`: a docker credential helper (the protocol docker, skopeo, podman,
 * buildah, containerd's CRI and kubelet's exec plugins share), so that clients configured with
 * `"credHelpers": {"HOST:PORT": "crossdock"}` get a fresh ECR token for each pull instead of a
 * password pasted twelve hours ago, as the identity (profile, assumed role) the registry is mapped
 * to. The same job as Amazon's `docker-credential-ecr-login`, for crossdock and AWS alike.
 *
 * Protocol, one action per run, input on stdin, answer on stdout:
 * - `get`: stdin the server URL; prints `{"ServerURL","Username","Secret"}`, or prints
 *   `credentials not found in native keychain` and exits 1 for a registry it does not serve, which
 *   clients take as "no credentials here" and carry on anonymously;
 * - `list`: prints `{"<server URL>": "<user name>"}` for the configured registries;
 * - `store`: reads its input and succeeds: tokens are minted here, never stored by a client;
 * - `erase` (`docker logout`, `podman logout`): drops the host's cached tokens and succeeds, the
 *   way out when a server's data was wiped and a cached token no longer works;
 * - other failures print one line on stdout (clients show it) and exit 1.
 *
 * Registries served: those in the config file (`CROSSDOCK_CREDENTIAL_HELPER_CONFIG`, else
 * `~/.crossdock/credential-helper.json`, `{"registries": {"HOST:PORT": {"profile", "roleArn",
 * "region", "endpoint"}}}`), Amazon ECR hosts (`*.dkr.ecr.<region>.amazonaws.com`, the AWS API of
 * that region), and, with the standard credential chain, any other host that is visibly crossdock:
 * host-style names and this machine. For those the API is the registry's own host, since crossdock
 * serves both on one port, unless `CROSSDOCK_ENDPOINT` says otherwise. Every other host is "not
 * found", so that a global `credsStore` never hands a crossdock token to another registry.
 *
 * Tokens are cached in `CROSSDOCK_CACHE_DIR` (else `~/.crossdock/cache/`), one 0600 file per
 * registry host and identity, and reused until 15 minutes before they expire.
 */
// First: silences the SDK's Node.js support warning before any client is built.
import './quietSdk.js';
import { createHash } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fetchRegistryToken, writeFileAtomic, type RegistryToken, type TokenRequest } from './login.js';
import {
  apiEndpointFor,
  isEcrHost,
  isLoopbackHost,
  normalizeServerUrl,
  parseRegistryRef,
  type RegistryRef,
} from './registryRef.js';

/** The message clients recognise as "this helper has nothing for that registry". */
export const NOT_FOUND = 'credentials not found in native keychain';

/** How long before its expiry a cached token stops being handed out. */
export const CACHE_MARGIN_MS = 15 * 60_000;

/** How one registry host gets its token. */
export interface RegistryEntry {
  /** A named profile of the AWS config files for the base credentials. */
  readonly profile?: string;
  /** A role to assume with the base credentials first (cross-account pulls). */
  readonly roleArn?: string;
  readonly region?: string;
  /** The ECR API endpoint; derived from the host when absent. */
  readonly endpoint?: string;
}

/** The helper's config file. */
export interface HelperConfig {
  readonly registries: Readonly<Record<string, RegistryEntry>>;
}

/** What the helper reads from its surroundings; tests give their own clock and token source. */
export interface HelperDeps {
  readonly env: NodeJS.ProcessEnv;
  readonly home: string;
  readonly now: () => number;
  readonly fetchToken: (req: TokenRequest) => Promise<RegistryToken>;
}

/** A failure the helper reports on stdout with exit code 1. */
class HelperError extends Error {}

/** How one registry host gets its token, and the identity its cache entry is kept under. */
interface Plan {
  readonly host: string;
  readonly request: TokenRequest;
  /** The identity the token stands for, as far as it can be told without network calls. */
  readonly identity: Readonly<Record<string, string>>;
}

function configPath(deps: Pick<HelperDeps, 'env' | 'home'>): string {
  const p = deps.env.CROSSDOCK_CREDENTIAL_HELPER_CONFIG;
  return p !== undefined && p !== '' ? p : join(deps.home, '.crossdock', 'credential-helper.json');
}

function cacheDir(deps: Pick<HelperDeps, 'env' | 'home'>): string {
  const p = deps.env.CROSSDOCK_CACHE_DIR;
  return p !== undefined && p !== '' ? p : join(deps.home, '.crossdock', 'cache');
}

const ENTRY_FIELDS = new Set(['profile', 'roleArn', 'region', 'endpoint']);

/**
 * Reads and checks the config file: no file means no configured registries; a file that is not
 * what it should be is an error rather than silently ignored, so a typo never sends a pull out
 * under the wrong identity. Keys are normalised as server URLs are.
 */
export function parseHelperConfig(text: string, path: string): HelperConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new HelperError(`\`${path}\` is not valid JSON`);
  }
  const registries = (raw as { registries?: unknown } | null)?.registries;
  if (typeof raw !== 'object' || raw === null || typeof registries !== 'object' || registries === null)
    throw new HelperError(`\`${path}\` must be {"registries": {"HOST:PORT": {...}}}`);
  const out: Record<string, RegistryEntry> = {};
  for (const [key, entry] of Object.entries(registries as Record<string, unknown>)) {
    if (typeof entry !== 'object' || entry === null)
      throw new HelperError(`\`${path}\`: the entry of \`${key}\` is not an object`);
    for (const [field, value] of Object.entries(entry)) {
      if (!ENTRY_FIELDS.has(field))
        throw new HelperError(`\`${path}\`: \`${key}\` has unknown field \`${field}\``);
      if (typeof value !== 'string' || value === '')
        throw new HelperError(`\`${path}\`: \`${key}.${field}\` must be a non-empty string`);
    }
    out[normalizeServerUrl(key)] = entry as RegistryEntry;
  }
  return { registries: out };
}

async function loadConfig(deps: Pick<HelperDeps, 'env' | 'home'>): Promise<HelperConfig> {
  const path = configPath(deps);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { registries: {} };
    throw new HelperError(`cannot read \`${path}\`: ${(err as Error).message}`);
  }
  return parseHelperConfig(text, path);
}

/**
 * Decides how a registry host gets its token: its config entry, else Amazon ECR for ECR host
 * names, else crossdock on the same host for host-style names and loopback hosts; any other host
 * is not served.
 */
function planFor(serverUrl: string, config: HelperConfig, env: NodeJS.ProcessEnv): Plan | undefined {
  const host = normalizeServerUrl(serverUrl);
  const scheme = /^(https?):\/\//i.exec(serverUrl.trim())?.[1]?.toLowerCase() as 'http' | 'https' | undefined;
  let ref: RegistryRef;
  try {
    ref = parseRegistryRef(host);
  } catch {
    return undefined;
  }
  const entry = config.registries[host];
  if (entry === undefined && !isEcrHost(host) && ref.style !== 'host' && !isLoopbackHost(host))
    return undefined;
  const e = entry ?? {};
  const region = e.region ?? ref.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const endpoint = apiEndpointFor(
    { ...ref, ...(scheme !== undefined && { scheme }) },
    {
      ...(e.endpoint !== undefined && { explicit: e.endpoint }),
      ...(env.CROSSDOCK_ENDPOINT !== undefined && { environment: env.CROSSDOCK_ENDPOINT }),
    },
  );
  const profile = e.profile ?? nonEmpty(env.AWS_PROFILE);
  const request: TokenRequest = {
    endpoint,
    region,
    ...(e.profile !== undefined && { profile: e.profile }),
    ...(e.roleArn !== undefined && { roleArn: e.roleArn }),
    ...(ref.accountId !== undefined && { registryId: ref.accountId }),
    sessionName: 'crossdock-credential-helper',
  };
  // The access key id is not secret and tells identities of the environment chain apart; a
  // profile or role is named as configured. Nothing here calls the network.
  const identity: Record<string, string> = {
    host,
    endpoint: endpoint ?? 'aws',
    region,
    ...(profile !== undefined && { profile }),
    ...(e.roleArn !== undefined && { roleArn: e.roleArn }),
    ...(e.profile === undefined &&
      nonEmpty(env.AWS_ACCESS_KEY_ID) !== undefined && { accessKeyId: env.AWS_ACCESS_KEY_ID! }),
  };
  return { host, request, identity };
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s;
}

/** The cache file of one host and identity: a hash, so that no name or key id shows in a listing. */
function cacheFileName(identity: Readonly<Record<string, string>>): string {
  const canonical = JSON.stringify(Object.entries(identity).sort(([a], [b]) => (a < b ? -1 : 1)));
  return `ecr-token-${createHash('sha256').update(canonical).digest('hex').slice(0, 40)}.json`;
}

/** A cached token as stored on disk. */
interface CacheRecord {
  readonly host: string;
  readonly username: string;
  readonly secret: string;
  /** ISO 8601. */
  readonly expiresAt: string;
}

/** A cached token still good at `now` (15 minutes of margin), or `undefined`. */
async function readCachedToken(
  dir: string,
  identity: Readonly<Record<string, string>>,
  now: number,
): Promise<RegistryToken | undefined> {
  let rec: CacheRecord;
  try {
    rec = JSON.parse(await readFile(join(dir, cacheFileName(identity)), 'utf8')) as CacheRecord;
  } catch {
    return undefined; // missing or damaged: fetch again
  }
  const expires = Date.parse(rec.expiresAt);
  if (typeof rec.secret !== 'string' || typeof rec.username !== 'string' || Number.isNaN(expires))
    return undefined;
  if (rec.host !== identity.host || now >= expires - CACHE_MARGIN_MS) return undefined;
  return { username: rec.username, password: rec.secret, expiresAt: new Date(expires) };
}

/** Stores a token for its host and identity (mode 0600 in a 0700 directory). */
async function writeCachedToken(
  dir: string,
  identity: Readonly<Record<string, string>>,
  token: RegistryToken,
): Promise<void> {
  const rec: CacheRecord = {
    host: identity.host!,
    username: token.username,
    secret: token.password,
    expiresAt: token.expiresAt.toISOString(),
  };
  await writeFileAtomic(join(dir, cacheFileName(identity)), `${JSON.stringify(rec)}\n`);
}

async function readAll(stdin: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

async function get(serverUrl: string, deps: HelperDeps): Promise<Record<string, string> | undefined> {
  const plan = planFor(serverUrl, await loadConfig(deps), deps.env);
  if (plan === undefined) return undefined;
  const dir = cacheDir(deps);
  let token = await readCachedToken(dir, plan.identity, deps.now());
  if (token === undefined) {
    try {
      token = await deps.fetchToken(plan.request);
    } catch (err) {
      const e = err as Error;
      throw new HelperError(
        `getting a token for \`${plan.host}\`: ${e.name !== 'Error' ? `${e.name}: ` : ''}${e.message}`,
      );
    }
    try {
      await writeCachedToken(dir, plan.identity, token);
    } catch {
      // an unwritable cache costs one more call next time, not this pull
    }
  }
  return { ServerURL: serverUrl, Username: token.username, Secret: token.password };
}

/**
 * Runs one credential-helper action and returns the exit code; the process wiring is in
 * `credentialHelperBin.ts` and `bin/docker-credential-crossdock.js`.
 */
export async function credentialHelperMain(
  args: string[],
  stdin: Readable,
  stdout: Writable,
  deps: Partial<HelperDeps> = {},
): Promise<number> {
  const d: HelperDeps = {
    env: deps.env ?? process.env,
    home: deps.home ?? homedir(),
    now: deps.now ?? (() => Date.now()),
    fetchToken: deps.fetchToken ?? fetchRegistryToken,
  };
  const say = (line: string) => stdout.write(`${line}\n`);
  try {
    switch (args[0]) {
      case 'get': {
        const serverUrl = (await readAll(stdin)).trim();
        if (serverUrl === '') throw new HelperError('no server URL on stdin');
        const creds = await get(serverUrl, d);
        if (creds === undefined) {
          say(NOT_FOUND);
          return 1;
        }
        say(JSON.stringify(creds));
        return 0;
      }
      case 'list': {
        const config = await loadConfig(d);
        say(JSON.stringify(Object.fromEntries(Object.keys(config.registries).map((h) => [h, 'AWS']))));
        return 0;
      }
      case 'store':
        await readAll(stdin);
        return 0;
      case 'erase':
        await eraseCachedTokens(d, normalizeServerUrl(await readAll(stdin)));
        return 0;
      case 'version':
        say('docker-credential-crossdock (crossdock)');
        return 0;
      default:
        say('Usage: docker-credential-crossdock <store|get|erase|list|version>');
        return 1;
    }
  } catch (err) {
    // Clients show what a helper prints on stdout; stderr would be lost.
    say(err instanceof HelperError ? err.message : `docker-credential-crossdock: ${(err as Error).message}`);
    return 1;
  }
}

/** Removes every cached token of a host, whatever identity it was issued to. */
async function eraseCachedTokens(deps: Pick<HelperDeps, 'env' | 'home'>, host: string): Promise<void> {
  const dir = cacheDir(deps);
  for (const f of await cachedTokenFiles(deps)) {
    let rec: Partial<CacheRecord>;
    try {
      rec = JSON.parse(await readFile(join(dir, f), 'utf8')) as Partial<CacheRecord>;
    } catch {
      continue;
    }
    if (rec.host === host) await rm(join(dir, f), { force: true });
  }
}

/** The cache files present, for `crossdock` diagnostics and tests. */
export async function cachedTokenFiles(deps: Pick<HelperDeps, 'env' | 'home'>): Promise<string[]> {
  try {
    return (await readdir(cacheDir(deps))).filter((f) => f.startsWith('ecr-token-')).sort();
  } catch {
    return [];
  }
}
