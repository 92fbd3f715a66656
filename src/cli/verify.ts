/**
 * `crossdock verify`: proves a cross-account setup works by walking the path a registry client
 * takes, one step at a time, as the consumer (a profile, or a role it assumes first): who am I,
 * a registry token, registry login, the manifest, a blob, and with `--push` the start (and
 * cancellation) of an upload. The first step that fails is shown with the AWS or OCI error it got,
 * which is the answer to "why can't B pull" that `explain` then explains.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { parseArgs } from 'node:util';
import {
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  GetAuthorizationTokenCommand,
} from '@aws-sdk/client-ecr';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { parseRepository, TargetError, type RepositoryTarget } from './analysis/targets.js';
import { assumeRoleFrom, awsConfig, resolveEndpoint, type AwsClientConfig } from './aws.js';
import { apiEndpointFor, parseRegistryRef, RegistryRefError } from './registryRef.js';
import { configuredRegion } from './signedCall.js';

/** The `--help` text; exported so main's usage and the tests agree with it. */
export const VERIFY_USAGE = `usage: crossdock verify --repository ARN|URI [--tag T] [--as PROFILE|ROLE_ARN] [--push] [options]

Runs a real pull (and with --push the start of a push) step by step as the consumer and prints
✓ or ✗ per step with the AWS or OCI error of the step that fails:
  assume role (when --as is a role ARN) → GetCallerIdentity → GetAuthorizationToken →
  registry login (GET /v2/) → manifest HEAD → blob HEAD [→ upload start + cancel]

  --repository ARN|URI   arn:aws:ecr:REGION:ACCT:repository/NAME or a repositoryUri (…:TAG works too)
  --tag T                the image to check (default: the first image DescribeImages or tags/list finds)
  --as PROFILE|ROLE_ARN  the consumer: a profile, or a role assumed with --profile's credentials;
                         without it, whoever the standard credential chain resolves to (--profile,
                         the environment, an instance or task role): the consumer checking itself
  --profile P            base credentials when --as is a role ARN (default: the standard chain)
  --push                 also start an upload and cancel it
  --endpoint URL         a crossdock server (default: CROSSDOCK_ENDPOINT, else AWS)
  --region R             region of a path-style URI without one
  --json                 machine-readable output

exit status: 0 every step passed, 1 a step failed, 2 usage error`;

/** A command line verify cannot run with. */
export class VerifyUsageError extends Error {}

/** The parsed command line. */
export interface VerifyArgs {
  readonly repository: RepositoryTarget;
  /** The URI as given (not for an ARN): where the registry is. */
  readonly uri?: string;
  readonly reference?: string;
  /** A profile name, or a role ARN to assume; absent: the standard credential chain as it resolves. */
  readonly as?: { readonly kind: 'profile' | 'role'; readonly value: string };
  readonly profile?: string;
  readonly push: boolean;
  readonly endpoint?: string;
  readonly json: boolean;
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/;

/** Parses and checks the command line without any call; `help` when asked for. */
export function parseVerifyArgs(args: string[]): VerifyArgs | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        repository: { type: 'string' },
        tag: { type: 'string' },
        as: { type: 'string' },
        profile: { type: 'string' },
        push: { type: 'boolean' },
        endpoint: { type: 'string' },
        region: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw new VerifyUsageError((e as Error).message);
  }
  if (values.help === true) return 'help';
  const str = (k: string): string | undefined => values[k] as string | undefined;
  const repoArg = str('repository');
  if (repoArg === undefined) throw new VerifyUsageError('--repository is required');
  const asArg = str('as');
  if (asArg?.startsWith('arn:') === true && !ROLE_ARN.test(asArg))
    throw new VerifyUsageError(`\`${asArg}\` is not a role ARN (arn:aws:iam::ACCOUNT:role/NAME)`);
  let repository: RepositoryTarget;
  try {
    repository = parseRepository(repoArg, str('region') ?? configuredRegion(), true);
  } catch (e) {
    if (e instanceof TargetError) throw new VerifyUsageError(e.message);
    throw e;
  }
  const tag = str('tag');
  if (tag !== undefined && repository.reference !== undefined)
    throw new VerifyUsageError('give the tag in --repository or with --tag, not both');
  const reference = tag ?? repository.reference?.replace(/^[:@]/, '');
  const endpoint = resolveEndpoint(str('endpoint'));
  const profile = str('profile');
  return {
    repository,
    ...(!repoArg.startsWith('arn:') && { uri: repoArg }),
    ...(reference !== undefined && { reference }),
    ...(asArg !== undefined && {
      as: { kind: ROLE_ARN.test(asArg) ? ('role' as const) : ('profile' as const), value: asArg },
    }),
    ...(profile !== undefined && { profile }),
    push: values.push === true,
    ...(endpoint !== undefined && { endpoint }),
    json: values.json === true,
  };
}

/** The outcome of one step. */
export interface StepResult {
  readonly step: string;
  readonly ok: boolean;
  /** What the step found (the caller's ARN, the digest...) or the error it got. */
  readonly detail: string;
  /** The AWS error name or OCI error code and HTTP status of a failed step. */
  readonly code?: string;
  readonly status?: number;
}

/** The consumer's starting configuration; tests inject one instead of profiles. */
export interface VerifyDeps {
  readonly baseConfig: (a: VerifyArgs) => AwsClientConfig;
  readonly print: (line: string) => void;
  readonly printError: (line: string) => void;
}

/** `--as PROFILE` (or `--profile` under a role) with `--endpoint`. */
export const defaultVerifyDeps: VerifyDeps = {
  baseConfig: (a) => {
    const profile = a.as?.kind === 'profile' ? a.as.value : a.profile;
    return awsConfig({
      region: a.repository.region,
      ...(a.endpoint !== undefined && { endpoint: a.endpoint }),
      ...(profile !== undefined && { profile }),
    });
  },
  print: (line) => console.log(line),
  printError: (line) => console.error(line),
};

/** An HTTP answer of the registry. */
interface RegistryAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

/** Where registry requests go: the URL base, and the address to connect to when the host is a name only the server knows. */
interface RegistryTarget {
  readonly base: URL;
  /** The `/v2/<name>` path segment: `<account>[.<region>]/<repo>` path-style, `<repo>` host-style. */
  readonly name: string;
  readonly connect?: URL;
}

const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

function send(
  t: RegistryTarget,
  method: string,
  path: string,
  headers: Record<string, string>,
): Promise<RegistryAnswer> {
  const via = t.connect ?? t.base;
  const request = via.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: via.hostname,
        port: via.port,
        method,
        path,
        headers: { ...headers, Host: t.base.host },
        ...(via.protocol === 'https:' && { servername: t.base.hostname }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** The OCI error of an answer in one line (`403 DENIED: …`), or its status. */
function ociError(r: RegistryAnswer): { text: string; code?: string } {
  try {
    const j = JSON.parse(r.body.toString('utf8')) as { errors?: { code?: string; message?: string }[] };
    const e = j.errors?.[0];
    if (e?.code !== undefined) return { text: `${r.status} ${e.code}: ${e.message ?? ''}`, code: e.code };
  } catch {
    // not an OCI error body
  }
  return { text: `HTTP ${r.status}` };
}

function awsFailure(step: string, e: unknown): StepResult {
  const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  return {
    step,
    ok: false,
    detail: `${err.name ?? 'Error'}: ${err.message ?? String(e)}`,
    ...(err.name !== undefined && { code: err.name }),
    ...(err.$metadata?.httpStatusCode !== undefined && { status: err.$metadata.httpStatusCode }),
  };
}

function registryFailure(step: string, r: RegistryAnswer): StepResult {
  const e = ociError(r);
  return { step, ok: false, detail: e.text, ...(e.code !== undefined && { code: e.code }), status: r.status };
}

/** Where the registry of the repository is: the URI given, else `repositoryUri`, else `proxyEndpoint`. */
function registryTarget(uri: string, endpoint: string | undefined): RegistryTarget {
  const ref = parseRegistryRef(uri);
  const scheme = ref.scheme ?? (apiEndpointFor(ref)?.startsWith('http://') === true ? 'http' : 'https');
  const base = new URL(`${scheme}://${ref.host}`);
  const name =
    ref.style === 'path'
      ? `${ref.accountId ?? ''}${ref.region !== undefined ? `.${ref.region}` : ''}/${ref.repository ?? ''}`
      : (ref.repository ?? '');
  // A host-style name of a crossdock server resolves nowhere; connect to the server and name the host.
  const api = ref.aws ? undefined : apiEndpointFor(ref, endpoint !== undefined ? { explicit: endpoint } : {});
  const connect = api !== undefined && new URL(api).host !== base.host ? new URL(api) : undefined;
  return { base, name, ...(connect !== undefined && { connect }) };
}

/** The digest of the config (or first layer) of a manifest, descending into an index's first entry. */
function blobOf(body: Buffer): { digest?: string; child?: string } {
  const m = JSON.parse(body.toString('utf8')) as {
    config?: { digest?: string };
    layers?: { digest?: string }[];
    manifests?: { digest?: string }[];
  };
  if (m.manifests !== undefined)
    return m.manifests[0]?.digest !== undefined ? { child: m.manifests[0].digest } : {};
  const digest = m.config?.digest ?? m.layers?.[0]?.digest;
  return digest !== undefined ? { digest } : {};
}

/** Every step in order, stopping at the first failure; exported for tests. */
export async function runVerify(a: VerifyArgs, deps: VerifyDeps = defaultVerifyDeps): Promise<StepResult[]> {
  const steps: StepResult[] = [];
  const repo = a.repository;
  let config = deps.baseConfig(a);
  if (a.as?.kind === 'role') {
    try {
      config = await assumeRoleFrom(config, a.as.value, 'crossdock-verify');
      steps.push({ step: 'sts:AssumeRole', ok: true, detail: a.as.value });
    } catch (e) {
      steps.push(awsFailure('sts:AssumeRole', e));
      return steps;
    }
  }
  const sts = new STSClient(config);
  const ecr = new ECRClient(config);
  try {
    try {
      const id = await sts.send(new GetCallerIdentityCommand({}));
      steps.push({ step: 'sts:GetCallerIdentity', ok: true, detail: id.Arn ?? '' });
    } catch (e) {
      steps.push(awsFailure('sts:GetCallerIdentity', e));
      return steps;
    }
    let password: string;
    let proxyEndpoint: string | undefined;
    try {
      const out = await ecr.send(new GetAuthorizationTokenCommand({ registryIds: [repo.accountId] }));
      const data = out.authorizationData?.[0];
      const decoded = Buffer.from(data?.authorizationToken ?? '', 'base64').toString('utf8');
      if (!decoded.startsWith('AWS:'))
        throw new Error('GetAuthorizationToken returned no `AWS:<token>` credential');
      password = decoded.slice(4);
      proxyEndpoint = data?.proxyEndpoint;
      steps.push({
        step: 'ecr:GetAuthorizationToken',
        ok: true,
        detail: `token for ${proxyEndpoint ?? repo.accountId}`,
      });
    } catch (e) {
      steps.push(awsFailure('ecr:GetAuthorizationToken', e));
      return steps;
    }
    // The registry address: the URI given, else repositoryUri when the caller may describe, else proxyEndpoint.
    let uri = a.uri;
    if (uri === undefined) {
      try {
        const out = await ecr.send(
          new DescribeRepositoriesCommand({ registryId: repo.accountId, repositoryNames: [repo.name] }),
        );
        uri = out.repositories?.[0]?.repositoryUri;
      } catch {
        // pull-only consumers may not describe; proxyEndpoint names the same registry
      }
      if (uri === undefined && proxyEndpoint !== undefined) uri = `${proxyEndpoint}/${repo.name}`;
    }
    if (uri === undefined) {
      steps.push({
        step: 'registry address',
        ok: false,
        detail: 'neither repositoryUri nor proxyEndpoint is known',
      });
      return steps;
    }
    let target: RegistryTarget;
    try {
      target = registryTarget(uri, a.endpoint);
    } catch (e) {
      if (!(e instanceof RegistryRefError)) throw e;
      steps.push({ step: 'registry address', ok: false, detail: e.message });
      return steps;
    }
    const auth = { Authorization: `Basic ${Buffer.from(`AWS:${password}`).toString('base64')}` };
    const v2 = `/v2/${target.name}`;

    const ping = await send(target, 'GET', '/v2/', auth);
    if (ping.status !== 200) {
      steps.push(registryFailure('registry login (GET /v2/)', ping));
      return steps;
    }
    steps.push({
      step: 'registry login (GET /v2/)',
      ok: true,
      detail: `${target.base.host} accepts the token`,
    });

    let reference = a.reference;
    if (reference === undefined) {
      try {
        const out = await ecr.send(
          new DescribeImagesCommand({
            registryId: repo.accountId,
            repositoryName: repo.name,
            maxResults: 100,
          }),
        );
        const image = [...(out.imageDetails ?? [])].sort(
          (x, y) => (y.imagePushedAt?.getTime() ?? 0) - (x.imagePushedAt?.getTime() ?? 0),
        )[0];
        reference = image?.imageTags?.[0] ?? image?.imageDigest;
      } catch {
        const tags = await send(target, 'GET', `${v2}/tags/list`, auth);
        if (tags.status === 200)
          reference = (JSON.parse(tags.body.toString('utf8')) as { tags?: string[] }).tags?.[0];
        else {
          steps.push({
            ...registryFailure('find an image (DescribeImages, tags/list)', tags),
            detail: `${ociError(tags).text}; pass --tag`,
          });
          return steps;
        }
      }
      if (reference === undefined) {
        steps.push({
          step: 'find an image',
          ok: false,
          detail: `\`${repo.name}\` has no images; pass --tag or push one`,
        });
        return steps;
      }
    }
    const manifestStep = `manifest HEAD ${reference}`;
    const head = await send(target, 'HEAD', `${v2}/manifests/${reference}`, {
      ...auth,
      Accept: MANIFEST_ACCEPT,
    });
    if (head.status !== 200) {
      // A HEAD answer has no body: ask again with GET for the error's code and sentence.
      const again = await send(target, 'GET', `${v2}/manifests/${reference}`, {
        ...auth,
        Accept: MANIFEST_ACCEPT,
      });
      steps.push(registryFailure(manifestStep, again.status === head.status ? again : head));
      return steps;
    }
    const digest = String(head.headers['docker-content-digest'] ?? '');
    steps.push({ step: manifestStep, ok: true, detail: digest !== '' ? digest : `HTTP ${head.status}` });

    let manifest = await send(target, 'GET', `${v2}/manifests/${reference}`, {
      ...auth,
      Accept: MANIFEST_ACCEPT,
    });
    let blob = manifest.status === 200 ? blobOf(manifest.body) : {};
    if (blob.child !== undefined) {
      manifest = await send(target, 'GET', `${v2}/manifests/${blob.child}`, {
        ...auth,
        Accept: MANIFEST_ACCEPT,
      });
      blob = manifest.status === 200 ? blobOf(manifest.body) : {};
    }
    if (blob.digest === undefined) {
      steps.push(
        manifest.status !== 200
          ? registryFailure('blob HEAD', manifest)
          : { step: 'blob HEAD', ok: false, detail: 'the manifest names no config or layer' },
      );
      return steps;
    }
    const blobHead = await send(target, 'HEAD', `${v2}/blobs/${blob.digest}`, auth);
    // ECR answers blobs with a redirect to storage; that is a pass.
    if (blobHead.status !== 200 && (blobHead.status < 300 || blobHead.status > 399)) {
      const again = await send(target, 'GET', `${v2}/blobs/${blob.digest}`, auth);
      steps.push(
        registryFailure(`blob HEAD ${blob.digest}`, again.status === blobHead.status ? again : blobHead),
      );
      return steps;
    }
    steps.push({ step: `blob HEAD ${blob.digest}`, ok: true, detail: `HTTP ${blobHead.status}` });

    if (a.push) {
      const start = await send(target, 'POST', `${v2}/blobs/uploads/`, { ...auth, 'Content-Length': '0' });
      const location = start.headers.location;
      if (start.status !== 202 || typeof location !== 'string') {
        steps.push(registryFailure('upload start (POST blobs/uploads/)', start));
        return steps;
      }
      steps.push({ step: 'upload start (POST blobs/uploads/)', ok: true, detail: `HTTP ${start.status}` });
      const path = location.startsWith('/')
        ? location
        : new URL(location).pathname + new URL(location).search;
      const cancel = await send(target, 'DELETE', path, auth);
      if (cancel.status !== 204 && cancel.status !== 200) {
        steps.push(registryFailure('upload cancel (DELETE)', cancel));
        return steps;
      }
      steps.push({ step: 'upload cancel (DELETE)', ok: true, detail: `HTTP ${cancel.status}` });
    }
    return steps;
  } finally {
    sts.destroy();
    ecr.destroy();
  }
}

/** `crossdock verify ...`; returns the exit code. */
export async function verifyCommand(args: string[], deps: VerifyDeps = defaultVerifyDeps): Promise<number> {
  let parsed: VerifyArgs | 'help';
  try {
    parsed = parseVerifyArgs(args);
  } catch (e) {
    if (!(e instanceof VerifyUsageError)) throw e;
    deps.printError(`crossdock verify: ${e.message}\n${VERIFY_USAGE}`);
    return 2;
  }
  if (parsed === 'help') {
    deps.print(VERIFY_USAGE);
    return 0;
  }
  let steps: StepResult[];
  try {
    steps = await runVerify(parsed, deps);
  } catch (e) {
    steps = [{ step: 'connect', ok: false, detail: (e as Error).message }];
  }
  const ok = steps.length > 0 && steps.every((s) => s.ok);
  if (parsed.json) deps.print(JSON.stringify({ repository: parsed.repository.arn, ok, steps }, null, 2));
  else {
    for (const s of steps) deps.print(`${s.ok ? '✓' : '✗'} ${s.step}: ${s.detail}`);
    deps.print(ok ? 'verified: every step passed' : 'failed');
  }
  return ok ? 0 : 1;
}
