/**
 * `crossdock login <registry-uri> [--role-arn ARN] [--profile P] [--endpoint URL] [--region R]
 *  [--docker-config DIR] [--auth-file FILE] [--scope host|registry]`
 *
 * `aws ecr get-login-password | docker login` and `| skopeo login` in one step, with the role
 * assumption the cross-account tutorials do by hand first: asks GetAuthorizationToken for the
 * registry the URI names (as the assumed role when `--role-arn` is given) and files `AWS:<token>`
 * where both families of clients look for it, merged into what is already there:
 *
 * - docker: `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`;
 * - skopeo, podman, buildah: `$REGISTRY_AUTH_FILE`, else `$XDG_RUNTIME_DIR/containers/auth.json`,
 *   else `${XDG_CONFIG_HOME:-~/.config}/containers/auth.json` (the file they read next).
 *
 * The key is the registry host (`HOST:PORT`), as `docker login` writes it: a crossdock token stands
 * for the caller's identity, not for one registry, so one login serves every account's path on the
 * server. `--scope registry` writes `HOST:PORT/<account>[.<region>]` instead, which the
 * containers tools match per namespace (most specific key first), so that different identities can
 * pull from different accounts of one server; docker matches only hosts and finds such a key only
 * while no host key exists. The token never reaches the terminal.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, realpath, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import type { AwsClientConfig } from './aws.js';
import {
  apiEndpointFor,
  parseRegistryRef,
  RegistryRefError,
  registryScopeKey,
  type RegistryRef,
} from './registryRef.js';

const USAGE = `usage: crossdock login <registry-uri> [--role-arn ARN] [--profile P] [--endpoint URL] [--region R]
                       [--docker-config DIR] [--auth-file FILE] [--scope host|registry] [--json]

<registry-uri>: HOST:PORT/<accountId>[.<region>][/<repository>], <accountId>.dkr.ecr.<region>.<domain>[:PORT],
or HOST:PORT. Gets a registry token (as the role when --role-arn is given) and writes it to the docker
config and the containers auth file used by skopeo and podman. --json prints where it wrote and when
the token expires (never the token).

exit status: 0 logged in, 1 the token or a file could not be had, 2 usage error`;

/** What the ECR API is asked, and as whom. */
export interface TokenRequest {
  /** The API endpoint; `undefined` sends the call to AWS (no `CROSSDOCK_ENDPOINT` fallback). */
  readonly endpoint: string | undefined;
  readonly region: string;
  readonly profile?: string;
  readonly roleArn?: string;
  /** The registry whose `proxyEndpoint` to answer; the caller's own when absent. */
  readonly registryId?: string;
  /** `RoleSessionName` of the assumed role, visible in the role session's ARN. */
  readonly sessionName?: string;
}

/** A registry login: HTTP Basic `username:password` until `expiresAt`. */
export interface RegistryToken {
  readonly username: string;
  readonly password: string;
  readonly expiresAt: Date;
  readonly proxyEndpoint?: string;
}

/**
 * GetAuthorizationToken as the request's identity (after assuming its role, if any), decoded:
 * the one place both `crossdock login` and the credential helper obtain registry passwords. The
 * SDK is loaded here, on first use, so that a credential helper answering from its cache (most
 * runs) starts in a fraction of the time.
 */
export async function fetchRegistryToken(req: TokenRequest): Promise<RegistryToken> {
  const [{ ECRClient, GetAuthorizationTokenCommand }, { assumeRoleFrom, awsConfig }] = await Promise.all([
    import('@aws-sdk/client-ecr'),
    import('./aws.js'),
  ]);
  // The request's endpoint and nothing else: awsConfig would fall back to CROSSDOCK_ENDPOINT.
  const { endpoint: _fromEnvironment, ...base } = awsConfig({
    region: req.region,
    ...(req.profile !== undefined && { profile: req.profile }),
  });
  let config: AwsClientConfig = req.endpoint === undefined ? base : { ...base, endpoint: req.endpoint };
  if (req.roleArn !== undefined)
    config = await assumeRoleFrom(config, req.roleArn, req.sessionName ?? 'crossdock-login');
  const ecr = new ECRClient(config);
  try {
    const out = await ecr.send(
      new GetAuthorizationTokenCommand(req.registryId !== undefined ? { registryIds: [req.registryId] } : {}),
    );
    const data = out.authorizationData?.[0];
    if (data?.authorizationToken === undefined) throw new Error('GetAuthorizationToken returned no token');
    const decoded = Buffer.from(data.authorizationToken, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) throw new Error('GetAuthorizationToken returned a token that is not `user:password`');
    return {
      username: decoded.slice(0, colon),
      password: decoded.slice(colon + 1),
      // ECR tokens last 12 hours; an answer without the field is assumed to follow that rule.
      expiresAt: data.expiresAt ?? new Date(Date.now() + 12 * 3600_000),
      ...(data.proxyEndpoint !== undefined && { proxyEndpoint: data.proxyEndpoint }),
    };
  } finally {
    ecr.destroy();
  }
}

/**
 * Replaces `path` with `text` so that readers see the old file or the new one, never a part: a
 * temporary file (mode 0600 from its creation) in the same directory, flushed, then renamed over
 * the target. A symbolic link is followed, so that dotfile managers keep their link.
 */
export async function writeFileAtomic(path: string, text: string, mode = 0o600): Promise<void> {
  let target = path;
  try {
    target = await realpath(path);
  } catch {
    // not there yet: create it
  }
  await mkdir(dirname(target), { recursive: true, mode: 0o700 });
  const tmp = join(dirname(target), `.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', mode);
  try {
    await fh.writeFile(text, 'utf8');
    await fh.chmod(mode);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** The result of filing a credential into an auth file's text. */
export interface MergedAuthFile {
  readonly text: string;
  /** Reasons a client may not use the entry written (a helper configured for the key). */
  readonly warnings: readonly string[];
}

/**
 * Files `auths[key].auth = base64(username:password)` into the JSON text of a docker config or
 * containers auth file, keeping every other key and entry. The entry is replaced whole, so that a
 * stale `identitytoken` cannot take precedence. Text that is not a JSON object is refused rather
 * than overwritten.
 */
export function mergeAuthFile(
  existing: string | undefined,
  key: string,
  username: string,
  password: string,
): MergedAuthFile {
  let doc: Record<string, unknown> = {};
  if (existing !== undefined && existing.trim() !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(existing);
    } catch {
      throw new Error('it is not valid JSON; fix or remove it first');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error('it is not a JSON object; fix or remove it first');
    doc = parsed as Record<string, unknown>;
  }
  const auths = doc.auths ?? {};
  if (typeof auths !== 'object' || auths === null || Array.isArray(auths))
    throw new Error('its `auths` is not an object; fix or remove it first');
  const auth = Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
  const merged = { ...doc, auths: { ...(auths as Record<string, unknown>), [key]: { auth } } };
  const warnings: string[] = [];
  const helpers = doc.credHelpers;
  if (typeof helpers === 'object' && helpers !== null) {
    const helper = (helpers as Record<string, unknown>)[key];
    if (typeof helper === 'string')
      warnings.push(`credHelpers sends \`${key}\` to docker-credential-${helper}, which is asked first`);
  }
  if (typeof doc.credsStore === 'string')
    warnings.push(
      `credsStore \`${doc.credsStore}\` is set: docker reads credentials from it, not from auths`,
    );
  return { text: `${JSON.stringify(merged, null, '\t')}\n`, warnings };
}

/** Where a login is filed. */
export interface AuthFilePaths {
  readonly dockerConfig: string;
  readonly containersAuth: string;
}

/**
 * The files docker and the containers tools read, as they locate them: flags first, then
 * `DOCKER_CONFIG` / `REGISTRY_AUTH_FILE`, then the per-session runtime file when
 * `XDG_RUNTIME_DIR` exists, else the per-user file the containers tools read after it.
 */
export async function authFilePaths(
  env: NodeJS.ProcessEnv,
  home: string,
  flags: { dockerConfigDir?: string; authFile?: string } = {},
): Promise<AuthFilePaths> {
  const dockerDir = flags.dockerConfigDir ?? nonEmpty(env.DOCKER_CONFIG) ?? join(home, '.docker');
  let containersAuth = flags.authFile ?? nonEmpty(env.REGISTRY_AUTH_FILE);
  if (containersAuth === undefined) {
    const runtime = nonEmpty(env.XDG_RUNTIME_DIR);
    if (runtime !== undefined && (await isDirectory(runtime)))
      containersAuth = join(runtime, 'containers', 'auth.json');
    else
      containersAuth = join(
        nonEmpty(env.XDG_CONFIG_HOME) ?? join(home, '.config'),
        'containers',
        'auth.json',
      );
  }
  return { dockerConfig: join(dockerDir, 'config.json'), containersAuth };
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s;
}

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * The new text of one auth file with the credential filed in, read and merged but not written,
 * so that a login updates both files or, when either cannot be merged, neither.
 */
export async function prepareAuthFile(
  path: string,
  key: string,
  username: string,
  password: string,
): Promise<MergedAuthFile & { readonly path: string }> {
  try {
    return { path, ...mergeAuthFile(await readIfExists(path), key, username, password) };
  } catch (err) {
    throw new Error(`cannot update \`${path}\`: ${(err as Error).message}`);
  }
}

/** The command line of `crossdock login`, parsed. */
export interface LoginOptions {
  readonly ref: RegistryRef;
  readonly roleArn?: string;
  readonly profile?: string;
  readonly endpoint?: string;
  readonly region?: string;
  readonly dockerConfigDir?: string;
  readonly authFile?: string;
  readonly scope: 'host' | 'registry';
  readonly json?: boolean;
}

/** A mistake on the command line: printed with the usage, exit code 2. */
export class LoginUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LoginUsageError';
  }
}

/** Parses the arguments after `login`; throws {@link LoginUsageError}. */
export function parseLoginArgs(args: string[]): LoginOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        'role-arn': { type: 'string' },
        profile: { type: 'string' },
        endpoint: { type: 'string' },
        region: { type: 'string' },
        'docker-config': { type: 'string' },
        'auth-file': { type: 'string' },
        scope: { type: 'string' },
        json: { type: 'boolean' },
      },
    });
  } catch (err) {
    throw new LoginUsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new LoginUsageError('give exactly one registry URI');
  let ref: RegistryRef;
  try {
    ref = parseRegistryRef(positionals[0]!);
  } catch (err) {
    if (err instanceof RegistryRefError) throw new LoginUsageError(err.message);
    throw err;
  }
  const scope = values.scope ?? 'host';
  if (scope !== 'host' && scope !== 'registry')
    throw new LoginUsageError(`--scope takes \`host\` or \`registry\`, got \`${scope}\``);
  const roleArn = values['role-arn'];
  if (roleArn !== undefined && !/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/.test(roleArn))
    throw new LoginUsageError(`\`${roleArn}\` is not a role ARN`);
  if (values.endpoint !== undefined && !/^https?:\/\/[^/]/.test(values.endpoint))
    throw new LoginUsageError(`--endpoint must be an http(s) URL, got \`${values.endpoint}\``);
  return {
    ref,
    scope,
    ...(roleArn !== undefined && { roleArn }),
    ...(values.profile !== undefined && { profile: values.profile }),
    ...(values.endpoint !== undefined && { endpoint: values.endpoint }),
    ...(values.region !== undefined && { region: values.region }),
    ...(values['docker-config'] !== undefined && { dockerConfigDir: values['docker-config'] }),
    ...(values['auth-file'] !== undefined && { authFile: values['auth-file'] }),
    ...(values.json === true && { json: true }),
  };
}

/** What `crossdock login` reads from its surroundings; tests give their own. */
export interface LoginDeps {
  readonly env: NodeJS.ProcessEnv;
  readonly home: string;
  readonly now: () => number;
  readonly fetchToken: (req: TokenRequest) => Promise<RegistryToken>;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

/** The ECR API request a login makes: endpoint and region from the flags, else from the URI. */
export function loginTokenRequest(opts: LoginOptions, env: NodeJS.ProcessEnv): TokenRequest {
  const region = opts.region ?? opts.ref.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  return {
    endpoint: apiEndpointFor(opts.ref, {
      ...(opts.endpoint !== undefined && { explicit: opts.endpoint }),
      ...(env.CROSSDOCK_ENDPOINT !== undefined && { environment: env.CROSSDOCK_ENDPOINT }),
    }),
    region,
    ...(opts.profile !== undefined && { profile: opts.profile }),
    ...(opts.roleArn !== undefined && { roleArn: opts.roleArn }),
    ...(opts.ref.accountId !== undefined && { registryId: opts.ref.accountId }),
    sessionName: 'crossdock-login',
  };
}

function inHours(ms: number): string {
  if (ms <= 0) return 'already expired';
  const minutes = Math.round(ms / 60_000);
  return minutes < 120 ? `in ${minutes} min` : `in ${Math.round(minutes / 60)} h`;
}

/** `crossdock login` with its surroundings given; returns the exit code. */
export async function runLogin(args: string[], deps: LoginDeps): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    deps.out(USAGE);
    return 0;
  }
  let opts: LoginOptions;
  try {
    opts = parseLoginArgs(args);
  } catch (err) {
    if (!(err instanceof LoginUsageError)) throw err;
    deps.err(`crossdock: ${err.message}\n${USAGE}`);
    return 2;
  }
  const req = loginTokenRequest(opts, deps.env);
  let token: RegistryToken;
  try {
    token = await deps.fetchToken(req);
  } catch (err) {
    const e = err as Error;
    deps.err(`crossdock: ${e.name !== 'Error' ? `${e.name}: ` : ''}${e.message}`);
    return 1;
  }
  const paths = await authFilePaths(deps.env, deps.home, opts);
  const key = opts.scope === 'registry' ? registryScopeKey(opts.ref) : opts.ref.host;
  const warnings: string[] = [];
  try {
    const files = [
      await prepareAuthFile(paths.dockerConfig, key, token.username, token.password),
      await prepareAuthFile(paths.containersAuth, key, token.username, token.password),
    ];
    for (const f of files) {
      await writeFileAtomic(f.path, f.text);
      for (const w of f.warnings) warnings.push(`${f.path}: ${w}`);
    }
  } catch (err) {
    deps.err(`crossdock: ${(err as Error).message}`);
    return 1;
  }
  const who = opts.roleArn !== undefined ? ` as ${opts.roleArn}` : '';
  if (opts.json === true) {
    deps.out(
      JSON.stringify(
        {
          registry: key,
          ...(opts.roleArn !== undefined && { roleArn: opts.roleArn }),
          username: token.username,
          dockerConfig: paths.dockerConfig,
          containersAuth: paths.containersAuth,
          expiresAt: token.expiresAt.toISOString(),
        },
        null,
        2,
      ),
    );
    for (const w of warnings) deps.err(`crossdock: warning: ${w}`);
    return 0;
  }
  deps.out(`Login Succeeded: ${key}${who}`);
  deps.out(`  docker config:   ${paths.dockerConfig}`);
  deps.out(`  containers auth: ${paths.containersAuth}`);
  deps.out(
    `  expires:         ${token.expiresAt.toISOString()} (${inHours(token.expiresAt.getTime() - deps.now())})`,
  );
  for (const w of warnings) deps.err(`crossdock: warning: ${w}`);
  return 0;
}

/** `crossdock login ...`: the wiring of {@link runLogin} to this process. */
export async function loginCommand(args: string[]): Promise<number> {
  return runLogin(args, {
    env: process.env,
    home: homedir(),
    now: () => Date.now(),
    fetchToken: fetchRegistryToken,
    out: (line) => console.log(line),
    err: (line) => console.error(line),
  });
}
