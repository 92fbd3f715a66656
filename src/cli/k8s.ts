/**
 * `crossdock k8s pull-secret --namespace NS --name NAME --registry <registry-uri> [--role-arn ARN]
 *  [--profile P] [--endpoint URL] [--region R] [--output yaml|json]
 *  [--apply [--kubeconfig FILE] [--context CTX] [--refresh DURATION]]`
 *
 * The image pull secret a cluster outside AWS needs for an ECR-style registry, without the CronJob
 * of shell the cross-account tutorials end with (`aws sts assume-role`, `aws ecr
 * get-login-password`, `kubectl delete secret` + `kubectl create secret docker-registry`, every few
 * hours). One GetAuthorizationToken (as the role when `--role-arn` is given, through the same
 * {@link fetchRegistryToken} as `crossdock login`) becomes a `kubernetes.io/dockerconfigjson`
 * Secret whose `auths` key is the registry host, labelled as managed by crossdock and annotated
 * with the token's expiry. Without `--apply` the manifest is printed (for `kubectl apply -f -` or
 * a GitOps repository); with it the Secret is created or replaced in place through the Kubernetes
 * API (no window without a secret, unlike delete + create); `--refresh` keeps doing so until
 * SIGINT/SIGTERM, which makes the command a Deployment of one container instead of a CronJob.
 */
import { parseArgs } from 'node:util';
import type { CoreV1Api, V1Secret } from '@kubernetes/client-node';
import { fetchRegistryToken, loginTokenRequest, type RegistryToken, type TokenRequest } from './login.js';
import { parseRegistryRef, RegistryRefError, type RegistryRef } from './registryRef.js';

const USAGE = `usage: crossdock k8s pull-secret --namespace NS --name NAME --registry <registry-uri> [--role-arn ARN]
                                 [--profile P] [--endpoint URL] [--region R] [--output yaml|json]
                                 [--apply [--kubeconfig FILE] [--context CTX] [--refresh DURATION]]

Gets a registry token (as the role when --role-arn is given) and makes a kubernetes.io/dockerconfigjson
Secret of it. Without --apply the Secret is printed (kubectl apply -f - accepts it); with --apply it is
created or replaced through the Kubernetes API (--kubeconfig, else KUBECONFIG, else ~/.kube/config, else
the in-cluster service account). --refresh 6h keeps running and refreshes it every 6 hours (30m, 1h30m,
...; shorter than the 12 h token life), and earlier when the token would expire first, until SIGINT or
SIGTERM.`;

/** How long a registry token lives; `--refresh` must be shorter or pods would pull with an expired one. */
export const TOKEN_LIFE_MS = 12 * 3600_000;

/** The label every Secret this command writes carries, so that `kubectl get -l` finds them all. */
export const MANAGED_BY_LABEL = { 'app.kubernetes.io/managed-by': 'crossdock' } as const;

/** Annotation keys the Secret carries: when its token stops working, and for which registry. */
export const ANNOTATIONS = {
  expiresAt: 'crossdock.dev/token-expires-at',
  refreshedAt: 'crossdock.dev/refreshed-at',
  registry: 'crossdock.dev/registry',
  roleArn: 'crossdock.dev/role-arn',
} as const;

/** A mistake on the command line: printed with the usage, exit code 2. */
export class K8sUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'K8sUsageError';
  }
}

/**
 * Reads `90s`, `30m`, `6h`, `1h30m` as milliseconds: the Go duration spelling `kubectl` and
 * Kubernetes manifests use, restricted to whole hours, minutes and seconds. Throws on anything else.
 */
export function parseDuration(text: string): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text.trim());
  if (m === null || text.trim() === '' || (m[1] ?? m[2] ?? m[3]) === undefined)
    throw new K8sUsageError(`\`${text}\` is not a duration such as 30m, 6h or 1h30m`);
  const [h, min, s] = [m[1], m[2], m[3]].map((x) => Number(x ?? 0)) as [number, number, number];
  return ((h * 60 + min) * 60 + s) * 1000;
}

/** A duration as `6h`, `1h30m`, `45s`: how log lines and errors show one. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const parts = [h > 0 ? `${h}h` : '', m > 0 ? `${m}m` : '', s > 0 ? `${s}s` : ''].join('');
  return parts === '' ? '0s' : parts;
}

/** The command line of `crossdock k8s pull-secret`, parsed. */
export interface PullSecretOptions {
  readonly namespace: string;
  readonly name: string;
  readonly ref: RegistryRef;
  readonly roleArn?: string;
  readonly profile?: string;
  readonly endpoint?: string;
  readonly region?: string;
  readonly output: 'yaml' | 'json';
  readonly apply: boolean;
  /** Milliseconds between refreshes; absent for a single run. */
  readonly refreshMs?: number;
  readonly kubeconfig?: string;
  readonly context?: string;
}

/** A Secret name: a DNS subdomain (RFC 1123), as the API server checks it. */
const SUBDOMAIN = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/;
/** A namespace: a DNS label (RFC 1123). */
const LABEL = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/;
/** Shorter refreshes only hammer the token endpoint: a token is good for 12 hours. */
const MIN_REFRESH_MS = 60_000;

/** Parses the arguments after `k8s pull-secret`; throws {@link K8sUsageError}. */
export function parsePullSecretArgs(args: string[]): PullSecretOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: false,
      options: {
        namespace: { type: 'string', short: 'n' },
        name: { type: 'string' },
        registry: { type: 'string' },
        'role-arn': { type: 'string' },
        profile: { type: 'string' },
        endpoint: { type: 'string' },
        region: { type: 'string' },
        output: { type: 'string', short: 'o' },
        apply: { type: 'boolean' },
        refresh: { type: 'string' },
        kubeconfig: { type: 'string' },
        context: { type: 'string' },
      },
    });
  } catch (err) {
    throw new K8sUsageError((err as Error).message);
  }
  const v = parsed.values;
  for (const required of ['namespace', 'name', 'registry'] as const)
    if (v[required] === undefined) throw new K8sUsageError(`--${required} is required`);
  const namespace = v.namespace!;
  const name = v.name!;
  if (namespace.length > 63 || !LABEL.test(namespace))
    throw new K8sUsageError(`\`${namespace}\` is not a namespace name (lowercase letters, digits and -)`);
  if (name.length > 253 || !SUBDOMAIN.test(name))
    throw new K8sUsageError(`\`${name}\` is not a secret name (lowercase letters, digits, - and .)`);
  let ref: RegistryRef;
  try {
    ref = parseRegistryRef(v.registry!);
  } catch (err) {
    if (err instanceof RegistryRefError) throw new K8sUsageError(err.message);
    throw err;
  }
  const roleArn = v['role-arn'];
  if (roleArn !== undefined && !/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/.test(roleArn))
    throw new K8sUsageError(`\`${roleArn}\` is not a role ARN`);
  if (v.endpoint !== undefined && !/^https?:\/\/[^/]/.test(v.endpoint))
    throw new K8sUsageError(`--endpoint must be an http(s) URL, got \`${v.endpoint}\``);
  const output = v.output ?? 'yaml';
  if (output !== 'yaml' && output !== 'json')
    throw new K8sUsageError(`--output takes \`yaml\` or \`json\`, got \`${output}\``);
  const apply = v.apply ?? false;
  let refreshMs: number | undefined;
  if (v.refresh !== undefined) {
    if (!apply) throw new K8sUsageError('--refresh needs --apply: a printed secret cannot be refreshed');
    refreshMs = parseDuration(v.refresh);
    if (refreshMs >= TOKEN_LIFE_MS)
      throw new K8sUsageError(
        `--refresh must be shorter than the 12h life of a registry token, got \`${v.refresh}\``,
      );
    if (refreshMs < MIN_REFRESH_MS)
      throw new K8sUsageError(`--refresh must be at least 1m, got \`${v.refresh}\``);
  }
  if (!apply && (v.kubeconfig !== undefined || v.context !== undefined))
    throw new K8sUsageError('--kubeconfig and --context need --apply');
  return {
    namespace,
    name,
    ref,
    output,
    apply,
    ...(roleArn !== undefined && { roleArn }),
    ...(v.profile !== undefined && { profile: v.profile }),
    ...(v.endpoint !== undefined && { endpoint: v.endpoint }),
    ...(v.region !== undefined && { region: v.region }),
    ...(refreshMs !== undefined && { refreshMs }),
    ...(v.kubeconfig !== undefined && { kubeconfig: v.kubeconfig }),
    ...(v.context !== undefined && { context: v.context }),
  };
}

/** The token request of a pull secret: `crossdock login`'s, under a session name of its own. */
export function pullSecretTokenRequest(opts: PullSecretOptions, env: NodeJS.ProcessEnv): TokenRequest {
  return { ...loginTokenRequest({ ...opts, scope: 'host' }, env), sessionName: 'crossdock-k8s' };
}

/**
 * The `.dockerconfigjson` document kubelet reads: one `auths` entry under the registry host (as
 * `docker login` and `crossdock login` file it), with the user name and password spelled out as
 * well as in `auth`, since some tools read only the former.
 */
export function dockerConfigJson(host: string, token: Pick<RegistryToken, 'username' | 'password'>): string {
  const auth = Buffer.from(`${token.username}:${token.password}`, 'utf8').toString('base64');
  return JSON.stringify({
    auths: { [host]: { username: token.username, password: token.password, auth } },
  });
}

/** What a pull secret is made of. */
export interface PullSecretInput {
  readonly namespace: string;
  readonly name: string;
  readonly host: string;
  readonly token: RegistryToken;
  readonly roleArn?: string;
  /** When the token was obtained, for the `refreshed-at` annotation. */
  readonly now: Date;
}

/** The Secret manifest: pure, so that what is printed and what is applied are the same object. */
export function pullSecretManifest(input: PullSecretInput): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: input.name,
      namespace: input.namespace,
      labels: { ...MANAGED_BY_LABEL },
      annotations: {
        [ANNOTATIONS.registry]: input.host,
        [ANNOTATIONS.expiresAt]: input.token.expiresAt.toISOString(),
        [ANNOTATIONS.refreshedAt]: input.now.toISOString(),
        ...(input.roleArn !== undefined && { [ANNOTATIONS.roleArn]: input.roleArn }),
      },
    },
    type: 'kubernetes.io/dockerconfigjson',
    data: {
      '.dockerconfigjson': Buffer.from(dockerConfigJson(input.host, input.token), 'utf8').toString('base64'),
    },
  };
}

/** The three Secret calls this command makes, so that tests can stand in for a cluster. */
export interface SecretStore {
  /** The Secret, or `undefined` when the API answers 404. */
  read(namespace: string, name: string): Promise<V1Secret | undefined>;
  create(namespace: string, body: V1Secret): Promise<V1Secret>;
  replace(namespace: string, name: string, body: V1Secret): Promise<V1Secret>;
}

/** The HTTP status of a Kubernetes API error, whichever client produced it. */
function apiStatus(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** A Kubernetes API error in one line: status and the `Status` object's message, no headers. */
export function describeK8sError(err: unknown): string {
  const status = apiStatus(err);
  if (status === undefined) return (err as Error).message;
  let body = (err as { body?: unknown }).body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      // not JSON: use the text as it is
    }
  }
  const message =
    typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string'
      ? (body as { message: string }).message
      : typeof body === 'string' && body !== ''
        ? body.slice(0, 200)
        : // client-node puts the reason phrase of statuses it has no schema for in its message
          (/^Message: (.+)$/m.exec((err as Error).message ?? '')?.[1] ?? 'no message');
  return `the Kubernetes API answered ${status}: ${message}`;
}

/**
 * Creates the Secret or replaces the one there (keeping its other labels and annotations, and
 * checking its `resourceVersion` so that a concurrent writer is not overwritten blindly). A
 * conflict (someone else wrote in between, or created it first) is retried on a fresh read.
 */
export async function applySecret(store: SecretStore, desired: V1Secret): Promise<'created' | 'updated'> {
  const namespace = desired.metadata!.namespace!;
  const name = desired.metadata!.name!;
  for (let attempt = 1; ; attempt++) {
    const current = await store.read(namespace, name);
    try {
      if (current === undefined) {
        await store.create(namespace, desired);
        return 'created';
      }
      if (current.type !== undefined && current.type !== desired.type)
        throw new Error(
          `secret \`${namespace}/${name}\` has type \`${current.type}\`, not \`${desired.type}\`; delete it or choose another --name`,
        );
      const md = desired.metadata!;
      await store.replace(namespace, name, {
        ...desired,
        metadata: {
          ...md,
          ...(current.metadata?.resourceVersion !== undefined && {
            resourceVersion: current.metadata.resourceVersion,
          }),
          labels: { ...current.metadata?.labels, ...md.labels },
          annotations: { ...current.metadata?.annotations, ...md.annotations },
        },
      });
      return 'updated';
    } catch (err) {
      if (apiStatus(err) === 409 && attempt < 3) continue;
      throw err;
    }
  }
}

/** The Secret calls of a real cluster through `@kubernetes/client-node`. */
export function coreV1SecretStore(api: CoreV1Api): SecretStore {
  return {
    async read(namespace, name) {
      try {
        return await api.readNamespacedSecret({ namespace, name });
      } catch (err) {
        if (apiStatus(err) === 404) return undefined;
        throw err;
      }
    },
    create: (namespace, body) => api.createNamespacedSecret({ namespace, body }),
    replace: (namespace, name, body) => api.replaceNamespacedSecret({ namespace, name, body }),
  };
}

/**
 * The cluster a kubeconfig points at, as kubectl chooses it: `--kubeconfig`, else `KUBECONFIG`
 * (a list of files), else `~/.kube/config`, else the pod's service account; `--context` picks a
 * context other than the current one.
 */
export async function kubeSecretStore(opts: { kubeconfig?: string; context?: string }): Promise<SecretStore> {
  const { CoreV1Api: Api, KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  if (opts.kubeconfig !== undefined) kc.loadFromFile(opts.kubeconfig);
  else kc.loadFromDefault();
  if (opts.context !== undefined) {
    if (kc.getContextObject(opts.context) === null)
      throw new Error(`the kubeconfig has no context \`${opts.context}\``);
    kc.setCurrentContext(opts.context);
  }
  if (kc.getCurrentCluster() === null) throw new Error('the kubeconfig names no current cluster');
  return coreV1SecretStore(kc.makeApiClient(Api));
}

/** What one refresh did. */
export interface RefreshResult {
  readonly action: 'created' | 'updated';
  readonly expiresAt: Date;
}

/** How long before a token's expiry it is replaced at the latest, so pods never pull with a dead one. */
export const EXPIRY_MARGIN_MS = 30 * 60_000;

/**
 * When to refresh next: after the interval, or earlier so that the new token is in place
 * {@link EXPIRY_MARGIN_MS} before the current one expires (never sooner than a minute, so that a
 * server handing out short tokens is not hammered).
 */
export function nextRefreshDelay(intervalMs: number, expiresAt: Date, now: number): number {
  return Math.min(intervalMs, Math.max(MIN_REFRESH_MS, expiresAt.getTime() - now - EXPIRY_MARGIN_MS));
}

/** How long to wait after the `failures`-th failure in a row: doubling from 5 s, at most 5 min. */
export function retryDelay(failures: number, intervalMs: number): number {
  return Math.min(intervalMs, 5 * 60_000, 5_000 * 2 ** Math.min(failures - 1, 16));
}

/** The clock, timer and stop signal of the refresh loop; tests give a fast timer. */
export interface LoopDeps {
  readonly now: () => number;
  /** Waits `ms`, or less when `signal` is aborted; never rejects. */
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly signal: AbortSignal;
  readonly log: (line: string) => void;
}

/**
 * Refreshes until the signal is aborted: once at once, then per {@link nextRefreshDelay}. A
 * failure is logged and retried per {@link retryDelay} instead of ending the loop, because a
 * daemon that exits on a transient API error leaves the secret to expire. Returns the counts.
 */
export async function refreshLoop(
  intervalMs: number,
  refresh: () => Promise<RefreshResult>,
  deps: LoopDeps,
): Promise<{ refreshes: number; failures: number }> {
  let refreshes = 0;
  let failures = 0;
  let failuresInRow = 0;
  while (!deps.signal.aborted) {
    let delay: number;
    try {
      const r = await refresh();
      refreshes++;
      failuresInRow = 0;
      delay = nextRefreshDelay(intervalMs, r.expiresAt, deps.now());
      deps.log(
        `${new Date(deps.now()).toISOString()} ${r.action} secret, token expires ${r.expiresAt.toISOString()}, next refresh in ${formatDuration(delay)}`,
      );
    } catch (err) {
      failures++;
      failuresInRow++;
      delay = retryDelay(failuresInRow, intervalMs);
      deps.log(
        `${new Date(deps.now()).toISOString()} refresh failed: ${describeK8sError(err)}; retrying in ${formatDuration(delay)}`,
      );
    }
    if (deps.signal.aborted) break;
    await deps.sleep(delay, deps.signal);
  }
  return { refreshes, failures };
}

/** A timer that ends early, without an error, when the signal is aborted. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** What `crossdock k8s` reads from its surroundings; tests give their own. */
export interface K8sDeps {
  readonly env: NodeJS.ProcessEnv;
  readonly now: () => number;
  readonly fetchToken: (req: TokenRequest) => Promise<RegistryToken>;
  readonly secretStore: (opts: { kubeconfig?: string; context?: string }) => Promise<SecretStore>;
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Stops `--refresh`; the command wires SIGINT and SIGTERM to one when absent. */
  readonly signal?: AbortSignal;
  readonly out: (text: string) => void;
  readonly err: (line: string) => void;
}

function errorLine(err: unknown): string {
  const e = err as Error;
  if (apiStatus(err) !== undefined) return describeK8sError(err);
  return `${e.name !== 'Error' && e.name !== undefined ? `${e.name}: ` : ''}${e.message}`;
}

/** `crossdock k8s pull-secret` with its surroundings given; returns the exit code. */
export async function runPullSecret(args: string[], deps: K8sDeps): Promise<number> {
  let opts: PullSecretOptions;
  try {
    opts = parsePullSecretArgs(args);
  } catch (err) {
    if (!(err instanceof K8sUsageError)) throw err;
    deps.err(`crossdock: ${err.message}\n${USAGE}`);
    return 2;
  }
  const req = pullSecretTokenRequest(opts, deps.env);
  const manifest = async (): Promise<V1Secret> => {
    const token = await deps.fetchToken(req);
    return pullSecretManifest({
      namespace: opts.namespace,
      name: opts.name,
      host: opts.ref.host,
      token,
      now: new Date(deps.now()),
      ...(opts.roleArn !== undefined && { roleArn: opts.roleArn }),
    });
  };
  const expiry = (s: V1Secret) => new Date(s.metadata!.annotations![ANNOTATIONS.expiresAt]!);

  if (!opts.apply) {
    let secret: V1Secret;
    try {
      secret = await manifest();
    } catch (err) {
      deps.err(`crossdock: ${errorLine(err)}`);
      return 1;
    }
    if (opts.output === 'json') deps.out(`${JSON.stringify(secret, null, 2)}\n`);
    else {
      const { dumpYaml } = await import('@kubernetes/client-node');
      deps.out(dumpYaml(secret));
    }
    return 0;
  }

  let store: SecretStore;
  try {
    store = await deps.secretStore({
      ...(opts.kubeconfig !== undefined && { kubeconfig: opts.kubeconfig }),
      ...(opts.context !== undefined && { context: opts.context }),
    });
  } catch (err) {
    deps.err(`crossdock: cannot load the kubeconfig: ${(err as Error).message}`);
    return 1;
  }
  const where = `${opts.namespace}/${opts.name}`;
  const once = async (): Promise<RefreshResult> => {
    const secret = await manifest();
    return { action: await applySecret(store, secret), expiresAt: expiry(secret) };
  };

  if (opts.refreshMs === undefined) {
    try {
      const r = await once();
      deps.out(`secret/${where} ${r.action}: ${opts.ref.host}, token expires ${r.expiresAt.toISOString()}\n`);
      return 0;
    } catch (err) {
      deps.err(`crossdock: ${errorLine(err)}`);
      return 1;
    }
  }

  let signal = deps.signal;
  let unhook = () => {};
  if (signal === undefined) {
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    unhook = () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    };
    signal = stop.signal;
  }
  deps.err(
    `crossdock: refreshing secret/${where} for ${opts.ref.host} every ${formatDuration(opts.refreshMs)} until SIGINT or SIGTERM`,
  );
  try {
    const counts = await refreshLoop(opts.refreshMs, once, {
      now: deps.now,
      sleep: deps.sleep,
      signal,
      log: (line) => deps.err(`crossdock: secret/${where}: ${line}`),
    });
    deps.err(`crossdock: stopped after ${counts.refreshes} refresh(es) and ${counts.failures} failure(s)`);
    return 0;
  } finally {
    unhook();
  }
}

/** `crossdock k8s ...`: dispatches the subcommand; `deps` replaces parts of this process for tests. */
export async function k8sCommand(args: string[], deps: Partial<K8sDeps> = {}): Promise<number> {
  const full: K8sDeps = {
    env: process.env,
    now: () => Date.now(),
    fetchToken: fetchRegistryToken,
    secretStore: kubeSecretStore,
    sleep: abortableSleep,
    out: (text) => process.stdout.write(text),
    err: (line) => console.error(line),
    ...deps,
  };
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    (sub === undefined ? full.err : (t: string) => full.out(`${t}\n`))(USAGE);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'pull-secret') {
    full.err(`crossdock: unknown k8s command \`${sub}\`\n${USAGE}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    full.out(`${USAGE}\n`);
    return 0;
  }
  return runPullSecret(rest, full);
}
